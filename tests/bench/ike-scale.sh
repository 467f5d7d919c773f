#!/bin/sh
# SPDX-License-Identifier: MIT
# ike-scale.sh: N route-based VPNs (default 10,000) between two Cairn
# appliances, each one IKE SA and one CHILD SA (PSK, ECP256, AES-GCM-128),
# configured through the shell with `load set` of generated set lines
# (tests/bench/gen-vpn-pair.sh), userspace dataplane with 2 SPUs.
# Measures and prints:
#   - the load of each side's set lines into the shared candidate (one
#     shell session: configure, load set, exit) and its commit (another
#     session: configure, commit, exit), with the CPU (user / system) of
#     cairn-mgd and cairn-iked during the commit (hub: responder-only;
#     spoke: immediately)
#   - the time until every tunnel is up (N tunnels with an SA pair) from
#     the start of the spoke's commit session, from the start of its load
#     session, and after the commit returned
#   - cairn-iked's RSS per tunnel on each side (VmRSS before the
#     configuration and with every tunnel up)
#   - `show security ipsec tunnel-distribution` and `show security ike
#     security-associations | count` through the shell (each run 3 times)
#   - a one-VPN commit with cairn-iked subscribed (the commit RPC alone)
#     with the configuration at rest (nb's copy of it compact), then two
#     more just after it (through the shell, and the RPC again)
# and the machine's load average. Not a ctest: it asserts nothing but that
# the tunnels came up.
#
#   tests/bench/ike-scale.sh [-n N] [-b BUILD] [-k LOGDIR]    (as root)
# -k keeps the daemons' logs in LOGDIR.
#
#          gw1 (hub) 192.0.2.1 ---- WAN bridge ---- gw2 (spoke) 192.0.2.2
#                                                   + 198.18.x.y/32 x N
set -eu
N=10000
BUILD=""
KEEP=""
while getopts n:b:k: o; do
	case $o in
	n) N=$OPTARG ;;
	b) BUILD=$OPTARG ;;
	k) KEEP=$OPTARG ;;
	*)
		echo "usage: $0 [-n N] [-b BUILD] [-k LOGDIR]" >&2
		exit 2
		;;
	esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$SRC/build}
BUILD=$(cd "$BUILD" && pwd)
export BUILD
. "$SRC/tests/integration/lib-appliance.sh"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# utime+stime of a process (all threads), in seconds
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
# utime and stime of a process, "U S" in seconds
cpu_us() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f %.2f", $14 / hz, $15 / hz }' "/proc/$1/stat"; }
# "U S" -> "U + S" of the difference of two cpu_us readings
cpu_d() {
	echo "$1 $2" | awk '{ printf "%.2f s user + %.2f s sys", $3 - $1, $4 - $2 }'
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
row() { printf '  %-64s %s\n' "$1" "$2"; }

# by hand (MALLOC_STATS=1, needs gdb): glibc's heap figures of the hub's
# cairn-iked at a point of the run
heap_stats() {
	[ -n "${MALLOC_STATS:-}" ] || return 0
	hl=$(wc -l <"$LAB/gw1/iked.log")
	gdb -p "$(iked_pid 1)" -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1 || true
	echo "== hub heap, $1: RSS $(rss_kb "$(iked_pid 1)") KiB; $(tail -n +"$((hl + 1))" "$LAB/gw1/iked.log" |
		grep -A3 '^Total' | tail -3 | tr -s ' ' | tr '\n' ';')"
}

lab_init
keep_logs() {
	if [ -n "$KEEP" ]; then
		mkdir -p "$KEEP"
		for s in 1 2; do cp "$LAB/gw$s/"*.log "$KEEP/" 2>/dev/null &&
			for f in "$LAB/gw$s/"*.log; do mv "$KEEP/$(basename "$f")" "$KEEP/gw$s-$(basename "$f")"; done; done
	fi
	lab_cleanup
}
trap keep_logs EXIT INT TERM
lab_site 1
lab_site 2
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"

# the spoke's N addresses, and the hub's route to them
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
	printf "address add 198.18.%d.%d/32 dev w2\n", int(i / 250), i % 250 + 1 }' >"$LAB/addrs"
gw 2 ip -batch "$LAB/addrs"
gw 1 ip route add 198.18.0.0/16 via 192.0.2.2

appliance_start 1
appliance_start 2
for s in 1 2; do
	cat <<EOF | configure "$s" >/dev/null
set security dataplane backend userspace
set security dataplane spus 2
EOF
done
RSS1_0=$(rss_kb "$(iked_pid 1)")
heap_stats "before the configuration"
RSS2_0=$(rss_kb "$(iked_pid 2)")

"$SRC/tests/bench/gen-vpn-pair.sh" hub "$N" >"$LAB/hub.set"
"$SRC/tests/bench/gen-vpn-pair.sh" spoke "$N" >"$LAB/spoke.set"

# the set lines into gwN's shared candidate (it stays there when the
# session leaves), then their commit in a session of its own
load_only() {
	printf 'configure\nload set %s\nexit\n' "$2" | "$BIN/cairn" --root "$LAB/gw$1" >"$LAB/load$1.out" 2>&1
	grep -q "load complete" "$LAB/load$1.out" || fail "gw$1: $(tail -5 "$LAB/load$1.out")"
}
commit_only() {
	printf 'configure\ncommit\nexit\n' | "$BIN/cairn" --root "$LAB/gw$1" >"$LAB/commit$1.out" 2>&1
	grep -q "commit complete" "$LAB/commit$1.out" || fail "gw$1: $(tail -5 "$LAB/commit$1.out")"
}

up_lines() {
	grep -c "IPSec SA negotiation successfully completed" "$LAB/gw2/iked.log" 2>/dev/null || true
}

# the pid of gwN's cairn-mgd (the process listening on its socket's namespace)
mgd_pid() { pgrep -f "cairn-mgd --root $LAB/gw$1\$" | head -1; }

log "hub: load set, then commit of $N VPNs"
t0=$(now)
load_only 1 "$LAB/hub.set"
tc=$(now)
M1_0=$(cpu_us "$(mgd_pid 1)")
I1_0=$(cpu_us "$(iked_pid 1)")
commit_only 1
t1=$(now)
T_HUB_LOAD=$(elapsed "$t0" "$tc")
T_HUB=$(elapsed "$tc" "$t1")
CM_HUB=$(cpu_d "$M1_0" "$(cpu_us "$(mgd_pid 1)")")
CI_HUB=$(cpu_d "$I1_0" "$(cpu_us "$(iked_pid 1)")")
heap_stats "configured, no SA"

log "spoke: load set, then commit of $N VPNs (establish-tunnels immediately)"
base=$(up_lines)
tl=$(now)
load_only 2 "$LAB/spoke.set"
T_SPOKE_LOAD=$(elapsed "$tl" "$(now)")
if [ -n "${PERF_DIR:-}" ]; then
	# profiling by hand: perf record of both cairn-ikeds during the bring-up
	mkdir -p "$PERF_DIR"
	perf record -q -g -p "$(iked_pid 1)" -o "$PERF_DIR/hub.data" >/dev/null 2>&1 &
	PERF1=$!
	perf record -q -g -p "$(iked_pid 2)" -o "$PERF_DIR/spoke.data" >/dev/null 2>&1 &
	PERF2=$!
	PIDS="$PIDS $PERF1 $PERF2"
fi
C1_0=$(cpu_s "$(iked_pid 1)")
C2_0=$(cpu_s "$(iked_pid 2)")
M2_0=$(cpu_us "$(mgd_pid 2)")
I2_0=$(cpu_us "$(iked_pid 2)")
if [ -n "${PERF_COMMIT:-}" ]; then
	# profiling by hand: the spoke's cairn-iked during its commit
	mkdir -p "$PERF_COMMIT"
	perf record -q -g -p "$(iked_pid 2)" -o "$PERF_COMMIT/spoke-commit.data" >/dev/null 2>&1 &
	PERFC=$!
	PIDS="$PIDS $PERFC"
fi
t0=$(now)
commit_only 2
t1=$(now)
if [ -n "${PERF_COMMIT:-}" ]; then
	kill -INT "$PERFC"
	wait "$PERFC" || true
fi
CM_SPOKE=$(cpu_d "$M2_0" "$(cpu_us "$(mgd_pid 2)")")
CI_SPOKE=$(cpu_d "$I2_0" "$(cpu_us "$(iked_pid 2)")")
T_SPOKE=$(elapsed "$t0" "$t1")
deadline=$(($(date +%s) + 600))
while :; do
	u=$(($(up_lines) - base))
	[ "$u" -ge "$N" ] && break
	[ "$(date +%s)" -lt "$deadline" ] || fail "only $u of $N tunnels up after 600 s"
	sleep 0.1
done
t2=$(now)
C1=$(elapsed "$C1_0" "$(cpu_s "$(iked_pid 1)")")
C2=$(elapsed "$C2_0" "$(cpu_s "$(iked_pid 2)")")
T_UP=$(elapsed "$t0" "$t2")
T_UP_LOAD=$(elapsed "$tl" "$t2")
if [ -n "${PERF_DIR:-}" ]; then
	kill -INT "$PERF1" "$PERF2"
	wait "$PERF1" "$PERF2" || true
fi
T_UP_AFTER=$(elapsed "$t1" "$t2")
log "all $N tunnels up"

# settle, then verify on both sides through the RPCs
sleep 2
for s in 1 2; do
	set -- $("$BIN/ike-scale-rpc" --root "$LAB/gw$s" ike-up)
	[ "$1" -eq "$N" ] || fail "gw$s: $1 IKE SAs up, expected $N"
	set -- $("$BIN/ike-scale-rpc" --root "$LAB/gw$s" ipsec-up)
	[ "$1" -eq "$N" ] || fail "gw$s: $1 tunnels active, expected $N"
done
# steady state: cairn-iked returns the heap's free pages 1.5 s after a burst
sleep 2
RSS1=$(rss_kb "$(iked_pid 1)")
RSS2=$(rss_kb "$(iked_pid 2)")
heap_stats "with every tunnel up"

if [ -n "${HOLD:-}" ]; then
	# by hand: the lab stays up until $LAB/hold is removed
	touch "$LAB/hold"
	echo "== holding the lab: roots $LAB/gw1 $LAB/gw2 (namespaces $P-gw1 $P-gw2); rm $LAB/hold to go on"
	while [ -e "$LAB/hold" ]; do sleep 1; done
fi

# show commands through the shell (three runs each)
shell_time() {
	s=$1
	shift
	out=""
	for k in 1 2 3; do
		a=$(now)
		"$BIN/cairn" --root "$LAB/gw$s" -c "$*" >"$LAB/show.out" 2>&1
		b=$(now)
		out="$out $(elapsed "$a" "$b")"
	done
	echo "$out"
}
T_DIST=$(shell_time 1 "show security ipsec tunnel-distribution")
L_DIST=$(wc -l <"$LAB/show.out")
T_COUNT=$(shell_time 1 "show security ike security-associations | count")
C_COUNT=$(cat "$LAB/show.out")
T_NOOP=$(shell_time 1 "show security ike security-associations index 1")

# one more VPN, committed on the hub with cairn-iked subscribed
"$SRC/tests/bench/gen-vpn-pair.sh" hub 1 "$N" >"$LAB/one.set"
set -- $("$BIN/ike-scale-rpc" --root "$LAB/gw1" commit "$LAB/one.set" | awk '{ print $2 }')
T_EDIT1=$1
T_COMMIT1=$2
"$SRC/tests/bench/gen-vpn-pair.sh" hub 1 "$((N + 1))" >"$LAB/two.set"
a=$(now)
configure 1 <"$LAB/two.set" >"$LAB/two.out"
b=$(now)
grep -q "commit complete" "$LAB/two.out" || fail "one-VPN commit: $(cat "$LAB/two.out")"
T_COMMIT1_SHELL=$(elapsed "$a" "$b")
# and one more at once: nb has its tree from the last commit (docs/mgd.md)
"$SRC/tests/bench/gen-vpn-pair.sh" hub 1 "$((N + 2))" >"$LAB/three.set"
set -- $("$BIN/ike-scale-rpc" --root "$LAB/gw1" commit "$LAB/three.set" | awk '{ print $2 }')
T_COMMIT2=$2

echo
echo "ike-scale: $N tunnels between two Cairn appliances (userspace dataplane, 2 SPUs each)"
row "hub: load set (shell session: configure, load set, exit)" "$T_HUB_LOAD s"
row "hub: commit (shell session: configure, commit, exit)" "$T_HUB s"
row "  CPU during it: cairn-mgd" "$CM_HUB"
row "  CPU during it: cairn-iked (with its dataplane)" "$CI_HUB"
row "spoke: load set (shell session: configure, load set, exit)" "$T_SPOKE_LOAD s"
row "spoke: commit (shell session: configure, commit, exit)" "$T_SPOKE s"
row "  CPU during it: cairn-mgd" "$CM_SPOKE"
row "  CPU during it: cairn-iked (with its dataplane)" "$CI_SPOKE"
row "all up, from the start of the spoke's commit (target <= 10 s)" "$T_UP s"
row "all up, from the start of the spoke's load set (both sessions)" "$T_UP_LOAD s"
row "all up, after the spoke's commit returned" "$T_UP_AFTER s"
row "CPU of cairn-iked from the spoke's commit to all up: hub / spoke" "$C1 / $C2 s"
row "hub cairn-iked RSS: before / with all up" "$RSS1_0 / $RSS1 KiB"
row "spoke cairn-iked RSS: before / with all up" "$RSS2_0 / $RSS2 KiB"
row "RSS per tunnel, hub: all / delta" "$(awk -v a="$RSS1" -v z="$RSS1_0" -v n="$N" 'BEGIN { printf "%.2f / %.2f KiB", a / n, (a - z) / n }')"
row "RSS per tunnel, spoke: all / delta" "$(awk -v a="$RSS2" -v z="$RSS2_0" -v n="$N" 'BEGIN { printf "%.2f / %.2f KiB", a / n, (a - z) / n }')"
row "show security ipsec tunnel-distribution ($L_DIST lines)" "$T_DIST s"
row "show security ike security-associations | count ($C_COUNT)" "$T_COUNT s"
row "show security ike security-associations index 1" "$T_NOOP s"
row "one-VPN commit on the hub, at rest: edit / commit RPC" "$T_EDIT1 / $T_COMMIT1 s"
row "one-VPN commit on the hub through the shell, just after" "$T_COMMIT1_SHELL s"
row "one-VPN commit RPC on the hub, just after that" "$T_COMMIT2 s"
row "load average after" "$(cut -d' ' -f1-3 /proc/loadavg)"
