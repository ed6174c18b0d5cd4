package store

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/keyref/keyref/internal/keychain"
	"github.com/keyref/keyref/internal/secret"
)

func FuzzDecodeRecord(f *testing.F) {
	b, _ := EncodeRecord(&Record{Kind: KindToken, Secret: secret.New("tok"), Scopes: []string{"*"}})
	f.Add(b)
	f.Add([]byte(`{"v":1,"kind":"oauth2","oauth":{"access_token":"YQ=="}}`))
	f.Add([]byte(`{"v":2}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := DecodeRecord(in)
		if err != nil {
			if bytes.Contains([]byte(err.Error()), in) && len(in) > 8 {
				t.Fatalf("error quotes the input")
			}
			return
		}
		out, err := EncodeRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := DecodeRecord(out)
		if err != nil {
			t.Fatalf("re-decoding an encoded record: %v", err)
		}
		if !r2.Token().Equal(r.Token()) {
			t.Fatal("token changed across a round trip")
		}
	})
}

func FuzzParseHead(f *testing.F) {
	f.Add("keyref1:i:YWJj")
	f.Add("keyref1:c:a:3:100:" + strings.Repeat("ab", 32))
	f.Add("keyref1:c:b:0:0:")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := parseHead(in)
		if err != nil {
			return
		}
		if h2, err := parseHead(h.String()); err != nil || h2.String() != h.String() {
			t.Fatalf("head does not round-trip: %v", err)
		}
	})
}

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"work", "Work", "-x", "a.b_c-d", "", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, err := NormalizeName(in)
		if err != nil {
			return
		}
		if n2, err := NormalizeName(n); err != nil || n2 != n {
			t.Fatalf("normal form %q is not stable", n)
		}
		if strings.ContainsAny(n, ":#/") || len(n) > MaxNameLen {
			t.Fatalf("accepted %q", n)
		}
	})
}

// FuzzBlobRoundTrip stores arbitrary bytes through the chunked layer of
// each OS's fake and reads them back.
func FuzzBlobRoundTrip(f *testing.F) {
	f.Add([]byte("x"), uint8(0))
	f.Add(bytes.Repeat([]byte{0xff, 0, 'a'}, 3000), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		os := []keychain.OS{keychain.Linux, keychain.MacOS, keychain.Windows}[which%3]
		kc := keychain.NewFake(os)
		ctx := context.Background()
		if err := writeBlob(ctx, kc, "n", data, nil); err != nil {
			t.Fatal(err)
		}
		got, err := readBlob(ctx, kc, "n")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
