#!/usr/bin/env bash
# demo.sh is `make demo`: the whole keyref-mcp chain on one machine.
#
#	platform/linux/demo.sh
#
# It installs what it needs (platform/linux/deps.sh when present, and the
# pinned MCP client with npm ci), builds keyref and keyref-mcp into bin/,
# and then, inside a private Secret Service session
# (platform/linux/with-secret-service.sh): starts a loopback API that
# requires a bearer token, stores that token as the alias "demo" scoped to
# the API, and drives keyref-mcp with the official MCP client: tools/list,
# http_request and odata_query with keyring:demo. It exits non-zero if a
# call misbehaves or the token shows up anywhere the client could see.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

if [[ -z ${KEYREF_DEMO_INSIDE:-} ]]; then
	if [[ -x platform/linux/deps.sh ]]; then
		platform/linux/deps.sh
	fi
	command -v node >/dev/null || { echo "demo.sh: node (20 or later) is required" >&2; exit 1; }
	npm ci --prefix platform/mcp-client --no-audit --no-fund --loglevel=error
	CGO_ENABLED=0 go build -o bin/ ./cmd/keyref ./cmd/keyref-mcp
	exec env KEYREF_DEMO_INSIDE=1 platform/linux/with-secret-service.sh "$0" "$@"
fi

tmp=$(mktemp -d)
api_pid=
cleanup() {
	[[ -n $api_pid ]] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
	bin/keyref rm demo >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# A fresh random token: it lives in this shell, the API's environment and
# the keychain, never in an argv or a file.
DEMO_TOKEN=$(head -c 32 /dev/urandom | base64 | tr -d '=\n' | tr '+/' '-_')
export DEMO_TOKEN

node platform/mcp-client/api.mjs >"$tmp/api.out" &
api_pid=$!
for _ in $(seq 100); do
	[[ -s $tmp/api.out ]] && break
	sleep 0.05
done
read -r _ api <"$tmp/api.out" || { echo "demo.sh: the demo API did not start" >&2; exit 1; }
echo "== demo API on $api (requires the bearer token)"

printf '%s\n' "$DEMO_TOKEN" | bin/keyref set demo --url "$api/api/" --note "keyref demo"
echo "== stored alias demo, scoped to $api/api/:"
bin/keyref list

node platform/mcp-client/demo.mjs "$root/bin" "$api"
