package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/keyref/keyref/internal/secret"
)

// deviceGrantType is the grant_type of the device access token request
// (RFC 8628 section 3.4).
const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// DefaultInterval is the polling interval when the provider names none:
// "If no value is provided, clients MUST use 5 as the default"
// (RFC 8628 section 3.2).
const DefaultInterval = 5 * time.Second

// slowDownStep is what a slow_down answer adds to the interval "for this
// and all subsequent requests" (RFC 8628 section 3.5).
const slowDownStep = 5 * time.Second

// DeviceAuth is a device authorization response (RFC 8628 section 3.2).
// The device code itself stays inside; only what the user must see is
// exported.
type DeviceAuth struct {
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string // empty when the provider sends none
	Expiry                  time.Time
	Interval                time.Duration

	deviceCode secret.Secret
}

// StartDevice sends the device authorization request (RFC 8628 section
// 3.1) with c's scopes.
func (c *Client) StartDevice(ctx context.Context) (*DeviceAuth, error) {
	if c.DeviceAuthURL == "" {
		return nil, errors.New("the provider offers no device authorization endpoint " +
			"(give --device-auth-url, or use --client-credentials)")
	}
	ctx, _ = httpClient(ctx)
	var opts []oauth2.AuthCodeOption
	if !c.Secret.IsZero() {
		// x/oauth2 sends no client authentication here; a confidential
		// client authenticates in the body (RFC 6749 section 2.3.1).
		opts = append(opts, oauth2.SetAuthURLParam("client_secret", c.Secret.Reveal()))
	}
	da, err := c.config().DeviceAuth(ctx, opts...)
	if err != nil {
		return nil, translate("device authorization", c.DeviceAuthURL, err, c.Secret)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, errors.New("device authorization endpoint answered without " +
			"device_code, user_code or verification_uri")
	}
	d := &DeviceAuth{
		UserCode: da.UserCode, VerificationURI: da.VerificationURI,
		VerificationURIComplete: da.VerificationURIComplete,
		Interval:                time.Duration(da.Interval) * time.Second,
		deviceCode:              secret.New(da.DeviceCode),
	}
	if d.Interval <= 0 {
		d.Interval = DefaultInterval
	}
	if !da.Expiry.IsZero() {
		// x/oauth2 dates expires_in on the system clock; move it to ours.
		d.Expiry = c.clock().Now().Add(time.Until(da.Expiry))
	}
	return d, nil
}

// PollStatus is reported after each pending poll, for a progress line.
type PollStatus struct {
	Attempt  int
	Interval time.Duration // the wait before the next poll
	SlowDown bool          // the provider asked to slow down
	Left     time.Duration // until the device code expires; 0 if unknown
}

// PollDevice polls the token endpoint until the user approves (RFC 8628
// section 3.4), waiting Interval between requests and 5 seconds more after
// each slow_down (section 3.5). It returns ErrAccessDenied,
// ErrExpiredToken (from the provider, or when the local deadline passes)
// or ctx's error; other errors end the poll too. progress, if not nil, is
// called after each authorization_pending or slow_down.
//
// x/oauth2's DeviceAccessToken waits on a real ticker, which a test cannot
// skip; this loop waits on c.Clock.
func (c *Client) PollDevice(ctx context.Context, d *DeviceAuth,
	progress func(PollStatus)) (*Token, error) {
	clk := c.clock()
	interval := d.Interval
	for attempt := 1; ; attempt++ {
		if !d.Expiry.IsZero() && !clk.Now().Before(d.Expiry) {
			return nil, fmt.Errorf("waiting for approval: %w", ErrExpiredToken)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for approval: %w", ctx.Err())
		case <-clk.After(interval):
		}

		tok, err := c.deviceToken(ctx, d)
		if err == nil {
			return tok, nil
		}
		var pe *ProviderError
		if !errors.As(err, &pe) {
			return nil, err
		}
		st := PollStatus{Attempt: attempt}
		switch pe.Code {
		case "authorization_pending":
		case "slow_down":
			interval += slowDownStep
			st.SlowDown = true
		default:
			return nil, err
		}
		st.Interval = interval
		if !d.Expiry.IsZero() {
			st.Left = max(d.Expiry.Sub(clk.Now()), 0)
		}
		if progress != nil {
			progress(st)
		}
	}
}

// deviceToken sends one device access token request (RFC 8628 section
// 3.4). x/oauth2 has no call for a single such request, but its
// clientcredentials package lets EndpointParams replace grant_type, which
// yields exactly this request and x/oauth2's parsing of the answer.
func (c *Client) deviceToken(ctx context.Context, d *DeviceAuth) (*Token, error) {
	ctx, _ = httpClient(ctx)
	t, err := c.tokenRequest(nil, url.Values{
		"grant_type":  {deviceGrantType},
		"device_code": {d.deviceCode.Reveal()},
	}).Token(ctx)
	if err != nil {
		return nil, translate("token", c.TokenURL, err, d.deviceCode, c.Secret)
	}
	return c.newToken(t), nil
}
