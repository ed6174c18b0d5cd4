// Package oidctest runs a real OpenID provider on loopback for tests,
// built on github.com/zitadel/oidc/v3/pkg/op with a small in-memory
// storage: discovery, the device authorization grant with a browser
// approval page, client credentials, refresh-token rotation (a refresh
// token works once) and RFC 7009 revocation.
//
// Tests count the token requests per grant and can hold a grant's
// requests to catch a client in the middle of one. Only tests import
// this package.
package oidctest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// Client registers a client. An empty Secret makes a public client.
type Client struct {
	ID, Secret string
}

// Options configure a Provider.
type Options struct {
	// AccessTTL is the life of access tokens; zero means a minute. It is
	// sent as whole seconds, so keep it at a second or more.
	AccessTTL time.Duration
	Clients   []Client
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is the issuer URL, http on 127.0.0.1.
	Issuer string

	st   *storage
	mu   sync.Mutex
	reqs map[string]int           // token requests by grant_type
	hold map[string]chan struct{} // grant_type to a channel closed on release
	held chan string              // receives the grant of each held request
	gone chan string              // receives the grant of each held request abandoned
}

// TokenPath is the token endpoint's path.
const TokenPath = "/oauth/token"

// Start runs a provider until the test ends.
func Start(t testing.TB, opt Options) *Provider {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st := &storage{
		ttl: opt.AccessTTL, key: key, clients: map[string]*client{},
		devices: map[string]*device{}, userCodes: map[string]string{},
		access: map[string]*grant{}, refresh: map[string]*grant{},
	}
	if st.ttl == 0 {
		st.ttl = time.Minute
	}
	for _, c := range opt.Clients {
		st.clients[c.ID] = &client{id: c.ID, secret: c.Secret}
	}
	p := &Provider{st: st, reqs: map[string]int{}, hold: map[string]chan struct{}{},
		held: make(chan string, 64), gone: make(chan string, 64)}

	// The handler is set before the server starts serving: the issuer URL
	// comes from the listener, and a request from another process must not
	// race the assignment.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	p.Issuer = "http://" + srv.Listener.Addr().String()
	if srv.Config.Handler, err = p.handler(p.Issuer); err != nil {
		t.Fatal(err)
	}
	srv.Start()
	return p
}

func (p *Provider) handler(issuer string) (http.Handler, error) {
	conf := &op.Config{
		GrantTypeRefreshToken: true,
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime: 5 * time.Minute, PollInterval: time.Second,
			UserFormPath: "/device", UserCode: op.UserCodeBase20,
		},
	}
	if _, err := rand.Read(conf.CryptoKey[:]); err != nil {
		return nil, err
	}
	prov, err := op.NewProvider(conf, p.st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		return nil, fmt.Errorf("starting the provider: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /device", p.devicePage)
	mux.HandleFunc("POST /device", p.deviceAnswer)
	mux.Handle("POST "+TokenPath, p.countAndHold(prov))
	mux.Handle("/", prov)
	return mux, nil
}

// countAndHold counts token requests by grant and holds those of a held
// grant until Release or until the client goes away.
func (p *Provider) countAndHold(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		g := r.PostForm.Get("grant_type")
		p.mu.Lock()
		p.reqs[g]++
		wait := p.hold[g]
		p.mu.Unlock()
		if wait != nil {
			p.held <- g
			select {
			case <-wait:
			case <-r.Context().Done():
				p.gone <- g // never reaches the provider, as if lost on the way
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Requests returns how many token requests of grant type grant arrived,
// such as "refresh_token".
func (p *Provider) Requests(grant string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reqs[grant]
}

// Hold makes token requests of grant wait. Held returns each one's grant
// as it starts waiting; the returned func releases them all.
func (p *Provider) Hold(grant string) (release func()) {
	ch := make(chan struct{})
	p.mu.Lock()
	p.hold[grant] = ch
	p.mu.Unlock()
	return sync.OnceFunc(func() {
		p.mu.Lock()
		delete(p.hold, grant)
		p.mu.Unlock()
		close(ch)
	})
}

// Held delivers the grant of each request that starts waiting in Hold.
func (p *Provider) Held() <-chan string { return p.held }

// Gone delivers the grant of each held request whose client went away
// before release; the provider never processes such a request.
func (p *Provider) Gone() <-chan string { return p.gone }

// Accepts reports whether the provider's userinfo endpoint accepts access
// as a bearer token.
func (p *Provider) Accepts(ctx context.Context, access string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Issuer+"/userinfo", nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK, nil
}

// devicePage is the page verification_uri points at: a form with the user
// code, filled in from ?user_code=, and allow and deny buttons.
func (p *Provider) devicePage(w http.ResponseWriter, r *http.Request) {
	code := html.EscapeString(r.URL.Query().Get("user_code"))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>Device login</title>
<form method="post" action="/device">
<input name="user_code" value="%s">
<button name="action" value="allow">Allow</button>
<button name="action" value="deny">Deny</button>
</form>`, code)
}

// deviceAnswer takes the form, signed in as user "alice".
func (p *Provider) deviceAnswer(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	allow := r.PostForm.Get("action") == "allow"
	if err := p.st.decide(r.PostForm.Get("user_code"), "alice", allow); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintln(w, "You may close this window.")
}

var userCodeInput = regexp.MustCompile(`name="user_code" value="([^"]*)"`)

// Browse does what a user's browser does with verification_uri_complete:
// it loads the page, reads the user code the form was filled in with, and
// submits the form with Allow (or Deny).
func Browse(ctx context.Context, verificationURIComplete string, allow bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, verificationURIComplete, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	m := userCodeInput.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		return fmt.Errorf("device page: HTTP %d without a user code field", resp.StatusCode)
	}
	action := "deny"
	if allow {
		action = "allow"
	}
	form := url.Values{"user_code": {html.UnescapeString(string(m[1]))}, "action": {action}}
	u, _ := url.Parse(verificationURIComplete)
	u.RawQuery = ""
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, u.String(),
		strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("device form: HTTP %d: %s", resp.StatusCode, body)
	}
	return nil
}

// Secrets returns every device code, access token id and refresh token the
// provider issued, for tests that search outputs for leaks. (Access tokens
// are sealed ids; search for them as the client received them.)
func (p *Provider) Secrets() []string {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	var out []string
	for dc := range p.st.devices {
		out = append(out, dc)
	}
	for rt := range p.st.refresh {
		out = append(out, rt)
	}
	for id := range p.st.access {
		out = append(out, id)
	}
	return out
}
