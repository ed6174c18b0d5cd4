// Command keyref-mcp is an MCP server on stdio that calls HTTP APIs with
// bearer tokens resolved at call time from the OS keychain through keyref.
// See `keyref-mcp --help` and docs/mcp.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/keyref/keyref/internal/mcpserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &mcpserver.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Environ: os.Environ}
	code := mcpserver.Main(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}
