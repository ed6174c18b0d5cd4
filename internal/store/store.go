// Package store keeps keyref's aliases: named records in the OS keychain,
// split into chunks where the keychain limits item size, with an index for
// listing and cross-process locks for writers.
//
// Guarantees: a write that fails or is killed leaves the previous record
// readable; a reader gets a whole old or new record, never a mix; the
// index names every stored alias (it may name more after an interrupted
// change, which List hides and Repair removes). The package never logs
// and never writes a secret anywhere but the keychain.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keyref/keyref/internal/keychain"
)

// Size limits.
const (
	// MaxSecretSize is the largest secret keyref stores.
	MaxSecretSize = 64 << 10
	// MaxRecordSize is the largest encoded record.
	MaxRecordSize = 256 << 10
)

// Errors of this package, wrapped with the alias name. Check with errors.Is.
var (
	ErrNotFound = errors.New("alias not found")
	ErrExists   = errors.New("alias already exists")
	ErrTooLarge = errors.New("record too large")
)

// indexAccount holds the index; ':' cannot occur in an alias name.
const indexAccount = ":index"

// Store is the alias store. Safe for concurrent use by goroutines and
// processes.
type Store struct {
	kc      keychain.Backend
	lockDir string
	now     func() time.Time
}

// Options configure a Store.
type Options struct {
	// LockDir holds the lock files; empty means lockdir.Default().
	LockDir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// New returns a Store over kc.
func New(kc keychain.Backend, opt Options) *Store {
	s := &Store{kc: kc, lockDir: opt.LockDir, now: opt.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Entry is one alias in a listing.
type Entry struct {
	Name   string
	Record *Record
}

// Get returns the record of name. Errors: ErrInvalidName, ErrNotFound,
// ErrCorrupt, keychain.ErrUnavailable.
func (s *Store) Get(ctx context.Context, name string) (*Record, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, n)
}

func (s *Store) get(ctx context.Context, n string) (*Record, error) {
	r, _, err := s.load(ctx, n)
	return r, err
}

// load reads n's record and the head it came from (see readBlobHead).
func (s *Store) load(ctx context.Context, n string) (*Record, *head, error) {
	b, h, err := readBlobHead(ctx, s.kc, n)
	if errors.Is(err, keychain.ErrNotFound) {
		return nil, nil, fmt.Errorf("alias %q: %w", n, ErrNotFound)
	}
	if err != nil {
		return nil, h, fmt.Errorf("alias %q: %w", n, err)
	}
	r, err := DecodeRecord(b)
	if err != nil {
		return nil, h, fmt.Errorf("alias %q: %w", n, err)
	}
	return r, h, nil
}

// Put stores rec under name, creating or replacing it. It sets Updated,
// and Created when the alias is new.
func (s *Store) Put(ctx context.Context, name string, rec *Record) error {
	return s.Update(ctx, name, func(*Record) (*Record, error) { return rec, nil })
}

// Update reads name (nil when absent), calls fn and stores what it
// returns, all under the alias's cross-process lock; a nil result stores
// nothing. fn may take its time, such as for an OAuth refresh: other
// writers of the alias wait, readers do not.
func (s *Store) Update(ctx context.Context, name string,
	fn func(cur *Record) (*Record, error)) error {
	n, unlock, err := s.lockName(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()

	cur, old, err := s.load(ctx, n)
	if errors.Is(err, ErrNotFound) {
		cur, err = nil, nil
	}
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return err
	}
	next, err := fn(cur)
	if err != nil || next == nil {
		return err
	}
	if cur == nil {
		if err := s.addToIndex(ctx, n); err != nil {
			return err
		}
	}
	return s.write(ctx, n, next, cur, old)
}

// write stores rec under n, keeping cur's creation time; old is the head
// n had when the caller, holding n's lock, read it.
func (s *Store) write(ctx context.Context, n string, rec, cur *Record, old *head) error {
	if rec.Secret.Len() > MaxSecretSize {
		return fmt.Errorf("alias %q: secret of %d bytes: %w (the limit is %d)",
			n, rec.Secret.Len(), ErrTooLarge, MaxSecretSize)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	r := *rec
	r.Updated = now
	switch {
	case cur != nil && !cur.Created.IsZero():
		r.Created = cur.Created
	case r.Created.IsZero():
		r.Created = now
	}
	b, err := EncodeRecord(&r)
	if err != nil {
		return fmt.Errorf("alias %q: encoding: %w", n, err)
	}
	if len(b) > MaxRecordSize {
		return fmt.Errorf("alias %q: %w", n, ErrTooLarge)
	}
	if err := writeBlob(ctx, s.kc, n, b, old); err != nil {
		return fmt.Errorf("alias %q: %w", n, err)
	}
	*rec = r
	return nil
}

// Delete removes name. Errors: ErrNotFound and those of Get.
func (s *Store) Delete(ctx context.Context, name string) error {
	n, unlock, err := s.lockName(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	return s.remove(ctx, n)
}

// lockName checks name and takes its lock, returning the stored form of
// the name and the lock's release.
func (s *Store) lockName(ctx context.Context, name string) (string, func(), error) {
	n, err := NormalizeName(name)
	if err != nil {
		return "", nil, err
	}
	unlock, err := s.lock(ctx, n)
	if err != nil {
		return "", nil, err
	}
	return n, unlock, nil
}

// remove deletes n's record and then its index entry, in that order, so
// the index never misses a stored alias. The caller holds n's lock.
func (s *Store) remove(ctx context.Context, n string) error {
	if err := deleteBlob(ctx, s.kc, n); err != nil {
		if errors.Is(err, keychain.ErrNotFound) {
			return fmt.Errorf("alias %q: %w", n, ErrNotFound)
		}
		return fmt.Errorf("alias %q: %w", n, err)
	}
	return s.removeFromIndex(ctx, n)
}

// Rename moves old to new. new must not exist. On success only new
// exists; after a failure old is intact (new may exist too, then).
func (s *Store) Rename(ctx context.Context, oldName, newName string) error {
	o, err := NormalizeName(oldName)
	if err != nil {
		return err
	}
	n, err := NormalizeName(newName)
	if err != nil {
		return err
	}
	if o == n {
		return fmt.Errorf("renaming %q: %w: old and new name are the same", o, ErrInvalidName)
	}
	first, second := min(o, n), max(o, n) // one lock order for every process
	unlock1, err := s.lock(ctx, first)
	if err != nil {
		return err
	}
	defer unlock1()
	unlock2, err := s.lock(ctx, second)
	if err != nil {
		return err
	}
	defer unlock2()

	rec, err := s.get(ctx, o)
	if err != nil {
		return err
	}
	if _, err := s.get(ctx, n); err == nil {
		return fmt.Errorf("alias %q: %w", n, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := s.addToIndex(ctx, n); err != nil {
		return err
	}
	if err := s.write(ctx, n, rec, nil, nil); err != nil {
		return err
	}
	if err := s.remove(ctx, o); err != nil {
		return fmt.Errorf("removing after the copy to %q: %w", n, err)
	}
	return nil
}

// List returns every stored alias, sorted by name. Index entries whose
// record is gone (an interrupted change) are left out.
func (s *Store) List(ctx context.Context) ([]Entry, error) {
	names, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, n := range names {
		r, err := s.get(ctx, n)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{Name: n, Record: r})
	}
	return out, nil
}

// Names returns the names in the index, sorted; it reads one item and is
// meant for shell completion. It may name aliases that are gone.
func (s *Store) Names(ctx context.Context) ([]string, error) { return s.index(ctx) }

type wireIndex struct {
	V     int      `json:"v"`
	Names []string `json:"names"`
}

func (s *Store) index(ctx context.Context) ([]string, error) {
	names, _, err := s.loadIndex(ctx)
	return names, err
}

// loadIndex reads the index and the head it came from.
func (s *Store) loadIndex(ctx context.Context) ([]string, *head, error) {
	b, h, err := readBlobHead(ctx, s.kc, indexAccount)
	if errors.Is(err, keychain.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, h, fmt.Errorf("reading the alias index: %w", err)
	}
	var w wireIndex
	if err := json.Unmarshal(b, &w); err != nil || w.V != 1 {
		return nil, h, fmt.Errorf("reading the alias index: %w (run keyref doctor)", ErrCorrupt)
	}
	slices.Sort(w.Names)
	return slices.Compact(w.Names), h, nil
}

func (s *Store) changeIndex(ctx context.Context, fn func([]string) []string) error {
	unlock, err := s.lock(ctx, indexAccount)
	if err != nil {
		return err
	}
	defer unlock()

	names, old, err := s.loadIndex(ctx)
	if errors.Is(err, ErrCorrupt) {
		names, err = nil, nil // reset, as Repair does; a set must not fail on it
	}
	if err != nil {
		return err
	}
	next := fn(slices.Clone(names))
	if slices.Equal(next, names) {
		return nil
	}
	slices.Sort(next)
	b, _ := json.Marshal(wireIndex{V: 1, Names: slices.Compact(next)})
	if err := writeBlob(ctx, s.kc, indexAccount, b, old); err != nil {
		return fmt.Errorf("writing the alias index: %w", err)
	}
	return nil
}

func (s *Store) addToIndex(ctx context.Context, n string) error {
	return s.changeIndex(ctx, func(names []string) []string {
		if slices.Contains(names, n) {
			return names
		}
		return append(names, n)
	})
}

func (s *Store) removeFromIndex(ctx context.Context, n string) error {
	return s.changeIndex(ctx, func(names []string) []string {
		return slices.DeleteFunc(names, func(x string) bool { return x == n })
	})
}
