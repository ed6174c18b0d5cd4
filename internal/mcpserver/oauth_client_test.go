package mcpserver_test

// This test drives the built keyref-mcp, under the official MCP client,
// through an oauth2 alias in the real Secret Service whose access token
// has expired, against a real OpenID provider on loopback.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/keychain"
	"github.com/keyref/keyref/internal/oauth"
	"github.com/keyref/keyref/internal/oauth/oidctest"
	"github.com/keyref/keyref/internal/store"
	"github.com/keyref/keyref/internal/testenv"
)

// idpAPI is a loopback API that accepts a bearer token only while the
// provider does (its userinfo endpoint answers 200), and echoes the
// request's headers. It records every token it accepted.
type idpAPI struct {
	*httptest.Server
	mu       sync.Mutex
	accepted []string
}

func newIDPAPI(t *testing.T, p *oidctest.Provider) *idpAPI {
	t.Helper()
	a := &idpAPI{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || r.URL.Path != "/api/me" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if valid, err := p.Accepts(r.Context(), tok); err != nil || !valid {
			http.Error(w, "the provider does not accept this token", http.StatusUnauthorized)
			return
		}
		a.mu.Lock()
		a.accepted = append(a.accepted, tok)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"user": "alice", "headers": r.Header})
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *idpAPI) tokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.accepted...)
}

// keyrefLogin runs `keyref login` for name at p, approving in the
// provider's device page as a browser would, and returns its stderr.
func keyrefLogin(t *testing.T, bin, name, issuer, url string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "keyref"), "login", name, "--issuer", issuer,
		"--client-id", "keyref", "--url", url)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
		if u, ok := strings.CutPrefix(sc.Text(), "or open "); ok {
			if err := oidctest.Browse(context.Background(), u, true); err != nil {
				t.Errorf("approving the device code: %v", err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("keyref login: %v\n%s", err, stderr.String())
	}
	return stderr.String()
}

func TestClientKeyringOAuthAliasGetsAFreshToken(t *testing.T) {
	driver := clientDriver(t)
	testenv.RequireSecretService(t)
	bin := testenv.Binaries(t)
	ctx := context.Background()
	p := oidctest.Start(t, oidctest.Options{AccessTTL: 10 * time.Minute,
		Clients: []oidctest.Client{{ID: "keyref"}}})
	a := newIDPAPI(t, p)
	st := store.New(&keychain.System{Getenv: os.Getenv},
		store.Options{LockDir: os.Getenv("KEYREF_LOCK_DIR")})
	name := "mcp-oauth-" + strings.ToLower(rand.Text()[:10])
	loginErr := keyrefLogin(t, bin, name, p.Issuer, a.URL+"/api/")
	t.Cleanup(func() { _ = st.Delete(context.Background(), name) })
	before := expireAccess(t, st, name)

	// The provider no longer takes the expired token, so only a refreshed
	// one gets through the API.
	old := &oauth.Client{ID: "keyref", RevocationURL: before.RevocationURL}
	if err := old.Revoke(ctx, before.AccessToken, oauth.HintAccessToken); err != nil {
		t.Fatal(err)
	}
	if ok, _ := p.Accepts(ctx, before.AccessToken.Reveal()); ok {
		t.Fatal("the provider still accepts the revoked access token")
	}

	ref := "keyring:" + name
	get := call("http_request", step{"url": a.URL + "/api/me", "token": ref})
	raw := drive(t, driver, bin, nil, map[string]string{"KEYREF_LOG": "debug"},
		get, get, call("token_status", step{"token": ref}))

	var r report
	if err := json.Unmarshal(raw, &r); err != nil || r.Error != "" || len(r.Steps) != 3 {
		t.Fatalf("drive.mjs report: %v %s\n%s", err, r.Error, raw)
	}
	for i, s := range r.Steps[:2] {
		got := s.Result.text()
		if !s.OK || s.Result.IsError || !strings.Contains(got, `"user": "alice"`) ||
			!strings.Contains(got, "Bearer [redacted]") {
			t.Errorf("http_request %d: ok=%v: "+
				"want the API's answer with the token redacted:\n%s %s", i, s.OK, got, s.Error)
		}
	}

	if got := r.Steps[2].Result.text(); !strings.Contains(got, `"kind": "oauth2"`) ||
		!strings.Contains(got, `"can_refresh": true`) {
		t.Errorf("token_status does not show the kind and that the alias can refresh:\n%s", got)
	}

	after := storedOAuth(t, st, name)
	checkRefreshed(t, p, a, before, after)
	for _, out := range []string{string(raw), loginErr} {
		leaked(t, out, p, before, after)
	}
}

// expireAccess marks name's access token expired in the keychain and
// returns the OAuth state as it then is.
func expireAccess(t *testing.T, st *store.Store, name string) *store.OAuth {
	t.Helper()
	err := st.Update(context.Background(), name, func(cur *store.Record) (*store.Record, error) {
		if cur.OAuth == nil {
			return nil, fmt.Errorf("alias %s is not an oauth2 alias", name)
		}
		cur.OAuth.Expiry = time.Now().Add(-time.Minute)
		return cur, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return storedOAuth(t, st, name)
}

func storedOAuth(t *testing.T, st *store.Store, name string) *store.OAuth {
	t.Helper()
	rec, err := st.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return rec.OAuth
}

// checkRefreshed checks that one refresh happened, that the keychain holds
// its access token and rotated refresh token, and that the API accepted
// that access token and no other.
func checkRefreshed(t *testing.T, p *oidctest.Provider, a *idpAPI, before, after *store.OAuth) {
	t.Helper()
	if got := p.Requests("refresh_token"); got != 1 {
		t.Errorf("refresh requests at the provider = %d, want exactly 1", got)
	}
	if after.AccessToken.Equal(before.AccessToken) || !after.Expiry.After(time.Now()) {
		t.Error("the keychain does not hold a new, unexpired access token")
	}
	if after.RefreshToken.IsZero() || after.RefreshToken.Equal(before.RefreshToken) {
		t.Error("the keychain does not hold the rotated refresh token")
	}
	live := map[string]bool{}
	for _, s := range p.Secrets() {
		live[s] = true
	}
	if !live[after.RefreshToken.Reveal()] || live[before.RefreshToken.Reveal()] {
		t.Error("the stored refresh token is not the one the provider holds valid")
	}
	fresh, stale := after.AccessToken.Reveal(), before.AccessToken.Reveal()
	got := a.tokens()
	which := make([]string, len(got)) // tokens are never printed, only which
	for i, tok := range got {
		switch tok {
		case fresh:
			which[i] = "new"
		case stale:
			which[i] = "old"
		default:
			which[i] = "another"
		}
	}
	if diff := cmp.Diff([]string{"new", "new"}, which); diff != "" {
		t.Errorf("tokens the API accepted (-want +got):\n%s", diff)
	}
}

// leaked fails the test if out holds any token: the old and new access and
// refresh tokens, or anything else the provider issued.
func leaked(t *testing.T, out string, p *oidctest.Provider, states ...*store.OAuth) {
	t.Helper()
	secrets := p.Secrets()
	for _, s := range states {
		secrets = append(secrets, s.AccessToken.Reveal(), s.RefreshToken.Reveal())
	}
	for i, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("secret %d of %d shows in the output", i, len(secrets))
		}
	}
}
