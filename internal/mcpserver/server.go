// Package mcpserver is keyref-mcp: an MCP server (spec revision 2025-06-18)
// on stdio whose tools call HTTP APIs with a bearer token resolved at the
// moment of the call through internal/resolve.
//
// It is the only package that imports mcp-go. It must never show a token
// to the model: every tool result and error passes through internal/redact
// before it is returned, the token goes only into the Authorization header
// of a request its scope allows, and stdout carries JSON-RPC alone. Logs go
// to stderr, one line per call, without values or bodies.
package mcpserver

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/keyref/keyref/internal/mcpserver/baseurl"
	"github.com/keyref/keyref/internal/resolve"
	"github.com/keyref/keyref/internal/version"
)

// Version is reported to MCP clients in serverInfo.
const Version = version.Number

// workers is how many tool calls the stdio transport runs at once; mcp-go
// runs five unless told otherwise.
const workers = 32

// Env is the world keyref-mcp runs in.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Environ lists the environment as KEY=VALUE, to find env: references.
	Environ func() []string
}

// Server holds the tools and what they share. It is safe for concurrent
// use.
type Server struct {
	cfg      *Config
	base     string // cfg.BaseURL in canonical form, parsed once
	resolver *resolve.Resolver
	client   *http.Client
	log      *slog.Logger
	environ  func() []string
	mcp      *server.MCPServer
}

// New builds a Server. helper resolves keyring: references.
func New(cfg *Config, helper resolve.Helper, env *Env, logger *slog.Logger) *Server {
	s := &Server{cfg: cfg, log: logger, environ: env.Environ}
	if cfg.BaseURL != "" {
		s.base, _ = baseurl.Parse(cfg.BaseURL) // ParseConfig refused a bad one
	}
	s.resolver = &resolve.Resolver{
		Helper: helper, Getenv: env.Getenv, AllowOrigins: cfg.AllowOrigins,
	}
	if cfg.CacheTTL > 0 {
		s.resolver.Cache = resolve.NewCache(cfg.CacheTTL, nil)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = workers
	s.client = &http.Client{Transport: tr}
	s.mcp = server.NewMCPServer("keyref-mcp", Version,
		server.WithToolCapabilities(false), server.WithRecovery(),
		server.WithInstructions(instructions))
	s.addTools()
	return s
}

const instructions = `Call HTTP APIs with a bearer token that keyref resolves at call time.
Pass a token reference, never a token: keyring:NAME (list_aliases shows them) or env:NAME.
The token is never shown to you; where an API echoes it you see [redacted].`

// Serve answers JSON-RPC on stdin and stdout until stdin ends or ctx is
// cancelled; either stops every call in flight. A line of stdin longer
// than maxLine gets a parse error and is dropped unread.
func (s *Server) Serve(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	errLog := log.New(stderr, "keyref-mcp: ", 0)
	stdio := server.NewStdioServer(s.mcp)
	stdio.SetErrorLogger(errLog)
	server.WithWorkerPoolSize(workers)(stdio)
	server.WithQueueSize(1000)(stdio)
	err := stdio.Listen(ctx, newLineCap(stdin, maxLine), stdout)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Main runs keyref-mcp with args (without the program name) and returns the
// exit code: 0 when stdin ended, 2 on bad flags, 1 on other failures.
func Main(ctx context.Context, env *Env, args []string) int {
	cfg, err := ParseConfig(args, env.Getenv, env.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "keyref-mcp: %v\n", err)
		return 2
	}
	if cfg.ShowVersion {
		fmt.Fprintf(env.Stdout, "keyref-mcp version %s\n", version.String())
		return 0
	}
	logger := newLogger(env.Stderr, cfg.LogLevel)
	path, err := resolve.FindHelper(cfg.Helper, env.Getenv)
	if err != nil {
		// keyring: references fail at call time; env: and raw ones still work.
		logger.Warn("no keyref helper", "err", err)
	}
	helper := &resolve.Exec{Path: path, Timeout: cfg.Timeout}
	s := New(cfg, helper, env, logger)
	if cfg.CacheTTL > 0 {
		warnCache(env.Stderr, cfg.CacheTTL, s.resolver.Cache.TTL())
	}
	logger.Debug("serving", "helper", path, "allow_origins", strings.Join(cfg.AllowOrigins, ","),
		"allow_write", cfg.AllowWrite)
	if err := s.Serve(ctx, env.Stdin, env.Stdout, env.Stderr); err != nil {
		fmt.Fprintf(env.Stderr, "keyref-mcp: %v\n", err)
		return 1
	}
	return 0
}

func warnCache(w io.Writer, asked, ttl time.Duration) {
	capped := ""
	if asked > ttl {
		capped = fmt.Sprintf(" (capped from %v)", asked)
	}
	fmt.Fprintf(w, "keyref-mcp: warning: KEYREF_TOKEN_CACHE_TTL keeps resolved tokens in memory "+
		"for %v%s; for development only, never written to disk\n", ttl, capped)
}

// newLogger logs to stderr at info level unless level says otherwise.
func newLogger(w io.Writer, level string) *slog.Logger {
	lv := slog.LevelInfo
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn", "quiet":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv}))
}

// toolHandler is a tool's body: it returns a JSON-able result, or an
// error the model can act on. c collects what the call log line shows.
type toolHandler func(ctx context.Context, c *call, req mcp.CallToolRequest) (any, error)
