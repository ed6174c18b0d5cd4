package lockdir

import "testing"

func TestDefaultIgnoresSessionVariables(t *testing.T) {
	want := find()
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	if got := find(); got != want {
		t.Errorf("the lock directory moved with the environment: %q, was %q", got, want)
	}
}
