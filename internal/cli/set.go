package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/store"
)

type setOptions struct {
	name     string
	urls     []string
	note     string
	username string
	bearer   bool
}

func newSetCmd(env *Env) *cobra.Command {
	var o setOptions
	cmd := &cobra.Command{
		Use:   "set NAME [--url PREFIX]... [--note TEXT]",
		Short: "Store a token under an alias",
		Long: `Store a token under an alias, replacing what the alias held.

The token is read without echo from a terminal, or from stdin otherwise; one
trailing newline (\n or \r\n) is removed. It is never taken as an argument.

--url scopes the alias to URL prefixes (scheme, host, port and path prefix
must all match; http only to loopback hosts). --url '*' allows any
destination on purpose. Without --url, keyref get refuses every --url.`,
		Example: `  keyref set work --url https://api.example.com/v1/
  printf '%s' "$TOKEN" | keyref set ci --url https://git.example.com/`,
		Args: exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			return runSet(cmd.Context(), env, &o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.urls, "url", nil,
		"URL prefix the token may be sent to (repeatable), or '*'")
	f.StringVar(&o.note, "note", "", "a note shown by list")
	f.StringVar(&o.username, "username", "", "user name the git credential helper answers with")
	f.BoolVar(&o.bearer, "bearer", false, "answer git with authtype=Bearer when git supports it")
	return cmd
}

func runSet(ctx context.Context, env *Env, o *setOptions) error {
	name, err := store.NormalizeName(o.name)
	if err != nil {
		return err
	}
	scopes, err := canonicalScopes(o.urls)
	if err != nil {
		return err
	}
	tok, err := readSecret(env, fmt.Sprintf("Token for %s: ", name))
	if err != nil {
		return err
	}

	rec := &store.Record{
		Kind: store.KindToken, Secret: tok, Scopes: scopes, Note: o.note,
		Username: o.username, Bearer: o.bearer,
	}
	if err := env.store().Put(ctx, name, rec); err != nil {
		return err
	}
	env.logger().Info("set", "alias", name, "scopes", len(scopes))
	return nil
}

// canonicalScopes parses --url values and returns their canonical forms.
func canonicalScopes(urls []string) ([]string, error) {
	var out []string
	for _, u := range urls {
		sc, err := scope.Parse(u)
		if err != nil {
			return nil, err
		}
		out = append(out, sc.String())
	}
	return out, nil
}

// exactArgs is cobra.ExactArgs with a message naming the arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s (got %d arguments)", cmd.Name(), names, len(args))
		}
		return nil
	}
}
