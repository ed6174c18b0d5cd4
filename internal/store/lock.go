package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keyref/keyref/internal/lockdir"
)

// lockRetry is how often a waiting process tries the lock again.
const lockRetry = 10 * time.Millisecond

// lock takes the cross-process lock of account and returns its release.
// It waits until ctx ends.
func (s *Store) lock(ctx context.Context, account string) (func(), error) {
	dir := s.lockDir
	if dir == "" {
		dir = lockdir.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating lock directory: %w", err)
	}
	file := "alias-" + account + ".lock"
	if account == indexAccount {
		file = "index.lock"
	}
	l, err := lockdir.Flock(filepath.Join(dir, file))
	if err != nil {
		return nil, fmt.Errorf("locking %q: %w", account, err)
	}
	ok, err := l.TryLockContext(ctx, lockRetry)
	if err != nil {
		return nil, fmt.Errorf("locking %q: %w", account, err)
	}
	if !ok {
		return nil, fmt.Errorf("locking %q: not acquired", account)
	}
	return func() { _ = l.Unlock() }, nil
}
