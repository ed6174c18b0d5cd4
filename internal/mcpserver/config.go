package mcpserver

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/keyref/keyref/internal/mcpserver/baseurl"
	"github.com/keyref/keyref/internal/resolve"
)

// Defaults for the flags.
const (
	DefaultMaxResponseBytes = 256 << 10
	DefaultTimeout          = 30 * time.Second
)

// Config is keyref-mcp's configuration, from flags and KEYREF_* variables.
type Config struct {
	Helper           string        // --helper, KEYREF_HELPER
	Token            string        // --token, KEYREF_TOKEN: default reference (never logged)
	BaseURL          string        // --base-url, KEYREF_BASE_URL
	AllowOrigins     []string      // --allow-origin, KEYREF_ALLOW_ORIGIN (comma separated)
	AllowWrite       bool          // --allow-write, KEYREF_ALLOW_WRITE
	MaxResponseBytes int           // --max-response-bytes, KEYREF_MAX_RESPONSE_BYTES
	Timeout          time.Duration // --timeout, KEYREF_TIMEOUT: per tool call
	CacheTTL         time.Duration // KEYREF_TOKEN_CACHE_TTL only: opt-in, development
	LogLevel         string        // KEYREF_LOG: debug, info (default), warn, error
	ShowVersion      bool          // --version
}

// flagError rewrites the flag package's errors so that they name the flag
// but never echo its value, which could be a token pasted in the wrong
// place.
func flagError(err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Errorf("unknown flag %s (see keyref-mcp --help)", shown("-"+name))
	}
	if !strings.HasPrefix(msg, "invalid ") {
		return err
	}
	for _, sep := range []string{" for flag -", " for -"} {
		if i := strings.Index(msg, sep); i > 0 {
			name := strings.TrimLeft(msg[i+len(sep):], "-")
			if j := strings.IndexByte(name, ':'); j > 0 {
				name = name[:j]
			}
			return fmt.Errorf("invalid value for flag -%s (see keyref-mcp --help)", name)
		}
	}
	return errors.New("invalid flag value (see keyref-mcp --help)")
}

// ParseConfig reads the configuration: KEYREF_* variables first, flags
// over them. Usage and errors are written to stderr.
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	c := &Config{
		Helper: getenv("KEYREF_HELPER"), Token: getenv("KEYREF_TOKEN"),
		BaseURL: getenv("KEYREF_BASE_URL"), LogLevel: getenv("KEYREF_LOG"),
		MaxResponseBytes: DefaultMaxResponseBytes, Timeout: DefaultTimeout,
	}
	if err := c.fromEnv(getenv); err != nil {
		return nil, err
	}
	fs := flag.NewFlagSet("keyref-mcp", flag.ContinueOnError)
	// The flag package would print each error with the whole usage, and
	// echo a bad value; errors are reported once, by Main, instead.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&c.Helper, "helper", c.Helper, "keyref binary that resolves keyring: references")
	fs.StringVar(&c.Token, "token", c.Token, "default token reference when a call names none")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "base URL that tool paths are relative to")
	fs.Func("allow-origin", "origin (or URL prefix) env: and raw tokens may go to; repeatable",
		func(s string) error { c.AllowOrigins = append(c.AllowOrigins, s); return nil })
	fs.BoolVar(&c.AllowWrite, "allow-write", c.AllowWrite, "allow methods other than GET and HEAD")
	fs.IntVar(&c.MaxResponseBytes, "max-response-bytes", c.MaxResponseBytes,
		"longest response body handed back")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "time limit of one tool call")
	fs.BoolVar(&c.ShowVersion, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			usage(fs, stderr)
			return nil, err
		}
		return nil, flagError(err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %s (keyref-mcp takes flags only)",
			shown(fs.Arg(0)))
	}
	return c, c.check()
}

func (c *Config) fromEnv(getenv func(string) string) error {
	origins := strings.FieldsFunc(getenv("KEYREF_ALLOW_ORIGIN"), isListSep)
	c.AllowOrigins = append(c.AllowOrigins, origins...)
	var err error
	if v := getenv("KEYREF_ALLOW_WRITE"); v != "" {
		if c.AllowWrite, err = strconv.ParseBool(v); err != nil {
			return fmt.Errorf("KEYREF_ALLOW_WRITE=%q: want true or false", v)
		}
	}
	if v := getenv("KEYREF_MAX_RESPONSE_BYTES"); v != "" {
		if c.MaxResponseBytes, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("KEYREF_MAX_RESPONSE_BYTES=%q: want a number of bytes", v)
		}
	}
	if v := getenv("KEYREF_TIMEOUT"); v != "" {
		if c.Timeout, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("KEYREF_TIMEOUT=%q: want a duration such as 30s", v)
		}
	}
	if v := getenv("KEYREF_TOKEN_CACHE_TTL"); v != "" {
		if c.CacheTTL, err = time.ParseDuration(v); err != nil || c.CacheTTL < 0 {
			return fmt.Errorf("KEYREF_TOKEN_CACHE_TTL=%q: want a duration such as 1m", v)
		}
	}
	return nil
}

func isListSep(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }

func (c *Config) check() error {
	var errs []error
	if c.MaxResponseBytes <= 0 {
		errs = append(errs, errors.New("--max-response-bytes must be positive"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("--timeout must be positive"))
	}
	if c.Token != "" {
		if _, err := resolve.Parse(c.Token); err != nil {
			errs = append(errs, fmt.Errorf("--token: %w", err))
		}
	}
	if c.BaseURL != "" {
		if _, err := baseurl.Parse(c.BaseURL); err != nil {
			errs = append(errs, err)
		}
	}
	origins, err := resolve.CheckAllowOrigins(c.AllowOrigins)
	if err != nil {
		errs = append(errs, err)
	}
	c.AllowOrigins = origins
	return errors.Join(errs...)
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `usage: keyref-mcp [flags]

keyref-mcp is an MCP server on stdio. Its tools call HTTP APIs with a bearer
token resolved at call time from a reference: keyring:NAME (through keyref),
env:NAME (the BEARER_TOKEN_NAME variable, which may itself hold keyring:NAME)
or a raw token (sent only to --allow-origin destinations). Every flag also
reads a KEYREF_* variable (KEYREF_HELPER, KEYREF_TOKEN, KEYREF_BASE_URL,
KEYREF_ALLOW_ORIGIN, KEYREF_ALLOW_WRITE, KEYREF_MAX_RESPONSE_BYTES,
KEYREF_TIMEOUT); KEYREF_LOG sets the log level and KEYREF_TOKEN_CACHE_TTL
(development only, at most 5m) keeps tokens in memory.

flags:
`)
	fs.PrintDefaults()
}

// shown quotes a command-line word for a message when it looks like a
// flag or word someone mistyped, and otherwise gives only its length: it
// may be a token pasted in the wrong place, and Claude Desktop keeps
// servers' stderr in log files.
func shown(arg string) string {
	word := strings.TrimLeft(arg, "-")
	if len(word) == 0 || len(word) > 24 {
		return fmt.Sprintf("(%d characters)", len(arg))
	}
	for _, r := range word {
		if (r < 'a' || r > 'z') && r != '-' {
			return fmt.Sprintf("(%d characters)", len(arg))
		}
	}
	return strconv.Quote(arg)
}
