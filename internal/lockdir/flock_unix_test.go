//go:build unix

package lockdir

import (
	"path/filepath"
	"syscall"
	"testing"
)

func TestFlockRefusesAFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keychain.lock")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Flock(p); err == nil {
		t.Fatal("a FIFO was taken for a lock file")
	}
}
