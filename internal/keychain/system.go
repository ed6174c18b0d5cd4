package keychain

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/keyref/keyref/internal/lockdir"
)

// DefaultTimeout bounds each keychain call. Unlock prompts can wait for a
// person, so it is generous, but it is never infinite.
const DefaultTimeout = 30 * time.Second

// System is the Backend of the running OS, through go-keyring.
type System struct {
	// Timeout bounds each call; zero means DefaultTimeout.
	Timeout time.Duration
	// Getenv reads the environment; nil means os.Getenv. Linux uses it to
	// find the session bus.
	Getenv func(string) string
	// ChunkSize, when positive, overrides MaxValue, so tests can exercise
	// chunking against a keychain that needs none.
	ChunkSize int
	// LockDir holds the lock that keeps keyref's keychain calls one at a
	// time; empty means lockdir.Default(), which every keyref process of
	// the user shares. Only tests set it.
	LockDir string
}

// Get implements Backend.
func (s *System) Get(ctx context.Context, account string) (string, error) {
	var v string
	err := s.call(ctx, "reading", account, func(ctx context.Context) error {
		var found, ok bool
		switch v, found, ok = fastGet(ctx, s.getenv, account); {
		case ok && found:
			return nil
		case ok:
			return keyring.ErrNotFound
		}
		var err error
		v, err = keyring.Get(Service, account)
		return err
	})
	return v, err
}

// Set implements Backend.
func (s *System) Set(ctx context.Context, account, value string) error {
	return s.call(ctx, "writing", account, func(context.Context) error {
		return keyring.Set(Service, account, value)
	})
}

// Delete implements Backend.
func (s *System) Delete(ctx context.Context, account string) error {
	return s.call(ctx, "deleting", account, func(context.Context) error {
		return keyring.Delete(Service, account)
	})
}

func (s *System) getenv(k string) string {
	if s.Getenv == nil {
		return os.Getenv(k)
	}
	return s.Getenv(k)
}

// MaxValue implements Backend.
func (s *System) MaxValue() int {
	if s.ChunkSize > 0 {
		return s.ChunkSize
	}
	return maxValue(OS(runtime.GOOS))
}

// call runs fn with the bus check, the keychain lock and the time limit.
// go-keyring cannot be cancelled, so on expiry fn is left running in its
// goroutine and the lock is given back; the caller reports the failure.
func (s *System) call(ctx context.Context, op, account string,
	fn func(context.Context) error) error {
	if err := checkBus(s.Getenv); err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	unlock, err := s.lock(ctx)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, account, err)
	}
	// A call that does not finish in time gives the lock back anyway: it
	// is most likely waiting for an unlock prompt, and keyref-mcp lives on
	// after it, as would every other keyref process's wait.
	unlock = sync.OnceFunc(unlock)
	done := make(chan error, 1)
	go func() {
		err := fn(ctx)
		unlock()
		done <- err
	}()
	select {
	case err := <-done:
		return translate(op, account, err)
	case <-ctx.Done():
		unlock()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s %q: %w", op, account, &UnavailableError{
				Reason: "keychain locked or not answering",
				Hint:   fmt.Sprintf("no answer within %s; unlock it and try again", timeout),
			})
		}
		return fmt.Errorf("%s %q: %w", op, account, ctx.Err())
	}
}

// lockFile is the lock a keyref process holds while it talks to the
// keychain. gnome-keyring 42 aborts (a failed assertion in OpenSession)
// when the calls of clients that have just connected interleave, and
// parallel runs of `keyref get` are that: keyref-mcp serves calls in
// parallel, and so does git. One call at a time costs little, since the
// daemon answers one request at a time anyway.
const lockFile = "keychain.lock"

// lock takes the keychain lock and returns its release. It waits until
// ctx ends.
func (s *System) lock(ctx context.Context) (func(), error) {
	dir := s.LockDir
	if dir == "" {
		dir = lockdir.Default()
	}
	unlock, err := lockdir.Lock(ctx, dir, lockFile)
	switch {
	case err == nil:
		return unlock, nil
	case errors.Is(err, context.DeadlineExceeded):
		return nil, &UnavailableError{
			Reason: "another keyref call has held the keychain lock for too long",
			Hint:   "it may be waiting for an unlock prompt; answer it or end that process",
		}
	case errors.Is(err, context.Canceled):
		return nil, err
	}
	return nil, fmt.Errorf("locking the keychain: %w", err)
}

// translate maps go-keyring's errors to this package's. Other errors come
// from the platform (D-Bus, Security framework, Win32) and mean the
// keychain could not do what was asked; their text never holds a value.
func translate(op, account string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("%s %q: %w", op, account, ErrNotFound)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("%s %q: %w", op, account, ErrTooBig)
	}
	return fmt.Errorf("%s %q: %w", op, account, &UnavailableError{
		Reason: "keychain error: " + err.Error(),
		Hint:   unavailableHint,
	})
}
