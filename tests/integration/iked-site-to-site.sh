#!/bin/sh
# SPDX-License-Identifier: MIT
# Route-based site-to-site VPN between two Cairn appliances, configured
# only through the shell (cairn --root DIR), with a host behind each:
#
#   h1 ---- gw1 ====== WAN ====== gw2 ---- h2
#   10.1.0.2   192.0.2.1    192.0.2.2   10.2.0.2
#              st0.0 10.255.0.1 <-> 10.255.0.2
#
# Checks: the tunnel comes up, ping and a TCP transfer cross it, the show
# commands agree with each other and between the sites (A's inbound SPI is
# B's outbound one), the counters move, commit check refuses what Cairn
# cannot do, and a restarted cairn-iked brings the tunnel back from the
# running configuration.
. "$(dirname "$0")/appliance-start.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

lab_init
lab_site 1
lab_site 2
appliance_start 1
appliance_start 2

log "configure both sites through the shell"
out=$(site_to_site_config 2 1 vpn1 0 | configure 2) || fail "commit on gw2: $out"
echo "$out" | grep -q "commit complete" || fail "gw2: $out"
out=$(site_to_site_config 1 2 vpn1 0 | configure 1) || fail "commit on gw1: $out"
echo "$out" | grep -q "commit complete" || fail "gw1: $out"
wait_tunnel_up 1 vpn1 30
wait_tunnel_up 2 vpn1 30

log "traffic"
wait_for 20 "ping h1 -> h2" ping_ok 1 10.2.0.2
ping_ok 2 10.1.0.2 || fail "ping h2 -> h1"
tcp_transfer 1 2 20M

log "show security ipsec security-associations: SPIs agree across the sites"
sa1=$(cli 1 show security ipsec security-associations)
sa2=$(cli 2 show security ipsec security-associations)
echo "$sa1"
echo "$sa1" | grep -q "Total active tunnels: 1" || fail "gw1: $sa1"
echo "$sa1" | grep -q "ID      Algorithm       SPI      Life:sec/kb  Mon lsys Port  Gateway" ||
	fail "gw1 header: $sa1"
in1=$(echo "$sa1" | awk '$1 ~ /^</ { print $3 }')
out1=$(echo "$sa1" | awk '$1 ~ /^>/ { print $3 }')
in2=$(echo "$sa2" | awk '$1 ~ /^</ { print $3 }')
out2=$(echo "$sa2" | awk '$1 ~ /^>/ { print $3 }')
[ -n "$in1" ] && [ -n "$out1" ] || fail "no SPIs on gw1"
[ "$in1" = "$out2" ] || fail "gw1 inbound $in1 is not gw2 outbound $out2"
[ "$out1" = "$in2" ] || fail "gw1 outbound $out1 is not gw2 inbound $in2"
echo "$sa1" | grep -q "ESP:aes-gcm-128/aes128-gcm $in1 [0-9]*/ *unlim - root 500 192.0.2.2" ||
	fail "gw1 row: $sa1"
# the same SPIs in the detail view, with the tunnel's history
det=$(cli 1 show security ipsec security-associations detail)
echo "$det" | grep -q "VPN Name: vpn1" || fail "detail: $det"
echo "$det" | grep -q "Direction: inbound, SPI: $in1" || fail "detail inbound: $det"
echo "$det" | grep -q "Bind-interface: st0.0" || fail "detail bind: $det"
echo "$det" | grep -q "IPSec SA negotiation successfully completed" || fail "detail events: $det"
cli 1 show security ipsec security-associations vpn-name vpn1 | grep -q "$in1" ||
	fail "vpn-name filter"

log "show security ike security-associations"
ike1=$(cli 1 show security ike security-associations)
echo "$ike1"
echo "$ike1" | grep -q "^Index   State  Initiator cookie  Responder cookie  Mode           Remote Address" ||
	fail "ike header: $ike1"
echo "$ike1" | grep -Eq "^[0-9]+ +UP +[0-9a-f]{16}  [0-9a-f]{16}  IKEv2 +192.0.2.2$" ||
	fail "ike row: $ike1"
cookie=$(echo "$ike1" | awk '$2 == "UP" { print $3 }' | head -1)
cli 2 show security ike security-associations | grep -q "$cookie" || fail "gw2 lacks IKE SA $cookie"
idx=$(echo "$ike1" | awk '$2 == "UP" { print $1 }' | head -1)
cli 1 show security ike security-associations index "$idx" detail |
	grep -q "Diffie-Hellman group  : DH-group-19" || fail "ike detail"

log "statistics, interfaces, routes, anchoring"
st=$(cli 1 show security ipsec statistics)
enc=$(echo "$st" | awk '/Encrypted packets:/ { print $3 }')
dec=$(echo "$st" | awk '/Decrypted packets:/ { print $3 }')
[ "${enc:-0}" -gt 1000 ] && [ "${dec:-0}" -gt 100 ] || fail "statistics: $st"
terse=$(cli 1 show interfaces st0 terse)
echo "$terse"
echo "$terse" | grep -Eq "^st0\.0 +up +up +inet +10\.255\.0\.1/24" || fail "terse: $terse"
cli 1 show interfaces st0.0 | grep -q "Output packets: [1-9]" || fail "st0.0 counters"
rt=$(cli 1 show route)
echo "$rt" | grep -q "^10.2.0.0/24 .*\*\[Static/5\]" || fail "route: $rt"
echo "$rt" | grep -q ">  via st0.0" || fail "route next hop: $rt"
cli 1 show security ike tunnel-map | grep -Eq "gw-vpn1 +site-to-site +[0-9]+ +1 +1" ||
	fail "tunnel-map"
cli 1 show security ipsec tunnel-distribution | grep -Eq "^131073 +[0-9]+ +up " ||
	fail "tunnel-distribution"
cli 1 show security ike active-peer | grep -q "^192.0.2.2 " || fail "active-peer"
cli 1 show security ipsec inactive-tunnels | grep -q "Total inactive tunnels: 0" ||
	fail "inactive-tunnels"
cli 1 "show security ipsec security-associations | display json" |
	grep -q '"sa-spi": "'"${in1#0x}"'"' || fail "display json"

log "commit check refuses what Cairn cannot do, running unchanged"
out=$(printf 'set security ipsec proposal esp-vpn1 protocol ah\n' | configure_check 1) &&
	fail "AH accepted: $out"
echo "$out" | grep -q "protocol: ah is not supported" || fail "AH message: $out"
out=$(printf 'set security ike gateway gw-vpn1 version v1-only\n' | configure_check 1) &&
	fail "IKEv1 accepted: $out"
echo "$out" | grep -q "v1-only is not supported" || fail "IKEv1 message: $out"
[ "$(ipsec_spis 1 vpn1 | awk '{ print $1 }')" = "${in1#0x}" ] || fail "SPIs changed by checks"

log "clear security ipsec security-associations: a new SA pair, traffic again"
cli 1 clear security ipsec security-associations
new_spi() {
	s=$(ipsec_spis "$1" "$2" | awk '{ print $1 }' | head -1)
	[ -n "$s" ] && [ "$s" != "$3" ]
}
wait_for 30 "vpn1 re-established with new SPIs" new_spi 1 vpn1 "${in1#0x}"
wait_for 20 "ping after clear" ping_ok 1 10.2.0.2
cli 1 show security ipsec security-associations detail |
	grep -q "User cleared IPSec SA" || fail "the clear is not in the tunnel's history"

log "cairn-iked restarted on gw2 (kill -9): the running configuration brings the tunnel back"
before=$(ipsec_spis 1 vpn1 | head -1)
iked_kill 2
iked_start 2
wait_tunnel_up 2 vpn1 40
renewed() { s=$(ipsec_spis 1 vpn1 | head -1); [ -n "$s" ] && [ "$s" != "$before" ]; }
wait_for 40 "gw1 to replace the SAs of the restarted peer" renewed
wait_for 40 "ping after iked restart" ping_ok 1 10.2.0.2
log "PASS"
