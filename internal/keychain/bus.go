package keychain

// CheckBus returns an *UnavailableError when the platform's keychain
// cannot be reached at all: on Linux, when there is no session bus.
// Elsewhere it returns nil. getenv nil means os.Getenv.
func CheckBus(getenv func(string) string) error { return checkBus(getenv) }
