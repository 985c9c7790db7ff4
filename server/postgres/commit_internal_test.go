package postgres

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"newswidget/app/news"
	"newswidget/server/internal/pgtest"
)

// TestCommitOutcome: a write whose commit the server refused and said why
// is known not to have happened; one whose connection ended while it
// committed may have happened, and says so with news.ErrOutcomeUnknown, so
// that no caller adds its counts twice.
func TestCommitOutcome(t *testing.T) {
	dsn, _ := pgtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	// Deferred triggers run inside COMMIT: one refuses partner "refused",
	// the other ends its own backend for partner "cut".
	for _, stmt := range []string{
		`CREATE FUNCTION at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.partner = 'refused' THEN
				RAISE EXCEPTION 'refused at commit';
			ELSIF NEW.partner = 'cut' THEN
				PERFORM pg_terminate_backend(pg_backend_pid());
				PERFORM pg_sleep(5);
			END IF;
			RETURN NULL;
		END $$`,
		`CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON stats DEFERRABLE INITIALLY DEFERRED
			FOR EACH ROW EXECUTE FUNCTION at_commit()`,
	} {
		if _, err := c.Exec(ctx, stmt); err != nil {
			t.Fatalf("%.60s: %v", stmt, err)
		}
	}
	hour := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	add := func(partner string) error {
		return s.AddCounts(ctx, []news.Count{{Hour: hour, Partner: partner, Impressions: 1}})
	}

	if err := add("refused"); err == nil || errors.Is(err, news.ErrOutcomeUnknown) {
		t.Errorf("a commit the server refused: got %v, want an error that is not ErrOutcomeUnknown", err)
	}
	if err := add("cut"); !errors.Is(err, news.ErrOutcomeUnknown) {
		t.Errorf("a commit whose connection ended: got %v, want ErrOutcomeUnknown", err)
	} else if news.ErrorCode(err) != news.EUnavailable {
		t.Errorf("a commit whose connection ended: code %q, want %q still", news.ErrorCode(err), news.EUnavailable)
	}
	if err := add("fine"); err != nil {
		t.Errorf("a write after them: %v", err)
	}
}

func TestCommitUnknown(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"rolled back", pgx.ErrTxCommitRollback, false},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, false},
		{"deferred constraint", &pgconn.PgError{Code: "23505"}, false},
		{"terminated", &pgconn.PgError{Code: "57P01"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"connection lost", io.ErrUnexpectedEOF, true},
		{"timed out", context.DeadlineExceeded, true},
	} {
		if got := commitUnknown(tc.err); got != tc.want {
			t.Errorf("%s: commitUnknown(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
