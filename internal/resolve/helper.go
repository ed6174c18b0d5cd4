package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/secret"
)

// Errors from the helper, besides ErrInvalid and scope.ErrOutside. Check
// with errors.Is.
var (
	// ErrNotFound reports an alias or environment variable that does not
	// exist.
	ErrNotFound = errors.New("not found")
	// ErrUnavailable reports a keychain that is locked, missing or slow.
	ErrUnavailable = errors.New("keychain unavailable")
	// ErrLoginRequired reports an OAuth alias that needs `keyref login`.
	ErrLoginRequired = errors.New("login required")
	// ErrHelper reports any other failure to run the helper.
	ErrHelper = errors.New("keyref helper failed")
)

// Token is what the helper hands out for an alias.
type Token struct {
	Kind    string
	Token   secret.Secret
	Scopes  []string
	Expires *time.Time
	// CanRefresh is set for an oauth2 alias that renews without a login.
	CanRefresh bool
}

// Alias describes an alias as `keyref list --json` does. It holds no
// secret.
type Alias struct {
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	Scopes     []string   `json:"scopes"`
	Note       string     `json:"note,omitempty"`
	Expires    *time.Time `json:"expires,omitempty"`
	CanRefresh bool       `json:"can_refresh,omitempty"`
	Issuer     string     `json:"issuer,omitempty"`
}

// Helper looks aliases up. Exec is the real one; tests pass fakes.
type Helper interface {
	// Get returns alias name's token for a destination (scheme, host and
	// path only); an empty dest asks for no scope check.
	Get(ctx context.Context, name, dest string) (*Token, error)
	// List returns every alias.
	List(ctx context.Context) ([]Alias, error)
}

var errHelperTimeout = errors.New("helper timed out")

// DefaultHelperTimeout bounds one helper run.
const DefaultHelperTimeout = 30 * time.Second

// maxHelperOutput bounds what is read from the helper's stdout and stderr.
const maxHelperOutput = 4 << 20

// Exec runs the keyref binary as the helper. Its stdout and stderr are
// captured, never inherited, so no stray byte reaches the MCP stream; it is
// killed when ctx is cancelled or Timeout passes. Exec is safe for
// concurrent use.
type Exec struct {
	Path    string
	Timeout time.Duration // 0 means DefaultHelperTimeout
}

// Get runs `keyref get NAME --json [--url DEST]`.
func (e *Exec) Get(ctx context.Context, name, dest string) (*Token, error) {
	args := []string{"get", name, "--json"}
	if dest != "" {
		args = append(args, "--url", dest)
	}
	out, err := e.run(ctx, args...)
	if err != nil {
		if strings.Contains(err.Error(), fmt.Sprintf("%q", name)) {
			return nil, err // keyref's message names the alias already
		}
		return nil, fmt.Errorf("alias %q: %w", name, err)
	}
	var res struct {
		Kind    string     `json:"kind"`
		Token   string     `json:"token"`
		Scopes  []string   `json:"scopes"`
		Expires *time.Time `json:"expires"`
		Refresh bool       `json:"can_refresh"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Token == "" {
		return nil, fmt.Errorf("alias %q: %w: unexpected output from keyref get --json",
			name, ErrHelper)
	}
	return &Token{Kind: res.Kind, Token: secret.New(res.Token),
		Scopes: res.Scopes, Expires: res.Expires, CanRefresh: res.Refresh}, nil
}

// List runs `keyref list --json`.
func (e *Exec) List(ctx context.Context) ([]Alias, error) {
	out, err := e.run(ctx, "list", "--json")
	if err != nil {
		return nil, fmt.Errorf("listing aliases: %w", err)
	}
	var aliases []Alias
	if err := json.Unmarshal(out, &aliases); err != nil {
		return nil, fmt.Errorf("listing aliases: %w: unexpected output from keyref list --json",
			ErrHelper)
	}
	return aliases, nil
}

func (e *Exec) run(ctx context.Context, args ...string) ([]byte, error) {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultHelperTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errHelperTimeout)
	defer cancel()

	var stdout, stderr limitedBuffer
	cmd := exec.CommandContext(ctx, e.Path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	if ctx.Err() != nil {
		if context.Cause(ctx) == errHelperTimeout {
			return nil, fmt.Errorf("%w: keyref %s did not finish in %v",
				ErrHelper, args[0], timeout)
		}
		return nil, fmt.Errorf("keyref %s: %w", args[0], ctx.Err())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return nil, fmt.Errorf("%w: running %s: %w", ErrHelper, e.Path, err)
	}
	return nil, exitError(ee.ExitCode(), lastLine(stderr.String()))
}

// exitError maps keyref's documented exit codes to this package's errors.
func exitError(code int, msg string) error {
	var kind error
	switch code {
	case 2:
		kind = ErrInvalid
	case 3:
		kind = ErrNotFound
	case 4:
		kind = ErrUnavailable
	case 5:
		kind = scope.ErrOutside
	case 6:
		kind = ErrLoginRequired
	default:
		kind = ErrHelper
	}
	if msg == "" {
		return fmt.Errorf("%w (keyref exit status %d)", kind, code)
	}
	return &helperError{kind: kind, msg: msg}
}

// helperError is keyref's own message, which usually names the error kind
// already, wrapping that kind.
type helperError struct {
	kind error
	msg  string
}

func (h *helperError) Error() string {
	if strings.Contains(h.msg, h.kind.Error()) {
		return h.msg
	}
	return h.kind.Error() + ": " + h.msg
}

func (h *helperError) Unwrap() error { return h.kind }

// lastLine returns the helper's last stderr line without its "keyref: "
// prefix, shortened for a message.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	line := strings.TrimPrefix(strings.TrimSpace(lines[len(lines)-1]), "keyref: ")
	if len(line) > 300 {
		line = line[:300] + "…"
	}
	return line
}

// limitedBuffer keeps the first maxHelperOutput bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxHelperOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// FindHelper returns the keyref binary to run: flag when set, else
// $KEYREF_HELPER, else keyref beside the running executable (MCP clients
// start servers with a minimal PATH), else keyref on PATH.
func FindHelper(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if p := getenv("KEYREF_HELPER"); p != "" {
		return p, nil
	}
	name := "keyref"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("finding the keyref helper: not beside keyref-mcp nor on PATH; "+
			"pass --helper PATH or set KEYREF_HELPER: %w", err)
	}
	return p, nil
}
