package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mcpConfigEnv(t *testing.T, home string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	bin := t.TempDir()
	for _, n := range []string{"keyref", "keyref-mcp"} {
		if err := os.WriteFile(filepath.Join(bin, n), nil, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	vars := map[string]string{"HOME": home}
	return &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] },
		Now:   func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) },
		Args0: filepath.Join(bin, "keyref")}, &out, &errb
}

func TestMCPConfigPrintsEntry(t *testing.T) {
	env, out, _ := mcpConfigEnv(t, t.TempDir())
	o := &mcpConfigOptions{name: "keyref", token: "keyring:work", baseURL: "https://api.example/v1",
		goos: "linux"}
	if err := runMCPConfig(env, o); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Dir(env.Args0)
	want := map[string]any{"mcpServers": map[string]any{"keyref": map[string]any{
		"command": filepath.Join(bin, "keyref-mcp"),
		"args": []any{"--helper", filepath.Join(bin, "keyref"), "--token", "keyring:work",
			"--base-url", "https://api.example/v1"},
	}}}
	var got any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mcp-config (-want +got):\n%s", diff)
	}
}

func TestMCPConfigRefusesARawToken(t *testing.T) {
	env, out, _ := mcpConfigEnv(t, t.TempDir())
	canary := "CANARYmcpconfig123"
	err := runMCPConfig(env, &mcpConfigOptions{name: "keyref", token: canary, goos: "linux"})
	if exitCode(err) != ExitUsage || strings.Contains(err.Error(), canary) || out.Len() != 0 {
		t.Fatalf("err = %v (exit %d), stdout %q; want a usage error without the token",
			err, exitCode(err), out.String())
	}
}

func TestMCPConfigWriteMerges(t *testing.T) {
	tests := []struct {
		name     string
		existing string // "" means no config yet
	}{
		{"new file", ""},
		{"keeps other servers", `{"mcpServers":{"other":{"command":"x"}},"theme":"dark"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			env, _, _ := mcpConfigEnv(t, home)
			path := filepath.Join(home, ".config", "Claude", "claude_desktop_config.json")
			if tt.existing != "" {
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tt.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			o := &mcpConfigOptions{name: "keyref", write: true, goos: "linux"}
			if err := runMCPConfig(env, o); err != nil {
				t.Fatal(err)
			}
			cfg, err := readClaudeConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			servers := cfg["mcpServers"].(map[string]any)
			if _, ok := servers["keyref"]; !ok {
				t.Errorf("no keyref server in %v", cfg)
			}
			backups, _ := filepath.Glob(path + ".keyref-backup-*")
			if tt.existing == "" {
				if len(backups) != 0 {
					t.Errorf("backup %v of a file that did not exist", backups)
				}
				return
			}
			if _, ok := servers["other"]; !ok || cfg["theme"] != "dark" {
				t.Errorf("other settings lost: %v", cfg)
			}
			if len(backups) != 1 {
				t.Fatalf("backups = %v, want one", backups)
			}
			if b, _ := os.ReadFile(backups[0]); string(b) != tt.existing {
				t.Errorf("backup holds %q", b)
			}
		})
	}
}

func TestMCPConfigRefusesABaseURLKeyrefMCPRefuses(t *testing.T) {
	for _, base := range []string{"https://api.example/v1?key=CANARYq1",
		"https://api.example/v1#CANARYf", "http://api.example/v1", "api.example/v1"} {
		home := t.TempDir()
		env, out, _ := mcpConfigEnv(t, home)
		o := &mcpConfigOptions{name: "keyref", baseURL: base, write: true, goos: "linux"}
		err := runMCPConfig(env, o)
		if exitCode(err) != ExitUsage || out.Len() != 0 || strings.Contains(err.Error(), "CANARY") {
			t.Errorf("--base-url %q: err = %v (exit %d), stdout %q; want exit 2 without the query",
				base, err, exitCode(err), out.String())
		}
		if _, err := os.Stat(filepath.Join(home, ".config", "Claude")); err == nil {
			t.Errorf("--base-url %q: a config was written", base)
		}
	}
}

// TestMCPConfigBackupsInOneSecondAllStay: the clock does not move between
// the two writes, and the first backup must not be overwritten.
func TestMCPConfigBackupsInOneSecondAllStay(t *testing.T) {
	home := t.TempDir()
	env, _, _ := mcpConfigEnv(t, home)
	path := filepath.Join(home, ".config", "Claude", "claude_desktop_config.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	const original = `{"theme":"dark"}`
	if err := os.WriteFile(path, []byte(original), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"keyref", "keyref-2"} {
		o := &mcpConfigOptions{name: name, write: true, goos: "linux"}
		if err := runMCPConfig(env, o); err != nil {
			t.Fatal(err)
		}
	}
	backups, _ := filepath.Glob(path + ".keyref-backup-*")
	if len(backups) != 2 {
		t.Fatalf("backups = %v, want two", backups)
	}
	first := path + ".keyref-backup-20250102-030405"
	if b, _ := os.ReadFile(first); string(b) != original {
		t.Errorf("first backup holds %q", b)
	}
}
