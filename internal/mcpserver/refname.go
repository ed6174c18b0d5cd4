package mcpserver

import (
	"fmt"
	"strings"

	"github.com/keyref/keyref/internal/resolve"
	"github.com/keyref/keyref/internal/secret"
)

// A model may pass a token where a reference belongs, as "env:TOKEN". Many
// tokens (GitHub's, hex ones) are made of letters, digits and '_' only, so
// resolve accepts them as env: names, and the name would then show in the
// tool error and the log line. A name is shown whole only when it reads
// like a variable name; otherwise only its start and length.
const (
	shortEnvName = 16 // shown whatever it looks like
	longEnvName  = 40 // never shown whole
	maxEnvDigits = 4  // more digits than this look random
	shownPrefix  = 3
)

// envNameShown reports whether an env: name may be shown whole: short, or
// not too long, in one letter case and with few digits.
func envNameShown(name string) bool {
	if len(name) <= shortEnvName {
		return true
	}
	var upper, lower, digits bool
	n := 0
	for _, c := range name {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			n++
			digits = n > maxEnvDigits
		}
	}
	return len(name) <= longEnvName && !(upper && lower) && !digits
}

// refName names ref for results and logs; an env: name that may be a
// token is cut to its start and length.
func refName(ref resolve.Ref) string {
	if ref.Kind != resolve.Env || envNameShown(ref.Name) {
		return ref.String()
	}
	return fmt.Sprintf("env:%s...(%d characters)", ref.Name[:shownPrefix], len(ref.Name))
}

// maskedError is err with an env: name that may be a token cut out of
// its text. errors.Is and errors.As still see err.
type maskedError struct {
	msg string
	err error
}

func (m *maskedError) Error() string { return m.msg }
func (m *maskedError) Unwrap() error { return m.err }

// maskRef hides ref's env: name in err when refName would. It also has
// the name scrubbed from the call's results, in every encoded form.
func maskRef(c *call, ref resolve.Ref, err error) error {
	if ref.Kind != resolve.Env || envNameShown(ref.Name) {
		return err
	}
	c.addSecret(secret.New(ref.Name))
	if err == nil {
		return nil
	}
	short := strings.TrimPrefix(refName(ref), "env:")
	return &maskedError{msg: strings.ReplaceAll(err.Error(), ref.Name, short), err: err}
}
