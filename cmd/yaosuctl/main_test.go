package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// isolate gives the test its own config directory and clears every variable yaosuctl
// reads, so neither the developer's login nor their environment leaks in. It returns
// the config directory.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(envConfigDir, dir)
	for _, k := range []string{envAddr, envToken, envDataDir, envIssuer, envNATSURL, envCAFile, envTLS, envMaxLifetime} {
		t.Setenv(k, "")
	}
	return dir
}

// runCLI runs yaosuctl in-process and returns what it wrote.
func runCLI(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(ctx, args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}
