package mcpserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/keyref/keyref/internal/resolve"
	"github.com/keyref/keyref/internal/secret"
)

// leakTokens hold the characters JSON encoders escape; keyref set accepts
// every one of them. Each starts with the canary the harness greps for.
var leakTokens = []string{
	"CANARYQ\"uote\\Tok\tTab9z",
	"CANARYHtml<b>&amp;Tok9z",
	"CANARYNonAsciiÄé☃Tok😀9z",
	"CANARY/Slash/Tok9z",
}

// echoAPI echoes what a request carried, in the ways an API might.
func echoAPI(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	headers := func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"headers": r.Header})
	}
	bearer := func(r *http.Request) string {
		return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		headers(w, r)
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		headers(w, r)
	})
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		headers(w, r)
	})
	mux.HandleFunc("/header", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token" token="`+bearer(r)+`"`)
		w.Header().Set("X-Request-Id", bearer(r))
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/escaped", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"t":"%s"}`, escapeAll(bearer(r), "\\u%04X"))
	})
	mux.HandleFunc("/escaped-cut", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"t":"%s", "pad":"%s"}`, escapeAll(bearer(r), "\\u%04x"),
			strings.Repeat("p", 1000))
	})
	mux.HandleFunc("/partial", func(w http.ResponseWriter, r *http.Request) {
		// One character escaped, in valid JSON sent as text: only
		// decoding the body finds the token.
		tok := bearer(r)
		rest, _ := json.Marshal(tok[7:])
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, `{"t":"%s\u%04x%s}`, tok[:6], tok[6], rest[1:])
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// escapeAll writes every UTF-16 unit of s with format.
func escapeAll(s, format string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, format, u)
	}
	return b.String()
}

func TestEscapedTokensNeverComeBack(t *testing.T) {
	srv := echoAPI(t)
	h := newHarness(t, func(string) Config { return Config{MaxResponseBytes: 300} }, nil)
	paths := []struct {
		path      string
		wantError bool
	}{{"/json", false}, {"/text", false}, {"/error", true}, {"/header", false},
		{"/escaped", false}, {"/escaped-cut", false},
		{"/partial", false}}
	for i, tok := range leakTokens {
		name := fmt.Sprintf("leak%d", i)
		h.helper.mu.Lock()
		h.helper.aliases[name] = &resolve.Token{Kind: "token", Token: secret.New(tok),
			Scopes: []string{srv.URL + "/"}}
		h.helper.mu.Unlock()
		for _, p := range paths {
			t.Run(name+p.path, func(t *testing.T) {
				// call fails the test if CANARY shows in the result or log.
				sub := *h
				sub.t = t
				got, isErr := sub.call(toolHTTPRequest, map[string]any{"url": srv.URL + p.path,
					"token": "keyring:" + name})
				if isErr != p.wantError || !strings.Contains(got, "[redacted]") {
					t.Errorf("isError = %v, want %v, and a placeholder; result:\n%s",
						isErr, p.wantError, got)
				}
				if strings.Contains(got, "Tok") || strings.Contains(got, "0054\\u006f") {
					t.Errorf("a part of the token is in the result:\n%s", got)
				}
			})
		}
	}
}
