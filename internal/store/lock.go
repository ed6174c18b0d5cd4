package store

import (
	"context"
	"fmt"

	"github.com/keyref/keyref/internal/lockdir"
)

// lock takes the cross-process lock of account and returns its release.
// It waits until ctx ends.
func (s *Store) lock(ctx context.Context, account string) (func(), error) {
	dir := s.lockDir
	if dir == "" {
		dir = lockdir.Default()
	}
	file := "alias-" + account + ".lock"
	if account == indexAccount {
		file = "index.lock"
	}
	unlock, err := lockdir.Lock(ctx, dir, file)
	if err != nil {
		return nil, fmt.Errorf("locking %q: %w", account, err)
	}
	return unlock, nil
}
