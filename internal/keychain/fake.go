package keychain

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Fake is an in-memory Backend for tests. It enforces the value limits of
// the OS it imitates, so chunking is exercised on any machine, and it can
// be told to fail writes to test interrupted updates. The zero value is
// not usable; call NewFake. Safe for concurrent use.
type Fake struct {
	os OS

	mu    sync.Mutex
	items map[string]string
	// failAfter, when >= 0, is the number of writes (Set or Delete) that
	// succeed before every later write fails.
	failAfter int
	writes    int
	locked    bool
}

// NewFake returns an empty fake keychain with the limits of os.
func NewFake(os OS) *Fake {
	return &Fake{os: os, items: map[string]string{}, failAfter: -1}
}

// FailWritesAfter makes every write after the next n fail with
// ErrUnavailable, as a keychain that goes away mid-update would.
// A negative n lifts the failure.
func (f *Fake) FailWritesAfter(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAfter, f.writes = n, 0
}

// SetLocked makes every call fail with ErrUnavailable while locked is true.
func (f *Fake) SetLocked(locked bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.locked = locked
}

// Accounts returns the account names stored, sorted.
func (f *Fake) Accounts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	names := make([]string, 0, len(f.items))
	for k := range f.items {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Get implements Backend.
func (f *Fake) Get(_ context.Context, account string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.locked {
		return "", &UnavailableError{Reason: "fake keychain locked"}
	}
	v, ok := f.items[account]
	if !ok {
		return "", fmt.Errorf("reading %q: %w", account, ErrNotFound)
	}
	return v, nil
}

// Set implements Backend.
func (f *Fake) Set(_ context.Context, account, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.write(); err != nil {
		return err
	}
	if !fits(f.os, account, value) {
		return fmt.Errorf("writing %q: %w", account, ErrTooBig)
	}
	f.items[account] = value
	return nil
}

// Delete implements Backend.
func (f *Fake) Delete(_ context.Context, account string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.write(); err != nil {
		return err
	}
	if _, ok := f.items[account]; !ok {
		return fmt.Errorf("deleting %q: %w", account, ErrNotFound)
	}
	delete(f.items, account)
	return nil
}

// MaxValue implements Backend.
func (f *Fake) MaxValue() int { return maxValue(f.os) }

func (f *Fake) write() error {
	if f.locked {
		return &UnavailableError{Reason: "fake keychain locked"}
	}
	if f.failAfter >= 0 {
		if f.writes >= f.failAfter {
			return &UnavailableError{Reason: "fake keychain write failure"}
		}
		f.writes++
	}
	return nil
}

func maxValue(os OS) int {
	if os == Linux {
		// The Secret Service has no practical limit; one item per record
		// keeps reads to a single D-Bus round trip.
		return 1 << 20
	}
	return ChunkSize
}
