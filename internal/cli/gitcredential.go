package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/gitcred"
	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/secret"
	"github.com/keyref/keyref/internal/store"
)

// DefaultGitUsername is the user name keyref answers git and docker with
// when the alias has none and the request names none either. Hosts that
// take tokens as passwords ignore the user name (GitHub, GitLab, Gitea) or
// document this one (GitHub App and Actions tokens); it names no person,
// so nothing is guessed from the machine.
const DefaultGitUsername = "x-access-token"

// gitMinValid is how long an oauth2 access token must still be valid when
// handed to git or docker; either may run for a while with it.
const gitMinValid = 5 * time.Minute

// helperNames maps the names keyref answers to as a credential helper to
// the command they run.
var helperNames = map[string]string{
	"git-credential-keyref":    "git-credential",
	"docker-credential-keyref": "docker-credential",
}

// helperArgs turns the arguments of a binary started as
// git-credential-keyref or docker-credential-keyref (with or without
// .exe) into those of the matching keyref command.
func helperArgs(args0 string, args []string) []string {
	if cmd, ok := helperNames[commandName(args0)]; ok {
		return append([]string{cmd}, args...)
	}
	return args
}

// commandName is the base name of a command path, lowercased and without
// .exe; Windows paths are split on any OS.
func commandName(path string) string {
	base := strings.ToLower(path[strings.LastIndexAny(path, `/\`)+1:])
	return strings.TrimSuffix(base, ".exe")
}

type gitCredOptions struct {
	op    string
	learn bool
}

func newGitCredentialCmd(env *Env) *cobra.Command {
	var o gitCredOptions
	cmd := &cobra.Command{
		Use:   "git-credential get|store|erase",
		Short: "Answer git as a credential helper (git config credential.helper keyref)",
		Long: `Speak git's credential helper protocol (gitcredentials(7)) on stdin and
stdout. git runs it as git-credential-keyref when credential.helper is
"keyref"; see docs/git.md.

get prints the username and password of the alias whose --url scope covers
git's protocol, host, port and (with credential.useHttpPath) path, the
longest prefix winning. It prints nothing when no alias matches, so git
asks its next helper. store saves nothing unless --learn is given, and
never overwrites an alias. erase removes an alias only when git rejected
exactly the stored token; an oauth2 alias drops just its access token.
Other operations are ignored.`,
		Args: exactArgs(1, "an operation (get, store or erase)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.op = args[0]
			return runGitCredential(cmd.Context(), env, &o)
		},
	}
	cmd.Flags().BoolVar(&o.learn, "learn", false,
		"store: save credentials git learned elsewhere as new aliases scoped to their URL")
	return cmd
}

func runGitCredential(ctx context.Context, env *Env, o *gitCredOptions) error {
	log := env.logger().With("op", "git-credential "+o.op)
	if o.op != "get" && o.op != "store" && o.op != "erase" {
		log.Debug("ignored unknown operation")
		return nil
	}
	req, err := gitcred.Parse(env.Stdin)
	if err != nil {
		return usageError{err}
	}
	if !needsAliases(o, req) {
		log.Debug("nothing to do", "protocol", req.Protocol, "host", req.Host)
		return nil
	}

	e, err := matchAlias(ctx, env, req)
	if err != nil {
		return err
	}
	found := e != nil
	switch {
	case o.op == "get" && found:
		return gitGet(ctx, env, req, e.Name, e.Record)
	case o.op == "erase" && found:
		return gitErase(ctx, env, req, e.Name)
	case o.op == "store" && !found:
		return gitLearn(ctx, env, req)
	}
	log = log.With("protocol", req.Protocol, "host", req.Host)
	if found {
		log = log.With("alias", e.Name)
	}
	log.Debug("nothing to do", "matched", found)
	return nil
}

// needsAliases reports whether the operation can do anything, before the
// keychain is read: git sends store after every use of a credential (only
// --learn stores), erase without a rejected secret must never erase
// blindly, and a credential with an expiry belongs to the helper that
// made it and is not learned.
func needsAliases(o *gitCredOptions, req *gitcred.Request) bool {
	switch o.op {
	case "store":
		return o.learn && !req.Password.IsZero() && req.PasswordExpiry.IsZero()
	case "erase":
		return !rejected(req).IsZero()
	}
	return true
}

// matchAlias reads every alias once and returns the one whose scope covers
// req (gitcred.Find), or nil when none does. The git and docker helpers
// both choose aliases through it.
func matchAlias(ctx context.Context, env *Env, req *gitcred.Request) (*store.Entry, error) {
	entries, err := env.store().List(ctx)
	if err != nil {
		return nil, err
	}
	cands := make([]gitcred.Candidate, 0, len(entries))
	for _, e := range entries {
		cands = append(cands, gitcred.Candidate{
			Name: e.Name, Scopes: e.Record.Scopes, Username: e.Record.Username,
		})
	}
	m, ok := gitcred.Find(req, cands)
	if !ok {
		return nil, nil
	}
	i := slices.IndexFunc(entries, func(e store.Entry) bool { return e.Name == m.Name })
	return &entries[i], nil
}

// gitGet writes the answer for alias name, in one write.
func gitGet(ctx context.Context, env *Env, req *gitcred.Request, name string,
	rec *store.Record) error {
	rec, err := currentRecord(ctx, env, name, rec, gitMinValid)
	if err != nil {
		return err
	}
	tok := rec.Token()
	if tok.IsZero() {
		env.logger().Debug("git-credential get: alias has no token", "alias", name)
		return nil
	}

	a := gitcred.Answer{Username: rec.Username}
	if a.Username == "" {
		a.Username = req.Username
	}
	if a.Username == "" {
		a.Username = DefaultGitUsername
	}
	if rec.Bearer && req.HasCapability("authtype") {
		a = gitcred.Answer{AuthType: "Bearer", Credential: tok}
	} else {
		a.Password = tok
	}
	if rec.Kind == store.KindOAuth2 && rec.OAuth != nil {
		a.PasswordExpiry = rec.OAuth.Expiry
	}
	b, err := a.Encode()
	if err != nil {
		return fmt.Errorf("alias %q: %w", name, err)
	}
	defer clear(b)
	_, err = env.Stdout.Write(b)
	env.logger().Info("git-credential get", "alias", name, "kind", rec.Kind,
		"authtype", a.AuthType)
	return err
}

// rejected returns the secret git says failed: the password, or the
// pre-encoded credential of an authtype answer.
func rejected(req *gitcred.Request) secret.Secret {
	if !req.Password.IsZero() {
		return req.Password
	}
	return req.Credential
}

// gitErase handles git's erase for alias name. The comparison with the
// stored value happens under the alias's lock, so a token set since git
// read it is never removed.
func gitErase(ctx context.Context, env *Env, req *gitcred.Request, name string) error {
	bad := rejected(req) // not zero: see needsAliases
	st := env.store()
	var dropped bool
	err := st.Update(ctx, name, func(cur *store.Record) (*store.Record, error) {
		if cur == nil || cur.Kind != store.KindOAuth2 || cur.OAuth == nil ||
			!cur.OAuth.AccessToken.Equal(bad) {
			return nil, nil
		}
		next, oa := *cur, *cur.OAuth
		oa.AccessToken, oa.Expiry = secret.Secret{}, env.now()
		next.OAuth = &oa
		dropped = true
		return &next, nil
	})
	if err != nil {
		return err
	}
	if dropped {
		env.logger().Info("git-credential erase: dropped the access token", "alias", name)
		return nil
	}
	deleted, err := st.DeleteIf(ctx, name, func(cur *store.Record) bool {
		return cur.Kind == store.KindToken && cur.Secret.Equal(bad)
	})
	env.logger().Info("git-credential erase", "alias", name, "deleted", deleted)
	return err
}

// gitLearn saves a credential git got elsewhere as a new alias scoped to
// its URL. Expiring credentials (password_expiry_utc) belong to the helper
// that made them and are not learned.
func gitLearn(ctx context.Context, env *Env, req *gitcred.Request) error {
	log := env.logger().With("op", "git-credential store --learn")
	dest, err := req.Destination()
	if err != nil {
		log.Warn("not learning a credential keyref cannot scope", "error", err)
		return nil
	}
	sc, err := scope.Parse(dest.String())
	if err != nil {
		log.Warn("not learning a credential keyref cannot scope", "error", err)
		return nil
	}
	rec := &store.Record{
		Kind: store.KindToken, Secret: req.Password, Scopes: []string{sc.String()},
		Username: req.Username, Note: "learned from git",
	}
	name, err := createUnique(ctx, env.store(), learnedName(req.Host), rec)
	if err != nil {
		return err
	}
	log.Info("learned", "alias", name, "scope", sc.String())
	return nil
}

// learnedName turns a host into an alias name: "git-" and the host with
// every character an alias cannot hold replaced by '-', cut short to leave
// room for the "-N" createUnique may add.
func learnedName(host string) string {
	n := []byte("git-" + strings.ToLower(host))
	for i, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			n[i] = '-'
		}
	}
	return string(n[:min(len(n), store.MaxNameLen-3)])
}

// createUnique stores rec under base, or base-2 ... base-9 when taken,
// never replacing an alias. It returns the name used.
func createUnique(ctx context.Context, st *store.Store, base string,
	rec *store.Record) (string, error) {
	for i := 1; i <= 9; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		created := false
		err := st.Update(ctx, name, func(cur *store.Record) (*store.Record, error) {
			if cur != nil {
				return nil, nil
			}
			created = true
			return rec, nil
		})
		if err != nil || created {
			return name, err
		}
	}
	return "", fmt.Errorf("alias %q: %w (and %s-2 to -9)", base, store.ErrExists, base)
}
