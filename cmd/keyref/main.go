// Command keyref keeps bearer tokens in the OS keychain under aliases and
// hands them to scripts, git and keyref-mcp. See `keyref --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"time"

	"github.com/keyref/keyref/internal/cli"
)

func main() {
	// keyref runs for milliseconds at a time and mostly waits on the
	// keychain. With one P its goroutines hand work over on one thread
	// instead of waking others: `keyref get` measured 5% faster (make bench).
	// A GOMAXPROCS the user sets still wins.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	env := &cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Now: time.Now, Args0: os.Args[0],
	}
	code := cli.Main(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}
