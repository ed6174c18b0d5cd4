package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyref/keyref/internal/oauth/oidctest"
	"github.com/keyref/keyref/internal/store"
	"github.com/keyref/keyref/internal/testenv"
)

// startLongIDP starts a provider whose access tokens live ten minutes, more
// than get's default margin of five.
func startLongIDP(t *testing.T) *oidctest.Provider {
	return oidctest.Start(t, oidctest.Options{AccessTTL: 10 * time.Minute,
		Clients: []oidctest.Client{{ID: "keyref"}}})
}

// systemLogin logs an alias in at p in the real keychain, in process,
// marks its access token expired, and removes the alias when the test
// ends.
func systemLogin(t *testing.T, p *oidctest.Provider) (*Env, string) {
	t.Helper()
	name := "oauth-test-" + strings.ToLower(rand.Text()[:10])
	env := &Env{Stdin: strings.NewReader(""), Stdout: new(bytes.Buffer), Stderr: new(bytes.Buffer),
		Getenv: os.Getenv, Now: time.Now}
	if err := runLogin(context.Background(), env, browserLogin(name, p.Issuer, true)); err != nil {
		t.Fatalf("login: %v", err)
	}
	t.Cleanup(func() { _ = env.store().Delete(context.Background(), name) })
	expire := func(cur *store.Record) (*store.Record, error) {
		cur.OAuth.Expiry = time.Now().Add(-time.Second)
		return cur, nil
	}
	err := env.store().Update(context.Background(), name, expire)
	if err != nil {
		t.Fatal(err)
	}
	return env, name
}

func keyrefCmd(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(filepath.Join(testenv.Binaries(t), "keyref"), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return cmd, &out, &errb
}

func TestEightConcurrentGetsRefreshOnce(t *testing.T) {
	testenv.RequireSecretService(t)
	p := startLongIDP(t)
	env, name := systemLogin(t, p)
	before := storedOAuth(t, env, name)

	const n = 8
	var wg sync.WaitGroup
	outs, errs, codes := make([]string, n), make([]string, n), make([]int, n)
	cmds := make([]*exec.Cmd, n)
	bufs := make([][2]*bytes.Buffer, n)
	for i := range n {
		cmd, out, errb := keyrefCmd(t, "get", name)
		cmds[i], bufs[i] = cmd, [2]*bytes.Buffer{out, errb}
	}
	for i := range n { // started together: the binary is built and the bytes are cached
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		wg.Go(func() {
			_ = cmds[i].Wait()
			codes[i] = cmds[i].ProcessState.ExitCode()
			outs[i], errs[i] = bufs[i][0].String(), bufs[i][1].String()
		})
	}
	wg.Wait()

	after := storedOAuth(t, env, name)
	for i := range n {
		if codes[i] != 0 || outs[i] != after.AccessToken.Reveal()+"\n" {
			t.Errorf("process %d: exit %d, printed the stored token: %v; stderr %q", i, codes[i],
				outs[i] == after.AccessToken.Reveal()+"\n", errs[i])
		}
	}
	if got := p.Requests("refresh_token"); got != 1 {
		t.Errorf("refresh requests at the provider = %d, want exactly 1", got)
	}
	if after.AccessToken.Equal(before.AccessToken) ||
		after.RefreshToken.Equal(before.RefreshToken) {
		t.Error("the keychain does not hold the refreshed and rotated tokens")
	}
	if ok, _ := p.Accepts(context.Background(), after.AccessToken.Reveal()); !ok {
		t.Error("the provider refuses the printed token")
	}
	assertNoSecrets(t, strings.Join(errs, ""), p, before, after)
}

func TestKilledDuringRefreshLeavesAUsableRecord(t *testing.T) {
	testenv.RequireSecretService(t)
	p := startLongIDP(t)
	env, name := systemLogin(t, p)
	before, err := env.store().Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}

	release := p.Hold("refresh_token")
	cmd, out, _ := keyrefCmd(t, "get", name)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Held():
	case <-time.After(30 * time.Second):
		t.Fatal("the refresh request never arrived")
	}
	if err := cmd.Process.Kill(); err != nil { // mid-refresh, holding the alias lock
		t.Fatal(err)
	}
	_ = cmd.Wait()
	select { // the provider saw the client go: the refresh token is unspent
	case <-p.Gone():
	case <-time.After(30 * time.Second):
		t.Fatal("the provider never noticed the killed client")
	}
	release()
	if out.Len() != 0 {
		t.Error("the killed process printed a token")
	}

	mid, err := env.store().Get(context.Background(), name)
	if err != nil || !sameOAuth(mid.OAuth, before.OAuth) {
		t.Fatalf("after the kill the record is not the one before (%v)", err)
	}
	cmd, out, errb := keyrefCmd(t, "get", name)
	if err := cmd.Run(); err != nil {
		t.Fatalf("get after the kill: %v: %s", err, errb)
	}
	after := storedOAuth(t, env, name)
	if out.String() != after.AccessToken.Reveal()+"\n" ||
		after.AccessToken.Equal(before.OAuth.AccessToken) {
		t.Error("get after the kill did not refresh and print the stored token")
	}
	if ok, _ := p.Accepts(context.Background(), after.AccessToken.Reveal()); !ok {
		t.Error("the provider refuses the token")
	}
}

func TestRevokedRefreshExits6InTheKeychain(t *testing.T) {
	testenv.RequireSecretService(t)
	p := startLongIDP(t)
	env, name := systemLogin(t, p)
	ctx := context.Background()
	before, err := env.store().Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	revoker := clientOf(env, before.OAuth)
	if err := revoker.Revoke(ctx, before.OAuth.RefreshToken, "refresh_token"); err != nil {
		t.Fatal(err)
	}

	cmd, out, errb := keyrefCmd(t, "get", name, "--url", "https://api.example.com/x")
	_ = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != ExitLoginRequired || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %d bytes; want 6 and nothing", code, out.Len())
	}
	if !strings.Contains(errb.String(), "login required: run keyref login "+name) {
		t.Errorf("stderr lacks the login hint: %q", errb)
	}
	after, err := env.store().Get(ctx, name)
	if err != nil || !sameOAuth(before.OAuth, after.OAuth) || !before.Updated.Equal(after.Updated) {
		t.Errorf("the record changed (%v)", err)
	}
	assertNoSecrets(t, errb.String(), p, before.OAuth)
}
