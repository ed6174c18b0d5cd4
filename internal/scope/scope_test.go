package scope

import (
	"errors"
	"strings"
	"testing"
)

func TestAllows(t *testing.T) {
	tests := []struct {
		scope, dest string
		want        bool
	}{
		{"https://api.example.com/v1/", "https://api.example.com/v1/users", true},
		{"https://api.example.com/v1/", "https://api.example.com/v1/", true},
		{"https://api.example.com/v1/", "https://api.example.com/v1", false},
		{"https://api.example.com/v1/", "https://api.example.com/v2/", false},
		{"https://api.example.com/v1", "https://api.example.com/v1", true},
		{"https://api.example.com/v1", "https://api.example.com/v1/x", true},
		{"https://api.example.com/v1", "https://api.example.com/v10", false},
		{"https://api.example.com", "https://api.example.com/anything", true},
		{"https://api.example.com/", "https://API.example.com:443/x", true},
		{"https://api.example.com/", "https://api.example.com:8443/x", false},
		{"https://api.example.com/", "https://api.example.com.evil.com/x", false},
		{"https://api.example.com/", "https://evil.com/api.example.com/", false},
		{"http://127.0.0.1:8080/api/", "http://127.0.0.1:8080/api/x?q=1#f", true},
		{"http://127.0.0.1:8080/api/", "http://127.0.0.1:8081/api/x", false},
		{"http://localhost/", "http://localhost:80/x", true},
		{"https://[::1]:9/", "https://[::1]:9/x", true},
		{"*", "https://anything.example.org/", true},
		{"https://api.example.com/a%20b/", "https://api.example.com/a%20b/c", true},
	}
	for _, tt := range tests {
		sc, err := Parse(tt.scope)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.scope, err)
		}
		d, err := ParseDestination(tt.dest)
		if err != nil {
			t.Fatalf("ParseDestination(%q): %v", tt.dest, err)
		}
		if got := sc.Allows(d); got != tt.want {
			t.Errorf("%q allows %q = %v, want %v", tt.scope, tt.dest, got, tt.want)
		}
	}
}

func TestRefused(t *testing.T) {
	for _, raw := range []string{
		"", "api.example.com", "ftp://x/", "http://example.com/", "https://user:pw@x/",
		"https://x/a/../b", "https://x/a/./b", "https://x/a%2fb", "https://x/%2e%2e/b",
		"https://x/a\\b", "https://x//b", "https:///x", "mailto:a@b",
	} {
		if _, err := ParseDestination(raw); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDestination(%q) = %v, want ErrInvalid", raw, err)
		}
	}
	if _, err := Parse("https://x/?q=1"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a scope with a query was accepted")
	}
}

func TestCheckNamesScopesNotSecrets(t *testing.T) {
	d, _ := ParseDestination("https://evil.example.com/x?access_token=SECRET")
	err := Check([]string{"https://api.example.com/"}, d)
	if !errors.Is(err, ErrOutside) {
		t.Fatalf("Check = %v", err)
	}
	if strings.Contains(err.Error(), "SECRET") ||
		!strings.Contains(err.Error(), "https://api.example.com/") {
		t.Errorf("message %q", err)
	}
	err = Check(nil, d)
	if !errors.Is(err, ErrOutside) || !strings.Contains(err.Error(), "no scope") {
		t.Errorf("Check(nil) = %v", err)
	}
}

func TestRedactDropsCredentials(t *testing.T) {
	got := Redact("https://u:p@h.example/x?token=abc#frag")
	if got != "https://h.example/x" {
		t.Errorf("Redact = %q", got)
	}
}

func FuzzScope(f *testing.F) {
	f.Add("https://api.example.com/v1/", "https://api.example.com/v1/x")
	f.Add("http://127.0.0.1:80/", "http://127.0.0.1/a/../b")
	f.Add("*", "https://[::1]/%2e")
	f.Fuzz(func(t *testing.T, rawScope, rawDest string) {
		sc, err := Parse(rawScope)
		if err != nil {
			return
		}
		again, err := Parse(sc.String())
		if err != nil || again != sc {
			t.Fatalf("canonical form %q does not round-trip: %v", sc.String(), err)
		}
		d, err := ParseDestination(rawDest)
		if err != nil {
			return
		}
		if strings.Contains(d.EscapedPath(), "/../") || strings.HasSuffix(d.EscapedPath(), "/..") {
			t.Fatalf("accepted dot segments in %q", rawDest)
		}
		underPath := strings.HasPrefix(d.EscapedPath(), strings.TrimSuffix(sc.Path, "/"))
		if sc.Allows(d) && !sc.Any && (d.Scheme != sc.Scheme || !underPath) {
			t.Fatalf("%q allows %q", sc, rawDest)
		}
	})
}
