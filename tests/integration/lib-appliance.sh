# SPDX-License-Identifier: MIT
# lib-appliance.sh: Cairn appliances in network namespaces, for the
# integration tests of cairn-iked and whatever comes after them (sourced;
# docs/iked.md §14 describes the API).
#
#                    WAN: namespace $P-wan, bridge br0
#            192.0.2.0/24, fd00::/64 (site N is .N / ::N)
#        +-------------+----------------+---------------+
#       gw1           gw2              gw3     ...     (appliances: cairn-mgd
#   10.1.0.1/24    10.2.0.1/24      10.3.0.1/24         + cairn-iked + dataplane)
#       |             |                |
#       h1            h2               h3      (hosts: 10.N.0.2/24, fd0N::2/64)
#
# Everything carries $$ (namespace names, the temporary directory); the
# EXIT trap stops every process started here, by process id, deletes the
# namespaces and the directory, and on failure prints the last lines of
# every daemon's log. Polls with deadlines; never sleeps blindly.
# LAB_KEEP=DIR keeps the daemons' logs there (debugging); IKED_ARGS are
# given to every cairn-iked (e.g. --debug).
#
#   lab_init                      namespaces' prefix, temp dir, WAN bridge, trap
#   lab_site N                    gwN and hN wired to the WAN and to each other
#   lab_nat_site N [random] [fwd] gwN behind a NAT namespace (masquerade)
#   gw N CMD... / host N CMD...   run a command in gwN's / hN's namespace (in the
#                                 background, use ip netns exec "$P-hN" directly:
#                                 $! of a backgrounded function is a subshell's)
#   appliance_start N [ARGS]      cairn-mgd + cairn-iked in gwN (root $LAB/gwN);
#                                 ARGS go to cairn-iked
#   iked_stop N / iked_kill N / iked_start N   (cairn-iked only)
#   configure N < LINES           set/delete lines, committed in one commit; prints
#                                 mgd's messages; status 1 when refused
#   configure_check N < LINES     the same with commit check (then discarded)
#   cli N "COMMAND"               an operational command through the shell (when
#                                 build/bin/cairn exists) or its RPC (cairn-rpc)
#   rpc N RPC-JSON...             raw RPCs to gwN's mgd (one session)
#   ipsec_spis N VPN              "in out" SPI pairs of VPN's tunnels, one a line
#   ike_up N                      number of IKE SAs UP
#   wait_for SECS WHAT CMD...     polls CMD until it succeeds
#   wait_tunnel_up N VPN [SECS]   polls until VPN has an SA pair on gwN
#   ping_ok SRC_HOST DST_ADDR     3 pings within a deadline
#   tcp_transfer SRC DST_HOST BYTES [ADDR [BIND]]  iperf3 from hSRC (from BIND)
#                                 to hDST (to ADDR, default its 10.DST.0.2)
#   tcp_both A B BYTES            tcp_transfer A -> B and B -> A
#   spis_agree A B VPN [VPN_B]    gwA's SA pairs of VPN are gwB's, reversed
#   sa_pairs N VPN                number of SA pairs of VPN on gwN
#   sa_packets N TUNNEL in|out    packets through tunnel TUNNEL's current SA
#   esp_stat N FIELD              a counter of show security ipsec statistics
#                                 ("Encrypted packets", "Decrypted packets", ...)
#   ike_proposals TAG             IKE/IPsec proposals and policies ikepol-TAG,
#                                 ipsecpol-TAG (PSK "psk-TAG-secret", ECP256, GCM)
set -eu

: "${BUILD:?BUILD (the build directory) must be set}"
BIN=$BUILD/bin
P=ap$$
LAB=""
PIDS=""
SITES=""

LAB_T0=$(date +%s%N)
# log MESSAGE: "== [seconds since the start] MESSAGE"
log() {
	t=$((($(date +%s%N) - LAB_T0) / 100000000))
	echo "== [$((t / 10)).$((t % 10))s] $*"
}
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

lab_cleanup() {
	rc=$?
	set +e
	# newest first: cairn-iked before its cairn-mgd (an orderly shutdown;
	# mgd leaks the sessions of subscribers still connected when it exits)
	rev=""
	for p in $PIDS; do rev="$p $rev"; done
	for p in $rev; do
		kill "$p" 2>/dev/null
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
	done
	for p in $rev; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# anything still running in our namespaces was started here
	for s in $SITES; do
		for ns in "$P-gw$s" "$P-h$s" "$P-nat$s"; do
			for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		done
	done
	for s in $SITES; do
		ip netns del "$P-gw$s" 2>/dev/null
		ip netns del "$P-h$s" 2>/dev/null
		ip netns del "$P-nat$s" 2>/dev/null
	done
	ip netns del "$P-wan" 2>/dev/null
	if [ -n "$LAB" ] && grep -l "Sanitizer" "$LAB"/*/*.log >/dev/null 2>&1; then
		echo "FAIL: sanitizer report from a daemon" >&2
		grep -h -A20 "Sanitizer" "$LAB"/*/*.log | head -60 >&2
		rc=1
	fi
	if [ $rc -ne 0 ] && [ -n "$LAB" ]; then
		for f in "$LAB"/*/*.log; do
			[ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
		done
	fi
	if [ -n "${LAB_KEEP:-}" ] && [ -n "$LAB" ]; then
		# debugging: the daemons' logs survive in $LAB_KEEP
		mkdir -p "$LAB_KEEP"
		for d in "$LAB"/gw*; do
			[ -d "$d" ] && cp "$d"/*.log "$LAB_KEEP/" 2>/dev/null &&
				for f in "$d"/*.log; do mv "$LAB_KEEP/$(basename "$f")" "$LAB_KEEP/$(basename "$d")-$(basename "$f")"; done
		done
	fi
	[ -n "$LAB" ] && rm -rf "$LAB"
	exit $rc
}

lab_init() {
	LAB=$(mktemp -d "${TMPDIR:-/var/tmp}/cairn-lab.XXXXXX")
	chmod 755 "$LAB"
	trap lab_cleanup EXIT INT TERM
	ip netns add "$P-wan"
	ip -n "$P-wan" link set lo up
	ip -n "$P-wan" link add br0 type bridge
	ip -n "$P-wan" link set br0 up
	mkdir -p "$LAB/yang"
	cp "$BUILD"/share/cairn/yang/*.yang "$LAB/yang/"
	export CAIRN_YANG_DIR="$LAB/yang"
}

gw() {
	n=$1
	shift
	ip netns exec "$P-gw$n" "$@"
}

host() {
	n=$1
	shift
	ip netns exec "$P-h$n" "$@"
}

lab_site() {
	n=$1
	SITES="$SITES $n"
	ip netns add "$P-gw$n"
	ip netns add "$P-h$n"
	ip -n "$P-gw$n" link set lo up
	ip -n "$P-h$n" link set lo up
	# WAN side
	ip link add "w$n" netns "$P-gw$n" type veth peer name "p$n" netns "$P-wan"
	ip -n "$P-wan" link set "p$n" master br0 up
	ip -n "$P-gw$n" addr add "192.0.2.$n/24" dev "w$n"
	ip -n "$P-gw$n" addr add "fd00::$n/64" dev "w$n" nodad
	ip -n "$P-gw$n" link set "w$n" up
	# LAN side
	ip link add "l$n" netns "$P-gw$n" type veth peer name "e$n" netns "$P-h$n"
	ip -n "$P-gw$n" addr add "10.$n.0.1/24" dev "l$n"
	ip -n "$P-gw$n" addr add "fd0$n::1/64" dev "l$n" nodad
	ip -n "$P-gw$n" link set "l$n" up
	ip -n "$P-h$n" addr add "10.$n.0.2/24" dev "e$n"
	ip -n "$P-h$n" addr add "fd0$n::2/64" dev "e$n" nodad
	ip -n "$P-h$n" link set "e$n" up
	ip -n "$P-h$n" route add default via "10.$n.0.1"
	ip -n "$P-h$n" -6 route add default via "fd0$n::1"
	gw "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	mkdir -p "$LAB/gw$n"
}

# lab_nat_site N [random] [fwd]: like lab_site, but gwN reaches the WAN
# through $P-natN, which masquerades it behind 192.0.2.(100+N) (nftables;
# with "random", source ports are mapped to random ones, not kept; with
# "fwd", UDP 500 and 4500 of the public address are forwarded to gwN, a
# static port forward so that a peer can initiate to it). gwN's WAN
# address is 100.64.N.2/24.
lab_nat_site() {
	n=$1
	nat_flags=${2:-}
	fwd=""
	[ "${3:-}" != fwd ] ||
		fwd="chain pre { type nat hook prerouting priority dstnat; iifname \"w$n\" udp dport { 500, 4500 } dnat to 100.64.$n.2; }"
	SITES="$SITES $n"
	ip netns add "$P-gw$n"
	ip netns add "$P-h$n"
	ip netns add "$P-nat$n"
	for x in gw h nat; do ip -n "$P-$x$n" link set lo up; done
	ip link add "w$n" netns "$P-nat$n" type veth peer name "p$n" netns "$P-wan"
	ip -n "$P-wan" link set "p$n" master br0 up
	ip -n "$P-nat$n" addr add "192.0.2.$((100 + n))/24" dev "w$n"
	ip -n "$P-nat$n" link set "w$n" up
	ip link add "i$n" netns "$P-nat$n" type veth peer name "w$n" netns "$P-gw$n"
	ip -n "$P-nat$n" addr add "100.64.$n.1/24" dev "i$n"
	ip -n "$P-nat$n" link set "i$n" up
	ip -n "$P-gw$n" addr add "100.64.$n.2/24" dev "w$n"
	ip -n "$P-gw$n" link set "w$n" up
	ip -n "$P-gw$n" route add default via "100.64.$n.1"
	ip netns exec "$P-nat$n" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$P-nat$n" nft -f - <<EOF
table ip nat {
	chain post { type nat hook postrouting priority srcnat; oifname "w$n" masquerade $nat_flags; }
	$fwd
}
EOF
	lab_lan4 "$n"
}

# lab_lan4 N: hN behind gwN on 10.N.0.0/24 (IPv4 only), gwN forwarding
lab_lan4() {
	ip link add "l$1" netns "$P-gw$1" type veth peer name "e$1" netns "$P-h$1"
	ip -n "$P-gw$1" addr add "10.$1.0.1/24" dev "l$1"
	ip -n "$P-gw$1" link set "l$1" up
	ip -n "$P-h$1" addr add "10.$1.0.2/24" dev "e$1"
	ip -n "$P-h$1" link set "e$1" up
	ip -n "$P-h$1" route add default via "10.$1.0.1"
	gw "$1" sysctl -qw net.ipv4.ip_forward=1
	mkdir -p "$LAB/gw$1"
}

# wait_for SECONDS DESCRIPTION COMMAND...
wait_for() {
	secs=$1
	what=$2
	shift 2
	end=$(($(date +%s) + secs))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || fail "timed out after ${secs}s waiting for $what"
		sleep 0.1
	done
}

rpc() {
	n=$1
	shift
	"$BIN/cairn-rpc" --root "$LAB/gw$n" --timeout 60 "$@"
}

mgd_ready() {
	"$BIN/cairn-rpc" --root "$LAB/gw$1" --timeout 2 >/dev/null 2>&1
}

# iked serves its RPCs once subscribed (and synced).
iked_ready() {
	rpc "$1" '{"cairn-security-state:get-ipsec-inactive-tunnels":{}}' >/dev/null 2>&1
}

iked_start() {
	n=$1
	shift
	# not through gw(): a backgrounded function is a subshell, and $! would
	# be its pid, not the daemon's
	# shellcheck disable=SC2086 # IKED_ARGS: words
	ip netns exec "$P-gw$n" "$BIN/cairn-iked" --root "$LAB/gw$n" ${IKED_ARGS:-} "$@" \
		>>"$LAB/gw$n/iked.log" 2>&1 &
	eval "IKED_PID_$n=$!"
	PIDS="$PIDS $!"
	wait_for 30 "cairn-iked in gw$n" iked_ready "$n"
}

iked_pid() {
	eval "echo \${IKED_PID_$1:-}"
}

iked_stop() {
	p=$(iked_pid "$1")
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

iked_kill() {
	p=$(iked_pid "$1")
	[ -n "$p" ] || return 0
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

appliance_start() {
	n=$1
	shift
	ip netns exec "$P-gw$n" "$BIN/cairn-mgd" --root "$LAB/gw$n" >>"$LAB/gw$n/mgd.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 30 "cairn-mgd in gw$n" mgd_ready "$n"
	iked_start "$n" "$@"
}

have_shell() {
	[ -x "$BIN/cairn" ]
}

# json_str TEXT: TEXT as the body of a JSON string
json_str() {
	printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' |
		awk 'BEGIN { ORS = "" } { if (NR > 1) print "\\n"; print }'
}

# configure N: set lines on stdin, one commit (or commit check with $1=check)
_configure() {
	n=$1
	mode=$2
	lines=$(cat)
	if have_shell; then
		if [ "$mode" = check ]; then
			printf 'configure\n%s\ncommit check\nrollback 0\nexit\n' "$lines" |
				"$BIN/cairn" --root "$LAB/gw$n"
		else
			printf 'configure\n%s\ncommit\nexit\n' "$lines" | "$BIN/cairn" --root "$LAB/gw$n"
		fi
	else
		c='{}'
		[ "$mode" = check ] && c='{"check":[null]}'
		rc=0
		rpc "$n" '{"cairn-mgmt:configure":{}}' \
			"{\"cairn-mgmt:edit\":{\"lines\":\"$(json_str "$lines")\"}}" \
			"{\"cairn-mgmt:commit\":$c}" >"$LAB/rpc.out" 2>&1 || rc=$?
		if [ "$mode" = check ]; then
			rpc "$n" '{"cairn-mgmt:configure":{}}' '{"cairn-mgmt:discard-changes":{}}' \
				>/dev/null 2>&1 || true
		fi
		cat "$LAB/rpc.out"
		return $rc
	fi
}

configure() {
	_configure "$1" commit
}

configure_check() {
	_configure "$1" check
}

# The RPC of an operational command (used when the shell is not built):
# "show security ipsec security-associations vpn-name v1 detail" ->
# {"cairn-security-state:get-security-associations-information":{...}}
_op_rpc() {
	awk -v cmd="$*" '
	BEGIN {
		n = split(cmd, w, " ")
		t["show security ike security-associations"] = "get-ike-security-associations-information"
		t["show security ipsec security-associations"] = "get-security-associations-information"
		t["show security ipsec statistics"] = "get-ipsec-statistics-information"
		t["show security ike tunnel-map"] = "get-ike-tunnel-map-information"
		t["show security ipsec tunnel-distribution"] = "get-ipsec-tunnel-distribution"
		t["show security ipsec inactive-tunnels"] = "get-ipsec-inactive-tunnels"
		t["show security ipsec next-hop-tunnels"] = "get-ipsec-next-hop-tunnels"
		t["show security ike active-peer"] = "get-ike-active-peer-information"
		t["clear security ike security-associations"] = "clear-ike-security-associations"
		t["clear security ipsec security-associations"] = "clear-ipsec-security-associations"
		t["clear security ipsec statistics"] = "clear-ipsec-statistics"
		t["request security re-distribution ipsec-vpn"] = "request-ipsec-re-distribution"
		t["show interfaces"] = "get-interface-information"
		t["show route"] = "get-route-information"
		for (k = n; k >= 1; k--) {
			c = w[1]; for (i = 2; i <= k; i++) c = c " " w[i]
			if (c in t) break
		}
		if (k < 1) { print "unknown command: " cmd > "/dev/stderr"; exit 1 }
		out = ""
		for (i = k + 1; i <= n; i++) {
			a = w[i]
			if (a == "detail" || a == "brief" || a == "summary" || a == "terse") {
				v = "[null]"
			} else if (a == "index" || a == "vpn-name" || a == "gateway-name" || a == "spu" ||
			    a == "remote-id") {
				i++; v = (a == "index" || a == "spu") ? w[i] : "\"" w[i] "\""
			} else if (c == "show interfaces") {
				v = "\"" a "\""; a = "interface-name"
			} else if (c == "show route") {
				v = "\"" a "\""; a = "destination"
			} else {
				v = "\"" a "\""; a = "peer-address"
			}
			out = out (out == "" ? "" : ",") "\"" a "\":" v
		}
		printf "{\"cairn-security-state:%s\":{%s}}\n", t[c], out
	}'
}

# cli N COMMAND: an operational command's output (the shell's text, or the
# RPC reply as JSON when the shell is not built)
cli() {
	n=$1
	shift
	if have_shell; then
		"$BIN/cairn" --root "$LAB/gw$n" -c "$*"
	else
		rpc "$n" "$(_op_rpc "$@")"
	fi
}

# ipsec_spis N VPN: "IN OUT" per SA pair of VPN on gwN (hex, lower case)
ipsec_spis() {
	rpc "$1" "{\"cairn-security-state:get-security-associations-information\":{\"vpn-name\":\"$2\"}}" |
		tr '{}[],' '\n\n\n\n\n' | awk -F'"' '
		$2 == "sa-direction" { dir = $4 }
		$2 == "sa-spi" { if (dir == "inbound") i = $4; else { print i, $4 } }'
}

# ike_up N: IKE SAs UP on gwN
ike_up() {
	rpc "$1" '{"cairn-security-state:get-ike-security-associations-information":{}}' |
		grep -o '"ike-sa-state":"UP"' | wc -l
}

tunnel_up() {
	[ -n "$(ipsec_spis "$1" "$2")" ]
}

wait_tunnel_up() {
	wait_for "${3:-30}" "VPN $2 up on gw$1" tunnel_up "$1" "$2"
}

ping_ok() {
	host "$1" ping -c 3 -i 0.2 -W 2 "$2" >/dev/null 2>&1
}

# tcp_transfer SRC DST BYTES [ADDR [BIND]]: iperf3 TCP from hSRC (bound to
# BIND) to hDST (to ADDR, default 10.DST.0.2)
tcp_transfer() {
	src=$1
	dst=$2
	size=$3
	addr=${4:-10.$dst.0.2}
	bind=${5:+-B $5}
	ip netns exec "$P-h$dst" iperf3 -s -1 -p 5201 >"$LAB/iperf-s.log" 2>&1 &
	spid=$!
	PIDS="$PIDS $spid"
	wait_for 10 "iperf3 server in h$dst" sh -c "ip netns exec $P-h$dst ss -ltn | grep -q ':5201'"
	# shellcheck disable=SC2086 # $bind is empty or two words
	host "$src" timeout 60 iperf3 -c "$addr" $bind -p 5201 -n "$size" >"$LAB/iperf-c.log" 2>&1 ||
		fail "TCP transfer h$src -> h$dst ($addr): $(tail -3 "$LAB/iperf-c.log")"
	wait "$spid" 2>/dev/null || true
	echo "h$src -> h$dst: $(grep sender "$LAB/iperf-c.log" | tail -1)"
}

# tcp_both A B BYTES: a TCP transfer each way between hA and hB
tcp_both() {
	tcp_transfer "$1" "$2" "$3"
	tcp_transfer "$2" "$1" "$3"
}

# spis_agree A B VPN [VPN_B]: every SA pair (in out) of VPN on gwA is an SA
# pair (out in) of VPN_B (default VPN) on gwB, and the other way round;
# at least one pair
spis_agree() {
	a=$(ipsec_spis "$1" "$3" | sort)
	b=$(ipsec_spis "$2" "${4:-$3}" | awk '{ print $2, $1 }' | sort)
	[ -n "$a" ] && [ "$a" = "$b" ]
}

# sa_pairs N VPN: number of SA pairs of VPN on gwN
sa_pairs() {
	ipsec_spis "$1" "$2" | wc -l
}

# sa_packets N TUNNEL in|out: packets through the current inbound or
# outbound SA of tunnel TUNNEL (its ID) on gwN
sa_packets() {
	cli "$1" show security ipsec security-associations index "$2" detail |
		awk -v d="$3" '
		/Direction: inbound/ { cur = "in" }
		/Direction: outbound/ { cur = "out" }
		/Packets:/ && cur == d { sub(/.*Packets: /, ""); sub(/,.*/, ""); print; exit }'
}

# esp_stat N FIELD: a counter of `show security ipsec statistics` on gwN
esp_stat() {
	cli "$1" show security ipsec statistics |
		awk -v f="$2:" 'index($0, f) { sub(/.*:/, ""); gsub(/ /, ""); print; exit }'
}

# ike_proposals TAG: IKE proposal ikep-TAG (ECP256, AES-128-GCM), IKE policy
# ikepol-TAG (PSK "psk-TAG-secret"), IPsec proposal esp-TAG (AES-128-GCM),
# IPsec policy ipsecpol-TAG
ike_proposals() {
	cat <<EOF
set security ike proposal ikep-$1 dh-group group19
set security ike proposal ikep-$1 encryption-algorithm aes-128-gcm
set security ike proposal ikep-$1 lifetime-seconds 3600
set security ike policy ikepol-$1 proposals ikep-$1
set security ike policy ikepol-$1 pre-shared-key ascii-text "psk-$1-secret"
set security ipsec proposal esp-$1 encryption-algorithm aes-128-gcm
set security ipsec policy ipsecpol-$1 proposals esp-$1
EOF
}

# site_to_site_config SITE PEER VPN UNIT [EXTRA]: the set lines of a
# route-based VPN from gwSITE to gwPEER (PSK, AES-GCM), st0.UNIT, a route to
# the peer's LAN
site_to_site_config() {
	s=$1
	p=$2
	v=$3
	u=$4
	ike_proposals "$v"
	cat <<EOF
set security ike gateway gw-$v ike-policy ikepol-$v
set security ike gateway gw-$v address 192.0.2.$p
set security ike gateway gw-$v local-address 192.0.2.$s
set security ipsec vpn $v bind-interface st0.$u
set security ipsec vpn $v ike gateway gw-$v
set security ipsec vpn $v ike ipsec-policy ipsecpol-$v
set security ipsec vpn $v establish-tunnels immediately
set interfaces st0 unit $u family inet address 10.255.$u.$s/24
set routing-options static route 10.$p.0.0/24 next-hop st0.$u
EOF
}
