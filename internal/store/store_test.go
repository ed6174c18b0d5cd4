package store

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/keychain"
	"github.com/keyref/keyref/internal/secret"
)

func TestChunksFitEveryOS(t *testing.T) {
	for _, os := range []keychain.OS{keychain.MacOS, keychain.Windows} {
		kc := keychain.NewFake(os)
		s := New(kc, Options{LockDir: t.TempDir()})
		rec := &Record{Kind: KindToken, Secret: secret.New(token(MaxSecretSize))}
		alias := "big-alias-with-a-long-name-0123456789-0123456789-0123456789"
		if err := s.Put(context.Background(), alias, rec); err != nil {
			t.Fatalf("%s: %v", os, err)
		}
		if n := len(kc.Accounts()); n < 40 {
			t.Errorf("%s: %d items for a 64 KiB record, want it chunked", os, n)
		}
	}
}

// TestInterruptedWritesLoseNothing fails the keychain after every number
// of writes a Put makes, as a killed process would stop, and checks that
// the alias then reads as the old or the new value, and that Repair
// leaves only what the head uses.
func TestInterruptedWritesLoseNothing(t *testing.T) {
	ctx := context.Background()
	sizes := map[string]int{"inline to chunked": 100, "chunked to chunked": 6000}
	for label, oldSize := range sizes {
		for failAfter := 0; failAfter < 12; failAfter++ {
			kc := keychain.NewFake(keychain.Windows)
			s := New(kc, Options{LockDir: t.TempDir()})
			oldTok, newTok := token(oldSize)+"old", token(7000)+"new"
			old := &Record{Kind: KindToken, Secret: secret.New(oldTok)}
			if err := s.Put(ctx, "work", old); err != nil {
				t.Fatal(err)
			}
			kc.FailWritesAfter(failAfter)
			putErr := s.Put(ctx, "work", &Record{Kind: KindToken, Secret: secret.New(newTok)})
			kc.FailWritesAfter(-1)

			got, err := s.Get(ctx, "work")
			if err != nil {
				t.Fatalf("%s, fail after %d: Get: %v", label, failAfter, err)
			}
			switch v := got.Secret.Reveal(); {
			case v == newTok:
			case v == oldTok && putErr != nil:
			default:
				t.Fatalf("%s, fail after %d: got neither value (put err %v)",
					label, failAfter, putErr)
			}
			if _, err := s.Repair(ctx); err != nil {
				t.Fatal(err)
			}
			assertOnlyHeadChunks(t, kc, "work")
		}
	}
}

func TestInterruptedDeleteIsRepaired(t *testing.T) {
	ctx := context.Background()
	for failAfter := 0; failAfter < 6; failAfter++ {
		kc := keychain.NewFake(keychain.MacOS)
		s := New(kc, Options{LockDir: t.TempDir()})
		rec := &Record{Kind: KindToken, Secret: secret.New(token(8000))}
		if err := s.Put(ctx, "work", rec); err != nil {
			t.Fatal(err)
		}
		kc.FailWritesAfter(failAfter)
		_ = s.Delete(ctx, "work")
		kc.FailWritesAfter(-1)

		rep, err := s.Repair(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "work"); err == nil {
			assertOnlyHeadChunks(t, kc, "work")
			continue
		}
		if diff := cmp.Diff([]string{":index"}, kc.Accounts()); diff != "" {
			t.Errorf("fail after %d: items left after repair (-want +got):\n%s (report %+v)",
				failAfter, diff, rep)
		}
	}
}

func assertOnlyHeadChunks(t *testing.T, kc *keychain.Fake, name string) {
	t.Helper()
	v, err := kc.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	h, err := parseHead(v)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	if h.chunked() {
		for i := 0; i < h.count; i++ {
			want = append(want, chunkAccount(name, h.slot, i))
		}
	}
	var got []string
	for _, a := range kc.Accounts() {
		if strings.HasPrefix(a, name+"#") {
			got = append(got, a)
		}
	}
	if diff := cmp.Diff(want, got, cmpSorted); diff != "" {
		t.Errorf("chunks (-want +got):\n%s", diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestLockedKeychainIsUnavailable(t *testing.T) {
	kc := keychain.NewFake(keychain.Linux)
	kc.SetLocked(true)
	s := New(kc, Options{LockDir: t.TempDir()})
	_, err := s.Get(context.Background(), "work")
	if !errors.Is(err, keychain.ErrUnavailable) {
		t.Errorf("Get = %v, want ErrUnavailable", err)
	}
}

func TestCreatedSurvivesUpdates(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	s := New(keychain.NewFake(keychain.Linux), Options{LockDir: t.TempDir(), Now: clock})
	if err := s.Put(ctx, "Work", &Record{Kind: KindToken, Secret: secret.New("a")}); err != nil {
		t.Fatal(err)
	}
	created := now
	now = now.Add(time.Hour)
	if err := s.Put(ctx, "work", &Record{Kind: KindToken, Secret: secret.New("b")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "WORK")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created.Equal(created) || !got.Updated.Equal(now) {
		t.Errorf("created %v updated %v, want %v and %v", got.Created, got.Updated, created, now)
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"work", "work", true},
		{"Work.Dev_2-x", "work.dev_2-x", true},
		{"0", "0", true},
		{strings.Repeat("a", 64), strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), "", false},
		{"", "", false},
		{"-x", "", false},
		{".x", "", false},
		{"a b", "", false},
		{"a:b", "", false},
		{"a#b", "", false},
		{"ü", "", false},
		{"github-enterprise-prod", "github-enterprise-prod", true},
		{"companyidentityplatform", "companyidentityplatform", true},
		{"prod-2024-eu-west-1", "prod-2024-eu-west-1", true},
		{"0123456789abcdef0123456789abcdef01234567", "", false},
		{"ghp_ABCdef0123456789abcdefABCDEF01234567", "", false},
		{"glpat-x1y2z3a4b5c6d7e8f9g0", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeName(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeName(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestRecordRoundTrip(t *testing.T) {
	exp := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	in := &Record{
		Kind: KindOAuth2, Scopes: []string{"https://x/"}, Note: "n", Username: "u", Bearer: true,
		Created: exp, Updated: exp,
		OAuth: &OAuth{
			AccessToken: secret.New("at\xff"), RefreshToken: secret.New("rt"),
			ClientSecret: secret.New("cs"), Expiry: exp, Issuer: "https://i", ClientID: "c",
			TokenURL: "https://i/t", Scopes: []string{"openid"}, Grant: "device_code",
		},
	}
	b, err := EncodeRecord(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	reveal := cmp.Transformer("reveal", func(s secret.Secret) string { return s.Reveal() })
	if diff := cmp.Diff(in, got, reveal); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// TestVersion1RecordsStillRead: records written before version 2 held
// every secret as base64; reading them as text would hand out the base64.
func TestVersion1RecordsStillRead(t *testing.T) {
	v1 := `{"v":1,"kind":"oauth2","secret":"dG9r","created":"2026-01-01T00:00:00Z",` +
		`"updated":"2026-01-01T00:00:00Z","oauth":{"access_token":"YWNj/w==",` +
		`"refresh_token":"cmVm","grant":"device_code"}}`
	r, err := DecodeRecord([]byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{r.Secret.Reveal(), r.OAuth.AccessToken.Reveal(), r.OAuth.RefreshToken.Reveal()}
	if diff := cmp.Diff([]string{"tok", "acc\xff", "ref"}, got); diff != "" {
		t.Errorf("version 1 secrets (-want +got):\n%s", diff)
	}
	if _, err := DecodeRecord([]byte(`{"v":1,"kind":"token","secret":"not base64!"}`)); err == nil {
		t.Error("a version 1 record with a bad secret was accepted")
	}
	if _, err := DecodeRecord([]byte(`{"v":3,"kind":"token"}`)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("version 3: %v", err)
	}
}

func TestVersion1HeadStillRead(t *testing.T) {
	kc := keychain.NewFake(keychain.Linux)
	v1 := `{"v":1,"kind":"token","secret":"dG9r","created":"2026-01-01T00:00:00Z",` +
		`"updated":"2026-01-01T00:00:00Z"}`
	head := "keyref1:i:" + base64.StdEncoding.EncodeToString([]byte(v1))
	if err := kc.Set(context.Background(), "old", head); err != nil {
		t.Fatal(err)
	}
	r, err := New(kc, Options{LockDir: t.TempDir()}).Get(context.Background(), "old")
	if err != nil || r.Secret.Reveal() != "tok" {
		t.Fatalf("Get = %v; want the version 1 token", err)
	}
}
