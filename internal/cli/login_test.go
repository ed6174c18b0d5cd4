package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keyref/keyref/internal/keychain"
	"github.com/keyref/keyref/internal/oauth"
	"github.com/keyref/keyref/internal/oauth/oidctest"
	"github.com/keyref/keyref/internal/secret"
	"github.com/keyref/keyref/internal/store"
	"github.com/keyref/keyref/internal/testenv"
)

// quickClock tells real time (the provider dates tokens on it) but waits
// only a moment between polls.
type quickClock struct{}

func (quickClock) Now() time.Time                       { return time.Now() }
func (quickClock) After(time.Duration) <-chan time.Time { return time.After(5 * time.Millisecond) }

// loginEnv is an Env over a fake keychain with the real clock.
func loginEnv(t *testing.T, kc keychain.Backend,
	stdin string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errb bytes.Buffer
	return &Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(string) string { return "" }, Now: time.Now, Keychain: kc,
		LockDir: t.TempDir(),
	}, &out, &errb
}

func startIDP(t *testing.T) *oidctest.Provider {
	return oidctest.Start(t, oidctest.Options{Clients: []oidctest.Client{
		{ID: "keyref"}, {ID: "robot", Secret: "robot-secret-CANARY"},
	}})
}

// browserLogin returns login options that approve (or deny) the device
// request by "opening a browser" at verification_uri_complete.
func browserLogin(name, issuer string, allow bool) *loginOptions {
	return &loginOptions{
		name: name, issuer: issuer, clientID: "keyref", urls: []string{"https://api.example.com/"},
		open: true, clock: quickClock{},
		openURL: func(u string) error { return oidctest.Browse(context.Background(), u, allow) },
	}
}

func storedOAuth(t *testing.T, env *Env, name string) *store.OAuth {
	t.Helper()
	rec, err := env.store().Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return rec.OAuth
}

func TestLoginGetRefreshAndLoginRequired(t *testing.T) {
	p := startIDP(t)
	ctx := context.Background()
	kc := keychain.NewFake(keychain.Linux)
	env, _, loginErr := loginEnv(t, kc, "")
	if err := runLogin(ctx, env, browserLogin("work", p.Issuer, true)); err != nil {
		t.Fatalf("login: %v\n%s", err, loginErr)
	}
	if !strings.Contains(loginErr.String(), "enter the code") {
		t.Errorf("login stderr does not show the code: %q", loginErr)
	}
	first := storedOAuth(t, env, "work")
	if first.Issuer != p.Issuer || first.ClientID != "keyref" || first.Grant != grantDeviceCode ||
		first.RefreshToken.IsZero() || first.RevocationURL == "" {
		t.Fatalf("stored state: %+v", first)
	}

	// A valid token is handed out as is, and the provider accepts it.
	env, out, errb := loginEnv(t, kc, "")
	if code := Main(ctx, env, []string{"get", "work", "--min-valid", "10s"}); code != 0 {
		t.Fatalf("get: exit %d: %s", code, errb)
	}
	if got := strings.TrimSpace(out.String()); got != first.AccessToken.Reveal() {
		t.Fatal("get printed another token than the stored one")
	}

	// Within --min-valid of expiry: refreshed, rotated and stored first.
	env, out, errb = loginEnv(t, kc, "")
	if code := Main(ctx, env, []string{"get", "work", "--min-valid", "2m", "--json"}); code != 0 {
		t.Fatalf("get: exit %d: %s", code, errb)
	}
	var res getResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	second := storedOAuth(t, env, "work")
	switch {
	case res.Token != second.AccessToken.Reveal() || second.AccessToken.Equal(first.AccessToken):
		t.Fatal("get did not print the new, stored access token")
	case second.RefreshToken.Equal(first.RefreshToken):
		t.Fatal("the keychain does not hold the rotated refresh token")
	case res.Expires == nil || !res.Expires.Equal(second.Expiry):
		t.Errorf("--json expires = %v, want %v", res.Expires, second.Expiry)
	}
	if ok, _ := p.Accepts(ctx, res.Token); !ok {
		t.Error("the provider refuses the refreshed token")
	}
	c := clientOf(env, first)
	if _, err := c.Refresh(ctx, first.RefreshToken); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("old refresh token after rotation: err = %v, want invalid_grant", err)
	}

	// Revoked at the provider: exit 6, the hint, and the record unchanged.
	if err := c.Revoke(ctx, second.RefreshToken, oauth.HintRefreshToken); err != nil {
		t.Fatal(err)
	}
	before, _ := env.store().Get(ctx, "work")
	env, out, errb = loginEnv(t, kc, "")
	code := Main(ctx, env, []string{"get", "work", "--min-valid", "2m"})
	if code != ExitLoginRequired {
		t.Fatalf("get after revocation: exit %d, want 6: %s", code, errb)
	}
	if !strings.Contains(errb.String(), "login required: run keyref login work") || out.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", out, errb)
	}
	after, _ := env.store().Get(ctx, "work")
	if !sameOAuth(before.OAuth, after.OAuth) || !before.Updated.Equal(after.Updated) {
		t.Error("a refused refresh changed the record")
	}
	assertNoSecrets(t, loginErr.String()+errb.String(), p, first, second)
}

func sameOAuth(a, b *store.OAuth) bool {
	return a.AccessToken.Equal(b.AccessToken) && a.RefreshToken.Equal(b.RefreshToken) &&
		a.Expiry.Equal(b.Expiry)
}

// assertNoSecrets greps out for every secret the provider issued and the
// states hold.
func assertNoSecrets(t *testing.T, out string, p *oidctest.Provider, states ...*store.OAuth) {
	t.Helper()
	secrets := p.Secrets()
	for _, st := range states {
		for _, s := range []secret.Secret{st.AccessToken, st.RefreshToken, st.ClientSecret} {
			if !s.IsZero() {
				secrets = append(secrets, s.Reveal())
			}
		}
	}
	secrets = append(secrets, "robot-secret-CANARY")
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("output holds a secret:\n%s", out)
			return
		}
	}
}

func TestLoginDeniedExits7(t *testing.T) {
	p := startIDP(t)
	env, _, errb := loginEnv(t, keychain.NewFake(keychain.Linux), "")
	err := runLogin(context.Background(), env, browserLogin("work", p.Issuer, false))
	if code := exitCode(err); code != ExitDenied {
		t.Fatalf("exit %d (%v), want %d", code, err, ExitDenied)
	}
	if _, err := env.store().Get(context.Background(), "work"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a denied login stored the alias (%v)", err)
	}
	assertNoSecrets(t, errb.String()+err.Error(), p)
}

func TestLoginClientCredentialsAndLogout(t *testing.T) {
	p := startIDP(t)
	ctx := context.Background()
	kc := keychain.NewFake(keychain.Linux)
	env, _, errb := loginEnv(t, kc, "robot-secret-CANARY\n")
	o := &loginOptions{name: "ci", issuer: p.Issuer, clientID: "robot", clientCredentials: true,
		scopes: []string{"api"}, urls: []string{"*"}}
	if err := runLogin(ctx, env, o); err != nil {
		t.Fatalf("login: %v\n%s", err, errb)
	}
	st := storedOAuth(t, env, "ci")
	if st.ClientSecret.Reveal() != "robot-secret-CANARY" || st.Grant != grantClientCredentials {
		t.Fatalf("stored state: %+v", st)
	}

	env, out, errb2 := loginEnv(t, kc, "")
	if code := Main(ctx, env, []string{"get", "ci", "--min-valid", "2m"}); code != 0 {
		t.Fatalf("get: exit %d: %s", code, errb2)
	}
	if p.Requests("client_credentials") != 2 {
		t.Errorf("client credentials requests = %d, want 2", p.Requests("client_credentials"))
	}
	tok := strings.TrimSpace(out.String())
	if ok, _ := p.Accepts(ctx, tok); !ok || tok == st.AccessToken.Reveal() {
		t.Error("get did not print a new token the provider accepts")
	}

	env, _, errb3 := loginEnv(t, kc, "")
	if code := Main(ctx, env, []string{"list", "--json"}); code != 0 {
		t.Fatal(errb3)
	}
	env, _, errb3 = loginEnv(t, kc, "")
	if code := Main(ctx, env, []string{"logout", "ci"}); code != 0 {
		t.Fatalf("logout: exit %d: %s", code, errb3)
	}
	if ok, _ := p.Accepts(ctx, tok); ok {
		t.Error("the access token still works after logout")
	}
	if _, err := env.store().Get(ctx, "ci"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("logout left the alias (%v)", err)
	}
	assertNoSecrets(t, errb.String()+errb2.String()+errb3.String(), p, st)
}

func TestListShowsExpiryAndRefresh(t *testing.T) {
	exp := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		st   store.OAuth
		want bool
	}{
		{"refresh token", store.OAuth{RefreshToken: secret.New("r"), Grant: grantDeviceCode}, true},
		{"client credentials",
			store.OAuth{ClientSecret: secret.New("s"), Grant: grantClientCredentials}, true},
		{"device flow secret alone",
			store.OAuth{ClientSecret: secret.New("s"), Grant: grantDeviceCode}, false},
		{"nothing", store.OAuth{Grant: grantDeviceCode}, false},
	}
	for _, tt := range tests {
		st := tt.st
		st.Expiry, st.AccessToken = exp, secret.New("a")
		rec := &store.Record{Kind: store.KindOAuth2, OAuth: &st}
		le := newListEntry(store.Entry{Name: "x", Record: rec})
		if le.CanRefresh != tt.want || le.Expires == nil || !le.Expires.Equal(exp) {
			t.Errorf("%s: can_refresh %v expires %v, want %v and %v", tt.name, le.CanRefresh,
				le.Expires, tt.want, exp)
		}
	}
}

// edgeIDP answers the device flow from a script, for the answers a real
// provider is hard to steer into.
func edgeIDP(t *testing.T, answers ...string) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /device", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"device_code":"DEVICE-CANARY","user_code":"WXYZ",` +
			`"verification_uri":"https://idp.example/activate","expires_in":600,"interval":1}`))
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, _ *http.Request) {
		a := answers[0]
		if len(answers) > 1 {
			answers = answers[1:]
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"` + a + `","error_description":"DEVICE-CANARY"}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestLoginEdgeAnswers(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
		want    int
		wantErr string
	}{
		{"expired_token", []string{"authorization_pending", "expired_token"}, ExitExpired,
			"expired"},
		{"access_denied", []string{"slow_down", "access_denied"}, ExitDenied, "denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := edgeIDP(t, tt.answers...)
			env, out, errb := loginEnv(t, keychain.NewFake(keychain.Linux), "")
			o := &loginOptions{name: "gh", clientID: "c", clock: quickClock{},
				deviceAuthURL: srv.URL + "/device", tokenURL: srv.URL + "/token"}
			err := runLogin(context.Background(), env, o)
			code := exitCode(err)
			if code != tt.want || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.want)
			}
			all := out.String() + errb.String() + err.Error()
			if strings.Contains(all, "DEVICE-CANARY") {
				t.Errorf("the device code leaked:\n%s", all)
			}
			slowed := strings.Contains(errb.String(), "slow down; polling every 6s")
			if tt.answers[0] == "slow_down" && !slowed {
				t.Errorf("no slow_down progress on stderr: %q", errb)
			}
		})
	}
}

func TestLoginInterruptedExits130(t *testing.T) {
	srv := edgeIDP(t, "authorization_pending")
	env, _, _ := loginEnv(t, keychain.NewFake(keychain.Linux), "")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	time.AfterFunc(50*time.Millisecond, stop) // as Ctrl-C does through main's signal context
	o := &loginOptions{name: "gh", clientID: "c", clock: quickClock{},
		deviceAuthURL: srv.URL + "/device", tokenURL: srv.URL + "/token"}
	if code := exitCode(runLogin(ctx, env, o)); code != ExitInterrupted {
		t.Fatalf("exit %d, want %d", code, ExitInterrupted)
	}
}

// TestLoginRefusesIssuerQuery: the discovery path would land in an
// issuer's query; the refusal names the issuer without its query, which
// may hold anything.
func TestLoginRefusesIssuerQuery(t *testing.T) {
	canary := testenv.Canary()
	for _, issuer := range []string{"https://idp.example/?q=" + canary,
		"https://idp.example/#" + canary, "https://idp.example?" + canary} {
		env, out, errb := loginEnv(t, keychain.NewFake(keychain.Linux), "")
		code := Main(context.Background(), env,
			[]string{"login", "x", "--client-id", "c", "--issuer", issuer})
		if code != ExitUsage || !strings.Contains(errb.String(), "no query, fragment") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and the reason", issuer, code, errb)
		}
		if strings.Contains(out.String()+errb.String(), canary) {
			t.Errorf("%s: output echoes the query: %q", issuer, errb)
		}
	}
}

func TestLoginUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no client id", []string{"login", "x", "--issuer", "https://idp.example"}},
		{"no endpoints", []string{"login", "x", "--client-id", "c"}},
		{"device flow needs its endpoint", []string{"login", "x", "--client-id", "c",
			"--token-url", "https://idp.example/token"}},
		{"plain http off loopback", []string{"login", "x", "--client-id", "c",
			"--issuer", "http://idp.example"}},
		{"issuer with a query", []string{"login", "x", "--client-id", "c",
			"--issuer", "https://idp.example/?q"}},
		{"issuer with a fragment", []string{"login", "x", "--client-id", "c",
			"--issuer", "https://idp.example/#f"}},
	}
	for _, tt := range tests {
		env, _, errb := loginEnv(t, keychain.NewFake(keychain.Linux), "")
		if code := Main(context.Background(), env, tt.args); code != ExitUsage {
			t.Errorf("%s: exit %d, want 2: %s", tt.name, code, errb)
		}
	}
}
