#!/bin/sh
# SPDX-License-Identifier: MIT
# Manual-key VPN (security ipsec vpn V manual) between two appliances,
# configured through the shell and programmed by cairn-iked straight into
# the userspace dataplane (no IKE):
#
#   h1 ---- gw1 ====== WAN ====== gw2 ---- h2
#           st0.0, SPI 300 both ways, AES-256-CBC + HMAC-SHA-256-128
#
# Checks ping and TCP through the tunnel, the SAs in the show commands, a
# key changed on one side only (traffic stops, authentication failures are
# counted), then on both (traffic again), ESP in UDP 4500, the SPUs'
# drop counters in show security ipsec statistics (ICMP errors suppressed
# and MTU drops after an oversize DF burst), and gw2 made policy-based
# with narrower selectors: gw1's packets from outside them are dropped
# after decryption and shown as selector drops (statistics, index N,
# security-associations detail), all reset by clear.
. "$(dirname "$0")/appliance-start.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

KEY1=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
KEY2=f0e0d0c0b0a090807060504030201000f1e1d1c1b1a191817161514131211101
AUTH=abcdefghijklmnopqrstuvwxyz012345
AUTH2=543210zyxwvutsrqponmlkjihgfedcba

manual() {
	s=$1 p=$2
	cat <<EOC
set interfaces st0 unit 0 family inet address 10.255.0.$s/30
set security ipsec vpn m1 bind-interface st0.0
set security ipsec vpn m1 manual gateway 192.0.2.$p
set security ipsec vpn m1 manual local-address 192.0.2.$s
set security ipsec vpn m1 manual spi 300
set security ipsec vpn m1 manual encryption algorithm aes-256-cbc
set security ipsec vpn m1 manual encryption key hexadecimal $KEY1
set security ipsec vpn m1 manual authentication algorithm hmac-sha-256-128
set security ipsec vpn m1 manual authentication key ascii-text "$AUTH"
set routing-options static route 10.$p.0.0/24 next-hop st0.0
EOC
}

lab_init
lab_site 1
lab_site 2
appliance_start 1
appliance_start 2
out=$(manual 1 2 | configure 1) || fail "gw1: $out"
out=$(manual 2 1 | configure 2) || fail "gw2: $out"

log "traffic through the manual SAs"
wait_for 20 "ping h1 -> h2" ping_ok 1 10.2.0.2
tcp_transfer 1 2 10M
sa=$(cli 1 show security ipsec security-associations)
echo "$sa"
echo "$sa" | grep -Eq "^  <65537 +ESP:aes-cbc-256/hmac-sha256-128 0x0000012c unlim/unlim - root 500 192.0.2.2$" ||
	fail "manual SA row: $sa"
echo "$sa" | grep -Eq "^  >65537 +ESP:aes-cbc-256/hmac-sha256-128 0x0000012c " || fail "outbound row: $sa"
det=$(cli 1 show security ipsec security-associations detail)
echo "$det" | grep -q "Type: manual, State: installed" || fail "detail: $det"
echo "$det" | grep -q "Version: Manual" || fail "detail version: $det"
[ "$(cli 1 show security ike security-associations)" = "" ] || fail "an IKE SA for a manual VPN"
cli 1 show security ipsec tunnel-distribution | grep -Eq "^65537 +[0-9]+ +up +manual" ||
	fail "tunnel-distribution"
cli 1 show interfaces st0.0 | grep -q "Input packets : [1-9]" || fail "st0.0 counters"

log "new keys on gw1 only: gw2 cannot authenticate its packets"
cli 2 clear security ipsec statistics
out=$(printf '%s\n' "set security ipsec vpn m1 manual encryption key hexadecimal $KEY2" \
	"set security ipsec vpn m1 manual authentication key ascii-text \"$AUTH2\"" |
	configure 1) || fail "key change: $out"
ping_ok 1 10.2.0.2 && fail "traffic with mismatched keys"
st=$(cli 2 show security ipsec statistics)
fails=$(echo "$st" | awk -F'[:,]' '/ESP authentication failures/ { gsub(/ /, "", $2); print $2 }')
[ "${fails:-0}" -gt 0 ] || fail "no authentication failures counted on gw2: $st"
log "gw2 counted $fails ESP authentication failures"
out=$(printf '%s\n' "set security ipsec vpn m1 manual encryption key hexadecimal $KEY2" \
	"set security ipsec vpn m1 manual authentication key ascii-text \"$AUTH2\"" |
	configure 2) || fail "key change on gw2: $out"
wait_for 20 "ping with the new keys" ping_ok 1 10.2.0.2

log "ESP in UDP 4500 on both sides"
printf 'set security ipsec vpn m1 manual udp-encapsulation\n' | configure 1 >/dev/null
printf 'set security ipsec vpn m1 manual udp-encapsulation\n' | configure 2 >/dev/null
wait_for 20 "ping over ESP in UDP" ping_ok 1 10.2.0.2
cli 1 show security ipsec security-associations detail | grep -q "Packet Encapsulation: UDP" ||
	fail "UDP encapsulation not shown"

log "an oversize DF burst: the ICMP errors over the SPUs' rate limit are shown, and cleared"
# st0.0 at 1500 lets gw1's kernel route what the tunnel cannot carry (its
# inner MTU is smaller): the dataplane answers "fragmentation needed",
# 50 at once at most; h1's locked route MTU ignores them and sends all
out=$(printf 'set interfaces st0 unit 0 family inet mtu 1500\n' | configure 1) || fail "st0 MTU: $out"
host 1 ip route add 10.2.0.2/32 via 10.1.0.1 mtu lock 1500
host 1 timeout 20 ping -q -c 300 -l 300 -W 1 -M do -s 1460 10.2.0.2 >/dev/null 2>&1 || true
host 1 ip route del 10.2.0.2/32
supp() { esp_stat 1 "ICMP errors suppressed"; }
supp_seen() { [ "$(supp)" -gt 0 ] 2>/dev/null; }
wait_for 10 "ICMP errors suppressed in show security ipsec statistics" supp_seen
log "gw1 suppressed $(supp) ICMP errors"
[ "$(esp_stat 1 "Event drops")" = 0 ] || fail "event drops: $(cli 1 show security ipsec statistics)"
js=$(rpc 1 '{"cairn-security-state:get-ipsec-statistics-information":{}}')
echo "$js" | grep -q '"icmp-suppressed":"[1-9]' || fail "icmp-suppressed not in the data: $js"
echo "$js" | grep -q '"event-drops":"0"' || fail "event-drops not in the data: $js"
# every error suppressed was for a packet dropped as too big
s1=$(supp) mtu=$(esp_stat 1 "MTU drops")
[ "${mtu:-0}" -gt 0 ] && [ "$mtu" -ge "$s1" ] ||
	fail "MTU drops ($mtu, $s1 suppressed): $(cli 1 show security ipsec statistics)"
log "gw1 dropped $mtu packets as too big (MTU drops)"
echo "$js" | grep -q '"mtu-drops":"[1-9]' || fail "mtu-drops not in the data: $js"
for f in no-sa-drops no-route-drops other-drops frag-drops frag-resent selector-drops; do
	echo "$js" | grep -q "\"$f\":\"[0-9]" || fail "$f not in the data: $js"
done
cli 1 clear security ipsec statistics
[ "$(supp)" = 0 ] || fail "clear left the suppressed ICMP errors: $(supp)"
[ "$(esp_stat 1 "MTU drops")" = 0 ] || fail "clear left the MTU drops: $(esp_stat 1 "MTU drops")"

log "gw2 policy-based, admitting 10.1.0.0/25 only: what else gw1 sends is dropped after decryption"
# gw1 (route-based, any selectors) encrypts whatever it routes into st0.0;
# gw2's tunnel now has the policy's selectors (RFC 4301 5.2)
out=$(configure 2 <<EOC
delete security ipsec vpn m1 bind-interface
delete routing-options static route 10.1.0.0/24
set security zones security-zone trust interfaces l2
set security zones security-zone trust address-book address lan-local 10.2.0.0/24
set security zones security-zone untrust interfaces w2
set security zones security-zone untrust address-book address lan-remote 10.1.0.0/25
set security policies from-zone trust to-zone untrust policy to-peer match source-address lan-local
set security policies from-zone trust to-zone untrust policy to-peer match destination-address lan-remote
set security policies from-zone trust to-zone untrust policy to-peer match application any
set security policies from-zone trust to-zone untrust policy to-peer then permit tunnel ipsec-vpn m1
set security policies from-zone trust to-zone untrust policy to-peer then permit tunnel pair-policy from-peer
set security policies from-zone untrust to-zone trust policy from-peer match source-address lan-remote
set security policies from-zone untrust to-zone trust policy from-peer match destination-address lan-local
set security policies from-zone untrust to-zone trust policy from-peer match application any
set security policies from-zone untrust to-zone trust policy from-peer then permit tunnel ipsec-vpn m1
set security policies from-zone untrust to-zone trust policy from-peer then permit tunnel pair-policy to-peer
EOC
) || fail "gw2 policy-based: $out"
wait_for 20 "ping from inside the policy (10.1.0.2)" ping_ok 1 10.2.0.2
cli 2 clear security ipsec statistics
host 1 ip addr add 10.1.0.200/24 dev e1
host 1 ping -q -c 5 -i 0.2 -W 1 -I 10.1.0.200 10.2.0.2 >/dev/null 2>&1 &&
	fail "a packet from outside gw2's selectors crossed"
sel() { esp_stat 2 "Selector drops"; }
sel_seen() { [ "$(sel)" -ge 5 ] 2>/dev/null; }
wait_for 10 "selector drops in show security ipsec statistics" sel_seen
log "gw2 dropped $(sel) packets outside its selectors"
st=$(cli 2 show security ipsec statistics)
[ "$(echo "$st" | awk '/Other drops:/ { print $3 }')" -ge 5 ] || fail "not in other drops: $st"
[ "$(esp_stat 2 "ESP authentication failures")" = 0 ] || fail "counted as auth failures: $st"
det=$(cli 2 show security ipsec security-associations detail)
[ "$(echo "$det" | grep -c "Selector drops:")" = 1 ] || fail "selector drops lines: $det"
echo "$det" | grep -Eq "^    Selector drops: ([5-9]|[1-9][0-9]+)$" || fail "inbound SA: $det"
id=$(echo "$det" | awk '/^ID: / { print $2; exit }')
idx=$(cli 2 show security ipsec statistics index "$id")
echo "$idx" | grep -Eq "^  Selector drops: +([5-9]|[1-9][0-9]+)$" || fail "index $id: $idx"
echo "$idx" | grep -q "Other drops" && fail "an SPU counter in one tunnel's view: $idx"
cli 2 clear security ipsec statistics
[ "$(sel)" = 0 ] || fail "clear left the selector drops: $(sel)"
cli 2 show security ipsec security-associations detail | grep -q "^    Selector drops: 0$" ||
	fail "clear left the SA's selector drops"

log "commit check refuses GCM with a manual key"
out=$(printf 'set security ipsec vpn m1 manual encryption algorithm aes-128-gcm\n' |
	configure_check 1) && fail "GCM manual accepted"
echo "$out" | grep -q "reuse GCM nonces" || fail "GCM message: $out"
log "PASS"
