package mcpserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/keyref/keyref/internal/resolve"
	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/secret"
)

const canary = "CANARYmcpserverTok-123"

// fakeHelper serves aliases from memory and checks scopes as keyref does.
type fakeHelper struct {
	mu      sync.Mutex
	aliases map[string]*resolve.Token
}

func (f *fakeHelper) Get(_ context.Context, name, dest string) (*resolve.Token, error) {
	f.mu.Lock()
	tok, ok := f.aliases[name]
	f.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("alias %q: %w: not found", name, resolve.ErrNotFound)
	}
	if dest != "" {
		d, err := scope.ParseDestination(dest)
		if err != nil {
			return nil, err
		}
		if err := scope.Check(tok.Scopes, d); err != nil {
			return nil, fmt.Errorf("alias %q: %w", name, err)
		}
	}
	return tok, nil
}

func (f *fakeHelper) List(context.Context) ([]resolve.Alias, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []resolve.Alias
	for n, t := range f.aliases {
		out = append(out, resolve.Alias{Name: n, Kind: t.Kind, Scopes: t.Scopes})
	}
	return out, nil
}

// api is a loopback API that requires the canary bearer token.
func api(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+canary {
				http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("/api/echo", auth(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		basic := base64.StdEncoding.EncodeToString([]byte("user:" + canary))
		_ = json.NewEncoder(w).Encode(map[string]any{"headers": r.Header, "basic": basic,
			"query": r.URL.RawQuery})
	}))
	mux.HandleFunc("/api/escaped", auth(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"t":"\u0043%s"}`, canary[1:])
	}))
	mux.HandleFunc("/api/items", auth(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"items":[1,2,3]}`)
	}))
	mux.HandleFunc("/api/text", auth(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("x", 50)+canary+strings.Repeat("y", 50))
	}))
	mux.HandleFunc("/api/same", auth(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/api/items", http.StatusFound)
	}))
	mux.HandleFunc("/outside", auth(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "outside the scope")
	}))
	mux.HandleFunc("/api/away", auth(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	mux.HandleFunc("/api/escape", auth(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/outside", http.StatusFound)
	}))
	mux.HandleFunc("/api/odata/People", auth(odataPeople))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// odataPeople serves three pages of people, checking the options' encoding.
func odataPeople(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Query().Get("$filter") != "startswith(Name,'a b')" {
		http.Error(w, `{"error":"bad filter `+r.URL.RawQuery+`"}`, http.StatusBadRequest)
		return
	}
	page := r.URL.Query().Get("page")
	next := map[string]string{"": "2", "2": "3"}[page]
	body := map[string]any{"@odata.context": "$metadata#People",
		"value": []any{map[string]any{"Name": "a b " + page}}}
	if next != "" {
		body["@odata.nextLink"] = "/api/odata/People?$filter=startswith(Name,'a%20b')&page=" + next
	}
	_ = json.NewEncoder(w).Encode(body)
}

// harness is a Server with an in-process client.
type harness struct {
	t      *testing.T
	client *client.Client
	log    *strings.Builder
	helper *fakeHelper // tests may add aliases
	server *Server
}

// newHarness starts the API and a Server configured by cfg, which gets
// the API's base URL.
func newHarness(t *testing.T, cfg func(api string) Config, env map[string]string) *harness {
	t.Helper()
	srv := api(t)
	c0 := cfg(srv.URL)
	if c0.BaseURL == "" {
		c0.BaseURL = srv.URL
	}
	var err error
	if c0.AllowOrigins, err = resolve.CheckAllowOrigins(c0.AllowOrigins); err != nil {
		t.Fatal(err)
	}
	return startHarness(t, srv, &c0, env)
}

func startHarness(t *testing.T, srv *httptest.Server, cfg *Config, env map[string]string) *harness {
	alias := func(scopes ...string) *resolve.Token {
		return &resolve.Token{Kind: "token", Token: secret.New(canary), Scopes: scopes}
	}
	h := &fakeHelper{aliases: map[string]*resolve.Token{
		"work":  alias(srv.URL + "/api/"),
		"wide":  alias("*"),
		"other": alias("http://127.0.0.1:1/"),
	}}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	logs := &strings.Builder{}
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil))
	getenv := func(k string) string { return env[k] }
	environ := func() []string {
		var out []string
		for k, v := range env {
			out = append(out, k+"="+v)
		}
		return out
	}
	s := New(cfg, h, &Env{Getenv: getenv, Environ: environ}, logger)
	c, err := client.NewInProcessClient(s.mcp)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = "2025-06-18"
	init.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &harness{t: t, client: c, log: logs, helper: h, server: s}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// call calls a tool and returns its text and error flag, failing the test
// if the canary shows anywhere in the result.
func (h *harness) call(name string, args map[string]any) (string, bool) {
	h.t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := h.client.CallTool(context.Background(), req)
	if err != nil {
		h.t.Fatalf("%s: protocol error: %v", name, err)
	}
	raw, _ := json.Marshal(res)
	if strings.Contains(string(raw), "CANARY") || strings.Contains(h.log.String(), "CANARY") {
		h.t.Fatalf("%s: the canary token leaked:\n%s\nlog:\n%s", name, raw, h.log.String())
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	return text.String(), res.IsError
}
