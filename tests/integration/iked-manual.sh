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
# counted), then on both (traffic again), and ESP in UDP 4500.
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
cli 1 clear security ipsec statistics
[ "$(supp)" = 0 ] || fail "clear left the suppressed ICMP errors: $(supp)"

log "commit check refuses GCM with a manual key"
out=$(printf 'set security ipsec vpn m1 manual encryption algorithm aes-128-gcm\n' |
	configure_check 1) && fail "GCM manual accepted"
echo "$out" | grep -q "reuse GCM nonces" || fail "GCM message: $out"
log "PASS"
