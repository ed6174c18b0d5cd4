package store

import (
	"os"
	"path/filepath"
)

// testenvLockDir returns the shared lock directory of the Secret Service
// session when tests run in one, so that they lock like keyref does.
func testenvLockDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return filepath.Join(d, "keyref")
	}
	return ""
}
