package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/keyref/keyref/internal/keychain"
	"github.com/keyref/keyref/internal/lockdir"
	"github.com/keyref/keyref/internal/store"
)

func newDoctorCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check the keychain end to end and repair the alias index",
		Long: `Check the keychain end to end: the session bus (Linux), writing, reading
back and deleting a probe item, then the alias index, which it repairs after
interrupted writes. Each failed check prints a hint. Exit 4 when the
keychain cannot be used.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd.Context(), env)
		},
	}
}

// probeAccount is the probe item's account; ':' keeps it apart from aliases.
const probeAccount = ":doctor-probe"

func runDoctor(ctx context.Context, env *Env) error {
	w := env.Stdout
	check := func(name string, err error, hint string) bool {
		if err == nil {
			fmt.Fprintf(w, "ok    %s\n", name)
			return true
		}
		fmt.Fprintf(w, "FAIL  %s: %v\n", name, err)
		if hint != "" {
			fmt.Fprintf(w, "      fix: %s\n", hint)
		}
		return false
	}

	if runtime.GOOS == "linux" {
		err := keychain.CheckBus(env.Getenv)
		if !check("D-Bus session bus", err, "") {
			return exitError{ExitUnavailable}
		}
	}
	dir := env.LockDir
	if dir == "" {
		dir = lockdir.Default()
	}
	if !check("lock directory "+dir, os.MkdirAll(dir, 0o700),
		"set "+lockdir.EnvVar+" to an absolute path you can write, or unset it") {
		return exitError{ExitFailure}
	}
	kc := env.backend()
	probe := rand.Text()
	err := kc.Set(ctx, probeAccount, probe)
	hint := "unlock the keychain (on Linux: is gnome-keyring or another Secret Service running?)"
	if ue := (*keychain.UnavailableError)(nil); errors.As(err, &ue) && ue.Hint != "" {
		hint = "" // the error says what to do
	}
	if !check("write a probe item", err, hint) {
		return exitError{exitCode(err)}
	}
	got, err := kc.Get(ctx, probeAccount)
	if err == nil && got != probe {
		err = errors.New("read back a different value")
	}
	ok := check("read the probe back", err,
		"the keychain returns what it did not store; report this")
	ok = check("delete the probe", kc.Delete(ctx, probeAccount), "") && ok
	if !ok {
		return exitError{ExitUnavailable}
	}

	rep, err := env.store().Repair(ctx)
	if !check("alias index", err, "") {
		return exitError{exitCode(err)}
	}
	fmt.Fprintf(w, "      %d %s", rep.Aliases, plural(rep.Aliases, "alias", "aliases"))
	if len(rep.DroppedNames) > 0 {
		fmt.Fprintf(w, "; dropped %d stale index entries", len(rep.DroppedNames))
	}
	if rep.StrayChunks > 0 {
		fmt.Fprintf(w, "; removed %d stray chunks", rep.StrayChunks)
	}
	if rep.IndexReset {
		fmt.Fprint(w, "; reset the unreadable index (the aliases it named still work by name; "+
			"set them again to list them)")
	}
	fmt.Fprintln(w)
	for _, n := range rep.CorruptAlias {
		check("alias "+n, fmt.Errorf("alias %q: %w", n, store.ErrCorrupt),
			"set it again with keyref set "+n+", or remove it with keyref rm "+n)
	}
	if len(rep.CorruptAlias) > 0 {
		return exitError{ExitFailure}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
