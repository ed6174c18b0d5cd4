package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/oauth"
	"github.com/keyref/keyref/internal/store"
)

type logoutOptions struct {
	name  string
	force bool // remove the alias even when revocation fails
}

func newLogoutCmd(env *Env) *cobra.Command {
	var o logoutOptions
	cmd := &cobra.Command{
		Use:   "logout NAME",
		Short: "Revoke an oauth2 alias's tokens at the provider and remove the alias",
		Long: `Revoke the alias's refresh token, or its access token when it has none, at
the provider (RFC 7009) when the provider offers revocation, then remove the
alias. When revocation fails the alias is kept, so that you can try again;
--force removes it anyway. For a token alias this is keyref rm.`,
		Args:              exactArgs(1, "NAME"),
		ValidArgsFunction: completeAliases(env),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			return runLogout(cmd.Context(), env, &o)
		},
	}
	cmd.Flags().BoolVar(&o.force, "force", false, "remove the alias even if revocation fails")
	return cmd
}

func runLogout(ctx context.Context, env *Env, o *logoutOptions) error {
	name, err := store.NormalizeName(o.name)
	if err != nil {
		return err
	}
	rec, err := env.store().Get(ctx, name)
	if err != nil {
		return err
	}

	if rec.Kind == store.KindOAuth2 && rec.OAuth != nil {
		err := revokeAlias(ctx, env, rec.OAuth)
		switch {
		case errors.Is(err, oauth.ErrNoRevocation):
			fmt.Fprintln(env.Stderr, "the provider offers no revocation; "+
				"the tokens stay valid until they expire")
		case err != nil && !o.force:
			return fmt.Errorf("alias %q: revoking at the provider: %w (the alias is kept; "+
				"--force removes it anyway)", name, err)
		case err != nil:
			fmt.Fprintf(env.Stderr,
				"revoking at the provider: %v; removing the alias anyway\n", err)
		default:
			fmt.Fprintln(env.Stderr, "revoked at the provider")
		}
	}
	if err := env.store().Delete(ctx, name); err != nil {
		return err
	}
	env.logger().Info("logout", "alias", name)
	return nil
}

// revokeAlias revokes the refresh token, which ends the grant at the
// providers that implement RFC 7009 section 2.1's advice, and then the
// access token, which some providers keep valid otherwise.
func revokeAlias(ctx context.Context, env *Env, st *store.OAuth) error {
	c := clientOf(env, st)
	if err := c.Revoke(ctx, st.RefreshToken, oauth.HintRefreshToken); err != nil {
		return err
	}
	return c.Revoke(ctx, st.AccessToken, oauth.HintAccessToken)
}
