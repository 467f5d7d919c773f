#!/bin/sh
# SPDX-License-Identifier: MIT
# Two tunnels between two appliances (configured through the shell), IPv4
# in one (st0.0, proxy-identity 10.1/24 <-> 10.2/24) and IPv6 in the other
# (st0.1, fd01::/64 <-> fd02::/64), on one IKE gateway:
#
#   h1 ---- gw1 ====== WAN ====== gw2 ---- h2
#          vpn4: st0.0 (IPv4)   vpn6: st0.1 (IPv6)
#
# A commit that changes only vpn6 re-establishes vpn6 (new SPIs on both
# sides) while vpn4 keeps its SPIs and carries traffic all along; an
# unrelated commit changes no SPI; deleting vpn6 removes its SAs on both
# sides (DELETE) and leaves vpn4 alone.
. "$(dirname "$0")/appliance-start.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

# two_vpns SITE PEER ESTABLISH
two_vpns() {
	s=$1 p=$2
	cat <<EOC
set security ike proposal ikep dh-group group19
set security ike proposal ikep encryption-algorithm aes-256-gcm
set security ike policy ikepol proposals ikep
set security ike policy ikepol pre-shared-key ascii-text "two-tunnels-key"
set security ike gateway gw ike-policy ikepol
set security ike gateway gw address 192.0.2.$p
set security ike gateway gw local-address 192.0.2.$s
set security ike gateway gw dead-peer-detection interval 10
set security ipsec proposal esp encryption-algorithm aes-128-cbc
set security ipsec proposal esp authentication-algorithm hmac-sha-256-128
set security ipsec policy ipol proposals esp
set security ipsec vpn vpn4 bind-interface st0.0
set security ipsec vpn vpn4 ike gateway gw
set security ipsec vpn vpn4 ike ipsec-policy ipol
set security ipsec vpn vpn4 ike proxy-identity local 10.$s.0.0/24
set security ipsec vpn vpn4 ike proxy-identity remote 10.$p.0.0/24
set security ipsec vpn vpn4 establish-tunnels $3
set security ipsec vpn vpn6 bind-interface st0.1
set security ipsec vpn vpn6 ike gateway gw
set security ipsec vpn vpn6 ike ipsec-policy ipol
set security ipsec vpn vpn6 ike proxy-identity local fd0$s::/64
set security ipsec vpn vpn6 ike proxy-identity remote fd0$p::/64
set security ipsec vpn vpn6 establish-tunnels $3
set interfaces st0 unit 0 family inet address 10.255.0.$s/30
set interfaces st0 unit 1 family inet6 address fd0f::$s/64
set routing-options static route 10.$p.0.0/24 next-hop st0.0
set routing-options static route fd0$p::/64 next-hop st0.1
EOC
}

spis() { ipsec_spis "$1" "$2" | head -1; }

ping6_ok() {
	host "$1" ping -6 -c 3 -i 0.2 -W 2 "$2" >/dev/null 2>&1
}

lab_init
lab_site 1
lab_site 2
appliance_start 1
appliance_start 2
out=$(two_vpns 2 1 responder-only | configure 2) || fail "gw2: $out"
out=$(two_vpns 1 2 immediately | configure 1) || fail "gw1: $out"
wait_tunnel_up 1 vpn4 30
wait_tunnel_up 1 vpn6 30
wait_for 20 "IPv4 through vpn4" ping_ok 1 10.2.0.2
wait_for 20 "IPv6 through vpn6" ping6_ok 1 fd02::2
v4=$(spis 1 vpn4)
v6=$(spis 1 vpn6)
log "vpn4 SPIs $v4, vpn6 SPIs $v6"
[ "$(spis 2 vpn4)" = "$(echo "$v4" | awk '{ print $2, $1 }')" ] || fail "gw2 vpn4 SPIs"
cli 1 show security ipsec security-associations
cli 1 show security ike tunnel-map

log "an unrelated commit (DPD interval, a description, a new route) keeps every SPI"
out=$(printf '%s\n' \
	"set security ike gateway gw dead-peer-detection interval 20" \
	"set interfaces st0 unit 0 description \"IPv4 tunnel\"" \
	"set routing-options static route 10.99.0.0/24 next-hop st0.0" | configure 1) ||
	fail "unrelated commit: $out"
[ "$(spis 1 vpn4)" = "$v4" ] || fail "vpn4 SPIs changed by an unrelated commit"
[ "$(spis 1 vpn6)" = "$v6" ] || fail "vpn6 SPIs changed by an unrelated commit"
cli 1 show route 10.99.0.1 | grep -q "10.99.0.0/24" || fail "new route missing"

log "a commit changing vpn6 only (df-bit): vpn6 re-established, vpn4 untouched"
ip netns exec "$P-h1" ping -c 400 -i 0.01 -W 1 10.2.0.2 >"$LAB/ping4.log" 2>&1 &
pingpid=$!
PIDS="$PIDS $pingpid"
out=$(printf 'set security ipsec vpn vpn6 df-bit set\n' | configure 1) || fail "vpn6 commit: $out"
changed6() { s=$(spis 1 vpn6); [ -n "$s" ] && [ "$s" != "$v6" ]; }
wait_for 30 "vpn6 re-established with new SPIs" changed6
wait "$pingpid" || true
[ "$(spis 1 vpn4)" = "$v4" ] || fail "vpn4 SPIs changed: $(spis 1 vpn4) (were $v4)"
[ "$(spis 2 vpn4)" = "$(echo "$v4" | awk '{ print $2, $1 }')" ] || fail "gw2 vpn4 SPIs changed"
lost=$(awk '/packet loss/ { for (i = 1; i <= NF; i++) if ($i ~ /%$/) print $i }' "$LAB/ping4.log")
log "IPv4 through vpn4 during the vpn6 change: $lost loss"
[ "$lost" = "0%" ] || fail "vpn4 lost traffic during the vpn6 change: $(tail -3 "$LAB/ping4.log")"
new6=$(spis 1 vpn6)
[ "$(spis 2 vpn6)" = "$(echo "$new6" | awk '{ print $2, $1 }')" ] || fail "gw2 vpn6 SPIs"
wait_for 20 "IPv6 through the new vpn6" ping6_ok 1 fd02::2
det=$(cli 1 show security ipsec security-associations vpn-name vpn6 detail)
echo "$det" | grep -q "DF-bit: set" || fail "vpn6 df-bit: $det"
echo "$det" | grep -q "Tunnel configuration changed" || fail "vpn6 history: $det"

log "deleting vpn6: DELETE to gw2, its SAs gone on both sides, vpn4 untouched"
out=$(printf '%s\n' "delete security ipsec vpn vpn6" "delete routing-options static route fd02::/64" \
	"delete interfaces st0 unit 1" | configure 1) || fail "delete vpn6: $out"
gone6() { [ -z "$(spis 2 vpn6)" ]; }
wait_for 20 "vpn6 SAs gone on gw2" gone6
[ -z "$(spis 1 vpn6)" ] || fail "vpn6 SAs left on gw1"
[ "$(spis 1 vpn4)" = "$v4" ] || fail "vpn4 SPIs changed by the delete"
cli 2 show security ipsec inactive-tunnels detail | tee "$LAB/inactive.txt"
grep -q "delete payload received from peer" "$LAB/inactive.txt" ||
	fail "gw2 does not say why vpn6 went down"
cli 1 show interfaces terse | grep -q "^st0.1 " && fail "st0.1 still shown on gw1"
ping_ok 1 10.2.0.2 || fail "vpn4 traffic after the delete"
log "PASS"
