// Package secret holds the one type that carries a token through keyref.
//
// A Secret prints as a placeholder through every formatting path: all fmt
// verbs, log/slog, encoding/json and encoding.TextMarshaler. Only Reveal
// gives the value, so a search for Reveal lists every place a token may
// leave the process. The package must never log, print or persist a value.
package secret

import (
	"fmt"
	"log/slog"
)

// Placeholder is what a Secret shows wherever it is formatted.
const Placeholder = "[redacted]"

// Secret is a token, password or key. The zero value is empty.
// It is safe to copy and to share between goroutines.
type Secret struct {
	v string
}

// New wraps a value as a Secret.
func New(v string) Secret { return Secret{v: v} }

// Reveal returns the value. Call it only where the value must leave the
// process: the helper's stdout, a protocol answer, a child's environment
// or an HTTP request the user scoped the secret to.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// Len returns the length of the value in bytes.
func (s Secret) Len() int { return len(s.v) }

// Equal reports whether two secrets hold the same value.
func (s Secret) Equal(o Secret) bool { return s.v == o.v }

// String returns the placeholder.
func (s Secret) String() string { return Placeholder }

// GoString returns the placeholder, so %#v hides the value too.
func (s Secret) GoString() string { return Placeholder }

// Format prints the placeholder for every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Placeholder)) }

// LogValue makes slog print the placeholder.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Placeholder) }

// MarshalJSON encodes the placeholder, never the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Placeholder + `"`), nil }

// MarshalText encodes the placeholder, never the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Placeholder), nil }
