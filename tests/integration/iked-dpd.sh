#!/bin/sh
# SPDX-License-Identifier: MIT
# Dead peer detection after killing a peer, configured through the shell:
#
#   h1 ---- gw1 ====== WAN ====== gw2 ---- h2
#           establish-tunnels immediately     responder-only
#           dead-peer-detection optimized interval 2 threshold 3 (both)
#
# Traffic first (ping, TCP both ways). Then gw2's cairn-iked (and with it
# its userspace dataplane) is killed with SIGKILL while h1 keeps sending
# (optimized DPD probes when traffic goes out and nothing comes back):
# gw1 must clear the tunnel within interval x threshold plus a margin,
# and say why in `show security ipsec inactive-tunnels` (and the detail
# views). gw2's cairn-iked is started again: gw1 (immediately) brings the
# tunnel back, SPIs agree, traffic flows, no duplicate SA is left.
. "$(dirname "$0")/appliance-start.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

INTERVAL=2
THRESHOLD=3
# detection takes up to two intervals (one of silence, the next tick) plus
# threshold probes one interval apart; the rest is margin for a loaded host
LIMIT=$((INTERVAL * THRESHOLD + 2 * INTERVAL + 4))

dpd_site() {
	s=$1 p=$2
	site_to_site_config "$s" "$p" vpn1 0 | sed "s/establish-tunnels immediately/establish-tunnels $3/"
	cat <<EOC
set security ike gateway gw-vpn1 dead-peer-detection optimized
set security ike gateway gw-vpn1 dead-peer-detection interval $INTERVAL
set security ike gateway gw-vpn1 dead-peer-detection threshold $THRESHOLD
EOC
}

lab_init
lab_site 1
lab_site 2
appliance_start 1
appliance_start 2

log "configure both sites through the shell"
out=$(dpd_site 2 1 responder-only | configure 2) || fail "gw2: $out"
echo "$out" | grep -q "commit complete" || fail "gw2: $out"
out=$(dpd_site 1 2 immediately | configure 1) || fail "gw1: $out"
echo "$out" | grep -q "commit complete" || fail "gw1: $out"
wait_tunnel_up 1 vpn1 30
wait_for 20 "ping h1 -> h2" ping_ok 1 10.2.0.2
ping_ok 2 10.1.0.2 || fail "ping h2 -> h1"
tcp_both 1 2 5M
spis_agree 1 2 vpn1 || fail "SPIs"
cli 1 show security ike security-associations detail | grep -q "DPD: optimized, interval $INTERVAL, threshold $THRESHOLD" ||
	fail "DPD settings: $(cli 1 show security ike security-associations detail)"
old=$(ipsec_spis 1 vpn1)

log "kill -9 gw2's cairn-iked while h1 sends"
ip netns exec "$P-h1" ping -q -i 0.2 -w 60 10.2.0.2 >/dev/null 2>&1 &
pingpid=$!
PIDS="$PIDS $pingpid"
t0=$(date +%s%N)
iked_kill 2
cleared() { [ -z "$(ipsec_spis 1 vpn1)" ] && [ "$(ike_up 1)" -eq 0 ]; }
wait_for $((LIMIT + 10)) "gw1 to clear the tunnel" cleared
ms=$((($(date +%s%N) - t0) / 1000000))
log "gw1 cleared the tunnel ${ms} ms after the kill (interval $INTERVAL s x threshold $THRESHOLD, limit ${LIMIT} s)"
[ "$ms" -le $((LIMIT * 1000)) ] || fail "DPD took ${ms} ms (limit ${LIMIT} s)"
kill "$pingpid" 2>/dev/null || true

inact=$(cli 1 show security ipsec inactive-tunnels)
echo "$inact"
echo "$inact" | grep -q "Total inactive tunnels: 1" || fail "inactive-tunnels: $inact"
echo "$inact" | grep -q "Total inactive tunnels with establish immediately: 1" || fail "inactive: $inact"
echo "$inact" | grep -Eq "^  131073 +500 +192.0.2.2 .*DPD detected peer as down. Existing IKE/IPSec SAs cleared \(1 times\)$" ||
	fail "no DPD reason in inactive-tunnels: $inact"
cli 1 show security ipsec inactive-tunnels detail | grep -q "DPD detected peer as down" ||
	fail "inactive-tunnels detail"
cli 1 show security ipsec security-associations vpn-name vpn1 detail |
	grep -q "Tunnel state: down, last reason: DPD detected peer as down" ||
	fail "vpn-name detail: $(cli 1 show security ipsec security-associations vpn-name vpn1 detail)"
cli 1 show security ipsec security-associations | grep -q "Total active tunnels: 0" || fail "SAs left on gw1"
cli 1 show security ipsec tunnel-distribution | grep -Eq "^131073 +[0-9-]+ +down " ||
	fail "tunnel-distribution: $(cli 1 show security ipsec tunnel-distribution)"

log "gw2's cairn-iked returns: gw1 (establish-tunnels immediately) brings the tunnel back"
t1=$(date +%s%N)
iked_start 2
wait_tunnel_up 1 vpn1 40
wait_tunnel_up 2 vpn1 10
log "back $((($(date +%s%N) - t1) / 1000000)) ms after gw2's cairn-iked was started"
cli 2 show security ike security-associations detail | grep -q "Role: Responder" ||
	fail "gw2 initiated (it is responder-only)"
wait_for 10 "SPIs agreeing" spis_agree 1 2 vpn1
[ "$(ipsec_spis 1 vpn1)" != "$old" ] || fail "the old SPIs again"
[ "$(sa_pairs 1 vpn1)" -eq 1 ] && [ "$(ike_up 1)" -eq 1 ] && [ "$(ike_up 2)" -eq 1 ] ||
	fail "duplicates: gw1 $(sa_pairs 1 vpn1) pairs, IKE SAs $(ike_up 1)/$(ike_up 2)"
wait_for 20 "ping h1 -> h2 again" ping_ok 1 10.2.0.2
ping_ok 2 10.1.0.2 || fail "ping h2 -> h1 again"
tcp_both 1 2 5M
cli 1 show security ipsec inactive-tunnels | grep -q "Total inactive tunnels: 0" || fail "still inactive"
cli 1 show security ike tunnel-map | grep -Eq "gw-vpn1 +site-to-site +[0-9]+ +1 +1" ||
	fail "tunnel-map: $(cli 1 show security ike tunnel-map)"
cli 1 show security ipsec tunnel-distribution | grep -Eq "^131073 +[0-9]+ +up +site-to-site +192.0.2.2 +gw-vpn1 +vpn1$" ||
	fail "tunnel-distribution: $(cli 1 show security ipsec tunnel-distribution)"
det=$(cli 1 show security ipsec security-associations detail)
echo "$det" | sed -n '/Tunnel events/,/Location/p'
echo "$det" | grep -q "DPD detected peer as down. Existing IKE/IPSec SAs cleared (1 times)" ||
	fail "the history lost the DPD event"
log "PASS (DPD cleared the tunnel in ${ms} ms)"
