package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/secret"
	"github.com/keyref/keyref/internal/store"
	"github.com/keyref/keyref/internal/testenv"
)

// TestDockerCredentialErrorsOnStdout: docker's client shows a helper's
// stdout, never its stderr, so every refusal is one line there, exit 1
// as docker-credential-helpers does, with no token anywhere and nothing
// stored.
func TestDockerCredentialErrorsOnStdout(t *testing.T) {
	canary := testenv.Canary()
	storeJSON := func(url string) string {
		return `{"ServerURL":"` + url + `","Username":"bob","Secret":"` + canary + `-new"}`
	}
	tests := []struct {
		name, op, stdin string
		want            string // in the stdout line
	}{
		{"store URL with a query", "store", storeJSON("https://r.example/?x=1"),
			"no credentials, query"},
		{"store URL with credentials", "store", storeJSON("https://u:p@r.example/"),
			"no credentials, query"},
		{"store URL with a fragment", "store", storeJSON("r.example#.evil.com"),
			"no credentials, query"},
		{"store plain http off loopback", "store", storeJSON("http://r.example/"), "plain http"},
		{"store over an alias you set", "store", storeJSON("https://ghcr.io/"), "set by you"},
		{"store without a URL", "store", storeJSON(""), "no credentials server URL"},
		{"get of an ambiguous host", "get", "ghcr.io#.evil.com\n", "no credentials, query"},
		{"get of nothing", "get", "", "no credentials server URL"},
		{"get of another host", "get", "quay.io\n", "credentials not found in native keychain"},
		{"erase of an alias you set", "erase", "ghcr.io\n", "set by you"},
		{"unknown operation", "frobnicate", "", "unknown operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, out, errb := fakeEnv(t, tt.stdin)
			rec := &store.Record{Kind: store.KindToken, Secret: secret.New(canary),
				Scopes: []string{"https://ghcr.io/"}}
			if err := env.store().Put(context.Background(), "mine", rec); err != nil {
				t.Fatal(err)
			}

			code := Main(context.Background(), env, []string{"docker-credential", tt.op})

			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if code != ExitFailure || len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Errorf("exit %d, stdout %q; want exit 1 and one line saying %q",
					code, out, tt.want)
			}
			if errb.Len() != 0 {
				t.Errorf("stderr %q; docker never shows it", errb)
			}
			if strings.Contains(out.String()+errb.String(), canary) {
				t.Errorf("output holds a token")
			}
			names, err := env.store().Names(context.Background())
			if err != nil || !cmp.Equal(names, []string{"mine"}) {
				t.Errorf("aliases afterwards: %v, %v", names, err)
			}
			got, err := env.store().Get(context.Background(), "mine")
			if err != nil || !got.Secret.Equal(secret.New(canary)) {
				t.Errorf("the alias you set changed: %v", err)
			}
		})
	}
}
