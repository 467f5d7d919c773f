#!/bin/sh
# SPDX-License-Identifier: MIT
# Policy-based VPN between two appliances, configured through the shell:
# zones (trust = the LAN, untrust = the WAN), address books, and a pair of
# policies `permit tunnel ipsec-vpn pvpn pair-policy ...` on each side;
# establish-tunnels on-traffic.
#
#   h1 ---- gw1 ====== WAN ====== gw2 ---- h2  10.2.0.2   (in the policies)
#   10.1.0.2   192.0.2.1    192.0.2.2          10.2.0.200 (not: 10.2.0.0/25 only)
#
# Both gateways also have a clear route to the other LAN, under the
# policies' rules: traffic the policies do not match goes in the clear.
#
# Checks: traffic outside the selectors passes in the clear and starts no
# negotiation; traffic inside them starts the tunnel (acquire), crosses it
# (ping, TCP both ways) and the show commands agree between the sites
# (SPIs, selectors, tunnel-distribution, tunnel-map); cleared, the tunnel is
# brought back by traffic from the other side.
. "$(dirname "$0")/appliance-start.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

# policy_based SITE PEER LOCAL-PREFIX REMOTE-PREFIX
policy_based() {
	s=$1 p=$2
	ike_proposals pb
	cat <<EOC
set security ike gateway gw-pb ike-policy ikepol-pb
set security ike gateway gw-pb address 192.0.2.$p
set security ike gateway gw-pb local-address 192.0.2.$s
set security ipsec vpn pvpn ike gateway gw-pb
set security ipsec vpn pvpn ike ipsec-policy ipsecpol-pb
set security ipsec vpn pvpn establish-tunnels on-traffic
set security zones security-zone trust interfaces l$s
set security zones security-zone trust address-book address lan-local $3
set security zones security-zone untrust interfaces w$s
set security zones security-zone untrust address-book address lan-remote $4
set security policies from-zone trust to-zone untrust policy to-peer match source-address lan-local
set security policies from-zone trust to-zone untrust policy to-peer match destination-address lan-remote
set security policies from-zone trust to-zone untrust policy to-peer match application any
set security policies from-zone trust to-zone untrust policy to-peer then permit tunnel ipsec-vpn pvpn
set security policies from-zone trust to-zone untrust policy to-peer then permit tunnel pair-policy from-peer
set security policies from-zone untrust to-zone trust policy from-peer match source-address lan-remote
set security policies from-zone untrust to-zone trust policy from-peer match destination-address lan-local
set security policies from-zone untrust to-zone trust policy from-peer match application any
set security policies from-zone untrust to-zone trust policy from-peer then permit tunnel ipsec-vpn pvpn
set security policies from-zone untrust to-zone trust policy from-peer then permit tunnel pair-policy to-peer
EOC
}

lab_init
lab_site 1
lab_site 2
host 2 ip addr add 10.2.0.200/24 dev e2
# the clear path, under the policies
gw 1 ip route add 10.2.0.0/24 via 192.0.2.2
gw 2 ip route add 10.1.0.0/24 via 192.0.2.1
appliance_start 1
appliance_start 2

log "configure both sites through the shell"
out=$(policy_based 1 2 10.1.0.0/24 10.2.0.0/25 | configure 1) || fail "gw1: $out"
echo "$out" | grep -q "commit complete" || fail "gw1: $out"
out=$(policy_based 2 1 10.2.0.0/25 10.1.0.0/24 | configure 2) || fail "gw2: $out"
echo "$out" | grep -q "commit complete" || fail "gw2: $out"

log "before any traffic: no SA, the tunnel waits for traffic"
[ "$(ike_up 1)" -eq 0 ] || fail "an IKE SA before traffic"
inact=$(cli 1 show security ipsec inactive-tunnels detail)
echo "$inact"
echo "$inact" | grep -q "Total inactive tunnels: 1" || fail "inactive-tunnels: $inact"
echo "$inact" | grep -q "Not negotiated yet (establish-tunnels on-traffic)" ||
	fail "inactive reason: $inact"
ip -n "$P-gw1" rule | grep -q "lookup 220" || fail "no policy rule on gw1: $(ip -n "$P-gw1" rule)"

log "traffic outside the selectors (10.2.0.200) goes in the clear and starts nothing"
enc0=$(esp_stat 1 "Encrypted packets")
wait_for 20 "ping h1 -> 10.2.0.200 in the clear" ping_ok 1 10.2.0.200
[ "$(esp_stat 1 "Encrypted packets")" = "$enc0" ] || fail "clear traffic was encrypted"
[ "$(ike_up 1)" -eq 0 ] && [ "$(ike_up 2)" -eq 0 ] || fail "clear traffic started a negotiation"

log "traffic inside the selectors starts the tunnel (on-traffic)"
wait_for 30 "ping h1 -> h2 through the tunnel" ping_ok 1 10.2.0.2
wait_tunnel_up 1 pvpn 10
wait_tunnel_up 2 pvpn 10
ping_ok 2 10.1.0.2 || fail "ping h2 -> h1"
tcp_both 1 2 10M
spis_agree 1 2 pvpn || fail "SPIs differ: gw1 $(ipsec_spis 1 pvpn), gw2 $(ipsec_spis 2 pvpn)"
[ "$(sa_pairs 1 pvpn)" -eq 1 ] || fail "gw1 has $(sa_pairs 1 pvpn) SA pairs"
enc1=$(esp_stat 1 "Encrypted packets")
[ "$enc1" -gt "$enc0" ] || fail "tunnel traffic not counted"

log "still, traffic outside the selectors is not tunnelled"
ping_ok 1 10.2.0.200 || fail "ping h1 -> 10.2.0.200 with the tunnel up"
[ "$(esp_stat 1 "Encrypted packets")" = "$enc1" ] || fail "clear traffic was encrypted"
tcp_transfer 1 2 2M 10.2.0.200
[ "$(esp_stat 1 "Encrypted packets")" = "$enc1" ] || fail "clear TCP was encrypted"

log "show commands"
sa1=$(cli 1 show security ipsec security-associations)
echo "$sa1"
echo "$sa1" | grep -q "Total active tunnels: 1" || fail "gw1: $sa1"
in1=$(echo "$sa1" | awk '$1 ~ /^</ { print $3 }')
echo "$sa1" | grep -q "<[0-9]* ESP:aes-gcm-128/aes128-gcm $in1 [0-9]*/ *unlim - root 500 192.0.2.2" ||
	fail "gw1 row: $sa1"
cli 2 show security ipsec security-associations | grep -q ">[0-9]* ESP:aes-gcm-128/aes128-gcm $in1 " ||
	fail "gw2 lacks outbound $in1"
det=$(cli 1 show security ipsec security-associations detail)
echo "$det"
echo "$det" | grep -q "VPN Name: pvpn" || fail "detail: $det"
echo "$det" | grep -q "Local Identity: ipv4(10.1.0.0-10.1.0.255)" || fail "local identity: $det"
echo "$det" | grep -q "Remote Identity: ipv4(10.2.0.0-10.2.0.127)" || fail "remote identity: $det"
echo "$det" | grep -q "on-traffic" || fail "establishment: $det"
echo "$det" | grep -q "Bind-interface: N/A , Policy-name: ipsecpol-pb" || fail "bind/policy: $det"
tid=$(echo "$sa1" | awk '$1 ~ /^</ { sub(/</, "", $1); print $1 }')
dist=$(cli 1 show security ipsec tunnel-distribution)
echo "$dist"
echo "$dist" | grep -Eq "^$tid +[0-9]+ +up +site-to-site +192.0.2.2 +gw-pb +pvpn" ||
	fail "tunnel-distribution: $dist"
map=$(cli 1 show security ike tunnel-map)
echo "$map"
echo "$map" | grep -Eq "gw-pb +site-to-site +[0-9]+ +1 +1" || fail "tunnel-map: $map"
cli 1 show security ipsec inactive-tunnels | grep -q "Total inactive tunnels: 0" ||
	fail "inactive after up"
ike1=$(cli 1 show security ike security-associations)
cookie=$(echo "$ike1" | awk '$2 == "UP" { print $3 }' | head -1)
cli 2 show security ike security-associations | grep -q "$cookie" || fail "gw2 lacks IKE SA $cookie"

log "cleared on both sides, traffic from h2 brings it back"
cli 1 clear security ike security-associations
gone() { [ "$(ike_up 1)" -eq 0 ] && [ "$(ike_up 2)" -eq 0 ] && ! tunnel_up 2 pvpn; }
wait_for 20 "the SAs to go on both sides" gone
wait_for 30 "ping h2 -> h1 through a new tunnel" ping_ok 2 10.1.0.2
wait_tunnel_up 1 pvpn 10
spis_agree 1 2 pvpn || fail "SPIs differ after the clear"
cli 2 show security ike security-associations detail | grep -q "Role: Initiator" ||
	fail "gw2 did not initiate: $(cli 2 show security ike security-associations detail)"
[ "$(ipsec_spis 1 pvpn | awk '{ print $1 }')" != "${in1#0x}" ] || fail "old SPIs after the clear"
ping_ok 1 10.2.0.2 || fail "ping h1 -> h2 after the clear"
log "PASS"
