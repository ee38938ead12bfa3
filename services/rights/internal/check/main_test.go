package check

import (
	"log/slog"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// The listener's and the migrations' log lines are noise in test and benchmark output.
	if os.Getenv("CHECK_TEST_LOG") == "" {
		slog.SetDefault(slog.New(slog.DiscardHandler))
	}
	os.Exit(m.Run())
}
