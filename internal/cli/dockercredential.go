package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/dockercred"
	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/store"
)

// dockerNote marks the aliases docker's store created; only those may be
// replaced by store and removed by erase.
const dockerNote = "stored by docker"

// errDockerNotFound is docker's "not found", printed on stdout as the
// protocol asks.
var errDockerNotFound = errors.New(dockercred.MsgNotFound)

func newDockerCredentialCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "docker-credential get|store|erase|list|version",
		Short: "Answer docker as a credential helper (\"credsStore\": \"keyref\")",
		Long: `Speak docker's credential helper protocol on stdin and stdout; docker
runs it as docker-credential-keyref. get matches the server URL against
alias scopes as the git helper does (a bare host means https). store
creates an alias docker-HOST, or replaces one docker created, never one
you set; erase removes only aliases docker created. list prints scopes
and user names, never a secret. See docs/git.md.`,
		Args: exactArgs(1, "an operation (get, store, erase, list or version)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dockerReport(env, runDockerCredential(cmd.Context(), env, args[0]))
		},
	}
}

// dockerReport prints err where docker's client reads it, on stdout, as
// docker-credential-helpers' helpers do: stderr never reaches the user.
// Bad input, like "not found", exits 1 as those helpers do; other failures
// keep keyref's code (keychain unavailable, login required), which docker
// only sees as non-zero.
func dockerReport(env *Env, err error) error {
	if err == nil {
		return nil
	}
	fmt.Fprintln(env.Stdout, dockerMessage(err))
	code := exitCode(err)
	if code == ExitUsage {
		code = ExitFailure
	}
	return exitError{code}
}

// dockerMessage returns the protocol message docker's client matches.
func dockerMessage(err error) string {
	for _, m := range []string{dockercred.MsgNotFound, dockercred.MsgMissingServerURL,
		dockercred.MsgMissingUsername} {
		if strings.Contains(err.Error(), m) {
			return m
		}
	}
	return err.Error()
}

func runDockerCredential(ctx context.Context, env *Env, op string) error {
	switch op {
	case "get":
		return dockerGet(ctx, env)
	case "store":
		return dockerStore(ctx, env)
	case "erase":
		return dockerErase(ctx, env)
	case "list":
		return dockerList(ctx, env)
	case "version":
		_, err := fmt.Fprintln(env.Stdout, "keyref docker-credential")
		return err
	}
	return usagef("docker-credential: unknown operation %q", op)
}

// dockerFind returns the alias entry covering serverURL, or
// errDockerNotFound.
func dockerFind(ctx context.Context, env *Env, serverURL string) (*store.Entry, error) {
	req, err := dockercred.Request(serverURL)
	if err != nil {
		return nil, err
	}
	e, err := matchAlias(ctx, env, req)
	if err == nil && e == nil {
		err = errDockerNotFound
	}
	return e, err
}

// dockerRead reads the server URL get and erase take on stdin and returns
// it with the alias entry covering it, or errDockerNotFound.
func dockerRead(ctx context.Context, env *Env) (string, *store.Entry, error) {
	serverURL, err := dockercred.ReadServerURL(env.Stdin)
	if err != nil {
		return "", nil, err
	}
	e, err := dockerFind(ctx, env, serverURL)
	return serverURL, e, err
}

func dockerGet(ctx context.Context, env *Env) error {
	serverURL, e, err := dockerRead(ctx, env)
	if err != nil {
		return err
	}
	rec, err := currentRecord(ctx, env, e.Name, e.Record, gitMinValid)
	if err != nil {
		return err
	}

	c := &dockercred.Credentials{
		ServerURL: serverURL, Username: rec.Username, Secret: rec.Token(),
	}
	if c.Username == "" {
		c.Username = DefaultGitUsername
	}
	b, err := dockercred.EncodeGet(c)
	if err != nil {
		return err
	}
	defer clear(b)
	_, err = env.Stdout.Write(b)
	env.logger().Info("docker-credential get", "alias", e.Name)
	return err
}

func dockerStore(ctx context.Context, env *Env) error {
	c, err := dockercred.ParseStore(env.Stdin)
	if err != nil {
		return err
	}
	rec := &store.Record{
		Kind: store.KindToken, Secret: c.Secret, Username: c.Username, Note: dockerNote,
	}
	e, err := dockerFind(ctx, env, c.ServerURL)
	switch {
	case errors.Is(err, errDockerNotFound):
		return dockerCreate(ctx, env, c.ServerURL, rec)
	case err != nil:
		return err
	case e.Record.Note != dockerNote:
		return fmt.Errorf("alias %q covers %s and was set by you; not replacing it "+
			"(use keyref set %s)", e.Name, scope.Redact(dockerURL(c.ServerURL)), e.Name)
	}
	rec.Scopes = e.Record.Scopes
	return env.store().Update(ctx, e.Name, func(cur *store.Record) (*store.Record, error) {
		if cur == nil || cur.Note != dockerNote {
			return nil, fmt.Errorf("alias %q changed while storing; not replacing it", e.Name)
		}
		return rec, nil
	})
}

// dockerURL gives a bare registry host its https scheme.
func dockerURL(serverURL string) string {
	if strings.Contains(serverURL, "://") {
		return serverURL
	}
	return "https://" + serverURL
}

func dockerCreate(ctx context.Context, env *Env, serverURL string, rec *store.Record) error {
	sc, err := scope.Parse(dockerURL(serverURL))
	if err != nil {
		return err
	}
	if sc.Path != "/" && !strings.HasSuffix(sc.Path, "/") {
		sc.Path += "/"
	}
	rec.Scopes = []string{sc.String()}
	name, err := createUnique(ctx, env.store(), dockerName(sc.Host), rec)
	if err == nil {
		env.logger().Info("docker-credential store", "alias", name, "scope", sc.String())
	}
	return err
}

func dockerName(host string) string {
	return "docker-" + strings.TrimPrefix(learnedName(host), "git-")
}

func dockerErase(ctx context.Context, env *Env) error {
	_, e, err := dockerRead(ctx, env)
	if err != nil {
		return err
	}
	if e.Record.Note != dockerNote {
		return fmt.Errorf("alias %q was set by you; not removing it (use keyref rm %s)",
			e.Name, e.Name)
	}
	_, err = env.store().DeleteIf(ctx, e.Name, func(cur *store.Record) bool {
		return cur.Note == dockerNote
	})
	return err
}

func dockerList(ctx context.Context, env *Env) error {
	entries, err := env.store().List(ctx)
	if err != nil {
		return err
	}
	out := map[string]string{}
	for _, e := range entries {
		user := e.Record.Username
		if user == "" {
			user = DefaultGitUsername
		}
		for _, s := range e.Record.Scopes {
			if s != scope.Any {
				out[s] = user
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
	return err
}
