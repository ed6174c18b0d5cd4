package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/oauth"
	"github.com/keyref/keyref/internal/scope"
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

--json prints {"name","kind","token","scopes","expires","can_refresh"} instead.`,
		Args:              exactArgs(1, "NAME"),
		ValidArgsFunction: completeAliases(env),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			return runGet(cmd.Context(), env, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "",
		"destination the token is for; refused outside the alias's scopes")
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
	// CanRefresh is set for an oauth2 alias that renews without a login.
	CanRefresh bool `json:"can_refresh,omitempty"`
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
	rec, err = currentRecord(ctx, env, name, rec, o.minValid)
	if err != nil {
		return err
	}
	tok := rec.Token()

	env.logger().Info("get", "alias", name, "kind", rec.Kind)
	if !o.json {
		_, err = fmt.Fprintln(env.Stdout, tok.Reveal())
		return err
	}
	if !utf8.ValidString(tok.Reveal()) {
		// JSON would turn the invalid bytes into U+FFFD: a changed token.
		return fmt.Errorf("alias %q: the token is not valid UTF-8, so --json cannot carry it "+
			"unchanged; use keyref get without --json", name)
	}
	res := getResult{Name: name, Kind: rec.Kind, Token: tok.Reveal(), Scopes: rec.Scopes}
	if res.Scopes == nil {
		res.Scopes = []string{}
	}
	if rec.OAuth != nil {
		if !rec.OAuth.Expiry.IsZero() {
			res.Expires = &rec.OAuth.Expiry
		}
		res.CanRefresh = canRefresh(rec.OAuth)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
	return err
}

// currentRecord returns the record whose Token an alias hands out now. For
// an oauth2 alias that means refreshing it first when it expires within
// minValid; the refreshed state is in the keychain before this returns.
func currentRecord(ctx context.Context, env *Env, name string, rec *store.Record,
	minValid time.Duration) (*store.Record, error) {
	if rec.Kind != store.KindOAuth2 {
		return rec, nil
	}
	if rec.OAuth == nil {
		return nil, fmt.Errorf("alias %q: %w", name, store.ErrCorrupt)
	}
	if validFor(rec.OAuth, env.now(), minValid) {
		return rec, nil
	}
	return refreshAlias(ctx, env, name, rec, minValid)
}

// validFor reports whether st's access token is valid for d from now. A
// token without a stated expiry counts as valid.
func validFor(st *store.OAuth, now time.Time, d time.Duration) bool {
	return !st.AccessToken.IsZero() && (st.Expiry.IsZero() || st.Expiry.After(now.Add(d)))
}

// refreshAlias refreshes an oauth2 alias under its cross-process lock.
// Processes that wait for the lock find, on reading the record again, that
// the one before them refreshed, and use its token: one refresh request
// for any number of concurrent gets. On a refused refresh the record is
// left as it was: another process may just have stored a good one.
func refreshAlias(ctx context.Context, env *Env, name string, seen *store.Record,
	minValid time.Duration) (*store.Record, error) {
	var out *store.Record
	err := env.store().Update(ctx, name, func(cur *store.Record) (*store.Record, error) {
		if cur == nil {
			return nil, fmt.Errorf("alias %q: %w", name, store.ErrNotFound)
		}
		if cur.Kind != store.KindOAuth2 || cur.OAuth == nil {
			return nil, fmt.Errorf("alias %q: changed kind while refreshing; "+
				"run keyref get again", name)
		}
		now := env.now()
		changed := !cur.OAuth.AccessToken.Equal(seen.OAuth.AccessToken)
		if validFor(cur.OAuth, now, minValid) || changed && validFor(cur.OAuth, now, 0) {
			out = cur // refreshed by another process meanwhile
			return nil, nil
		}
		next, err := renew(ctx, env, name, cur)
		if err != nil {
			return nil, err
		}
		out = next
		return next, nil
	})
	if err != nil {
		return nil, err
	}
	env.logger().Info("refresh", "alias", name, "expires", out.OAuth.Expiry)
	return out, nil
}

// renew fetches new tokens for cur and returns the record to store:
// the new access token and, when the provider rotated it, the new refresh
// token.
func renew(ctx context.Context, env *Env, name string, cur *store.Record) (*store.Record, error) {
	st := cur.OAuth
	c := clientOf(env, st)
	var tok *oauth.Token
	var err error
	switch {
	case st.Grant == grantClientCredentials && !st.ClientSecret.IsZero():
		tok, err = c.ClientCredentials(ctx)
	case !st.RefreshToken.IsZero():
		tok, err = c.Refresh(ctx, st.RefreshToken)
	default:
		return nil, fmt.Errorf("alias %q: the access token expired and there is no refresh token: "+
			"%w: run keyref login %s", name, ErrLoginRequired, name)
	}
	if errors.Is(err, oauth.ErrInvalidGrant) || errors.Is(err, oauth.ErrInvalidClient) {
		return nil, fmt.Errorf("alias %q: the provider refused the refresh (%v): "+
			"%w: run keyref login %s", name, err, ErrLoginRequired, name)
	}
	if err != nil {
		return nil, fmt.Errorf("alias %q: refreshing: %w", name, err)
	}

	next := *cur
	ns := *st
	ns.AccessToken, ns.TokenType, ns.Expiry = tok.AccessToken, tok.TokenType, tok.Expiry
	if !tok.RefreshToken.IsZero() {
		ns.RefreshToken = tok.RefreshToken
	}
	next.OAuth = &ns
	return &next, nil
}
