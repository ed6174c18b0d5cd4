package store

import (
	"context"
	"testing"

	"github.com/keyref/keyref/internal/keychain"
	"github.com/keyref/keyref/internal/secret"
)

func BenchmarkEncodeRecord(b *testing.B) {
	r := &Record{Kind: KindToken, Secret: secret.New(token(2048)), Scopes: []string{"https://x/"}}
	for b.Loop() {
		if _, err := EncodeRecord(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRecord(b *testing.B) {
	enc, _ := EncodeRecord(&Record{Kind: KindToken, Secret: secret.New(token(2048))})
	for b.Loop() {
		if _, err := DecodeRecord(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkGet(b *testing.B, os keychain.OS, size int) {
	s := New(keychain.NewFake(os), Options{LockDir: b.TempDir()})
	ctx := context.Background()
	rec := &Record{Kind: KindToken, Secret: secret.New(token(size))}
	if err := s.Put(ctx, "work", rec); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, "work"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet2KLinux(b *testing.B)    { benchmarkGet(b, keychain.Linux, 2048) }
func BenchmarkGet2KWindows(b *testing.B)  { benchmarkGet(b, keychain.Windows, 2048) }
func BenchmarkGet64KWindows(b *testing.B) { benchmarkGet(b, keychain.Windows, 64<<10) }
func BenchmarkPut64KWindows(b *testing.B) {
	s := New(keychain.NewFake(keychain.Windows), Options{LockDir: b.TempDir()})
	r := &Record{Kind: KindToken, Secret: secret.New(token(64 << 10))}
	for b.Loop() {
		if err := s.Put(context.Background(), "work", r); err != nil {
			b.Fatal(err)
		}
	}
}
