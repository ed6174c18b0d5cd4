package keychain

import (
	"encoding/base64"
	"strings"
)

// The limits go-keyring enforces, measured from its v0.2.8 sources.
const (
	// windowsMaxBlob is Credential Manager's CRED_MAX_CREDENTIAL_BLOB_SIZE.
	windowsMaxBlob = 2560
	// macOSMaxCommand is the longest line go-keyring feeds to
	// `security -i`; the value travels base64-encoded inside it.
	macOSMaxCommand = 4096
)

// ChunkSize is the value size keyref splits records into on macOS and
// Windows: base64 text that fits Credential Manager's blob limit and,
// base64-encoded once more by go-keyring, a macOS command line with room
// for the longest account name.
const ChunkSize = 2048

// OS names the platform whose limits a Fake enforces.
type OS string

// Platforms with distinct limits.
const (
	Linux   OS = "linux"
	MacOS   OS = "darwin"
	Windows OS = "windows"
)

// fits reports whether go-keyring on os would accept value under account.
func fits(os OS, account, value string) bool {
	switch os {
	case Windows:
		return len(value) <= windowsMaxBlob
	case MacOS:
		pw := "go-keyring-base64:" + base64.StdEncoding.EncodeToString([]byte(value))
		line := "add-generic-password -U -s " + shellQuote(Service) + " -a " +
			shellQuote(account) + " -w " + shellQuote(pw) + "\n"
		return len(line) <= macOSMaxCommand
	}
	return true
}

// shellQuote quotes like go-keyring's shellescape dependency, closely
// enough to measure length: bare when safe, otherwise single-quoted.
func shellQuote(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("@%+=:,./-_", r))
	}) < 0
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
