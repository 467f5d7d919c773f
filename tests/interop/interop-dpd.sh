#!/bin/sh
# SPDX-License-Identifier: MIT
# Dead peer detection against strongSwan 5.9.8 (docs/interop.md), the
# topology of interop-basic.sh:
#
#   h1 -- gw1: Cairn ===== WAN ===== gw2: strongSwan -- h2
#
# Cairn's gateway has dead-peer-detection (interval 2 s, threshold 3).
# charon is killed (SIGKILL: no DELETE); Cairn must clear the tunnel
# ("DPD detected peer as down") within interval x threshold of its first
# unanswered probe (seen at gw2), which leaves within two intervals of the
# kill (idleness is judged over a whole interval),
# and the tunnel must come back when charon returns: Cairn re-initiates
# (establish-tunnels immediately) or, as responder, takes strongSwan's new
# initiation (start_action = start). Cases:
#   dpd-optimized-init   Cairn initiator, DPD optimized, pings running
#   dpd-idle-resp        Cairn responder, DPD probe-idle-tunnel, no traffic
#   sw-dpd-restart-resp  strongSwan's DPD (dpd_delay 2s, dpd_action restart),
#                        cairn-iked killed and started again (sw_dpd below)
. "$(dirname "$0")/interop-start.sh"

DPD_INTERVAL=2
DPD_THRESHOLD=3

dpd_reason() {
	cli 1 show security ipsec inactive-tunnels | grep -q "DPD detected peer as down"
}

probes() {
	gw 2 nft list chain inet iopdpd in 2>/dev/null | awk '/counter packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'
}

# dpd ROLE MODE
dpd() {
	role=$1
	dmode=$2
	cairn_defaults
	sw_defaults
	C_DPD="$dmode $DPD_INTERVAL $DPD_THRESHOLD"
	establish "$role"
	# as responder, Cairn waits for strongSwan to come back and initiate
	[ "$role" = resp ] && S_START=start
	verify_case "$role" 1
	spis0=$(cairn_spis 1 v1)
	if [ "$dmode" = optimized ]; then loss_start 1 10.2.0.2; fi
	case_mark
	# count Cairn's INFORMATIONAL requests reaching gw2 (its DPD probes)
	gw 2 nft -f - <<EOF
table inet iopdpd {
	chain in {
		type filter hook input priority 0; policy accept;
		udp dport 4500 @th,64,32 0 @th,240,8 37 @th,250,1 0 counter
	}
}
EOF
	t0=$(now_ms)
	sw_kill 2
	tp=""
	while ! dpd_reason; do
		[ -n "$tp" ] || [ "$(probes)" -eq 0 ] || tp=$(now_ms)
		[ $(($(now_ms) - t0)) -lt 30000 ] || fail "Cairn did not clear the tunnel in 30 s"
		sleep 0.1
	done
	tc=$(now_ms)
	gw 2 nft delete table inet iopdpd
	[ -n "$tp" ] || fail "no DPD probe seen at gw2"
	[ -z "$(cairn_spis 1 v1)" ] || fail "SAs left after DPD: $(cairn_spis 1 v1)"
	[ "$(ike_up 1)" -eq 0 ] || fail "IKE SA left after DPD"
	limit=$((DPD_INTERVAL * DPD_THRESHOLD * 1000))
	figure "dpd-$dmode-$role: charon killed; first probe after $((tp - t0)) ms, tunnel cleared $((tc - tp)) ms after it ($((tc - t0)) ms after the kill; interval $DPD_INTERVAL s x threshold $DPD_THRESHOLD = $limit ms)"
	# polled every 100 ms, on a loaded machine: half a second of slack
	[ $((tc - tp)) -le $((limit + 500)) ] || fail "cleared $((tc - tp)) ms after the first probe"
	[ $((tp - t0)) -le $((2 * DPD_INTERVAL * 1000 + 500)) ] || fail "first probe $((tp - t0)) ms after the kill"
	log "   charon returns"
	t0=$(now_ms)
	sw_start 2
	sw_apply # resp: start_action = start initiates at once
	wait_tunnels 1 40
	figure "dpd-$dmode-$role: tunnel back $(($(now_ms) - t0)) ms after charon was started again"
	[ "$(cairn_spis 1 v1)" != "$spis0" ] || fail "the same SPIs after the restart"
	if [ "$dmode" = optimized ]; then
		r=$(loss_stop) || exit 1
		figure "dpd-$dmode-$role: pings through the outage (sent received): $r"
	fi
	cli 1 show security ipsec security-associations detail | grep -q "DPD detected peer as down" ||
		fail "the tunnel's history lacks the DPD event"
	verify_case "$role" 1
}

# sw_dpd: DPD from strongSwan's side. strongSwan initiates with
# dpd_delay = 2s and dpd_action = restart (keyingtries = 0: it keeps
# trying); Cairn is responder-only, so only strongSwan brings the tunnel
# back. cairn-iked (and its dataplane) is killed with SIGKILL: charon's
# probes go unanswered, it gives up after its retransmissions (charon
# restarted with a 1 s x 1.2 schedule, 4 retransmissions: 7.4 s), clears
# the IKE and CHILD SAs and restarts the child; cairn-iked is started
# again once charon has cleared them, and the tunnel must come back by
# strongSwan's restart, with new SPIs and traffic both ways.
sw_dpd() {
	cairn_defaults
	sw_defaults
	S_IKE_OPTS="dpd_delay = 2s;keyingtries = 0"
	S_CHILD_OPTS="dpd_action = restart"
	establish resp
	verify_case resp 1
	spis0=$(cairn_spis 1 v1)
	case_mark
	t0=$(now_ms)
	iked_kill 1
	# charon's probes (INFORMATIONAL requests) and its verdict
	gave_up() { [ "$(sw_log_count 'giving up after [0-9]+ retransmits')" -ge 1 ]; }
	wait_for 40 "charon to declare Cairn dead" gave_up
	tg=$(now_ms)
	first=$(case_log_since "$LAB/sw2/charon.log" | grep -m1 "generating INFORMATIONAL request" | awk '{ print $1 }')
	case_log_since "$LAB/sw2/charon.log" | grep -Eq "restarting CHILD_SA net|initiating IKE_SA c1" ||
		fail "charon did not restart the child after DPD"
	sw_gone() { [ -z "$(sw_spis 2)" ] && [ "$(sw_ike_count 2)" -eq 0 ]; }
	wait_for 10 "charon to clear the dead SAs" sw_gone
	figure "sw-dpd: cairn-iked killed; charon's first probe at $first, gave up $((tg - t0)) ms after the kill ($(sw_log_count 'retransmit [0-9]+ of request') retransmissions), SAs cleared, child restarted (dpd_action = restart)"
	t1=$(now_ms)
	iked_start 1
	wait_tunnels 1 40
	figure "sw-dpd: tunnel back $(($(now_ms) - t1)) ms after cairn-iked was started again (charon since the kill: $(sw_log_count 'initiating IKE_SA c1') initiation(s), $(sw_log_count 'retransmit [0-9]+ of request with message ID 0') IKE_SA_INIT retransmission(s))"
	[ "$(cairn_spis 1 v1)" != "$spis0" ] || fail "the same SPIs after the restart"
	verify_case resp 1
}

lab_init
lab_site 1
lab_site 2
cairn_start 1
sw_start 2
run_case dpd-optimized-init dpd init optimized
run_case dpd-idle-resp dpd resp probe-idle-tunnel
# strongSwan's DPD: a quicker retransmission schedule (a restarted charon)
sw_stop 2
SW_RTX_TIMEOUT=1 SW_RTX_BASE=1.2 sw_start 2
run_case sw-dpd-restart-resp sw_dpd
cases_summary
