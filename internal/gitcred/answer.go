package gitcred

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/keyref/keyref/internal/secret"
)

// Answer is a helper's reply to get. Either Password or, when git
// announced capability[]=authtype, AuthType with Credential is set.
type Answer struct {
	Username string
	Password secret.Secret
	// PasswordExpiry becomes password_expiry_utc, so that git stops using
	// (and stops storing) the password when it expires. Zero means none.
	PasswordExpiry time.Time
	// AuthType and Credential answer in git's authtype form (git 2.46 and
	// later): git sends "Authorization: AuthType Credential" itself.
	AuthType   string
	Credential secret.Secret
}

// errValue reports an answer value git could not read back.
var errValue = errors.New("answer value holds a line break or NUL")

// Encode returns the answer lines, in the order git documents them, ready
// to be written to git in one call. A zero Answer encodes to nothing,
// which tells git to try the next helper. The caller should clear the
// returned bytes after writing them, since they hold the secret.
func (a *Answer) Encode() ([]byte, error) {
	var b bytes.Buffer
	add := func(key, value string) error {
		if strings.ContainsAny(value, "\n\r\x00") {
			return errValue
		}
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(value)
		b.WriteByte('\n')
		return nil
	}
	var err error
	switch {
	case !a.Credential.IsZero():
		err = errors.Join(add("capability[]", "authtype"), add("authtype", a.AuthType),
			add("credential", a.Credential.Reveal()))
	case !a.Password.IsZero():
		err = errors.Join(add("username", a.Username), add("password", a.Password.Reveal()))
	default:
		return nil, nil
	}
	if err == nil && !a.PasswordExpiry.IsZero() {
		err = add("password_expiry_utc", strconv.FormatInt(a.PasswordExpiry.Unix(), 10))
	}
	if err != nil {
		clear(b.Bytes())
		return nil, err
	}
	return b.Bytes(), nil
}
