package resolve

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/testenv"
)

// script writes a shell script standing in for keyref.
func script(t *testing.T, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake helper is a shell script")
	}
	p := filepath.Join(t.TempDir(), "keyref")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExecGet(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{"ok", `echo '{"name":"w","kind":"token","token":"` + canary + `","scopes":["*"]}'`, nil},
		{"not found", `echo 'keyref: alias "w": not found' >&2; exit 3`, ErrNotFound},
		{"unavailable", `exit 4`, ErrUnavailable},
		{"outside", `echo 'keyref: outside' >&2; exit 5`, scope.ErrOutside},
		{"login", `exit 6`, ErrLoginRequired},
		{"usage", `exit 2`, ErrInvalid},
		{"other", `exit 1`, ErrHelper},
		{"garbage", `echo hello`, ErrHelper},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Exec{Path: script(t, tt.body)}
			tok, err := e.Get(context.Background(), "w", "http://127.0.0.1/")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Get error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{tok.Token.Reveal(), tok.Scopes[0]}
			if diff := cmp.Diff([]string{canary, "*"}, got); diff != "" {
				t.Errorf("Get (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExecStopsASlowHelper(t *testing.T) {
	e := &Exec{Path: script(t, "exec sleep 30"), Timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := e.Get(context.Background(), "w", "")
	if !errors.Is(err, ErrHelper) || !strings.Contains(err.Error(), "did not finish") {
		t.Errorf("Get error = %v, want a timeout", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	e.Timeout = time.Minute
	_, err = e.Get(ctx, "w", "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Get error = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stopping the helper took %v", d)
	}
}

func TestFindHelper(t *testing.T) {
	env := map[string]string{"KEYREF_HELPER": "/from/env"}
	getenv := func(k string) string { return env[k] }
	if got, _ := FindHelper("/from/flag", getenv); got != "/from/flag" {
		t.Errorf("FindHelper with a flag = %q", got)
	}
	if got, _ := FindHelper("", getenv); got != "/from/env" {
		t.Errorf("FindHelper with KEYREF_HELPER = %q", got)
	}
}

// TestExecAgainstKeyref runs the real keyref in the Secret Service session.
func TestExecAgainstKeyref(t *testing.T) {
	testenv.RequireSecretService(t)
	bin := filepath.Join(testenv.Binaries(t), "keyref")
	tok := testenv.Canary()
	name := "resolve-exec-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	set := exec.Command(bin, "set", name, "--url", "http://127.0.0.1:8080/api/")
	set.Stdin = strings.NewReader(tok + "\n")
	if out, err := set.CombinedOutput(); err != nil {
		t.Fatalf("keyref set: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(bin, "rm", name).Run() })

	e := &Exec{Path: bin}
	got, err := e.Get(context.Background(), name, "http://127.0.0.1:8080/api/x")
	if err != nil {
		t.Fatal(err)
	}
	if got.Token.Reveal() != tok {
		t.Errorf("Get returned a different token")
	}
	_, err = e.Get(context.Background(), name, "http://127.0.0.1:9/")
	if !errors.Is(err, scope.ErrOutside) || strings.Contains(err.Error(), tok) {
		t.Errorf("Get outside the scope: %v", err)
	}
	_, err = e.Get(context.Background(), name+"-missing", "")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a missing alias: %v", err)
	}
	aliases, err := e.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range aliases {
		found = found || a.Name == name
	}
	if !found {
		t.Errorf("List did not return %s", name)
	}
}
