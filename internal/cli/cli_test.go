package cli

import (
	"testing"
	"time"
)

func TestKeychainTimeout(t *testing.T) {
	for v, want := range map[string]time.Duration{
		"10s": 10 * time.Second, "1m30s": 90 * time.Second, "3": 3 * time.Second,
		"": 0, "-5": 0, "0": 0, "ten": 0, "99999999999": 0,
	} {
		if got := keychainTimeout(v); got != want {
			t.Errorf("keychainTimeout(%q) = %v, want %v", v, got, want)
		}
	}
}
