package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/keychain"
	"github.com/keyref/keyref/internal/oauth"
	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/store"
)

// Exit codes, documented in the README and docs/exit-codes.md.
const (
	ExitOK            = 0
	ExitFailure       = 1 // any other failure
	ExitUsage         = 2 // usage or invalid input
	ExitNotFound      = 3 // alias not found
	ExitUnavailable   = 4 // keychain unavailable, locked or timed out
	ExitOutOfScope    = 5 // destination outside the alias's scope
	ExitLoginRequired = 6 // an OAuth alias needs `keyref login` again
	ExitDenied        = 7 // keyref login: the provider or user denied the request
	ExitExpired       = 8 // keyref login: the device code expired before approval
)

// ExitInterrupted reports a command stopped by Ctrl-C, the status shells
// give a process ended by SIGINT.
const ExitInterrupted = 130

// ErrLoginRequired reports an OAuth alias whose refresh was refused.
var ErrLoginRequired = errors.New("login required")

// usageError marks an error in how keyref was called.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// usagef returns a usage error.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCode maps an error to keyref's exit code. It is the one place the
// codes are chosen.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &u), errors.Is(err, store.ErrInvalidName),
		errors.Is(err, scope.ErrInvalid), errors.Is(err, errInvalidSecret),
		errors.Is(err, store.ErrTooLarge):
		return ExitUsage
	case errors.Is(err, store.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, keychain.ErrUnavailable):
		return ExitUnavailable
	case errors.Is(err, scope.ErrOutside):
		return ExitOutOfScope
	case errors.Is(err, ErrLoginRequired):
		return ExitLoginRequired
	case errors.Is(err, oauth.ErrAccessDenied):
		return ExitDenied
	case errors.Is(err, oauth.ErrExpiredToken):
		return ExitExpired
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	return ExitFailure
}

// report prints err on stderr once and returns its exit code.
func report(env *Env, cmd *cobra.Command, err error) int {
	code := exitCode(err)
	var ex exitError
	if errors.As(err, &ex) {
		return ex.code // the command already said what happened
	}
	if code == ExitInterrupted {
		fmt.Fprintln(env.Stderr, "keyref: interrupted")
		return code
	}
	fmt.Fprintf(env.Stderr, "keyref: %v\n", err)
	if code == ExitUsage && cmd != nil && isCobraUsage(err) {
		fmt.Fprintf(env.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// exitError carries an exit code for a command that reported its own
// outcome, such as doctor.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// flagError rewrites cobra's and pflag's flag errors so that they name the
// flag but not the value: a token pasted after the wrong flag must not be
// echoed.
func flagError(err error) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, `invalid argument "`):
		if i := strings.Index(msg, `" for "`); i > 0 {
			rest := msg[i+len(`" for `):]
			if j := strings.Index(rest, " flag"); j > 0 {
				rest = rest[:j]
			}
			return usagef("invalid value for %s", rest)
		}
		return usagef("invalid flag value")
	case strings.HasPrefix(msg, "unknown flag: "):
		name := strings.TrimPrefix(msg, "unknown flag: ")
		if !looksLikeWord(strings.TrimLeft(name, "-")) {
			return usagef("unknown flag (an argument of %d characters)", len(name))
		}
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		if i := strings.Index(msg, " in "); i > 0 {
			return usagef("%s", msg[:i])
		}
	}
	return usageError{err}
}

func isCobraUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}
