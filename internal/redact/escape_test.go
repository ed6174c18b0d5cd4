package redact

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/keyref/keyref/internal/secret"
)

// escapedTokens hold each character a JSON encoder escapes.
var escapedTokens = []string{
	"CanaryQ\"uote\\Tok\tTab9z",
	"CanaryHtml<b>&amp;Tok9z",
	"CanaryNonAsciiÄé☃Tok😀9z",
	"Canary/Slash/Tok\x01Ctl9z",
}

// jsonEncodings returns tok as common JSON encoders write it.
func jsonEncodings(t *testing.T, tok string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if err := enc.Encode(map[string]string{"h": "x" + tok + "y"}); err != nil {
			t.Fatal(err)
		}
		name := map[bool]string{true: "go", false: "go no html"}[html]
		out[name] = b.String()
		out[name+" ascii"] = asciiJSON(b.String())
		out[name+" slash"] = strings.ReplaceAll(b.String(), "/", `\/`)
	}
	out["every char lower"] = `{"h":"` + jsonEscapeAll(tok) + `"}`
	out["every char upper"] = `{"h":"` + strings.ToUpper(jsonEscapeAll(tok)) + `"}`
	out["percent every byte"] = "?t=" + percentAll(tok)
	out["percent every byte lower"] = "?t=" + strings.ToLower(percentAll(tok))
	out["query escaped lower hex"] = "?t=" + lowerHex(url.QueryEscape(tok))
	return out
}

// lowerHex lowers the hex digits after each %.
func lowerHex(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '%' && i+2 < len(b) {
			copy(b[i+1:i+3], strings.ToLower(string(b[i+1:i+3])))
		}
	}
	return string(b)
}

func TestStringScrubsEscapedForms(t *testing.T) {
	for _, tok := range escapedTokens {
		r := New(secret.New(tok))
		for name, in := range jsonEncodings(t, tok) {
			t.Run(name+"/"+tok[6:12], func(t *testing.T) {
				got := r.String(in)
				if !strings.Contains(got, Placeholder) || strings.Contains(got, "Tok") {
					t.Errorf("String(%q) = %q, want the token replaced", in, got)
				}
			})
		}
	}
}

func TestStringIgnoresASCIICase(t *testing.T) {
	r := New(secret.New(tok))
	in := "echo " + strings.ToUpper(tok) + " and " + strings.ToLower(tok) + " héllo"
	want := "echo " + Placeholder + " and " + Placeholder + " héllo"
	if got := r.String(in); got != want {
		t.Errorf("String(%q) = %q, want %q", in, got, want)
	}
}

func TestTruncateScrubsACutEscapedForm(t *testing.T) {
	tok := escapedTokens[0]
	r := New(secret.New(tok))
	full := `{"h":"` + jsonEscapeAll(tok) + `"}`
	for max := len(`{"h":"`) + 4*6; max < len(full)-2; max += 5 {
		got, cut := r.Truncate(full, max)
		if !cut || !strings.HasSuffix(got, Placeholder) {
			t.Errorf("Truncate(_, %d) = %q, want it to end in the placeholder", max, got)
		}
	}
	got, _ := r.Truncate(`{"a":"\u00e9\u00e9"} more text`, 12)
	if strings.Contains(got, Placeholder) {
		t.Errorf("Truncate scrubbed a short escape that is no token: %q", got)
	}
}
