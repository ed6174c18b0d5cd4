// Package redact scrubs tokens out of text before it leaves keyref-mcp.
//
// A Redactor knows a set of tokens and replaces each of them, and the forms
// an API is likely to echo them in (percent-encoded, JSON-escaped, base64 in
// both alphabets, and base64 at any byte offset, as in an HTTP Basic
// "user:token" header), with a placeholder. Matching ignores ASCII case, so
// %2f and %2F, \u003c and \u003C are one form. The package holds tokens
// only in memory, for the life of one Redactor, and never prints them.
//
// It cannot find a token an API deliberately encodes some other way (hex,
// reversed, HTML entities, JSON escapes applied to some characters only);
// scoping the token to that API is the defence there.
package redact

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strings"

	"github.com/keyref/keyref/internal/secret"
)

// Placeholder replaces every form of a token that is found.
const Placeholder = secret.Placeholder

// minShifted is the shortest token whose base64 at an offset is searched
// for; shorter cores would match unrelated base64 text.
const minShifted = 8

// minPartial is the shortest prefix of a form that is scrubbed when text
// is cut in the middle of it.
const minPartial = 4

// Redactor replaces tokens in text. The zero value scrubs nothing. A
// Redactor is safe for concurrent use once built.
type Redactor struct {
	needles []needle // longest first, so a longer form wins over its part
}

// needle is one form of a token, in ASCII lower case.
type needle struct {
	text string
	// partial is the shortest prefix of text scrubbed at a cut end.
	partial int
}

// New returns a Redactor for the given tokens. Empty tokens are ignored.
func New(tokens ...secret.Secret) *Redactor {
	seen := map[string]bool{}
	var needles []needle
	add := func(f string, partial int) {
		f = lowerASCII(f)
		if f != "" && !seen[f] {
			seen[f] = true
			needles = append(needles, needle{text: f, partial: partial})
		}
	}
	for _, t := range tokens {
		if t.IsZero() {
			continue
		}
		for _, f := range forms(t.Reveal()) {
			add(f, minPartial)
		}
		for _, f := range escapedForms(t.Reveal()) {
			add(f, minPartial*len(`\u0000`))
		}
	}
	sort.Slice(needles, func(i, j int) bool { return len(needles[i].text) > len(needles[j].text) })
	return &Redactor{needles: needles}
}

// forms lists the encodings of tok that are searched for.
func forms(tok string) []string {
	out := []string{tok, url.QueryEscape(tok), url.PathEscape(tok)}
	encs := []*base64.Encoding{base64.StdEncoding, base64.URLEncoding}
	for _, enc := range encs {
		out = append(out, enc.EncodeToString([]byte(tok)))
		out = append(out, strings.TrimRight(enc.EncodeToString([]byte(tok)), "="))
	}
	if len(tok) < minShifted {
		return out
	}
	// Base64 of a text holding tok at any offset contains, for one of the
	// three offsets modulo 3, the encoding of the whole 3-byte groups of
	// tok starting at 0, 1 or 2. Only up to two bytes at each end escape.
	for start := 0; start < 3; start++ {
		core := tok[start:]
		core = core[:len(core)/3*3]
		for _, enc := range encs {
			out = append(out, enc.EncodeToString([]byte(core)))
		}
	}
	return out
}

// String returns s with every known form of every token replaced,
// whatever the ASCII case of the form in s.
func (r *Redactor) String(s string) string {
	if r == nil || len(r.needles) == 0 {
		return s
	}
	low := lowerASCII(s)
	for _, n := range r.needles {
		if strings.Contains(low, n.text) {
			s = replaceFold(s, low, n.text)
			low = lowerASCII(s)
		}
	}
	return s
}

// replaceFold replaces in s every match of n in low, s in ASCII lower
// case; both have the same length, so offsets carry over.
func replaceFold(s, low, n string) string {
	var b strings.Builder
	for {
		i := strings.Index(low, n)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(Placeholder)
		s, low = s[i+len(n):], low[i+len(n):]
	}
}

// Truncate scrubs s, cuts it to at most max bytes (not splitting a UTF-8
// sequence) and replaces a start of a token form the cut may have left at
// the end with the placeholder, which can make the result a few bytes
// longer than max. It reports whether s was cut.
func (r *Redactor) Truncate(s string, max int) (string, bool) {
	if len(s) <= max {
		return r.String(s), false
	}
	cut := max
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	s = r.String(s[:cut])
	if r == nil {
		return s, true
	}
	low := lowerASCII(s)
	for _, n := range r.needles {
		for k := len(n.text) - 1; k >= n.partial; k-- {
			if strings.HasSuffix(low, n.text[:k]) {
				return s[:len(s)-k] + Placeholder, true
			}
		}
	}
	return s, true
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// lowerASCII lowers ASCII letters only, keeping every byte offset.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
