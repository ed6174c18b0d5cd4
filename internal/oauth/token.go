package oauth

import (
	"context"
	"errors"

	"golang.org/x/oauth2"

	"github.com/keyref/keyref/internal/secret"
)

// ClientCredentials fetches a token with the client credentials grant
// (RFC 6749 section 4.4). It needs c.Secret.
func (c *Client) ClientCredentials(ctx context.Context) (*Token, error) {
	if c.Secret.IsZero() {
		return nil, errors.New("the client credentials grant needs a client secret")
	}
	ctx, _ = httpClient(ctx)
	t, err := c.tokenRequest(c.Scopes, nil).Token(ctx)
	if err != nil {
		return nil, translate("token", c.TokenURL, err, c.Secret)
	}
	return c.newToken(t), nil
}

// Refresh exchanges refresh for new tokens (RFC 6749 section 6). When the
// provider rotates refresh tokens the result holds the new one, and the
// caller must store it: the old one is then spent. When it does not, the
// result holds refresh again. A revoked or spent refresh token gives an
// error matching ErrInvalidGrant.
func (c *Client) Refresh(ctx context.Context, refresh secret.Secret) (*Token, error) {
	if refresh.IsZero() {
		return nil, errors.New("no refresh token to refresh with")
	}
	ctx, _ = httpClient(ctx)
	conf := c.config()
	conf.Scopes = nil // a refresh keeps the granted scope (RFC 6749 section 6)
	// With an empty access token the source refreshes at once.
	src := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh.Reveal()})
	t, err := src.Token()
	if err != nil {
		return nil, translate("token", c.TokenURL, err, refresh, c.Secret)
	}
	return c.newToken(t), nil
}
