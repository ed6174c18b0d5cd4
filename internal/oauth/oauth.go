// Package oauth obtains, refreshes and revokes OAuth 2.0 tokens for keyref:
// OpenID discovery, the device authorization grant (RFC 8628), client
// credentials (RFC 6749 section 4.4), refresh with rotation (RFC 6749
// section 6) and revocation (RFC 7009).
//
// It is the only package that imports golang.org/x/oauth2, and it turns
// that library's errors into its own: no error, log line or progress
// report of this package ever holds a token, a device code or a client
// secret. Secrets enter and leave as secret.Secret values; Reveal is called
// only to put them in a request to the endpoint they belong to.
//
// The HTTP client comes from the context, as in x/oauth2 (WithHTTPClient),
// and time from a Clock, so tests neither reach the network nor sleep.
package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/secret"
)

// Errors of this package. Check with errors.Is; a *ProviderError wraps the
// one that matches its code.
var (
	// ErrAccessDenied: the user refused the device authorization
	// (RFC 8628 section 3.5, access_denied).
	ErrAccessDenied = errors.New("access denied")
	// ErrExpiredToken: the device code expired before the user approved it
	// (RFC 8628 section 3.5, expired_token).
	ErrExpiredToken = errors.New("device code expired")
	// ErrInvalidGrant: the provider refused the grant, such as a revoked or
	// already rotated refresh token (RFC 6749 section 5.2, invalid_grant).
	ErrInvalidGrant = errors.New("grant refused")
	// ErrInvalidClient: the provider does not accept the client id or secret
	// (RFC 6749 section 5.2, invalid_client and unauthorized_client).
	ErrInvalidClient = errors.New("client refused")
	// ErrNoRevocation: the provider offers no revocation endpoint.
	ErrNoRevocation = errors.New("provider offers no token revocation")
	// ErrInsecureURL: an endpoint is neither https nor http on loopback.
	ErrInsecureURL = errors.New("endpoint must use https (http only on loopback)")
	// ErrIssuerURL: an issuer URL holds a query, a fragment or credentials.
	ErrIssuerURL = errors.New("an issuer URL holds no query, fragment or credentials")
)

// ProviderError is an error response from an OAuth endpoint (RFC 6749
// section 5.2). Description is the provider's text, shortened and with any
// secret of the request removed.
type ProviderError struct {
	Endpoint    string // which endpoint answered: "token", "device authorization", ...
	Code        string // the "error" parameter, empty if the body had none
	Description string
	Status      int // the HTTP status
}

func (e *ProviderError) Error() string {
	msg := e.Endpoint + " endpoint"
	switch {
	case e.Code != "":
		msg += " answered " + e.Code
	default:
		msg += fmt.Sprintf(" answered HTTP %d", e.Status)
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Unwrap returns the sentinel error matching Code, if any.
func (e *ProviderError) Unwrap() error {
	switch e.Code {
	case "access_denied":
		return ErrAccessDenied
	case "expired_token":
		return ErrExpiredToken
	case "invalid_grant":
		return ErrInvalidGrant
	case "invalid_client", "unauthorized_client":
		return ErrInvalidClient
	}
	return nil
}

// Token is what a token endpoint issued. Expiry is zero when the provider
// did not say when the access token expires.
type Token struct {
	AccessToken  secret.Secret
	RefreshToken secret.Secret
	TokenType    string
	Expiry       time.Time
}

// Client is an OAuth client at one provider. Its methods are safe for
// concurrent use once it is set up.
type Client struct {
	ID string
	// Secret is the client secret of a confidential client, zero for a
	// public one. It is sent with HTTP Basic authentication (RFC 6749
	// section 2.3.1); a public client sends its id in the body.
	Secret        secret.Secret
	TokenURL      string
	DeviceAuthURL string
	RevocationURL string
	Scopes        []string
	// Clock tells the time and waits between polls; nil means the system.
	Clock Clock
}

// Clock is the time source of a Client.
type Clock interface {
	Now() time.Time
	// After is time.After: the channel delivers once d has passed.
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (c *Client) clock() Clock {
	if c.Clock == nil {
		return systemClock{}
	}
	return c.Clock
}

// config returns the x/oauth2 configuration of c. The auth style is fixed
// rather than probed: probing sends a failed request and then a second
// one, which would spend a one-time refresh token or count as two
// refreshes.
func (c *Client) config() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.ID,
		ClientSecret: c.Secret.Reveal(),
		Endpoint: oauth2.Endpoint{
			TokenURL: c.TokenURL, DeviceAuthURL: c.DeviceAuthURL, AuthStyle: c.authStyle(),
		},
		Scopes: c.Scopes,
	}
}

// authStyle is how c authenticates at the token endpoint: HTTP Basic for a
// confidential client, its id in the body for a public one.
func (c *Client) authStyle() oauth2.AuthStyle {
	if c.Secret.IsZero() {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// tokenRequest returns a configuration that sends one token request from
// c with the given scopes; params, if not nil, add to or replace the body
// parameters, grant_type included.
func (c *Client) tokenRequest(scopes []string, params url.Values) *clientcredentials.Config {
	return &clientcredentials.Config{
		ClientID: c.ID, ClientSecret: c.Secret.Reveal(), TokenURL: c.TokenURL,
		Scopes: scopes, AuthStyle: c.authStyle(), EndpointParams: params,
	}
}

// DefaultTimeout bounds each HTTP request when the context carries no
// client of its own.
const DefaultTimeout = 30 * time.Second

var defaultClient = &http.Client{Timeout: DefaultTimeout}

// WithHTTPClient returns a context whose requests go through hc, the
// convention of x/oauth2 (oauth2.HTTPClient).
func WithHTTPClient(ctx context.Context, hc *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// httpClient returns the client in ctx, or one with DefaultTimeout. The
// result is also put in ctx for x/oauth2, whose own default has no timeout.
func httpClient(ctx context.Context) (context.Context, *http.Client) {
	if hc, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && hc != nil {
		return ctx, hc
	}
	return WithHTTPClient(ctx, defaultClient), defaultClient
}

// CheckEndpoint accepts https URLs, and http URLs on a loopback host.
func CheckEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("endpoint %s: not an absolute URL", scope.Redact(raw))
	}
	if u.Scheme == "https" || u.Scheme == "http" && scope.IsLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("endpoint %s: %w", scope.Redact(raw), ErrInsecureURL)
}

// CheckEndpoints is CheckEndpoint for each URL that is not empty; the
// first refusal is the error.
func CheckEndpoints(urls ...string) error {
	for _, u := range urls {
		if u == "" {
			continue
		}
		if err := CheckEndpoint(u); err != nil {
			return err
		}
	}
	return nil
}

// translate turns an error of x/oauth2 or net/http into one of this
// package. secrets are the values the request carried: they are cut from
// any text the provider sent back.
func translate(endpoint, rawURL string, err error, secrets ...secret.Secret) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		pe := &ProviderError{Endpoint: endpoint, Code: clean(re.ErrorCode, secrets),
			Description: clean(re.ErrorDescription, secrets)}
		if re.Response != nil {
			pe.Status = re.Response.StatusCode
		}
		return pe
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text repeats the URL, query and all
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s request to %s: %w", endpoint, scope.Redact(rawURL), err)
	}
	// Other errors of x/oauth2 may quote the response body; keep only
	// their kind.
	return fmt.Errorf("%s request to %s: %s", endpoint, scope.Redact(rawURL),
		clean(err.Error(), secrets))
}

// maxDescription bounds provider text quoted in an error.
const maxDescription = 200

// clean makes provider text fit for an error message: one line, short,
// and without any of secrets.
func clean(s string, secrets []secret.Secret) string {
	for _, sec := range secrets {
		if !sec.IsZero() {
			s = strings.ReplaceAll(s, sec.Reveal(), secret.Placeholder)
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxDescription {
		s = s[:maxDescription] + "…"
	}
	return strings.TrimSpace(s)
}

// newToken converts a token of x/oauth2, computing the expiry on c's
// clock from expires_in (x/oauth2 computes it on the system clock).
func (c *Client) newToken(t *oauth2.Token) *Token {
	tok := &Token{
		AccessToken:  secret.New(t.AccessToken),
		RefreshToken: secret.New(t.RefreshToken),
		TokenType:    t.TokenType,
		Expiry:       t.Expiry,
	}
	secs := t.ExpiresIn
	if secs == 0 {
		if f, ok := t.Extra("expires_in").(float64); ok {
			secs = int64(f)
		}
	}
	if secs > 0 {
		tok.Expiry = c.clock().Now().Add(time.Duration(secs) * time.Second)
	}
	return tok
}
