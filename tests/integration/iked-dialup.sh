#!/bin/sh
# SPDX-License-Identifier: MIT
# A dial-up gateway with two peers, configured through the shell: the hub
# accepts any peer whose IKE-ID ends with example.net (`dynamic hostname
# example.net ike-user-type group-ike-id`), each spoke presents its own
# (spoke2.example.net, spoke3.example.net). One VPN, one point-to-point
# st0.0 on the hub; the dataplane tells the peers apart by the selectors
# each CHILD SA negotiated (the spoke's LAN).
#
#                  h1 10.1.0.2
#                   |
#                  gw1 (hub) 192.0.2.1, gateway dyn, VPN dyn-vpn on st0.0
#                 //  \\
#   192.0.2.2  gw2      gw3  192.0.2.3   (spokes: traffic-selector
#               |        |                 10.N.0.0/24 <-> 10.0.0.0/8)
#   10.2.0.2   h2        h3  10.3.0.2
#
# Checks: both peers up at once on the one gateway, SPIs agreeing, ping and
# TCP from both spokes (to the hub's host and spoke to spoke through the
# hub), the hub's show commands (active peers with their IKE-IDs,
# tunnel-map: one dynamic gateway with 2 IKE SAs and 2 tunnels,
# tunnel-distribution: round robin), `request security re-distribution`
# with remote-id moving one peer's tunnel to the other SPU (SAs kept,
# traffic flowing; refused without remote-id or for an unknown one), a
# peer with an identity outside the group refused, and one spoke
# restarting (kill -9) without disturbing the other.
. "$(dirname "$0")/appliance-start.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

hub() {
	ike_proposals du
	cat <<EOC
set security ike gateway dyn ike-policy ikepol-du
set security ike gateway dyn dynamic hostname example.net
set security ike gateway dyn dynamic ike-user-type group-ike-id
set security ike gateway dyn local-address 192.0.2.1
set security ike gateway dyn local-identity hostname hub.example.net
set security ipsec vpn dyn-vpn bind-interface st0.0
set security ipsec vpn dyn-vpn ike gateway dyn
set security ipsec vpn dyn-vpn ike ipsec-policy ipsecpol-du
set interfaces st0 unit 0 family inet address 10.255.0.1/24
set routing-options static route 10.2.0.0/24 next-hop st0.0
set routing-options static route 10.3.0.0/24 next-hop st0.0
EOC
}

# spoke N IDENTITY
spoke() {
	s=$1
	ike_proposals du
	cat <<EOC
set security ike gateway gw-hub ike-policy ikepol-du
set security ike gateway gw-hub address 192.0.2.1
set security ike gateway gw-hub local-address 192.0.2.$s
set security ike gateway gw-hub local-identity hostname $2
set security ike gateway gw-hub remote-identity hostname hub.example.net
set security ipsec vpn to-hub bind-interface st0.0
set security ipsec vpn to-hub ike gateway gw-hub
set security ipsec vpn to-hub ike ipsec-policy ipsecpol-du
set security ipsec vpn to-hub establish-tunnels immediately
set security ipsec vpn to-hub traffic-selector lan local-ip 10.$s.0.0/24
set security ipsec vpn to-hub traffic-selector lan remote-ip 10.0.0.0/8
set interfaces st0 unit 0 family inet address 10.255.0.$s/24
EOC
}

# the hub's SA pairs are the spokes' pairs, reversed
hub_spis_agree() {
	a=$(ipsec_spis 1 dyn-vpn | sort)
	b=$( (ipsec_spis 2 to-hub; ipsec_spis 3 to-hub) | awk '{ print $2, $1 }' | sort)
	[ "$(echo "$a" | wc -l)" -eq 2 ] && [ "$a" = "$b" ]
}

lab_init
lab_site 1
lab_site 2
lab_site 3
appliance_start 1
appliance_start 2
appliance_start 3

log "configure the hub and the spokes through the shell"
out=$(hub | configure 1) || fail "hub: $out"
echo "$out" | grep -q "commit complete" || fail "hub: $out"
out=$(spoke 2 spoke2.example.net | configure 2) || fail "gw2: $out"
out=$(spoke 3 spoke3.example.net | configure 3) || fail "gw3: $out"
wait_tunnel_up 2 to-hub 30
wait_tunnel_up 3 to-hub 30
two() { [ "$(sa_pairs 1 dyn-vpn)" -eq 2 ]; }
wait_for 20 "two peers on the hub's dial-up gateway" two
[ "$(ike_up 1)" -eq 2 ] || fail "hub has $(ike_up 1) IKE SAs"
hub_spis_agree || fail "SPIs: hub $(ipsec_spis 1 dyn-vpn); gw2 $(ipsec_spis 2 to-hub); gw3 $(ipsec_spis 3 to-hub)"

log "traffic from both spokes"
wait_for 20 "ping h2 -> h1" ping_ok 2 10.1.0.2
wait_for 20 "ping h3 -> h1" ping_ok 3 10.1.0.2
ping_ok 1 10.2.0.2 || fail "ping h1 -> h2"
ping_ok 1 10.3.0.2 || fail "ping h1 -> h3"
tcp_both 2 1 5M
tcp_both 3 1 5M
wait_for 20 "ping h2 -> h3 through the hub" ping_ok 2 10.3.0.2
ping_ok 3 10.2.0.2 || fail "ping h3 -> h2"
tcp_both 2 3 5M

log "the hub's show commands"
peers=$(cli 1 show security ike active-peer)
echo "$peers"
echo "$peers" | grep -Eq "^192.0.2.2 +500 +spoke2.example.net" || fail "active-peer gw2: $peers"
echo "$peers" | grep -Eq "^192.0.2.3 +500 +spoke3.example.net" || fail "active-peer gw3: $peers"
ike=$(cli 1 show security ike security-associations)
echo "$ike"
[ "$(echo "$ike" | grep -c " UP ")" -eq 2 ] || fail "hub IKE SAs: $ike"
map=$(cli 1 show security ike tunnel-map)
echo "$map"
echo "$map" | grep -Eq "^[0-9]+ +dyn +dynamic +rr +2 +2$" || fail "tunnel-map: $map"
dist=$(cli 1 show security ipsec tunnel-distribution)
echo "$dist"
[ "$(echo "$dist" | grep -Ec " up +dynamic +192.0.2.[23] +dyn +dyn-vpn$")" -eq 2 ] ||
	fail "tunnel-distribution: $dist"
spus=$(echo "$dist" | awk '$3 == "up" { print $2 }' | sort -u | wc -l)
[ "$spus" -eq 2 ] || fail "dial-up peers not spread round robin over the 2 SPUs: $dist"
det=$(cli 1 show security ipsec security-associations vpn-name dyn-vpn detail)
echo "$det" | grep -q "Remote Identity: ipv4(10.2.0.0-10.2.0.255)" || fail "hub detail gw2: $det"
echo "$det" | grep -q "Remote Identity: ipv4(10.3.0.0-10.3.0.255)" || fail "hub detail gw3: $det"
cli 1 show security ike security-associations detail | grep -q "Peer ike-id: spoke3.example.net" ||
	fail "IKE SA detail lacks spoke3's identity"

log "re-distribution: remote-id moves one dial-up peer's tunnel to the other SPU"
spu_of() { cli 1 show security ipsec tunnel-distribution | awk -v a="$1" '$3 == "up" && $5 == a { print $2 }'; }
from2=$(spu_of 192.0.2.2)
from3=$(spu_of 192.0.2.3)
to2=$((1 - from2))
keep1=$(ipsec_spis 1 dyn-vpn | sort)
out=$(cli 1 request security re-distribution ipsec-vpn gateway-name dyn spu "$to2" 2>&1 || true)
echo "$out" | grep -q "dial-up gateway: name the peer whose tunnels move with remote-id" ||
	fail "re-distribution without remote-id: $out"
out=$(cli 1 request security re-distribution ipsec-vpn gateway-name dyn remote-id nobody.example.net spu "$to2" 2>&1 || true)
echo "$out" | grep -q "has no IKE SA with remote identity nobody.example.net" ||
	fail "re-distribution, unknown remote-id: $out"
[ "$(spu_of 192.0.2.2)" = "$from2" ] || fail "a refused re-distribution moved gw2's tunnel"
out=$(cli 1 request security re-distribution ipsec-vpn gateway-name dyn remote-id spoke2.example.net spu "$to2" 2>&1) ||
	fail "re-distribution: $out"
echo "$out"
echo "$out" | grep -q "Tunnels of gateway dyn peer spoke2.example.net are anchored on SPU $to2" ||
	fail "re-distribution: $out"
[ "$(spu_of 192.0.2.2)" = "$to2" ] || fail "gw2's tunnel not on SPU $to2: $(cli 1 show security ipsec tunnel-distribution)"
[ "$(spu_of 192.0.2.3)" = "$from3" ] || fail "gw3's tunnel moved: $(cli 1 show security ipsec tunnel-distribution)"
# the SAs moved with the tunnel: same SPIs, traffic keeps flowing
[ "$(ipsec_spis 1 dyn-vpn | sort)" = "$keep1" ] || fail "SAs renegotiated by the re-distribution"
wait_for 20 "ping h2 -> h1 after the move" ping_ok 2 10.1.0.2
tcp_both 2 1 2M
ping_ok 3 10.1.0.2 || fail "ping h3 -> h1 after gw2's move"

log "an identity outside the group is refused"
lab_site 4
appliance_start 4
out=$(spoke 4 spoke4.example.org | configure 4) || fail "gw4: $out"
refused4() {
	cli 4 show security ipsec inactive-tunnels |
		grep -q "Negotiation failed with error code AUTHENTICATION_FAILED received from peer"
}
wait_for 30 "gw4 refused" refused4
cli 4 show security ipsec inactive-tunnels
[ "$(ike_up 1)" -eq 2 ] || fail "hub has $(ike_up 1) IKE SAs after gw4"

log "gw3 restarts (kill -9): it comes back; gw2 keeps its SAs"
keep=$(ipsec_spis 2 to-hub)
old3=$(ipsec_spis 3 to-hub)
iked_kill 3
iked_start 3
renewed3() { s=$(ipsec_spis 3 to-hub); [ -n "$s" ] && [ "$s" != "$old3" ]; }
wait_for 30 "gw3 back" renewed3
# INITIAL_CONTACT clears the hub's stale SAs of gw3
wait_for 30 "the hub to hold exactly the live SAs" hub_spis_agree
[ "$(ipsec_spis 2 to-hub)" = "$keep" ] || fail "gw2's SAs changed"
[ "$(ike_up 1)" -eq 2 ] || fail "hub has $(ike_up 1) IKE SAs after gw3's restart"
wait_for 20 "ping h3 -> h2 after the restart" ping_ok 3 10.2.0.2
log "PASS"
