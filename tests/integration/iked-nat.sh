#!/bin/sh
# SPDX-License-Identifier: MIT
# NAT between the sites: gw2 sits behind a NAT namespace (nftables
# masquerade), configured through the shell:
#
#   h1 ---- gw1 ========= WAN ========= nat2 ---- gw2 ---- h2
#   10.1.0.2   192.0.2.1      192.0.2.102  100.64.2.1  100.64.2.2  10.2.0.2
#                              (masquerade, random source ports)
#
# gw2 initiates (gw1 cannot reach it through the NAT): NAT detection in
# IKE_SA_INIT, IKE floats to 4500, ESP travels in UDP 4500 (no IP protocol
# 50 crosses the NAT), gw2 sends NAT keepalives (nat-keepalive 2). Counted
# by nftables in the NAT namespace. Checks: ping and TCP both ways, the
# show commands (NAT traversal Local/Remote, port 4500 in the IKE and
# IPsec SA views, UDP encapsulation), SPIs agreeing, keepalives seen, and
# new SAs negotiated through the NAT after a clear.
. "$(dirname "$0")/appliance-start.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

# nat_site_config LOCAL-ADDRESS PEER-ADDRESS PEER-LAN ESTABLISH ST0-ADDRESS
nat_site_config() {
	ike_proposals nt
	cat <<EOC
set security ike gateway gw-nt ike-policy ikepol-nt
set security ike gateway gw-nt address $2
set security ike gateway gw-nt local-address $1
set security ike gateway gw-nt nat-keepalive 2
set security ipsec vpn vpn-nt bind-interface st0.0
set security ipsec vpn vpn-nt ike gateway gw-nt
set security ipsec vpn vpn-nt ike ipsec-policy ipsecpol-nt
set security ipsec vpn vpn-nt establish-tunnels $4
set interfaces st0 unit 0 family inet address $5
set routing-options static route $3 next-hop st0.0
EOC
}

# nat_count NAME [bytes]: packets (or bytes) counted by the NAT
# namespace's counter NAME (GRO may merge packets: count bytes for volume)
nat_count() {
	ip netns exec "$P-nat2" nft list counter inet cnt "$1" |
		awk -v w="${2:-packets}" '/packets/ { for (i = 1; i < NF; i++) if ($i == w) print $(i + 1) }'
}

lab_init
lab_site 1
lab_nat_site 2 random
# what crosses the NAT, both ways (before the masquerade: gw2's side)
ip netns exec "$P-nat2" nft -f - <<EOF
table inet cnt {
	counter ike500 { }
	counter udp4500 { }
	counter keepalive { }
	counter proto50 { }
	chain count {
		type filter hook forward priority filter;
		udp dport 500 counter name ike500
		udp sport 500 counter name ike500
		udp dport 4500 udp length 9 @th,64,8 0xff counter name keepalive
		udp dport 4500 counter name udp4500
		udp sport 4500 counter name udp4500
		meta l4proto esp counter name proto50
	}
}
EOF
appliance_start 1
appliance_start 2

log "configure both sites through the shell"
out=$(nat_site_config 192.0.2.1 192.0.2.102 10.2.0.0/24 responder-only 10.255.0.1/24 | configure 1) ||
	fail "gw1: $out"
echo "$out" | grep -q "commit complete" || fail "gw1: $out"
out=$(nat_site_config 100.64.2.2 192.0.2.1 10.1.0.0/24 immediately 10.255.0.2/24 | configure 2) || fail "gw2: $out"
echo "$out" | grep -q "commit complete" || fail "gw2: $out"
wait_tunnel_up 2 vpn-nt 30
wait_tunnel_up 1 vpn-nt 10
spis_agree 1 2 vpn-nt || fail "SPIs: gw1 $(ipsec_spis 1 vpn-nt), gw2 $(ipsec_spis 2 vpn-nt)"

log "traffic"
wait_for 20 "ping h2 -> h1" ping_ok 2 10.1.0.2
ping_ok 1 10.2.0.2 || fail "ping h1 -> h2"
tcp_both 1 2 10M

log "NAT-T in the show commands"
ike1=$(cli 1 show security ike security-associations detail)
echo "$ike1"
echo "$ike1" | grep -q "NAT traversal: Remote" || fail "gw1 does not see the peer behind a NAT"
echo "$ike1" | grep -Eq "Local: 192.0.2.1:4500, Remote: 192.0.2.102:[0-9]+" || fail "gw1 endpoints"
# the NAT's mapping of gw2's port 4500 (random, not kept)
mport=$(echo "$ike1" | sed -n 's/.*Remote: 192.0.2.102:\([0-9]*\)$/\1/p')
log "gw2's 4500 appears as 192.0.2.102:$mport"
ike2=$(cli 2 show security ike security-associations detail)
echo "$ike2" | grep -q "NAT traversal: Local" || fail "gw2 does not see itself behind a NAT: $ike2"
echo "$ike2" | grep -q "Local: 100.64.2.2:4500, Remote: 192.0.2.1:4500" || fail "gw2 endpoints: $ike2"
sa1=$(cli 1 show security ipsec security-associations)
echo "$sa1"
# the Port column is the peer's UDP port: 4500 from gw1 as seen by gw2,
# the NAT's mapped port from gw2 as seen by gw1
echo "$sa1" | grep -Eq "^  <[0-9]+ ESP:aes-gcm-128/aes128-gcm 0x[0-9a-f]+ [0-9]+/ *unlim - root $mport 192.0.2.102$" ||
	fail "gw1 SA row: $sa1"
sa2=$(cli 2 show security ipsec security-associations)
echo "$sa2"
echo "$sa2" | grep -Eq "^  >[0-9]+ ESP:.* root 4500 192.0.2.1$" || fail "gw2 SA row: $sa2"
det=$(cli 2 show security ipsec security-associations detail)
echo "$det" | grep -q "Packet Encapsulation: UDP, Dest port: 4500" || fail "gw2 encapsulation: $det"
echo "$det" | grep -q "Port: 4500" || fail "gw2 port: $det"
cli 1 show security ike active-peer | grep -Eq "^192.0.2.102 +[0-9]+ +100.64.2.2" ||
	fail "active peer: $(cli 1 show security ike active-peer)"
cli 1 show security ipsec tunnel-distribution | grep -Eq " up +site-to-site +192.0.2.102 +gw-nt +vpn-nt$" ||
	fail "tunnel-distribution: $(cli 1 show security ipsec tunnel-distribution)"
cli 1 show security ike tunnel-map | grep -Eq "^1 +gw-nt +site-to-site +[0-9]+ +1 +1$" ||
	fail "tunnel-map: $(cli 1 show security ike tunnel-map)"

log "on the wire, through the NAT: ESP in UDP 4500 only, keepalives"
u=$(nat_count udp4500 bytes)
e=$(nat_count proto50)
i5=$(nat_count ike500)
log "UDP 4500: $u bytes, IP protocol 50: $e packets, UDP 500: $i5 packets"
[ "$u" -gt 20000000 ] || fail "ESP did not travel in UDP 4500 ($u bytes for 20 MB of TCP)"
[ "$e" -eq 0 ] || fail "$e ESP packets (protocol 50) crossed the NAT"
[ "$i5" -ge 2 ] && [ "$i5" -le 8 ] || fail "UDP 500: $i5 packets (only IKE_SA_INIT expected)"
k0=$(nat_count keepalive)
kmore() { [ "$(nat_count keepalive)" -ge $((k0 + 2)) ]; }
wait_for 15 "two NAT keepalives from gw2 (nat-keepalive 2)" kmore
log "keepalives: $(nat_count keepalive)"

log "cleared on gw2: new SAs negotiated through the NAT"
old=$(ipsec_spis 1 vpn-nt)
cli 2 clear security ipsec security-associations
renewed() { s=$(ipsec_spis 1 vpn-nt); [ -n "$s" ] && [ "$s" != "$old" ]; }
wait_for 30 "new SAs" renewed
spis_agree 1 2 vpn-nt || fail "SPIs after the clear"
wait_for 20 "ping h1 -> h2 after the clear" ping_ok 1 10.2.0.2
[ "$(nat_count proto50)" -eq 0 ] || fail "ESP (protocol 50) crossed the NAT after the clear"
log "PASS"
