//go:build !linux

package keychain

// fastGet has no shortcut outside Linux; go-keyring's path is direct there.
func fastGet(string) (value string, found, ok bool) { return "", false, false }
