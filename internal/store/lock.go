package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// DefaultLockDir is where lock files live: $XDG_RUNTIME_DIR/keyref when
// set (private to the user, cleared at logout), else the user cache
// directory. Lock files hold nothing; only their locks matter.
func DefaultLockDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "keyref")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "keyref", "locks")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("keyref-%d", os.Getuid()))
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
