// Package resolve turns a token reference into a token at the moment of a
// call: "keyring:NAME" through the keyref helper, "env:NAME" through the
// BEARER_TOKEN_NAME environment variable, anything else as a raw token.
//
// It also decides whether the token may go to a destination: a keyring
// alias by its own scopes, env: and raw tokens by the --allow-origin list.
// Tokens are held as secret.Secret; no error or log line of this package
// ever holds one, nor does a child's argv.
package resolve

import (
	"errors"
	"fmt"
	"strings"

	"github.com/keyref/keyref/internal/secret"
	"github.com/keyref/keyref/internal/store"
)

// Kind says where a reference resolves from.
type Kind string

// Reference kinds.
const (
	Keyring Kind = "keyring"
	Env     Kind = "env"
	Raw     Kind = "raw"
)

// EnvPrefix is prepended to an env: reference's name to find its variable.
const EnvPrefix = "BEARER_TOKEN_"

// ErrInvalid reports a reference keyref-mcp does not accept. Its message
// says what is wrong without repeating the reference, which might be a
// token.
var ErrInvalid = errors.New("invalid token reference")

// Ref is a parsed token reference. The zero Ref is invalid.
type Ref struct {
	Kind Kind
	// Name is the alias (normalised) for Keyring, the part after "env:"
	// for Env, and empty for Raw.
	Name string
	raw  secret.Secret
}

// String names the reference without revealing a raw token.
func (r Ref) String() string {
	if r.Kind == Raw {
		return "raw token"
	}
	return string(r.Kind) + ":" + r.Name
}

// Parse parses a token reference. It refuses empty references, empty
// names, unknown schemes, unexpanded ${...} placeholders and raw tokens
// holding spaces or control characters; every error wraps ErrInvalid.
func Parse(s string) (Ref, error) {
	switch {
	case strings.TrimSpace(s) == "":
		return Ref{}, fmt.Errorf("%w: empty; use keyring:NAME, env:NAME or a token", ErrInvalid)
	case strings.Contains(s, "${"):
		return Ref{}, fmt.Errorf("%w: holds an unexpanded ${...} placeholder; "+
			"the MCP client passes it literally, so use env:NAME or keyring:NAME instead",
			ErrInvalid)
	}
	scheme, rest, ok := cutScheme(s)
	if !ok {
		return parseRaw(s)
	}
	switch scheme {
	case string(Keyring):
		name, err := store.NormalizeName(rest)
		if err != nil {
			return Ref{}, fmt.Errorf("%w: keyring: %w", ErrInvalid, err)
		}
		return Ref{Kind: Keyring, Name: name}, nil
	case string(Env):
		if err := checkEnvName(rest); err != nil {
			return Ref{}, err
		}
		return Ref{Kind: Env, Name: rest}, nil
	}
	return Ref{}, fmt.Errorf("%w: unknown scheme %s; use keyring:NAME, env:NAME or a raw token",
		ErrInvalid, quoteScheme(scheme))
}

// cutScheme splits "scheme:rest" when s starts with something shaped like
// a URI scheme. Bearer tokens (RFC 6750 section 2.1) hold no colon, so a
// raw token is never mistaken for one.
func cutScheme(s string) (scheme, rest string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i < 1 {
		return "", "", false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", "", false
		}
	}
	return strings.ToLower(s[:i]), s[i+1:], true
}

// quoteScheme names a refused scheme, unless it is long enough to be part
// of a secret.
func quoteScheme(scheme string) string {
	if len(scheme) > 16 {
		return "(not shown)"
	}
	return fmt.Sprintf("%q", scheme+":")
}

func checkEnvName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: env: needs a name, as in env:WORK for %sWORK", ErrInvalid, EnvPrefix)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%w: env: names hold only letters, digits and '_'", ErrInvalid)
		}
	}
	return nil
}

func parseRaw(s string) (Ref, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return Ref{}, fmt.Errorf("%w: a raw token holds no spaces or control characters "+
				"(drop any \"Bearer \" prefix)", ErrInvalid)
		}
	}
	return Ref{Kind: Raw, raw: secret.New(s)}, nil
}
