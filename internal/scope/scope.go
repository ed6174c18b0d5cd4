// Package scope decides where a token may be sent. A scope is a URL
// prefix: scheme, host, port and path prefix must all match, and plain
// http is allowed only for loopback hosts. The special scope "*" allows
// every destination and must be chosen on purpose.
//
// Destinations are checked strictly: userinfo, dot segments and encoded
// slashes are refused, since a server could resolve them to a path outside
// the prefix that was checked. The package never sees a secret.
package scope

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Any is the scope that allows every destination.
const Any = "*"

// Errors, wrapped with detail. Check with errors.Is.
var (
	// ErrInvalid reports a scope or destination URL keyref does not accept.
	ErrInvalid = errors.New("invalid URL")
	// ErrOutside reports a destination that no scope allows.
	ErrOutside = errors.New("destination outside the alias's scope")
)

// Scope is a parsed URL prefix, or Any.
type Scope struct {
	Any    bool
	Scheme string // "http" or "https"
	Host   string // lower case, without brackets for IPv6
	Port   string // always set, defaulted from the scheme
	Path   string // starts with "/"
}

// Parse parses a scope as given to `keyref set --url`.
func Parse(s string) (Scope, error) {
	if s == Any {
		return Scope{Any: true}, nil
	}
	u, err := parseURL(s)
	if err != nil {
		return Scope{}, err
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Scope{}, fmt.Errorf("%w %q: a scope holds no query or fragment",
			ErrInvalid, Redact(s))
	}
	return Scope{Scheme: u.Scheme, Host: u.host, Port: u.port, Path: u.path}, nil
}

// String returns the canonical form of the scope.
func (sc Scope) String() string {
	if sc.Any {
		return Any
	}
	return sc.Scheme + "://" + joinHostPort(sc.Scheme, sc.Host, sc.Port) + sc.Path
}

// Allows reports whether the destination dest falls under the scope.
func (sc Scope) Allows(dest *Destination) bool {
	if sc.Any {
		return true
	}
	if sc.Scheme != dest.Scheme || sc.Host != dest.host || sc.Port != dest.port {
		return false
	}
	return pathUnder(dest.path, sc.Path)
}

// pathUnder reports whether path lies under prefix on a segment boundary:
// "/v1" covers "/v1" and "/v1/x" but not "/v10".
func pathUnder(path, prefix string) bool {
	if prefix == "/" || path == prefix {
		return true
	}
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix)
	}
	return strings.HasPrefix(path, prefix+"/")
}

// Destination is a checked URL a token may be sent to.
type Destination struct {
	*url.URL
	host, port, path string
}

// ParseDestination checks a URL that a token is about to be sent to.
func ParseDestination(raw string) (*Destination, error) { return parseURL(raw) }

// Origin returns scheme://host:port of the destination.
func (d *Destination) Origin() string {
	return d.Scheme + "://" + joinHostPort(d.Scheme, d.host, d.port)
}

// Check returns nil when one of scopes allows dest, else an error wrapping
// ErrOutside that names the scopes. Unparseable scopes allow nothing.
func Check(scopes []string, dest *Destination) error {
	for _, s := range scopes {
		sc, err := Parse(s)
		if err == nil && sc.Allows(dest) {
			return nil
		}
	}
	if len(scopes) == 0 {
		return fmt.Errorf("%w: %s (the alias has no scope; set it with --url PREFIX, "+
			"or --url '*' to allow any destination)", ErrOutside, dest.Origin())
	}
	return fmt.Errorf("%w: %s is not under %s", ErrOutside, Redact(dest.String()),
		strings.Join(scopes, ", "))
}

// Redact returns u without userinfo, query or fragment, for messages.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparseable URL)"
	}
	u.User, u.RawQuery, u.Fragment, u.RawFragment = nil, "", "", ""
	return u.String()
}

// parseURL checks raw under the rules shared by scopes and destinations.
func parseURL(raw string) (*Destination, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w %q: want scheme://host[:port]/path", ErrInvalid, Redact(raw))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("%w %q: only https (and http to loopback) is allowed",
			ErrInvalid, Redact(raw))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w %q: credentials in a URL are not allowed",
			ErrInvalid, Redact(raw))
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return nil, fmt.Errorf("%w %q: no host", ErrInvalid, Redact(raw))
	}
	if u.Scheme == "http" && !IsLoopback(host) {
		return nil, fmt.Errorf("%w %q: plain http is allowed only to loopback hosts; use https",
			ErrInvalid, Redact(raw))
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrInvalid, Redact(raw), err)
	}
	return &Destination{URL: u, host: host, port: port, path: path}, nil
}

// checkPath refuses paths a server might resolve differently from the
// prefix comparison: dot segments, encoded slashes, dots and backslashes.
func checkPath(escaped string) error {
	lower := strings.ToLower(escaped)
	for _, bad := range []string{"%2f", "%5c", "%2e", "\\"} {
		if strings.Contains(lower, bad) {
			return errors.New("encoded slashes, dots or backslashes are not allowed in the path")
		}
	}
	for _, seg := range strings.Split(escaped, "/") {
		if seg == "." || seg == ".." {
			return errors.New("dot segments are not allowed in the path")
		}
	}
	if strings.Contains(escaped, "//") {
		return errors.New("empty path segments are not allowed")
	}
	return nil
}

// IsLoopback reports whether host names this machine: localhost or an
// address in 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func joinHostPort(scheme, host, port string) string {
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, port)
}
