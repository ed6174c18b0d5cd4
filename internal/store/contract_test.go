package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/keychain"
	"github.com/keyref/keyref/internal/secret"
	"github.com/keyref/keyref/internal/testenv"
)

// runContract runs the behaviour every backend must give the store. prefix
// keeps alias names apart from other tests sharing a real keychain.
func runContract(t *testing.T, kc keychain.Backend, prefix string) {
	ctx := context.Background()
	newStore := func(t *testing.T) *Store {
		return New(kc, Options{LockDir: lockDir(t)})
	}
	name := func(t *testing.T) string {
		h := fnv.New32a()
		h.Write([]byte(t.Name()))
		return fmt.Sprintf("%sc%08x", prefix, h.Sum32())
	}

	t.Run("round trip of every size", func(t *testing.T) {
		s, n := newStore(t), name(t)
		t.Cleanup(func() { _ = s.Delete(ctx, n) })
		for _, size := range []int{1, 100, 1500, 2048, 2049, 4000, 10000, MaxSecretSize} {
			tok := token(size)
			in := &Record{
				Kind: KindToken, Secret: secret.New(tok), Scopes: []string{"*"}, Note: "ü",
			}
			if err := s.Put(ctx, n, in); err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			got, err := s.Get(ctx, n)
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			if got.Secret.Reveal() != tok {
				t.Fatalf("size %d: secret differs after round trip", size)
			}
			if diff := cmp.Diff(in.Scopes, got.Scopes); diff != "" {
				t.Errorf("size %d: scopes (-want +got):\n%s", size, diff)
			}
		}
	})

	t.Run("not found", func(t *testing.T) {
		s, n := newStore(t), name(t)
		if _, err := s.Get(ctx, n); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, n); !errors.Is(err, ErrNotFound) {
			t.Errorf("Delete = %v, want ErrNotFound", err)
		}
	})

	t.Run("list, rename and delete keep the index true", func(t *testing.T) {
		s, n := newStore(t), name(t)
		big := &Record{Kind: KindToken, Secret: secret.New(token(9000))}
		if err := s.Put(ctx, n, big); err != nil {
			t.Fatal(err)
		}
		if !listed(t, s, n) {
			t.Fatalf("%s missing from List", n)
		}
		if err := s.Rename(ctx, n, n+"-2"); err != nil {
			t.Fatal(err)
		}
		if listed(t, s, n) || !listed(t, s, n+"-2") {
			t.Fatalf("List after rename is wrong")
		}
		got, err := s.Get(ctx, n+"-2")
		if err != nil || !got.Secret.Equal(big.Secret) {
			t.Fatalf("renamed record wrong: %v", err)
		}
		if err := s.Delete(ctx, n+"-2"); err != nil {
			t.Fatal(err)
		}
		if listed(t, s, n+"-2") {
			t.Fatalf("deleted alias still listed")
		}
	})

	t.Run("readers never see a torn value", func(t *testing.T) {
		s, n := newStore(t), name(t)
		t.Cleanup(func() { _ = s.Delete(ctx, n) })
		values := []string{token(5000) + "A", token(3000) + "B", "short-C", token(7000) + "D"}
		first := &Record{Kind: KindToken, Secret: secret.New(values[0])}
		if err := s.Put(ctx, n, first); err != nil {
			t.Fatal(err)
		}
		valid := map[string]bool{}
		for _, v := range values {
			valid[v] = true
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for r := 0; r < 4; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					rec, err := s.Get(ctx, n)
					if err != nil {
						errs <- err
						return
					}
					if !valid[rec.Secret.Reveal()] {
						errs <- errors.New("read a value that was never written")
						return
					}
				}
			}()
		}
		for i := 0; i < 10; i++ {
			v := values[i%len(values)]
			if err := s.Put(ctx, n, &Record{Kind: KindToken, Secret: secret.New(v)}); err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func listed(t *testing.T, s *Store, n string) bool {
	t.Helper()
	entries, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name == n {
			return true
		}
	}
	return false
}

// token returns a printable token of n bytes that differs in every call.
func token(n int) string {
	seed := fmt.Sprint(time.Now().UnixNano())
	b := make([]byte, n)
	for i := range b {
		b[i] = "abcdefghijklmnopqrstuvwxyz0123456789-._~+/"[(i*7+int(seed[i%len(seed)]))%42]
	}
	return string(b)
}

func lockDir(t *testing.T) string {
	if d := testenvLockDir(); d != "" {
		return d
	}
	return t.TempDir()
}

func TestContractFake(t *testing.T) {
	for _, os := range []keychain.OS{keychain.Linux, keychain.MacOS, keychain.Windows} {
		t.Run(string(os), func(t *testing.T) {
			runContract(t, keychain.NewFake(os), "")
		})
	}
}

func TestContractSecretService(t *testing.T) {
	testenv.RequireSecretService(t)
	t.Run("whole", func(t *testing.T) {
		runContract(t, &keychain.System{Timeout: 20 * time.Second}, "ct-")
	})
	t.Run("chunked", func(t *testing.T) {
		kc := &keychain.System{Timeout: 20 * time.Second, ChunkSize: keychain.ChunkSize}
		runContract(t, kc, "ctc-")
	})
}
