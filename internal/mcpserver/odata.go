package mcpserver

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/keyref/keyref/internal/resolve"
	"github.com/keyref/keyref/internal/scope"
)

// Page limits of odata_query.
const (
	defaultMaxPages = 5
	maxPagesLimit   = 50
)

type odataArgs struct {
	URL      string `json:"url"`
	Filter   string `json:"filter"`
	Select   string `json:"select"`
	Top      int    `json:"top"`
	OrderBy  string `json:"orderby"`
	Expand   string `json:"expand"`
	MaxPages int    `json:"max_pages"`
	Token    string `json:"token"`
}

// odataResult is what odata_query returns.
type odataResult struct {
	Context string `json:"@odata.context,omitempty"`
	Count   any    `json:"@odata.count,omitempty"`
	Value   []any  `json:"value"`
	Pages   int    `json:"pages"`
	// NextLink is set when more pages remain than were fetched.
	NextLink string `json:"next_link,omitempty"`
	// Stopped says why paging stopped early, when it did.
	Stopped string `json:"stopped,omitempty"`
}

func (s *Server) odataQuery(ctx context.Context, c *call, req mcp.CallToolRequest) (any, error) {
	var a odataArgs
	if err := req.BindArguments(&a); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadArgument, err)
	}
	pages := a.MaxPages
	if pages <= 0 {
		pages = defaultMaxPages
	}
	pages = min(pages, maxPagesLimit)
	dest, err := s.destination(a.URL, odataOptions(a))
	if err != nil {
		return nil, err
	}

	res, err := s.resolveFor(ctx, c, a.Token, dest)
	if err != nil {
		return nil, err
	}
	return s.fetchPages(ctx, c, res, dest, pages)
}

// odataOptions encodes the system query options (OData 4.01 part 2,
// section 5.1). Spaces become %20, not '+', which not every OData service
// reads as a space.
func odataOptions(a odataArgs) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	add("$filter", a.Filter)
	add("$select", a.Select)
	if a.Top > 0 {
		add("$top", strconv.Itoa(a.Top))
	}
	add("$orderby", a.OrderBy)
	add("$expand", a.Expand)
	return strings.Join(parts, "&")
}

func (s *Server) fetchPages(ctx context.Context, c *call, res *resolve.Resolved,
	dest *scope.Destination, pages int) (any, error) {
	out := &odataResult{Value: []any{}}
	total := 0
	accept := map[string]string{"Accept": "application/json"}
	for next := dest; next != nil && out.Pages < pages; {
		page, err := s.send(ctx, c, res, "GET", next, accept, "")
		if err != nil {
			return nil, err
		}
		if page.Status >= 400 || page.JSON == nil {
			return nil, &toolError{detail: page}
		}
		obj, ok := page.JSON.(map[string]any)
		if !ok {
			return nil, &toolError{detail: page}
		}
		out.Pages++
		out.add(obj)
		total += len(fmt.Sprint(obj["value"]))
		next = nil
		link, _ := obj["@odata.nextLink"].(string)
		if link == "" {
			out.NextLink = ""
			break
		}
		out.NextLink = link
		if total > s.cfg.MaxResponseBytes {
			out.Stopped = "the rows reached the size limit (--max-response-bytes)"
			break
		}
		if next, out.Stopped = nextPage(dest, link, res.Scopes); next == nil {
			break
		}
	}
	return out, nil
}

func (o *odataResult) add(obj map[string]any) {
	if v, ok := obj["@odata.context"].(string); ok && o.Context == "" {
		o.Context = v
	}
	if v, ok := obj["@odata.count"]; ok {
		o.Count = v
	}
	if rows, ok := obj["value"].([]any); ok {
		o.Value = append(o.Value, rows...)
		return
	}
	o.Value = append(o.Value, obj) // a single entity
}

// nextPage checks an @odata.nextLink: it is followed only within the first
// page's origin and the token's scopes.
func nextPage(first *scope.Destination, link string, scopes []string) (*scope.Destination, string) {
	ref, err := url.Parse(link)
	if err != nil {
		return nil, "@odata.nextLink is not a URL"
	}
	d, err := scope.ParseDestination(first.ResolveReference(ref).String())
	switch {
	case err != nil:
		return nil, "@odata.nextLink is not a URL a token may go to"
	case d.Origin() != first.Origin():
		return nil, "@odata.nextLink points to another origin (" + d.Origin() + "); not followed"
	case scope.Check(scopes, d) != nil:
		return nil, "@odata.nextLink is outside the token's scope; not followed"
	}
	return d, ""
}
