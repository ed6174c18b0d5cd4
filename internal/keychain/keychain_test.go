package keychain

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestFakeEnforcesOSLimits(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		os      OS
		account string
		size    int
		ok      bool
	}{
		{Windows, "a", 2560, true},
		{Windows, "a", 2561, false},
		{MacOS, "a", 2900, true},
		{MacOS, "a", 3100, false},
		{MacOS, strings.Repeat("n", 70), ChunkSize, true},
		{Linux, "a", 1 << 20, true},
	}
	for _, tt := range tests {
		err := NewFake(tt.os).Set(ctx, tt.account, strings.Repeat("x", tt.size))
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrTooBig)) {
			t.Errorf("%s: Set of %d bytes = %v, want ok=%v", tt.os, tt.size, err, tt.ok)
		}
	}
}

// TestChunkSizeFitsEveryOS guards the constant against the limits: a
// chunk under the longest account keyref uses must fit everywhere.
func TestChunkSizeFitsEveryOS(t *testing.T) {
	longest := strings.Repeat("n", 64) + "#a255"
	for _, os := range []OS{MacOS, Windows} {
		if !fits(os, longest, strings.Repeat("A", ChunkSize)) {
			t.Errorf("%s: a %d-byte chunk does not fit", os, ChunkSize)
		}
	}
}

func TestFakeFailsWritesOnRequest(t *testing.T) {
	ctx := context.Background()
	f := NewFake(Linux)
	f.FailWritesAfter(1)
	if err := f.Set(ctx, "a", "1"); err != nil {
		t.Fatal(err)
	}
	if err := f.Set(ctx, "b", "2"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("second write: %v", err)
	}
	f.FailWritesAfter(-1)
	if v, err := f.Get(ctx, "a"); err != nil || v != "1" {
		t.Errorf("Get = %q, %v", v, err)
	}
}
