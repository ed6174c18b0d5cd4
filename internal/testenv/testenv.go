// Package testenv gives tests the real parts they need: a Secret Service
// session and freshly built binaries. Tests that need the Secret Service
// fail, never skip, when KEYREF_REQUIRE_SECRET_SERVICE=1 (set by make
// test) and it is missing; run alone with plain `go test` they skip with a
// message saying how to run them.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// InstallHint is the command that installs what the real-keychain tests
// need on Debian.
const InstallHint = "sudo apt-get install -y gnome-keyring dbus-daemon dbus-bin libsecret-tools " +
	"&& make test (it runs the tests inside platform/linux/with-secret-service.sh)"

// RequireSecretService stops the test unless a Secret Service answers on
// the session bus.
func RequireSecretService(t testing.TB) {
	t.Helper()
	why := secretServiceMissing()
	if why == "" {
		return
	}
	if os.Getenv("KEYREF_REQUIRE_SECRET_SERVICE") == "1" {
		t.Fatalf("no Secret Service: %s\ninstall and run: %s", why, InstallHint)
	}
	t.Skipf("no Secret Service (%s); `make test` runs this test in a private session", why)
}

var (
	ssOnce sync.Once
	ssWhy  string
)

func secretServiceMissing() string {
	ssOnce.Do(func() {
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
			ssWhy = "DBUS_SESSION_BUS_ADDRESS is unset"
			return
		}
		out, err := exec.Command("dbus-send", "--session", "--print-reply",
			"--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
			"org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets").CombinedOutput()
		switch {
		case err != nil:
			ssWhy = "dbus-send failed: " + strings.TrimSpace(string(out))
		case !strings.Contains(string(out), "boolean true"):
			ssWhy = "nothing owns org.freedesktop.secrets on the session bus"
		}
	})
	return ssWhy
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binaries builds keyref and keyref-mcp once per test process and returns
// the directory holding them. The directory is removed by the OS's temp
// cleanup, not by the test, since every test of the process shares it.
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "keyref-bin-")
		if buildErr != nil {
			return
		}
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		cmd := exec.Command("go", "build", "-o", buildDir+string(filepath.Separator), "./cmd/...")
		cmd.Dir = root
		// Built as make build builds them: static, without cgo.
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = &buildError{out: string(out), err: err}
		}
	})
	if buildErr != nil {
		t.Fatalf("building the binaries: %v", buildErr)
	}
	return buildDir
}

type buildError struct {
	out string
	err error
}

func (b *buildError) Error() string { return b.err.Error() + "\n" + b.out }

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// Canary returns a token that tests plant and then search for in every
// output that must not carry it. It is unique per call.
func Canary() string {
	return "CANARY" + strings.ReplaceAll(time.Now().Format("150405.000000000"), ".", "x") + "tok"
}
