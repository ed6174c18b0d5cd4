package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/store"
)

func newListCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list [--json]",
		Aliases: []string{"ls"},
		Short:   "List aliases with their kind, scopes and note (never a secret)",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runList(cmd.Context(), env, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

// listEntry is one alias in `keyref list --json`. It has no field that
// could hold a secret.
type listEntry struct {
	Name       string     `json:"name"`
	Kind       store.Kind `json:"kind"`
	Scopes     []string   `json:"scopes"`
	Note       string     `json:"note,omitempty"`
	Username   string     `json:"username,omitempty"`
	Bearer     bool       `json:"bearer,omitempty"`
	Created    time.Time  `json:"created"`
	Updated    time.Time  `json:"updated"`
	Expires    *time.Time `json:"expires,omitempty"`
	CanRefresh bool       `json:"can_refresh,omitempty"`
	Issuer     string     `json:"issuer,omitempty"`
}

// canRefresh reports whether an OAuth alias can renew its access token
// without a new login. A client secret renews only a client credentials
// alias; a device flow alias needs its refresh token.
func canRefresh(o *store.OAuth) bool {
	return !o.RefreshToken.IsZero() || o.Grant == grantClientCredentials && !o.ClientSecret.IsZero()
}

func newListEntry(e store.Entry) listEntry {
	r := e.Record
	le := listEntry{
		Name: e.Name, Kind: r.Kind, Scopes: r.Scopes, Note: r.Note, Username: r.Username,
		Bearer: r.Bearer, Created: r.Created, Updated: r.Updated,
	}
	if le.Scopes == nil {
		le.Scopes = []string{}
	}
	if o := r.OAuth; o != nil {
		if !o.Expiry.IsZero() {
			exp := o.Expiry
			le.Expires = &exp
		}
		le.CanRefresh = canRefresh(o)
		le.Issuer = o.Issuer
	}
	return le
}

func runList(ctx context.Context, env *Env, asJSON bool) error {
	entries, err := env.store().List(ctx)
	if err != nil {
		return err
	}
	out := make([]listEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, newListEntry(e))
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(out) == 0 {
		fmt.Fprintln(env.Stderr, "no aliases; add one with keyref set NAME --url PREFIX")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tSCOPES\tUPDATED\tNOTE")
	for _, e := range out {
		scopes := strings.Join(e.Scopes, ",")
		if scopes == "" {
			scopes = "(none)"
		}
		kind := string(e.Kind)
		if e.Expires != nil {
			kind += " (expires " + e.Expires.Local().Format(time.DateTime)
			if e.CanRefresh {
				kind += ", refreshable"
			}
			kind += ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Name, kind, scopes,
			e.Updated.Local().Format(time.DateTime), e.Note)
	}
	return tw.Flush()
}
