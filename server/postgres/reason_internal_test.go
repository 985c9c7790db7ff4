package postgres

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// reason's words reach clients in 503 bodies: they say what is wrong by
// class and never repeat the server's own text, which may name its files.
func TestReasonIsFitForClients(t *testing.T) {
	const secret = `could not extend file "/var/lib/postgresql/15/main/base/16384/2619": No space left on device`
	for _, tc := range []struct {
		code, want string
	}{
		{"53100", "out of disk space"},
		{"57P01", "shutting down"},
		{"25006", "read-only"},
		{"XX000", "cannot take the request"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			got := reason(&pgconn.PgError{Code: tc.code, Message: secret})
			if !strings.Contains(got, tc.want) || strings.Contains(got, "/var/lib") {
				t.Errorf("reason(%s): got %q, want it to say %q and not the server's text", tc.code, got, tc.want)
			}
		})
	}
}
