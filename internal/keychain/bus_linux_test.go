package keychain

import (
	"errors"
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
	if err := checkBus(env("unix:abstract=/tmp/dbus-x")); err != nil {
		t.Errorf("abstract socket: %v", err)
	}
}
