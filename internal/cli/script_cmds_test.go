package cli

import (
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the commands scripts have beyond testscript's own.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// printfile FILE TEXT writes TEXT, with Go escapes such as \r\n
	// expanded, to FILE. $VARS in TEXT are expanded too, even inside
	// single quotes.
	"printfile": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: printfile FILE TEXT")
		}
		text, err := strconv.Unquote(`"` + strings.ReplaceAll(args[1], `"`, `\"`) + `"`)
		ts.Check(err)
		text = os.Expand(text, ts.Getenv)
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(text), 0o600))
	},
	// randfile FILE N writes N random bytes that are valid in a token
	// (printable, with no line break) to FILE.
	"randfile": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: randfile FILE N")
		}
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		b := make([]byte, n)
		_, _ = rand.Read(b)
		for i := range b {
			b[i] = 0x21 + b[i]%94
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o600))
	},
	// exits CODE PROG ARGS... runs PROG and checks its exit code; stdout
	// and stderr are then available to the stdout and stderr commands.
	"exits": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 2 {
			ts.Fatalf("usage: exits CODE PROG ARGS...")
		}
		want, err := strconv.Atoi(args[0])
		ts.Check(err)
		err = ts.Exec(args[1], args[2:]...)
		got := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			got = ee.ExitCode()
		} else if err != nil {
			ts.Fatalf("running %s: %v", args[1], err)
		}
		if got != want {
			ts.Fatalf("%s exited %d, want %d", args[1], got, want)
		}
	},
	// nocanary FILE... fails if a file holds $CANARY.
	"nocanary": func(ts *testscript.TestScript, neg bool, args []string) {
		canary := ts.Getenv("CANARY")
		for _, f := range args {
			if strings.Contains(ts.ReadFile(f), canary) {
				ts.Fatalf("%s holds the canary token", f)
			}
		}
	},
}
