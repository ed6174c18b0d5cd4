package gitcred

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
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
// unless credential.useHttpPath) it is the root of the host; a query in
// the path is dropped, since no scope looks at one.
//
// The URL is built with net/url, never by joining strings, and a request
// whose protocol, host or port would change the URL's authority is
// refused: git validates what it sends, but other callers (docker) build
// requests themselves, and a host like "h.example#.evil.com" must never
// pass as h.example.
func (r *Request) Destination() (*scope.Destination, error) {
	if err := errors.Join(checkProtocol(r.Protocol), checkHost(r.Host)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if _, err := strconv.ParseUint(r.Port, 10, 16); r.Port != "" && err != nil {
		return nil, fmt.Errorf("%w: the port is not a number", ErrInput)
	}
	host := r.Host
	if r.Port != "" || strings.Contains(host, ":") {
		host = net.JoinHostPort(host, r.Port)
		host = strings.TrimSuffix(host, ":") // IPv6 without a port: "[::1]"
	}
	path, _, _ := strings.Cut(r.Path, "?")
	u := url.URL{Scheme: r.Protocol, Host: host, Path: "/" + path}
	dest, err := scope.ParseDestination(u.String())
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(dest.Hostname(), r.Host) || dest.Port() != r.Port {
		return nil, fmt.Errorf("%w: the host does not survive as a URL", ErrInput)
	}
	return dest, nil
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
