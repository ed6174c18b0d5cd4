package lockdir

import (
	"path/filepath"
	"testing"
)

func TestDefaultIgnoresSessionVariables(t *testing.T) {
	want := find()
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	if got := find(); got != want {
		t.Errorf("the lock directory moved with the environment: %q, was %q", got, want)
	}
}

func TestFlock(t *testing.T) {
	dir := t.TempDir()
	if _, err := Flock(dir); err == nil {
		t.Error("a directory was taken for a lock file")
	}
	l, err := Flock(filepath.Join(dir, "new.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}
