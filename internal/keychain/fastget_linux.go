package keychain

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	dbus "github.com/godbus/dbus/v5"
)

// The Secret Service names fastGet uses. loginPath is where go-keyring
// keeps items when the service has a login collection, as gnome-keyring
// always does.
const (
	secretsName = "org.freedesktop.secrets"
	secretsPath = "/org/freedesktop/secrets"
	loginPath   = "/org/freedesktop/secrets/collection/login"
)

// fastGet reads one item in three round trips, where godbus and
// go-keyring take seven one after another (four to authenticate, Hello,
// the session and the search, the read). It dials a connection of its own
// and writes the authentication with Hello, then the session with the
// search and the collection's Locked property, then the read. The messages are godbus's
// own encoding; only the order of sending is keyref's. `keyref get` runs
// once per token use, and this is most of what it waits for.
//
// It waits for Hello's answer before calling the Secret Service:
// gnome-keyring 42 aborts when a client's first call reaches it that
// early (see System's lock for the other way to crash it).
//
// A search that succeeds and matches nothing is a definite answer
// (found=false, ok=true): go-keyring would search the same collection.
// Anything off the happy path (a bus address other than a unix socket, a
// refused authentication, no login collection, a locked item, any error
// reply) returns ok=false, and the caller takes go-keyring's full path,
// which connects its own way, unlocks, prompts and reports errors.
func fastGet(ctx context.Context, getenv func(string) string,
	account string) (value string, found, ok bool) {
	path, ok := busPath(getenv("DBUS_SESSION_BUS_ADDRESS"))
	if !ok {
		return "", false, false
	}
	c, err := dialBus(ctx, path)
	if err != nil {
		return "", false, false
	}
	defer c.close()

	hello := call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello")
	if c.send(hello) != nil {
		return "", false, false
	}
	if _, err := c.replies(1); err != nil {
		return "", false, false
	}
	err = c.send(
		call(secretsName, secretsPath, "org.freedesktop.Secret.Service", "OpenSession",
			"plain", dbus.MakeVariant("")),
		call(secretsName, loginPath, "org.freedesktop.Secret.Collection", "SearchItems",
			map[string]string{"username": account, "service": Service}),
		call(secretsName, loginPath, "org.freedesktop.DBus.Properties", "Get",
			"org.freedesktop.Secret.Collection", "Locked"),
	)
	if err != nil {
		return "", false, false
	}
	r, err := c.replies(2, 3, 4)
	if err != nil {
		return "", false, false
	}
	var session dbus.ObjectPath
	var items []dbus.ObjectPath
	var locked dbus.Variant
	if dbus.Store(r[0], new(dbus.Variant), &session) != nil || dbus.Store(r[1], &items) != nil ||
		dbus.Store(r[2], &locked) != nil {
		return "", false, false
	}
	// Some providers hide a locked collection's items; go-keyring unlocks
	// it first, and may prompt.
	if l, ok := locked.Value().(bool); !ok || l {
		return "", false, false
	}
	if len(items) == 0 {
		return "", false, true
	}

	get := call(secretsName, items[0], "org.freedesktop.Secret.Item", "GetSecret", session)
	if c.send(get) != nil {
		return "", false, false
	}
	r, err = c.replies(5)
	if err != nil {
		return "", false, false
	}
	var sec struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}
	if dbus.Store(r[0], &sec) != nil {
		return "", false, false
	}
	return string(sec.Value), true, true
}

// busPath returns the socket of the first address in a D-Bus address
// list when it is a unix path or abstract socket ("@name" for package
// net), with D-Bus's %XX escapes undone.
func busPath(addrs string) (string, bool) {
	addr, _, _ := strings.Cut(addrs, ";")
	params, ok := strings.CutPrefix(addr, "unix:")
	if !ok {
		return "", false
	}
	for _, kv := range strings.Split(params, ",") {
		k, v, _ := strings.Cut(kv, "=")
		prefix := ""
		switch k {
		case "path":
		case "abstract":
			prefix = "@"
		default:
			continue
		}
		v, err := url.PathUnescape(v)
		if err != nil || v == "" || strings.IndexByte(v, 0) >= 0 {
			return "", false
		}
		return prefix + v, true
	}
	return "", false
}

// busConn is one D-Bus connection for a short exchange of method calls:
// calls go out numbered from 1, and replies are read in order of arrival.
type busConn struct {
	conn   net.Conn
	in     *bufio.Reader
	serial uint32
	authed bool // the bus's answer to the authentication has been read
	stop   func() bool
}

// dialBus connects to the bus socket at path. The connection gives up
// when ctx ends.
func dialBus(ctx context.Context, path string) (*busConn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	if t, ok := ctx.Deadline(); ok {
		conn.SetDeadline(t)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return &busConn{conn: conn, in: bufio.NewReader(conn), stop: stop}, nil
}

func (c *busConn) close() {
	c.stop()
	c.conn.Close()
}

// send writes msgs in one write. Before the first message it writes the
// authentication (EXTERNAL, by the uid the bus sees on the socket) and
// BEGIN without waiting for the bus to answer, as D-Bus allows; replies
// reads the answer.
func (c *busConn) send(msgs ...*dbus.Message) error {
	var out bytes.Buffer
	if c.serial == 0 {
		uid := strconv.Itoa(os.Geteuid())
		fmt.Fprintf(&out, "\x00AUTH EXTERNAL %s\r\nBEGIN\r\n", hex.EncodeToString([]byte(uid)))
	}
	for _, m := range msgs {
		start := out.Len()
		if err := m.EncodeTo(&out, binary.LittleEndian); err != nil {
			return err
		}
		// godbus numbers messages only on its own connections. The serial
		// is bytes 8 to 11 of every message's fixed header.
		c.serial++
		binary.LittleEndian.PutUint32(out.Bytes()[start+8:], c.serial)
	}
	_, err := out.WriteTo(c.conn)
	return err
}

// errAuth means the bus did not accept the connection.
var errAuth = errors.New("D-Bus authentication refused")

// replyError is an error reply, such as org.freedesktop.Secret.Error.IsLocked.
type replyError struct{ name string }

func (e *replyError) Error() string { return "D-Bus error reply " + e.name }

// replies returns the bodies of the replies to the calls numbered
// serials, in that order. Signals, calls to this connection and replies
// to other calls are skipped; an error reply to one of serials ends the
// wait with a *replyError.
func (c *busConn) replies(serials ...uint32) ([][]any, error) {
	if !c.authed {
		// The answer is one short line; ReadSlice stops at the buffer's
		// size, so an endless one costs nothing.
		line, err := c.in.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		if !bytes.HasPrefix(line, []byte("OK ")) {
			return nil, errAuth
		}
		c.authed = true
	}
	bodies := make([][]any, len(serials))
	for left := len(serials); left > 0; {
		m, err := readMessage(c.in)
		if err != nil {
			return nil, err
		}
		if m.Type != dbus.TypeMethodReply && m.Type != dbus.TypeError {
			continue
		}
		s, _ := m.Headers[dbus.FieldReplySerial].Value().(uint32)
		i := slices.Index(serials, s)
		if i < 0 || bodies[i] != nil {
			continue
		}
		if m.Type == dbus.TypeError {
			name, _ := m.Headers[dbus.FieldErrorName].Value().(string)
			return nil, &replyError{name}
		}
		bodies[i] = m.Body
		if bodies[i] == nil {
			bodies[i] = []any{}
		}
		left--
	}
	return bodies, nil
}

// maxMessage bounds the parts of a message this connection accepts. A
// keyref item is at most a few KiB (records are split into chunks).
const maxMessage = 1 << 20

// readMessage reads one whole message and decodes it with godbus. It reads
// the bytes first, by the lengths in the fixed header (the byte order,
// three bytes, the body's length, the serial and the length of the header
// fields, which are padded to 8 bytes): godbus's own check of those
// lengths wraps around, and a stream that ends early makes it panic. The
// lengths inside a message are godbus's to trust; the bus daemon
// validates every message it passes on.
func readMessage(in *bufio.Reader) (m *dbus.Message, err error) {
	fixed, err := in.Peek(16)
	if err != nil {
		return nil, err
	}
	var order binary.ByteOrder = binary.LittleEndian
	if fixed[0] == 'B' {
		order = binary.BigEndian
	}
	body, fields := order.Uint32(fixed[4:]), order.Uint32(fixed[12:])
	if body > maxMessage || fields > maxMessage {
		return nil, errors.New("D-Bus message too long")
	}
	b := make([]byte, 16+(fields+7)&^7+body)
	if _, err := io.ReadFull(in, b); err != nil {
		return nil, err
	}
	defer func() {
		if recover() != nil {
			m, err = nil, errors.New("malformed D-Bus message")
		}
	}()
	return dbus.DecodeMessage(bytes.NewReader(b))
}

// call is a method call message to be numbered by busConn.send.
func call(dest string, path dbus.ObjectPath, iface, member string, args ...any) *dbus.Message {
	m := &dbus.Message{Type: dbus.TypeMethodCall, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldDestination: dbus.MakeVariant(dest),
		dbus.FieldPath:        dbus.MakeVariant(path),
		dbus.FieldInterface:   dbus.MakeVariant(iface),
		dbus.FieldMember:      dbus.MakeVariant(member),
	}, Body: args}
	if len(args) > 0 {
		m.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(args...))
	}
	return m
}
