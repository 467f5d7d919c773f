#!/bin/sh
# SPDX-License-Identifier: MIT
# Fragments and a policy-based VPN with port selectors on the userspace
# dataplane (docs/dataplane.md §6). h1 sends UDP datagrams bigger than
# its link MTU, so they leave h1 as fragments; gw1 forwards them. The
# kernel's fib rules see no ports in a forwarded fragment (not even in
# the first one), so the port rule alone would let every fragment leave
# gw1 in clear. With the fragment rules and the dataplane's stateful
# fragment checking, a datagram to the selected port arrives whole at h2
# and no part of it leaves gw1 in clear; one to another port is sent on
# in clear (re-sent by the dataplane) and arrives whole too.
#
#   dp-policy-frag.sh --build DIR [--spus N]
set -eu

SPUS=1
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2 ;;
	--spus) SPUS=$2 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
. "$(dirname "$0")/dp-lib.sh"

log "topology, clear routes between the LANs"
topology
n gw1 ip route add 10.2.0.0/24 via 192.0.2.2
n gw2 ip route add 10.1.0.0/24 via 192.0.2.1
n gw1 ip -6 route add fd02::/64 via fd00::2
# h1's fragments fit the policy table's route MTU into st0 (1400): an
# IPv6 router does not fragment (gw1 would answer "packet too big")
n h1 ip link set a1 mtu 1400
n gw1 ip link set a2 mtu 1400
n gw2 ip -6 route add fd01::/64 via fd00::1

# gw1's tunnel has the highest id (any 32-bit id is a tunnel's; none
# may read as "no policy" or "drop" in the fragment decisions)
T1=4294967295
cat >"$TMP/gw1.conf" <<EOF2
dataplane spus $SPUS
tunnel $T1 local 192.0.2.1 remote 192.0.2.2 local-ts 10.1.0.0/24 remote-ts 10.2.0.0/24
sa out spi 0x1001 tunnel $T1 local 192.0.2.1 remote 192.0.2.2 enc aes-gcm-128 key $K_GCM1
sa in spi 0x1002 tunnel $T1 local 192.0.2.1 remote 192.0.2.2 enc aes-gcm-128 key $K_GCM2
policy 1 tunnel $T1 out src 10.1.0.0/24 dst 10.2.0.0/24 proto 17 dport 5201 priority 10
policy 3 tunnel $T1 out src fd01::/64 dst fd02::/64 proto 17 dport 5201 priority 10
policy 5 tunnel $T1 out src 10.1.0.0/24 dst 10.2.0.0/24 proto 17 dport 5301 priority 11
policy 6 tunnel $T1 out src fd01::/64 dst fd02::/64 proto 17 dport 5301 priority 11
policy 7 tunnel $T1 out src 10.1.0.0/24 dst 10.2.0.0/24 proto 1 dport 2048-2303 priority 12
EOF2
# (policies 5 and 6: the same prefixes and protocol as 1 and 3, another
# port: their fragment catch rules are the same rules, installed twice.
# Policy 7: ICMP echo requests by type (RFC 7296 3.13.1), which the
# kernel's fib rules cannot see; it must not pull all ICMP into st0)
cat >"$TMP/gw2.conf" <<EOF2
dataplane spus $SPUS
tunnel 1 local 192.0.2.2 remote 192.0.2.1 local-ts 10.2.0.0/24 remote-ts 10.1.0.0/24
sa out spi 0x1002 tunnel 1 local 192.0.2.2 remote 192.0.2.1 enc aes-gcm-128 key $K_GCM2
sa in spi 0x1001 tunnel 1 local 192.0.2.2 remote 192.0.2.1 enc aes-gcm-128 key $K_GCM1
policy 2 tunnel 1 in src 10.1.0.0/24 dst 10.2.0.0/24 proto 17 dport 5201 priority 10
policy 4 tunnel 1 in src fd01::/64 dst fd02::/64 proto 17 dport 5201 priority 10
EOF2
start_gw 1 "$TMP/gw1.conf"
GW1=$!
start_gw 2 "$TMP/gw2.conf"
# (an IN policy's selectors are the decrypted packet's: src is gw1's LAN)

# what leaves gw1 toward gw2 in clear between the LANs: UDP to port 5201
# unfragmented, and fragments (any UDP fragment: those of 5201 and of
# 5202 alike, counted apart by what the test sends at each step)
n gw1 nft -f - <<EOF2
table inet t {
	chain post {
		type filter hook postrouting priority 0; policy accept;
		oifname "b1" ip saddr 10.1.0.0/24 udp dport 5201 counter
		oifname "b1" ip saddr 10.1.0.0/24 ip protocol udp ip frag-off & 0x1fff != 0 counter
		oifname "b1" ip6 saddr fd01::/64 udp dport 5201 counter
		oifname "b1" ip6 saddr fd01::/64 exthdr frag exists counter
	}
}
EOF2
# clear_count N: the Nth counter above (1-based)
clear_count() {
	n gw1 nft list chain inet t post | awk '/counter/ { i++; if (i == '"$1"') print $(NF - 2) }'
}

# udp_big DST PORT: 10 datagrams of 3000 bytes (3 fragments each on h1's
# 1400-byte link); prints the iperf3 receiver's lost/total
udp_big() {
	ip netns exec "$P-h2" iperf3 -s -1 -p "$2" >"$TMP/iperf-s.log" 2>&1 &
	spid=$!
	PIDS="$PIDS $spid"
	i=0
	until n h2 ss -ltn 2>/dev/null | grep -q ":$2 "; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "iperf3 server did not start"
		sleep 0.1
	done
	n h1 timeout 60 iperf3 -u -c "$1" -p "$2" -l 3000 -n 30000 -b 2M >"$TMP/iperf-c.log" 2>&1 ||
		fail "UDP to $1 port $2: $(tail -3 "$TMP/iperf-c.log")"
	wait $spid 2>/dev/null || true
	awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) print $i }' \
		"$TMP/iperf-c.log" | tail -1
}

log "IPv4: fragmented UDP to the selected port arrives whole, all of it encrypted"
out0=$(sa_stat 1 0x1001 out packets)
r=$(udp_big 10.2.0.2 5201)
echo "received (lost/total) $r"
[ "${r%%/*}" = 0 ] && [ "${r#*/}" -ge 9 ] || fail "datagrams lost: $r"
[ "$(clear_count 1)" = 0 ] || fail "$(clear_count 1) datagrams to port 5201 left in clear"
[ "$(clear_count 2)" = 0 ] || fail "$(clear_count 2) fragments left in clear"
out1=$(sa_stat 1 0x1001 out packets)
[ $((out1 - out0)) -ge 30 ] || fail "only $((out1 - out0)) packets encrypted"
[ "$(spu_sum 1 frag-drops)" = 0 ] || fail "fragments dropped: $(spu_sum 1 frag-drops)"

log "IPv4: fragmented UDP to another port goes on in clear and arrives whole"
r=$(udp_big 10.2.0.2 5202)
echo "received (lost/total) $r"
[ "${r%%/*}" = 0 ] && [ "${r#*/}" -ge 9 ] || fail "datagrams lost: $r"
[ "$(sa_stat 1 0x1001 out packets)" = "$out1" ] || fail "port 5202 traffic went into the tunnel"
[ "$(clear_count 2)" -ge 20 ] || fail "port 5202 fragments not seen in clear: $(clear_count 2)"
[ "$(spu_sum 1 frag-resent)" -ge 20 ] || fail "resent: $(spu_sum 1 frag-resent)"

log "IPv4: out of order, later fragments before their first are dropped, none in clear"
drops=$(spu_sum 1 frag-drops)
clear2=$(clear_count 2)
n h1 "$BUILD/tests/frag-send" 10.1.0.2 10.2.0.2 40000 5201 2000 800 0x4242 reverse >/dev/null ||
	fail "frag-send"
i=0
until [ "$(sa_stat 1 0x1001 out packets)" -gt "$out1" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "the first fragment was not encrypted"
	sleep 0.1
done
# (with 2 SPUs the drops may be counted by another SPU than the one that
# encrypted the first fragment, a moment later)
i=0
until [ "$(spu_sum 1 frag-drops)" -ge $((drops + 2)) ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || break
	sleep 0.1
done
[ "$(spu_sum 1 frag-drops)" = $((drops + 2)) ] ||
	fail "frag-drops $(spu_sum 1 frag-drops), expected $((drops + 2)): $(ctl 1 stats)"
[ "$(clear_count 2)" = "$clear2" ] || fail "out-of-order fragments left in clear"
[ "$(clear_count 1)" = 0 ] || fail "the first fragment left in clear"
out1=$(sa_stat 1 0x1001 out packets)
log "IPv4: the same datagram in order: all three fragments encrypted"
n h1 "$BUILD/tests/frag-send" 10.1.0.2 10.2.0.2 40000 5201 2000 800 0x4243 in-order >/dev/null ||
	fail "frag-send"
i=0
until [ "$(sa_stat 1 0x1001 out packets)" -ge $((out1 + 3)) ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "in-order fragments not encrypted: $(sa_stat 1 0x1001 out packets)"
	sleep 0.1
done
[ "$(spu_sum 1 frag-drops)" = $((drops + 2)) ] || fail "in-order fragments dropped"
out1=$(sa_stat 1 0x1001 out packets)

log "IPv6: the same for the selected port"
r=$(udp_big fd02::2 5201)
echo "received (lost/total) $r"
[ "${r%%/*}" = 0 ] && [ "${r#*/}" -ge 9 ] || fail "datagrams lost: $r"
[ "$(clear_count 3)" = 0 ] || fail "$(clear_count 3) IPv6 datagrams to port 5201 left in clear"
[ "$(clear_count 4)" = 0 ] || fail "$(clear_count 4) IPv6 fragments left in clear"
out2=$(sa_stat 1 0x1001 out packets)
[ $((out2 - out1)) -ge 30 ] || fail "only $((out2 - out1)) IPv6 packets encrypted"

log "IPv6: another port goes on in clear"
resent=$(spu_sum 1 frag-resent)
r=$(udp_big fd02::2 5202)
echo "received (lost/total) $r"
[ "${r%%/*}" = 0 ] && [ "${r#*/}" -ge 9 ] || fail "datagrams lost: $r"
[ "$(sa_stat 1 0x1001 out packets)" = "$out2" ] || fail "IPv6 port 5202 went into the tunnel"
[ "$(spu_sum 1 frag-resent)" -ge $((resent + 20)) ] || fail "IPv6 resent: $(spu_sum 1 frag-resent)"

log "unselected protocols and TCP keep the clear path (never reach st0)"
n h1 ping -c 2 -i 0.2 -W 2 -s 3000 10.2.0.2 >/dev/null || fail "big ping over the clear path"
n h1 ping -c 2 -i 0.2 -W 2 10.2.0.2 >/dev/null || fail "ping over the clear path"
tcp_transfer 10.2.0.2 1M >/dev/null
[ "$(sa_stat 1 0x1001 out packets)" = "$out2" ] || fail "ICMP or TCP went into the tunnel"

log "removing the policies removes every rule"
ctl 1 policy-del 1 | grep -q ok || fail "policy-del"
ctl 1 policy-del 3 | grep -q ok || fail "policy-del"
# policies 5 and 6 still want their fragments caught (ip prints
# "ipproto-17" where /etc/protocols is missing, as in a minimal root)
[ "$(n gw1 ip rule | grep -cE "ipproto (udp|ipproto-17) lookup 220")" = 1 ] ||
	fail "the catch rule of policy 5 went with policy 1: $(n gw1 ip rule)"
[ "$(n gw1 ip -6 rule | grep -cE "ipproto (udp|ipproto-17) lookup 220")" = 1 ] ||
	fail "the IPv6 catch rule of policy 6 went with policy 3: $(n gw1 ip -6 rule)"
ctl 1 policy-del 5 | grep -q ok || fail "policy-del"
ctl 1 policy-del 6 | grep -q ok || fail "policy-del"
ctl 1 policy-del 7 | grep -q ok || fail "policy-del"
n gw1 ip rule | grep -q "lookup 220" && fail "policy rule left behind"
n gw1 ip -6 rule | grep -q "lookup 220" && fail "IPv6 policy rule left behind"

log "a dataplane killed outright leaves its rules; the next one starts over them"
rules4() { n gw1 ip rule | grep -v -e 'lookup local' -e 'lookup main' -e 'lookup default' | sort; }
rules6() { n gw1 ip -6 rule | grep -v -e 'lookup local' -e 'lookup main' -e 'lookup default' | sort; }
ctl 1 apply policy 1 tunnel $T1 out src 10.1.0.0/24 dst 10.2.0.0/24 proto 17 dport 5201 priority 10 |
	grep -q ok || fail "apply policy"
ctl 1 apply policy 3 tunnel $T1 out src fd01::/64 dst fd02::/64 proto 17 dport 5201 priority 10 |
	grep -q ok || fail "apply policy"
before4=$(rules4) before6=$(rules6)
[ -n "$before4" ] && [ -n "$before6" ] || fail "no rules to leave behind"
kill -9 "$GW1"
wait "$GW1" 2>/dev/null || :
rm -f "$TMP/gw1.sock"
[ "$(rules4)" = "$before4" ] || fail "the killed dataplane's rules are gone: $(rules4)"
n gw1 ip link del st0 2>/dev/null || :
# the same policies as when it was killed
grep -v '^policy [567] ' "$TMP/gw1.conf" >"$TMP/gw1-again.conf"
start_gw 1 "$TMP/gw1-again.conf"
[ "$(rules4)" = "$before4" ] || fail "rules after the restart: $(rules4), before: $before4"
[ "$(rules6)" = "$before6" ] || fail "IPv6 rules after the restart: $(rules6), before: $before6"
log "PASS"
