package mcpserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
)

var update = flag.Bool("update", false, "rewrite testdata/tools.golden.json")

// TestToolsListSnapshot guards the tools' names and schemas, which are
// public API. Run with -update after a deliberate change.
func TestToolsListSnapshot(t *testing.T) {
	h := newHarness(t, noConfig, nil)
	res, err := h.client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(res.Tools, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "tools.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestToolsListSnapshot -update)", err)
	}
	if diff := cmp.Diff(strings.TrimSpace(string(want)), string(got)); diff != "" {
		t.Errorf("tools/list changed (-golden +got); run with -update if deliberate:\n%s", diff)
	}
}

func TestHTTPRequest(t *testing.T) {
	env := map[string]string{"BEARER_TOKEN_RAW": canary, "BEARER_TOKEN_KR": "keyring:work"}
	tests := []struct {
		name      string
		cfg       func(api string) Config
		args      map[string]any
		wantError bool
		want      []string // substrings of the result text
	}{
		{
			name: "keyring in scope",
			args: map[string]any{"url": "/api/items", "token": "keyring:work"},
			want: []string{`"status": 200`, `"items": [`},
		},
		{
			name:      "keyring out of scope",
			args:      map[string]any{"url": "/outside", "token": "keyring:work"},
			wantError: true, want: []string{"outside the alias's scope", "/api/"},
		},
		{
			name:      "keyring other port",
			args:      map[string]any{"url": "http://127.0.0.1:1/x", "token": "keyring:work"},
			wantError: true, want: []string{"outside the alias's scope"},
		},
		{
			name:      "missing alias",
			args:      map[string]any{"url": "/api/items", "token": "keyring:nope"},
			wantError: true, want: []string{"not found"},
		},
		{
			name: "env to keyring",
			args: map[string]any{"url": "/api/items", "token": "env:KR"},
			want: []string{`"status": 200`},
		},
		{
			name: "env raw allowed", cfg: origins(""),
			args: map[string]any{"url": "/api/items", "token": "env:RAW"},
			want: []string{`"status": 200`},
		},
		{
			name: "raw allowed", cfg: origins(""),
			args: map[string]any{"url": "/api/items", "token": canary},
			want: []string{`"status": 200`},
		},
		{
			name: "raw allow-origin miss", cfg: origins("http://127.0.0.1:1"),
			args:      map[string]any{"url": "/api/items", "token": canary},
			wantError: true, want: []string{"outside", "--allow-origin"},
		},
		{
			name:      "raw without allow-origin",
			args:      map[string]any{"url": "/api/items", "token": canary},
			wantError: true, want: []string{"--allow-origin"},
		},
		{
			name: "default token",
			cfg:  func(string) Config { return Config{Token: "keyring:work"} },
			args: map[string]any{"url": "/api/items"},
			want: []string{`"status": 200`},
		},
		{
			name:      "no token",
			args:      map[string]any{"url": "/api/items"},
			wantError: true, want: []string{"no token reference"},
		},
		{
			name:      "placeholder",
			args:      map[string]any{"url": "/api/items", "token": "${BEARER}"},
			wantError: true, want: []string{"unexpanded"},
		},
		{
			name:      "unknown scheme",
			args:      map[string]any{"url": "/api/items", "token": "vault:x"},
			wantError: true, want: []string{`unknown scheme "vault:"`},
		},
		{
			name: "echo redacted",
			args: map[string]any{"url": "/api/echo", "token": "keyring:work",
				"query": map[string]any{"q": canary}},
			want: []string{"Bearer [redacted]", `"basic": "dXNlcjpD[redacted]"`},
		},
		{
			name: "json escapes redacted",
			args: map[string]any{"url": "/api/escaped", "token": "keyring:work"},
			want: []string{`"t": "[redacted]"`},
		},
		{
			name: "text redacted and cut",
			cfg:  func(string) Config { return Config{MaxResponseBytes: 60} },
			args: map[string]any{"url": "/api/text", "token": "keyring:work"},
			want: []string{`xx[redacted]`, `"truncated": true`},
		},
		{
			name: "same-origin redirect followed",
			args: map[string]any{"url": "/api/same", "token": "keyring:work"},
			want: []string{`"status": 200`, `"items"`},
		},
		{
			name: "redirect out of alias scope",
			args: map[string]any{"url": "/api/escape", "token": "keyring:work"},
			want: []string{`"status": 302`, "outside the token's scope"},
		},
		{
			name: "write refused",
			args: map[string]any{"url": "/api/items", "method": "DELETE",
				"token": "keyring:work"},
			wantError: true, want: []string{"--allow-write"},
		},
		{
			name: "write allowed",
			cfg:  func(string) Config { return Config{AllowWrite: true} },
			args: map[string]any{"url": "/api/items", "method": "POST", "body": "{}",
				"token": "keyring:work"},
			want: []string{`"status": 200`},
		},
		{
			name: "authorization header refused",
			args: map[string]any{"url": "/api/items",
				"headers": map[string]any{"authorization": "x"}, "token": "keyring:work"},
			wantError: true, want: []string{"Authorization may not be set"},
		},
		{
			name:      "http error is a tool error",
			args:      map[string]any{"url": "/api/missing", "token": "keyring:work"},
			wantError: true, want: []string{`"status": 404`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg == nil {
				tt.cfg = noConfig
			}
			h := newHarness(t, tt.cfg, env)
			got, isErr := h.call(toolHTTPRequest, tt.args)
			if isErr != tt.wantError {
				t.Errorf("isError = %v, want %v; result:\n%s", isErr, tt.wantError, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("result lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func noConfig(string) Config { return Config{} }

// origins configures --allow-origin: the API itself when o is empty.
func origins(o string) func(string) Config {
	return func(api string) Config {
		if o == "" {
			o = api
		}
		return Config{AllowOrigins: []string{o}}
	}
}

func TestCrossOriginRedirectNotFollowed(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(leaked.Load() || r.Header.Get("Authorization") != "")
	}))
	t.Cleanup(other.Close)
	h := newHarness(t, noConfig, nil)
	got, isErr := h.call(toolHTTPRequest, map[string]any{"url": "/api/away",
		"query": map[string]any{"to": other.URL + "/api/x"}, "token": "keyring:wide"})
	if isErr || !strings.Contains(got, `"status": 302`) ||
		!strings.Contains(got, "another origin") {
		t.Errorf("cross-origin redirect:\n%s", got)
	}
	if leaked.Load() {
		t.Error("the token reached the other origin")
	}
}

func TestODataQuery(t *testing.T) {
	h := newHarness(t, noConfig, nil)
	got, isErr := h.call(toolODataQuery, map[string]any{"url": "/api/odata/People",
		"filter": "startswith(Name,'a b')", "token": "keyring:work"})
	if isErr {
		t.Fatalf("odata_query failed:\n%s", got)
	}
	var res odataResult
	if err := json.Unmarshal([]byte(got), &res); err != nil {
		t.Fatal(err)
	}
	if res.Pages != 3 || len(res.Value) != 3 || res.NextLink != "" {
		t.Errorf("got %d pages, %d rows, next %q; want 3, 3, none",
			res.Pages, len(res.Value), res.NextLink)
	}

	got, _ = h.call(toolODataQuery, map[string]any{"url": "/api/odata/People",
		"filter": "startswith(Name,'a b')", "token": "keyring:work", "max_pages": 2})
	if !strings.Contains(got, `"next_link"`) || !strings.Contains(got, `"pages": 2`) {
		t.Errorf("page limit not reported:\n%s", got)
	}
}

func TestListAliasesAndTokenStatus(t *testing.T) {
	claims := `{"iss":"https://idp.example","aud":"api","scp":"read write","exp":4102444800}`
	jwt := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(claims)) +
		".CANARYsig"
	env := map[string]string{"BEARER_TOKEN_KR": "keyring:work", "BEARER_TOKEN_JWT": jwt}
	h := newHarness(t, func(string) Config { return Config{Token: "env:KR"} }, env)
	got, _ := h.call(toolListAliases, nil)
	for _, w := range []string{`"keyring:work"`, `"env:KR"`, `"via": "keyring:work"`, `"env:JWT"`,
		`"default": "env:KR"`} {
		if !strings.Contains(got, w) {
			t.Errorf("list_aliases lacks %s:\n%s", w, got)
		}
	}
	got, _ = h.call(toolTokenStatus, map[string]any{"token": "env:JWT"})
	for _, w := range []string{`"resolves": true`, `"issuer": "https://idp.example"`, `"write"`,
		`"expired": false`} {
		if !strings.Contains(got, w) {
			t.Errorf("token_status lacks %s:\n%s", w, got)
		}
	}
	got, _ = h.call(toolTokenStatus,
		map[string]any{"token": "keyring:work", "url": "http://127.0.0.1:1/"})
	if !strings.Contains(got, `"allowed_for_url": false`) {
		t.Errorf("token_status did not refuse the url:\n%s", got)
	}
	got, _ = h.call(toolTokenStatus, map[string]any{"token": "keyring:gone"})
	if !strings.Contains(got, `"resolves": false`) || !strings.Contains(got, "not found") {
		t.Errorf("token_status of a missing alias:\n%s", got)
	}
}
