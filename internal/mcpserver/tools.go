package mcpserver

import (
	"github.com/mark3labs/mcp-go/mcp"
)

// Tool names and schemas are public API; testdata/tools.golden.json
// guards them.
const (
	toolHTTPRequest = "http_request"
	toolODataQuery  = "odata_query"
	toolListAliases = "list_aliases"
	toolTokenStatus = "token_status"
)

const tokenDoc = "Token reference: keyring:NAME (an alias from list_aliases), env:NAME " +
	"(the BEARER_TOKEN_NAME variable) or, for --allow-origin destinations only, a raw token. " +
	"Defaults to the server's --token."

func (s *Server) addTools() {
	s.mcp.AddTool(httpRequestTool(), s.wrap(toolHTTPRequest, s.httpRequest))
	s.mcp.AddTool(odataQueryTool(), s.wrap(toolODataQuery, s.odataQuery))
	s.mcp.AddTool(listAliasesTool(), s.wrap(toolListAliases, s.listAliases))
	s.mcp.AddTool(tokenStatusTool(), s.wrap(toolTokenStatus, s.tokenStatus))
}

func httpRequestTool() mcp.Tool {
	return mcp.NewTool(toolHTTPRequest,
		mcp.WithDescription("Send one HTTP request with a bearer token resolved from a reference. "+
			"Returns status, content type, selected headers and the body (JSON as JSON), cut at "+
			"the server's size limit. Redirects are followed only within the same origin and the "+
			"token's scope. Only GET and HEAD unless the server runs with --allow-write."),
		mcp.WithToolAnnotation(annotation("HTTP request", false, true, false)),
		mcp.WithString("method", mcp.Description("HTTP method"), mcp.DefaultString("GET"),
			mcp.Enum("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")),
		mcp.WithString("url", mcp.Required(),
			mcp.Description("Absolute URL, or a path under the server's --base-url "+
				"(a leading / stays under it)")),
		mcp.WithObject("query", mcp.Description("Query parameters added to the URL"),
			mcp.AdditionalProperties(map[string]any{"type": "string"})),
		mcp.WithObject("headers", mcp.Description("Request headers; Authorization, "+
			"Proxy-Authorization, Cookie and Host may not be set"),
			mcp.AdditionalProperties(map[string]any{"type": "string"})),
		mcp.WithString("body", mcp.Description("Request body, sent as is")),
		mcp.WithString("token", mcp.Description(tokenDoc)),
	)
}

func odataQueryTool() mcp.Tool {
	return mcp.NewTool(toolODataQuery,
		mcp.WithDescription("Query an OData entity set (Microsoft Graph, Omada and other OData "+
			"APIs) with a bearer token resolved from a reference. Encodes the $ options and "+
			"follows @odata.nextLink within the token's scope up to max_pages, returning the "+
			"rows of all pages in value."),
		mcp.WithToolAnnotation(annotation("OData query", true, false, true)),
		mcp.WithString("url", mcp.Required(), mcp.Description(
			"Entity set: absolute URL, or a path under the server's --base-url "+
				"(a leading / stays under it)")),
		mcp.WithString("filter", mcp.Description("$filter expression, e.g. startswith(name,'a')")),
		mcp.WithString("select", mcp.Description("$select: comma-separated properties")),
		mcp.WithInteger("top", mcp.Description("$top: rows per page"), mcp.Min(1)),
		mcp.WithString("orderby", mcp.Description("$orderby, e.g. name desc")),
		mcp.WithString("expand", mcp.Description("$expand: navigation properties")),
		mcp.WithInteger("max_pages", mcp.Description("Pages to fetch at most (default 5)"),
			mcp.Min(1), mcp.Max(maxPagesLimit)),
		mcp.WithString("token", mcp.Description(tokenDoc)),
	)
}

func listAliasesTool() mcp.Tool {
	return mcp.NewTool(toolListAliases,
		mcp.WithDescription("List the token references this server can use: keyring aliases "+
			"with their scopes, kind and expiry, and env: references that are set. Never a "+
			"token."),
		mcp.WithToolAnnotation(annotation("List token aliases", true, false, true)),
	)
}

func tokenStatusTool() mcp.Tool {
	return mcp.NewTool(toolTokenStatus,
		mcp.WithDescription("Say where a token reference resolves from, whether it resolves, "+
			"whether it may be sent to url, and for a JWT its issuer, audience, scopes and "+
			"expiry (decoded, not verified). Never the token."),
		mcp.WithToolAnnotation(annotation("Token status", true, false, true)),
		mcp.WithString("token", mcp.Description(tokenDoc)),
		mcp.WithString("url", mcp.Description("Destination to check the token's scope against")),
	)
}

// annotation states every hint explicitly. All tools reach outside the
// server (the keychain or an API), so openWorld is always true.
func annotation(title string, readOnly, destructive, idempotent bool) mcp.ToolAnnotation {
	return mcp.ToolAnnotation{
		Title: title, ReadOnlyHint: &readOnly, DestructiveHint: &destructive,
		IdempotentHint: &idempotent, OpenWorldHint: mcp.ToBoolPtr(true),
	}
}
