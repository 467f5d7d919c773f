# SPDX-License-Identifier: MIT
# Shared helpers of the userspace dataplane integration tests (sourced).
#
#   h1 ---- gw1 ======== gw2 ---- h2
#  10.1.0.2  10.1.0.1    10.2.0.1  10.2.0.2
#  fd01::2   192.0.2.1   192.0.2.2 fd02::2
#            fd00::1     fd00::2
#
# Every name carries $$; cleanup (trap EXIT) stops what was started here,
# by process id, and deletes the namespaces.

: "${BUILD:?BUILD (the build directory) must be set}"
DPM=$BUILD/bin/cairn-dp-manual
INJECT=$BUILD/tests/esp-inject
P=dp$$
TMP=$(mktemp -d /tmp/cairn-dp.XXXXXX)
PIDS=""

K_GCM1=000102030405060708090a0b0c0d0e0f10111213
K_GCM2=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3
K_CBC1=000102030405060708090a0b0c0d0e0f
K_CBC2=f0e0d0c0b0a090807060504030201000
K_SHA1=1111111111111111111111111111111111111111111111111111111111111111
K_SHA2=2222222222222222222222222222222222222222222222222222222222222222

log() { echo "== $*"; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

cleanup() {
	rc=$?
	set +e
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	for n in h1 gw1 gw2 h2; do ip netns del "$P-$n" 2>/dev/null; done
	# a sanitizer build reports memory errors and leaks at exit
	if grep -l "Sanitizer" "$TMP"/gw*.log >/dev/null 2>&1; then
		echo "FAIL: sanitizer report from a dataplane" >&2
		rc=1
	fi
	if [ $rc -ne 0 ]; then
		for f in "$TMP"/*.log; do
			[ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }
		done
	fi
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT INT TERM

n() {
	ns=$1
	shift
	ip netns exec "$P-$ns" "$@"
}

topology() {
	for x in h1 gw1 gw2 h2; do
		ip netns add "$P-$x"
		ip -n "$P-$x" link set lo up
	done
	ip link add a1 netns "$P-h1" type veth peer name a2 netns "$P-gw1"
	ip link add b1 netns "$P-gw1" type veth peer name b2 netns "$P-gw2"
	ip link add c1 netns "$P-gw2" type veth peer name c2 netns "$P-h2"
	ip -n "$P-h1" addr add 10.1.0.2/24 dev a1
	ip -n "$P-h1" addr add fd01::2/64 dev a1 nodad
	ip -n "$P-h1" link set a1 up
	ip -n "$P-h1" route add default via 10.1.0.1
	ip -n "$P-h1" -6 route add default via fd01::1
	ip -n "$P-gw1" addr add 10.1.0.1/24 dev a2
	ip -n "$P-gw1" addr add fd01::1/64 dev a2 nodad
	ip -n "$P-gw1" addr add 192.0.2.1/24 dev b1
	ip -n "$P-gw1" addr add fd00::1/64 dev b1 nodad
	ip -n "$P-gw1" link set a2 up
	ip -n "$P-gw1" link set b1 up
	ip -n "$P-gw2" addr add 192.0.2.2/24 dev b2
	ip -n "$P-gw2" addr add fd00::2/64 dev b2 nodad
	ip -n "$P-gw2" addr add 10.2.0.1/24 dev c1
	ip -n "$P-gw2" addr add fd02::1/64 dev c1 nodad
	ip -n "$P-gw2" link set b2 up
	ip -n "$P-gw2" link set c1 up
	ip -n "$P-h2" addr add 10.2.0.2/24 dev c2
	ip -n "$P-h2" addr add fd02::2/64 dev c2 nodad
	ip -n "$P-h2" link set c2 up
	ip -n "$P-h2" route add default via 10.2.0.1
	ip -n "$P-h2" -6 route add default via fd02::1
	for g in gw1 gw2; do
		n $g sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	done
	# the outer path must work before anything else is blamed
	n gw1 ping -c 1 -W 2 192.0.2.2 >/dev/null || fail "outer IPv4 path"
}

# start_gw N CONFIG_FILE: runs cairn-dp-manual in gwN; waits for its socket.
start_gw() {
	g=$1
	conf=$2
	sock=$TMP/gw$g.sock
	ip netns exec "$P-gw$g" "$DPM" -f "$conf" -s "$sock" >"$TMP/gw$g.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ ! -S "$sock" ]; do
		kill -0 $! 2>/dev/null || fail "cairn-dp-manual in gw$g exited: $(cat "$TMP/gw$g.log")"
		i=$((i + 1))
		[ $i -lt 300 ] || fail "gw$g dataplane not ready"
		sleep 0.1
	done
}

# st0_gone_in GW WHAT: wait (10 s at most) until gwGW's st0 is gone
# with its dataplane; fail with WHAT otherwise
st0_gone_in() {
	i=0
	while n "gw$1" ip link show st0 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$2"
		sleep 0.1
	done
}

ctl() {
	g=$1
	shift
	"$DPM" -s "$TMP/gw$g.sock" -c "$*"
}

# sa_stat GW SPI DIR FIELD: one counter of one SA
sa_stat() {
	ctl "$1" stats | awk -v spi="$(printf %08x "$2")" -v dir="$3" -v f="$4" \
		'$1 == "sa" && $2 == spi && $3 == dir { for (i = 4; i < NF; i++) if ($i == f) print $(i + 1) }'
}

# spu_stat GW SPU FIELD
spu_stat() {
	ctl "$1" stats | awk -v s="$2" -v f="$3" \
		'$1 == "spu" && $2 == s { for (i = 3; i < NF; i++) if ($i == f) print $(i + 1) }'
}

# spu_sum GW FIELD: a counter summed over the SPUs
spu_sum() {
	ctl "$1" stats | awk -v f="$2" \
		'$1 == "spu" { for (i = 3; i < NF; i++) if ($i == f) s += $(i + 1) } END { print s + 0 }'
}

# gw_conf FILE SIDE SPUS ENC ENCAP OUTER [EXTRA_SA_WORDS]
# SIDE 1 or 2; ENC gcm128|gcm256|cbc128|cbc256; ENCAP udp|raw; OUTER 4|6
gw_conf() {
	f=$1 side=$2 spus=$3 enc=$4 encap=$5 outer=$6
	shift 6
	if [ "$outer" = 4 ]; then
		a1=192.0.2.1 a2=192.0.2.2
	else
		a1=fd00::1 a2=fd00::2
	fi
	case $enc in
	gcm128) e1="enc aes-gcm-128 key $K_GCM1" e2="enc aes-gcm-128 key $K_GCM2" ;;
	gcm256) e1="enc aes-gcm-256 key ${K_CBC1}${K_GCM1}" e2="enc aes-gcm-256 key ${K_CBC2}${K_GCM2}" ;;
	cbc128) e1="enc aes-cbc-128 key $K_CBC1 integ hmac-sha256-128 key $K_SHA1"
		e2="enc aes-cbc-128 key $K_CBC2 integ hmac-sha256-128 key $K_SHA2" ;;
	cbc256) e1="enc aes-cbc-256 key ${K_CBC1}${K_CBC2} integ hmac-sha512-256 key ${K_SHA1}${K_SHA2}"
		e2="enc aes-cbc-256 key ${K_CBC2}${K_CBC1} integ hmac-sha512-256 key ${K_SHA2}${K_SHA1}" ;;
	esac
	u=""
	[ "$encap" = udp ] && u=udp
	if [ "$side" = 1 ]; then
		l=$a1 r=$a2 nets="10.2.0.0/24 fd02::/64" out=0x1001 in=0x1002 eo=$e1 ei=$e2
	else
		l=$a2 r=$a1 nets="10.1.0.0/24 fd01::/64" out=0x1002 in=0x1001 eo=$e2 ei=$e1
	fi
	{
		echo "dataplane spus $spus"
		echo "unit 0 inet 10.255.0.$side/30 inet6 fd0f::$side/64"
		for net in $nets; do echo "route $net unit 0"; done
		echo "tunnel 1 unit 0 local $l remote $r"
		echo "sa out spi $out tunnel 1 local $l remote $r $eo $u $*"
		echo "sa in spi $in tunnel 1 local $l remote $r $ei $u replay-window 1024 $*"
	} >"$f"
}

# iperf3 TCP transfer of a fixed size from h1 to h2
tcp_transfer() {
	dst=$1
	size=$2
	ip netns exec "$P-h2" iperf3 -s -1 -p 5201 >"$TMP/iperf-s.log" 2>&1 &
	spid=$!
	PIDS="$PIDS $spid"
	i=0
	until n h2 ss -ltn 2>/dev/null | grep -q ':5201'; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "iperf3 server did not start"
		sleep 0.1
	done
	n h1 timeout 60 iperf3 -c "$dst" -p 5201 -n "$size" >"$TMP/iperf-c.log" 2>&1 ||
		fail "TCP transfer to $dst: $(tail -3 "$TMP/iperf-c.log")"
	wait $spid 2>/dev/null || true
	grep receiver "$TMP/iperf-c.log" | tail -1
}
