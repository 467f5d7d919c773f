#!/bin/bash
# SPDX-License-Identifier: MIT
# lib.sh: sourced by the shell's integration tests. Starts a private
# cairn-mgd under a temporary root and cleans everything up on exit.
#
#   CAIRN_BUILD   the build directory (bin/cairn, bin/cairn-mgd, share/)
#   T             the instance root (created here)
#
# Helpers: start_mgd, stop_mgd, cairn [ARGS] (the shell on this instance),
# normalize (timestamps and pids out of a transcript), wait_for.
set -euo pipefail

: "${CAIRN_BUILD:?CAIRN_BUILD must name the build directory}"
BIN=$CAIRN_BUILD/bin
export CAIRN_YANG_DIR=${CAIRN_YANG_DIR:-$CAIRN_BUILD/share/cairn/yang}
export TZ=UTC
export LC_ALL=C.UTF-8
T=$(mktemp -d /tmp/cairn-cli.XXXXXX)
chmod 755 "$T"
MGD_PID=
CLEANUP_HOOKS=()

cleanup() {
	local rc=$? h
	for h in "${CLEANUP_HOOKS[@]}"; do
		$h || true
	done
	stop_mgd
	if [ "$rc" -ne 0 ] && [ -f "$T/mgd.log" ]; then
		echo "--- mgd log (last 30 lines) ---" >&2
		tail -n 30 "$T/mgd.log" >&2 || true
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 20; i++)); do
		if "$@"; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

start_mgd() {
	"$BIN/cairn-mgd" --root "$T" "$@" >>"$T/mgd.log" 2>&1 &
	MGD_PID=$!
	if ! wait_for 60 test -S "$T/run/cairn/mgd.sock"; then
		echo "cairn-mgd did not start" >&2
		return 1
	fi
}

# gone PID: the process has exited (a zombie awaiting wait counts as gone).
gone() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
	[[ $st == Z* ]]
}

stop_mgd() {
	if [ -n "$MGD_PID" ]; then
		kill "$MGD_PID" 2>/dev/null || true
		# a daemon stuck in a loop never sees SIGTERM: force it after 10 s
		if ! wait_for 10 gone "$MGD_PID"; then
			echo "cairn-mgd ignored SIGTERM; killing it" >&2
			kill -9 "$MGD_PID" 2>/dev/null || true
		fi
		wait "$MGD_PID" 2>/dev/null || true
		MGD_PID=
	fi
}

cairn() {
	"$BIN/cairn" --root "$T" "$@"
}

# Timestamps, times of day, pids and minute counts vary from run to run.
# show version: the project's version (CMake's, from the build's cache)
# and this kernel become <VERSION> and <KERNEL>, so a transcript checks that
# the shell prints exactly those.
PROJECT_VERSION=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$CAIRN_BUILD/CMakeCache.txt" 2>/dev/null || true)
KERNEL="$(uname -s) $(uname -r) $(uname -m)"
_re_quote() { printf '%s' "$1" | sed -e 's:[][\\.*^$/+?(){}|#]:\\&:g'; }
normalize() {
	local v k
	v=$(_re_quote "${PROJECT_VERSION:-no-version}")
	k=$(_re_quote "$KERNEL")
	sed -E \
	    -e "s#^(Cairn|cairn-mgd|cairn-iked) version $v\$#\\1 version <VERSION>#" \
	    -e "s#^Kernel: $k\$#Kernel: <KERNEL>#" \
	    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [A-Z]+/<TIME>/g' \
	    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})/<TIME>/g' \
	    -e 's/^[0-9]{2}:[0-9]{2}:[0-9]{2} -- /<HMS> -- /' \
	    -e 's/\(pid [0-9]+\)/(pid <PID>)/g' \
	    -e 's/rollback in [0-9]+mins/rollback in <N>mins/g' \
	    -e 's/"\$9\$[^"]*"/"$9$<SECRET>"/g' \
	    -e "s#$T#<ROOT>#g"
}

# --- terminals through tmux ------------------------------------------------
# tm_start NAME COMMAND...: a detached 120x40 tmux session running COMMAND
# on a real pseudo-terminal. tm_send NAME KEYS...: tmux send-keys (Tab,
# Enter, C-c, C-d, Space, Up ...). tm_screen NAME: the screen and its
# scroll-back as text. tm_wait NAME REGEX: until the screen matches.
TM_SOCK=$T/tmux.sock

tm() {
	tmux -S "$TM_SOCK" "$@"
}

tm_cleanup() {
	tm kill-server 2>/dev/null || true
}
CLEANUP_HOOKS+=(tm_cleanup)

tm_start() {
	local name=$1
	shift
	tm -f /dev/null new-session -d -s "$name" -x 120 -y 40 \
	    "env TERM=xterm TZ=UTC CAIRN_YANG_DIR=$CAIRN_YANG_DIR $*; echo \"[exited \$?]\"; sleep 600"
	tm set-option -t "$name" history-limit 5000 >/dev/null
}

tm_send() {
	local name=$1
	shift
	tm send-keys -t "$name" "$@"
}

# Literal text (no key names)
tm_type() {
	tm send-keys -t "$1" -l "$2"
}

tm_screen() {
	tm capture-pane -p -N -t "$1" -S -5000
}

tm_wait() {
	local name=$1 re=$2 secs=${3:-30}
	if ! wait_for "$secs" tm_match "$name" "$re"; then
		echo "timeout waiting for /$re/ on $name; the screen:" >&2
		tm_screen "$name" | sed -e '/^$/d' | tail -n 40 >&2
		return 1
	fi
}

tm_match() {
	tm_screen "$1" | grep -Eq -- "$2"
}

# The last non-empty line of the screen (where the cursor line is).
tm_lastline() {
	tm capture-pane -p -N -t "$1" | sed -e '/^$/d' | tail -n 1
}

# Clears the screen and scroll-back, so later waits see only new output.
tm_clear() {
	tm clear-history -t "$1"
	tm send-keys -t "$1" C-l 2>/dev/null || true
}

# The text before the cursor on the cursor's line: exactly what readline
# shows as typed so far (trailing blanks count, stale cells after the
# cursor do not).
tm_input() {
	local x y
	x=$(tm display-message -p -t "$1" '#{cursor_x}')
	y=$(tm display-message -p -t "$1" '#{cursor_y}')
	[ "$x" -gt 0 ] || return 0
	tm capture-pane -p -N -t "$1" -S "$y" -E "$y" | head -n 1 | cut -c "1-$x"
}

tm_input_is() {
	[ "$(tm_input "$1")" = "$2" ]
}

# tm_wait_input NAME TEXT: until the text before the cursor is TEXT.
tm_wait_input() {
	local name=$1 want=$2 secs=${3:-30}
	if ! wait_for "$secs" tm_input_is "$name" "$want"; then
		echo "timeout waiting for the input line [$want]; it is [$(tm_input "$name")]" >&2
		tm_screen "$name" | sed -e '/^$/d' | tail -n 20 >&2
		return 1
	fi
}
