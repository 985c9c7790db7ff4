package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"syscall"
	"testing"
)

// local is a newswidget server run in the test's own process by the
// binary's code (parseConfig, wire, Run), for tests that need a server but
// nothing only a process shows (an exit code, a signal, a crash, process
// limits): those start the binary (startNode).
type local struct {
	name string
	url  string        // http://127.0.0.1:PORT
	out  *lockedBuffer // its log
}

// startLocal wires and serves a server with args (plus -addr on a free
// loopback port, and no NEWSWIDGET_ variables), and shuts it down as a
// signal would when t ends.
func startLocal(t *testing.T, name string, args ...string) *local {
	t.Helper()
	noEnv := func(string) (string, bool) { return "", false }
	out := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(out, nil))
	var in *instance
	for attempt := 1; ; attempt++ {
		// The listener is bound before wire returns: requests wait in its
		// backlog until Run serves them, so the server is ready at once.
		c, err := parseConfig(append([]string{"-addr", freeAddr(t)}, args...), noEnv, io.Discard)
		if err != nil {
			t.Fatalf("server %s: flags %q: %v", name, args, err)
		}
		in, err = wire(context.Background(), c, log)
		if err == nil {
			break
		}
		// A port found free may have been taken since: try another.
		if attempt == 3 || !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("server %s: %v; its log:\n%s", name, err, out)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server %s: Run: %v", name, err)
		}
		if err := in.Close(); err != nil {
			t.Errorf("server %s: Close: %v", name, err)
		}
		if t.Failed() {
			t.Logf("server %s (%s) log:\n%s", name, in.URL, out)
		}
	})
	return &local{name: name, url: in.URL, out: out}
}
