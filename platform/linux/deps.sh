#!/usr/bin/env bash
# deps.sh installs the Debian packages keyref's tests and benchmarks need,
# and does nothing (quickly, without touching apt) when all are present:
#
#	gnome-keyring, dbus-daemon, dbus-bin  the Secret Service rig
#	libsecret-tools                       secret-tool, to check and compare
#	golang-docker-credential-helpers     docker-credential-secretservice,
#	                                      a baseline for benchmarks
#	git                                   end-to-end credential helper tests
#	nodejs, npm                           the independent MCP client tests,
#	                                      only when node is not on PATH
#
# It runs apt-get as root, or through non-interactive sudo; when it can do
# neither it prints the command to run and fails.
set -euo pipefail

prog=${0##*/}

command -v dpkg-query >/dev/null || {
	printf '%s: no dpkg-query; this script knows Debian and Ubuntu only\n' "$prog" >&2
	exit 1
}

packages=(gnome-keyring dbus-daemon dbus-bin libsecret-tools git
	golang-docker-credential-helpers)
# A node from elsewhere (nvm, nodesource) is fine as it is.
command -v node >/dev/null || packages+=(nodejs npm)

# installed reports whether dpkg knows package $1 as installed.
installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

missing=()
for pkg in "${packages[@]}"; do
	installed "$pkg" || missing+=("$pkg")
done
((${#missing[@]})) || exit 0

install=(apt-get install -y "${missing[@]}")
if ((EUID == 0)); then
	sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
	sudo=(sudo -n)
else
	printf '%s: missing packages: %s\n' "$prog" "${missing[*]}" >&2
	printf '%s: cannot install them without root; run:\n  sudo apt-get update && sudo %s\n' \
		"$prog" "${install[*]}" >&2
	exit 1
fi

printf '%s: installing %s\n' "$prog" "${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q >&2
"${sudo[@]}" "${install[@]}" >&2
