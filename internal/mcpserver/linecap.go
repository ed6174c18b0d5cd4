package mcpserver

import (
	"bytes"
	"io"
)

// maxLine is the longest JSON-RPC message line read from stdin: 8 MiB. mcp-go
// reads a line whole, with no limit, so a 100 MB line cost hundreds of MB;
// no tool call of keyref-mcp needs more than a few KiB.
const maxLine = 8 << 20

// lineCap passes lines through, cutting one longer than max: the first max
// bytes go on, then "!\n", which makes the line invalid JSON and earns a
// JSON-RPC parse error, and the rest of the line is read and dropped
// without being kept.
type lineCap struct {
	r       io.Reader
	max     int
	n       int  // bytes passed on of the current line
	discard bool // dropping the rest of an overlong line
	buf     []byte
	store   []byte // backs out
	out     []byte // bytes ready for the caller
}

// cutMark ends an overlong line; '!' is never valid JSON outside a string.
var cutMark = []byte("!\n")

func newLineCap(r io.Reader, max int) *lineCap {
	return &lineCap{r: r, max: max, buf: make([]byte, 32<<10)}
}

// Read fills p from the lines read so far, reading more when none is ready.
func (l *lineCap) Read(p []byte) (int, error) {
	for len(l.out) == 0 {
		n, err := l.r.Read(l.buf)
		l.filter(l.buf[:n])
		if err != nil && len(l.out) == 0 {
			return 0, err
		}
	}
	n := copy(p, l.out)
	l.out = l.out[n:]
	return n, nil
}

// filter appends to out what of chunk passes the cap.
func (l *lineCap) filter(chunk []byte) {
	l.store = l.store[:0]
	defer func() { l.out = l.store }()
	for len(chunk) > 0 {
		nl := bytes.IndexByte(chunk, '\n')
		seg := chunk
		if nl >= 0 {
			seg = chunk[:nl]
		}
		if !l.discard {
			keep := min(len(seg), l.max-l.n)
			l.store = append(l.store, seg[:keep]...)
			l.n += keep
			if keep < len(seg) {
				l.store = append(l.store, cutMark...)
				l.discard = true
			}
		}
		if nl < 0 {
			return
		}
		if !l.discard {
			l.store = append(l.store, '\n')
		}
		l.n, l.discard = 0, false
		chunk = chunk[nl+1:]
	}
}
