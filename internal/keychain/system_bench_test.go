package keychain

import (
	"context"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/keyref/keyref/internal/testenv"
)

// The benchmarks compare keyref's read of a 2 KB item with go-keyring's
// own Get on the real Secret Service (the bus connection is shared, so
// they measure the D-Bus calls, not the connection).
func benchSetup(b *testing.B) {
	testenv.RequireSecretService(b)
	if err := keyring.Set(Service, ":bench", strings.Repeat("t", 2048)); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = keyring.Delete(Service, ":bench") })
}

func BenchmarkSystemGet(b *testing.B) {
	benchSetup(b)
	s := &System{}
	for b.Loop() {
		if _, err := s.Get(context.Background(), ":bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoKeyringGet(b *testing.B) {
	benchSetup(b)
	for b.Loop() {
		if _, err := keyring.Get(Service, ":bench"); err != nil {
			b.Fatal(err)
		}
	}
}
