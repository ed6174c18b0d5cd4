// Package baseurl holds keyref-mcp's rule for --base-url, apart from the
// server so that keyref mcp-config can check the flag it writes without
// linking the MCP library. It never shows a URL's query or userinfo.
package baseurl

import (
	"fmt"

	"github.com/keyref/keyref/internal/scope"
)

// Parse checks a --base-url value: a URL a token may go to (see
// scope.ParseDestination), with no query or fragment, which would be
// pasted into every request. It returns the URL in canonical form. Errors
// name the flag and never show the query.
func Parse(raw string) (string, error) {
	d, err := scope.ParseDestination(raw)
	if err != nil {
		return "", fmt.Errorf("--base-url: %w", err)
	}
	if d.RawQuery != "" || d.Fragment != "" {
		return "", fmt.Errorf("--base-url %q: no query or fragment, please", scope.Redact(raw))
	}
	return d.String(), nil
}
