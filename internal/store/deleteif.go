package store

import (
	"context"
	"errors"
)

// DeleteIf removes name when match, called with the stored record under
// the alias's cross-process lock, returns true, and reports whether it
// removed it. The check and the removal are one step for other writers, so
// a value written since the caller last looked is never removed by
// mistake (the git credential helper's erase relies on this). An absent
// alias is not an error: DeleteIf returns false. Other errors are those of
// Get and Delete.
func (s *Store) DeleteIf(ctx context.Context, name string, match func(*Record) bool) (bool, error) {
	n, unlock, err := s.lockName(ctx, name)
	if err != nil {
		return false, err
	}
	defer unlock()

	cur, err := s.get(ctx, n)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil || !match(cur) {
		return false, err
	}
	if err := s.remove(ctx, n); err != nil && !errors.Is(err, ErrNotFound) {
		return false, err
	}
	return true, nil
}
