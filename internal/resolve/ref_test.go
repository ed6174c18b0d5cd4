package resolve

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in       string
		wantKind Kind
		wantName string
		wantErr  string // substring; "" means success
	}{
		{in: "keyring:work", wantKind: Keyring, wantName: "work"},
		{in: "KEYRING:Work", wantKind: Keyring, wantName: "work"},
		{in: "env:WORK_1", wantKind: Env, wantName: "WORK_1"},
		{in: "abc.DEF-ghi_~+/=", wantKind: Raw},
		{in: "", wantErr: "empty"},
		{in: "  ", wantErr: "empty"},
		{in: "keyring:", wantErr: "empty"},
		{in: "env:", wantErr: "needs a name"},
		{in: "env:A-B", wantErr: "only letters"},
		{in: "keyring:a b", wantErr: "only a-z"},
		{in: "${BEARER_TOKEN_WORK}", wantErr: "unexpanded"},
		{in: "keyring:${X}", wantErr: "unexpanded"},
		{in: "vault:secret/x", wantErr: `unknown scheme "vault:"`},
		{in: "Bearer abc", wantErr: "no spaces"},
		{in: "abc\n", wantErr: "control"},
		{in: "averyveryverylongschemename:x", wantErr: "(not shown)"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ref, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrInvalid) ||
					!strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want ErrInvalid containing %q",
						tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			got := []string{string(ref.Kind), ref.Name}
			if diff := cmp.Diff([]string{string(tt.wantKind), tt.wantName}, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestRefStringHidesRawToken(t *testing.T) {
	ref, err := Parse("CANARYrawtok")
	if err != nil {
		t.Fatal(err)
	}
	if s := ref.String(); strings.Contains(s, "CANARY") {
		t.Errorf("String() = %q shows the token", s)
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{"keyring:work", "env:X", "raw.tok", "${X}", "a:b", "", "keyring:A.b-c"}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrInvalid", s, err)
			}
			if len(s) > 24 && strings.Contains(err.Error(), s) {
				t.Fatalf("Parse(%q) error repeats the input: %v", s, err)
			}
			return
		}
		if strings.Contains(s, "${") || strings.TrimSpace(s) == "" {
			t.Fatalf("Parse(%q) accepted a placeholder or blank", s)
		}
		switch ref.Kind {
		case Keyring, Env:
			if ref.Name == "" {
				t.Fatalf("Parse(%q) gave an empty name", s)
			}
		case Raw:
			if ref.raw.Reveal() != s || ref.String() != "raw token" {
				t.Fatalf("Parse(%q) raw token mangled or shown", s)
			}
		default:
			t.Fatalf("Parse(%q) kind %q", s, ref.Kind)
		}
	})
}

func TestParseRefusesATokenAsAliasName(t *testing.T) {
	const tok = "0123456789abcdef0123456789abcdef01234567"
	_, err := Parse("keyring:" + tok)
	if err == nil || strings.Contains(err.Error(), tok[:16]) {
		t.Errorf("Parse = %v; want a refusal that does not echo the name", err)
	}
}
