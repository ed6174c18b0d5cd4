package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const canary = "canary-7f3a9c1e"

func TestSecretNeverFormatsItsValue(t *testing.T) {
	s := New(canary)
	wrapped := struct {
		Token Secret
		Ptr   *Secret
	}{s, &s}

	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, wrapped))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintln(s), s.String())
	j, err := json.Marshal(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "token", s, "w", wrapped)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "token", s)
	outs = append(outs, buf.String())

	for _, out := range outs {
		if strings.Contains(out, canary) {
			t.Errorf("formatted output holds the value: %q", out)
		}
	}
	if s.Reveal() != canary {
		t.Errorf("Reveal() = %q, want the value", s.Reveal())
	}
}

func TestSecretEqualAndZero(t *testing.T) {
	if !New("").IsZero() || New("a").IsZero() {
		t.Error("IsZero wrong")
	}
	if !New("a").Equal(New("a")) || New("a").Equal(New("b")) {
		t.Error("Equal wrong")
	}
}
