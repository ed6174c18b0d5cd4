package store

import (
	"os"

	"github.com/keyref/keyref/internal/lockdir"
)

// testenvLockDir returns the lock directory keyref itself uses when tests
// run against the Secret Service, so that they lock like keyref does.
func testenvLockDir() string {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return lockdir.Default()
	}
	return ""
}
