package keychain

import (
	"net/url"
	"os"
	"strings"
)

const unavailableHint = "is a Secret Service such as gnome-keyring running and unlocked? " +
	"`keyref doctor` checks each step"

// checkBus refuses to go on without a reachable session bus. With
// DBUS_SESSION_BUS_ADDRESS unset, godbus would autolaunch a private bus
// (and with it a keyring daemon) on every call and leave both running.
func checkBus(getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	addr := getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return &UnavailableError{
			Reason: "no D-Bus session bus, so the Secret Service cannot be reached",
			Hint: "DBUS_SESSION_BUS_ADDRESS is unset; run keyref inside a desktop session, " +
				"or start one with `dbus-run-session -- sh` and `gnome-keyring-daemon --unlock`, " +
				"or use platform/linux/with-secret-service.sh",
		}
	}
	for _, part := range strings.Split(addr, ";") {
		path, ok := strings.CutPrefix(part, "unix:path=")
		if !ok {
			return nil // abstract sockets, tcp: let D-Bus judge
		}
		if i := strings.IndexByte(path, ','); i >= 0 {
			path = path[:i]
		}
		if p, err := url.PathUnescape(path); err == nil { // D-Bus escapes as %XX
			path = p
		}
		if _, err := os.Stat(path); err == nil {
			return nil
		}
	}
	return &UnavailableError{
		Reason: "the D-Bus session bus in DBUS_SESSION_BUS_ADDRESS is gone",
		Hint:   "its socket does not exist; start a new session or fix the variable",
	}
}
