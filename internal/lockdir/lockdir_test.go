package lockdir

import (
	"context"
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
	ctx := context.Background()
	if _, err := Lock(ctx, filepath.Dir(dir), filepath.Base(dir)); err == nil {
		t.Error("a directory was taken for a lock file")
	}
	unlock, err := Lock(ctx, dir, "new.lock")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}
