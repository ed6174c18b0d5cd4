package keychain

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckBus(t *testing.T) {
	env := func(addr string) func(string) string {
		return func(string) string { return addr }
	}
	if err := checkBus(env("")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("no address: %v", err)
	}
	if err := checkBus(env("unix:path=/nonexistent/bus")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing socket: %v", err)
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "a b")
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkBus(env("unix:path=" + strings.ReplaceAll(sock, " ", "%20"))); err != nil {
		t.Errorf("escaped path: %v", err)
	}
	if err := checkBus(env("unix:abstract=/tmp/dbus-x")); err != nil {
		t.Errorf("abstract socket: %v", err)
	}
}
