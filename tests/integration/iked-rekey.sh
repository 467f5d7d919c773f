#!/bin/sh
# SPDX-License-Identifier: MIT
# Rekeys under traffic between two appliances configured through the
# shell. cairn-iked runs with --test-lifetime-divisor 20 (tests only:
# lifetimes of 180..300 s last 9..15 s). Two gateways between the same
# sites, IPv4 and IPv6 outside, with lifetimes chosen so that each side
# initiates one kind of rekey on each:
#
#   h1 ---- gw1 ====== WAN ====== gw2 ---- h2
#     gateway A (192.0.2.x), vpn-a st0.0, 10.1/24 <-> 10.2/24
#         started by gw1; CHILD SA rekeyed by gw1 (9 s < 12 s), IKE SA by gw2 (10 s < 15 s)
#     gateway B (fd00::x), vpn-b st0.1, fd01::/64 <-> fd02::/64, PFS group 19
#         started by gw2; CHILD SA rekeyed by gw2, IKE SA by gw1
#
# For 24 s: pings both ways on both tunnels (100/s each) and a TCP flow in
# each direction on each tunnel (iperf3 --bidir, 20 Mbit/s each). Checks:
# ping loss <= 1% (reported), every TCP flow completes, at least two CHILD
# and one IKE rekey per gateway, initiated by the side the lifetimes say
# (tunnel events, IKE SA roles), no authentication failures, and at the
# end exactly one IKE SA per gateway and one SA pair per VPN on each side,
# with SPIs agreeing.
. "$(dirname "$0")/appliance-start.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

DIV=20
SECS=24

# gateway TAG SITE PEER-ADDR LOCAL-ADDR IKE-LIFE ESP-LIFE
gateway() {
	cat <<EOC
set security ike proposal ikep-$1 dh-group group19
set security ike proposal ikep-$1 encryption-algorithm aes-128-gcm
set security ike proposal ikep-$1 lifetime-seconds $5
set security ike policy ikepol-$1 proposals ikep-$1
set security ike policy ikepol-$1 pre-shared-key ascii-text "rekey-$1-secret"
set security ike gateway gw-$1 ike-policy ikepol-$1
set security ike gateway gw-$1 address $3
set security ike gateway gw-$1 local-address $4
set security ipsec proposal esp-$1 encryption-algorithm aes-128-gcm
set security ipsec proposal esp-$1 lifetime-seconds $6
set security ipsec policy ipsecpol-$1 proposals esp-$1
set security ipsec vpn vpn-$1 ike gateway gw-$1
set security ipsec vpn vpn-$1 ike ipsec-policy ipsecpol-$1
EOC
}

site() {
	s=$1 p=$2
	if [ "$s" = 1 ]; then
		la="300 180" lb="200 240" ea=immediately eb=responder-only
	else
		la="200 240" lb="300 180" ea=responder-only eb=immediately
	fi
	# shellcheck disable=SC2086 # two lifetimes
	gateway a "$s" "192.0.2.$p" "192.0.2.$s" $la
	# shellcheck disable=SC2086
	gateway b "$s" "fd00::$p" "fd00::$s" $lb
	cat <<EOC
set security ipsec policy ipsecpol-b perfect-forward-secrecy keys group19
set security ipsec vpn vpn-a bind-interface st0.0
set security ipsec vpn vpn-a ike proxy-identity local 10.$s.0.0/24
set security ipsec vpn vpn-a ike proxy-identity remote 10.$p.0.0/24
set security ipsec vpn vpn-a establish-tunnels $ea
set security ipsec vpn vpn-b bind-interface st0.1
set security ipsec vpn vpn-b ike proxy-identity local fd0$s::/64
set security ipsec vpn vpn-b ike proxy-identity remote fd0$p::/64
set security ipsec vpn vpn-b establish-tunnels $eb
set interfaces st0 unit 0 family inet address 10.255.0.$s/30
set interfaces st0 unit 1 family inet6 address fd0f::$s/64
set routing-options static route 10.$p.0.0/24 next-hop st0.0
set routing-options static route fd0$p::/64 next-hop st0.1
EOC
}

# event_count N VPN TEXT: the "(n times)" of a tunnel event on gwN, 0 if none
event_count() {
	cli "$1" show security ipsec security-associations vpn-name "$2" detail |
		awk -v t="$3" 'index($0, t) { sub(/.*\(/, ""); sub(/ times\).*/, ""); print; f = 1; exit }
		END { if (!f) print 0 }'
}

# role N GATEWAY: Initiator or Responder, for gwN's IKE SA with GATEWAY
role() {
	cli "$1" show security ike security-associations detail |
		awk -v g="Gateway Name: $2" 'index($0, g) { f = 1; next }
		f && /Role:/ { sub(/.*Role: /, ""); sub(/,.*/, ""); print; exit }'
}

ike_count() {
	cli "$1" show security ike security-associations | grep -c " UP " || true
}

# settled: one IKE SA per gateway and one SA pair per VPN on both sides,
# SPIs agreeing (a rekey in flight passes through two pairs for a moment)
settled() {
	for n in 1 2; do
		[ "$(ike_count "$n")" -eq 2 ] || return 1
		[ "$(cli "$n" show security ike security-associations | wc -l)" -eq 3 ] || return 1
		[ "$(sa_pairs "$n" vpn-a)" -eq 1 ] && [ "$(sa_pairs "$n" vpn-b)" -eq 1 ] || return 1
	done
	spis_agree 1 2 vpn-a && spis_agree 1 2 vpn-b
}

lab_init
lab_site 1
lab_site 2
appliance_start 1 --test-lifetime-divisor $DIV
appliance_start 2 --test-lifetime-divisor $DIV
grep -q "TEST MODE: SA lifetimes divided by $DIV" "$LAB/gw1/iked.log" || fail "no test-mode warning"

log "configure both sites through the shell"
out=$(site 2 1 | configure 2) || fail "gw2: $out"
echo "$out" | grep -q "commit complete" || fail "gw2: $out"
out=$(site 1 2 | configure 1) || fail "gw1: $out"
echo "$out" | grep -q "commit complete" || fail "gw1: $out"
wait_tunnel_up 1 vpn-a 30
wait_tunnel_up 1 vpn-b 30
wait_for 20 "ping through vpn-a" ping_ok 1 10.2.0.2
ping6() { host "$1" ping -6 -c 3 -i 0.2 -W 2 "$2" >/dev/null 2>&1; }
wait_for 20 "ping through vpn-b" ping6 2 fd01::2
wait_for 10 "a settled start" settled
cli 1 show security ipsec security-associations
life=$(cli 1 show security ipsec security-associations vpn-name vpn-a | awk '$1 ~ /^</ { sub(/\/.*/, "", $4); print $4 }')
[ "$life" -le 9 ] || fail "vpn-a's lifetime on gw1 is $life s, not 180 / $DIV"
[ "$(role 1 gw-a)" = Initiator ] && [ "$(role 2 gw-b)" = Initiator ] || fail "who started what"

log "traffic for ${SECS}s: pings (100/s) both ways on both tunnels, TCP both ways on both"
npings=$((SECS * 100)) # at most: each ping runs for $SECS s
ip netns exec "$P-h1" ping -q -w $SECS -i 0.01 -W 1 10.2.0.2 >"$LAB/ping-a12.log" 2>&1 &
PIDS="$PIDS $!"
p1=$!
ip netns exec "$P-h2" ping -q -w $SECS -i 0.01 -W 1 10.1.0.2 >"$LAB/ping-a21.log" 2>&1 &
PIDS="$PIDS $!"
p2=$!
ip netns exec "$P-h1" ping -6 -q -w $SECS -i 0.01 -W 1 fd02::2 >"$LAB/ping-b12.log" 2>&1 &
PIDS="$PIDS $!"
p3=$!
ip netns exec "$P-h2" ping -6 -q -w $SECS -i 0.01 -W 1 fd01::2 >"$LAB/ping-b21.log" 2>&1 &
PIDS="$PIDS $!"
p4=$!
ip netns exec "$P-h2" iperf3 -s -1 -p 5201 >"$LAB/iperf-sa.log" 2>&1 &
PIDS="$PIDS $!"
s1=$!
ip netns exec "$P-h1" iperf3 -s -1 -p 5202 >"$LAB/iperf-sb.log" 2>&1 &
PIDS="$PIDS $!"
s2=$!
wait_for 10 "iperf3 servers" sh -c "ip netns exec $P-h2 ss -ltn | grep -q ':5201' && ip netns exec $P-h1 ss -ltn | grep -q ':5202'"
ip netns exec "$P-h1" timeout $((SECS + 30)) iperf3 -c 10.2.0.2 -p 5201 --bidir -b 20M -t $SECS \
	>"$LAB/iperf-a.log" 2>&1 &
PIDS="$PIDS $!"
c1=$!
ip netns exec "$P-h2" timeout $((SECS + 30)) iperf3 -6 -c fd01::2 -p 5202 --bidir -b 20M -t $SECS \
	>"$LAB/iperf-b.log" 2>&1 &
PIDS="$PIDS $!"
c2=$!
wait "$c1" || fail "TCP over vpn-a: $(tail -5 "$LAB/iperf-a.log")"
wait "$c2" || fail "TCP over vpn-b: $(tail -5 "$LAB/iperf-b.log")"
for p in $p1 $p2 $p3 $p4 $s1 $s2; do wait "$p" || true; done

log "loss during the rekeys"
worst=0 sent=0 lostall=0
for f in a12 a21 b12 b21; do
	line=$(grep "packet loss" "$LAB/ping-$f.log" || echo "no result")
	tx=$(echo "$line" | awk '{ print $1 }')
	rx=$(echo "$line" | awk '{ print $4 }')
	[ -n "$rx" ] && [ "$tx" -ge $((npings / 4)) ] || fail "ping $f: $line"
	lost=$((tx - rx))
	log "ping $f: $tx sent, $rx received, $lost lost"
	[ $((lost * 100)) -le "$tx" ] || fail "ping $f lost $lost of $tx (more than 1%)"
	[ "$lost" -le "$worst" ] || worst=$lost
	sent=$((sent + tx))
	lostall=$((lostall + lost))
done
for f in a b; do
	grep -E "(TX|RX)-C.*(sender|receiver)" "$LAB/iperf-$f.log" | sed "s/^/TCP vpn-$f: /"
done
retr=$(awk '/TX-C.*sender/ { r += $(NF - 1) } /RX-C.*sender/ { r += $(NF - 1) } END { print r + 0 }' \
	"$LAB/iperf-a.log" "$LAB/iperf-b.log")
log "TCP: 4 flows completed, $retr retransmitted segments in all; pings: $lostall of $sent lost"

log "rekeys happened, initiated by the side the lifetimes say"
ca1=$(event_count 1 vpn-a "IPsec SA rekey succeeds")
ia1=$(event_count 1 vpn-a "IPSEC SA rekey initiated because soft life timer expired")
ia2=$(event_count 2 vpn-a "IPSEC SA rekey initiated because soft life timer expired")
cb2=$(event_count 2 vpn-b "IPsec SA rekey succeeds")
ib2=$(event_count 2 vpn-b "IPSEC SA rekey initiated because soft life timer expired")
ib1=$(event_count 1 vpn-b "IPSEC SA rekey initiated because soft life timer expired")
ka=$(event_count 1 vpn-a "IKE SA rekey successfully completed")
kb=$(event_count 1 vpn-b "IKE SA rekey successfully completed")
log "vpn-a: CHILD rekeys $ca1 (initiated by gw1 $ia1, gw2 $ia2), IKE rekeys $ka"
log "vpn-b: CHILD rekeys $cb2 (initiated by gw2 $ib2, gw1 $ib1), IKE rekeys $kb"
cli 1 show security ipsec security-associations vpn-name vpn-a detail | sed -n '/Tunnel events/,/Location/p'
[ "$ia1" -ge 2 ] && [ "$ia2" -eq 0 ] || fail "vpn-a's CHILD rekeys: gw1 $ia1, gw2 $ia2"
[ "$ib2" -ge 2 ] && [ "$ib1" -eq 0 ] || fail "vpn-b's CHILD rekeys: gw2 $ib2, gw1 $ib1"
[ "$ka" -ge 1 ] && [ "$kb" -ge 1 ] || fail "IKE rekeys: gateway A $ka, gateway B $kb"
# the rekeying side is the new IKE SA's initiator (RFC 7296 2.18)
[ "$(role 2 gw-a)" = Initiator ] || fail "gateway A's IKE SA was not rekeyed by gw2"
[ "$(role 1 gw-b)" = Initiator ] || fail "gateway B's IKE SA was not rekeyed by gw1"

log "no duplicate SAs left, no authentication failure"
wait_for 10 "one IKE SA per gateway and one SA pair per VPN on each side" settled
cli 1 show security ike security-associations
cli 2 show security ipsec security-associations
for n in 1 2; do
	af=$(cli "$n" show security ipsec statistics | awk -F'[:,]' '/ESP authentication failures/ { gsub(/ /, "", $2); print $2 }')
	[ "$af" = 0 ] || fail "gw$n counted $af ESP authentication failures"
done
map=$(cli 1 show security ike tunnel-map)
echo "$map"
echo "$map" | grep -Eq "gw-a +site-to-site +[0-9]+ +1 +1" && echo "$map" | grep -Eq "gw-b +site-to-site +[0-9]+ +1 +1" ||
	fail "tunnel-map: $map"
dist=$(cli 2 show security ipsec tunnel-distribution)
echo "$dist"
[ "$(echo "$dist" | grep -Ec "^13107[34] +[0-9]+ +up +site-to-site +(192.0.2.1|fd00::1) +gw-[ab] +vpn-[ab]$")" -eq 2 ] ||
	fail "tunnel-distribution: $dist"
log "PASS (pings lost: $lostall of $sent, worst flow $worst; TCP retransmissions $retr)"
