//go:build !unix

package devenv

import (
	"context"
	"errors"
	"log/slog"
)

// ensurePrivate is Unix only: the cluster is run through pg_ctl as a dedicated OS user.
// Elsewhere, a server on 127.0.0.1:5432 or DATABASE_URL still works.
func ensurePrivate(context.Context, PostgresOptions, *slog.Logger) (*Postgres, error) {
	return nil, errors.New("devenv: a private postgres cluster is only supported on Unix; " +
		"start a server on 127.0.0.1:5432 or set DATABASE_URL")
}
