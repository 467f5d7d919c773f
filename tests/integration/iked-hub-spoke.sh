#!/bin/sh
# SPDX-License-Identifier: MIT
# Hub and two spokes, configured through the shell:
#
#                  h1 10.1.0.2
#                   |
#                  gw1 (hub) 192.0.2.1, st0.0 multipoint 10.255.0.1/24
#                 //  \\        next-hop-tunnel 10.255.0.2 -> to-s2
#                //    \\       next-hop-tunnel 10.255.0.3 -> to-s3
#   192.0.2.2  gw2      gw3  192.0.2.3      (spokes: point-to-point st0.0,
#               |        |                   every other LAN via st0.0)
#   10.2.0.2   h2        h3  10.3.0.2
#
# Checks: both spoke tunnels up with SPIs agreeing hub/spoke, ping and TCP
# between every pair of hosts both ways, spoke-to-spoke traffic crossing
# the hub (decrypted from one spoke's SA, encrypted into the other's), the
# hub's show commands (two tunnels on one multipoint unit, tunnel-map,
# tunnel-distribution, routes through next hops, the next-hop tunnel
# bindings as text, JSON and XML), and one spoke's tunnel
# cleared on the hub without disturbing the other.
. "$(dirname "$0")/appliance-start.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

hub() {
	ike_proposals hs
	for s in 2 3; do
		cat <<EOC
set security ike gateway gw-s$s ike-policy ikepol-hs
set security ike gateway gw-s$s address 192.0.2.$s
set security ike gateway gw-s$s local-address 192.0.2.1
set security ipsec vpn to-s$s bind-interface st0.0
set security ipsec vpn to-s$s ike gateway gw-s$s
set security ipsec vpn to-s$s ike ipsec-policy ipsecpol-hs
set security ipsec vpn to-s$s establish-tunnels responder-only
set interfaces st0 unit 0 family inet next-hop-tunnel 10.255.0.$s ipsec-vpn to-s$s
set routing-options static route 10.$s.0.0/24 next-hop 10.255.0.$s
EOC
	done
	cat <<EOC
set interfaces st0 unit 0 multipoint
set interfaces st0 unit 0 family inet address 10.255.0.1/24
EOC
}

spoke() {
	s=$1
	ike_proposals hs
	cat <<EOC
set security ike gateway gw-hub ike-policy ikepol-hs
set security ike gateway gw-hub address 192.0.2.1
set security ike gateway gw-hub local-address 192.0.2.$s
set security ipsec vpn to-hub bind-interface st0.0
set security ipsec vpn to-hub ike gateway gw-hub
set security ipsec vpn to-hub ike ipsec-policy ipsecpol-hs
set security ipsec vpn to-hub establish-tunnels immediately
set interfaces st0 unit 0 family inet address 10.255.0.$s/24
EOC
	for o in 1 2 3; do
		[ "$o" = "$s" ] || echo "set routing-options static route 10.$o.0.0/24 next-hop st0.0"
	done
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
for s in 2 3; do
	out=$(spoke "$s" | configure "$s") || fail "spoke gw$s: $out"
	echo "$out" | grep -q "commit complete" || fail "gw$s: $out"
done
wait_tunnel_up 1 to-s2 30
wait_tunnel_up 1 to-s3 30
wait_tunnel_up 2 to-hub 10
wait_tunnel_up 3 to-hub 10
spis_agree 1 2 to-s2 to-hub || fail "hub/gw2 SPIs: $(ipsec_spis 1 to-s2) vs $(ipsec_spis 2 to-hub)"
spis_agree 1 3 to-s3 to-hub || fail "hub/gw3 SPIs: $(ipsec_spis 1 to-s3) vs $(ipsec_spis 3 to-hub)"

log "hub <-> spokes"
wait_for 20 "ping h1 -> h2" ping_ok 1 10.2.0.2
wait_for 20 "ping h1 -> h3" ping_ok 1 10.3.0.2
ping_ok 2 10.1.0.2 || fail "ping h2 -> h1"
ping_ok 3 10.1.0.2 || fail "ping h3 -> h1"
tcp_both 1 2 5M
tcp_both 1 3 5M

log "spoke to spoke through the hub"
t2=$(cli 1 show security ipsec security-associations vpn-name to-s2 | awk '$1 ~ /^</ { sub(/</, "", $1); print $1 }')
t3=$(cli 1 show security ipsec security-associations vpn-name to-s3 | awk '$1 ~ /^</ { sub(/</, "", $1); print $1 }')
[ -n "$t2" ] && [ -n "$t3" ] && [ "$t2" != "$t3" ] || fail "hub tunnels: '$t2' '$t3'"
in2=$(sa_packets 1 "$t2" in)
out3=$(sa_packets 1 "$t3" out)
wait_for 20 "ping h2 -> h3" ping_ok 2 10.3.0.2
ping_ok 3 10.2.0.2 || fail "ping h3 -> h2"
host 2 ping -q -c 100 -i 0.01 -W 2 10.3.0.2 | grep -q " 0% packet loss" || fail "100 pings h2 -> h3"
in2b=$(sa_packets 1 "$t2" in)
out3b=$(sa_packets 1 "$t3" out)
log "hub: from gw2 $in2 -> $in2b packets, to gw3 $out3 -> $out3b"
[ $((in2b - in2)) -ge 100 ] || fail "h2 -> h3 did not come from gw2's SA on the hub"
[ $((out3b - out3)) -ge 100 ] || fail "h2 -> h3 did not leave in gw3's SA on the hub"
tcp_both 2 3 5M

log "the hub's show commands"
sa=$(cli 1 show security ipsec security-associations)
echo "$sa"
echo "$sa" | grep -q "Total active tunnels: 2     Total IPsec sas: 2" || fail "hub totals: $sa"
echo "$sa" | grep -q "^  <$t2 .* root 500 192.0.2.2$" || fail "hub row for gw2: $sa"
echo "$sa" | grep -q "^  <$t3 .* root 500 192.0.2.3$" || fail "hub row for gw3: $sa"
det=$(cli 1 show security ipsec security-associations vpn-name to-s3 detail)
echo "$det" | grep -q "Bind-interface: st0.0" || fail "hub detail: $det"
map=$(cli 1 show security ike tunnel-map)
echo "$map"
echo "$map" | grep -Eq "gw-s2 +site-to-site +[0-9]+ +1 +1" || fail "tunnel-map gw-s2: $map"
echo "$map" | grep -Eq "gw-s3 +site-to-site +[0-9]+ +1 +1" || fail "tunnel-map gw-s3: $map"
dist=$(cli 1 show security ipsec tunnel-distribution)
echo "$dist"
echo "$dist" | grep -Eq "^$t2 +[0-9]+ +up +site-to-site +192.0.2.2 +gw-s2 +to-s2" || fail "dist s2: $dist"
echo "$dist" | grep -Eq "^$t3 +[0-9]+ +up +site-to-site +192.0.2.3 +gw-s3 +to-s3" || fail "dist s3: $dist"
# two gateway pairs, least loaded first: one on each SPU
s2=$(echo "$dist" | awk -v t="$t2" '$1 == t { print $2 }')
s3=$(echo "$dist" | awk -v t="$t3" '$1 == t { print $2 }')
[ "$s2" != "$s3" ] || fail "both spokes anchored on SPU $s2 of 2"
cli 1 show security ipsec tunnel-distribution summary
rt=$(cli 1 show route)
echo "$rt"
echo "$rt" | grep -A1 "^10.3.0.0/24 " | grep -q ">  to 10.255.0.3 via st0.0" ||
	fail "hub route to 10.3/24: $rt"
echo "$rt" | grep -A1 "^10.2.0.0/24 " | grep -q ">  to 10.255.0.2 via st0.0" ||
	fail "hub route to 10.2/24: $rt"
terse=$(cli 1 show interfaces st0 terse)
echo "$terse"
echo "$terse" | grep -Eq "^st0\.0 +up +up +inet +10\.255\.0\.1/24" || fail "hub st0.0: $terse"
nh=$(cli 1 show security ipsec next-hop-tunnels)
echo "$nh"
[ "$(echo "$nh" | head -1)" = "Next-hop gateway  interface   IPsec VPN name                    Flag" ] ||
	fail "next-hop-tunnels heading: $nh"
echo "$nh" | grep -Eq "^10\.255\.0\.2 +st0\.0 +to-s2 +Static$" || fail "next-hop-tunnels s2: $nh"
echo "$nh" | grep -Eq "^10\.255\.0\.3 +st0\.0 +to-s3 +Static$" || fail "next-hop-tunnels s3: $nh"
[ "$(echo "$nh" | wc -l)" -eq 3 ] || fail "next-hop-tunnels rows: $nh"
nhj=$(cli 1 "show security ipsec next-hop-tunnels | display json" | tr -d ' \n')
echo "$nhj" | grep -q '"interface-name":"st0.0","next-hop-gateway":"10.255.0.3","ipsec-vpn-name":"to-s3","flag":"Static","tunnels-up":1' ||
	fail "next-hop-tunnels json: $nhj"
cli 1 "show security ipsec next-hop-tunnels | display xml" | grep -q "<ipsec-vpn-name>to-s2</ipsec-vpn-name>" ||
	fail "next-hop-tunnels xml"
# a spoke's point-to-point st0.0 has no bindings: the heading alone
[ "$(cli 2 show security ipsec next-hop-tunnels | wc -l)" -eq 1 ] || fail "spoke next-hop-tunnels"
ver=$(cli 1 show version)
echo "$ver"
mv=$(echo "$ver" | sed -n 's/^cairn-mgd version //p')
iv=$(echo "$ver" | sed -n 's/^cairn-iked version //p')
[ -n "$mv" ] && [ "$mv" = "$iv" ] || fail "show version: daemons' versions: $ver"
echo "$ver" | grep -q "^Kernel: $(uname -s) $(uname -r) " || fail "show version: kernel: $ver"
backend=$(cli 1 "show interfaces st0 | display json" | tr -d ' \n' | sed -n 's/.*"dataplane-backend":"\([^"]*\)".*/\1/p')
echo "$ver" | grep -Eq "^Dataplane: $backend, [0-9]+ SPUs$" || fail "show version: dataplane ($backend): $ver"
# no backend configured: auto-detection, and why it chose this one
if [ "$backend" = kernel ]; then
	why='^Dataplane backend: auto-detected: the kernel can install an ESP SA$'
else
	why='^Dataplane backend: auto-detected: the kernel cannot install an ESP SA \(.+\): kernel dataplane probe .+'
fi
echo "$ver" | grep -Eq "$why" || fail "show version: backend reason: $ver"
peers=$(cli 1 show security ike active-peer)
echo "$peers" | grep -q "^192.0.2.2 " && echo "$peers" | grep -q "^192.0.2.3 " ||
	fail "active peers: $peers"

log "one spoke cleared on the hub: it comes back, the other keeps its SAs"
keep=$(ipsec_spis 1 to-s2)
old3=$(ipsec_spis 1 to-s3)
cli 1 clear security ipsec security-associations index "$t3"
renewed3() { s=$(ipsec_spis 1 to-s3); [ -n "$s" ] && [ "$s" != "$old3" ]; }
wait_for 30 "gw3's tunnel re-established (gw3 initiates)" renewed3
[ "$(ipsec_spis 1 to-s2)" = "$keep" ] || fail "gw2's SAs changed"
spis_agree 1 3 to-s3 to-hub || fail "hub/gw3 SPIs after the clear"
wait_for 20 "ping h2 -> h3 after the clear" ping_ok 2 10.3.0.2
log "PASS"
