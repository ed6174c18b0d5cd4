package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/keyref/keyref/internal/store"
)

func runImportClaude(ctx context.Context, env *Env, o *importOptions) error {
	path, err := findClaudeConfig(env, o)
	if err != nil {
		return err
	}
	extra, err := canonicalScopes(o.urls)
	if err != nil {
		return err
	}
	cfg, err := readClaudeConfig(path)
	if errors.Is(err, errConfigSyntax) {
		fmt.Fprintf(env.Stderr, "keyref: %v\n", err)
		return exitError{ExitUsage}
	}
	if err != nil {
		return err
	}
	servers, _ := cfg["mcpServers"].(map[string]any)
	found := scanServers(servers)
	if err := planAliases(ctx, env.store(), servers, found, extra); err != nil {
		return err
	}

	moved := movable(found)
	if err := printPlan(env, o, path, found); err != nil || !o.write || len(moved) == 0 {
		return err
	}
	for _, f := range moved {
		if err := storeImported(ctx, env.store(), f); err != nil {
			return err
		}
	}
	rewriteServers(servers, moved, selfPath(env))
	backup, err := replaceConfig(env, path, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "stored %d tokens and rewrote %s\n", len(moved), path)
	fmt.Fprintf(env.Stdout, "the original, which still holds the plaintext tokens, is %s:\n"+
		"delete it once Claude Desktop works with the new config\n", backup)
	return nil
}

// errConfigSyntax reports a config that is not JSON; exit 2.
var errConfigSyntax = errors.New("not valid JSON")

// readClaudeConfig reads the config as generic JSON. Errors never quote
// the file, which holds tokens.
func readClaudeConfig(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the Claude config: %w", err)
	}
	defer clear(raw)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var cfg map[string]any
	if err := dec.Decode(&cfg); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: %w (at byte %d)", path, errConfigSyntax, se.Offset)
		}
		return nil, fmt.Errorf("%s: %w (not one whole JSON object)", path, errConfigSyntax)
	}
	return cfg, nil
}

// planAliases sets each finding's scopes and alias: its base name when
// free or holding the same token, else base-2, base-3 ...
func planAliases(ctx context.Context, st *store.Store, servers map[string]any,
	found []*finding, extra []string) error {
	planned := map[string]*finding{}
	for _, f := range movable(found) {
		srv, _ := servers[f.Server].(map[string]any)
		f.Scopes = serverScopes(srv, extra)
		base := f.Alias
		for i := 1; ; i++ {
			if i > 9 {
				return fmt.Errorf("alias %q: %w (and %s-2 to -9)", base, store.ErrExists, base)
			}
			name := base
			if i > 1 {
				name = fmt.Sprintf("%s-%d", base, i)
			}
			if p, ok := planned[name]; ok {
				if p.token.Equal(f.token) {
					f.Alias, f.Action = name, "same token as "+p.Where+" of "+p.Server
					break
				}
				continue
			}
			rec, err := st.Get(ctx, name)
			if errors.Is(err, store.ErrNotFound) {
				f.Alias, f.Action = name, "new alias"
			} else if err != nil {
				return err
			} else if rec.Token().Equal(f.token) {
				f.Alias, f.Action = name, "alias exists with this token"
			} else {
				continue
			}
			planned[name] = f
			break
		}
		if f.key == "" {
			f.EnvVar = tokenVar(f.Alias)
		}
	}
	return nil
}

func printPlan(env *Env, o *importOptions, path string, found []*finding) error {
	if o.json {
		if found == nil {
			found = []*finding{}
		}
		b, err := json.MarshalIndent(map[string]any{"config": path, "write": o.write,
			"tokens": found}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
		return err
	}
	w := env.Stdout
	fmt.Fprintf(w, "config: %s\n", path)
	if len(found) == 0 {
		fmt.Fprintln(w, "no plaintext tokens found")
		return nil
	}
	for _, f := range found {
		if f.Kept != "" {
			fmt.Fprintf(w, "server %q %s: %s\n  %s\n", f.Server, f.Where, f.Action, f.Kept)
			continue
		}
		fmt.Fprintf(w, "server %q %s -> alias %s (%s)\n", f.Server, f.Where, f.Alias, f.Action)
		switch {
		case f.key != "" && f.EnvVar == "":
			fmt.Fprintf(w, "  %s becomes keyring:%s\n", f.key, f.Alias)
		case f.key != "":
			fmt.Fprintf(w, "  runs through keyref exec, which sets %s from the keychain\n", f.key)
		default:
			fmt.Fprintf(w, "  runs through keyref exec; the header says ${%s}\n", f.EnvVar)
		}
		if len(f.Scopes) == 0 {
			fmt.Fprintln(w,
				"  scopes: none found; keyref-mcp refuses it until you add --url PREFIX")
		} else {
			fmt.Fprintf(w, "  scopes: %v\n", f.Scopes)
		}
	}
	switch n := len(movable(found)); {
	case n == 0:
		fmt.Fprintln(w, "no token can be moved; the config is left as it is")
	case !o.write:
		fmt.Fprintf(w, "dry run: nothing changed; "+
			"add --write to store %d tokens and rewrite the config\n", n)
	}
	return nil
}

// storeImported stores a finding's token, unless its alias already holds
// it. An alias that changed since the plan is not replaced.
func storeImported(ctx context.Context, st *store.Store, f *finding) error {
	return st.Update(ctx, f.Alias, func(cur *store.Record) (*store.Record, error) {
		switch {
		case cur == nil:
			return &store.Record{Kind: store.KindToken, Secret: f.token, Scopes: f.Scopes,
				Note: "imported from Claude Desktop server " + f.Server}, nil
		case cur.Token().Equal(f.token):
			return nil, nil
		}
		return nil, fmt.Errorf("alias %q: %w since the plan was made; run the import again",
			f.Alias, store.ErrExists)
	})
}

// rewriteServers replaces every token found with its reference: env
// values of keyref-mcp become keyring:ALIAS; any other server with tokens
// is wrapped in `keyref exec --env VAR=keyring:ALIAS -- COMMAND ARGS`,
// which sets its BEARER_TOKEN_* variables, and its arguments say ${VAR}
// where a token was.
func rewriteServers(servers map[string]any, found []*finding, keyref string) {
	wrap := map[string][]string{}
	for _, f := range found {
		srv := servers[f.Server].(map[string]any)
		switch {
		case f.key != "" && f.EnvVar == "":
			srv["env"].(map[string]any)[f.key] = "keyring:" + f.Alias
			continue
		case f.key != "":
			delete(srv["env"].(map[string]any), f.key)
		default:
			srv["args"].([]any)[f.arg] = f.pre + "${" + f.EnvVar + "}" + f.post
		}
		wrap[f.Server] = append(wrap[f.Server], "--env", f.EnvVar+"=keyring:"+f.Alias)
	}
	for name, envArgs := range wrap {
		srv := servers[name].(map[string]any)
		args := []any{"exec"}
		for _, a := range envArgs {
			args = append(args, a)
		}
		args = append(args, "--", srv["command"])
		old, _ := srv["args"].([]any)
		srv["args"] = append(args, old...)
		srv["command"] = keyref
	}
}

// selfPath is the absolute path of this keyref: Claude Desktop starts
// servers with a minimal PATH.
func selfPath(env *Env) string {
	p := env.Args0
	if filepath.Base(p) == p {
		if lp, err := exec.LookPath(p); err == nil {
			p = lp
		}
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// replaceConfig writes cfg to path and keeps the original as a backup by
// renaming it, so no new file with a plaintext token is created. The
// backup holds the plaintext tokens, so it is made 0600 whatever the
// original's mode. The new config keeps the original's mode: it holds no
// more secrets than the original did, and Claude Desktop reads it as
// before. It returns the backup's path.
func replaceConfig(env *Env, path string, cfg map[string]any) (string, error) {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encoding the new config: %w", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".claude_desktop_config-*.json")
	if err != nil {
		return "", fmt.Errorf("writing the new config: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(b, '\n'))
	err = errors.Join(err, tmp.Chmod(info.Mode().Perm()), tmp.Close())
	if err != nil {
		return "", fmt.Errorf("writing the new config: %w", err)
	}

	backup := unusedName(path + ".keyref-backup-" + env.now().Format("20060102-150405"))
	if err := os.Rename(path, backup); err != nil {
		return "", fmt.Errorf("keeping the original config: %w", err)
	}
	if err := os.Chmod(backup, 0o600); err != nil {
		_ = os.Rename(backup, path)
		return "", fmt.Errorf("making the backup private (the original is unchanged): %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Rename(backup, path)
		return "", fmt.Errorf("replacing the config (the original is unchanged): %w", err)
	}
	return backup, nil
}

// unusedName returns base, or base with the first free "-N" after it: two
// writes in one second must not leave only the second one's backup.
func unusedName(base string) string {
	name := base
	for n := 2; ; n++ {
		if _, err := os.Lstat(name); err != nil {
			return name // free, or Rename will say why not
		}
		name = fmt.Sprintf("%s-%d", base, n)
	}
}
