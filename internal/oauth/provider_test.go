package oauth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keyref/keyref/internal/oauth"
	"github.com/keyref/keyref/internal/oauth/oidctest"
	"github.com/keyref/keyref/internal/secret"
)

// quickClock tells real time but waits only a moment, so a device flow
// against the real provider polls without sleeping its interval.
type quickClock struct{}

func (quickClock) Now() time.Time { return time.Now() }
func (quickClock) After(time.Duration) <-chan time.Time {
	return time.After(5 * time.Millisecond)
}

func startProvider(t *testing.T) *oidctest.Provider {
	return oidctest.Start(t, oidctest.Options{Clients: []oidctest.Client{
		{ID: "keyref"}, {ID: "robot", Secret: "robot-secret"},
	}})
}

func discoveredClient(t *testing.T, p *oidctest.Provider, id string) *oauth.Client {
	t.Helper()
	ep, err := oauth.Discover(context.Background(), p.Issuer)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	return &oauth.Client{
		ID: id, TokenURL: ep.TokenURL, DeviceAuthURL: ep.DeviceAuthURL,
		RevocationURL: ep.RevocationURL, Scopes: []string{"openid", "offline_access"},
		Clock: quickClock{},
	}
}

// deviceLogin runs the device flow, approving (or denying) in a "browser"
// once the first poll is pending.
func deviceLogin(t *testing.T, c *oauth.Client, allow bool) (*oauth.Token, error) {
	t.Helper()
	ctx := context.Background()
	d, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatalf("StartDevice: %v", err)
	}
	if d.VerificationURIComplete == "" || !strings.Contains(d.VerificationURIComplete, d.UserCode) {
		t.Fatalf("verification_uri_complete %q lacks the user code", d.VerificationURIComplete)
	}
	return c.PollDevice(ctx, d, func(st oauth.PollStatus) {
		if st.Attempt != 1 {
			return
		}
		if err := oidctest.Browse(ctx, d.VerificationURIComplete, allow); err != nil {
			t.Errorf("browser: %v", err)
		}
	})
}

func TestProviderDeviceFlowAndRotation(t *testing.T) {
	p := startProvider(t)
	c := discoveredClient(t, p, "keyref")
	ctx := context.Background()

	tok, err := deviceLogin(t, c, true)
	if err != nil {
		t.Fatalf("device flow: %v", err)
	}
	if tok.RefreshToken.IsZero() || time.Until(tok.Expiry) < 50*time.Second {
		t.Fatalf("token: refresh token present %v, expires in %v", !tok.RefreshToken.IsZero(),
			time.Until(tok.Expiry))
	}
	if ok, err := p.Accepts(ctx, tok.AccessToken.Reveal()); !ok || err != nil {
		t.Fatalf("provider refuses the access token (%v)", err)
	}

	next, err := c.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if next.RefreshToken.Equal(tok.RefreshToken) || next.AccessToken.Equal(tok.AccessToken) {
		t.Fatal("refresh did not rotate the tokens")
	}
	if ok, _ := p.Accepts(ctx, next.AccessToken.Reveal()); !ok {
		t.Error("provider refuses the refreshed access token")
	}
	_, err = c.Refresh(ctx, tok.RefreshToken)
	if !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Fatalf("refresh with the spent token: err = %v, want ErrInvalidGrant", err)
	}
	assertClean(t, err.Error(), tok.RefreshToken, tok.AccessToken, next.RefreshToken)
	if got := p.Requests("refresh_token"); got != 2 {
		t.Errorf("refresh requests at the provider = %d, want 2", got)
	}
}

func TestProviderDeviceFlowDenied(t *testing.T) {
	p := startProvider(t)
	_, err := deviceLogin(t, discoveredClient(t, p, "keyref"), false)
	if !errors.Is(err, oauth.ErrAccessDenied) {
		t.Fatalf("err = %v, want ErrAccessDenied", err)
	}
}

func TestProviderRevocationEndsTheRefreshToken(t *testing.T) {
	p := startProvider(t)
	c := discoveredClient(t, p, "keyref")
	ctx := context.Background()
	tok, err := deviceLogin(t, c, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(ctx, tok.RefreshToken, oauth.HintRefreshToken); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if _, err := c.Refresh(ctx, tok.RefreshToken); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Fatalf("refresh after revocation: err = %v, want ErrInvalidGrant", err)
	}
}

func TestProviderClientCredentials(t *testing.T) {
	p := startProvider(t)
	c := discoveredClient(t, p, "robot")
	c.Scopes = []string{"api"}
	ctx := context.Background()

	c.Secret = secret.New("wrong")
	_, err := c.ClientCredentials(ctx)
	if !errors.Is(err, oauth.ErrInvalidClient) {
		t.Fatalf("wrong secret: err = %v, want ErrInvalidClient", err)
	}
	assertClean(t, err.Error(), c.Secret)

	c.Secret = secret.New("robot-secret")
	tok, err := c.ClientCredentials(ctx)
	if err != nil {
		t.Fatalf("ClientCredentials: %v", err)
	}
	if ok, _ := p.Accepts(ctx, tok.AccessToken.Reveal()); !ok {
		t.Error("provider refuses the client credentials token")
	}
	if !tok.RefreshToken.IsZero() {
		t.Error("client credentials gave a refresh token")
	}
}

func assertClean(t *testing.T, out string, secrets ...secret.Secret) {
	t.Helper()
	for _, s := range secrets {
		if !s.IsZero() && strings.Contains(out, s.Reveal()) {
			t.Errorf("output holds a secret: %q", out)
		}
	}
}
