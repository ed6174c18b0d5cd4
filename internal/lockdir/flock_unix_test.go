//go:build unix

package lockdir

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
)

func TestFlockRefusesAFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "keychain.lock"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(context.Background(), dir, "keychain.lock"); err == nil {
		t.Fatal("a FIFO was taken for a lock file")
	}
}
