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
	b, err := EncodeGet(&Credentials{ServerURL: "ghcr.io", Username: "u", Secret: secret.New(canary)})
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
