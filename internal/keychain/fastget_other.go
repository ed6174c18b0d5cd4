//go:build !linux

package keychain

import "context"

// fastGet has no shortcut outside Linux; go-keyring's path is direct there.
func fastGet(context.Context, func(string) string, string) (value string, found, ok bool) {
	return "", false, false
}
