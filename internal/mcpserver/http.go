package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/keyref/keyref/internal/resolve"
	"github.com/keyref/keyref/internal/scope"
)

type httpArgs struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Query   map[string]string `json:"query"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Token   string            `json:"token"`
}

// httpResult is what http_request returns.
type httpResult struct {
	Status      int               `json:"status"`
	URL         string            `json:"url"`
	ContentType string            `json:"content_type,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	JSON        any               `json:"json,omitempty"`
	Body        *string           `json:"body,omitempty"`
	Truncated   bool              `json:"truncated,omitempty"`
	// Redirect says why a redirect was not followed.
	Redirect string `json:"redirect_not_followed,omitempty"`
}

// shownHeaders are the response headers handed back besides the body.
var shownHeaders = []string{"Location", "ETag", "Last-Modified", "Retry-After", "Link",
	"X-Request-Id", "X-Total-Count", "RateLimit-Remaining", "X-RateLimit-Remaining",
	"WWW-Authenticate", "OData-Version"}

// forbiddenHeaders may not be set by the model: the server owns the
// credentials a request carries.
var forbiddenHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Host"}

func (s *Server) httpRequest(ctx context.Context, c *call, req mcp.CallToolRequest) (any, error) {
	var a httpArgs
	if err := req.BindArguments(&a); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadArgument, err)
	}
	method, err := s.checkMethod(a.Method)
	if err != nil {
		return nil, err
	}
	if err := checkHeaders(a.Headers); err != nil {
		return nil, err
	}
	var rawQuery string
	if len(a.Query) > 0 {
		q := url.Values{}
		for k, v := range a.Query {
			q.Set(k, v)
		}
		rawQuery = q.Encode()
	}
	dest, err := s.destination(a.URL, rawQuery)
	if err != nil {
		return nil, err
	}

	res, err := s.resolveFor(ctx, c, a.Token, dest)
	if err != nil {
		return nil, err
	}
	out, err := s.send(ctx, c, res, method, dest, a.Headers, a.Body)
	if err != nil {
		return nil, err
	}
	if out.Status >= 400 {
		return nil, &toolError{detail: out}
	}
	return out, nil
}

func (s *Server) checkMethod(m string) (string, error) {
	m = strings.ToUpper(m)
	switch m {
	case "":
		return http.MethodGet, nil
	case http.MethodGet, http.MethodHead:
		return m, nil
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if !s.cfg.AllowWrite {
			return "", fmt.Errorf("%w: method %s is refused: keyref-mcp sends only GET and HEAD "+
				"unless started with --allow-write", errBadArgument, m)
		}
		return m, nil
	}
	return "", fmt.Errorf("%w: method %q is not supported", errBadArgument, m)
}

func checkHeaders(h map[string]string) error {
	for k := range h {
		for _, f := range forbiddenHeaders {
			if strings.EqualFold(k, f) {
				return fmt.Errorf("%w: header %s may not be set; the server adds the token itself",
					errBadArgument, f)
			}
		}
	}
	return nil
}

// destination turns a tool's url argument (absolute, or a path under
// --base-url) plus an encoded query into a checked destination.
func (s *Server) destination(raw, rawQuery string) (*scope.Destination, error) {
	full := raw
	if !strings.Contains(raw, "://") {
		if s.cfg.BaseURL == "" {
			return nil, fmt.Errorf("%w: url %q is not absolute, and keyref-mcp has no --base-url",
				errBadArgument, raw)
		}
		full = strings.TrimRight(s.base, "/") + "/" + strings.TrimLeft(raw, "/")
	}
	if rawQuery != "" {
		sep := "?"
		if strings.Contains(full, "?") {
			sep = "&"
		}
		full += sep + rawQuery
	}
	return scope.ParseDestination(full)
}

// resolveFor resolves ref (or the default reference) for dest and
// registers the token for scrubbing.
func (s *Server) resolveFor(ctx context.Context, c *call, ref string,
	dest *scope.Destination) (*resolve.Resolved, error) {
	if ref == "" {
		ref = s.cfg.Token
	}
	if ref == "" {
		return nil, fmt.Errorf("%w: no token reference; pass token (list_aliases shows the "+
			"choices), or start keyref-mcp with --token", resolve.ErrInvalid)
	}
	r, err := resolve.Parse(ref)
	if err != nil {
		return nil, err
	}
	c.setSource(refName(r))
	if dest != nil {
		c.setOrigin(dest)
	}
	res, err := s.resolver.Resolve(ctx, r, dest)
	if err := maskRef(c, r, err); err != nil {
		return nil, err
	}
	res.Source = strings.Replace(res.Source, r.String(), refName(r), 1)
	c.addToken(res)
	return res, nil
}

// send makes one request with the token and reads the scrubbed answer.
func (s *Server) send(ctx context.Context, c *call, res *resolve.Resolved, method string,
	dest *scope.Destination, headers map[string]string, body string) (*httpResult, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, dest.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", errBadArgument, method, scope.Redact(dest.String()),
			unwrapURLError(err))
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "keyref-mcp/"+Version)
	req.Header.Set("Authorization", "Bearer "+res.Token.Reveal())

	var refused string
	client := *s.client
	client.CheckRedirect = redirectPolicy(dest, res.Scopes, &refused)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w",
			method, scope.Redact(dest.String()), unwrapURLError(err))
	}
	defer resp.Body.Close()
	c.setStatus(resp.StatusCode)
	out := s.readResponse(c, resp)
	out.Redirect = refused
	return out, nil
}

// redirectPolicy follows a redirect only to the same origin and within
// scopes; otherwise the 3xx answer is returned as is. The token is never
// sent to another origin.
func redirectPolicy(first *scope.Destination, scopes []string, refused *string) func(
	*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		d, err := scope.ParseDestination(req.URL.String())
		switch {
		case len(via) >= 10:
			*refused = "too many redirects"
		case err != nil:
			*refused = "the redirect target is not a URL a token may go to"
		case d.Origin() != first.Origin():
			*refused = "redirect to another origin (" + d.Origin() + "); the token is never sent " +
				"to another origin"
		case scope.Check(scopes, d) != nil:
			*refused = "the redirect target " + scope.Redact(d.String()) +
				" is outside the token's scope"
		default:
			return nil
		}
		return http.ErrUseLastResponse
	}
}

// unwrapURLError drops *url.Error's copy of the URL, which may hold a
// query string.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (s *Server) readResponse(c *call, resp *http.Response) *httpResult {
	out := &httpResult{Status: resp.StatusCode, URL: scope.Redact(resp.Request.URL.String()),
		ContentType: resp.Header.Get("Content-Type")}
	for _, h := range shownHeaders {
		if v := resp.Header.Get(h); v != "" {
			if out.Headers == nil {
				out.Headers = map[string]string{}
			}
			out.Headers[h] = v
		}
	}
	max := s.cfg.MaxResponseBytes
	raw, err := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	if err != nil {
		msg := "(reading the body failed: " + unwrapURLError(err).Error() + ")"
		out.Body = &msg
		return out
	}
	if len(raw) == 0 {
		return out
	}
	text, cut := c.redactor().Truncate(string(raw), max)
	out.Truncated = cut
	switch {
	case !utf8.ValidString(text):
		msg := fmt.Sprintf("(binary body of %d bytes not shown)", len(raw))
		out.Body = &msg
	case !cut && json.Valid([]byte(text)):
		// Whatever the content type says: decoding undoes the escapes an
		// API may have hidden a token behind, and encode scrubs the strings.
		var v any
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		if dec.Decode(&v) == nil && v != nil {
			out.JSON = v
			break
		}
		out.Body = &text
	default:
		// Not JSON, or cut: the redactor's escaped forms catch a token
		// escaped whole (\uXXXX for every character, say), not one
		// escaped in part.
		out.Body = &text
	}
	return out
}
