package dockercred

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/gitcred"
	"github.com/keyref/keyref/internal/secret"
)

const canary = "CANARYdockercredTOKEN"

func TestParseStore(t *testing.T) {
	got, err := ParseStore(strings.NewReader(
		`{"ServerURL":" https://ghcr.io ","Username":"bob","Secret":"` + canary + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Credentials{ServerURL: "https://ghcr.io", Username: "bob", Secret: secret.New(canary)}
	eq := cmp.Comparer(func(a, b secret.Secret) bool { return a.Equal(b) })
	if diff := cmp.Diff(want, got, eq); diff != "" {
		t.Errorf("ParseStore (-want +got):\n%s", diff)
	}
}

func TestParseStoreRefuses(t *testing.T) {
	for _, in := range []string{
		canary,
		`{"ServerURL":"","Username":"u","Secret":"` + canary + `"}`,
		`{"ServerURL":"h","Username":"","Secret":"` + canary + `"}`,
		`{"ServerURL":"h","Username":"u","Secret":""}`,
	} {
		_, err := ParseStore(strings.NewReader(in))
		if !errors.Is(err, ErrInput) || strings.Contains(err.Error(), canary) {
			t.Errorf("ParseStore(%.20q) error = %v", in, err)
		}
	}
}

func TestEncodeGet(t *testing.T) {
	c := &Credentials{ServerURL: "ghcr.io", Username: "u", Secret: secret.New(canary)}
	b, err := EncodeGet(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ServerURL":"ghcr.io","Username":"u","Secret":"` + canary + "\"}\n"
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("EncodeGet (-want +got):\n%s", diff)
	}
}

func TestRequestMatchesScopes(t *testing.T) {
	cands := []gitcred.Candidate{
		{Name: "hub", Scopes: []string{"https://index.docker.io/v1/"}},
		{Name: "ghcr", Scopes: []string{"https://ghcr.io/"}},
		{Name: "local", Scopes: []string{"http://localhost:5000/"}},
	}
	tests := []struct{ url, want string }{
		{"https://index.docker.io/v1/", "hub"},
		{"ghcr.io", "ghcr"},
		{"https://ghcr.io", "ghcr"},
		{"http://localhost:5000", "local"},
		{"localhost:5000", ""}, // https by default
		{"quay.io", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			req, err := Request(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			m, _ := gitcred.Find(req, cands)
			if m.Name != tt.want {
				t.Errorf("match = %q, want %q", m.Name, tt.want)
			}
		})
	}
}

// TestRequestRefusesAmbiguousHosts: a server URL whose host a browser,
// docker and keyref might read differently never reaches the matcher.
func TestRequestRefusesAmbiguousHosts(t *testing.T) {
	cands := []gitcred.Candidate{{Name: "ghcr", Scopes: []string{"https://ghcr.io/"}}}
	for _, u := range []string{
		"ghcr.io#.evil.com",
		"https://ghcr.io#.evil.com",
		"ghcr.io?.evil.com",
		"https://ghcr.io/?x",
		"https://ghcr.io?",
		"https://ghcr.io@evil.com",
		"https://user:" + canary + "@ghcr.io/",
		`evil.com\@ghcr.io`,
		"ghcr.io%2f.evil.com",
		"ghcr.io .evil.com",
		"ghcr.io%C2%A0.evil.com", // a no-break space, percent-encoded
		"https://ghcr.io%C2%85/", // NEL, a control character
	} {
		t.Run(u, func(t *testing.T) {
			req, err := Request(u)
			if !errors.Is(err, ErrInput) {
				m, _ := gitcred.Find(req, cands)
				t.Fatalf("Request = %+v (match %q), %v; want ErrInput", req, m.Name, err)
			}
			if strings.Contains(err.Error(), canary) {
				t.Errorf("error quotes the URL: %v", err)
			}
		})
	}
}

// TestRequestDecodesThePath: the matcher takes the path decoded, as git
// sends it, so encoded dot segments cannot climb out of a scope.
func TestRequestDecodesThePath(t *testing.T) {
	cands := []gitcred.Candidate{{Name: "v1", Scopes: []string{"https://r.example/v1/"}}}
	escapes := []string{"https://r.example/v1/%2e%2e/v2/", "https://r.example/v1%2f..%2fv2/"}
	for _, u := range escapes {
		req, err := Request(u)
		if err != nil {
			t.Fatalf("Request(%q): %v", u, err)
		}
		if m, ok := gitcred.Find(req, cands); ok {
			t.Errorf("Request(%q) matched %q", u, m.Name)
		}
	}
}
