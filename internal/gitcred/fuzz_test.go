package gitcred

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every refusal wraps
// ErrInput without quoting the input, and that an accepted request's
// values never hold a line break or NUL (they would corrupt an answer).
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
		_, _ = Find(req, []Candidate{{Name: "a", Scopes: []string{"https://h.example/"}}})
	})
}
