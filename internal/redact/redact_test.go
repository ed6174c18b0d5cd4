package redact

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/secret"
)

const tok = "CANARYab+/c=d?e&f~tok"

func TestStringScrubsEveryForm(t *testing.T) {
	r := New(secret.New(tok))
	basic := func(user string) string {
		return base64.StdEncoding.EncodeToString([]byte(user + ":" + tok))
	}
	tests := []struct {
		name, in string
	}{
		{"raw", "Authorization: Bearer " + tok},
		{"query escaped", "?t=" + url.QueryEscape(tok)},
		{"path escaped", "/x/" + url.PathEscape(tok)},
		{"base64", base64.StdEncoding.EncodeToString([]byte(tok))},
		{"base64 url", base64.RawURLEncoding.EncodeToString([]byte(tok))},
		{"basic user a", basic("a")},
		{"basic user ab", basic("ab")},
		{"basic user abc", basic("abc")},
		{"token as user", base64.StdEncoding.EncodeToString([]byte(tok + ":x"))},
		{"twice", tok + " and " + tok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.String(tt.in)
			if !strings.Contains(got, Placeholder) {
				t.Errorf("String(%q) = %q, want a placeholder", tt.in, got)
			}
			if strings.Contains(got, tok) || strings.Contains(got, "CANARY") {
				t.Errorf("String(%q) = %q still holds the token", tt.in, got)
			}
		})
	}
}

func TestStringLeavesOtherTextAlone(t *testing.T) {
	r := New(secret.New(tok), secret.Secret{})
	in := `{"ok":true,"items":[1,2,3]}`
	if diff := cmp.Diff(in, r.String(in)); diff != "" {
		t.Errorf("String changed text without a token (-want +got):\n%s", diff)
	}
	var zero *Redactor
	if got := zero.String(tok); got != tok {
		t.Errorf("nil Redactor changed the text to %q", got)
	}
}

func TestTruncate(t *testing.T) {
	r := New(secret.New(tok))
	tests := []struct {
		name    string
		in      string
		max     int
		want    string
		wantCut bool
	}{
		{"short", "hello", 10, "hello", false},
		{"cut", "hello world", 5, "hello", true},
		{"token inside", "a" + tok + "b", 100, "a" + Placeholder + "b", false},
		{"cut inside token", "ab " + tok, 10, "ab " + Placeholder, true},
		{"utf8 boundary", "héllo", 2, "h", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut := r.Truncate(tt.in, tt.max)
			if got != tt.want || cut != tt.wantCut {
				t.Errorf("Truncate(%q, %d) = %q, %v; want %q, %v",
					tt.in, tt.max, got, cut, tt.want, tt.wantCut)
			}
		})
	}
}

func FuzzRedactorNeverLeaks(f *testing.F) {
	f.Add("prefix", "suffix", 40)
	f.Add("user:", "", 3)
	f.Fuzz(func(t *testing.T, before, after string, max int) {
		if strings.Contains(before+after, "CAN") {
			t.Skip("the planted text must be the only source of the canary")
		}
		r := New(secret.New(tok))
		in := before + tok + after
		basic := base64.StdEncoding.EncodeToString([]byte(in))
		for _, s := range []string{in, url.QueryEscape(in), basic} {
			got := r.String(s)
			if strings.Contains(got, "CANARY") || strings.Contains(got, tok[4:]) {
				t.Fatalf("String(%q) = %q leaks the token", s, got)
			}
		}
		if max < 0 {
			max = -max
		}
		if got, _ := r.Truncate(in, max%(len(in)+1)); strings.Contains(got, "CANA") {
			t.Fatalf("Truncate left the start of the token in %q", got)
		}
	})
}
