package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/keychain"
	"github.com/keyref/keyref/internal/secret"
	"github.com/keyref/keyref/internal/store"
	"github.com/keyref/keyref/internal/testenv"
)

// fakeEnv returns an Env over an in-memory keychain, with its output
// buffers and a fixed clock.
func fakeEnv(t *testing.T, stdin string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errb bytes.Buffer
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(string) string { return "" }, Now: func() time.Time { return now },
		Keychain: keychain.NewFake(keychain.Linux), LockDir: t.TempDir(),
	}, &out, &errb
}

func putOAuth(t *testing.T, env *Env, name, access string, expiry time.Time) {
	t.Helper()
	rec := &store.Record{
		Kind: store.KindOAuth2, Scopes: []string{"https://git.example.com/"},
		OAuth: &store.OAuth{
			AccessToken: secret.New(access), RefreshToken: secret.New("refresh-" + access),
			Expiry: expiry, ClientID: "cli",
		},
	}
	if err := env.store().Put(context.Background(), name, rec); err != nil {
		t.Fatal(err)
	}
}

func TestGitCredentialOAuth2(t *testing.T) {
	canary := testenv.Canary()
	exp := time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)
	const req = "protocol=https\nhost=git.example.com\n"
	tests := []struct {
		name      string
		op, stdin string
		wantOut   string
		wantToken string // access token stored afterwards
	}{
		{
			name: "get answers with the expiry", op: "get", stdin: req,
			wantOut: "username=x-access-token\npassword=" + canary +
				"\npassword_expiry_utc=" + "1767326400" + "\n",
			wantToken: canary,
		},
		{
			name: "erase of another password keeps the token", op: "erase",
			stdin: req + "password=old\n", wantToken: canary,
		},
		{
			name: "erase of the token drops it and keeps the alias", op: "erase",
			stdin: req + "password=" + canary + "\n", wantToken: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, out, errb := fakeEnv(t, tt.stdin)
			putOAuth(t, env, "oa", canary, exp)

			code := Main(context.Background(), env, []string{"git-credential", tt.op})

			if code != ExitOK {
				t.Fatalf("exit %d, stderr %q", code, errb)
			}
			if diff := cmp.Diff(tt.wantOut, out.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if strings.Contains(errb.String(), canary) {
				t.Errorf("stderr holds the token")
			}
			rec, err := env.store().Get(context.Background(), "oa")
			if err != nil {
				t.Fatalf("alias after %s: %v", tt.op, err)
			}
			if got := rec.OAuth.AccessToken.Reveal(); got != tt.wantToken {
				t.Errorf("access token after %s: %d bytes, want %d",
					tt.op, len(got), len(tt.wantToken))
			}
			if rec.OAuth.RefreshToken.IsZero() {
				t.Errorf("erase dropped the refresh token")
			}
		})
	}
}

func TestHelperArgs(t *testing.T) {
	tests := []struct {
		args0 string
		want  []string
	}{
		{"/usr/local/bin/keyref", []string{"get"}},
		{"/usr/local/bin/git-credential-keyref", []string{"git-credential", "get"}},
		{`C:\bin\git-credential-keyref.exe`, []string{"git-credential", "get"}},
		{"docker-credential-keyref.EXE", []string{"docker-credential", "get"}},
		{"git-credential-other", []string{"get"}},
	}
	for _, tt := range tests {
		t.Run(tt.args0, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, helperArgs(tt.args0, []string{"get"})); diff != "" {
				t.Errorf("helperArgs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGitCredentialRefusesAmbiguousHosts: a host or protocol that would
// make git.example.com's token answer another host is refused as bad
// input (exit 2, as for any input the parser refuses), with nothing on
// stdout and the token nowhere. store --learn learns nothing from it.
func TestGitCredentialRefusesAmbiguousHosts(t *testing.T) {
	canary := testenv.Canary()
	for _, in := range []string{
		"protocol=https\nhost=git.example.com#.evil.com\n",
		"protocol=https\nhost=git.example.com?.evil.com\n",
		"protocol=https\nhost=git.example.com/.evil.com\n",
		"protocol=https://git.example.com#\nhost=evil.com\n",
		"protocol=https\nhost=git.example.com@evil.com\n",
		"protocol=https\nhost=evil.com\\@git.example.com\n",
		"protocol=https\nhost=git.example.com .evil.com\n",
	} {
		for _, op := range []string{"get", "--learn store", "erase"} {
			t.Run(op+" "+in, func(t *testing.T) {
				env, out, errb := fakeEnv(t, in+"username=u\npassword="+canary+"-learned\n")
				rec := &store.Record{Kind: store.KindToken, Secret: secret.New(canary),
					Scopes: []string{"https://git.example.com/"}}
				if err := env.store().Put(context.Background(), "work", rec); err != nil {
					t.Fatal(err)
				}

				code := Main(context.Background(), env,
					append([]string{"git-credential"}, strings.Fields(op)...))

				if code != ExitUsage || out.Len() != 0 {
					t.Errorf("exit %d, stdout %q; want exit 2 and nothing", code, out)
				}
				if strings.Contains(out.String()+errb.String(), canary) {
					t.Errorf("the token or the password leaked: %q", errb)
				}
				names, err := env.store().Names(context.Background())
				if err != nil || !cmp.Equal(names, []string{"work"}) {
					t.Errorf("aliases after %s: %v, %v", op, names, err)
				}
			})
		}
	}
}
