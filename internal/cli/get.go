package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/secret"
	"github.com/keyref/keyref/internal/store"
)

type getOptions struct {
	name     string
	url      string
	json     bool
	minValid time.Duration
}

func newGetCmd(env *Env) *cobra.Command {
	var o getOptions
	cmd := &cobra.Command{
		Use:   "get NAME [--url URL]",
		Short: "Print an alias's token on stdout",
		Long: `Print the alias's token and one newline on stdout.

With --url, the token is printed only when the URL lies under one of the
alias's scopes (exit 5 otherwise). An alias set without --url is refused for
every --url. For an oauth2 alias the access token is refreshed first when it
expires within --min-valid.

--json prints {"name","kind","token","scopes","expires"} instead.`,
		Args:              exactArgs(1, "NAME"),
		ValidArgsFunction: completeAliases(env),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			return runGet(cmd.Context(), env, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "", "destination the token is for; refused outside the alias's scopes")
	f.BoolVar(&o.json, "json", false, "print JSON with the token and its scopes")
	f.DurationVar(&o.minValid, "min-valid", 5*time.Minute,
		"oauth2: refresh when the access token expires sooner than this")
	return cmd
}

// getResult is the JSON of `keyref get --json`, read by keyref-mcp.
type getResult struct {
	Name    string     `json:"name"`
	Kind    store.Kind `json:"kind"`
	Token   string     `json:"token"`
	Scopes  []string   `json:"scopes"`
	Expires *time.Time `json:"expires,omitempty"`
}

func runGet(ctx context.Context, env *Env, o *getOptions) error {
	name, err := store.NormalizeName(o.name)
	if err != nil {
		return err
	}
	var dest *scope.Destination
	if o.url != "" {
		if dest, err = scope.ParseDestination(o.url); err != nil {
			return err
		}
	}

	rec, err := env.store().Get(ctx, name)
	if err != nil {
		return err
	}
	if dest != nil {
		if err := scope.Check(rec.Scopes, dest); err != nil {
			return fmt.Errorf("alias %q: %w", name, err)
		}
	}
	tok, rec, err := currentToken(ctx, env, name, rec, o.minValid)
	if err != nil {
		return err
	}

	env.logger().Info("get", "alias", name, "kind", rec.Kind)
	if !o.json {
		_, err = fmt.Fprintln(env.Stdout, tok.Reveal())
		return err
	}
	res := getResult{Name: name, Kind: rec.Kind, Token: tok.Reveal(), Scopes: rec.Scopes}
	if res.Scopes == nil {
		res.Scopes = []string{}
	}
	if rec.OAuth != nil && !rec.OAuth.Expiry.IsZero() {
		res.Expires = &rec.OAuth.Expiry
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
	return err
}

// currentToken returns the token an alias hands out now. For an oauth2
// alias that means refreshing it first when it is about to expire.
func currentToken(ctx context.Context, env *Env, name string, rec *store.Record,
	minValid time.Duration) (secret.Secret, *store.Record, error) {
	if rec.Kind != store.KindOAuth2 {
		return rec.Secret, rec, nil
	}
	// TODO: refresh through internal/oauth once `keyref login` lands; until
	// then an oauth2 alias hands out its stored access token while valid.
	if rec.OAuth.Expiry.IsZero() || rec.OAuth.Expiry.After(env.now().Add(minValid)) {
		return rec.OAuth.AccessToken, rec, nil
	}
	return secret.Secret{}, rec, fmt.Errorf("alias %q: access token expired: %w (run keyref login %s)",
		name, ErrLoginRequired, name)
}
