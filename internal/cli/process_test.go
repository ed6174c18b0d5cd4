package cli

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyref/keyref/internal/testenv"
)

// runBinary runs the built keyref with env (and nothing else) and returns
// its exit code, stdout and stderr.
func runBinary(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(testenv.Binaries(t), "keyref"), args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func daemons(t *testing.T) string {
	pgrep := exec.Command("pgrep", "-u", os.Getenv("USER"), "-l", "dbus-daemon|gnome-keyring")
	out, _ := pgrep.Output()
	return string(out)
}

// TestNoBusExitsAtOnceAndStartsNothing checks the Linux guard: without a
// session bus keyref must not let godbus autolaunch one.
func TestNoBusExitsAtOnceAndStartsNothing(t *testing.T) {
	testenv.Binaries(t) // built before the clock starts
	before := daemons(t)
	start := time.Now()
	code, stdout, stderr := runBinary(t, []string{"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin"},
		"get", "demo")
	if code != ExitUnavailable || stdout != "" {
		t.Fatalf("exit %d, stdout %q; want 4 and nothing", code, stdout)
	}
	if !strings.Contains(stderr, "Secret Service") ||
		!strings.Contains(stderr, "dbus-run-session") {
		t.Errorf("stderr does not say what is missing and how to start it: %q", stderr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	if after := daemons(t); after != before {
		t.Errorf("daemons changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestSilentBusTimesOut points keyref at a bus that accepts connections
// and never answers, as a keychain stuck at an unlock prompt would.
func TestSilentBusTimesOut(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()

	testenv.Binaries(t)
	start := time.Now()
	code, _, stderr := runBinary(t, []string{
		"HOME=" + t.TempDir(), "DBUS_SESSION_BUS_ADDRESS=unix:path=" + sock,
		"KEYREF_KEYCHAIN_TIMEOUT=1s",
	}, "get", "demo")
	if code != ExitUnavailable {
		t.Fatalf("exit %d, want 4; stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "keychain locked or not answering") {
		t.Errorf("stderr %q", stderr)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("took %v with a 1s limit", d)
	}
}
