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
)

// Endpoints are what OpenID discovery tells about a provider.
type Endpoints struct {
	Issuer        string
	TokenURL      string
	DeviceAuthURL string // empty when the provider has no device flow
	RevocationURL string // empty when the provider has no revocation
}

// maxDiscovery bounds the discovery document read.
const maxDiscovery = 1 << 20

// Discover fetches the OpenID Provider Metadata of issuer (OpenID Connect
// Discovery 1.0 section 4) and checks that it names the same issuer
// (section 4.3) and that its endpoints are https (or http on loopback).
// An issuer CheckIssuer refuses is refused before any request.
func Discover(ctx context.Context, issuer string) (*Endpoints, error) {
	if err := CheckIssuer(issuer); err != nil {
		return nil, err
	}
	issuer = strings.TrimSuffix(issuer, "/")
	ctx, hc := httpClient(ctx)
	docURL := issuer + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, docURL, nil)
	if err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", scope.Redact(docURL), err)
	}
	req.Header.Set("Accept", "application/json")

	resp, err := hc.Do(req)
	if err != nil {
		return nil, translate("discovery", docURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery at %s: HTTP %d", scope.Redact(docURL), resp.StatusCode)
	}
	var doc struct {
		Issuer     string `json:"issuer"`
		Token      string `json:"token_endpoint"`
		DeviceAuth string `json:"device_authorization_endpoint"`
		Revocation string `json:"revocation_endpoint"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDiscovery)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("discovery at %s: not a metadata document", scope.Redact(docURL))
	}
	return checkDiscovered(issuer, &Endpoints{
		Issuer: doc.Issuer, TokenURL: doc.Token, DeviceAuthURL: doc.DeviceAuth,
		RevocationURL: doc.Revocation,
	})
}

// CheckIssuer accepts an issuer URL as CheckEndpoint does, and refuses
// one with a query, a fragment or credentials: an issuer has none (OpenID
// Connect Discovery 1.0 section 2), and the discovery path appended to one
// would land in its query. The error never quotes the query.
func CheckIssuer(raw string) error {
	if err := CheckEndpoint(raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw) // CheckEndpoint parsed it
	if u.User != nil || strings.ContainsAny(raw, "?#") {
		return fmt.Errorf("issuer %s: %w", scope.Redact(raw), ErrIssuerURL)
	}
	return nil
}

func checkDiscovered(issuer string, ep *Endpoints) (*Endpoints, error) {
	if strings.TrimSuffix(ep.Issuer, "/") != issuer {
		return nil, fmt.Errorf("discovery: the provider names issuer %s, not %s",
			scope.Redact(ep.Issuer), scope.Redact(issuer))
	}
	if ep.TokenURL == "" {
		return nil, fmt.Errorf("discovery at %s: no token_endpoint", scope.Redact(issuer))
	}
	if err := CheckEndpoints(ep.TokenURL, ep.DeviceAuthURL, ep.RevocationURL); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	return ep, nil
}
