#!/bin/bash
# SPDX-License-Identifier: MIT
# demo.sh: the lab behind `make demo` (docs/demo.md).
#
# Builds a small network of Cairn appliances in network namespaces, each
# appliance running cairn-mgd and cairn-iked with the userspace dataplane,
# a host behind each, configures a route-based VPN through the shell with
# Junos `set` lines (shown as they are applied), waits for the tunnels,
# pings across them, and then
#   - on a terminal: drops the user into site-a's shell (root@site-a>);
#     leaving it tears the lab down;
#   - otherwise: prints a scripted tour (show commands with their real
#     output), tears the lab down and exits 0.
#
#   --sites 2   site-a <=> site-b (site to site)
#   --sites N   site-a is a hub (multipoint st0.0, next-hop-tunnel bindings),
#               site-b ... are spokes; spoke-to-spoke traffic goes through it
#
#                    WAN 192.0.2.0/24 (namespace NAME-wan, bridge br0)
#           +----------------+----------------+
#      site-a 192.0.2.1  site-b 192.0.2.2  site-c 192.0.2.3 ...  (NAME-site-X)
#           |                |                |
#      host-a 10.1.0.2   host-b 10.2.0.2   host-c 10.3.0.2   ...  (NAME-host-X)
#      st0.0: 10.255.0.1      10.255.0.2       10.255.0.3
#
# Everything it creates is inside its namespaces (veths are created there,
# never in the caller's namespace) or in its temporary directory, and is
# removed on every way out: the shell's exit, Ctrl-C, SIGTERM, SIGHUP, an
# error in this script. A lab whose script was killed (-9) is found by its
# state directory ($STATE_ROOT/NAME) and cleaned up by the next run, or by
# --stop. Run as root, from any directory.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@" # started as `sh demo.sh`
fi
set -Eeuo pipefail
shopt -s nullglob

SELF=$(readlink -f "${BASH_SOURCE[0]}")
SRC=$(cd "$(dirname "$SELF")/../.." && pwd)
STATE_ROOT=/run/cairn-demo

BUILD=$SRC/build
SITES=2
NAME=cairn-demo
MODE=auto        # auto | interactive | tour
ACTION=run       # run | attach | stop
HOLD=0
PACE=            # seconds between shown set lines (default: 0.02 on a terminal)
DEADLINE=90      # seconds for each tunnel to come up (a loaded machine is slow)

usage() {
	cat <<EOF
usage: demo.sh [--build DIR] [--sites N] [--tour | --interactive] [--hold] [--pace S]
       demo.sh --attach NODE [COMMAND...]     (NODE: site-a, site-b, host-a, ...)
       demo.sh --stop
Each takes --name NAME first (default cairn-demo: labs of different names
run side by side).

Starts the demo lab: N sites (default 2; 3 or more make site-a a hub), each an
appliance (cairn-mgd + cairn-iked, userspace dataplane) with a host behind it,
a VPN configured through the shell, the tunnels up, a ping across them. On a
terminal you land in site-a's shell; exiting it stops the lab. Otherwise a
scripted tour is printed and the lab is stopped (--hold keeps it until
--stop or SIGTERM).

  --attach site-X [CMD]   site-X's shell (or run CMD in it) in a running lab
  --attach host-X [CMD]   a shell (or CMD) on host-X in a running lab
  --stop                  stop a running lab (or clean up one left behind)
EOF
}

# ---------------------------------------------------------------- output

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]; then
	C_B=$'\e[1m' C_D=$'\e[2m' C_G=$'\e[32m' C_C=$'\e[36m' C_R=$'\e[31m' C_0=$'\e[0m'
else
	C_B='' C_D='' C_G='' C_C='' C_R='' C_0=''
fi
case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in
*UTF-8* | *utf8* | *UTF8* | *utf-8*) U=1 ;;
*) U=0 ;;
esac
if [ $U = 1 ]; then
	S_RULE='━' S_OK='✓' S_ARROW='→' S_BOTH='⇄' S_STEP='▸'
else
	S_RULE='=' S_OK='ok' S_ARROW='->' S_BOTH='<->' S_STEP='>'
fi

say() { printf '%s\n' "$*"; }
err() { printf '%sdemo.sh: %s%s\n' "$C_R" "$*" "$C_0" >&2; }
die() {
	err "$*"
	exit 1
}

# header TITLE: a rule with a title, 78 columns
header() {
	local t=" $1 " n
	n=$((74 - ${#t}))
	[ $n -gt 2 ] || n=2
	printf '\n%s%s%s%s%s%s\n' "$C_B" "$S_RULE$S_RULE" "$t" \
		"$(printf "%${n}s" '' | sed "s/ /$S_RULE/g")" "$C_0" ""
}

# ------------------------------------------------------------ arguments

ATTACH_NODE=
ATTACH_CMD=()
while [ $# -gt 0 ]; do
	case $1 in
	--build)
		[ $# -ge 2 ] || die "--build needs a directory"
		BUILD=$2
		shift 2
		;;
	--sites)
		[ $# -ge 2 ] || die "--sites needs a number"
		SITES=$2
		shift 2
		;;
	--name)
		[ $# -ge 2 ] || die "--name needs a name"
		NAME=$2
		shift 2
		;;
	--tour) MODE=tour; shift ;;
	--interactive) MODE=interactive; shift ;;
	--hold) HOLD=1; shift ;;
	--pace)
		[ $# -ge 2 ] || die "--pace needs seconds"
		PACE=$2
		shift 2
		;;
	--attach)
		[ $# -ge 2 ] || die "--attach needs a node (site-a, host-b, ...)"
		ACTION=attach
		ATTACH_NODE=$2
		shift 2
		ATTACH_CMD=("$@")
		break
		;;
	--stop) ACTION=stop; shift ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done

[[ $NAME =~ ^[a-z][a-z0-9-]{0,23}$ ]] ||
	die "--name: 1 to 24 characters a-z, 0-9, '-', starting with a letter (got '$NAME')"
[[ $SITES =~ ^[0-9]+$ ]] && [ "$SITES" -ge 2 ] && [ "$SITES" -le 9 ] ||
	die "--sites (SITES=): a number from 2 to 9 (got '$SITES')"
SITES=$((10#$SITES))
[[ -z $PACE || $PACE =~ ^[0-9]*\.?[0-9]+$ ]] || die "--pace: seconds (got '$PACE')"
case $BUILD in
/*) ;;
*) BUILD=$PWD/$BUILD ;;
esac
BIN=$BUILD/bin
STATE=$STATE_ROOT/$NAME
LETTERS=(x a b c d e f g h i)
NS_WAN=$NAME-wan
ns_site() { echo "$NAME-site-${LETTERS[$1]}"; }
ns_host() { echo "$NAME-host-${LETTERS[$1]}"; }

# ---------------------------------------------------------- preflight

[ "$(id -u)" -eq 0 ] ||
	die "must run as root (it creates network namespaces and TUN devices): sudo make demo"
for t in ip ping setsid sysctl; do
	command -v "$t" >/dev/null 2>&1 ||
		die "'$t' is missing: install the dependencies with packaging/install-deps.sh (make demo does)"
done

# ------------------------------------------------------ the state directory
#
# $STATE/pid    the script that owns the lab
# $STATE/start  its start time (a pid alone may be reused)
# $STATE/lab    its temporary directory (instance roots and logs)
# $STATE/bin    the binaries it runs
# $STATE/sites  the number of sites
# $STATE/shell  the pid of the interactive shell, while there is one

# running PID: the process exists and is not a zombie (an orphan waits for
# its reaper)
running() {
	[ -r "/proc/$1/stat" ] && ! grep -q "^[0-9]* (.*) Z " "/proc/$1/stat" 2>/dev/null
}

# proc_start PID: the process's start time (clock ticks since boot, field
# 22 of /proc/PID/stat): with the pid, it names one process for good
proc_start() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	set -- $s
	echo "${20}"
}

# owner_alive DIR: the script recorded in DIR (pid and start time) runs
owner_alive() {
	local p st
	p=$(cat "$1/pid" 2>/dev/null) || return 1
	st=$(cat "$1/start" 2>/dev/null) || return 1
	[[ $p =~ ^[0-9]+$ ]] || return 1
	running "$p" && [ "$(proc_start "$p")" = "$st" ]
}

# our_namespaces: every namespace of lab NAME that exists
our_namespaces() {
	ip netns list 2>/dev/null | awk '{ print $1 }' |
		grep -E "^$NAME-(wan|(site|host)-[a-i])\$" || true
}

# kill_namespace_procs NS...: SIGTERM, a grace period, then SIGKILL to every
# process in the namespaces (all of them were started by a lab)
kill_namespace_procs() {
	local ns p left i
	for ns in "$@"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	done
	for ((i = 0; i < 10; i++)); do
		left=
		for ns in "$@"; do left=$left$(ip netns pids "$ns" 2>/dev/null); done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	for ns in "$@"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	done
	sleep 0.2
}

# safe_lab_dir PATH: PATH is a temporary directory of this lab
safe_lab_dir() {
	case $1 in
	/*/"$NAME".??????) [ -d "$1" ] && [ ! -L "$1" ] ;;
	*) return 1 ;;
	esac
}

# cleanup_stale DIR: remove what a lab whose script died left behind
# (DIR: its state directory, already renamed out of the way, or empty)
cleanup_stale() {
	local dir=$1 lab ns
	mapfile -t nss < <(our_namespaces)
	if [ ${#nss[@]} -gt 0 ]; then
		say "  stopping what runs in ${nss[*]}"
		kill_namespace_procs "${nss[@]}"
		for ns in "${nss[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	fi
	if [ -n "$dir" ]; then
		lab=$(cat "$dir/lab" 2>/dev/null || true)
		if [ -n "$lab" ] && safe_lab_dir "$lab"; then
			say "  removing $lab"
			rm -rf "$lab"
		fi
		rm -rf "$dir"
	fi
}

# claim_state: the lab's state directory, atomically (rename of a fresh
# directory holding our pid); a lab still running makes us refuse, one
# left behind by a killed script is cleaned up first
claim_state() {
	local new tries=0 stale
	while :; do
		tries=$((tries + 1))
		[ $tries -le 5 ] || die "cannot claim $STATE"
		# (another lab's teardown may remove an empty $STATE_ROOT meanwhile)
		mkdir -p -m 755 "$STATE_ROOT" 2>/dev/null || true
		new=$(mktemp -d "$STATE_ROOT/.new.XXXXXX" 2>/dev/null) || continue
		echo $$ >"$new/pid"
		proc_start $$ >"$new/start"
		echo "$SITES" >"$new/sites"
		echo "$BIN" >"$new/bin"
		if mv -T "$new" "$STATE" 2>/dev/null; then
			OWNED=1
			break
		fi
		rm -rf "$new"
		if owner_alive "$STATE"; then
			err "a demo lab '$NAME' is already running (demo.sh pid $(cat "$STATE/pid"))."
			err "Leave its shell (exit), or stop it with: $SELF --stop${NAME_OPT}"
			exit 1
		fi
		stale=$STATE_ROOT/.stale.$$
		if mv -T "$STATE" "$stale" 2>/dev/null; then
			say "A previous demo lab '$NAME' was left behind (its script is gone): cleaning it up."
			cleanup_stale "$stale"
		fi
	done
	if [ -n "$(our_namespaces)" ]; then
		say "Namespaces of a previous demo lab '$NAME' were left behind: cleaning them up."
		cleanup_stale ""
	fi
}

NAME_OPT=
[ "$NAME" = cairn-demo ] || NAME_OPT=" --name $NAME"

# ------------------------------------------------------ --attach / --stop

if [ "$ACTION" = attach ]; then
	[ -d "$STATE" ] && owner_alive "$STATE" ||
		die "no demo lab '$NAME' is running (start one with: make demo)"
	lab=$(cat "$STATE/lab")
	abin=$(cat "$STATE/bin")
	[[ $ATTACH_NODE =~ ^(site|host)-([a-i])$ ]] || die "--attach: site-a, site-b, ..., host-a, ... (got '$ATTACH_NODE')"
	kind=${BASH_REMATCH[1]}
	ns=$NAME-$ATTACH_NODE
	ip netns list | awk -v ns="$ns" '$1 == ns { f = 1 } END { exit !f }' ||
		die "lab '$NAME' has no $ATTACH_NODE"
	if [ "$kind" = site ]; then
		# in the site's namespace, so the lab's teardown ends it too
		if [ ${#ATTACH_CMD[@]} -gt 0 ]; then
			exec ip netns exec "$ns" "$abin/cairn" --root "$lab/$ATTACH_NODE" -c "${ATTACH_CMD[*]}"
		fi
		exec ip netns exec "$ns" "$abin/cairn" --root "$lab/$ATTACH_NODE"
	fi
	if [ ${#ATTACH_CMD[@]} -gt 0 ]; then
		exec ip netns exec "$ns" "${ATTACH_CMD[@]}"
	fi
	exec ip netns exec "$ns" env PS1="root@$ATTACH_NODE:\\w# " bash --norc -i
fi

if [ "$ACTION" = stop ]; then
	if [ -d "$STATE" ] && owner_alive "$STATE"; then
		p=$(cat "$STATE/pid")
		sh=$(cat "$STATE/shell" 2>/dev/null || true)
		say "Stopping demo lab '$NAME' (demo.sh pid $p)"
		if [ -n "$sh" ] && kill -0 "$sh" 2>/dev/null; then
			# the interactive shell: leaving it is the normal way out
			kill -TERM "$sh" 2>/dev/null || true
		else
			kill -TERM "$p" 2>/dev/null || true
		fi
		for ((i = 0; i < 300; i++)); do
			running "$p" || break
			sleep 0.1
		done
		! running "$p" || die "demo.sh (pid $p) did not stop within 30 s"
		say "Stopped."
		exit 0
	fi
	stale=$STATE_ROOT/.stale.$$
	if [ -d "$STATE" ] && mv -T "$STATE" "$stale" 2>/dev/null; then
		say "Cleaning up demo lab '$NAME' (its script is gone)"
		cleanup_stale "$stale"
	elif [ -n "$(our_namespaces)" ]; then
		say "Cleaning up the namespaces of demo lab '$NAME'"
		cleanup_stale ""
	else
		say "No demo lab '$NAME' is running."
	fi
	rmdir "$STATE_ROOT" 2>/dev/null || true
	exit 0
fi

# -------------------------------------------------------- run: checks

for b in cairn cairn-mgd cairn-iked cairn-rpc; do
	[ -x "$BIN/$b" ] || die "$BIN/$b is not built: run 'make demo' from the source tree (it builds first), or pass --build DIR"
done
[ -d "$BUILD/share/cairn/yang" ] || die "$BUILD/share/cairn/yang is missing: the build is incomplete (run make)"
[ -c /dev/net/tun ] ||
	die "/dev/net/tun is missing: the userspace dataplane needs TUN devices (in a container: --device /dev/net/tun, or modprobe tun)"
{ : <>/dev/net/tun; } 2>/dev/null ||
	die "/dev/net/tun cannot be opened: the userspace dataplane needs TUN devices"

if [ "$MODE" = auto ]; then
	if [ -t 0 ] && [ -t 1 ]; then MODE=interactive; else MODE=tour; fi
fi
if [ "$MODE" = interactive ] && ! { [ -t 0 ] && [ -t 1 ]; }; then
	die "--interactive needs a terminal on standard input and output"
fi
[ "$MODE" = tour ] || HOLD=0
[ -n "$PACE" ] || { [ "$MODE" = interactive ] && PACE=0.02 || PACE=0; }

# ----------------------------------------------------- teardown and traps

LAB=
PIDS=()      # "pid role site" of every daemon, in start order
TORN=0
SANITIZER_REPORT=0
OWNED=0      # 1 once $STATE is ours: teardown touches nothing before
HOLDING=0
RC_SIGNAL=

teardown() {
	local rc=$1 i p role s left=0 ns
	[ $TORN = 1 ] && return 0
	[ $OWNED = 1 ] || return 0
	TORN=1
	trap - ERR
	trap '' INT TERM HUP QUIT PIPE
	set +e
	if [ ${#PIDS[@]} -gt 0 ] || [ -n "$LAB" ]; then
		header "Stopping the lab"
	fi
	# the daemons' last words, when something failed (not on a signal)
	if [ $rc -ne 0 ] && [ -z "$RC_SIGNAL" ] && [ -n "$LAB" ] && [ -d "$LAB" ]; then
		for f in "$LAB"/site-?/*.log; do
			say "--- last lines of ${f#"$LAB"/}"
			tail -n 15 "$f"
		done
	fi
	# helpers (the --hold sleep) at once
	for ent in "${PIDS[@]}"; do
		set -- $ent
		case $2 in
		iked | mgd) ;;
		*)
			kill -9 "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			;;
		esac
	done
	# cairn-iked first (it sends DELETEs to its peers and removes its st0
	# units), all sites at once, then cairn-mgd
	for role in iked mgd; do
		local pl=()
		for ent in "${PIDS[@]}"; do
			set -- $ent
			[ "$2" = $role ] || continue
			kill -TERM "$1" 2>/dev/null && pl+=("$1")
		done
		[ ${#pl[@]} -gt 0 ] || continue
		for ((i = 0; i < 100; i++)); do
			left=0
			for p in "${pl[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
			[ $left = 0 ] && break
			sleep 0.05
		done
		for p in "${pl[@]}"; do
			kill -9 "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		done
		say "  cairn-$role stopped on every site"
	done
	mapfile -t nss < <(our_namespaces)
	if [ ${#nss[@]} -gt 0 ]; then
		kill_namespace_procs "${nss[@]}"
		for ns in "${nss[@]}"; do ip netns del "$ns" 2>/dev/null; done
		say "  namespaces removed: ${nss[*]}"
	fi
	# a sanitizer build (make demo SANITIZE=1, its ctest) fails on any report
	if [ -n "$LAB" ] && grep -lE "Sanitizer|runtime error:" "$LAB"/site-?/*.log >/dev/null 2>&1; then
		err "a sanitizer report from a daemon:"
		grep -hE -A25 "Sanitizer|runtime error:" "$LAB"/site-?/*.log | head -n 80 >&2
		SANITIZER_REPORT=1
	fi
	if [ -n "$LAB" ] && safe_lab_dir "$LAB"; then
		rm -rf "$LAB"
		say "  $LAB removed"
	fi
	# only our own state: a newer lab may have claimed the name after a stop
	if [ -f "$STATE/pid" ] && [ "$(cat "$STATE/pid" 2>/dev/null)" = $$ ]; then
		rm -rf "$STATE"
	fi
	rmdir "$STATE_ROOT" 2>/dev/null
	# check: nothing of ours is left
	left=
	[ -z "$(our_namespaces)" ] || left="$left namespaces($(our_namespaces | tr '\n' ' '))"
	if [ -n "$LAB" ]; then
		[ ! -e "$LAB" ] || left="$left $LAB"
		# one grep over every command line (a process per /proc entry is
		# slow); "[/]tmp/..." does not match grep's own command line
		for p in $(grep -l -- "[/]${LAB#/}/" /proc/[0-9]*/cmdline 2>/dev/null); do
			p=${p#/proc/}
			left="$left process(${p%/cmdline})"
		done
	fi
	if [ -n "$left" ]; then
		err "left behind:$left"
		return 1
	fi
	[ $SANITIZER_REPORT = 0 ] || return 1
	if [ -n "$LAB" ]; then
		say "  ${C_G}${S_OK}${C_0} nothing left behind (namespaces, processes, veths, TUN devices, routes, files)"
	fi
	return 0
}

on_exit() {
	local rc=$?
	[ -z "$RC_SIGNAL" ] || rc=$RC_SIGNAL
	if ! teardown $rc; then
		[ $rc -ne 0 ] || rc=1
	fi
	exit $rc
}

on_signal() {
	local sig=$1 code=$2
	# nobody reads our output any more: stop writing it
	[ "$sig" != PIPE ] || exec >/dev/null
	if [ $HOLDING = 1 ] && [ "$sig" != HUP ]; then
		RC_SIGNAL=0
	else
		printf '\n' >&2
		err "interrupted (SIG$sig): stopping the lab"
		RC_SIGNAL=$code
	fi
	exit "$RC_SIGNAL"
}

on_err() {
	local rc=$1 line=$2 cmd=$3
	err "failed (status $rc) at line $line: $cmd"
}

trap on_exit EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP
trap 'on_signal QUIT 131' QUIT
trap 'on_signal PIPE 141' PIPE
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

claim_state

# -------------------------------------------------------- the network

TOPO=site-to-site
[ "$SITES" -eq 2 ] || TOPO=hub-and-spoke

LAB=$(mktemp -d "${TMPDIR:-/tmp}/$NAME.XXXXXX")
chmod 755 "$LAB"
# a UNIX socket path has 107 bytes: LAB/site-a/run/cairn/mgd.sock must fit
[ $((${#LAB} + 28)) -le 107 ] || die "the temporary directory's path is too long for the daemons' sockets: $LAB (set TMPDIR=/tmp)"
echo "$LAB" >"$STATE/lab"

ns_add() {
	local out
	out=$(ip netns add "$1" 2>&1) ||
		die "cannot create network namespace $1: $out (the demo needs root with CAP_SYS_ADMIN and a kernel with network namespaces)"
}

site_name() { echo "site-${LETTERS[$1]}"; }
host_name() { echo "host-${LETTERS[$1]}"; }

if [ "$TOPO" = site-to-site ]; then
	TITLE="Cairn demo: two sites, a route-based IPsec VPN between them"
else
	TITLE="Cairn demo: hub (site-a) and $((SITES - 1)) spokes, route-based VPNs on a multipoint st0"
fi
header "$TITLE"
say "Lab '$NAME' in $LAB; every node is a network namespace:"
for ((i = 1; i <= SITES; i++)); do
	role=appliance
	[ "$TOPO" = hub-and-spoke ] && { [ $i = 1 ] && role="appliance, hub" || role="appliance, spoke"; }
	printf '  %-8s %-20s WAN 192.0.2.%d/24, LAN 10.%d.0.1/24 (%s)\n' \
		"$(site_name $i)" "$(ns_site $i)" $i $i "$role"
	printf '  %-8s %-20s 10.%d.0.2/24 behind %s\n' "$(host_name $i)" "$(ns_host $i)" $i "$(site_name $i)"
done

ns_add "$NS_WAN"
ip -n "$NS_WAN" link set lo up
ip -n "$NS_WAN" link add br0 type bridge
ip -n "$NS_WAN" link set br0 up
for ((i = 1; i <= SITES; i++)); do
	s=$(ns_site $i)
	h=$(ns_host $i)
	ns_add "$s"
	ns_add "$h"
	ip -n "$s" link set lo up
	ip -n "$h" link set lo up
	# veths are created inside the namespaces: nothing appears in ours
	ip link add wan0 netns "$s" type veth peer name "$(site_name $i)" netns "$NS_WAN"
	ip -n "$NS_WAN" link set "$(site_name $i)" master br0 up
	ip -n "$s" addr add "192.0.2.$i/24" dev wan0
	ip -n "$s" link set wan0 up
	ip link add lan0 netns "$s" type veth peer name eth0 netns "$h"
	ip -n "$s" addr add "10.$i.0.1/24" dev lan0
	ip -n "$s" link set lan0 up
	ip -n "$h" addr add "10.$i.0.2/24" dev eth0
	ip -n "$h" link set eth0 up
	ip -n "$h" route add default via "10.$i.0.1"
	ip netns exec "$s" sysctl -qw net.ipv4.ip_forward=1
	mkdir -p "$LAB/$(site_name $i)"
done

# ------------------------------------------------------- the appliances

rpc() {
	local i=$1
	shift
	"$BIN/cairn-rpc" --root "$LAB/$(site_name "$i")" --timeout 10 "$@"
}

# wait_until SECS CMD...: polls CMD (quietly) until it succeeds
wait_until() {
	local secs=$1 end
	shift
	end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

mgd_ready() { "$BIN/cairn-rpc" --root "$LAB/$(site_name "$1")" --timeout 2 >/dev/null 2>&1; }
iked_ready() { rpc "$1" '{"cairn-security-state:get-ipsec-inactive-tunnels":{}}'; }

# start_daemon SITE ROLE: cairn-ROLE in the site's namespace, in its own
# session (terminal signals are for the shell; the lab stops its daemons
# itself, in order)
start_daemon() {
	local i=$1 role=$2 sn
	sn=$(site_name "$i")
	ip netns exec "$(ns_site "$i")" setsid "$BIN/cairn-$role" --root "$LAB/$sn" \
		</dev/null >>"$LAB/$sn/$role.log" 2>&1 &
	PIDS+=("$! $role $i")
}

# daemon_ready SITE ROLE: polls until the daemon answers (60 s); fails at
# once, with its log, if it exited
daemon_ready() {
	local i=$1 role=$2 pid= ent end sn
	sn=$(site_name "$i")
	for ent in "${PIDS[@]}"; do
		set -- $ent
		[ "$2" = "$role" ] && [ "$3" = "$i" ] && pid=$1
	done
	end=$((SECONDS + 60))
	until "${role}_ready" "$i" >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$LAB/$sn/$role.log" >&2
			die "cairn-$role exited on $sn (above, the end of its log)"
		fi
		[ $SECONDS -lt $end ] || die "cairn-$role did not answer within 60 s on $sn (log: $LAB/$sn/$role.log)"
		sleep 0.1
	done
}

header "Starting the appliances"
for ((i = 1; i <= SITES; i++)); do start_daemon $i mgd; done
for ((i = 1; i <= SITES; i++)); do daemon_ready $i mgd; done
for ((i = 1; i <= SITES; i++)); do start_daemon $i iked; done
for ((i = 1; i <= SITES; i++)); do
	daemon_ready $i iked
	say "  $(site_name $i): cairn-mgd and cairn-iked running (instance root $LAB/$(site_name $i))"
done

# ----------------------------------------------------- the configuration

PSK=cairn-demo-key

# peers_of SITE: the sites it has a VPN with
peers_of() {
	local i=$1 j
	if [ "$TOPO" = site-to-site ]; then
		[ "$i" = 1 ] && echo 2 || echo 1
	elif [ "$i" = 1 ]; then
		for ((j = 2; j <= SITES; j++)); do echo $j; done
	else
		echo 1
	fi
}

STEPS=4
step_title() {
	local i=$1 step=$2 p
	p=$(peers_of "$i" | while read -r j; do site_name "$j"; done | paste -sd, | sed 's/,/, /g')
	case $step in
	1) echo "System: host name; the userspace dataplane with 2 SPUs" ;;
	2)
		if [ "$TOPO" = hub-and-spoke ] && [ "$i" = 1 ]; then
			echo "Tunnel interface st0.0, multipoint; each spoke's LAN via its st0 address"
		elif [ "$TOPO" = hub-and-spoke ]; then
			echo "Tunnel interface st0.0; the other sites' LANs through it"
		else
			echo "Tunnel interface st0.0; $p's LAN through it"
		fi
		;;
	3) echo "IKE (phase 1): proposal, policy with the pre-shared key, gateway ($p)" ;;
	4)
		if [ "$TOPO" = hub-and-spoke ] && [ "$i" = 1 ]; then
			echo "IPsec (phase 2): a VPN per spoke on st0.0, bound to its next hop"
		else
			echo "IPsec (phase 2): proposal, policy, the VPN on st0.0, up immediately"
		fi
		;;
	esac
}


# step_lines SITE STEP: the set lines
step_lines() {
	local i=$1 step=$2 j sn pn
	sn=$(site_name "$i")
	case $step in
	1)
		echo "set system host-name $sn"
		echo "set security dataplane backend userspace"
		echo "set security dataplane spus 2"
		;;
	2)
		if [ "$TOPO" = hub-and-spoke ] && [ "$i" = 1 ]; then
			echo "set interfaces st0 unit 0 multipoint"
			echo "set interfaces st0 unit 0 family inet address 10.255.0.1/24"
			for j in $(peers_of "$i"); do
				echo "set routing-options static route 10.$j.0.0/24 next-hop 10.255.0.$j"
			done
		else
			echo "set interfaces st0 unit 0 family inet address 10.255.0.$i/24"
			for ((j = 1; j <= SITES; j++)); do
				[ $j = "$i" ] || echo "set routing-options static route 10.$j.0.0/24 next-hop st0.0"
			done
		fi
		;;
	3)
		echo "set security ike proposal ike-ecdh-gcm authentication-method pre-shared-keys"
		echo "set security ike proposal ike-ecdh-gcm dh-group group19"
		echo "set security ike proposal ike-ecdh-gcm encryption-algorithm aes-256-gcm"
		echo "set security ike proposal ike-ecdh-gcm lifetime-seconds 28800"
		echo "set security ike policy ike-psk proposals ike-ecdh-gcm"
		echo "set security ike policy ike-psk pre-shared-key ascii-text \"$PSK\""
		for j in $(peers_of "$i"); do
			pn=$(site_name "$j")
			echo "set security ike gateway gw-$pn ike-policy ike-psk"
			echo "set security ike gateway gw-$pn address 192.0.2.$j"
			echo "set security ike gateway gw-$pn local-address 192.0.2.$i"
			echo "set security ike gateway gw-$pn dead-peer-detection probe-idle-tunnel"
		done
		;;
	4)
		echo "set security ipsec proposal esp-gcm protocol esp"
		echo "set security ipsec proposal esp-gcm encryption-algorithm aes-256-gcm"
		echo "set security ipsec proposal esp-gcm lifetime-seconds 3600"
		echo "set security ipsec policy ipsec-pfs perfect-forward-secrecy keys group19"
		echo "set security ipsec policy ipsec-pfs proposals esp-gcm"
		for j in $(peers_of "$i"); do
			pn=$(site_name "$j")
			echo "set security ipsec vpn to-$pn bind-interface st0.0"
			echo "set security ipsec vpn to-$pn ike gateway gw-$pn"
			echo "set security ipsec vpn to-$pn ike ipsec-policy ipsec-pfs"
			echo "set security ipsec vpn to-$pn establish-tunnels immediately"
			if [ "$TOPO" = hub-and-spoke ] && [ "$i" = 1 ]; then
				echo "set interfaces st0 unit 0 family inet next-hop-tunnel 10.255.0.$j ipsec-vpn to-$pn"
			fi
		done
		;;
	esac
}

# show_step SITE STEP PROMPT: the step's title and its lines as typed at
# PROMPT (paced on a terminal); the lines are added to PENDING
PENDING=
show_step() {
	local i=$1 step=$2 prompt=$3 lines l
	printf '  %s%s %s/%s %s%s\n' "$C_C" "$S_STEP" "$step" "$STEPS" "$(step_title "$i" "$step")" "$C_0"
	lines=$(step_lines "$i" "$step")
	while IFS= read -r l; do
		printf '    %s%s%s %s\n' "$C_D" "$prompt" "$C_0" "$l"
		[ "$PACE" = 0 ] || sleep "$PACE"
	done <<<"$lines"
	PENDING=$PENDING$lines$'\n'
}

# commit_pending SITE PROMPT COMMENT: PENDING applied through the site's
# shell (configure, the lines, commit with COMMENT), and what it answered
commit_pending() {
	local i=$1 prompt=$2 comment=$3 sn out rc=0
	sn=$(site_name "$i")
	printf '    %s%s%s commit comment "%s"\n' "$C_D" "$prompt" "$C_0" "$comment"
	out=$(printf 'configure\n%scommit comment "%s"\nexit\n' "$PENDING" "$comment" |
		"$BIN/cairn" --root "$LAB/$sn" 2>&1) || rc=$?
	PENDING=
	# the shell's answers, without the mode changes it prints around them
	printf '%s\n' "$out" | grep -vxE 'Entering configuration mode|Exiting configuration mode|\[edit\]' |
		sed 's/^/    /'
	# (not `printf | grep -q`: grep may leave before printf's last line,
	# and with pipefail printf's SIGPIPE would fail the test)
	if [ $rc -ne 0 ] || ! grep -qx 'commit complete' <<<"$out"; then
		die "the commit on $sn was refused (above; the shell exited $rc)"
	fi
}

# Two commits per site: the system settings, then the tunnel interface,
# IKE and IPsec together, so an appliance starts answering IKE with its VPN
# already there (a peer's retransmitted IKE_SA_INIT arriving between
# separate commits would meet a gateway without its VPN and record a failed
# negotiation). Sites other than site-a first: site-a, committed last,
# initiates at once towards peers that are ready (site-a is where you land).
ORDER=()
for ((i = 2; i <= SITES; i++)); do ORDER+=($i); done
ORDER+=(1)
for i in "${ORDER[@]}"; do
	sn=$(site_name $i)
	header "Configuring $sn through its shell"
	show_step $i 1 "root#"
	commit_pending $i "root#" "demo: system"
	for ((step = 2; step <= STEPS; step++)); do
		show_step $i $step "root@$sn#"
	done
	if [ "$TOPO" = hub-and-spoke ] && [ $i = 1 ]; then
		commit_pending $i "root@$sn#" "demo: hub, a VPN per spoke"
	else
		commit_pending $i "root@$sn#" "demo: VPN to $(peers_of $i | while read -r j; do site_name "$j"; done)"
	fi
done

# ------------------------------------------------------ the tunnels

# sa_pairs SITE VPN: "in out" SPI pairs of the VPN's tunnels on the site
sa_pairs() {
	rpc "$1" "{\"cairn-security-state:get-security-associations-information\":{\"vpn-name\":\"$2\"}}" |
		tr '{}[],' '\n\n\n\n\n' | awk -F'"' '
		$2 == "sa-direction" { dir = $4 }
		$2 == "sa-spi" { if (dir == "inbound") i = $4; else { print i, $4 } }'
}

# ike_states SITE PEER: the states of the site's IKE SAs with the peer (UP,
# INIT, AUTH, REKEYED, DELETING), one a line
ike_states() {
	rpc "$1" '{"cairn-security-state:get-ike-security-associations-information":{}}' |
		tr '{}[],' '\n\n\n\n\n' | awk -F'"' -v peer="192.0.2.$2" '
		function flush() { if (ra == peer) print st; st = ""; ra = "" }
		$2 == "ike-sa-index" { if (seen) flush(); seen = 1 }
		$2 == "ike-sa-state" { st = $4 }
		$2 == "ike-sa-remote-address" { ra = $4 }
		END { if (seen) flush() }'
}

# tunnel_state A B: "up IN OUT" when A and B each have one IKE SA with the
# other, UP, and one SA pair on their VPN to the other, mirrored (IN and
# OUT: A's SPIs); otherwise what is happening. Two peers that initiate at
# once may make two SAs for a while (RFC 7296 2.8: the redundant one is
# deleted): "up" waits for the one that stays.
tunnel_state() {
	local a=$1 b=$2 pa pb ia ib
	pa=$(sa_pairs "$a" "to-$(site_name "$b")" 2>/dev/null) || pa=
	pb=$(sa_pairs "$b" "to-$(site_name "$a")" 2>/dev/null) || pb=
	ia=$(ike_states "$a" "$b" 2>/dev/null) || ia=
	ib=$(ike_states "$b" "$a" 2>/dev/null) || ib=
	if [ "$(echo "$ia" | wc -w)" -gt 1 ] || [ "$(echo "$ib" | wc -w)" -gt 1 ] ||
		[ "$(echo "$pa" | wc -l)" -gt 1 ] || [ "$(echo "$pb" | wc -l)" -gt 1 ]; then
		echo "two SAs (both sides initiated), the redundant one being removed"
	elif [ -n "$pa" ] && [ -n "$pb" ] && [ "$ia" = UP ] && [ "$ib" = UP ]; then
		set -- $pa
		local in=$1 out=$2
		set -- $pb
		if [ "$in" = "$2" ] && [ "$out" = "$1" ]; then
			echo "up $in $out"
		else
			echo "IPsec SAs being installed"
		fi
	elif [ "$ia" = UP ] || [ "$ib" = UP ]; then
		echo "IKE SA up, IPsec SA (CHILD SA) negotiating"
	else
		echo "IKE SA negotiating"
	fi
}

SPIN='|/-\'
wait_tunnel() {
	local a=$1 b=$2 st t0=$SECONDS k=0 last= label
	label="$(site_name "$a") $S_BOTH $(site_name "$b")"
	while :; do
		st=$(tunnel_state "$a" "$b")
		# up with the same SAs twice, half a second apart: settled
		if [ "${st%% *}" = up ] && [ "$st" = "$last" ]; then
			set -- $st
			[ "$MODE" = interactive ] && printf '\r\e[K'
			printf '  %s%s%s %s: IKE SA and IPsec SA pair up after %ds (SPIs 0x%s in, 0x%s out on %s)\n' \
				"$C_G" "$S_OK" "$C_0" "$label" $((SECONDS - t0)) "$2" "$3" "$(site_name "$a")"
			return 0
		fi
		if [ $((SECONDS - t0)) -ge $DEADLINE ]; then
			[ "$MODE" = interactive ] && printf '\r\e[K'
			err "$label: not up after ${DEADLINE}s ($st)"
			for s in "$a" "$b"; do
				say "--- $(site_name "$s")> show security ipsec inactive-tunnels detail"
				"$BIN/cairn" --root "$LAB/$(site_name "$s")" -c "show security ipsec inactive-tunnels detail" || true
			done
			return 1
		fi
		if [ "$MODE" = interactive ]; then
			printf '\r\e[K  %s %s: %s ... %ds (giving up after %ds)' "${SPIN:k%4:1}" "$label" \
				"${st/#up */up, checking that it stays}" $((SECONDS - t0)) $DEADLINE
			k=$((k + 1))
		elif [ "$st" != "$last" ] && [ "${st%% *}" != up ]; then
			printf '  %s: %s ... (%ds, giving up after %ds)\n' "$label" "$st" $((SECONDS - t0)) $DEADLINE
		fi
		last=$st
		if [ "${st%% *}" = up ]; then sleep 0.5; else sleep 0.2; fi
	done
}

header "Bringing the tunnels up"
if [ "$TOPO" = site-to-site ]; then
	say "site-a initiates (establish-tunnels immediately): IKE_SA_INIT, IKE_AUTH with the first CHILD SA."
else
	say "The hub initiates to every spoke (establish-tunnels immediately); each spoke's tunnel is its own IKE SA."
fi
for j in $(peers_of 1); do
	wait_tunnel 1 "$j" || die "the tunnel $(site_name 1) $S_BOTH $(site_name "$j") did not come up"
done

# ------------------------------------------------------------- traffic

# show_ping FROM TO: a ping shown as typed on host FROM (after a quiet
# one with a deadline, so ARP and the first packets have settled)
show_ping() {
	local f=$1 t=$2 out
	wait_until 30 ip netns exec "$(ns_host "$f")" ping -c 1 -W 1 "10.$t.0.2" ||
		die "no ping reply from $(host_name "$t") (10.$t.0.2) to $(host_name "$f") within 30 s"
	printf '%sroot@%s:~#%s ping -c 3 10.%s.0.2\n' "$C_D" "$(host_name "$f")" "$C_0" "$t"
	out=$(ip netns exec "$(ns_host "$f")" ping -c 3 -i 0.3 -W 2 "10.$t.0.2" 2>&1) || {
		say "$out"
		die "ping from $(host_name "$f") to $(host_name "$t") failed"
	}
	say "$out"
}

if [ "$TOPO" = site-to-site ]; then
	header "Traffic: host-a (10.1.0.2) $S_ARROW host-b (10.2.0.2), through the tunnel"
	show_ping 1 2
else
	header "Traffic: host-a (behind the hub) $S_ARROW every spoke's host"
	for j in $(peers_of 1); do show_ping 1 "$j"; done
	header "Traffic: spoke to spoke through the hub, host-b $S_ARROW host-c"
	say "(site-b encrypts to site-a, which decrypts, routes via 10.255.0.3 and encrypts to site-c)"
	show_ping 2 3
fi

# ---------------------------------------------------------- handover

TOUR=(
	"show security ike security-associations"
	"show security ipsec security-associations"
	"show security ipsec tunnel-distribution"
	"show security ipsec statistics"
)
[ "$TOPO" = site-to-site ] || TOUR+=("show route")

cli_a() { "$BIN/cairn" --root "$LAB/site-a" "$@"; }

others() {
	local i
	say "The other nodes, from another terminal (as root):"
	for ((i = 2; i <= SITES; i++)); do
		printf '  %-21s %s\n' "$(site_name $i)'s shell:" "$SELF${NAME_OPT} --attach $(site_name $i)"
	done
	printf '  %-21s %s\n' "a shell on host-a:" "$SELF${NAME_OPT} --attach host-a   (then: ping 10.2.0.2)"
	printf '  %-21s %s\n' "a command on host-b:" "ip netns exec $(ns_host 2) ping 10.1.0.2"
	say "  (--attach site-b is: ip netns exec $(ns_site 2) $BIN/cairn --root $LAB/site-b)"
	say "Logs: $LAB/site-*/{mgd,iked}.log (removed with the lab)."
}

if [ "$MODE" = tour ]; then
	header "A short tour of site-a (the same commands work in its shell)"
	for c in "${TOUR[@]}"; do
		printf '\n%sroot@site-a>%s %s\n' "$C_D" "$C_0" "$c"
		cli_a -c "$c" || die "'$c' failed on site-a"
	done
	if [ "$HOLD" = 1 ]; then
		header "The lab is up (--hold)"
		others
		say "Stop it with: $SELF --stop${NAME_OPT} (or SIGTERM/Ctrl-C to pid $$)"
		say "lab ready"
		HOLDING=1
		# in a namespace of the lab, like every process of it: if this
		# script is killed, the next run or --stop ends it too
		ip netns exec "$NS_WAN" sleep infinity &
		SLEEP_PID=$!
		PIDS+=("$SLEEP_PID sleep 0")
		wait $SLEEP_PID || true
	fi
	exit 0
fi

header "Your turn: site-a's shell"
cat <<EOF
Try these at ${C_B}root@site-a>${C_0} (TAB and ? complete everything; words may be abbreviated):
  show security ike security-associations [detail]
  show security ipsec security-associations [detail]
  show security ipsec tunnel-distribution        where each tunnel is anchored (SPU)
  show security ike tunnel-map summary
  show security ipsec statistics                 show interfaces st0 terse
  show route                                     show system commit
  clear security ipsec security-associations     (it comes back with new SPIs)
  configure                                      then: show security ipsec | display set
                                                       set ... / show | compare / commit / exit
EOF
others
say "${C_B}exit${C_0} (or Ctrl-D) leaves the shell and stops the lab; Ctrl-C only clears the line."
say ""

# The shell runs as a job of its own (set -m): it has the terminal, Ctrl-C
# reaches it alone (dropping the line being typed, as on Junos), not make,
# this script or the daemons. Its pid goes to $STATE/shell for --stop. It
# runs in site-a's namespace, like every process of the lab.
set -m
rc=0
sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$STATE/shell" \
	ip netns exec "$(ns_site 1)" "$BIN/cairn" --root "$LAB/site-a" || rc=$?
set +m
rm -f "$STATE/shell"
# 1: a command failed in the session (normal); 143, 129: ended by --stop or
# a closed terminal; 2: it could not start; other signals: it crashed
if [ $rc -eq 2 ] || { [ $rc -ge 128 ] && [ $rc -ne 143 ] && [ $rc -ne 129 ]; }; then
	die "the shell ended with status $rc"
fi
exit 0
