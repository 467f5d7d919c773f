#!/bin/bash
# SPDX-License-Identifier: MIT
# demo-test.sh: the demo lab (tests/lab/demo.sh, `make demo`) as a user
# meets it, checked from the outside. Root; label integration.
#
#   demo-test.sh --build DIR tour2      `make demo` without a terminal: the
#                                       set lines, the tunnel, the ping, the
#                                       tour's real output, nothing left
#   demo-test.sh --build DIR tour3      `make demo SITES=3`: hub and spokes,
#                                       spoke to spoke through the hub
#   demo-test.sh --build DIR lifecycle  clear errors, a second lab refused
#                                       (the first untouched), --attach,
#                                       --stop, SIGTERM half-way, a killed
#                                       script's lab cleaned up by the next
#                                       run and by --stop, a refused commit
#   demo-test.sh --build DIR pty        on a terminal (tmux): the handover
#                                       to root@site-a>, TAB, ?, Ctrl-C,
#                                       configure, exit -> teardown; a
#                                       closed terminal (SIGHUP) -> teardown
#
# "Nothing left" is checked independently of the script's own check: no
# namespace, state directory, temporary directory or process of the lab,
# and no line about the lab's interfaces or addresses added to or removed
# from the links, addresses, routes, rules and nftables ruleset of this
# (the caller's) namespace.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
DEMO=$HERE/demo.sh
BUILD=
while [ $# -gt 1 ]; do
	case $1 in
	--build)
		BUILD=$2
		shift 2
		;;
	*) break ;;
	esac
done
[ $# -eq 1 ] && [ -n "$BUILD" ] || {
	echo "usage: $0 --build DIR tour2|tour3|lifecycle|pty" >&2
	exit 2
}
CASE=$1
BUILD=$(cd "$BUILD" && pwd)
T=$(mktemp -d /tmp/cairn-demo-test.XXXXXX)
N=dt$$ # the lab's name: tests may run side by side, and beside a user's lab
TMUX_SOCK=cairn-demo-test-$$
BG=()

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
log() { echo "== $*"; }

cleanup() {
	local rc=$? p
	set +e
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	for p in "${BG[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${BG[@]}"; do wait "$p" 2>/dev/null; done
	# whatever a failed case left: the demo's own --stop knows how
	for n in "$N" "$N-x"; do
		"$DEMO" --name "$n" --stop >/dev/null 2>&1
	done
	if [ $rc -ne 0 ]; then
		for f in "$T"/*.out; do
			echo "--- $f (last 60 lines)"
			tail -n 60 "$f"
		done
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------- leftovers

# root_snapshot FILE: this namespace's network configuration
root_snapshot() {
	{
		ip -o link show | sed 's/ state [A-Z]*//'
		ip -o addr show
		ip route show table all
		ip -6 route show table all
		ip rule show
		nft list ruleset 2>/dev/null || true
	} >"$1" 2>&1
}

# the lab's names and addresses, as they would appear in a leak
LAB_RE='site-[a-i]|host-[a-i]|wan0|lan0|st0|br0|10\.255\.0\.|10\.[1-9]\.0\.|192\.0\.2\.[1-9]/24'

# check_clean NAME LABDIR: nothing of lab NAME is left
check_clean() {
	local name=$1 lab=$2 p
	[ -z "$(ip netns list | awk '{ print $1 }' | grep -E "^$name-" || true)" ] ||
		fail "namespaces of $name left: $(ip netns list | grep "^$name-" | tr '\n' ' ')"
	[ ! -e "/run/cairn-demo/$name" ] || fail "/run/cairn-demo/$name left"
	if [ -n "$lab" ]; then
		[ ! -e "$lab" ] || fail "$lab left"
		# one grep over every command line; "[/]tmp/..." does not match
		# grep's own
		for p in $(grep -l -- "[/]${lab#/}/" /proc/[0-9]*/cmdline 2>/dev/null); do
			fail "process left: $(tr '\0' ' ' <"$p" 2>/dev/null)"
		done
	fi
	root_snapshot "$T/root.after"
	diff "$T/root.before" "$T/root.after" | grep -E '^[<>]' | grep -E "$LAB_RE" >"$T/root.diff" || true
	[ ! -s "$T/root.diff" ] || fail "this namespace changed: $(cat "$T/root.diff")"
}

# lab_dir OUTPUT: the lab's temporary directory, from its banner
lab_dir() {
	sed -n "s/^Lab '[^']*' in \(.*\); every node.*/\1/p" "$1"
}

# ------------------------------------------------------- output checks

# after OUTPUT COMMAND: the lines a tour command printed (up to the next
# prompt or section)
after() {
	awk -v c="root@site-a> $2" '
		$0 == c { on = 1; next }
		on && (/^root@/ || /^(━━|==) /) { exit }
		on { print }' "$1"
}

need() {
	grep -Eq -- "$2" "$1" || fail "no /$2/ in the output ($1)"
}

# check_ping OUTPUT FROM TO TTL: the ping shown for FROM -> TO lost nothing
check_ping() {
	awk -v c="root@$2:~# ping -c 3 $3" '
		$0 == c { on = 1; next }
		on && /packets transmitted/ { print; exit }' "$1" >"$T/ping"
	grep -q "3 packets transmitted, 3 received, 0% packet loss" "$T/ping" ||
		fail "ping $2 -> $3: $(cat "$T/ping")"
	[ -z "${4:-}" ] || grep -q "from $3: icmp_seq=1 ttl=$4 " "$1" ||
		fail "ping $2 -> $3: not ttl $4 (the path through the hub)"
}

check_config_shown() {
	local out=$1 sites=$2
	need "$out" "^    root# set system host-name site-a$"
	need "$out" "^    root@site-a# set security ike gateway gw-site-b address 192.0.2.2$"
	need "$out" "^    root@site-a# set security ipsec vpn to-site-b bind-interface st0.0$"
	need "$out" "^    root@site-b# set security ipsec vpn to-site-a establish-tunnels immediately$"
	need "$out" "^    root@site-b# commit comment \"demo: VPN to site-a\"$"
	[ "$(grep -c "^    commit complete$" "$out")" -eq $((2 * sites)) ] ||
		fail "expected $((2 * sites)) commits"
}

# ------------------------------------------------------------ cases

run_tour() {
	local sites=$1 out=$T/tour$1.out lab rc=0 row spu1 spu2 inspi
	root_snapshot "$T/root.before"
	log "make demo SITES=$sites without a terminal (demo.sh --sites $sites)"
	(cd / && "$DEMO" --build "$BUILD" --sites "$sites" --name "$N" </dev/null >"$out" 2>&1) || rc=$?
	cat "$out"
	[ $rc -eq 0 ] || fail "demo.sh exited $rc"
	lab=$(lab_dir "$out")
	[ -n "$lab" ] || fail "no lab banner"
	check_config_shown "$out" "$sites"
	need "$out" "site-a (⇄|<->) site-b: IKE SA and IPsec SA pair up"

	after "$out" "show security ike security-associations" >"$T/ike"
	grep -Eq "^[0-9]+ +UP +[0-9a-f]{16}  [0-9a-f]{16}  IKEv2 +192\.0\.2\.2$" "$T/ike" ||
		fail "no IKE SA UP with site-b in the tour"
	after "$out" "show security ipsec security-associations" >"$T/sa"
	after "$out" "show security ipsec tunnel-distribution" >"$T/dist"
	after "$out" "show security ipsec statistics" >"$T/stats"
	[ "$(awk '/Encrypted packets:/ { print $3 }' "$T/stats")" -ge $((3 * (2 * sites - 3) + 1)) ] ||
		fail "statistics: too few encrypted packets"
	[ "$(awk '/Decrypted packets:/ { print $3 }' "$T/stats")" -ge 3 ] ||
		fail "statistics: too few decrypted packets"
	# the SPI the wait reported is the one the shell shows
	inspi=$(sed -n 's/.*site-b: IKE SA and IPsec SA pair up.*(SPIs \(0x[0-9a-f]*\) in.*/\1/p' "$out")
	grep -Eq "^  <131073 ESP:aes-gcm-256/aes256-gcm $inspi [0-9]+/ unlim - root 500 192\.0\.2\.2$" "$T/sa" ||
		fail "the tour's inbound SA is not $inspi"

	if [ "$sites" -eq 2 ]; then
		grep -q "Total active tunnels: 1 " "$T/sa" || fail "not one active tunnel"
		grep -Eq "^131073 +[01] +up +site-to-site +192\.0\.2\.2 +gw-site-b +to-site-b$" "$T/dist" ||
			fail "tunnel-distribution row"
		check_ping "$out" host-a 10.2.0.2 62
	else
		grep -Eq "^[0-9]+ +UP +[0-9a-f]{16}  [0-9a-f]{16}  IKEv2 +192\.0\.2\.3$" "$T/ike" ||
			fail "no IKE SA UP with site-c"
		grep -q "Total active tunnels: 2 " "$T/sa" || fail "not two active tunnels on the hub"
		row=$(grep -E " up +site-to-site +192\.0\.2\.2 +gw-site-b +to-site-b$" "$T/dist") ||
			fail "no tunnel to site-b in tunnel-distribution"
		spu1=$(echo "$row" | awk '{ print $2 }')
		row=$(grep -E " up +site-to-site +192\.0\.2\.3 +gw-site-c +to-site-c$" "$T/dist") ||
			fail "no tunnel to site-c in tunnel-distribution"
		spu2=$(echo "$row" | awk '{ print $2 }')
		[ "$spu1" != "$spu2" ] || fail "both spokes' tunnels on SPU $spu1 (least loaded should spread them)"
		need "$out" "^    root@site-a# set interfaces st0 unit 0 multipoint$"
		need "$out" "^    root@site-a# set interfaces st0 unit 0 family inet next-hop-tunnel 10.255.0.3 ipsec-vpn to-site-c$"
		after "$out" "show route" >"$T/route"
		grep -q ">  to 10.255.0.2 via st0.0" "$T/route" || fail "hub route to site-b's LAN"
		grep -q ">  to 10.255.0.3 via st0.0" "$T/route" || fail "hub route to site-c's LAN"
		check_ping "$out" host-a 10.2.0.2 62
		check_ping "$out" host-a 10.3.0.2 62
		# host-b -> site-b -> hub -> site-c -> host-c: three routers
		check_ping "$out" host-b 10.3.0.2 61
	fi
	need "$out" "nothing left behind"
	! grep -q "demo.sh: failed" "$out" || fail "an error reported"
	! grep -q "Sanitizer" "$out" || fail "a sanitizer report in the output"
	check_clean "$N" "$lab"
	log "PASS"
}

# start_hold NAME OUT [SCRIPT]: a lab kept up (--hold) in the background
# (by SCRIPT, default demo.sh); its pid in HOLD_PID once it said "lab ready"
start_hold() {
	local name=$1 out=$2 script=${3:-$DEMO} i
	"$script" --build "$BUILD" --name "$name" --hold </dev/null >"$out" 2>&1 &
	HOLD_PID=$!
	BG+=("$HOLD_PID")
	for ((i = 0; i < 1200; i++)); do
		grep -qx "lab ready" "$out" && return 0
		kill -0 "$HOLD_PID" 2>/dev/null || fail "demo.sh --hold exited early: $(tail -5 "$out")"
		sleep 0.1
	done
	fail "demo.sh --hold: no 'lab ready' within 120 s"
}

# expect_fail RC REGEX COMMAND...: COMMAND exits RC and says REGEX
expect_fail() {
	local want=$1 re=$2 rc=0
	shift 2
	"$@" </dev/null >"$T/err.out" 2>&1 || rc=$?
	[ $rc -eq "$want" ] || fail "$*: exit $rc, not $want: $(cat "$T/err.out")"
	grep -Eq -- "$re" "$T/err.out" || fail "$*: no /$re/ in: $(cat "$T/err.out")"
	echo "  $(head -n 1 "$T/err.out")"
}

lab_namespaces() {
	ip netns list | awk '{ print $1 }' | grep -cE "^$1-(wan|(site|host)-[a-i])$" || true
}

run_lifecycle() {
	local out lab lab2 rc fake pid
	root_snapshot "$T/root.before"

	log "clear errors"
	expect_fail 1 "must run as root" setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$DEMO" --build "$BUILD" --name "$N"
	expect_fail 1 "a number from 2 to 9" "$DEMO" --build "$BUILD" --name "$N" --sites 1
	expect_fail 1 "is not built" "$DEMO" --build "$T/nonexistent" --name "$N"
	expect_fail 1 "no demo lab '$N' is running" "$DEMO" --name "$N" --attach site-b
	expect_fail 1 "/dev/net/tun is missing" unshare -m sh -c \
		'mount -t tmpfs none /dev/net && exec "$@"' sh "$DEMO" --build "$BUILD" --name "$N"
	expect_fail 1 "needs a terminal" "$DEMO" --build "$BUILD" --name "$N" --interactive
	check_clean "$N" ""

	log "a lab kept up (--hold); a second one of that name is refused, the first untouched"
	# (by a copy of the script under another name: the owner is known by its
	# pid and start time, whatever its command line says)
	cp "$DEMO" "$T/lab-holder"
	start_hold "$N" "$T/hold1.out" "$T/lab-holder"
	lab=$(lab_dir "$T/hold1.out")
	[ "$(lab_namespaces "$N")" -eq 5 ] || fail "not 5 namespaces"
	(cd /tmp && expect_fail 1 "already running \(demo.sh pid $HOLD_PID\)" "$DEMO" --build "$BUILD" --name "$N")
	[ "$(lab_namespaces "$N")" -eq 5 ] || fail "the refused start touched the running lab"
	[ -d "$lab" ] || fail "the refused start removed $lab"

	log "--attach from elsewhere: site-b's shell, a command on host-b"
	out=$(cd / && "$DEMO" --name "$N" --attach site-b show security ike security-associations)
	echo "$out"
	grep -Eq "^[0-9]+ +UP +[0-9a-f]{16}  [0-9a-f]{16}  IKEv2 +192\.0\.2\.1$" <<<"$out" ||
		fail "site-b's IKE SA through --attach"
	"$DEMO" --name "$N" --attach host-b ping -c 2 -i 0.2 -W 2 10.1.0.2 >"$T/ping.out" ||
		fail "ping from host-b through --attach: $(cat "$T/ping.out")"
	# a lab of another name runs beside it
	log "a second lab under another name, beside the first"
	"$DEMO" --build "$BUILD" --name "$N-x" </dev/null >"$T/other.out" 2>&1 || fail "lab $N-x failed"
	grep -q "nothing left behind" "$T/other.out" || fail "lab $N-x"
	[ "$(lab_namespaces "$N")" -eq 5 ] || fail "lab $N-x touched lab $N"
	check_clean "$N-x" "$(lab_dir "$T/other.out")"

	log "--stop: the held lab goes, its script exits 0"
	"$DEMO" --name "$N" --stop
	rc=0
	wait "$HOLD_PID" || rc=$?
	[ $rc -eq 0 ] || fail "the held lab exited $rc"
	grep -q "nothing left behind" "$T/hold1.out" || fail "hold1: no teardown report"
	! grep -q "demo.sh: failed" "$T/hold1.out" || fail "hold1: an error in the teardown"
	check_clean "$N" "$lab"

	log "the script killed (-9): --stop cleans up what it left"
	start_hold "$N" "$T/hold2.out"
	lab=$(lab_dir "$T/hold2.out")
	kill -9 "$HOLD_PID"
	wait "$HOLD_PID" 2>/dev/null || true
	[ "$(lab_namespaces "$N")" -eq 5 ] || fail "the namespaces went with the script?"
	"$DEMO" --name "$N" --stop | tee "$T/stop.out"
	grep -q "its script is gone" "$T/stop.out" || fail "--stop did not see the stale lab"
	check_clean "$N" "$lab"

	log "the script killed (-9): the next run cleans up and runs"
	start_hold "$N" "$T/hold3.out"
	lab=$(lab_dir "$T/hold3.out")
	kill -9 "$HOLD_PID"
	wait "$HOLD_PID" 2>/dev/null || true
	"$DEMO" --build "$BUILD" --name "$N" </dev/null >"$T/after-kill.out" 2>&1 ||
		fail "the run after a killed one failed"
	grep -q "was left behind (its script is gone): cleaning it up" "$T/after-kill.out" ||
		fail "no stale clean-up reported"
	grep -q "removing $lab" "$T/after-kill.out" || fail "the stale lab's directory"
	lab2=$(lab_dir "$T/after-kill.out")
	check_clean "$N" "$lab"
	check_clean "$N" "$lab2"

	log "SIGTERM half-way through the configuration"
	"$DEMO" --build "$BUILD" --name "$N" </dev/null >"$T/term.out" 2>&1 &
	pid=$!
	BG+=("$pid")
	for ((i = 0; i < 1200; i++)); do
		grep -q "Configuring site-a" "$T/term.out" && break
		sleep 0.05
	done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	# bash 5.2 quirk, rare: a signal that arrives just before a command
	# substitution forks may run the trap in the child mid-parse ("trap: line
	# 2: unexpected EOF while looking for matching `)'"); the substitution
	# fails, set -e ends the script with 2 and the EXIT trap still tears the
	# lab down. Anything else is ours.
	if [ $rc -eq 2 ] && grep -q "trap: line [0-9]*: unexpected EOF" "$T/term.out"; then
		echo "  (bash ran the trap in a command substitution: exit 2, teardown checked)"
	else
		[ $rc -eq 143 ] || fail "SIGTERM: exit $rc, not 143"
		grep -q "interrupted (SIGTERM): stopping the lab" "$T/term.out" || fail "no interruption message"
	fi
	need "$T/term.out" "nothing left behind"
	check_clean "$N" "$(lab_dir "$T/term.out")"

	log "a commit refused half-way (a shell that adds an IKEv1 gateway): error, logs, teardown"
	fake=$T/fake-build
	mkdir -p "$fake/bin"
	ln -s "$BUILD"/bin/* "$fake/bin/"
	ln -s "$BUILD/share" "$fake/share"
	rm "$fake/bin/cairn"
	cat >"$fake/bin/cairn" <<EOF
#!/bin/sh
# the real shell, with one more line before the commit of the VPN
if [ -t 0 ] || [ "\$#" -gt 2 ]; then exec "$BUILD/bin/cairn" "\$@"; fi
sed '/^commit comment "demo: VPN/i set security ike gateway gw-site-a version v1-only' |
	exec "$BUILD/bin/cairn" "\$@"
EOF
	chmod +x "$fake/bin/cairn"
	rc=0
	"$DEMO" --build "$fake" --name "$N" </dev/null >"$T/refused.out" 2>&1 || rc=$?
	[ $rc -eq 1 ] || fail "refused commit: exit $rc"
	need "$T/refused.out" "v1-only is not supported"
	need "$T/refused.out" "the commit on site-b was refused"
	need "$T/refused.out" "^--- last lines of site-b/iked.log"
	need "$T/refused.out" "nothing left behind"
	check_clean "$N" "$(lab_dir "$T/refused.out")"

	log "a daemon that exits at start: said at once, with its log"
	rm "$fake/bin/cairn-iked"
	printf '#!/bin/sh\necho "cairn-iked: cannot start (test)" >&2\nexit 1\n' >"$fake/bin/cairn-iked"
	chmod +x "$fake/bin/cairn-iked"
	rc=0
	"$DEMO" --build "$fake" --name "$N" </dev/null >"$T/exited.out" 2>&1 || rc=$?
	[ $rc -eq 1 ] || fail "exiting daemon: exit $rc"
	need "$T/exited.out" "cairn-iked: cannot start \\(test\\)"
	need "$T/exited.out" "cairn-iked exited on site-a"
	need "$T/exited.out" "nothing left behind"
	check_clean "$N" "$(lab_dir "$T/exited.out")"
	log "PASS"
}

# ------------------------------------------------------------- pty

tm() { tmux -L "$TMUX_SOCK" "$@"; }
tm_screen() { tm capture-pane -p -J -t "$1" -S -2000; }
tm_wait() {
	local s=$1 re=$2 secs=${3:-60} i
	for ((i = 0; i < secs * 10; i++)); do
		# (no `| grep -q` under pipefail: the writer may get SIGPIPE)
		grep -Eq -- "$re" <<<"$(tm_screen "$s")" && return 0
		sleep 0.1
	done
	echo "timeout waiting for /$re/; the screen:" >&2
	tm_screen "$s" | sed '/^$/d' | tail -n 40 >&2
	return 1
}
# the text of the cursor's line up to the cursor
tm_input() {
	local x y
	x=$(tm display-message -p -t "$1" '#{cursor_x}')
	y=$(tm display-message -p -t "$1" '#{cursor_y}')
	tm capture-pane -p -N -t "$1" -S "$y" -E "$y" | sed -n 1p | cut -c "1-$x"
}
tm_wait_input() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(tm_input "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "input line is '$(tm_input "$1")', not '$2'"
}

run_pty() {
	local lab hint out P="root@site-a> "
	root_snapshot "$T/root.before"
	log "on a terminal: the lab, then site-a's shell"
	tm -f /dev/null new-session -d -s d -x 132 -y 50 \
		"cd / && env TERM=xterm LANG=C.UTF-8 $DEMO --build $BUILD --name $N; echo \"[exited \$?]\"; sleep 600"
	tm set-option -t d history-limit 5000 >/dev/null
	tm_wait d "exit .or Ctrl-D. leaves the shell and stops the lab" 180
	tm_wait d "^root@site-a> $"
	tm_screen d >"$T/pty.out"
	lab=$(lab_dir "$T/pty.out")
	need "$T/pty.out" "site-a ⇄ site-b: IKE SA and IPsec SA pair up"
	need "$T/pty.out" "3 packets transmitted, 3 received, 0% packet loss"
	# the command printed for site-b's shell works (with a command added)
	hint=$(sed -n "s/^  site-b's shell: *//p" "$T/pty.out")
	[ -n "$hint" ] || fail "no hint for site-b's shell"
	(cd /tmp && $hint show security ike security-associations) >"$T/hint.out" 2>&1 ||
		fail "'$hint': $(cat "$T/hint.out")"
	need "$T/hint.out" "^[0-9]+ +UP +[0-9a-f]{16}  [0-9a-f]{16}  IKEv2 +192\.0\.2\.1$"

	log "a show command"
	tm send-keys -t d -l "show security ike security-associations"
	tm send-keys -t d Enter
	tm_wait d "^1 +UP +[0-9a-f]{16}  [0-9a-f]{16}  IKEv2 +192\.0\.2\.2$"

	log "? lists what may follow"
	tm send-keys -t d -l "show security ipsec "
	tm send-keys -t d -l "?"
	tm_wait d "^Possible completions:"
	tm_wait d "^  tunnel-distribution +Show"
	tm_wait_input d "${P}show security ipsec "
	tm send-keys -t d C-u

	log "TAB completes"
	tm send-keys -t d -l "show security ipsec tunnel-d"
	tm send-keys -t d Tab
	tm_wait_input d "${P}show security ipsec tunnel-distribution "
	tm send-keys -t d Enter
	tm_wait d "^131073 +[01] +up +site-to-site +192\.0\.2\.2 +gw-site-b +to-site-b$"

	log "Ctrl-C drops the line and nothing else (the lab keeps running)"
	tm send-keys -t d -l "show conf"
	tm send-keys -t d C-c
	tm_wait_input d "$P"
	sleep 0.5
	[ "$(lab_namespaces "$N")" -eq 5 ] || fail "Ctrl-C touched the lab"
	out=$("$DEMO" --name "$N" --attach site-a show security ike security-associations)
	grep -q " UP " <<<"$out" || fail "Ctrl-C reached the daemons"

	log "configure, show, exit"
	tm send-keys -t d -l "configure"
	tm send-keys -t d Enter
	tm_wait d "^root@site-a# $"
	tm send-keys -t d -l "show security ipsec vpn to-site-b | display set"
	tm send-keys -t d Enter
	tm_wait d "^set security ipsec vpn to-site-b bind-interface st0\.0$"
	tm send-keys -t d -l "exit"
	tm send-keys -t d Enter
	tm_wait d "^Exiting configuration mode"

	log "exit: the lab is torn down, the demo exits 0"
	tm send-keys -t d -l "exit"
	tm send-keys -t d Enter
	tm_wait d "^\[exited 0\]$" 60
	tm_screen d >"$T/pty.out"
	need "$T/pty.out" "nothing left behind"
	check_clean "$N" "$lab"

	log "the terminal closed (SIGHUP) while in the shell: torn down"
	tm -f /dev/null new-session -d -s h -x 132 -y 50 \
		"cd / && env TERM=xterm $DEMO --build $BUILD --name $N"
	tm_wait h "^root@site-a> $" 180
	tm_screen h >"$T/hup.out"
	lab=$(lab_dir "$T/hup.out")
	[ -n "$lab" ] || fail "no lab banner"
	tm kill-session -t h
	for ((i = 0; i < 300; i++)); do
		[ -e "/run/cairn-demo/$N" ] || break
		sleep 0.1
	done
	sleep 0.5
	check_clean "$N" "$lab"
	log "PASS"
}

case $CASE in
tour2) run_tour 2 ;;
tour3) run_tour 3 ;;
lifecycle) run_lifecycle ;;
pty) run_pty ;;
*)
	echo "unknown case $CASE" >&2
	exit 2
	;;
esac
