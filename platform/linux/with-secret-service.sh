#!/usr/bin/env bash
# with-secret-service.sh runs one command inside a private D-Bus session bus
# that holds a new gnome-keyring, unlocked with a throwaway password:
#
#	platform/linux/with-secret-service.sh [--private-home] CMD [ARGS...]
#
# It is the Linux rig for keyref's real-keychain tests and benchmarks, and
# works headless (SSH, CI, containers). Each run gets its own temp dir, so
# runs in parallel do not meet. Both daemons are children of this script and
# are ended by PID when CMD exits or the script is interrupted; nothing is
# left running and the temp dir is removed.
#
# CMD sees DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR pointing at the
# private session, KEYREF_LOCK_DIR in the temp dir (so keyref's lock files
# and its keychain lock are the session's own, apart from your real ones),
# and keeps the caller's HOME (Go's caches live there);
# --private-home gives it the temp HOME too. Only the daemon's keyring data
# dir is always private, so the keyring is new and opens with no prompt.
#
# Exit status: CMD's own; 128+N if the script got signal N (which it passes
# on to CMD); 125 if the session could not be set up; 2 on a usage error.

# shellcheck disable=SC2317 # cleanup and forward are called from traps
set -euo pipefail

prog=${0##*/}
startup_timeout=10 # seconds; startup normally takes under 0.2

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 125
}

usage() {
	printf 'usage: %s [--private-home] CMD [ARGS...]\n' "$prog" >&2
	exit 2
}

# need_tools fails with the exact install command when a tool is missing.
need_tools() {
	local missing=() pair
	for pair in dbus-daemon:dbus-daemon dbus-send:dbus-bin \
		gnome-keyring-daemon:gnome-keyring; do
		command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
	done
	((${#missing[@]} == 0)) && return
	local sudo=sudo
	((EUID == 0)) && sudo=
	die "missing packages; install them with:" \
		"${sudo:+$sudo }apt-get install -y ${missing[*]}"
}

private_home=0
while (($#)); do
	case $1 in
	--private-home) private_home=1 ;;
	-h | --help) usage ;;
	--) shift && break ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
(($#)) || usage
need_tools

# A unix socket path must fit in 108 bytes; a long TMPDIR would not leave
# room for run/bus, so fall back to /tmp.
tmp_root=${TMPDIR:-/tmp}
((${#tmp_root} <= 60)) || tmp_root=/tmp
tmp='' bus_pid='' keyring_pid='' cmd_pid='' signal_rc=''

# Bash can lose a child's exit status, or hang in `wait`, when a trapped
# signal and the child's exit arrive together. So after any signal, and in
# cleanup, this script never calls wait: it polls until bash has reaped the
# process, which it does on its own when the child exits.

# await polls, for up to $1 hundredths of a second, until none of the
# given PIDs is alive; it fails if some still are.
await() {
	local n=$1 pid alive
	shift
	while ((n-- > 0)); do
		alive=0
		for pid; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		((alive)) || return 0
		sleep 0.01
	done
	return 1
}

# cleanup ends both daemons by PID, with KILL if TERM has not done it in
# 3s, and removes the temp dir. It runs once, on any exit.
cleanup() {
	trap - EXIT INT TERM HUP
	set +e
	local pid pids=()
	for pid in "$keyring_pid" "$bus_pid"; do
		[[ -n $pid ]] && pids+=("$pid")
	done
	if ((${#pids[@]})); then
		kill -TERM "${pids[@]}" 2>/dev/null
		await 300 "${pids[@]}" || kill -KILL "${pids[@]}" 2>/dev/null
		await 100 "${pids[@]}"
	fi
	[[ -z $tmp ]] || rm -rf "$tmp"
}
trap cleanup EXIT

# forward passes signal $1 (number $2) on to CMD, or ends the script when
# CMD has not started; a second signal kills CMD outright.
forward() {
	local sig=$1
	[[ -n $signal_rc ]] && sig=KILL
	signal_rc=${signal_rc:-$((128 + $2))}
	[[ -n $cmd_pid ]] || exit "$signal_rc"
	kill -s "$sig" "$cmd_pid" 2>/dev/null
	return 0
}
trap 'forward INT 2' INT
trap 'forward TERM 15' TERM
trap 'forward HUP 1' HUP

# show_log prints a daemon's log, for when it fails to start.
show_log() {
	[[ -s $1 ]] && sed 's/^/  | /' "$1" >&2
	return 0
}

tmp=$(mktemp -d "$tmp_root/keyref-ss.XXXXXX") || die "cannot create a temp dir"
mkdir -m 0700 "$tmp/run" "$tmp/home" "$tmp/data"

# The bus reads no service directories: a call that comes before the
# keyring owns its name fails at once, where the stock session config would
# activate a second daemon whose collection stays locked.
cat >"$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$tmp/run/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF

dbus-daemon --config-file="$tmp/bus.conf" --nofork --nosyslog \
	--print-address=3 3>"$tmp/bus.addr" </dev/null >"$tmp/bus.log" 2>&1 &
bus_pid=$!
deadline=$((SECONDS + startup_timeout))
until [[ -s $tmp/bus.addr ]]; do
	kill -0 "$bus_pid" 2>/dev/null || { show_log "$tmp/bus.log"; die "dbus-daemon exited"; }
	((SECONDS < deadline)) || die "dbus-daemon did not start in ${startup_timeout}s"
	sleep 0.01
done
read -r bus_addr <"$tmp/bus.addr"

export DBUS_SESSION_BUS_ADDRESS=$bus_addr XDG_RUNTIME_DIR=$tmp/run KEYREF_LOCK_DIR=$tmp/locks
unset DBUS_SESSION_BUS_PID DBUS_STARTER_ADDRESS DBUS_STARTER_BUS_TYPE \
	GNOME_KEYRING_CONTROL

# --unlock reads the password on stdin and, the data dir being empty,
# creates the login collection with it, unlocked.
password=$(head -c 18 /dev/urandom | base64)
printf '%s' "$password" |
	HOME=$tmp/home XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/home/.config \
		XDG_CACHE_HOME=$tmp/home/.cache \
		gnome-keyring-daemon --foreground --unlock --components=secrets \
		>"$tmp/keyring.log" 2>&1 &
keyring_pid=$!
unset password

# has_secrets reports whether the keyring has taken its bus name yet;
# the daemon starts before it does.
has_secrets() {
	dbus-send --session --print-reply --dest=org.freedesktop.DBus \
		/org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
		string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
until has_secrets; do
	kill -0 "$keyring_pid" 2>/dev/null ||
		{ show_log "$tmp/keyring.log"; die "gnome-keyring-daemon exited"; }
	((SECONDS < deadline)) || die "gnome-keyring-daemon did not start in ${startup_timeout}s"
	sleep 0.01
done

locked=$(dbus-send --session --print-reply --dest=org.freedesktop.secrets \
	/org/freedesktop/secrets/collection/login org.freedesktop.DBus.Properties.Get \
	string:org.freedesktop.Secret.Collection string:Locked 2>&1) ||
	{ show_log "$tmp/keyring.log"; die "no login collection: $locked"; }
[[ $locked == *'boolean false'* ]] || die "the login collection is locked"

((private_home)) && export HOME=$tmp/home

# CMD runs in the background so that signals reach the traps above at once;
# the subshell undoes bash's ignoring of INT and QUIT in background jobs and
# hands CMD the script's own stdin.
(
	trap - INT QUIT
	exec "$@"
) <&0 &
cmd_pid=$!

set +e
wait "$cmd_pid"
rc=$?
if [[ -n $signal_rc ]]; then
	until await 100 "$cmd_pid"; do :; done
	rc=$signal_rc
fi
exit "$rc"
