package resolve

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/secret"
)

const canary = "CANARYresolvetok"

// fakeHelper serves aliases from a map, checking scopes as keyref does
// unless lax is set.
type fakeHelper struct {
	aliases map[string]*Token
	lax     bool

	mu    sync.Mutex
	calls int
}

func (f *fakeHelper) Get(_ context.Context, name, dest string) (*Token, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	tok, ok := f.aliases[name]
	if !ok {
		return nil, exitError(3, "alias not found")
	}
	if dest != "" && !f.lax {
		d, err := scope.ParseDestination(dest)
		if err != nil {
			return nil, exitError(2, err.Error())
		}
		if err := scope.Check(tok.Scopes, d); err != nil {
			return nil, exitError(5, err.Error())
		}
	}
	return tok, nil
}

func (f *fakeHelper) List(context.Context) ([]Alias, error) { return nil, nil }

func newFake(lax bool) *fakeHelper {
	return &fakeHelper{lax: lax, aliases: map[string]*Token{
		"work": {Kind: "token", Token: secret.New(canary),
			Scopes: []string{"http://127.0.0.1:8080/api/"}},
	}}
}

func dest(t *testing.T, raw string) *scope.Destination {
	t.Helper()
	d, err := scope.ParseDestination(raw)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestResolve(t *testing.T) {
	env := map[string]string{
		"BEARER_TOKEN_RAW":  canary,
		"BEARER_TOKEN_KR":   "keyring:work",
		"BEARER_TOKEN_LOOP": "env:RAW",
		"BEARER_TOKEN_PH":   "${secret}",
	}
	tests := []struct {
		ref, dest  string
		lax        bool
		wantSource string
		wantErr    error
	}{
		{ref: "keyring:work", dest: "http://127.0.0.1:8080/api/x", wantSource: "keyring:work"},
		{ref: "keyring:work", dest: "http://127.0.0.1:9999/", wantErr: scope.ErrOutside},
		{ref: "keyring:work", dest: "http://127.0.0.1:9999/", lax: true, wantErr: scope.ErrOutside},
		{ref: "keyring:nope", dest: "http://127.0.0.1:8080/api/x", wantErr: ErrNotFound},
		{ref: "keyring:work", wantSource: "keyring:work"},
		{ref: "env:KR", dest: "http://127.0.0.1:8080/api/x", wantSource: "env:KR -> keyring:work"},
		{ref: "env:KR", dest: "http://127.0.0.1:9999/", wantErr: scope.ErrOutside},
		{ref: "env:RAW", dest: "http://127.0.0.1:7000/v1", wantSource: "env:RAW"},
		{ref: "env:RAW", dest: "http://127.0.0.1:7001/v1", wantErr: scope.ErrOutside},
		{ref: "env:UNSET", dest: "http://127.0.0.1:7000/", wantErr: ErrNotFound},
		{ref: "env:LOOP", dest: "http://127.0.0.1:7000/", wantErr: ErrInvalid},
		{ref: "env:PH", dest: "http://127.0.0.1:7000/", wantErr: ErrInvalid},
		{ref: canary, dest: "http://127.0.0.1:7000/x", wantSource: "raw"},
		{ref: canary, dest: "http://localhost:7000/x", wantErr: scope.ErrOutside},
	}
	for _, tt := range tests {
		t.Run(tt.ref+" "+tt.dest, func(t *testing.T) {
			r := &Resolver{Helper: newFake(tt.lax), Getenv: func(k string) string { return env[k] },
				AllowOrigins: []string{"http://127.0.0.1:7000/"}}
			ref, err := Parse(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			var d *scope.Destination
			if tt.dest != "" {
				d = dest(t, tt.dest)
			}
			res, err := r.Resolve(context.Background(), ref, d)
			if err != nil && strings.Contains(err.Error(), canary) {
				t.Fatalf("error holds the token: %v", err)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Resolve error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{res.Source, res.Token.Reveal()}
			if diff := cmp.Diff([]string{tt.wantSource, canary}, got); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRawRefusedWithoutAllowOrigins(t *testing.T) {
	r := &Resolver{Helper: newFake(false)}
	ref, _ := Parse(canary)
	_, err := r.Resolve(context.Background(), ref, dest(t, "http://127.0.0.1:7000/"))
	if !errors.Is(err, scope.ErrOutside) || !strings.Contains(err.Error(), "--allow-origin") {
		t.Fatalf("Resolve error = %v, want ErrOutside naming --allow-origin", err)
	}
}

func TestCache(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tests := []struct {
		name      string
		ttl       time.Duration
		after     time.Duration
		wantCalls int
	}{
		{"hit within ttl", time.Minute, 30 * time.Second, 1},
		{"miss after ttl", time.Minute, time.Minute, 2},
		{"capped at five minutes", time.Hour, 5 * time.Minute, 2},
		{"hit below the cap", time.Hour, 4 * time.Minute, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			h := newFake(false)
			r := &Resolver{Helper: h, Cache: NewCache(tt.ttl, clock)}
			ref, _ := Parse("keyring:work")
			d := dest(t, "http://127.0.0.1:8080/api/x")
			for _, step := range []time.Duration{0, tt.after} {
				now = now.Add(step)
				if _, err := r.Resolve(context.Background(), ref, d); err != nil {
					t.Fatal(err)
				}
			}
			if h.calls != tt.wantCalls {
				t.Errorf("helper ran %d times, want %d", h.calls, tt.wantCalls)
			}
		})
	}
	if got := NewCache(time.Hour, nil).TTL(); got != MaxCacheTTL {
		t.Errorf("NewCache(1h).TTL() = %v, want %v", got, MaxCacheTTL)
	}
}

func TestCacheStillChecksScope(t *testing.T) {
	r := &Resolver{Helper: newFake(false), Cache: NewCache(time.Minute, nil)}
	ref, _ := Parse("keyring:work")
	if _, err := r.Resolve(context.Background(), ref, nil); err != nil {
		t.Fatal(err)
	}
	_, err := r.Resolve(context.Background(), ref, dest(t, "http://127.0.0.1:9999/"))
	if !errors.Is(err, scope.ErrOutside) {
		t.Fatalf("cached token sent outside its scope: err = %v", err)
	}
}

func TestCheckAllowOrigins(t *testing.T) {
	got, err := CheckAllowOrigins([]string{"http://127.0.0.1:7000", "https://API.example.com/v1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://127.0.0.1:7000/", "https://api.example.com/v1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckAllowOrigins (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"*", "http://example.com", "nonsense"} {
		if _, err := CheckAllowOrigins([]string{bad}); err == nil {
			t.Errorf("CheckAllowOrigins(%q) accepted it", bad)
		}
	}
}
