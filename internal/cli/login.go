package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/oauth"
	"github.com/keyref/keyref/internal/store"
)

// Grants stored in store.OAuth.Grant.
const (
	grantDeviceCode        = "device_code"
	grantClientCredentials = "client_credentials"
)

// defaultScopes are requested when login is given no --scope and talks to
// an OpenID provider: offline_access is what makes most providers issue a
// refresh token.
var defaultScopes = []string{"openid", "offline_access"}

type loginOptions struct {
	name              string
	issuer            string
	clientID          string
	scopes            []string
	urls              []string
	note              string
	deviceAuthURL     string
	tokenURL          string
	revocationURL     string
	clientCredentials bool
	confidential      bool
	open              bool

	// clock paces the device flow; nil means the system clock. Tests set it.
	clock oauth.Clock
	// openURL opens a browser; nil means the OS's opener.
	openURL func(url string) error
}

func newLoginCmd(env *Env) *cobra.Command {
	var o loginOptions
	cmd := &cobra.Command{
		Use: "login NAME (--issuer URL | --token-url URL) --client-id ID " +
			"[--scope S]... [--url PREFIX]...",
		Short: "Log in at an OAuth provider and keep the tokens under an alias",
		Long: `Log in at an OAuth 2.0 provider and store an oauth2 alias: access token,
refresh token, expiry and endpoints. keyref get then hands out the access
token and refreshes it when it is about to expire.

By default this runs the device authorization grant (RFC 8628): it shows a
URL and a code on stderr, you approve in a browser, and keyref polls until
you do (Ctrl-C stops it). --issuer finds the endpoints by OpenID discovery;
--device-auth-url and --token-url serve providers without it, and override
what discovery found.

--client-credentials logs a service account in with its client secret
instead. The secret, and that of a --confidential client, is read without
echo from a terminal, or from stdin otherwise, never from an argument, and
kept in the keychain.

Without --scope, a device-flow login at an --issuer asks for
"openid offline_access".

Exit codes besides the usual: 7 the login was denied, 8 the code expired
before approval, 130 interrupted.`,
		Example: `  keyref login work --issuer https://idp.example.com --client-id keyref \
      --url https://api.example.com/
  printf '%s' "$SECRET" | keyref login ci --issuer https://idp.example.com \
      --client-id ci-bot --client-credentials --scope api --url https://api.example.com/`,
		Args: exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			return runLogin(cmd.Context(), env, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.issuer, "issuer", "", "OpenID issuer URL, for discovery of the endpoints")
	f.StringVar(&o.clientID, "client-id", "", "OAuth client id registered at the provider")
	f.StringArrayVar(&o.scopes, "scope", nil, "OAuth scope to request (repeatable)")
	f.StringArrayVar(&o.urls, "url", nil,
		"URL prefix the token may be sent to (repeatable), or '*'")
	f.StringVar(&o.note, "note", "", "a note shown by list")
	f.StringVar(&o.deviceAuthURL, "device-auth-url", "", "device authorization endpoint")
	f.StringVar(&o.tokenURL, "token-url", "", "token endpoint")
	f.StringVar(&o.revocationURL, "revocation-url", "", "token revocation endpoint (RFC 7009)")
	f.BoolVar(&o.clientCredentials, "client-credentials", false,
		"use the client credentials grant (service accounts); reads the client secret")
	f.BoolVar(&o.confidential, "confidential", false,
		"the client has a secret: read it like keyref set reads a token")
	f.BoolVar(&o.open, "open", false, "open the verification URL in a browser")
	return cmd
}

func runLogin(ctx context.Context, env *Env, o *loginOptions) error {
	name, scopes, err := checkLogin(o)
	if err != nil {
		return err
	}
	client, issuer, err := loginClient(ctx, o)
	if err != nil {
		return err
	}
	if o.clientCredentials || o.confidential {
		if client.Secret, err = readSecret(env, "Client secret for "+o.clientID+": "); err != nil {
			return err
		}
	}

	grant := grantDeviceCode
	var tok *oauth.Token
	if o.clientCredentials {
		grant = grantClientCredentials
		tok, err = client.ClientCredentials(ctx)
	} else {
		tok, err = deviceLogin(ctx, env, o, client)
	}
	if err != nil {
		return loginError(name, err)
	}

	rec := &store.Record{Kind: store.KindOAuth2, Scopes: scopes, Note: o.note,
		OAuth: oauthState(client, tok, issuer, grant)}
	if err := env.store().Put(ctx, name, rec); err != nil {
		return err
	}
	env.logger().Info("login", "alias", name, "grant", grant)
	fmt.Fprintf(env.Stderr, "Logged in; alias %s %s.\n", name, expiryPhrase(env, tok))
	return nil
}

// checkLogin checks the options that need no network and returns the
// alias name and its canonical URL scopes.
func checkLogin(o *loginOptions) (string, []string, error) {
	name, err := store.NormalizeName(o.name)
	if err != nil {
		return "", nil, err
	}
	scopes, err := canonicalScopes(o.urls)
	if err != nil {
		return "", nil, err
	}
	switch {
	case o.clientID == "":
		return "", nil, usagef("login needs --client-id")
	case o.issuer == "" && o.tokenURL == "":
		return "", nil, usagef(
			"login needs --issuer, or --token-url for a provider without discovery")
	case o.issuer == "" && o.deviceAuthURL == "" && !o.clientCredentials:
		return "", nil, usagef("the device flow needs --device-auth-url when there is no --issuer")
	}
	if o.issuer != "" {
		if err := oauth.CheckIssuer(o.issuer); err != nil {
			return "", nil, usageError{err}
		}
	}
	if err := oauth.CheckEndpoints(o.tokenURL, o.deviceAuthURL, o.revocationURL); err != nil {
		return "", nil, usageError{err}
	}
	return name, scopes, nil
}

// loginClient finds the endpoints, by discovery when there is an issuer,
// and returns the client and the issuer to record.
func loginClient(ctx context.Context, o *loginOptions) (*oauth.Client, string, error) {
	c := &oauth.Client{ID: o.clientID, Scopes: o.scopes, Clock: o.clock}
	issuer := ""
	if o.issuer != "" {
		ep, err := oauth.Discover(ctx, o.issuer)
		if err != nil {
			return nil, "", err
		}
		issuer = ep.Issuer
		c.TokenURL, c.DeviceAuthURL = ep.TokenURL, ep.DeviceAuthURL
		c.RevocationURL = ep.RevocationURL
		if len(c.Scopes) == 0 && !o.clientCredentials {
			c.Scopes = defaultScopes
		}
	}
	c.TokenURL = cmp.Or(o.tokenURL, c.TokenURL)
	c.DeviceAuthURL = cmp.Or(o.deviceAuthURL, c.DeviceAuthURL)
	c.RevocationURL = cmp.Or(o.revocationURL, c.RevocationURL)
	return c, issuer, nil
}

// oauthState is the stored state of a fresh login.
func oauthState(c *oauth.Client, tok *oauth.Token, issuer, grant string) *store.OAuth {
	return &store.OAuth{
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ClientSecret: c.Secret,
		TokenType: tok.TokenType, Expiry: tok.Expiry, Issuer: issuer, ClientID: c.ID,
		TokenURL: c.TokenURL, DeviceAuthURL: c.DeviceAuthURL, RevocationURL: c.RevocationURL,
		Scopes: c.Scopes, Grant: grant,
	}
}

// deviceLogin runs the device flow, talking to the user on stderr.
func deviceLogin(ctx context.Context, env *Env, o *loginOptions,
	c *oauth.Client) (*oauth.Token, error) {
	d, err := c.StartDevice(ctx)
	if err != nil {
		return nil, err
	}
	w := env.Stderr
	fmt.Fprintf(w, "To log in, open %s and enter the code %s\n", d.VerificationURI, d.UserCode)
	if d.VerificationURIComplete != "" {
		fmt.Fprintf(w, "or open %s\n", d.VerificationURIComplete)
	}
	if o.open {
		target := d.VerificationURIComplete
		if target == "" {
			target = d.VerificationURI
		}
		if err := o.opener()(target); err != nil {
			fmt.Fprintf(w, "could not open a browser (%v); open the URL by hand\n", err)
		}
	}
	fmt.Fprintln(w, "Waiting for approval (Ctrl-C to stop)...")
	return c.PollDevice(ctx, d, func(st oauth.PollStatus) { pollProgress(env, st) })
}

// pollProgress reports a slow_down at once and otherwise about once a
// minute, so a long wait shows life without flooding stderr.
func pollProgress(env *Env, st oauth.PollStatus) {
	every := max(int(time.Minute/st.Interval), 1)
	switch {
	case st.SlowDown:
		fmt.Fprintf(env.Stderr, "the provider asked to slow down; polling every %s\n", st.Interval)
	case st.Attempt%every == 0 && st.Left > 0:
		fmt.Fprintf(env.Stderr, "still waiting for approval; the code expires in %s\n",
			st.Left.Round(time.Second))
	case st.Attempt%every == 0:
		fmt.Fprintln(env.Stderr, "still waiting for approval")
	}
}

func (o *loginOptions) opener() func(string) error {
	if o.openURL != nil {
		return o.openURL
	}
	return openBrowser
}

// openBrowser opens url with the OS's handler. The URL carries the user
// code, which is meant to be seen, and never a token.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// loginError names the outcome of a failed login for the user.
func loginError(name string, err error) error {
	switch {
	case errors.Is(err, oauth.ErrAccessDenied):
		return fmt.Errorf("login %s: the request was denied at the provider: %w", name, err)
	case errors.Is(err, oauth.ErrExpiredToken):
		return fmt.Errorf("login %s: the code expired before it was approved; "+
			"run keyref login again: %w", name, err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("login %s: interrupted: %w", name, err)
	}
	return fmt.Errorf("login %s: %w", name, err)
}

// expiryPhrase says when a token expires, for the closing message.
func expiryPhrase(env *Env, tok *oauth.Token) string {
	refresh := "no refresh token"
	if !tok.RefreshToken.IsZero() {
		refresh = "refreshable"
	}
	if tok.Expiry.IsZero() {
		return "holds a token with no stated expiry (" + refresh + ")"
	}
	left := tok.Expiry.Sub(env.now()).Round(time.Second)
	return fmt.Sprintf("holds a token valid for %s (%s)", left, refresh)
}

// clientOf returns the OAuth client of a stored alias.
func clientOf(env *Env, o *store.OAuth) *oauth.Client {
	return &oauth.Client{
		ID: o.ClientID, Secret: o.ClientSecret, TokenURL: o.TokenURL,
		DeviceAuthURL: o.DeviceAuthURL, RevocationURL: o.RevocationURL, Scopes: o.Scopes,
		Clock: envClock{env},
	}
}

// envClock tells time by env.Now.
type envClock struct{ env *Env }

func (c envClock) Now() time.Time                         { return c.env.now() }
func (c envClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
