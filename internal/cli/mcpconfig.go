package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/mcpserver/baseurl"
	"github.com/keyref/keyref/internal/resolve"
)

type mcpConfigOptions struct {
	name         string
	token        string
	baseURL      string
	allowOrigins []string
	allowWrite   bool
	write        bool
	config       string
	goos         string // runtime.GOOS; tests choose another layout
}

func newMCPConfigCmd(env *Env) *cobra.Command {
	o := mcpConfigOptions{goos: runtime.GOOS}
	cmd := &cobra.Command{
		Use:   "mcp-config [--token REF] [--base-url URL] [--write]",
		Short: "Print (or write) Claude Desktop's mcpServers entry for keyref-mcp",
		Long: `Print the mcpServers entry that starts keyref-mcp, with absolute paths to
keyref-mcp and keyref (Claude Desktop starts servers with a minimal PATH).
The entry holds token references, never a token.

--write merges the entry into Claude Desktop's claude_desktop_config.json
(macOS ~/Library/Application Support/Claude, Windows %APPDATA%\Claude or the
packaged app's %LOCALAPPDATA%\Packages\Claude_*\LocalCache\Roaming\Claude,
Linux ~/.config/Claude), keeping every other server and the original file
as a backup beside it.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMCPConfig(env, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "keyref", "name of the server entry")
	f.StringVar(&o.token, "token", "", "default token reference: keyring:NAME or env:NAME")
	f.StringVar(&o.baseURL, "base-url", "", "base URL that tool paths are relative to")
	f.StringArrayVar(&o.allowOrigins, "allow-origin", nil,
		"origin env: tokens may go to (repeatable)")
	f.BoolVar(&o.allowWrite, "allow-write", false,
		"let the model send methods other than GET and HEAD")
	f.BoolVar(&o.write, "write", false, "merge the entry into Claude Desktop's config file")
	f.StringVar(&o.config, "config", "", "path of claude_desktop_config.json (default: per OS)")
	return cmd
}

func runMCPConfig(env *Env, o *mcpConfigOptions) error {
	entry, err := mcpEntry(env, o)
	if err != nil {
		return err
	}
	if !o.write {
		doc := map[string]any{"mcpServers": map[string]any{o.name: entry}}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
		return err
	}

	path := o.config
	if path == "" {
		path = claudeConfigInUse(o.goos, env.getenv)
	}
	backup, err := mergeMCPServer(env, path, o.name, entry)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote mcpServers.%s to %s\n", o.name, path)
	if backup != "" {
		fmt.Fprintf(env.Stderr, "the previous config is kept as %s\n", backup)
	}
	fmt.Fprintln(env.Stderr, "restart Claude Desktop to start keyref-mcp")
	return nil
}

// mcpEntry builds the server entry. It refuses a raw token: the config
// file must hold references only.
func mcpEntry(env *Env, o *mcpConfigOptions) (map[string]any, error) {
	self := selfPath(env)
	args := []string{"--helper", self}
	if o.token != "" {
		ref, err := resolve.Parse(o.token)
		if err != nil {
			return nil, usageError{fmt.Errorf("--token: %w", err)}
		}
		if ref.Kind == resolve.Raw {
			return nil, usagef("--token takes a reference (keyring:NAME or env:NAME), " +
				"not a token; store the token with keyref set NAME --url PREFIX first")
		}
		args = append(args, "--token", ref.String())
	}
	if o.baseURL != "" {
		// keyref-mcp refuses at start what it refuses here.
		if _, err := baseurl.Parse(o.baseURL); err != nil {
			return nil, usageError{err}
		}
		args = append(args, "--base-url", o.baseURL)
	}
	for _, a := range o.allowOrigins {
		args = append(args, "--allow-origin", a)
	}
	if o.allowWrite {
		args = append(args, "--allow-write")
	}
	return map[string]any{"command": mcpServerPath(env, self, o.goos), "args": args}, nil
}

// mcpServerPath finds keyref-mcp beside this keyref, else on PATH. When
// neither has it, the path beside keyref is returned with a warning.
func mcpServerPath(env *Env, self, goos string) string {
	name := "keyref-mcp"
	if goos == "windows" {
		name += ".exe"
	}
	beside := filepath.Join(filepath.Dir(self), name)
	if _, err := os.Stat(beside); err == nil {
		return beside
	}
	if p, err := exec.LookPath(name); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	fmt.Fprintf(env.Stderr, "warning: %s not found beside keyref or on PATH; install it at %s\n",
		name, beside)
	return beside
}

// claudeConfigInUse is the first existing config among the OS's
// candidates, else the one Claude Desktop would create.
func claudeConfigInUse(goos string, getenv func(string) string) string {
	paths := claudeConfigPaths(goos, getenv)
	if p, ok := firstExisting(paths); ok {
		return p
	}
	return paths[len(paths)-1]
}

// mergeMCPServer sets mcpServers[name] in the config at path, keeping
// everything else. An existing file is kept as a backup; the backup's path
// is returned.
func mergeMCPServer(env *Env, path, name string, entry map[string]any) (string, error) {
	cfg := map[string]any{}
	_, statErr := os.Stat(path)
	if statErr == nil {
		var err error
		if cfg, err = readClaudeConfig(path); err != nil {
			return "", err
		}
	} else if !errors.Is(statErr, os.ErrNotExist) {
		return "", fmt.Errorf("reading the Claude config: %w", statErr)
	}
	servers, ok := cfg["mcpServers"].(map[string]any)
	if !ok {
		if cfg["mcpServers"] != nil {
			return "", fmt.Errorf("%s: mcpServers is not an object; fix it by hand", path)
		}
		servers = map[string]any{}
		cfg["mcpServers"] = servers
	}
	servers[name] = entry
	if statErr == nil {
		return replaceConfig(env, path, cfg)
	}
	return "", writeNewConfig(path, cfg)
}

func writeNewConfig(path string, cfg map[string]any) error {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the Claude config: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("creating the Claude config: %w", err)
	}
	return nil
}
