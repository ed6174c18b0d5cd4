package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// RepairReport says what Repair changed.
type RepairReport struct {
	Aliases      int      // aliases found whole
	DroppedNames []string // index entries whose record was gone
	StrayChunks  int      // chunks no head pointed to, deleted
	IndexReset   bool     // the index was unreadable and was written anew, empty
	CorruptAlias []string // aliases whose record cannot be read; left alone
}

// Repair makes the index agree with what is stored and deletes chunks
// left by interrupted writes. It never deletes a readable record, nor an
// unreadable one (a newer keyref may understand it).
func (s *Store) Repair(ctx context.Context) (*RepairReport, error) {
	rep := &RepairReport{}
	names, err := s.index(ctx)
	if errors.Is(err, ErrCorrupt) {
		rep.IndexReset = true
		names, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	var keep []string
	for _, n := range names {
		ok, err := s.repairAlias(ctx, n, rep)
		if err != nil {
			return rep, err
		}
		if ok {
			keep = append(keep, n)
		} else {
			rep.DroppedNames = append(rep.DroppedNames, n)
		}
	}
	if len(rep.DroppedNames) > 0 || rep.IndexReset {
		err := s.changeIndex(ctx, func(cur []string) []string {
			// Keep names added since we read the index.
			var out []string
			for _, n := range cur {
				if !slices.Contains(rep.DroppedNames, n) {
					out = append(out, n)
				}
			}
			return append(out, keep...)
		})
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// repairAlias tidies one alias under its lock and reports whether it
// still exists.
func (s *Store) repairAlias(ctx context.Context, n string, rep *RepairReport) (bool, error) {
	unlock, err := s.lock(ctx, n)
	if err != nil {
		return false, err
	}
	defer unlock()

	h, err := currentHead(ctx, s.kc, n)
	if err != nil {
		return false, fmt.Errorf("alias %q: %w", n, err)
	}
	if h == nil {
		if _, err := s.kc.Get(ctx, n); err == nil {
			rep.CorruptAlias = append(rep.CorruptAlias, n)
			return true, nil
		}
		rep.StrayChunks += deleteSlot(ctx, s.kc, n, "a", 0) + deleteSlot(ctx, s.kc, n, "b", 0)
		return false, nil
	}
	switch {
	case !h.chunked():
		rep.StrayChunks += deleteSlot(ctx, s.kc, n, "a", 0) + deleteSlot(ctx, s.kc, n, "b", 0)
	case h.slot == "a":
		rep.StrayChunks += deleteSlot(ctx, s.kc, n, "b", 0) + deleteSlot(ctx, s.kc, n, "a", h.count)
	default:
		rep.StrayChunks += deleteSlot(ctx, s.kc, n, "a", 0) + deleteSlot(ctx, s.kc, n, "b", h.count)
	}
	if _, err := s.get(ctx, n); err != nil {
		if !errors.Is(err, ErrCorrupt) {
			return false, err
		}
		rep.CorruptAlias = append(rep.CorruptAlias, n)
	}
	rep.Aliases++
	return true, nil
}
