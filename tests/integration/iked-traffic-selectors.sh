#!/bin/sh
# SPDX-License-Identifier: MIT
# Two traffic selectors on one route-based VPN (st0.0), configured through
# the shell: two CHILD SAs on one IKE SA, each carrying its own prefixes.
#
#   h1 10.1.0.2 ---- gw1 ====== WAN ====== gw2 ---- h2 10.2.0.2
#      10.1.1.2      st0.0                st0.0        10.2.1.2
#
#   ts-a: 10.1.0.0/24 <-> 10.2.0.0/24     ts-b: 10.1.1.0/24 <-> 10.2.1.0/24
#
# No static route: the selectors' remote prefixes are routed into st0.0
# (ARI-TS). Checks: two tunnels, SPIs agreeing across the sites, ping and
# TCP both ways in each selector, each selector's packets counted on its
# own SA only, a packet that matches neither selector (10.1.0.2 ->
# 10.2.1.2) dropped, the show commands (identities, TS type, routes,
# tunnel-map, tunnel-distribution: both tunnels on the IKE SA's SPU).
. "$(dirname "$0")/appliance-start.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

two_ts() {
	s=$1 p=$2
	ike_proposals ts
	cat <<EOC
set security ike gateway gw-ts ike-policy ikepol-ts
set security ike gateway gw-ts address 192.0.2.$p
set security ike gateway gw-ts local-address 192.0.2.$s
set security ipsec vpn tsvpn bind-interface st0.0
set security ipsec vpn tsvpn ike gateway gw-ts
set security ipsec vpn tsvpn ike ipsec-policy ipsecpol-ts
set security ipsec vpn tsvpn establish-tunnels immediately
set security ipsec vpn tsvpn traffic-selector ts-a local-ip 10.$s.0.0/24
set security ipsec vpn tsvpn traffic-selector ts-a remote-ip 10.$p.0.0/24
set security ipsec vpn tsvpn traffic-selector ts-b local-ip 10.$s.1.0/24
set security ipsec vpn tsvpn traffic-selector ts-b remote-ip 10.$p.1.0/24
set interfaces st0 unit 0 family inet address 10.255.0.$s/24
EOC
}

# tunnel_of N LOCAL-PREFIX-START: the tunnel ID whose local identity starts there
tunnel_of() {
	cli "$1" show security ipsec security-associations detail |
		awk -v a="Local Identity: ipv4($2-" '
		/^ID: / { id = $2 }
		index($0, a) { print id; exit }'
}

# ping_from SRC-HOST FROM TO: a few pings from address FROM
ping_from() {
	host "$1" ping -c 3 -i 0.2 -W 2 -I "$2" "$3" >/dev/null 2>&1
}

# burst SRC-HOST FROM TO: 100 quick pings from FROM (all answered)
burst() {
	host "$1" ping -q -c 100 -i 0.01 -W 2 -I "$2" "$3" | grep -q " 0% packet loss"
}

lab_init
lab_site 1
lab_site 2
for n in 1 2; do
	gw "$n" ip addr add "10.$n.1.1/24" dev "l$n"
	host "$n" ip addr add "10.$n.1.2/24" dev "e$n"
done
appliance_start 1
appliance_start 2

log "configure both sites through the shell"
out=$(two_ts 2 1 | configure 2) || fail "gw2: $out"
echo "$out" | grep -q "commit complete" || fail "gw2: $out"
out=$(two_ts 1 2 | configure 1) || fail "gw1: $out"
echo "$out" | grep -q "commit complete" || fail "gw1: $out"
two_up() { [ "$(sa_pairs "$1" tsvpn)" -eq 2 ]; }
wait_for 30 "two SA pairs on gw1" two_up 1
wait_for 30 "two SA pairs on gw2" two_up 2
one_ike() { [ "$(ike_up 1)" -eq 1 ] && [ "$(ike_up 2)" -eq 1 ]; }
wait_for 20 "one IKE SA on each side" one_ike
spis_agree 1 2 tsvpn || fail "SPIs differ: gw1 $(ipsec_spis 1 tsvpn), gw2 $(ipsec_spis 2 tsvpn)"

log "show commands"
sa1=$(cli 1 show security ipsec security-associations)
echo "$sa1"
echo "$sa1" | grep -q "Total active tunnels: 2     Total IPsec sas: 2" || fail "gw1 totals: $sa1"
ta=$(tunnel_of 1 10.1.0.0)
tb=$(tunnel_of 1 10.1.1.0)
[ -n "$ta" ] && [ -n "$tb" ] && [ "$ta" != "$tb" ] || fail "tunnels of ts-a ($ta) and ts-b ($tb)"
log "ts-a is tunnel $ta, ts-b is tunnel $tb"
det=$(cli 1 show security ipsec security-associations index "$ta" detail)
echo "$det"
echo "$det" | grep -q "Remote Identity: ipv4(10.2.0.0-10.2.0.255)" || fail "ts-a remote: $det"
echo "$det" | grep -q "TS Type: traffic-selector" || fail "ts-a type: $det"
echo "$det" | grep -q "Bind-interface: st0.0" || fail "ts-a bind: $det"
cli 1 show security ipsec security-associations index "$tb" detail |
	grep -q "Remote Identity: ipv4(10.2.1.0-10.2.1.255)" || fail "ts-b remote"
tb2=$(tunnel_of 2 10.2.1.0)
cli 2 show security ipsec security-associations index "$tb2" detail |
	grep -q "Remote Identity: ipv4(10.1.1.0-10.1.1.255)" || fail "gw2 ts-b remote"
rt=$(cli 1 show route)
echo "$rt"
echo "$rt" | grep -q "^10.2.0.0/24 .*\[ARI-TS/5\]" || fail "no ARI-TS route to 10.2.0.0/24: $rt"
echo "$rt" | grep -q "^10.2.1.0/24 .*\[ARI-TS/5\]" || fail "no ARI-TS route to 10.2.1.0/24: $rt"
map=$(cli 1 show security ike tunnel-map)
echo "$map"
echo "$map" | grep -Eq "gw-ts +site-to-site +[0-9]+ +1 +2" || fail "tunnel-map: $map"
dist=$(cli 1 show security ipsec tunnel-distribution)
echo "$dist"
spu_a=$(echo "$dist" | awk -v t="$ta" '$1 == t && $3 == "up" && $7 == "tsvpn" { print $2 }')
spu_b=$(echo "$dist" | awk -v t="$tb" '$1 == t && $3 == "up" && $7 == "tsvpn" { print $2 }')
[ -n "$spu_a" ] && [ "$spu_a" = "$spu_b" ] ||
	fail "both tunnels should sit on their IKE SA's SPU: $dist"
cli 1 show security ipsec tunnel-distribution summary |
	awk -v s="$spu_a" '$1 == s { exit !($3 >= 2) }' || fail "summary: SPU $spu_a has not 2 tunnels"

log "traffic in each selector, both ways"
wait_for 20 "ping 10.1.0.2 -> 10.2.0.2 (ts-a)" ping_from 1 10.1.0.2 10.2.0.2
wait_for 20 "ping 10.1.1.2 -> 10.2.1.2 (ts-b)" ping_from 1 10.1.1.2 10.2.1.2
ping_from 2 10.2.0.2 10.1.0.2 || fail "ping h2 -> h1 in ts-a"
ping_from 2 10.2.1.2 10.1.1.2 || fail "ping h2 -> h1 in ts-b"
tcp_transfer 1 2 5M 10.2.0.2 10.1.0.2
tcp_transfer 2 1 5M 10.1.0.2 10.2.0.2
tcp_transfer 1 2 5M 10.2.1.2 10.1.1.2

# keys_held N SPU: the SPU's cipher key cache holds a key (the summary's
# second block, which the SPU updates once a second)
keys_held() {
	cli "$1" show security ipsec tunnel-distribution summary |
		awk -v s="$2" 'b && $1 == s { ok = $2 >= 1; exit } /^SPU +Keys held/ { b = 1 }
			END { exit !ok }'
}
log "the SAs' AES-GCM keys sit in SPU $spu_a's key cache"
wait_for 10 "a key in SPU $spu_a's key cache" keys_held 1 "$spu_a"
tcp_transfer 2 1 5M 10.1.1.2 10.2.1.2

log "each selector's traffic on its own SA"
a0=$(sa_packets 1 "$ta" out)
b0=$(sa_packets 1 "$tb" out)
burst 1 10.1.0.2 10.2.0.2 || fail "100 pings in ts-a"
a1=$(sa_packets 1 "$ta" out)
b1=$(sa_packets 1 "$tb" out)
log "ts-a out $a0 -> $a1, ts-b out $b0 -> $b1"
[ $((a1 - a0)) -ge 100 ] || fail "ts-a's SA did not carry the ts-a pings ($a0 -> $a1)"
[ $((b1 - b0)) -lt 10 ] || fail "ts-b's SA carried ts-a traffic ($b0 -> $b1)"
burst 2 10.2.1.2 10.1.1.2 || fail "100 pings in ts-b from h2"
a2=$(sa_packets 1 "$ta" in)
b2=$(sa_packets 1 "$tb" in)
a3=$(sa_packets 1 "$ta" out)
b3=$(sa_packets 1 "$tb" out)
log "after ts-b pings from h2: ts-a in $a2 out $a3, ts-b in $b2 out $b3"
[ $((b3 - b1)) -ge 100 ] || fail "ts-b's SA did not carry the replies ($b1 -> $b3)"
[ $((a3 - a1)) -lt 10 ] || fail "ts-a's SA carried ts-b traffic ($a1 -> $a3)"
[ "$b2" -ge 100 ] || fail "ts-b's inbound SA counted $b2"

log "a packet matching neither selector (10.1.0.2 -> 10.2.1.2) does not cross"
enc=$(esp_stat 1 "Encrypted packets")
ping_from 1 10.1.0.2 10.2.1.2 && fail "10.1.0.2 -> 10.2.1.2 crossed the tunnel"
[ "$(esp_stat 1 "Encrypted packets")" = "$enc" ] || fail "a packet outside the selectors was encrypted"
[ "$(sa_pairs 1 tsvpn)" -eq 2 ] || fail "SA pairs changed"
spis_agree 1 2 tsvpn || fail "SPIs differ at the end"
log "PASS"
