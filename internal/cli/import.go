package cli

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/secret"
	"github.com/keyref/keyref/internal/store"
)

type importOptions struct {
	config string
	write  bool
	urls   []string
	json   bool
	goos   string // runtime.GOOS; tests choose another layout
}

func newImportCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Move plaintext tokens from client configs into the keychain",
		// Like the root: help without arguments, and an unknown source is a
		// usage error (exit 2), echoed only when it looks like a word.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			if looksLikeWord(args[0]) {
				return usagef("import: unknown source %q (known: claude-config)", args[0])
			}
			return usagef("import: unknown source (an argument of %d characters; "+
				"known: claude-config)", len(args[0]))
		},
	}
	cmd.AddCommand(newImportClaudeCmd(env))
	return cmd
}

func newImportClaudeCmd(env *Env) *cobra.Command {
	o := importOptions{goos: runtime.GOOS}
	cmd := &cobra.Command{
		Use:   "claude-config [--write] [--config PATH] [--url PREFIX]...",
		Short: "Move tokens out of claude_desktop_config.json",
		Long: `Find plaintext tokens in Claude Desktop's claude_desktop_config.json:
BEARER_TOKEN_* environment values and "Authorization: Bearer" arguments.
Without --write it prints the plan (never a value) and changes nothing.

With --write it stores each token as an alias, then rewrites the entry:
  - for keyref-mcp, env BEARER_TOKEN_work becomes "keyring:work", which it
    resolves (env:work) through the keychain; any other server runs
    through keyref exec, which sets BEARER_TOKEN_work from the keychain;
  - an argument of mcp-remote holding the header runs the server through
    keyref exec: the token moves to a KEYREF_TOKEN_<ALIAS> variable and the
    argument says ${KEYREF_TOKEN_<ALIAS>}, which mcp-remote expands itself.
    Other servers would not expand it: the plan lists such an argument as
    left as it is, and nothing is stored for it.
The original file is renamed to a .keyref-backup-TIME file next to it; it
still holds the plaintext tokens, so delete it once Claude works.

Aliases are scoped to the server's --base-url and --allow-origin, or the
URL in its arguments, at origin level; --url adds scopes. The config is
found in the OS's usual place unless --config names it.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runImportClaude(cmd.Context(), env, &o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.write, "write", false,
		"store the tokens and rewrite the config (default: dry run)")
	f.StringVar(&o.config, "config", "", "path of claude_desktop_config.json")
	f.StringArrayVar(&o.urls, "url", nil,
		"URL prefix to scope every imported alias to (repeatable)")
	f.BoolVar(&o.json, "json", false, "print the plan as JSON")
	return cmd
}

// claudeConfigPaths lists where Claude Desktop keeps its config on goos,
// most likely in use first. On Windows the packaged (MSIX) app's
// redirected folder wins when it exists, since that app reads it.
func claudeConfigPaths(goos string, getenv func(string) string) []string {
	const file = "claude_desktop_config.json"
	home := getenv("HOME")
	switch goos {
	case "darwin":
		return []string{filepath.Join(home, "Library", "Application Support", "Claude", file)}
	case "windows":
		var out []string
		if local := getenv("LOCALAPPDATA"); local != "" {
			pkgs, _ := filepath.Glob(filepath.Join(local, "Packages", "Claude_*"))
			for _, p := range pkgs {
				out = append(out, filepath.Join(p, "LocalCache", "Roaming", "Claude", file))
			}
		}
		return append(out, filepath.Join(getenv("APPDATA"), "Claude", file))
	}
	cfg := getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	return []string{filepath.Join(cfg, "Claude", file)}
}

func findClaudeConfig(env *Env, o *importOptions) (string, error) {
	if o.config != "" {
		return o.config, nil
	}
	paths := claudeConfigPaths(o.goos, env.getenv)
	if p, ok := firstExisting(paths); ok {
		return p, nil
	}
	return "", fmt.Errorf("no Claude Desktop config at %s; name it with --config PATH",
		strings.Join(paths, " or "))
}

// firstExisting returns the first of paths that exists.
func firstExisting(paths []string) (string, bool) {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

// finding is one plaintext token in the config and what becomes of it.
type finding struct {
	Server string   `json:"server"`
	Where  string   `json:"where"` // "env BEARER_TOKEN_x" or "args[3]"
	Alias  string   `json:"alias"`
	Action string   `json:"action"` // "new", "exists with this token", "renamed: name taken"
	Scopes []string `json:"scopes"`
	// EnvVar is the variable keyref exec sets: for an argument, the one
	// its ${VAR} names; for an env value of a server other than keyref-mcp,
	// that variable itself.
	EnvVar string `json:"env_var,omitempty"`
	// Kept says why the token is left where it is (and nothing is stored):
	// an argument of a server that does not expand ${VAR} itself.
	Kept string `json:"kept,omitempty"`

	token secret.Secret
	key   string // env key, or "" for an argument
	arg   int
	pre   string // argument text around the token
	post  string
}

// bearerArg is compiled on first use, like envVarName.
var bearerArg = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^(.*authorization:\s*bearer\s+)([^\s"']+)(.*)$`)
})

// isPlaceholder reports a value that is a reference, not a token.
func isPlaceholder(v string) bool {
	return v == "" || strings.HasPrefix(v, "keyring:") || strings.HasPrefix(v, "env:") ||
		strings.Contains(v, "${")
}

// scanServers finds the tokens in the mcpServers entries, in server name
// order.
func scanServers(servers map[string]any) []*finding {
	var out []*finding
	for _, name := range slices.Sorted(maps.Keys(servers)) {
		srv, _ := servers[name].(map[string]any)
		envs, _ := srv["env"].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(envs)) {
			v, _ := envs[k].(string)
			suffix, ok := strings.CutPrefix(k, "BEARER_TOKEN_")
			if !ok || isPlaceholder(v) {
				continue
			}
			f := &finding{Server: name, Where: "env " + k, key: k,
				Alias: aliasFor(suffix, name), token: secret.New(v)}
			if !runsKeyrefMCP(srv) {
				// Only keyref-mcp resolves a keyring: value; any other server
				// would send the reference itself as its token.
				f.EnvVar = k
			}
			out = append(out, f)
		}
		args, _ := srv["args"].([]any)
		for i, a := range args {
			s, _ := a.(string)
			m := bearerArg().FindStringSubmatch(s)
			if m == nil || isPlaceholder(m[2]) {
				continue
			}
			f := &finding{Server: name, Where: fmt.Sprintf("args[%d]", i), arg: i,
				pre: m[1], post: m[3], Alias: aliasFor("", name), token: secret.New(m[2])}
			if !runsMCPRemote(srv) {
				f.Alias, f.Action, f.Kept = "", "left as it is", keptReason
			}
			out = append(out, f)
		}
	}
	return out
}

// keptReason explains a header argument the import leaves in place.
const keptReason = "only mcp-remote expands ${VAR} in its arguments; the token stays " +
	"in plaintext here (move this server behind keyref-mcp to take it out)"

// runsMCPRemote reports whether a server is mcp-remote (run directly or
// through npx and the like), the one command known to expand ${VAR} in
// its arguments from its environment, which is what the argument rewrite
// relies on.
func runsMCPRemote(srv map[string]any) bool {
	words := []any{srv["command"]}
	args, _ := srv["args"].([]any)
	for _, w := range append(words, args...) {
		s, _ := w.(string)
		base := strings.TrimSuffix(commandName(s), ".cmd")
		if name, _, _ := strings.Cut(base, "@"); name == "mcp-remote" {
			return true
		}
	}
	return false
}

// runsKeyrefMCP reports whether a server's command is keyref-mcp, which
// resolves keyring: references in BEARER_TOKEN_* values itself.
func runsKeyrefMCP(srv map[string]any) bool {
	s, _ := srv["command"].(string)
	return commandName(s) == "keyref-mcp"
}

// movable returns the findings the import moves to the keychain.
func movable(found []*finding) []*finding {
	var out []*finding
	for _, f := range found {
		if f.Kept == "" {
			out = append(out, f)
		}
	}
	return out
}

// aliasFor names an imported alias: the BEARER_TOKEN_ suffix, else the
// server name, made into a valid alias name.
func aliasFor(suffix, server string) string {
	for _, cand := range []string{suffix, server} {
		n := strings.Trim(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
				return r
			}
			if r >= 'A' && r <= 'Z' {
				return r + ('a' - 'A')
			}
			return '-'
		}, cand), "-._")
		if n, err := store.NormalizeName(n); err == nil {
			return n
		}
	}
	return "claude-token"
}

// serverScopes returns the origins a server's token is meant for: its
// keyref-mcp --base-url and --allow-origin values (flags or KEYREF_*
// variables), else the URLs among its arguments.
func serverScopes(srv map[string]any, extra []string) []string {
	var urls []string
	args, _ := srv["args"].([]any)
	for i, a := range args {
		s, _ := a.(string)
		if v, ok := flagValue(s, args, i); ok {
			urls = append(urls, v)
		}
	}
	envs, _ := srv["env"].(map[string]any)
	for _, k := range []string{"KEYREF_BASE_URL", "KEYREF_ALLOW_ORIGIN"} {
		if v, ok := envs[k].(string); ok {
			urls = append(urls, strings.Split(v, ",")...)
		}
	}
	if len(urls) == 0 {
		for _, a := range args {
			s, _ := a.(string)
			if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
				urls = append(urls, s)
			}
		}
	}
	out := slices.Clone(extra)
	for _, u := range urls {
		if sc, err := scope.Parse(strings.TrimSpace(u)); err == nil && !sc.Any {
			sc.Path = "/"
			out = append(out, sc.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// flagValue returns the value of a --base-url or --allow-origin flag at
// args[i], written as "--flag=v" or "--flag v".
func flagValue(s string, args []any, i int) (string, bool) {
	for _, f := range []string{"--base-url", "--allow-origin"} {
		if v, ok := strings.CutPrefix(s, f+"="); ok {
			return v, true
		}
		if s == f && i+1 < len(args) {
			v, ok := args[i+1].(string)
			return v, ok
		}
	}
	return "", false
}

// tokenVar is the variable keyref exec sets for an argument's token.
func tokenVar(alias string) string {
	return "KEYREF_TOKEN_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - ('a' - 'A')
		}
		if r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, alias)
}
