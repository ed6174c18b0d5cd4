// Package dockercred speaks docker's credential helper protocol
// (github.com/docker/docker-credential-helpers): a server URL or a JSON
// object on stdin, JSON on stdout. It parses requests, encodes answers and
// turns server URLs into the git credential matcher's requests, so docker
// and git choose aliases the same way.
//
// The package never logs. Errors never hold a secret; only EncodeGet
// reveals one, into the answer docker reads.
package dockercred

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/keyref/keyref/internal/gitcred"
	"github.com/keyref/keyref/internal/secret"
)

// Messages docker's client recognises in a helper's stdout. They are
// protocol, so they are printed exactly.
const (
	MsgNotFound         = "credentials not found in native keychain"
	MsgMissingServerURL = "no credentials server URL"
	MsgMissingUsername  = "no credentials username"
)

// maxInput bounds what a request may be; a registry token is far smaller.
const maxInput = 1 << 20

// ErrInput reports a request that is not what the protocol sends. Its
// messages never quote the input.
var ErrInput = errors.New("invalid docker credential input")

// Credentials is one stored credential as docker exchanges it.
type Credentials struct {
	ServerURL string
	Username  string
	Secret    secret.Secret
}

// wire is the JSON form; only EncodeGet and ParseStore touch it.
type wire struct {
	ServerURL string `json:"ServerURL"`
	Username  string `json:"Username"`
	Secret    string `json:"Secret"`
}

// ReadServerURL reads the server URL that get and erase receive.
func ReadServerURL(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInput))
	if err != nil {
		return "", fmt.Errorf("reading the server URL: %w", err)
	}
	u := strings.TrimSpace(string(b))
	if u == "" {
		return "", fmt.Errorf("%w: %s", ErrInput, MsgMissingServerURL)
	}
	return u, nil
}

// ParseStore reads the JSON object that store receives.
func ParseStore(r io.Reader) (*Credentials, error) {
	var w wire
	dec := json.NewDecoder(io.LimitReader(r, maxInput))
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: not a JSON credentials object", ErrInput)
	}
	defer func() { w.Secret = "" }()
	switch {
	case strings.TrimSpace(w.ServerURL) == "":
		return nil, fmt.Errorf("%w: %s", ErrInput, MsgMissingServerURL)
	case w.Username == "":
		return nil, fmt.Errorf("%w: %s", ErrInput, MsgMissingUsername)
	case w.Secret == "":
		return nil, fmt.Errorf("%w: empty Secret", ErrInput)
	}
	return &Credentials{
		ServerURL: strings.TrimSpace(w.ServerURL), Username: w.Username,
		Secret: secret.New(w.Secret),
	}, nil
}

// EncodeGet returns get's answer, revealing the secret. The caller should
// clear the bytes after writing them.
func EncodeGet(c *Credentials) ([]byte, error) {
	w := wire{ServerURL: c.ServerURL, Username: c.Username, Secret: c.Secret.Reveal()}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encoding the answer: %w", err)
	}
	return append(b, '\n'), nil
}

// Request turns a docker server URL into the request the git credential
// matcher takes. A bare host ("ghcr.io", "registry:5000") means https;
// the path keeps its trailing slash, so "https://index.docker.io/v1/"
// matches a scope of exactly that. A server URL with credentials, a query
// or a fragment names its host ambiguously ("ghcr.io#.evil.com") and is
// refused with ErrInput, as is one whose host the matcher refuses. One
// that merely no scope can allow (ftp://, plain http to another machine)
// is returned, to match nothing.
func Request(serverURL string) (*gitcred.Request, error) {
	raw := serverURL
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: the server URL is not a host or URL", ErrInput)
	}
	if u.User != nil || u.ForceQuery || u.RawQuery != "" || strings.Contains(raw, "#") {
		return nil, fmt.Errorf("%w: a server URL holds no credentials, query or fragment", ErrInput)
	}
	req := &gitcred.Request{Protocol: strings.ToLower(u.Scheme), Host: u.Hostname(),
		Port: u.Port(), Path: strings.TrimPrefix(u.Path, "/")}
	if _, err := req.Destination(); errors.Is(err, gitcred.ErrInput) {
		return nil, fmt.Errorf("%w: the server URL's host is not a host name", ErrInput)
	}
	return req, nil
}
