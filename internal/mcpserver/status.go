package mcpserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/keyref/keyref/internal/resolve"
	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/secret"
)

// aliasEntry is one reference list_aliases offers.
type aliasEntry struct {
	Reference string     `json:"reference"`
	Kind      string     `json:"kind,omitempty"`
	Scopes    []string   `json:"scopes,omitempty"`
	Note      string     `json:"note,omitempty"`
	Expires   *time.Time `json:"expires,omitempty"`
	// CanRefresh says an oauth2 alias renews its access token by itself.
	CanRefresh bool `json:"can_refresh,omitempty"`
	// Via says what an env: reference holds, never a raw value.
	Via string `json:"via,omitempty"`
}

type aliasList struct {
	Aliases      []aliasEntry `json:"aliases"`
	Env          []aliasEntry `json:"env"`
	AliasesError string       `json:"aliases_error,omitempty"`
	Default      string       `json:"default,omitempty"`
	AllowOrigins []string     `json:"allow_origins"`
}

func (s *Server) listAliases(ctx context.Context, c *call, _ mcp.CallToolRequest) (any, error) {
	out := aliasList{Aliases: []aliasEntry{}, Env: s.envRefs(), AllowOrigins: s.cfg.AllowOrigins}
	if out.AllowOrigins == nil {
		out.AllowOrigins = []string{}
	}
	if r, err := resolve.Parse(s.cfg.Token); err == nil {
		out.Default = r.String()
	}
	aliases, err := s.resolver.Helper.List(ctx)
	if err != nil {
		out.AliasesError = err.Error()
		return out, nil
	}
	for _, a := range aliases {
		out.Aliases = append(out.Aliases, aliasEntry{Reference: "keyring:" + a.Name, Kind: a.Kind,
			Scopes: a.Scopes, Note: a.Note, Expires: a.Expires, CanRefresh: a.CanRefresh})
	}
	return out, nil
}

// envRefs lists the BEARER_TOKEN_* variables as env: references, saying
// whether each holds a keyring: reference or a raw token.
func (s *Server) envRefs() []aliasEntry {
	out := []aliasEntry{}
	if s.environ == nil {
		return out
	}
	for _, kv := range s.environ() {
		k, v, _ := strings.Cut(kv, "=")
		name, ok := strings.CutPrefix(k, resolve.EnvPrefix)
		if !ok || name == "" || v == "" {
			continue
		}
		e := aliasEntry{Reference: "env:" + name, Via: "raw token (only to --allow-origin)"}
		if r, err := resolve.Parse(v); err != nil {
			e.Via = "invalid: " + strings.TrimPrefix(err.Error(), resolve.ErrInvalid.Error()+": ")
		} else if r.Kind != resolve.Raw {
			e.Via = r.String()
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reference < out[j].Reference })
	return out
}

type statusArgs struct {
	Token string `json:"token"`
	URL   string `json:"url"`
}

type tokenStatus struct {
	Reference string     `json:"reference"`
	Resolves  bool       `json:"resolves"`
	Error     string     `json:"error,omitempty"`
	Source    string     `json:"source,omitempty"`
	Kind      string     `json:"kind,omitempty"`
	Scopes    []string   `json:"scopes,omitempty"`
	Expires   *time.Time `json:"expires,omitempty"`
	// CanRefresh says an oauth2 alias renews its access token by itself.
	CanRefresh bool `json:"can_refresh,omitempty"`
	// AllowedForURL answers whether the token may go to the url argument.
	AllowedForURL *bool    `json:"allowed_for_url,omitempty"`
	ScopeError    string   `json:"scope_error,omitempty"`
	JWT           *jwtInfo `json:"jwt,omitempty"`
}

func (s *Server) tokenStatus(ctx context.Context, c *call, req mcp.CallToolRequest) (any, error) {
	var a statusArgs
	if err := req.BindArguments(&a); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadArgument, err)
	}
	var dest *scope.Destination
	if a.URL != "" {
		d, err := s.destination(a.URL, "")
		if err != nil {
			return nil, err
		}
		dest = d
	}

	// Resolved without a destination: the token is inspected here and
	// sent nowhere.
	res, err := s.resolveFor(ctx, c, a.Token, nil)
	source := c.getSource()
	if err != nil && source == "" {
		return nil, err // not even a reference
	}
	st := &tokenStatus{Reference: source}
	if err != nil {
		st.Error = err.Error()
		return st, nil
	}
	st.Resolves, st.Source, st.Scopes, st.Expires = true, res.Source, res.Scopes, res.Expires
	st.Kind, st.CanRefresh = res.Kind, res.CanRefresh
	if dest != nil {
		c.setOrigin(dest)
		err := scope.Check(res.Scopes, dest)
		ok := err == nil
		st.AllowedForURL = &ok
		if err != nil {
			st.ScopeError = err.Error()
		}
	}
	st.JWT = decodeJWT(res.Token)
	return st, nil
}

// jwtInfo is what token_status shows of a JWT: claims decoded, signature
// not verified (RFC 7519 section 4.1).
type jwtInfo struct {
	Issuer   string     `json:"issuer,omitempty"`
	Audience any        `json:"audience,omitempty"`
	Scopes   []string   `json:"scopes,omitempty"`
	Expires  *time.Time `json:"expires,omitempty"`
	Expired  bool       `json:"expired"`
	Verified bool       `json:"verified"`
}

// decodeJWT returns a JWT's claims, or nil when tok is not a JWT.
func decodeJWT(tok secret.Secret) *jwtInfo {
	parts := strings.Split(tok.Reveal(), ".")
	if len(parts) != 3 {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var claims struct {
		Iss   string `json:"iss"`
		Aud   any    `json:"aud"`
		Scope string `json:"scope"`
		Scp   any    `json:"scp"`
		Roles []any  `json:"roles"`
		Exp   *int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return nil
	}
	info := &jwtInfo{Issuer: claims.Iss, Audience: claims.Aud}
	info.Scopes = append(strings.Fields(claims.Scope), words(claims.Scp)...)
	info.Scopes = append(info.Scopes, words(claims.Roles)...)
	if claims.Exp != nil {
		exp := time.Unix(*claims.Exp, 0).UTC()
		info.Expires, info.Expired = &exp, !time.Now().Before(exp)
	}
	return info
}

// words flattens a claim that is a space-separated string or an array.
func words(v any) []string {
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		var out []string
		for _, w := range v {
			if s, ok := w.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
