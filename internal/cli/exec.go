package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/store"
)

// Exit codes of exec when the command cannot run, as shells use them.
const (
	exitCannotRun = 126 // found but could not be started
	exitNoCommand = 127 // not found
)

// forwardSignals are passed on to the child. On Windows only a kill can
// be delivered; the others are dropped there.
var forwardSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// envVarName is compiled on first use: every keyref process would pay for
// it at start, and only exec needs it.
var envVarName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
})

type execOptions struct {
	envs    []string // VAR=keyring:NAME
	args    []string // the command and its arguments
	environ func() []string
}

func newExecCmd(env *Env) *cobra.Command {
	o := execOptions{environ: os.Environ}
	cmd := &cobra.Command{
		Use:   "exec --env VAR=keyring:NAME... [--] CMD [ARGS...]",
		Short: "Run a command with alias tokens in its environment",
		Long: `Run CMD with each VAR set to the token of alias NAME, on top of keyref's
own environment. No shell is involved, and the tokens go nowhere but the
child's environment: never into its arguments, never on any output.

Signals keyref receives (interrupt, terminate, hang-up, quit) are passed
to CMD, and keyref exits with CMD's exit code, or 128+N when CMD died of
signal N. 127 means CMD was not found, 126 that it could not be started;
keyref's own codes (2 usage, 3 alias not found, ...) apply before CMD runs.`,
		Example: `  keyref exec --env GITHUB_TOKEN=keyring:gh -- gh repo list
  keyref exec --env API_TOKEN=keyring:work -- ./deploy.sh --prod`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("exec takes a command to run")
			}
			o.args = args
			return runExec(cmd.Context(), env, &o)
		},
	}
	cmd.Flags().SetInterspersed(false) // CMD's own flags are CMD's
	cmd.Flags().StringArrayVar(&o.envs, "env", nil,
		"VAR=keyring:NAME: set VAR to alias NAME's token (repeatable)")
	return cmd
}

func runExec(ctx context.Context, env *Env, o *execOptions) error {
	vars, err := resolveEnv(ctx, env, o.envs)
	if err != nil {
		return err
	}
	path, err := exec.LookPath(o.args[0])
	if err != nil {
		// exec's own error already begins "exec: ".
		fmt.Fprintf(env.Stderr, "keyref: %v\n", err)
		return exitError{exitNoCommand}
	}

	c := exec.Command(path, o.args[1:]...)
	c.Args[0] = o.args[0]
	c.Stdin, c.Stdout, c.Stderr = env.Stdin, env.Stdout, env.Stderr
	c.Env = childEnv(o.environ(), vars)
	clear(vars)
	env.logger().Info("exec", "command", o.args[0], "vars", len(o.envs))
	if code := runChild(env, c); code != ExitOK {
		return exitError{code}
	}
	return nil
}

// resolveEnv returns "VAR=token" for each spec. Errors name the variable
// and the alias, never the part after "keyring:" when it is no alias name
// (a pasted token must not be echoed).
func resolveEnv(ctx context.Context, env *Env, specs []string) (map[string]string, error) {
	vars := map[string]string{}
	st := env.store()
	for _, spec := range specs {
		name, ref, ok := strings.Cut(spec, "=")
		if !ok || !envVarName().MatchString(name) {
			return nil, usagef("--env: want VAR=keyring:NAME with VAR a variable name")
		}
		alias, ok := strings.CutPrefix(ref, "keyring:")
		if !ok {
			return nil, usagef("--env %s: the value must be keyring:NAME", name)
		}
		alias, err := store.NormalizeName(alias)
		if err != nil {
			return nil, fmt.Errorf("--env %s: %w", name, err)
		}
		rec, err := st.Get(ctx, alias)
		if err != nil {
			return nil, fmt.Errorf("--env %s: %w", name, err)
		}
		rec, err = currentRecord(ctx, env, alias, rec, 5*time.Minute)
		if err != nil {
			return nil, fmt.Errorf("--env %s: %w", name, err)
		}
		vars[name] = rec.Token().Reveal()
	}
	return vars, nil
}

// childEnv is base with every VAR in vars replaced.
func childEnv(base []string, vars map[string]string) []string {
	out := make([]string, 0, len(base)+len(vars))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := vars[name]; !ok {
			out = append(out, kv)
		}
	}
	for name, v := range vars {
		out = append(out, name+"="+v)
	}
	return out
}

// runChild starts c, forwards signals to it until it ends and returns the
// exit code keyref should end with.
func runChild(env *Env, c *exec.Cmd) int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwardSignals...)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		fmt.Fprintf(env.Stderr, "keyref: exec: %v\n", err)
		return exitCannotRun
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = c.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := c.Wait()
	close(done)

	var ee *exec.ExitError
	switch {
	case err == nil:
		return ExitOK
	case !errors.As(err, &ee):
		fmt.Fprintf(env.Stderr, "keyref: exec: %v\n", err)
		return ExitFailure
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}
