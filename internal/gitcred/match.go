package gitcred

import (
	"net"
	"strings"

	"github.com/keyref/keyref/internal/scope"
)

// Candidate is an alias the matcher may choose: its name, its scopes and
// the user name it answers with (empty for any).
type Candidate struct {
	Name     string
	Scopes   []string
	Username string
}

// Match is the alias chosen for a request and the scope that chose it.
type Match struct {
	Name  string
	Scope scope.Scope
}

// Destination returns the URL git is asking about, as keyref's scopes
// see it: protocol://host[:port]/path. Without a path (git sends none
// unless credential.useHttpPath is set) it is the root of the host.
func (r *Request) Destination() (*scope.Destination, error) {
	host := r.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if r.Port != "" {
		host = net.JoinHostPort(strings.Trim(host, "[]"), r.Port)
	}
	return scope.ParseDestination(r.Protocol + "://" + host + "/" + r.Path)
}

// Find returns the alias whose scope matches the request: same protocol,
// host and port, and a path prefix covering the request's path. The
// longest matching prefix wins; among equal prefixes, the first candidate
// in the given order. A request without a path matches host-wide scopes
// only, since keyref cannot tell which repository git is asking for.
//
// The "*" scope never matches: an alias meant for any destination would
// otherwise hand its token to every host that asks git for a password.
// When git names a user, aliases with another user name do not match.
func Find(req *Request, cands []Candidate) (Match, bool) {
	dest, err := req.Destination()
	if err != nil {
		return Match{}, false // a URL keyref's scopes can never allow
	}
	var best Match
	found := false
	for _, c := range cands {
		if req.Username != "" && c.Username != "" && c.Username != req.Username {
			continue
		}
		for _, raw := range c.Scopes {
			sc, err := scope.Parse(raw)
			if err != nil || sc.Any || !sc.Allows(dest) {
				continue
			}
			if !found || len(sc.Path) > len(best.Scope.Path) {
				best, found = Match{Name: c.Name, Scope: sc}, true
			}
		}
	}
	return best, found
}
