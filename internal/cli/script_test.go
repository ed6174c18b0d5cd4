package cli

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/keyref/keyref/internal/testenv"
)

// TestMain lets the test binary act as keyref (under each name it answers
// to) inside testscript scripts, so the scripts run the real command tree
// in real processes against the real keychain.
func TestMain(m *testing.M) {
	main := func() {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		env := &Env{
			Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
			Getenv: os.Getenv, Now: time.Now, Args0: os.Args[0],
		}
		code := Main(ctx, env, os.Args[1:])
		stop()
		os.Exit(code)
	}
	testscript.Main(m, map[string]func(){
		"keyref":                   main,
		"git-credential-keyref":    main,
		"docker-credential-keyref": main,
	})
}

// scriptEnv lists the variables a script inherits; testscript starts from
// an empty environment.
var scriptEnv = []string{
	"DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "KEYREF_LOCK_DIR", "PATH",
}

// TestScripts runs testdata/script/*.txtar inside the real Secret Service.
// Each script gets $CANARY, a fresh token to plant, and $ALIAS, a unique
// prefix for its alias names.
func TestScripts(t *testing.T) {
	testenv.RequireSecretService(t)
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(e *testscript.Env) error {
			for _, k := range scriptEnv {
				if v, ok := os.LookupEnv(k); ok {
					e.Setenv(k, v)
				}
			}
			name := strings.ToLower(filepath.Base(e.WorkDir))
			e.Setenv("ALIAS", "t"+strings.NewReplacer("script-", "", "_", "-").Replace(name))
			e.Setenv("CANARY", testenv.Canary())
			return nil
		},
		Cmds: scriptCmds,
	})
}
