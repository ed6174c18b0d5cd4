// Command keyref keeps bearer tokens in the OS keychain under aliases and
// hands them to scripts, git and keyref-mcp. See `keyref --help`.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/keyref/keyref/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, cli.OSEnv(), os.Args[1:])
	stop()
	os.Exit(code)
}
