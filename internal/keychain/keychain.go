// Package keychain is keyref's only door to the operating system's secret
// store: macOS Keychain, Windows Credential Manager or the Linux Secret
// Service, reached through github.com/zalando/go-keyring. It stores flat
// string items under the service name "keyref" and knows nothing of
// aliases or records.
//
// Every call has a time limit, a Linux session-bus check and a
// cross-process lock, and every go-keyring error is translated to one of
// this package's errors. On Linux, reads first try a shorter D-Bus
// exchange built from godbus's message encoding (fastGet) and fall back to
// go-keyring. The package never falls back to any other storage and never
// logs a value.
package keychain

import (
	"context"
	"errors"
)

// Service is the keychain service name of every keyref item.
const Service = "keyref"

// Errors a Backend returns, wrapped with context. Check with errors.Is.
var (
	// ErrNotFound means no item has that account name.
	ErrNotFound = errors.New("no such keychain item")
	// ErrUnavailable means the keychain cannot be reached, is locked or did
	// not answer in time.
	ErrUnavailable = errors.New("keychain unavailable")
	// ErrTooBig means the value is larger than this keychain accepts.
	ErrTooBig = errors.New("value too big for the keychain")
)

// Backend is a flat store of string values keyed by account name under
// Service. Implementations are safe for concurrent use; a single Set
// replaces an item atomically.
type Backend interface {
	Get(ctx context.Context, account string) (string, error)
	Set(ctx context.Context, account, value string) error
	Delete(ctx context.Context, account string) error
	// MaxValue is the largest value, in bytes of ASCII text, that Set is
	// certain to accept. Callers split anything larger.
	MaxValue() int
}

// UnavailableError says why the keychain cannot be used and how to fix it.
type UnavailableError struct {
	Reason string // what is wrong, e.g. "no D-Bus session bus"
	Hint   string // what the user can do about it
}

func (e *UnavailableError) Error() string {
	if e.Hint == "" {
		return e.Reason
	}
	return e.Reason + " (" + e.Hint + ")"
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }
