package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"golang.org/x/term"

	"github.com/keyref/keyref/internal/secret"
	"github.com/keyref/keyref/internal/store"
)

// errInvalidSecret reports a secret keyref refuses to store.
var errInvalidSecret = errors.New("invalid secret")

// readSecret reads a secret without echo from a terminal, or whole from
// stdin when stdin is not a terminal. It strips exactly one trailing "\n"
// or "\r\n" and refuses what could never travel in an HTTP header.
func readSecret(env *Env, prompt string) (secret.Secret, error) {
	var raw []byte
	if fd, ok := env.stdinTerminal(); ok {
		fmt.Fprint(env.Stderr, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return secret.Secret{}, fmt.Errorf("reading the secret from the terminal: %w", err)
		}
		raw = b
	} else {
		b, err := io.ReadAll(io.LimitReader(env.Stdin, store.MaxSecretSize+3))
		if err != nil {
			return secret.Secret{}, fmt.Errorf("reading the secret from stdin: %w", err)
		}
		raw = b
	}
	defer clear(raw)
	return checkSecret(raw)
}

// checkSecret applies keyref's rules for a secret read from input.
func checkSecret(raw []byte) (secret.Secret, error) {
	b := raw
	if bytes.HasSuffix(b, []byte("\r\n")) {
		b = b[:len(b)-2]
	} else if bytes.HasSuffix(b, []byte("\n")) {
		b = b[:len(b)-1]
	}
	switch {
	case len(b) == 0:
		return secret.Secret{}, fmt.Errorf("%w: empty", errInvalidSecret)
	case len(b) > store.MaxSecretSize:
		return secret.Secret{}, fmt.Errorf("%w: longer than %d bytes",
			errInvalidSecret, store.MaxSecretSize)
	case bytes.IndexByte(b, 0) >= 0:
		return secret.Secret{}, fmt.Errorf("%w: it holds a NUL byte", errInvalidSecret)
	case bytes.ContainsAny(b, "\r\n"):
		return secret.Secret{}, fmt.Errorf("%w: it holds a line break, "+
			"which an HTTP header cannot carry (only one trailing newline is removed)",
			errInvalidSecret)
	}
	return secret.New(string(b)), nil
}
