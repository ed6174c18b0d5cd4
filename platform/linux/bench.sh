#!/usr/bin/env bash
# bench.sh is the whole-process part of `make bench`: how long one
# `keyref get` takes next to `secret-tool lookup` (and, when installed,
# `docker-credential-secretservice get`), each reading the same 2 KB token
# from a private gnome-keyring:
#
#	platform/linux/bench.sh [N]
#
# It builds bin/keyref, re-runs itself inside with-secret-service.sh, stores
# the token with each tool (always on stdin), checks each returns it, then
# times N (default 200) pairs of secret-tool and each other tool, the two
# taking turns to go first, with a monotonic clock, and prints the medians
# and the median of the per-pair ratios to secret-tool. When
# keyref cannot be built or fails, it says so and times the others alone.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
prog=${0##*/}

if [[ -z ${KEYREF_BENCH_SS_INSIDE:-} ]]; then
	for tool in secret-tool:libsecret-tools python3:python3; do
		command -v "${tool%%:*}" >/dev/null ||
			{ echo "$prog: ${tool%%:*} is missing: apt-get install -y ${tool#*:}" >&2; exit 1; }
	done
	# A stale binary would measure the wrong code, so drop it on failure.
	if ! CGO_ENABLED=0 go build -o bin/ ./cmd/keyref; then
		rm -f bin/keyref
		echo "$prog: building keyref failed; timing the other tools alone" >&2
	fi
	exec env KEYREF_BENCH_SS_INSIDE=1 platform/linux/with-secret-service.sh "$0" "$@"
fi

n=${1:-200}
url=https://bench.example
# 1536 random bytes are 2048 characters of base64.
token=$(head -c 1536 /dev/urandom | base64 -w0)
tools=(secret-tool)

printf '%s' "$token" | secret-tool store --label=x service bench account tok
[[ $(secret-tool lookup service bench account tok) == "$token" ]] ||
	{ echo "$prog: secret-tool lookup does not return the token" >&2; exit 1; }

if [[ ! -x bin/keyref ]]; then
	echo "$prog: no bin/keyref; skipping keyref" >&2
elif ! printf '%s' "$token" | bin/keyref set benchtok --url "$url/"; then
	echo "$prog: keyref set failed; skipping keyref" >&2
elif [[ $(bin/keyref get benchtok) != "$token" ]]; then
	echo "$prog: keyref get does not return the token; skipping keyref" >&2
else
	tools+=(keyref)
fi

docker_item=$(printf '{"ServerURL":"%s","Username":"u","Secret":"%s"}' "$url" "$token")
if ! command -v docker-credential-secretservice >/dev/null; then
	echo "$prog: no docker-credential-secretservice; skipping it" >&2
elif ! docker-credential-secretservice store <<<"$docker_item"; then
	echo "$prog: docker-credential-secretservice store failed; skipping it" >&2
elif [[ $(docker-credential-secretservice get <<<"$url") != *"\"$token\""* ]]; then
	echo "$prog: docker-credential-secretservice get does not return the token" >&2
else
	tools+=(docker)
fi

echo "$prog: $n interleaved pairs of secret-tool and each of: ${tools[*]:1}"
python3 - "$n" "$url" "${tools[@]}" <<'EOF'
import os, statistics, sys, tempfile, time

n, url, names = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
commands = {
    "secret-tool": (["secret-tool", "lookup", "service", "bench", "account", "tok"], None),
    "keyref": (["bin/keyref", "get", "benchtok"], None),
    "docker": (["docker-credential-secretservice", "get"], (url + "\n").encode()),
}
labels = {
    "secret-tool": "secret-tool lookup",
    "keyref": "keyref get",
    "docker": "docker-credential-secretservice get",
}


# Each tool's stdin is a file opened once, so that a run costs one
# posix_spawn and one wait: the harness adds as little as it can to the
# time of the process it measures.
devnull = os.open(os.devnull, os.O_WRONLY)
inputs = {}
for name, (_, data) in commands.items():
    f = tempfile.TemporaryFile()
    f.write(data or b"")
    inputs[name] = f


def run(name):
    argv, _ = commands[name]
    f = inputs[name]
    f.seek(0)
    actions = [(os.POSIX_SPAWN_DUP2, f.fileno(), 0), (os.POSIX_SPAWN_DUP2, devnull, 1)]
    start = time.perf_counter_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed")
    return elapsed


for name in names:  # warm the page cache and the daemon
    for _ in range(5):
        run(name)

# Each tool is timed in its own pairs with secret-tool, alternating which
# of the two goes first. A third tool in the same rounds would tax whoever
# follows it with the daemons' cleanup after it, and that tax weighs most
# on the fastest tool.
width = max(len(labels[name]) for name in names)


def line(name, t, base=None):
    p90 = statistics.quantiles(t, n=10)[-1]
    s = f"{labels[name]:<{width}}  median {statistics.median(t):7.2f} ms  p90 {p90:7.2f} ms"
    if base is not None:
        ratio = statistics.median(a / b for a, b in zip(t, base))
        s += f"  {ratio:.2f}x secret-tool lookup"
    return s


for name in names[1:] or names:
    pair = ["secret-tool", name] if name != "secret-tool" else [name]
    times = {tool: [] for tool in pair}
    for i in range(n):
        for tool in pair[i % 2:] + pair[: i % 2]:
            times[tool].append(run(tool))
    if name == "secret-tool":
        print(line(name, times[name]))
        continue
    print(line("secret-tool", times["secret-tool"]))
    print(line(name, times[name], times["secret-tool"]))
EOF
