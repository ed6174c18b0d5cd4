package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxNameLen is the longest alias name.
const MaxNameLen = 64

// ErrInvalidName reports an alias name keyref does not accept.
var ErrInvalidName = errors.New("invalid alias name")

// NormalizeName checks an alias name and returns its stored form. Names
// are 1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a
// letter or digit. They are case-insensitive, because Windows Credential
// Manager's target names are, so upper case is folded to lower. A name
// that looks like a token (see looksLikeToken) is refused: it was almost
// certainly pasted in the wrong place, and an alias name is echoed in
// messages and passed in argv, where a token must never be.
func NormalizeName(name string) (string, error) {
	n := strings.ToLower(name)
	switch {
	case n == "":
		return "", fmt.Errorf("%w: empty", ErrInvalidName)
	case len(n) > MaxNameLen:
		return "", fmt.Errorf("%w: longer than %d characters", ErrInvalidName, MaxNameLen)
	case !isAlnum(n[0]):
		return "", fmt.Errorf("%w %s: must start with a letter or digit",
			ErrInvalidName, quoteName(name))
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return "", fmt.Errorf("%w %s: only a-z, 0-9, '.', '_' and '-' are allowed",
				ErrInvalidName, quoteName(name))
		}
	}
	if looksLikeToken(n) {
		return "", fmt.Errorf("%w %s: it looks like a token, not a name "+
			"(a run of %d or more letters and digits); choose a short name",
			ErrInvalidName, quoteName(name), tokenRun)
	}
	return n, nil
}

// tokenRun is the length of an unbroken run of letters and digits, with a
// digit in it, from which a name is taken for a token. Hex keys, GitHub
// and GitLab tokens and JWT segments all have one; names made of words
// and separators do not.
const tokenRun = 20

func looksLikeToken(n string) bool {
	run, digits := 0, 0
	for i := 0; i <= len(n); i++ {
		if i < len(n) && isAlnum(n[i]) {
			run++
			if n[i] >= '0' && n[i] <= '9' {
				digits++
			}
			continue
		}
		if run >= tokenRun && digits > 0 && digits < run {
			return true
		}
		run, digits = 0, 0
	}
	return false
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// quoteName stands for a rejected name in an error message. A user who
// typed a token where a name belongs must not see it echoed, so only short
// names are shown.
func quoteName(name string) string {
	if len(name) > 16 {
		return fmt.Sprintf("(%d characters)", len(name))
	}
	return strconv.Quote(name)
}
