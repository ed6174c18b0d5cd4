package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// escapedForms lists the JSON-escaped and fully percent-encoded forms of
// tok. A JSON encoder escapes ", \ and control characters, and by choice
// <, >, & (encoding/json's HTML escaping), non-ASCII (Python's
// ensure_ascii) and / (PHP); each combination is a form. Two forms escape
// every character: \uXXXX in JSON and %XX in URLs. Hex case does not
// matter, as matching ignores ASCII case.
func escapedForms(tok string) []string {
	var out []string
	for _, html := range []bool{true, false} {
		goForm := goJSON(tok, html)
		for _, f := range []string{goForm, asciiJSON(goForm)} {
			out = append(out, f, strings.ReplaceAll(f, "/", `\/`))
		}
	}
	return append(out, jsonEscapeAll(tok), percentAll(tok))
}

// goJSON is tok inside a JSON string as encoding/json writes it.
func goJSON(tok string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	if enc.Encode(tok) != nil {
		return ""
	}
	s := strings.TrimSuffix(b.String(), "\n")
	return s[1 : len(s)-1]
}

// asciiJSON escapes the non-ASCII characters of a JSON string body as
// \uXXXX, with UTF-16 surrogate pairs beyond the first plane.
func asciiJSON(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		writeUTF16(&b, r)
	}
	return b.String()
}

// jsonEscapeAll escapes every character of tok as \uXXXX.
func jsonEscapeAll(tok string) string {
	var b strings.Builder
	for _, r := range tok {
		writeUTF16(&b, r)
	}
	return b.String()
}

func writeUTF16(b *strings.Builder, r rune) {
	if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
		fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
		return
	}
	fmt.Fprintf(b, `\u%04x`, r)
}

// percentAll percent-encodes every byte of tok.
func percentAll(tok string) string {
	var b strings.Builder
	for i := 0; i < len(tok); i++ {
		fmt.Fprintf(&b, "%%%02X", tok[i])
	}
	return b.String()
}
