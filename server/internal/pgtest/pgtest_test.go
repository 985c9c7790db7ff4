package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"newswidget/server/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func query(t *testing.T, dsn, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	defer c.Close(context.Background())
	var s string
	if err := c.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

// TestStart checks that every Start gives a separate, empty, UTF-8 database
// that stop drops.
func TestStart(t *testing.T) {
	a, stopA := pgtest.Start(t)
	b, _ := pgtest.Start(t)
	if a == b {
		t.Fatalf("two Starts gave the same DSN %s", a)
	}
	if got := query(t, a, `SELECT current_setting('server_encoding')`); got != "UTF8" {
		t.Errorf("server_encoding got %q, want UTF8", got)
	}
	// A linguistic default collation sorts "a" before "B"; byte order would
	// not, and the store must not lean on the default.
	if got := query(t, a, `SELECT ('a' < 'B')::text`); got != "true" {
		t.Errorf("'a' < 'B' got %s: the default collation is byte order, want a linguistic one", got)
	}
	if got := query(t, a, `SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public'`); got != "0" {
		t.Errorf("a fresh database has %s tables, want 0", got)
	}
	db := query(t, a, `SELECT current_database()`)
	stopA()
	stopA() // idempotent
	if got := query(t, b, `SELECT count(*)::text FROM pg_database WHERE datname = '`+db+`'`); got != "0" {
		t.Errorf("database %s still exists after stop", db)
	}
}

// TestRestart checks that a private server comes back on the same port with
// its data.
func TestRestart(t *testing.T) {
	s := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, `CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('yes')`); err != nil {
		t.Fatal(err)
	}
	port := s.Port
	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx); err == nil {
		t.Error("Ping on a connection to a stopped server succeeded")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("restart took %v", time.Since(start))
	if s.Port != port {
		t.Errorf("port changed from %d to %d", port, s.Port)
	}
	if got := query(t, s.DSN, `SELECT v FROM kept`); got != "yes" {
		t.Errorf("after restart got %q, want the row kept", got)
	}
}
