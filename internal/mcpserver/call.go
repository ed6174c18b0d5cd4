package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/keyref/keyref/internal/redact"
	"github.com/keyref/keyref/internal/resolve"
	"github.com/keyref/keyref/internal/scope"
	"github.com/keyref/keyref/internal/secret"
)

// call is the state of one tool call: the secrets it met, which every
// output is scrubbed of, and the attributes of its log line.
type call struct {
	mu      sync.Mutex
	secrets []secret.Secret
	red     *redact.Redactor // built from secrets on first use; nil after a new one
	source  string
	origin  string
	status  int
}

// addToken registers a resolved token for scrubbing.
func (c *call) addToken(res *resolve.Resolved) {
	c.addSecret(res.Token)
	c.setSource(res.Source)
}

// addSecret has s scrubbed from every output of the call.
func (c *call) addSecret(s secret.Secret) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.secrets = append(c.secrets, s)
	c.red = nil
}

func (c *call) setSource(source string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.source = source
}

func (c *call) getSource() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.source
}

func (c *call) setOrigin(d *scope.Destination) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.origin = d.Origin()
}

func (c *call) setStatus(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status = code
}

// redactor scrubs the call's secrets. It is built once per set of
// secrets, not per response: an odata_query call reads many pages.
func (c *call) redactor() *redact.Redactor {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.red == nil {
		c.red = redact.New(c.secrets...)
	}
	return c.red
}

// wrap turns a toolHandler into an mcp-go handler that scrubs the result
// and logs one line.
func (s *Server) wrap(name string, h toolHandler) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
		c := &call{}
		out, err := h(ctx, c, req)
		res := s.result(c, out, err)
		s.logCall(ctx, name, c, res.IsError, err, time.Since(start))
		return res, nil
	}
}

// toolError is a result the model should see as a failed call, with
// details it can use (an HTTP error status and body, say).
type toolError struct{ detail any }

func (t *toolError) Error() string { return "tool error" }

// result builds the scrubbed CallToolResult. Tool results are JSON text;
// errors are text naming the problem.
func (s *Server) result(c *call, out any, err error) *mcp.CallToolResult {
	r := c.redactor()
	var te *toolError
	if errors.As(err, &te) {
		return &mcp.CallToolResult{
			Content: []mcp.Content{mcp.NewTextContent(s.encode(r, te.detail))}, IsError: true}
	}
	if err != nil {
		return mcp.NewToolResultError(r.String(err.Error()))
	}
	return mcp.NewToolResultText(s.encode(r, out))
}

// encode marshals v with every string in it scrubbed, then scrubs the text
// once more. Strings are scrubbed before they are escaped: a token holding
// ", \ or a tab is escaped by the encoder and no longer matches as is.
func (s *Server) encode(r *redact.Redactor, v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return `{"error":"result could not be encoded"}`
	}
	clean, err := scrubJSON(r, raw)
	if err != nil {
		return `{"error":"result could not be encoded"}`
	}
	var b bytes.Buffer
	if err := json.Indent(&b, clean, "", "  "); err != nil {
		return `{"error":"result could not be encoded"}`
	}
	return r.String(b.String())
}

// scrubJSON re-encodes the JSON text data compactly, keeping the order of
// object members, with every string (member names too) passed through r.
func scrubJSON(r *redact.Redactor, data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	type level struct {
		object bool
		n      int // values and member names written so far
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			out.WriteByte(byte(d))
			continue
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			switch {
			case top.object && top.n%2 == 1:
				out.WriteByte(':')
			case top.n > 0:
				out.WriteByte(',')
			}
			top.n++
		}
		switch t := tok.(type) {
		case json.Delim:
			stack = append(stack, level{object: t == '{'})
			out.WriteByte(byte(t))
		case string:
			err = enc.Encode(r.String(t))
		default:
			err = enc.Encode(t)
		}
		if err != nil {
			return nil, err
		}
	}
}

func (s *Server) logCall(ctx context.Context, tool string, c *call, isErr bool, err error,
	d time.Duration) {
	c.mu.Lock()
	attrs := []any{"tool", tool, "ref", c.source, "origin", c.origin, "status", c.status,
		"duration", d.Round(time.Millisecond)}
	c.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		attrs = append(attrs, "result", "cancelled")
	case isErr:
		attrs = append(attrs, "result", "error", "reason", reason(err))
	default:
		attrs = append(attrs, "result", "ok")
	}
	s.log.Info("call", attrs...)
}

// reason classifies an error for the log without its text, which may
// hold URLs or API messages.
func reason(err error) string {
	var te *toolError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &te):
		return "http_status"
	case errors.Is(err, resolve.ErrInvalid), errors.Is(err, errBadArgument):
		return "invalid"
	case errors.Is(err, scope.ErrOutside):
		return "out_of_scope"
	case errors.Is(err, resolve.ErrNotFound):
		return "not_found"
	case errors.Is(err, resolve.ErrUnavailable):
		return "keychain_unavailable"
	case errors.Is(err, resolve.ErrLoginRequired):
		return "login_required"
	case errors.Is(err, scope.ErrInvalid):
		return "invalid_url"
	}
	return "failed"
}

// errBadArgument marks a tool argument the server refuses.
var errBadArgument = errors.New("invalid argument")
