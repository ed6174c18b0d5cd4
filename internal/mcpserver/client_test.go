package mcpserver_test

// These tests drive the built keyref-mcp with an independent client, the
// official MCP TypeScript SDK (platform/mcp-client), inside the real
// Secret Service session, and search everything the client received and
// the server's whole stderr for the canary token.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/testenv"
)

// concurrent is how many calls TestClientConcurrentCalls runs at once.
const concurrent = 16

// loopAPI is the loopback API the server is pointed at.
type loopAPI struct {
	*httptest.Server
	token     string
	arrived   atomic.Int32
	release   chan struct{}
	cancelled chan struct{}
	once      sync.Once
}

func newLoopAPI(t *testing.T, token string) *loopAPI {
	t.Helper()
	a := &loopAPI{token: token, release: make(chan struct{}), cancelled: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/x", a.auth(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"answer":42}`)
	}))
	mux.HandleFunc("/api/echo", a.auth(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"headers": r.Header})
	}))
	mux.HandleFunc("/api/away", a.auth(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	mux.HandleFunc("/api/barrier", a.auth(a.barrier))
	mux.HandleFunc("/api/slow", a.auth(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			a.cancelled <- struct{}{}
		case <-time.After(20 * time.Second):
		}
	}))
	mux.HandleFunc("/api/odata/People", a.auth(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		row := map[string]any{"Name": "p" + r.URL.Query().Get("page")}
		body := map[string]any{"value": []any{row}}
		if r.URL.Query().Get("page") == "" {
			body["@odata.nextLink"] = a.URL + "/api/odata/People?page=2"
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Close)
	return a
}

func (a *loopAPI) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+a.token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h(w, r)
	}
}

// barrier answers only once concurrent requests are in flight together.
func (a *loopAPI) barrier(w http.ResponseWriter, r *http.Request) {
	if a.arrived.Add(1) == concurrent {
		a.once.Do(func() { close(a.release) })
	}
	select {
	case <-a.release:
		fmt.Fprint(w, "together")
	case <-time.After(10 * time.Second):
		http.Error(w, "the calls did not run in parallel", http.StatusGatewayTimeout)
	}
}

// e2e is one test's rig: binaries, an alias in the Secret Service, the API.
type e2e struct {
	t      *testing.T
	bin    string
	alias  string
	token  string
	api    *loopAPI
	driver string
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	driver := clientDriver(t)
	testenv.RequireSecretService(t)
	e := &e2e{t: t, bin: testenv.Binaries(t), token: testenv.Canary(), driver: driver}
	e.api = newLoopAPI(t, e.token)
	suffix := strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())
	e.alias = "mcp-e2e-" + strings.ToLower(suffix)
	e.keyref(e.token+"\n", "set", e.alias, "--url", e.api.URL+"/api/")
	t.Cleanup(func() { _ = exec.Command(filepath.Join(e.bin, "keyref"), "rm", e.alias).Run() })
	return e
}

// clientDriver returns drive.mjs, failing (never skipping) with the
// install command when the pinned client is not installed.
func clientDriver(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "platform", "mcp-client"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not installed; install Node.js 20 or later, then run: " +
			"npm ci --prefix platform/mcp-client")
	}
	sdk := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk")
	if _, err := os.Stat(sdk); err != nil {
		t.Fatalf("the MCP client is not installed; run: npm ci --prefix platform/mcp-client")
	}
	return filepath.Join(dir, "drive.mjs")
}

func (e *e2e) keyref(stdin string, args ...string) string {
	e.t.Helper()
	cmd := exec.Command(filepath.Join(e.bin, "keyref"), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("keyref %s: %v\n%s", args[0], err, out)
	}
	return string(out)
}

type step = map[string]any

// report is drive.mjs's output.
type report struct {
	Steps []struct {
		Op      string            `json:"op"`
		Tools   []json.RawMessage `json:"tools"`
		OK      bool              `json:"ok"`
		Error   string            `json:"error"`
		MS      int               `json:"ms"`
		Result  *toolResult       `json:"result"`
		Results []struct {
			OK     bool        `json:"ok"`
			Result *toolResult `json:"result"`
		} `json:"results"`
		Exit *struct {
			Code   *int    `json:"code"`
			Signal *string `json:"signal"`
			MS     int     `json:"ms"`
		} `json:"exit"`
	} `json:"steps"`
	Error  string `json:"error"`
	Stderr string `json:"stderr"`
}

type toolResult struct {
	Content []struct {
		Text string `json:"text"`
	} `json:"content"`
	IsError bool `json:"isError"`
}

func (r *toolResult) text() string {
	if r == nil {
		return "(no result)"
	}
	var b strings.Builder
	for _, c := range r.Content {
		b.WriteString(c.Text)
	}
	return b.String()
}

// run starts keyref-mcp with args and env under the client, replays steps
// and checks that the token shows nowhere in the report.
func (e *e2e) run(args []string, env map[string]string, steps ...step) *report {
	e.t.Helper()
	out := drive(e.t, e.driver, e.bin, args, env, steps...)
	if strings.Contains(string(out), e.token) {
		e.t.Fatalf("the token reached the client or the server's stderr:\n%s", out)
	}
	var r report
	if err := json.Unmarshal(out, &r); err != nil || r.Error != "" {
		e.t.Fatalf("drive.mjs report: %v %s\n%s", err, r.Error, out)
	}
	return &r
}

// drive runs bin's keyref-mcp, with bin's keyref as its helper and args,
// under drive.mjs and returns the report as the client printed it, with
// every result and the server's whole stderr.
func drive(t *testing.T, driver, bin string, args []string, env map[string]string,
	steps ...step) []byte {
	t.Helper()
	args = append([]string{"--helper", filepath.Join(bin, "keyref")}, args...)
	plan, _ := json.Marshal(map[string]any{"command": filepath.Join(bin, "keyref-mcp"),
		"args": args, "env": env, "steps": steps})
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, plan, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", driver, path).Output()
	if err != nil {
		t.Fatalf("drive.mjs: %v\n%s", err, out)
	}
	return out
}

func call(name string, args map[string]any) step {
	return step{"op": "call", "name": name, "args": args}
}

func TestClientToolsListSnapshot(t *testing.T) {
	e := newE2E(t)
	r := e.run(nil, nil, step{"op": "list"})
	var got, want any
	raw, _ := json.Marshal(r.Steps[0].Tools)
	_ = json.Unmarshal(raw, &got)
	golden, err := os.ReadFile(filepath.Join("testdata", "tools.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(golden, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tools/list seen by the SDK client differs from testdata/tools.golden.json "+
			"(-golden +got):\n%s", diff)
	}
}

func TestClientReferences(t *testing.T) {
	e := newE2E(t)
	other := newLoopAPI(t, e.token) // a second origin that would accept the token
	kr := "keyring:" + e.alias
	env := map[string]string{"BEARER_TOKEN_KR": kr, "BEARER_TOKEN_RAW": e.token}
	args := []string{"--allow-origin", e.api.URL, "--base-url", e.api.URL}
	tests := []struct {
		name    string
		step    step
		wantErr bool
		want    []string
	}{
		{"keyring in scope", call("http_request", step{"url": "/api/x", "token": kr}), false,
			[]string{`"answer": 42`}},
		{"keyring other origin",
			call("http_request", step{"url": other.URL + "/api/x", "token": kr}),
			true, []string{"outside the alias's scope", e.api.URL + "/api/"}},
		{"env to keyring", call("http_request", step{"url": "/api/x", "token": "env:KR"}), false,
			[]string{`"answer": 42`}},
		{"env raw", call("http_request", step{"url": "/api/x", "token": "env:RAW"}), false,
			[]string{`"answer": 42`}},
		{"raw", call("http_request", step{"url": "/api/x", "token": e.token}), false,
			[]string{`"answer": 42`}},
		{"raw allow-origin miss", call("http_request", step{"url": other.URL + "/api/x",
			"token": e.token}), true, []string{"outside", "--allow-origin"}},
		{"env allow-origin miss", call("http_request", step{"url": other.URL + "/api/x",
			"token": "env:RAW"}), true, []string{"--allow-origin"}},
		{"missing alias", call("http_request", step{"url": "/api/x", "token": kr + "-gone"}), true,
			[]string{"not found"}},
		{"placeholder", call("http_request", step{"url": "/api/x", "token": "${BEARER_TOKEN_KR}"}),
			true, []string{"unexpanded"}},
		{"echo redacted", call("http_request", step{"url": "/api/echo", "token": kr}), false,
			[]string{"Bearer [redacted]"}},
		{"cross-origin redirect", call("http_request", step{"url": "/api/away", "token": kr,
			"query": step{"to": other.URL + "/api/x"}}), false,
			[]string{`"status": 302`, "another origin"}},
		{"odata paging", call("odata_query", step{"url": "/api/odata/People", "token": kr}), false,
			[]string{`"pages": 2`, `"p2"`}},
		{"list aliases", call("list_aliases", nil), false, []string{`"` + kr + `"`, `"env:KR"`}},
		{"token status", call("token_status", step{"token": "env:KR"}), false,
			[]string{`"resolves": true`, `"source": "env:KR -> ` + kr + `"`}},
	}
	steps := make([]step, len(tests))
	for i, tt := range tests {
		steps[i] = tt.step
	}
	r := e.run(args, env, steps...)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := r.Steps[i]
			got := s.Result.text()
			if !s.OK || s.Result.IsError != tt.wantErr {
				t.Errorf("ok=%v isError=%v, want a result with isError=%v:\n%s %s",
					s.OK, s.Result != nil && s.Result.IsError, tt.wantErr, got, s.Error)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("result lacks %q:\n%s", w, got)
				}
			}
		})
	}
	if n := strings.Count(r.Stderr, "msg=call"); n != len(tests) {
		t.Errorf("stderr has %d call lines, want %d:\n%s", n, len(tests), r.Stderr)
	}
}

func TestClientConcurrentCalls(t *testing.T) {
	e := newE2E(t)
	calls := make([]step, concurrent)
	for i := range calls {
		calls[i] = step{"name": "http_request", "args": step{"url": e.api.URL + "/api/barrier",
			"token": "keyring:" + e.alias}}
	}
	r := e.run(nil, nil, step{"op": "parallel", "calls": calls})
	for i, res := range r.Steps[0].Results {
		if !res.OK || res.Result.IsError || !strings.Contains(res.Result.text(), "together") {
			t.Errorf("call %d: %s", i, res.Result.text())
		}
	}
	t.Logf("%d concurrent keyring: calls took %d ms", concurrent, r.Steps[0].MS)
}

func TestClientCancelStopsTheRequest(t *testing.T) {
	e := newE2E(t)
	r := e.run(nil, nil, step{"op": "cancel", "name": "http_request", "afterMs": 500,
		"args": step{"url": e.api.URL + "/api/slow", "token": "keyring:" + e.alias}})
	if s := r.Steps[0]; s.OK {
		t.Errorf("the cancelled call succeeded: %s", s.Result.text())
	}
	select {
	case <-e.api.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the API request was not stopped after notifications/cancelled")
	}
}

func TestClientCancelStopsTheHelper(t *testing.T) {
	e := newE2E(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	helper := filepath.Join(dir, "slow-keyref")
	script := "#!/bin/sh\necho $$ > " + pidFile + "\nexec sleep 30\n"
	if err := os.WriteFile(helper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	r := e.run([]string{"--helper", helper}, nil, step{"op": "cancel", "name": "http_request",
		"afterMs": 500, "args": step{"url": e.api.URL + "/api/x", "token": "keyring:" + e.alias}})
	if r.Steps[0].OK {
		t.Fatalf("the cancelled call succeeded")
	}
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the helper never ran: %v", err)
	}
	proc := "/proc/" + strings.TrimSpace(string(pid))
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		if _, err := os.Stat(proc); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("the helper (pid %s) still runs after the call was cancelled", pid)
}

func TestClientEOFExitsPromptly(t *testing.T) {
	e := newE2E(t)
	// A call is left in flight: stdin closing must stop it and exit.
	r := e.run(nil, nil,
		step{"op": "start", "name": "http_request", "waitMs": 500,
			"args": step{"url": e.api.URL + "/api/slow", "token": "keyring:" + e.alias}},
		step{"op": "close"})
	exit := r.Steps[len(r.Steps)-1].Exit
	if exit == nil || exit.Signal != nil || exit.MS > 2000 {
		t.Fatalf("keyref-mcp did not exit within 2s of stdin closing: %+v", exit)
	}
	t.Logf("exited %d ms after stdin closed", exit.MS)
}

func TestClientTokenCacheTTL(t *testing.T) {
	e := newE2E(t)
	get := call("http_request", step{"url": e.api.URL + "/api/x", "token": "keyring:" + e.alias})
	rm := step{"op": "exec", "argv": []string{filepath.Join(e.bin, "keyref"), "rm", e.alias}}
	script := `printf '%s\n' "$TOK" | "$0" set "$1" --url "$2"`
	set := step{"op": "exec", "argv": []string{"sh", "-c", script,
		filepath.Join(e.bin, "keyref"), e.alias, e.api.URL + "/api/"}}
	tests := []struct {
		name       string
		env        map[string]string
		wantCached bool
		wantStderr []string
	}{
		{"off by default", nil, false, nil},
		{"capped at five minutes", map[string]string{"KEYREF_TOKEN_CACHE_TTL": "1h"}, true,
			[]string{"warning: KEYREF_TOKEN_CACHE_TTL", "for 5m0s (capped from 1h0m0s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TOK", e.token)
			r := e.run(nil, tt.env, get, rm, get, set)
			if first := r.Steps[0]; !first.OK || first.Result.IsError {
				t.Fatalf("first call: %s", first.Result.text())
			}
			second := r.Steps[2].Result
			if cached := !second.IsError; cached != tt.wantCached {
				t.Errorf("call after keyref rm: cached=%v, want %v:\n%s",
					cached, tt.wantCached, second.text())
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
				}
			}
		})
	}
}
