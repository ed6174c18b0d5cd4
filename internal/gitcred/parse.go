// Package gitcred speaks git's credential helper protocol, as described in
// git's gitcredentials(7) and git-credential(1) documentation: it parses
// the attributes git writes to a helper, matches them against alias
// scopes and builds the answer lines.
//
// The package never logs and never puts an attribute value into an error:
// a request may carry a password, and an error may end up on a terminal.
// Secrets travel as secret.Secret; only Answer.Encode reveals them, into
// the bytes a helper writes to git.
package gitcred

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/keyref/keyref/internal/secret"
)

// MaxLine is the longest attribute line Parse accepts, in bytes without the
// line ending. git sets no limit, but no real attribute comes near it.
const MaxLine = 65535

// ErrInput reports input that is not a credential description. Its
// messages name the line number and the problem, never the line.
var ErrInput = errors.New("invalid credential input")

// Request is what git describes to a helper. Unknown attributes are
// dropped, as gitcredentials asks of helpers.
type Request struct {
	Protocol string // "https", "http", ...
	Host     string // host name without the port
	Port     string // port from "host=name:port"; empty when none was given
	// Path is the repository path without its leading slash. git sends it
	// only with credential.useHttpPath; empty means "the whole host".
	Path     string
	Username string
	Password secret.Secret
	// PasswordExpiry is password_expiry_utc; zero when absent.
	PasswordExpiry time.Time
	// AuthType and Credential are git's pre-encoded credential (git 2.46+),
	// sent back to store and erase when a helper answered with them.
	AuthType   string
	Credential secret.Secret
	// Capabilities lists the capability[] values git announced.
	Capabilities []string
}

// HasCapability reports whether git announced capability c.
func (r *Request) HasCapability(c string) bool {
	for _, have := range r.Capabilities {
		if have == c {
			return true
		}
	}
	return false
}

// Parse reads attributes from r until a blank line or EOF. Each line is
// key=value, split at the first '='; a trailing "\r" is dropped, as git
// does. Lines without '=', lines holding NUL and lines longer than
// MaxLine are refused with an error wrapping ErrInput. Parse reads
// nothing past the blank line.
func Parse(r io.Reader) (*Request, error) {
	br := bufio.NewReaderSize(r, 4096)
	req := &Request{}
	for n := 1; ; n++ {
		line, err := readLine(br, n)
		atEOF := errors.Is(err, io.EOF)
		if err != nil && !atEOF {
			return nil, err
		}
		if len(line) == 0 { // a blank line, or EOF
			return req, nil
		}
		key, value, ok := bytes.Cut(line, []byte("="))
		if !ok {
			return nil, fmt.Errorf("%w: line %d has no '='", ErrInput, n)
		}
		if err := req.set(string(key), string(value)); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrInput, n, err)
		}
		if atEOF {
			return req, nil
		}
	}
}

// readLine returns one line without its "\n" or "\r\n". At EOF it returns
// the unterminated last line (nil when there is none) with io.EOF.
func readLine(br *bufio.Reader, n int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLine+2 {
			return nil, fmt.Errorf("%w: line %d is longer than %d bytes", ErrInput, n, MaxLine)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading credential input: %w", err)
		}
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return nil, io.EOF
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case len(line) > MaxLine:
			return nil, fmt.Errorf("%w: line %d is longer than %d bytes", ErrInput, n, MaxLine)
		case bytes.IndexByte(line, 0) >= 0:
			return nil, fmt.Errorf("%w: line %d holds a NUL byte", ErrInput, n)
		}
		return line, err
	}
}

// set applies one attribute. Unknown keys are ignored: git adds new ones
// (wwwauth[], state[], ...) and a helper must let them pass.
func (r *Request) set(key, value string) error {
	switch key {
	case "protocol":
		if err := checkProtocol(value); err != nil {
			return err
		}
		r.Protocol = value
	case "host":
		if err := checkHost(value); err != nil {
			return err
		}
		r.Host, r.Port = splitHostPort(value)
	case "path":
		r.Path = value
	case "username":
		r.Username = value
	case "password":
		r.Password = secret.New(value)
	case "authtype":
		r.AuthType = value
	case "credential":
		r.Credential = secret.New(value)
	case "password_expiry_utc":
		// Like git, an unreadable expiry is treated as no expiry.
		if sec, err := strconv.ParseInt(value, 10, 64); err == nil && sec > 0 {
			r.PasswordExpiry = time.Unix(sec, 0).UTC()
		}
	case "capability[]":
		if value == "" { // an empty value clears the list
			r.Capabilities = nil
		} else {
			r.Capabilities = append(r.Capabilities, value)
		}
	case "url":
		return r.setURL(value)
	}
	return nil
}

// setURL expands url= into its parts. As in git, the parts the URL lacks
// are left unset rather than kept from earlier lines.
func (r *Request) setURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return errors.New("url= is not a URL with a scheme")
	}
	if err := errors.Join(checkProtocol(u.Scheme), checkHost(u.Host)); err != nil {
		return err
	}
	r.Protocol = u.Scheme
	r.Host, r.Port = splitHostPort(u.Host)
	r.Path = strings.Trim(u.Path, "/")
	if u.RawQuery != "" {
		r.Path += "?" + u.RawQuery
	}
	r.Username, r.Password = "", secret.Secret{}
	if u.User != nil {
		r.Username = u.User.Username()
		if p, ok := u.User.Password(); ok {
			r.Password = secret.New(p)
		}
	}
	// As git has done since CVE-2020-5260: a decoded part holding a line
	// break could smuggle attributes into a helper's input.
	for _, part := range []string{r.Protocol, r.Host, r.Port, r.Path, r.Username,
		r.Password.Reveal()} {
		if strings.ContainsAny(part, "\n\r\x00") {
			return errors.New("url= decodes to a line break or NUL")
		}
	}
	return nil
}

// checkProtocol refuses a protocol that is not a URL scheme (RFC 3986
// section 3.1, lower case as git sends it): anything else, such as
// "https://host#", would change which host a URL built from it names.
func checkProtocol(p string) error {
	for i, c := range []byte(p) {
		letter := c >= 'a' && c <= 'z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-')) {
			return errors.New("the protocol is not a lower-case URL scheme")
		}
	}
	return nil
}

// checkHost refuses a host that could end the authority of a URL built
// from it and move the rest elsewhere ("h.example#.evil.com"): one holding
// '/', '?', '#', '@', '\', white space or a control character. A port
// and IPv6 brackets are allowed.
func checkHost(h string) error {
	for _, c := range h {
		if strings.ContainsRune(`/?#@\`, c) || unicode.IsSpace(c) || unicode.IsControl(c) {
			return errors.New("the host holds a character no host name has")
		}
	}
	return nil
}

// splitHostPort splits "name:port" and "[v6]:port". A value that does not
// end in a numeric port is all host.
func splitHostPort(hp string) (host, port string) {
	i := strings.LastIndexByte(hp, ':')
	if i < 0 || strings.LastIndexByte(hp, ']') > i {
		return strings.Trim(hp, "[]"), ""
	}
	p := hp[i+1:]
	if _, err := strconv.ParseUint(p, 10, 16); err != nil {
		return strings.Trim(hp, "[]"), ""
	}
	return strings.Trim(hp[:i], "[]"), p
}
