package keychain

import (
	dbus "github.com/godbus/dbus/v5"
	ss "github.com/zalando/go-keyring/secret_service"
)

// loginCollection is where go-keyring keeps items on Linux when the
// Secret Service has a login collection, as gnome-keyring always does.
const loginCollection = "login"

// fastGet reads an item in the fewest D-Bus round trips, through
// go-keyring's own Secret Service client: it skips the collection lookup,
// the unlock call and closing the session (the daemon drops it when this
// process's connection closes). Those steps cost as much as the read
// itself, and `keyref get` runs once per token use.
//
// A search of the login collection that succeeds and matches nothing is a
// definite answer (found=false, ok=true): go-keyring would search the same
// collection. Anything else off the happy path (no login collection, a
// locked item, a D-Bus error) returns ok=false and the caller takes
// go-keyring's full path, which unlocks, prompts and reports errors.
func fastGet(account string) (value string, found, ok bool) {
	svc, err := ss.NewSecretService()
	if err != nil {
		return "", false, false
	}
	// The session and the search do not depend on each other: ask for both
	// at once and wait one round trip instead of two.
	type opened struct {
		session dbus.BusObject
		err     error
	}
	sc := make(chan opened, 1)
	go func() {
		s, err := svc.OpenSession()
		sc <- opened{s, err}
	}()
	items, err := svc.SearchItems(svc.GetCollection(loginCollection),
		map[string]string{"username": account, "service": Service})
	o := <-sc
	switch {
	case err != nil || o.err != nil:
		return "", false, false
	case len(items) == 0:
		return "", false, true
	}
	sec, err := svc.GetSecret(items[0], o.session.Path())
	if err != nil {
		return "", false, false
	}
	return string(sec.Value), true, true
}
