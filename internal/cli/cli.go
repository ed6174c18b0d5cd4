// Package cli is the keyref command tree. Main is its one entry point;
// every command reads and writes through an Env, so tests run commands in
// process with their own streams, clock and keychain.
//
// stdout carries only the result a command was asked for (a token, JSON,
// protocol lines); prompts, progress and diagnostics go to stderr. No
// command prints a secret anywhere but stdout, and only where its
// documentation says so.
package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/keyref/keyref/internal/keychain"
	"github.com/keyref/keyref/internal/store"
	"github.com/keyref/keyref/internal/version"
)

// Env is the world a command runs in.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time
	// Keychain is the backend; nil means the OS keychain.
	Keychain keychain.Backend
	// LockDir overrides where the alias locks live; empty means
	// lockdir.Default(), which honours KEYREF_LOCK_DIR.
	LockDir string
	// Args0 is the name the binary was started as; it selects the git and
	// docker credential helper modes.
	Args0 string
}

func (e *Env) getenv(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

func (e *Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// backend returns the keychain the commands use.
func (e *Env) backend() keychain.Backend {
	if e.Keychain != nil {
		return e.Keychain
	}
	// The keychain lock is the user's, whatever LockDir a test gives the
	// alias locks: the daemon it protects is shared.
	sys := &keychain.System{Getenv: e.Getenv}
	if d := keychainTimeout(e.getenv("KEYREF_KEYCHAIN_TIMEOUT")); d > 0 {
		sys.Timeout = d
	}
	return sys
}

// keychainTimeout reads KEYREF_KEYCHAIN_TIMEOUT: a Go duration ("10s",
// "1m30s") or a whole number of seconds. Anything else is zero, the
// default.
func keychainTimeout(v string) time.Duration {
	if d, err := time.ParseDuration(v); err == nil {
		return d
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 1<<31 {
		return time.Duration(n) * time.Second
	}
	return 0
}

// store returns the alias store.
func (e *Env) store() *store.Store {
	return store.New(e.backend(), store.Options{LockDir: e.LockDir, Now: e.Now})
}

// logger returns the diagnostics logger: quiet unless KEYREF_LOG asks.
func (e *Env) logger() *slog.Logger {
	level := slog.LevelWarn
	switch strings.ToLower(e.getenv("KEYREF_LOG")) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: level}))
}

// stdinTerminal reports whether stdin is an interactive terminal, and its
// file descriptor.
func (e *Env) stdinTerminal() (int, bool) {
	f, ok := e.Stdin.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// Main runs keyref with args (without the program name) and returns the
// exit code.
func Main(ctx context.Context, env *Env, args []string) int {
	args = helperArgs(env.Args0, args)
	root := newRoot(env)
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	return report(env, cmd, err)
}

func newRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "keyref",
		Short: "Keep bearer tokens in the OS keychain and hand them out by alias",
		Long: `keyref stores bearer tokens under short aliases in the OS keychain (macOS
Keychain, Windows Credential Manager, Linux Secret Service) and hands them to
scripts, git and keyref-mcp, scoped to the URLs each alias may be sent to.

Exit codes: 0 ok, 1 other failure, 2 usage or invalid input, 3 alias not
found, 4 keychain unavailable, locked or timed out, 5 destination outside the
alias's scope, 6 login required, 7 login denied, 8 login code expired,
130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.String(),
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	// An unknown first word is a usage error (exit 2), and it is echoed
	// only when it looks like a mistyped command, not like a token.
	root.Args = cobra.ArbitraryArgs
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		if looksLikeWord(args[0]) {
			return usagef("unknown command %q", args[0])
		}
		return usagef("unknown command (an argument of %d characters)", len(args[0]))
	}
	root.AddCommand(
		newSetCmd(env),
		newGetCmd(env),
		newListCmd(env),
		newRmCmd(env),
		newRenameCmd(env),
		newDoctorCmd(env),
		newLoginCmd(env),
		newLogoutCmd(env),
		newGitCredentialCmd(env),
		newDockerCredentialCmd(env),
		newExecCmd(env),
		newImportCmd(env),
		newMCPConfigCmd(env),
	)
	return root
}

// looksLikeWord reports whether s could be a mistyped command name.
func looksLikeWord(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '-' {
			return false
		}
	}
	return true
}

// completeAliases completes alias names from the index.
func completeAliases(env *Env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names, _ := env.store().Names(cmd.Context())
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
