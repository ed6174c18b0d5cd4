package resolve

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/secret"
)

// Resolved is a token ready for one request, with where it came from.
type Resolved struct {
	Token secret.Secret
	// Source describes the reference for logs and results, never the
	// token: "keyring:work", "env:WORK", "env:WORK -> keyring:work", "raw".
	Source string
	// Scopes are where the token may go: the alias's scopes, or the
	// --allow-origin list for env: and raw tokens.
	Scopes  []string
	Expires *time.Time
	// Kind is the alias's kind ("token" or "oauth2"); empty for env: and
	// raw tokens.
	Kind string
	// CanRefresh is set for an oauth2 alias that renews without a login.
	CanRefresh bool
}

// Resolver resolves references on every call. It is safe for concurrent
// use when its Helper is.
type Resolver struct {
	Helper Helper
	Getenv func(string) string
	// AllowOrigins are the scopes (as scope.Parse takes them) env: and raw
	// tokens may be sent to. Keyring aliases carry their own scopes.
	AllowOrigins []string
	// Cache, when not nil, keeps keyring tokens for a short while.
	Cache *Cache
}

// Resolve returns ref's token for a request to dest. A nil dest means the
// token is only inspected, not sent, and no scope is checked. Errors wrap
// ErrInvalid, ErrNotFound, scope.ErrOutside, ErrUnavailable,
// ErrLoginRequired or ErrHelper, and name the reference, never the token.
func (r *Resolver) Resolve(ctx context.Context, ref Ref,
	dest *scope.Destination) (*Resolved, error) {
	switch ref.Kind {
	case Keyring:
		return r.keyring(ctx, ref.Name, dest)
	case Env:
		return r.env(ctx, ref.Name, dest)
	case Raw:
		return r.raw(ref.raw, "raw", dest)
	}
	return nil, fmt.Errorf("%w: empty", ErrInvalid)
}

func (r *Resolver) keyring(ctx context.Context, name string,
	dest *scope.Destination) (*Resolved, error) {
	tok, ok := r.Cache.get(name)
	if !ok {
		var err error
		if tok, err = r.Helper.Get(ctx, name, helperDest(dest)); err != nil {
			return nil, err
		}
		r.Cache.put(name, tok)
	}
	res := &Resolved{Token: tok.Token, Source: "keyring:" + name,
		Scopes: tok.Scopes, Expires: tok.Expires, Kind: tok.Kind, CanRefresh: tok.CanRefresh}
	if dest == nil {
		return res, nil
	}
	// The helper checked the scope already; a second check here keeps a
	// wrong or stale helper from widening it.
	if err := scope.Check(tok.Scopes, dest); err != nil {
		return nil, fmt.Errorf("alias %q: %w", name, err)
	}
	return res, nil
}

// helperDest is the destination as passed to the helper's argv: without
// userinfo, query or fragment, which may hold secrets of their own.
func helperDest(dest *scope.Destination) string {
	if dest == nil {
		return ""
	}
	return scope.Redact(dest.String())
}

func (r *Resolver) env(ctx context.Context, name string,
	dest *scope.Destination) (*Resolved, error) {
	v := ""
	if r.Getenv != nil {
		v = r.Getenv(EnvPrefix + name)
	}
	source := "env:" + name
	if v == "" {
		return nil, fmt.Errorf("%s: %w: %s%s is not set in keyref-mcp's environment",
			source, ErrNotFound, EnvPrefix, name)
	}
	inner, err := Parse(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %s%s: %w", source, EnvPrefix, name, err)
	}
	switch inner.Kind {
	case Keyring:
		res, err := r.keyring(ctx, inner.Name, dest)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		res.Source = source + " -> " + res.Source
		return res, nil
	case Env:
		return nil, fmt.Errorf("%s: %w: %s%s refers to env:%s; only keyring:NAME or a token may "+
			"stand there", source, ErrInvalid, EnvPrefix, name, inner.Name)
	}
	return r.raw(inner.raw, source, dest)
}

func (r *Resolver) raw(tok secret.Secret, source string,
	dest *scope.Destination) (*Resolved, error) {
	res := &Resolved{Token: tok, Source: source, Scopes: r.AllowOrigins}
	if dest == nil {
		return res, nil
	}
	if len(r.AllowOrigins) == 0 {
		return nil, fmt.Errorf("%s: %w: %s (a raw or env: token goes only to an "+
			"--allow-origin destination, and none is configured; "+
			"or use a keyring: alias scoped with keyref set --url)",
			source, scope.ErrOutside, dest.Origin())
	}
	if err := scope.Check(r.AllowOrigins, dest); err != nil {
		return nil, fmt.Errorf("%s: %w (the --allow-origin list)", source, err)
	}
	return res, nil
}

// CheckAllowOrigins parses each --allow-origin value and returns them in
// canonical form.
func CheckAllowOrigins(origins []string) ([]string, error) {
	out := make([]string, 0, len(origins))
	for _, o := range origins {
		if strings.TrimSpace(o) == scope.Any {
			return nil, fmt.Errorf("--allow-origin %q: list the origins a raw token may go to", o)
		}
		sc, err := scope.Parse(strings.TrimSpace(o))
		if err != nil {
			return nil, fmt.Errorf("--allow-origin: %w", err)
		}
		out = append(out, sc.String())
	}
	return out, nil
}
