package cli

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/testenv"
)

// copyLayout copies testdata/claude/LAYOUT into a temp dir with the
// canaries planted, and returns the dir.
func copyLayout(t *testing.T, layout, canary, canary2 string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("testdata", "claude", layout)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := strings.NewReplacer("@CANARY@", canary, "@CANARY2@", canary2).Replace(string(b))
		out := filepath.Join(dst, strings.TrimPrefix(p, src))
		if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
			return err
		}
		return os.WriteFile(out, []byte(s), 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestImportClaudeConfigLayouts(t *testing.T) {
	tests := []struct {
		layout, goos string
		vars         map[string]string // relative to the layout's root
		config       string
	}{
		{"darwin", "darwin", map[string]string{"HOME": ""},
			"Library/Application Support/Claude/claude_desktop_config.json"},
		{"linux", "linux", map[string]string{"HOME": ""},
			".config/Claude/claude_desktop_config.json"},
		{"windows", "windows", map[string]string{"APPDATA": "Roaming"},
			"Roaming/Claude/claude_desktop_config.json"},
		{"windows-packaged", "windows",
			map[string]string{"APPDATA": "Roaming", "LOCALAPPDATA": "Local"},
			"Local/Packages/Claude_pzs8sxrjxfjjc/LocalCache/" +
				"Roaming/Claude/claude_desktop_config.json"},
	}
	for _, tt := range tests {
		t.Run(tt.layout, func(t *testing.T) {
			canary, canary2 := testenv.Canary(), testenv.Canary()+"two"
			root := copyLayout(t, tt.layout, canary, canary2)
			env, out, errb := fakeEnv(t, "")
			env.Getenv = func(k string) string {
				if rel, ok := tt.vars[k]; ok {
					return filepath.Join(root, rel)
				}
				return ""
			}
			env.Args0 = "/opt/keyref/bin/keyref"
			o := &importOptions{goos: tt.goos}

			if err := runImportClaude(context.Background(), env, o); err != nil {
				t.Fatalf("dry run: %v", err)
			}
			if !strings.Contains(out.String(), filepath.Join(root, tt.config)) {
				t.Errorf("dry run names another config:\n%s", out)
			}
			o.write = true
			if err := runImportClaude(context.Background(), env, o); err != nil {
				t.Fatalf("write: %v", err)
			}

			outputs := map[string]string{"stdout": out.String(), "stderr": errb.String()}
			for name, s := range outputs {
				if strings.Contains(s, canary) || strings.Contains(s, canary2) {
					t.Errorf("%s holds a token:\n%s", name, s)
				}
			}
			checkImported(t, env, filepath.Join(root, tt.config), canary, canary2)
		})
	}
}

func checkImported(t *testing.T, env *Env, path, canary, canary2 string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), canary) || strings.Contains(string(b), canary2) {
		t.Fatalf("the rewritten config holds a token:\n%s", b)
	}
	var cfg struct {
		Shortcut string `json:"globalShortcut"`
		Servers  map[string]struct {
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
		} `json:"mcpServers"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"BEARER_TOKEN_work": "keyring:work", "OTHER": "kept"},
		cfg.Servers["work-api"].Env); diff != "" {
		t.Errorf("work-api env (-want +got):\n%s", diff)
	}
	remote := cfg.Servers["remote"]
	wantArgs := []string{"exec", "--env", "KEYREF_TOKEN_REMOTE=keyring:remote", "--", "npx", "-y",
		"mcp-remote", "https://mcp.example.com/sse", "--header",
		"Authorization: Bearer ${KEYREF_TOKEN_REMOTE}"}
	diff := cmp.Diff(wantArgs, remote.Args)
	if diff != "" || remote.Command != "/opt/keyref/bin/keyref" {
		t.Errorf("remote: command %q, args (-want +got):\n%s", remote.Command, diff)
	}
	if cfg.Shortcut != "Ctrl+Space" ||
		cfg.Servers["already"].Env["BEARER_TOKEN_tmpl"] != "${TOKEN}" {
		t.Errorf("other settings changed: %+v", cfg)
	}

	for alias, want := range map[string]string{"work": canary, "remote": canary2} {
		rec, err := env.store().Get(context.Background(), alias)
		if err != nil {
			t.Fatalf("alias %s: %v", alias, err)
		}
		if rec.Secret.Reveal() != want {
			t.Errorf("alias %s holds another token", alias)
		}
	}
	backups, _ := filepath.Glob(path + ".keyref-backup-*")
	if len(backups) != 1 {
		t.Errorf("backups: %v, want one", backups)
	}
}

func TestImportSources(t *testing.T) {
	canary := testenv.Canary()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no source prints help", []string{"import"}, ExitOK, ""},
		{"unknown source", []string{"import", "bogus"}, ExitUsage, `unknown source "bogus"`},
		{"a token as the source", []string{"import", canary}, ExitUsage,
			"unknown source (an argument"},
		{"extra argument", []string{"import", "claude-config", "x"}, ExitUsage,
			"takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, out, errb := fakeEnv(t, "")
			code := Main(context.Background(), env, tt.args)
			if code != tt.wantCode || !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb, tt.wantCode, tt.wantErr)
			}
			if strings.Contains(out.String()+errb.String(), canary) {
				t.Errorf("output echoes the argument")
			}
		})
	}
}

// TestImportFileModes: the backup holds the plaintext tokens and is 0600
// whatever the original's mode; the rewritten config keeps the original's.
func TestImportFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix file modes")
	}
	for _, mode := range []fs.FileMode{0o644, 0o600, 0o640} {
		t.Run(mode.String(), func(t *testing.T) {
			root := copyLayout(t, "linux", testenv.Canary(), testenv.Canary()+"two")
			path := filepath.Join(root, ".config", "Claude", "claude_desktop_config.json")
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			env, _, _ := fakeEnv(t, "")
			o := &importOptions{goos: "linux", config: path, write: true}

			if err := runImportClaude(context.Background(), env, o); err != nil {
				t.Fatalf("write: %v", err)
			}

			backups, _ := filepath.Glob(path + ".keyref-backup-*")
			if len(backups) != 1 {
				t.Fatalf("backups: %v, want one", backups)
			}
			for file, want := range map[string]fs.FileMode{path: mode, backups[0]: 0o600} {
				info, err := os.Stat(file)
				if err != nil {
					t.Fatal(err)
				}
				if got := info.Mode().Perm(); got != want {
					t.Errorf("%s: mode %v, want %v", filepath.Base(file), got, want)
				}
			}
		})
	}
}

// TestImportLeavesOtherServersArgs: only mcp-remote expands ${VAR} in its
// arguments, so a header argument of any other server is reported and
// left alone, and nothing is stored for it.
func TestImportLeavesOtherServersArgs(t *testing.T) {
	remoteTok, otherTok := testenv.Canary(), testenv.Canary()+"other"
	cfg := `{"mcpServers": {
  "direct": {"command": "C:\\tools\\mcp-remote@0.1.0.cmd",
    "args": ["https://a.example.com/sse", "--header", "Authorization: Bearer ` + remoteTok + `"]},
  "other": {"command": "uvx", "args": ["some-mcp-proxy", "--url", "https://b.example.com/",
    "--header", "Authorization: Bearer ` + otherTok + `"]}
}}`
	path := filepath.Join(t.TempDir(), "claude_desktop_config.json")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env, out, errb := fakeEnv(t, "")
	env.Args0 = "/opt/keyref/bin/keyref"
	o := &importOptions{goos: "linux", config: path}

	if err := runImportClaude(context.Background(), env, o); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if !strings.Contains(out.String(), `server "other" args[4]: left as it is`) ||
		!strings.Contains(out.String(), "keyref-mcp") {
		t.Errorf("the plan does not say the other server is left alone:\n%s", out)
	}
	o.write = true
	if err := runImportClaude(context.Background(), env, o); err != nil {
		t.Fatalf("write: %v", err)
	}

	s := out.String() + errb.String()
	if strings.Contains(s, remoteTok) || strings.Contains(s, otherTok) {
		t.Errorf("output holds a token:\n%s", s)
	}
	if !strings.Contains(out.String(), "stored 1 tokens") {
		t.Errorf("write output:\n%s", out)
	}
	var got struct {
		Servers map[string]struct {
			Command string   `json:"command"`
			Args    []string `json:"args"`
		} `json:"mcpServers"`
	}
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	wantOther := []string{"some-mcp-proxy", "--url", "https://b.example.com/", "--header",
		"Authorization: Bearer " + otherTok}
	if diff := cmp.Diff(wantOther, got.Servers["other"].Args); diff != "" ||
		got.Servers["other"].Command != "uvx" {
		t.Errorf("other server changed (-want +got):\n%s", diff)
	}
	if d := got.Servers["direct"]; d.Command != "/opt/keyref/bin/keyref" ||
		d.Args[len(d.Args)-1] != "Authorization: Bearer ${KEYREF_TOKEN_DIRECT}" {
		t.Errorf("mcp-remote server not rewritten: %+v", d)
	}
	names, err := env.store().Names(context.Background())
	if err != nil || !cmp.Equal(names, []string{"direct"}) {
		t.Errorf("aliases: %v, %v; want only direct", names, err)
	}
}

// TestImportNothingMovable: when every token found is left alone, --write
// stores nothing and neither rewrites the config nor makes a backup.
func TestImportNothingMovable(t *testing.T) {
	tok := testenv.Canary()
	cfg := `{"mcpServers": {"other": {"command": "proxy",
  "args": ["--header", "Authorization: Bearer ` + tok + `"]}}}`
	path := filepath.Join(t.TempDir(), "claude_desktop_config.json")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env, out, _ := fakeEnv(t, "")

	err := runImportClaude(context.Background(), env, &importOptions{config: path, write: true})

	if err != nil || !strings.Contains(out.String(), "no token can be moved") {
		t.Errorf("err %v, stdout:\n%s", err, out)
	}
	if b, _ := os.ReadFile(path); string(b) != cfg {
		t.Errorf("config rewritten:\n%s", b)
	}
	if backups, _ := filepath.Glob(path + ".keyref-backup-*"); len(backups) != 0 {
		t.Errorf("backups %v, want none", backups)
	}
	if names, _ := env.store().Names(context.Background()); len(names) != 0 {
		t.Errorf("aliases %v, want none", names)
	}
}

// TestImportWrapsOtherServersEnv: a BEARER_TOKEN_* value of a server other
// than keyref-mcp cannot become keyring:NAME (the server would send that
// text as its token), so the server runs through keyref exec instead.
func TestImportWrapsOtherServersEnv(t *testing.T) {
	tok := testenv.Canary()
	cfg := `{"mcpServers": {"api": {"command": "npx", "args": ["some-mcp"],
  "env": {"BEARER_TOKEN_WORK": "` + tok + `", "OTHER": "1"}}}}`
	path := filepath.Join(t.TempDir(), "claude_desktop_config.json")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env, out, errb := fakeEnv(t, "")
	env.Args0 = "/opt/keyref/bin/keyref"
	o := &importOptions{goos: "linux", config: path, write: true,
		urls: []string{"https://api.example.com/"}}

	if err := runImportClaude(context.Background(), env, o); err != nil {
		t.Fatalf("write: %v", err)
	}
	if s := out.String() + errb.String(); strings.Contains(s, tok) ||
		!strings.Contains(s, "runs through keyref exec, which sets BEARER_TOKEN_WORK") {
		t.Errorf("output holds the token or does not say what happens:\n%s", s)
	}
	var got struct {
		Servers map[string]struct {
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
		} `json:"mcpServers"`
	}
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	api := got.Servers["api"]
	want := []string{"exec", "--env", "BEARER_TOKEN_WORK=keyring:work", "--", "npx", "some-mcp"}
	if diff := cmp.Diff(want, api.Args); diff != "" || api.Command != "/opt/keyref/bin/keyref" {
		t.Errorf("api: command %q, args (-want +got):\n%s", api.Command, diff)
	}
	if diff := cmp.Diff(map[string]string{"OTHER": "1"}, api.Env); diff != "" {
		t.Errorf("api env (-want +got):\n%s", diff)
	}
}
