#!/bin/sh
# SPDX-License-Identifier: MIT
# Two userspace dataplanes with fixed keys between network namespaces
# (topology in dp-lib.sh): ping over IPv4 and IPv6 inside, a TCP transfer,
# then replayed, tampered and unknown-SPI packets injected on the wire
# must be dropped and counted while the tunnel keeps working.
#
#   dp-userspace.sh --build DIR --spus N --enc gcm128|cbc128|... --encap udp|raw --outer 4|6
set -eu

SPUS=1 ENC=gcm128 ENCAP=udp OUTER=4
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2 ;;
	--spus) SPUS=$2 ;;
	--enc) ENC=$2 ;;
	--encap) ENCAP=$2 ;;
	--outer) OUTER=$2 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
. "$(dirname "$0")/dp-lib.sh"

log "topology ($SPUS SPUs, $ENC, $ENCAP, IPv$OUTER outside)"
topology
gw_conf "$TMP/gw1.conf" 1 "$SPUS" "$ENC" "$ENCAP" "$OUTER"
gw_conf "$TMP/gw2.conf" 2 "$SPUS" "$ENC" "$ENCAP" "$OUTER"
start_gw 1 "$TMP/gw1.conf"
start_gw 2 "$TMP/gw2.conf"

log "ping through st0, IPv4 and IPv6 inside"
n h1 ping -c 3 -i 0.2 -W 2 10.2.0.2 >/dev/null || fail "IPv4 ping through the tunnel"
n h1 ping -6 -c 3 -i 0.2 -W 2 fd02::2 >/dev/null || fail "IPv6 ping through the tunnel"
# the gateways' own st0 addresses (on the dataplane's address device,
# not on st0 or lo), from the other gateway and from the host behind it
n gw2 ip -o addr show dev st0-addr0 | grep -q "inet 10\.255\.0\.2/30 " ||
	fail "st0.0's address not on st0-addr0: $(n gw2 ip -o addr show)"
n gw2 ip -o addr show dev st0-addr0 | grep -q "inet6 fd0f::2/64 " ||
	fail "st0.0's IPv6 address not on st0-addr0: $(n gw2 ip -o addr show)"
! n gw2 ip -o addr show dev lo | grep -q "10\.255\.\|fd0f:" || fail "a unit address on lo"
n gw1 ping -c 1 -W 2 10.255.0.2 >/dev/null || fail "ping st0 to st0"
n gw1 ping -6 -c 1 -W 2 fd0f::2 >/dev/null || fail "IPv6 ping st0 to st0"
n h1 ping -c 1 -W 2 10.255.0.2 >/dev/null || fail "ping from h1 to gw2's st0 address"
n h1 ping -6 -c 1 -W 2 fd0f::2 >/dev/null || fail "IPv6 ping from h1 to gw2's st0 address"
[ "$(sa_stat 2 0x1001 in packets)" -ge 10 ] || fail "gw2 inbound SA counted no packets"
[ "$(sa_stat 1 0x1001 out packets)" -ge 10 ] || fail "gw1 outbound SA counted no packets"

case $ENC in
gcm*)
	# CBC with AES-NI keeps its own key schedule; GCM borrows a cache slot
	log "the owner SPUs' cipher key caches hold the SAs' keys (published once a second)"
	i=0
	until [ "$(spu_sum 1 ctx-keyed)" -ge 1 ] && [ "$(spu_sum 2 ctx-keyed)" -ge 1 ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "no keys in the caches: $(ctl 1 stats | grep '^spu')"
		sleep 0.1
	done
	[ "$(spu_sum 1 ctx-misses)" -ge 1 ] || fail "gw1's cache counted no miss"
	[ "$(spu_sum 1 ctx-evictions)" = 0 ] || fail "gw1's cache evicted with two SAs"
	# clearing the statistics clears the counters, not the keys held
	ctl 1 clear >/dev/null
	[ "$(spu_sum 1 ctx-misses)" = 0 ] || fail "clear left gw1's key misses: $(spu_sum 1 ctx-misses)"
	[ "$(spu_sum 1 ctx-keyed)" -ge 1 ] || fail "clear dropped gw1's keys held"
	;;
esac

if [ "$SPUS" = 2 ]; then
	log "steering by SPI: 0x1001 (odd) arrives at gw2's SPU 1, which hands it to the owner SPU 0"
	[ "$(spu_stat 2 1 handoffs)" -ge 6 ] || fail "SPU 1 of gw2 handed off $(spu_stat 2 1 handoffs)"
	[ "$(spu_stat 2 0 decrypt-packets)" -ge 6 ] || fail "the owner did not decrypt"
	[ "$(spu_stat 2 1 decrypt-packets)" = 0 ] || fail "SPU 1 decrypted an SA it does not own"
fi

log "the wire carries ESP, not the inner packets"
if [ "$ENCAP" = udp ] && [ "$OUTER" = 4 ]; then
	n gw2 cat /proc/net/snmp | awk '/^Udp:/ { getline; exit ($2 > 0) ? 0 : 1 }' ||
		fail "no UDP datagrams arrived at gw2"
elif [ "$ENCAP" = udp ]; then
	n gw2 awk '$1 == "Udp6InDatagrams" { exit ($2 > 0) ? 0 : 1 }' /proc/net/snmp6 ||
		fail "no UDP datagrams arrived at gw2"
fi

if [ "$ENCAP" = udp ]; then
	log "UDP 4500 is shared: IKE (non-ESP marker) reaches the IKE socket, keepalives are dropped"
	[ "$OUTER" = 4 ] && peer=192.0.2.2 || peer=fd00::2
	n gw1 bash -c "printf '\\377' >/dev/udp/$peer/4500"
	n gw1 bash -c "printf '\\0\\0\\0\\0IKE-header-and-payloads-for-test' >/dev/udp/$peer/4500"
	i=0
	until ctl 2 stats | grep -q "^ike-messages 1$"; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "the IKE datagram did not reach the IKE socket: $(ctl 2 stats | tail -2)"
		sleep 0.1
	done
	[ "$(spu_sum 2 unknown-spi)" = 0 ] || fail "a keepalive or IKE datagram was taken for ESP"
	# 4 to 7 bytes: past the keepalive/IKE steering, too short for ESP
	od0=$(spu_sum 2 other-drops)
	n gw1 bash -c "printf '\\001\\002\\003\\004ab' >/dev/udp/$peer/4500"
	i=0
	until [ "$(spu_sum 2 other-drops)" -gt "$od0" ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "a truncated ESP-in-UDP datagram was not counted"
		sleep 0.1
	done
fi

log "TCP transfer h1 -> h2 (IPv4 and IPv6 inside)"
tcp_transfer 10.2.0.2 20M
tcp_transfer fd02::2 5M

log "replayed packets are dropped and counted"
rd0=$(sa_stat 2 0x1001 in replay-drops)
ip netns exec "$P-h1" ping -c 30 -i 0.05 -W 1 10.2.0.2 >/dev/null &
pingpid=$!
PIDS="$PIDS $pingpid"
n gw1 "$INJECT" b1 replay 5 10 || fail "could not capture and replay ESP"
wait $pingpid || true
rd1=$(sa_stat 2 0x1001 in replay-drops)
[ $((rd1 - rd0)) -ge 5 ] || fail "replay drops $rd0 -> $rd1, expected +5"
[ "$(spu_sum 2 replay-drops)" -ge 5 ] || fail "per-SPU replay drops not counted"

log "tampered packets fail authentication and are counted"
af0=$(sa_stat 2 0x1001 in auth-failures)
ip netns exec "$P-h1" ping -c 30 -i 0.05 -W 1 10.2.0.2 >/dev/null &
pingpid=$!
PIDS="$PIDS $pingpid"
n gw1 "$INJECT" b1 tamper 5 10 || fail "could not capture and tamper ESP"
wait $pingpid || true
af1=$(sa_stat 2 0x1001 in auth-failures)
[ $((af1 - af0)) -ge 5 ] || fail "auth failures $af0 -> $af1, expected +5"
[ "$(spu_sum 2 auth-failures)" -ge 5 ] || fail "per-SPU auth failures not counted"

log "packets for an unknown SPI are dropped and counted"
ip netns exec "$P-h1" ping -c 30 -i 0.05 -W 1 10.2.0.2 >/dev/null &
pingpid=$!
PIDS="$PIDS $pingpid"
n gw1 "$INJECT" b1 unknown-spi 3 10 || fail "could not inject unknown SPIs"
wait $pingpid || true
[ "$(spu_sum 2 unknown-spi)" -ge 3 ] || fail "unknown SPI not counted"

log "the tunnel still works"
n h1 ping -c 2 -W 2 10.2.0.2 >/dev/null || fail "tunnel broken after the attacks"

if [ "$SPUS" -gt 1 ]; then
	log "anchor move: tunnel 1 to the other SPU while traffic flows"
	from=$(ctl 1 tunnel-spu 1 | awk '/^tunnel/ { print $4 }')
	to=$(((from + 1) % SPUS))
	ip netns exec "$P-h1" ping -c 40 -i 0.05 -W 1 10.2.0.2 >"$TMP/ping-move.log" 2>&1 &
	pingpid=$!
	PIDS="$PIDS $pingpid"
	sleep 0.5
	if [ "$OUTER" = 4 ]; then l=192.0.2.1 r=192.0.2.2; else l=fd00::1 r=fd00::2; fi
	ctl 1 move $l $r $to | grep -q "moved 1" || fail "move did not move tunnel 1"
	wait $pingpid || true
	[ "$(ctl 1 tunnel-spu 1 | awk '/^tunnel/ { print $4 }')" = "$to" ] || fail "tunnel not on SPU $to"
	[ "$(spu_stat 1 "$to" tunnels)" = 1 ] || fail "SPU $to does not count the tunnel"
	n h1 ping -c 3 -i 0.2 -W 2 10.2.0.2 >/dev/null || fail "tunnel broken after the move"
	# packets and sequence numbers continued on the new SPU
	[ "$(sa_stat 1 0x1001 out spu)" = "$to" ] || fail "outbound SA not on SPU $to"
	loss=$(awk '/packet loss/ { sub("%", "", $6); print $6 }' "$TMP/ping-move.log")
	log "loss during the move: ${loss}%"
	[ "${loss%.*}" -le 20 ] || fail "too much loss during the move: $loss%"
fi
log "PASS"
