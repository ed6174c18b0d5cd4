#!/usr/bin/env bash
# bench-mcp.sh is keyref-mcp's part of `make bench`: 1000 http_request
# calls over stdio (the official MCP client) to a loopback API with a raw
# token, env: and keyring:, 1 and 16 in flight, median and p99 of each, and
# the acceptance check that a keyring: call costs no more than a raw one
# plus 1.3 whole `keyref get` runs.
#
#	platform/linux/bench-mcp.sh [CALLS]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

if [[ -z ${KEYREF_BENCH_INSIDE:-} ]]; then
	[[ -d platform/mcp-client/node_modules/@modelcontextprotocol/sdk ]] ||
		npm ci --prefix platform/mcp-client --no-audit --no-fund --loglevel=error
	CGO_ENABLED=0 go build -o bin/ ./cmd/keyref ./cmd/keyref-mcp
	exec env KEYREF_BENCH_INSIDE=1 platform/linux/with-secret-service.sh "$0" "$@"
fi

BENCH_TOKEN=$(head -c 32 /dev/urandom | base64 | tr -d '=\n' | tr '+/' '-_')
export BENCH_TOKEN
node platform/mcp-client/bench.mjs "$root/bin" "bench-mcp-$$" "${1:-1000}"
