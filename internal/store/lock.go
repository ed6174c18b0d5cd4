package store

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/gofrs/flock"
)

// DefaultLockDir is where lock files live. Every keyref process of a user
// must lock in the same place, whatever environment it was started with
// (a desktop session, cron, an MCP client's minimal environment, env -i),
// or two writers of one alias could run at once; so the directory comes
// from the user's identity, not from variables such as XDG_RUNTIME_DIR.
// On Linux it is /run/user/UID/keyref when that directory is the user's,
// elsewhere (and as the fallback) the cache directory under the home
// directory from the user database. Lock files hold nothing.
func DefaultLockDir() string {
	u, err := user.Current()
	if runtime.GOOS == "linux" && err == nil {
		run := filepath.Join("/run/user", u.Uid)
		if owned(run, u.Uid) {
			return filepath.Join(run, "keyref")
		}
	}
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

// lockRetry is how often a waiting process tries the lock again.
const lockRetry = 10 * time.Millisecond

// lock takes the cross-process lock of account and returns its release.
// It waits until ctx ends.
func (s *Store) lock(ctx context.Context, account string) (func(), error) {
	dir := s.lockDir
	if dir == "" {
		dir = DefaultLockDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating lock directory: %w", err)
	}
	file := "alias-" + account + ".lock"
	if account == indexAccount {
		file = "index.lock"
	}
	l := flock.New(filepath.Join(dir, file))
	ok, err := l.TryLockContext(ctx, lockRetry)
	if err != nil {
		return nil, fmt.Errorf("locking %q: %w", account, err)
	}
	if !ok {
		return nil, fmt.Errorf("locking %q: not acquired", account)
	}
	return func() { _ = l.Unlock() }, nil
}
