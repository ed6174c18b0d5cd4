package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/secret"
	"github.com/keyref/keyref/internal/testenv"
)

// fakeClock advances when waited on, so polls take no real time.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	f.waits = append(f.waits, d)
	ch := make(chan time.Time, 1)
	ch <- f.now
	return ch
}

// answer is one scripted response of a fake endpoint.
type answer struct {
	status int
	body   map[string]any
}

// fakeProvider is an httptest OAuth server answering from scripts and
// recording every request form.
type fakeProvider struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	token  []answer // answered in order; the last one repeats
	forms  []url.Values
	basics []string // client id of HTTP Basic auth per token request, "" for none
}

func newFakeProvider(t *testing.T, token ...answer) *fakeProvider {
	p := &fakeProvider{t: t, token: token}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /device", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{
			"device_code": "DEV-" + r.FormValue("client_id"), "user_code": "ABCD-EFGH",
			"verification_uri": p.srv.URL + "/activate", "expires_in": 600, "interval": 1,
		})
	})
	mux.HandleFunc("POST /token", p.serveToken)
	mux.HandleFunc("POST /revoke", p.serveToken)
	mux.HandleFunc("GET /.well-known/openid-configuration",
		func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, 200, map[string]any{
				"issuer": p.srv.URL, "token_endpoint": p.srv.URL + "/token",
				"device_authorization_endpoint": p.srv.URL + "/device",
				"revocation_endpoint":           p.srv.URL + "/revoke",
			})
		})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeProvider) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.t.Errorf("parsing the form: %v", err)
	}
	id, _, _ := r.BasicAuth()
	p.mu.Lock()
	p.forms = append(p.forms, r.PostForm)
	p.basics = append(p.basics, id)
	a := p.token[0]
	if len(p.token) > 1 {
		p.token = p.token[1:]
	}
	p.mu.Unlock()
	writeJSON(w, a.status, a.body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (p *fakeProvider) client(clk Clock) *Client {
	return &Client{
		ID: "cli", TokenURL: p.srv.URL + "/token", DeviceAuthURL: p.srv.URL + "/device",
		RevocationURL: p.srv.URL + "/revoke", Clock: clk,
	}
}

func oauthErr(code string) answer {
	return answer{400, map[string]any{"error": code}}
}

func tokens(access, refresh string, expiresIn int) answer {
	return answer{200, map[string]any{
		"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
		"expires_in": expiresIn,
	}}
}

func TestDeviceFlowPollsAtTheGivenPace(t *testing.T) {
	access, refresh := testenv.Canary(), testenv.Canary()
	tests := []struct {
		name      string
		answers   []answer
		wantErr   error
		wantWaits []time.Duration
		wantPolls []PollStatus
	}{
		{
			name:      "approved after pending",
			answers:   []answer{oauthErr("authorization_pending"), tokens(access, refresh, 300)},
			wantWaits: []time.Duration{time.Second, time.Second},
			wantPolls: []PollStatus{{Attempt: 1, Interval: time.Second, Left: 599 * time.Second}},
		},
		{
			name: "slow_down adds five seconds for good",
			answers: []answer{
				oauthErr("slow_down"), oauthErr("authorization_pending"),
				tokens(access, refresh, 300),
			},
			wantWaits: []time.Duration{time.Second, 6 * time.Second, 6 * time.Second},
			wantPolls: []PollStatus{
				{Attempt: 1, Interval: 6 * time.Second, SlowDown: true, Left: 599 * time.Second},
				{Attempt: 2, Interval: 6 * time.Second, Left: 593 * time.Second},
			},
		},
		{
			name:      "access_denied",
			answers:   []answer{oauthErr("authorization_pending"), oauthErr("access_denied")},
			wantErr:   ErrAccessDenied,
			wantWaits: []time.Duration{time.Second, time.Second},
			wantPolls: []PollStatus{{Attempt: 1, Interval: time.Second, Left: 599 * time.Second}},
		},
		{
			name:      "expired_token",
			answers:   []answer{oauthErr("expired_token")},
			wantErr:   ErrExpiredToken,
			wantWaits: []time.Duration{time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newFakeProvider(t, tt.answers...)
			clk := newFakeClock()
			c := p.client(clk)
			d, err := c.StartDevice(context.Background())
			if err != nil {
				t.Fatalf("StartDevice: %v", err)
			}
			var polls []PollStatus
			tok, err := c.PollDevice(context.Background(), d, func(s PollStatus) {
				s.Left = s.Left.Round(time.Second)
				polls = append(polls, s)
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("PollDevice error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantWaits, clk.waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantPolls, polls); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}
			if err != nil {
				assertNoCanary(t, err.Error(), access, refresh, "DEV-cli")
				return
			}
			want := &Token{secret.New(access), secret.New(refresh), "Bearer",
				clk.Now().Add(300 * time.Second)}
			if diff := cmp.Diff(want, tok, cmp.Comparer(secret.Secret.Equal)); diff != "" {
				t.Errorf("token (-want +got):\n%s", diff)
			}
			last := p.forms[len(p.forms)-1]
			wantForm := url.Values{"grant_type": {deviceGrantType}, "device_code": {"DEV-cli"},
				"client_id": {"cli"}}
			if diff := cmp.Diff(wantForm, last); diff != "" {
				t.Errorf("device access token request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeviceFlowEndsAtTheLocalDeadline(t *testing.T) {
	p := newFakeProvider(t, oauthErr("authorization_pending"))
	clk := newFakeClock()
	c := p.client(clk)
	d, err := c.StartDevice(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PollDevice(context.Background(), d, nil)
	if !errors.Is(err, ErrExpiredToken) {
		t.Fatalf("err = %v, want ErrExpiredToken", err)
	}
	if n := len(p.forms); n < 590 || n > 600 {
		t.Errorf("polled %d times in 600 s at 1 s, want about 600", n)
	}
}

func TestDeviceFlowStopsWhenCancelled(t *testing.T) {
	p := newFakeProvider(t, oauthErr("authorization_pending"))
	c := p.client(newFakeClock())
	d, err := c.StartDevice(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err = c.PollDevice(ctx, d, func(PollStatus) {
		if n++; n == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRefresh(t *testing.T) {
	oldRT, newRT, access := testenv.Canary(), testenv.Canary(), testenv.Canary()
	tests := []struct {
		name        string
		answer      answer
		secret      string
		wantRefresh string
		wantErr     error
		wantBasic   string
	}{
		{name: "rotated", answer: tokens(access, newRT, 60), wantRefresh: newRT},
		{name: "not rotated keeps the old one", answer: tokens(access, "", 60), wantRefresh: oldRT},
		{
			name: "confidential client uses basic auth", answer: tokens(access, newRT, 60),
			secret: "s3cret", wantRefresh: newRT, wantBasic: "cli",
		},
		{
			name: "invalid_grant", wantErr: ErrInvalidGrant,
			answer: answer{400, map[string]any{"error": "invalid_grant",
				"error_description": "token " + oldRT + " was revoked"}},
		},
		{name: "invalid_client", answer: oauthErr("invalid_client"), wantErr: ErrInvalidClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newFakeProvider(t, tt.answer)
			clk := newFakeClock()
			c := p.client(clk)
			c.Secret = secret.New(tt.secret)
			tok, err := c.Refresh(context.Background(), secret.New(oldRT))
			if len(p.forms) != 1 {
				t.Errorf("sent %d token requests, want exactly 1", len(p.forms))
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				assertNoCanary(t, err.Error(), oldRT, newRT, access)
				return
			}
			if got := tok.RefreshToken.Reveal(); got != tt.wantRefresh {
				t.Errorf("refresh token = %q, want %q", got, tt.wantRefresh)
			}
			if !tok.Expiry.Equal(clk.Now().Add(time.Minute)) {
				t.Errorf("expiry = %v, want a minute after %v", tok.Expiry, clk.Now())
			}
			want := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {oldRT}}
			if tt.secret == "" {
				want.Set("client_id", "cli")
			}
			if diff := cmp.Diff(want, p.forms[0]); diff != "" {
				t.Errorf("refresh request (-want +got):\n%s", diff)
			}
			if p.basics[0] != tt.wantBasic {
				t.Errorf("basic auth client = %q, want %q", p.basics[0], tt.wantBasic)
			}
		})
	}
}

func TestClientCredentials(t *testing.T) {
	access, clientSecret := testenv.Canary(), testenv.Canary()
	p := newFakeProvider(t, answer{200, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": 3600}})
	clk := newFakeClock()
	c := p.client(clk)
	c.Secret, c.Scopes = secret.New(clientSecret), []string{"api"}

	tok, err := c.ClientCredentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken.Reveal() != access || !tok.RefreshToken.IsZero() {
		t.Errorf("got access %v refresh %v",
			tok.AccessToken.Reveal() == access, tok.RefreshToken.IsZero())
	}
	if !tok.Expiry.Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("expiry = %v, want an hour after %v", tok.Expiry, clk.Now())
	}
	want := url.Values{"grant_type": {"client_credentials"}, "scope": {"api"}}
	if diff := cmp.Diff(want, p.forms[0]); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	assertNoCanary(t, strings.Join(p.forms[0]["scope"], " "), clientSecret)

	c.Secret = secret.Secret{}
	if _, err := c.ClientCredentials(context.Background()); err == nil {
		t.Error("client credentials without a secret: no error")
	}
}

func TestRevoke(t *testing.T) {
	rt := testenv.Canary()
	p := newFakeProvider(t, answer{200, map[string]any{}},
		answer{400, map[string]any{"error": "unsupported_token_type", "error_description": rt}})
	c := p.client(nil)
	if err := c.Revoke(context.Background(), secret.New(rt), HintRefreshToken); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	want := url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}, "client_id": {"cli"}}
	if diff := cmp.Diff(want, p.forms[0]); diff != "" {
		t.Errorf("revocation request (-want +got):\n%s", diff)
	}

	err := c.Revoke(context.Background(), secret.New(rt), HintRefreshToken)
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Code != "unsupported_token_type" {
		t.Fatalf("err = %v, want a provider error", err)
	}
	assertNoCanary(t, err.Error(), rt)

	c.RevocationURL = ""
	if err := c.Revoke(context.Background(), secret.New(rt), ""); !errors.Is(err, ErrNoRevocation) {
		t.Errorf("without an endpoint: err = %v, want ErrNoRevocation", err)
	}
}

func TestDiscover(t *testing.T) {
	p := newFakeProvider(t, answer{})
	ep, err := Discover(context.Background(), p.srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	want := &Endpoints{Issuer: p.srv.URL, TokenURL: p.srv.URL + "/token",
		DeviceAuthURL: p.srv.URL + "/device", RevocationURL: p.srv.URL + "/revoke"}
	if diff := cmp.Diff(want, ep); diff != "" {
		t.Errorf("endpoints (-want +got):\n%s", diff)
	}

	if _, err := Discover(context.Background(), p.srv.URL+"/other"); err == nil {
		t.Error("discovery under another issuer path: no error")
	}
	if _, err := checkDiscovered("https://idp.example", &Endpoints{Issuer: "https://idp.example",
		TokenURL: "http://idp.example/token"}); !errors.Is(err, ErrInsecureURL) {
		t.Errorf("http token endpoint off loopback: err = %v, want ErrInsecureURL", err)
	}
	if _, err := checkDiscovered("https://idp.example", &Endpoints{Issuer: "https://evil.example",
		TokenURL: "https://evil.example/token"}); err == nil {
		t.Error("issuer mismatch: no error")
	}
}

func TestCheckEndpoint(t *testing.T) {
	tests := []struct {
		url  string
		want bool
	}{
		{"https://login.example.com/token", true},
		{"http://127.0.0.1:8080/token", true},
		{"http://localhost/token", true},
		{"http://[::1]:9/token", true},
		{"http://login.example.com/token", false},
		{"ftp://login.example.com/", false},
		{"/relative", false},
	}
	for _, tt := range tests {
		if got := CheckEndpoint(tt.url) == nil; got != tt.want {
			t.Errorf("CheckEndpoint(%q) ok = %v, want %v", tt.url, got, tt.want)
		}
	}
}

func TestCheckIssuer(t *testing.T) {
	canary := testenv.Canary()
	tests := []struct {
		url  string
		want error // nil: accepted
	}{
		{"https://idp.example", nil},
		{"https://idp.example/realms/work/", nil},
		{"http://127.0.0.1:8080", nil},
		{"http://idp.example", ErrInsecureURL},
		{"https://idp.example/?" + canary, ErrIssuerURL},
		{"https://idp.example/?", ErrIssuerURL},
		{"https://idp.example/#" + canary, ErrIssuerURL},
		{"https://u:" + canary + "@idp.example/", ErrIssuerURL},
	}
	for _, tt := range tests {
		err := CheckIssuer(tt.url)
		if !errors.Is(err, tt.want) || (tt.want != nil) != (err != nil) {
			t.Errorf("CheckIssuer(%q) = %v, want %v", tt.url, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), canary) {
			t.Errorf("CheckIssuer(%q) error quotes the secret part: %v", tt.url, err)
		}
	}
}

func TestDiscoverRefusesAnIssuerWithAQuery(t *testing.T) {
	p := newFakeProvider(t, answer{})
	for _, issuer := range []string{p.srv.URL + "/?q", p.srv.URL + "#f"} {
		if _, err := Discover(context.Background(), issuer); !errors.Is(err, ErrIssuerURL) {
			t.Errorf("Discover(%q) = %v, want ErrIssuerURL", issuer, err)
		}
	}
}

func TestErrorsCarryNoSecrets(t *testing.T) {
	canary := testenv.Canary()
	err := translate("token", "https://u:"+canary+"@idp.example/token?x="+canary,
		errors.New("oauth2: odd body "+canary+"\nline two"), secret.New(canary))
	assertNoCanary(t, err.Error(), canary)
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
}

func assertNoCanary(t *testing.T, out string, canaries ...string) {
	t.Helper()
	for _, c := range canaries {
		if c != "" && strings.Contains(out, c) {
			t.Errorf("output holds a secret: %q", out)
		}
	}
}
