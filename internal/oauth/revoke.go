package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/secret"
)

// Token type hints of RFC 7009 section 2.1.
const (
	HintAccessToken  = "access_token"
	HintRefreshToken = "refresh_token"
)

// Revoke asks the provider to revoke tok (RFC 7009 section 2.1); hint is
// HintAccessToken, HintRefreshToken or empty. Revoking a refresh token
// also ends the access tokens of its grant at most providers. It returns
// ErrNoRevocation when c has no RevocationURL. An unknown or already
// revoked token is not an error: the provider answers 200 for it
// (section 2.2).
func (c *Client) Revoke(ctx context.Context, tok secret.Secret, hint string) error {
	if c.RevocationURL == "" {
		return ErrNoRevocation
	}
	if tok.IsZero() {
		return nil
	}
	form := url.Values{"token": {tok.Reveal()}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	if c.Secret.IsZero() {
		form.Set("client_id", c.ID) // a public client identifies itself
	}
	ctx, hc := httpClient(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.RevocationURL,
		strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revocation request to %s: %w", scope.Redact(c.RevocationURL), err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !c.Secret.IsZero() {
		// RFC 7009 section 2.1 authenticates as at the token endpoint.
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret.Reveal()))
	}

	resp, err := hc.Do(req)
	if err != nil {
		return translate("revocation", c.RevocationURL, err, tok, c.Secret)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return revocationError(resp.StatusCode, body, tok, c.Secret)
}

// revocationError reads an error response of the revocation endpoint
// (RFC 7009 section 2.2.1, in the form of RFC 6749 section 5.2).
func revocationError(status int, body []byte, secrets ...secret.Secret) error {
	var e struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e) // a body that is not JSON leaves only the status
	return &ProviderError{
		Endpoint: "revocation", Code: clean(e.Code, secrets),
		Description: clean(e.Description, secrets), Status: status,
	}
}
