package gitcred

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every refusal wraps
// ErrInput without quoting the input, that an accepted request's values
// never hold a line break or NUL (they would corrupt an answer), and that
// a request matches h.example's scope only when it names exactly that
// protocol and host.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"protocol=https\nhost=git.example.com\n\n",
		"protocol=https\r\nhost=git.example.com:8443\r\npath=a/b.git\r\n\r\n",
		"url=https://u:p@h.example/x/\n",
		"capability[]=authtype\nwwwauth[]=Basic realm=\"x\"\nstate[]=s\n",
		"password_expiry_utc=99999999999999999999\n",
		"host=[::1]:80\nhost=[::1\nhost=:\n",
		"no-equals\n",
		"a=\x00\n",
		"url=%zz\n",
		"protocol=https\nhost=h.example#.evil.com\n",
		"protocol=https\nhost=h.example?.evil.com\n",
		"protocol=https\nhost=h.example/.evil.com\n",
		"protocol=https\nhost=h.example@evil.com\n",
		"protocol=https\nhost=evil.com\\@h.example\n",
		"protocol=https\nhost=h.example .evil.com\n",
		"protocol=https://h.example#\nhost=evil.com\n",
		"protocol=https://h.example/\nhost=evil.com\n",
		"protocol=https\nhost=h.example:443#\n",
		"protocol=https\nhost=[h.example]\n",
		"url=https://h.example%23.evil.com/\n",
		"protocol=https\nhost=h.example\npath=x#/../../y\n",
		"\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		req, err := Parse(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrInput) {
				t.Fatalf("error does not wrap ErrInput: %v", err)
			}
			if len(in) > 8 && strings.Contains(err.Error(), string(in)) {
				t.Fatalf("error quotes the input: %v", err)
			}
			return
		}
		for _, v := range []string{req.Protocol, req.Host, req.Port, req.Path, req.Username,
			req.Password.Reveal()} {
			if strings.ContainsAny(v, "\n\x00") {
				t.Fatalf("value holds a line break or NUL: %q", v)
			}
		}
		_, found := Find(req, []Candidate{{Name: "a", Scopes: []string{"https://h.example/"}}})
		if found && (req.Protocol != "https" || !strings.EqualFold(req.Host, "h.example") ||
			req.Port != "" && req.Port != "443") {
			t.Fatalf("h.example's scope matched protocol %q host %q port %q",
				req.Protocol, req.Host, req.Port)
		}
	})
}
