// Package lockdir says where keyref's lock files live.
package lockdir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/gofrs/flock"
)

// Default is where keyref keeps its lock files. Every keyref process of a user
// must lock in the same place, whatever environment it was started with
// (a desktop session, cron, an MCP client's minimal environment, env -i),
// or two writers of one alias could run at once; so the directory comes
// from the user's identity, not from variables such as XDG_RUNTIME_DIR.
// On Linux it is /run/user/UID/keyref when that directory is the user's,
// elsewhere (and as the fallback) the cache directory under the home
// directory from the user database. KEYREF_LOCK_DIR, when it is an
// absolute path, replaces all of this; set it everywhere or nowhere. Lock
// files hold nothing. The directory is found once per process.
var Default = sync.OnceValue(func() string {
	if d := os.Getenv(EnvVar); filepath.IsAbs(d) {
		return d
	}
	return find()
})

// EnvVar names the variable that overrides the lock directory.
const EnvVar = "KEYREF_LOCK_DIR"

func find() string {
	if runtime.GOOS == "linux" {
		uid := strconv.Itoa(os.Getuid())
		run := filepath.Join("/run/user", uid)
		if owned(run, uid) {
			return filepath.Join(run, "keyref")
		}
	}
	u, err := user.Current()
	if err == nil && u.HomeDir != "" {
		switch runtime.GOOS {
		case "darwin":
			return filepath.Join(u.HomeDir, "Library", "Caches", "keyref", "locks")
		case "windows":
			if d, err := os.UserCacheDir(); err == nil { // %LocalAppData%
				return filepath.Join(d, "keyref", "locks")
			}
		}
		return filepath.Join(u.HomeDir, ".cache", "keyref", "locks")
	}
	return filepath.Join(os.TempDir(), "keyref-"+strconv.Itoa(os.Getuid()))
}

// owned reports whether dir exists and belongs to the user uid.
func owned(dir, uid string) bool {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return false
	}
	return fileOwner(fi) == uid
}

// Lock takes the exclusive lock file name in dir, creating dir, and
// returns its release. It waits until ctx ends (returning ctx's error) in a
// blocking flock rather than by polling, so that a waiter goes on the
// moment the lock is free: with sixteen keyref processes waiting, polling
// every millisecond cost a third of the throughput.
func Lock(ctx context.Context, dir, name string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the lock directory: %w", err)
	}
	l, err := open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	release := func() { _ = l.Unlock() }
	ok, err := l.TryLock()
	switch {
	case err != nil:
		return nil, err
	case ok:
		return release, nil
	}
	got := make(chan error, 1)
	go func() { got <- l.Lock() }()
	select {
	case err := <-got:
		if err != nil {
			return nil, err
		}
		return release, nil
	case <-ctx.Done():
		// The flock may still be granted; give it back when it is.
		go func() {
			if <-got == nil {
				release()
			}
		}()
		return nil, ctx.Err()
	}
}

// open returns the lock at path after checking that nothing but a
// regular file is there: opening a FIFO someone left in its place would
// block past every time limit, and a directory cannot be locked.
func open(path string) (*flock.Flock, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("lock file %s is not a regular file; remove it", path)
	}
	return flock.New(path), nil
}
