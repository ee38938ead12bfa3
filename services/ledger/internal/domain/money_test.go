package domain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/ledger/internal/domain"
)

func TestParseYuanIsExact(t *testing.T) {
	for in, want := range map[string]domain.Fen{
		"1234.56": 123456, "0.05": 5, "-3": -300, "1,234.5": 123450, "１２３．４": 12340, "¥ 10元": 1000,
		"+7.00": 700, "9999999999999.99": 999999999999999,
	} {
		got, err := domain.ParseYuan(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "1.234", "1.", ".5", "abc", "1e3", "12 34", "--1", "99999999999999"} {
		_, err := domain.ParseYuan(bad)
		require.ErrorIs(t, err, domain.ErrAmount, bad)
	}
}

func TestFenString(t *testing.T) {
	require.Equal(t, "1234.56", domain.Fen(123456).String())
	require.Equal(t, "-0.05", domain.Fen(-5).String())
	require.Equal(t, "0.00", domain.Fen(0).String())
	for _, f := range []domain.Fen{0, 1, -1, 99, 100, 123456789} {
		back, err := domain.ParseYuan(f.String())
		require.NoError(t, err)
		require.Equal(t, f, back, "String and ParseYuan round-trip")
	}
}
