//go:build !linux

package keychain

const unavailableHint = "is the keychain unlocked? `keyref doctor` checks each step"

// checkBus has nothing to check outside Linux.
func checkBus(func(string) string) error { return nil }
