package oidctest

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// errUnsupported answers the parts of op.Storage this provider leaves out
// (the authorization code flow, JWT profile).
var errUnsupported = errors.New("not supported by the test provider")

// storage is an in-memory op.Storage with device authorization, client
// credentials and refresh-token rotation. Safe for concurrent use.
type storage struct {
	mu        sync.Mutex
	ttl       time.Duration
	key       *ecdsa.PrivateKey
	clients   map[string]*client
	devices   map[string]*device // by device code
	userCodes map[string]string  // user code to device code
	access    map[string]*grant  // by access token id
	refresh   map[string]*grant  // by refresh token, which is also its id
}

// device is one device authorization (RFC 8628 section 3.2).
type device struct {
	clientID     string
	scopes       []string
	expires      time.Time
	done, denied bool
	subject      string
	authTime     time.Time
}

// grant is what a token stands for. It serves op as TokenRequest and
// RefreshTokenRequest.
type grant struct {
	clientID, subject string
	scopes, audience  []string
	authTime, expires time.Time
}

func (g *grant) GetAMR() []string            { return nil }
func (g *grant) GetAudience() []string       { return g.audience }
func (g *grant) GetAuthTime() time.Time      { return g.authTime }
func (g *grant) GetClientID() string         { return g.clientID }
func (g *grant) GetScopes() []string         { return g.scopes }
func (g *grant) GetSubject() string          { return g.subject }
func (g *grant) SetCurrentScopes(s []string) { g.scopes = s }

// grantOf copies what op hands to the token creators into a grant.
func grantOf(req op.TokenRequest) *grant {
	g := &grant{subject: req.GetSubject(), scopes: slices.Clone(req.GetScopes()),
		audience: slices.Clone(req.GetAudience())}
	if r, ok := req.(interface{ GetClientID() string }); ok {
		g.clientID = r.GetClientID()
	}
	if r, ok := req.(interface{ GetAuthTime() time.Time }); ok {
		g.authTime = r.GetAuthTime()
	}
	return g
}

func (s *storage) CreateAccessToken(_ context.Context,
	req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, exp := s.issueAccess(grantOf(req))
	return id, exp, nil
}

// CreateAccessAndRefreshTokens issues a new pair. Given the refresh token
// being exchanged, it spends it: the old token is refused from then on.
func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest,
	current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if current != "" {
		if _, ok := s.refresh[current]; !ok {
			spent := oidc.ErrInvalidGrant().WithDescription("refresh token spent")
			return "", "", time.Time{}, spent
		}
		delete(s.refresh, current)
	}
	g := grantOf(req)
	id, exp := s.issueAccess(g)
	rt := rand.Text()
	s.refresh[rt] = g
	return id, rt, exp, nil
}

func (s *storage) issueAccess(g *grant) (string, time.Time) {
	a := *g
	a.expires = time.Now().Add(s.ttl)
	id := rand.Text()
	s.access[id] = &a
	return id, a.expires
}

func (s *storage) TokenRequestByRefreshToken(_ context.Context,
	rt string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.refresh[rt]
	if !ok {
		return nil, errors.New("unknown refresh token")
	}
	c := *g
	return &c, nil
}

func (s *storage) GetRefreshTokenInfo(_ context.Context, _ string,
	rt string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.refresh[rt]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return g.subject, rt, nil
}

// RevokeToken ends a refresh token or an access token (RFC 7009); an
// unknown one is no error (section 2.2).
func (s *storage) RevokeToken(_ context.Context, tokenOrID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.refresh[tokenOrID]; ok && g.clientID == clientID {
		delete(s.refresh, tokenOrID)
	}
	if g, ok := s.access[tokenOrID]; ok && g.clientID == clientID {
		delete(s.access, tokenOrID)
	}
	return nil
}

func (s *storage) StoreDeviceAuthorization(_ context.Context, clientID, deviceCode, userCode string,
	expires time.Time, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.userCodes[userCode]; ok {
		return op.ErrDuplicateUserCode
	}
	s.devices[deviceCode] = &device{clientID: clientID, scopes: scopes, expires: expires}
	s.userCodes[userCode] = deviceCode
	return nil
}

func (s *storage) GetDeviceAuthorizatonState(_ context.Context, clientID,
	deviceCode string) (*op.DeviceAuthorizationState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[deviceCode]
	if !ok || d.clientID != clientID {
		return nil, errors.New("unknown device code")
	}
	return &op.DeviceAuthorizationState{
		ClientID: d.clientID, Scopes: d.scopes, Expires: d.expires, Done: d.done,
		Denied: d.denied, Subject: d.subject, AuthTime: d.authTime,
	}, nil
}

// decide records the user's answer to a device authorization.
func (s *storage) decide(userCode, subject string, allow bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[s.userCodes[userCode]]
	if !ok || time.Now().After(d.expires) {
		return errors.New("unknown or expired user code")
	}
	d.done, d.denied, d.subject, d.authTime = allow, !allow, subject, time.Now()
	return nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, errors.New("unknown client")
	}
	return c, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; !ok || c.secret == "" || c.secret != secret {
		return errors.New("wrong client id or secret")
	}
	return nil
}

func (s *storage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, id, secret); err != nil {
		return nil, err
	}
	return s.GetClientByClientID(ctx, id)
}

func (s *storage) ClientCredentialsTokenRequest(_ context.Context, id string,
	scopes []string) (op.TokenRequest, error) {
	return &grant{clientID: id, subject: id, scopes: scopes, audience: []string{id}}, nil
}

// SetUserinfoFromToken is where /userinfo checks an access token: it must
// be known and unexpired.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, id, subject,
	_ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.access[id]
	if !ok || time.Now().After(g.expires) {
		return errors.New("access token unknown or expired")
	}
	info.Subject = subject
	return nil
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, r *oidc.IntrospectionResponse, id,
	subject, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.access[id]
	r.Active = ok && time.Now().Before(g.expires)
	r.Subject = subject
	return nil
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string,
	[]string) error {
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string,
	[]string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errUnsupported
}

func (s *storage) ValidateJWTProfileScopes(_ context.Context, _ string,
	sc []string) ([]string, error) {
	return sc, nil
}

func (s *storage) CreateAuthRequest(context.Context, *oidc.AuthRequest,
	string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *storage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *storage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *storage) SaveAuthCode(context.Context, string, string) error     { return errUnsupported }
func (s *storage) DeleteAuthRequest(context.Context, string) error        { return errUnsupported }
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }
func (s *storage) Health(context.Context) error                           { return nil }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{s.key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{&s.key.PublicKey}}, nil
}

// signingKey and publicKey present the provider's one ES256 key to op.
type signingKey struct{ k *ecdsa.PrivateKey }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k signingKey) Key() any                                    { return k.k }
func (k signingKey) ID() string                                  { return "k1" }

type publicKey struct{ k *ecdsa.PublicKey }

func (k publicKey) ID() string                         { return "k1" }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.k }
