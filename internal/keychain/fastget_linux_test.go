package keychain

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
	"github.com/gofrs/flock"

	"github.com/keyref/keyref/internal/testenv"
)

func TestBusPath(t *testing.T) {
	for _, tc := range []struct {
		addr, want string
		ok         bool
	}{
		{"unix:path=/run/user/1000/bus", "/run/user/1000/bus", true},
		{"unix:path=/tmp/a%20b,guid=0123", "/tmp/a b", true},
		{"unix:guid=0123,path=/tmp/bus", "/tmp/bus", true},
		{"unix:abstract=/tmp/dbus-x,guid=1", "@/tmp/dbus-x", true},
		{"unix:path=/tmp/first;unix:path=/tmp/second", "/tmp/first", true},
		{"tcp:host=localhost,port=1;unix:path=/tmp/bus", "", false},
		{"unix:tmpdir=/tmp", "", false},
		{"unix:path=", "", false},
		{"unix:path=/tmp/%zz", "", false},
		{"unix:path=/tmp/a%00b", "", false},
		{"autolaunch:", "", false},
		{"", "", false},
	} {
		got, ok := busPath(tc.addr)
		if got != tc.want || ok != tc.ok {
			t.Errorf("busPath(%q) = %q, %v; want %q, %v", tc.addr, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzBusPath(f *testing.F) {
	f.Add("unix:path=/run/user/1000/bus,guid=1")
	f.Add("unix:abstract=%2ftmp")
	f.Fuzz(func(t *testing.T, addr string) {
		p, ok := busPath(addr)
		if ok && (p == "" || strings.IndexByte(p, 0) >= 0) {
			t.Fatalf("busPath(%q) = %q", addr, p)
		}
	})
}

// wire encodes msgs as a bus would send them after accepting the
// authentication.
func wire(t testing.TB, auth string, msgs ...*dbus.Message) []byte {
	t.Helper()
	b := bytes.NewBufferString(auth)
	for i, m := range msgs {
		start := b.Len()
		if err := m.EncodeTo(b, binary.LittleEndian); err != nil {
			t.Fatal(err)
		}
		binary.LittleEndian.PutUint32(b.Bytes()[start+8:], uint32(100+i))
	}
	return b.Bytes()
}

func reply(serial uint32, body ...any) *dbus.Message {
	m := &dbus.Message{Type: dbus.TypeMethodReply, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldReplySerial: dbus.MakeVariant(serial),
	}, Body: body}
	if len(body) > 0 {
		m.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(body...))
	}
	return m
}

func signal(member string) *dbus.Message {
	return &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath:      dbus.MakeVariant(dbus.ObjectPath("/org/freedesktop/DBus")),
		dbus.FieldInterface: dbus.MakeVariant("org.freedesktop.DBus"),
		dbus.FieldMember:    dbus.MakeVariant(member),
	}}
}

func readerConn(b []byte) *busConn {
	return &busConn{in: bufio.NewReader(bytes.NewReader(b))}
}

func TestRepliesInAnyOrderSkippingTheRest(t *testing.T) {
	c := readerConn(wire(t, "OK 0123\r\n",
		reply(1, ":1.5"),
		signal("NameAcquired"),
		reply(3, []dbus.ObjectPath{"/item/1"}),
		reply(9, "someone else's"),
		reply(1, "a second reply to 1"),
		reply(2, dbus.MakeVariant(""), dbus.ObjectPath("/session/1")),
	))
	r, err := c.replies(1, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if r[0][0] != ":1.5" {
		t.Errorf("reply 1 = %v", r[0])
	}
	var session dbus.ObjectPath
	var items []dbus.ObjectPath
	if err := dbus.Store(r[1], new(dbus.Variant), &session); err != nil || session != "/session/1" {
		t.Errorf("reply 2 = %v, %v", r[1], err)
	}
	if err := dbus.Store(r[2], &items); err != nil || len(items) != 1 {
		t.Errorf("reply 3 = %v, %v", r[2], err)
	}
}

func TestRepliesErrors(t *testing.T) {
	locked := &dbus.Message{Type: dbus.TypeError, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldReplySerial: dbus.MakeVariant(uint32(1)),
		dbus.FieldErrorName:   dbus.MakeVariant("org.freedesktop.Secret.Error.IsLocked"),
	}}
	full := wire(t, "OK 0123\r\n", reply(1))
	for name, tc := range map[string]struct {
		stream []byte
		want   func(error) bool
	}{
		"refused": {[]byte("REJECTED EXTERNAL\r\n"),
			func(err error) bool { return errors.Is(err, errAuth) }},
		"error reply": {wire(t, "OK 0123\r\n", locked), func(err error) bool {
			var re *replyError
			return errors.As(err, &re) && re.name == "org.freedesktop.Secret.Error.IsLocked"
		}},
		"closed before the reply": {wire(t, "OK 0123\r\n", signal("NameAcquired")), nil},
		"cut in a message":        {full[:len(full)-3], nil},
		"garbage":                 {append([]byte("OK 0123\r\nxyz"), make([]byte, 13)...), nil},
	} {
		_, err := readerConn(tc.stream).replies(1)
		if err == nil || tc.want != nil && !tc.want(err) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// FuzzReplies varies what keyref's own code handles: the bus's answer to
// the authentication, which serials the replies carry, their order, and
// where the stream ends. The messages themselves stay well formed, as the
// bus daemon validates every message it passes on; godbus's decoder
// trusts lengths inside a body and allocates by them, so random bodies
// would fuzz godbus's memory, not keyref.
func FuzzReplies(f *testing.F) {
	f.Add("OK 0123", uint32(1), uint32(2), true, uint16(0))
	f.Add("REJECTED EXTERNAL", uint32(2), uint32(1), false, uint16(40))
	f.Fuzz(func(t *testing.T, auth string, s1, s2 uint32, errorFirst bool, cut uint16) {
		first := reply(s1, ":1.5")
		if errorFirst {
			first = &dbus.Message{Type: dbus.TypeError, Headers: map[dbus.HeaderField]dbus.Variant{
				dbus.FieldReplySerial: dbus.MakeVariant(s1),
				dbus.FieldErrorName:   dbus.MakeVariant("org.freedesktop.DBus.Error.Failed"),
			}}
		}
		items := reply(s2, []dbus.ObjectPath{"/i/1"})
		stream := wire(t, auth+"\r\n", first, signal("NameAcquired"), items)
		if cut > 0 && int(cut) < len(stream) {
			stream = stream[:cut]
		}
		r, err := readerConn(stream).replies(1, 2)
		if err != nil {
			return
		}
		if !strings.HasPrefix(auth, "OK ") || errorFirst || len(r) != 2 || r[0] == nil || r[1] == nil {
			t.Fatalf("replies = %v without error", r)
		}
	})
}

func TestSendNumbersMessagesAfterTheAuthentication(t *testing.T) {
	var out bytes.Buffer
	c := &busConn{conn: writerConn{&out}}
	err := c.send(call("a.b", "/a", "a.b", "One"), call("a.b", "/a", "a.b", "Two", "x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.send(call("a.b", "/a", "a.b", "Three")); err != nil {
		t.Fatal(err)
	}
	in := bufio.NewReader(&out)
	line, _ := in.ReadString('\n')
	if !strings.HasPrefix(line, "\x00AUTH EXTERNAL ") {
		t.Fatalf("first line %q", line)
	}
	if line, _ := in.ReadString('\n'); line != "BEGIN\r\n" {
		t.Fatalf("second line %q", line)
	}
	for i, member := range []string{"One", "Two", "Three"} {
		m, err := dbus.DecodeMessage(in)
		if err != nil {
			t.Fatal(err)
		}
		if m.Serial() != uint32(i+1) || m.Headers[dbus.FieldMember].Value() != member {
			t.Errorf("message %d: %v", i, m)
		}
	}
}

// writerConn is a net.Conn that only writes.
type writerConn struct{ *bytes.Buffer }

func (writerConn) Close() error                     { return nil }
func (writerConn) LocalAddr() net.Addr              { return nil }
func (writerConn) RemoteAddr() net.Addr             { return nil }
func (writerConn) SetDeadline(time.Time) error      { return nil }
func (writerConn) SetReadDeadline(time.Time) error  { return nil }
func (writerConn) SetWriteDeadline(time.Time) error { return nil }

// TestFastGetOnSecretService checks the fast path answers by itself,
// without falling back to go-keyring, on the real Secret Service.
func TestFastGetOnSecretService(t *testing.T) {
	testenv.RequireSecretService(t)
	const account = ":fastget-test"
	value := strings.Repeat("v", 3000) + "é\x01"
	ctx := context.Background()
	s := &System{Timeout: 20 * time.Second}
	if err := s.Set(ctx, account, value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Delete(context.Background(), account) })
	// fastGet below runs outside System's calls: hold the keychain lock as
	// they would, since other test binaries share the daemon.
	unlock, err := s.lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	got, found, ok := fastGet(ctx, os.Getenv, account)
	if !ok || !found || got != value {
		t.Errorf("fastGet = %d bytes, found %v, ok %v; want the %d stored",
			len(got), found, ok, len(value))
	}
	if _, found, ok := fastGet(ctx, os.Getenv, ":fastget-none"); !ok || found {
		t.Errorf("missing item: found %v, ok %v; want a definite not found", found, ok)
	}
	tcp := func(string) string { return "tcp:host=127.0.0.1,port=1" }
	if _, _, ok := fastGet(ctx, tcp, account); ok {
		t.Error("a tcp bus address took the fast path")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, ok := fastGet(cancelled, os.Getenv, account); ok {
		t.Error("a cancelled read answered")
	}
}

// TestParallelCallsKeepSecretServiceUp: gnome-keyring 42 aborts when calls
// of freshly connected clients interleave; without System's lock, eight
// readers and a writer brought it down within a second.
func TestParallelCallsKeepSecretServiceUp(t *testing.T) {
	testenv.RequireSecretService(t)
	s := &System{Timeout: 20 * time.Second}
	ctx := context.Background()
	const account = ":parallel-test"
	if err := s.Set(ctx, account, "v0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Delete(context.Background(), account) })

	stop := make(chan struct{})
	wrote := make(chan error, 1)
	go func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				wrote <- nil
				return
			default:
			}
			if err := s.Set(ctx, account, fmt.Sprintf("v%d", i)); err != nil {
				wrote <- err
				return
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				v, err := s.Get(ctx, account)
				if err == nil && !strings.HasPrefix(v, "v") {
					err = fmt.Errorf("read %q", v)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := <-wrote; err != nil {
		t.Errorf("writer: %v", err)
	}
	close(errs)
	for err := range errs {
		t.Errorf("reader: %v", err)
	}
}

func TestRepliesRefuseHugeLengths(t *testing.T) {
	// Body length 0xfffffff0 and header length 0x20: their sum wraps
	// around in godbus's check.
	h := []byte("OK 1\r\nl\x02\x00\x01\xf0\xff\xff\xff\x01\x00\x00\x00\x20\x00\x00\x00")
	if _, err := readerConn(h).replies(1); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("err = %v", err)
	}
}

func TestLockHeldElsewhere(t *testing.T) {
	testenv.RequireSecretService(t)
	dir := t.TempDir()
	other := flock.New(filepath.Join(dir, lockFile))
	if err := other.Lock(); err != nil {
		t.Fatal(err)
	}
	s := &System{Timeout: 300 * time.Millisecond, LockDir: dir}
	start := time.Now()
	_, err := s.Get(context.Background(), ":lock-test")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "held the keychain") {
		t.Errorf("with the lock held: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}

	// A waiting call goes on as soon as the lock is free.
	done := make(chan error, 1)
	s.Timeout = 20 * time.Second
	go func() { _, err := s.Get(context.Background(), ":lock-test"); done <- err }()
	time.Sleep(100 * time.Millisecond)
	if err := other.Unlock(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("after the lock was freed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting 10s after the lock was freed")
	}
}

func TestRepliesStopAtAnEndlessAuthLine(t *testing.T) {
	_, err := readerConn(bytes.Repeat([]byte("x"), 1<<20)).replies(1)
	if err == nil {
		t.Fatal("no error")
	}
}

// TestTimedOutCallGivesTheLockBack: a call that hangs (an unanswered
// unlock prompt) must not keep every later keyref call waiting.
func TestTimedOutCallGivesTheLockBack(t *testing.T) {
	bus := filepath.Join(t.TempDir(), "bus")
	if err := os.WriteFile(bus, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := &System{
		Timeout: 100 * time.Millisecond, LockDir: t.TempDir(),
		Getenv: func(string) string { return "unix:path=" + bus },
	}
	hang := make(chan struct{})
	defer close(hang)
	err := s.call(context.Background(), "reading", "x", func(context.Context) error {
		<-hang
		return nil
	})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "not answering") {
		t.Fatalf("hung call: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	unlock, err := s.lock(ctx)
	if err != nil {
		t.Fatalf("the lock after a timed-out call: %v", err)
	}
	unlock()
}
