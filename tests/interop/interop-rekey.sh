#!/bin/sh
# SPDX-License-Identifier: MIT
# Rekeying between Cairn and strongSwan 5.9.8 with traffic flowing
# (docs/interop.md), the topology of interop-basic.sh:
#
#   h1 -- gw1: Cairn ===== WAN ===== gw2: strongSwan -- h2
#
# Cairn's rekeys come from short lifetimes: cairn-iked runs with
# --test-lifetime-divisor 40 (docs/iked.md), so the schema's minimum of
# 180 s lasts 4.5 s; strongSwan gets rekey_time = 3s where it should
# rekey. Cases, each with Cairn as IKE initiator and as responder:
#   child-by-cairn, child-by-sw   two CHILD SA rekeys initiated by one side
#   ike-by-cairn, ike-by-sw       an IKE SA rekey (the CHILD SA moves over)
#   child-collision-crossed|late  both sides rekey the same SA at once
#   ike-collision-crossed|late    (RFC 7296 2.8.1 / 2.8.2), see collision()
#   reauth-mbb, reauth-bbm        strongSwan reauthenticates make-before-break
#                                 and break-before-make (charon restarted)
# The CHILD collisions run first, with cairn-iked restarted without the
# divisor: Cairn's rekey comes from lifetime-kilobytes (64 MB pushed
# through the tunnel) and install-interval keeps its real 1 s, the window
# a late collision needs.
# Each: one IKE SA and one CHILD SA left on each side with the same SPIs,
# pings every 20 ms across the tunnel meanwhile (losses reported), ping
# and TCP both ways afterwards.
. "$(dirname "$0")/interop-start.sh"

DIVISOR=40
# what a case may lose per rekey (pings every 20 ms)
MAX_LOSS=5

# rekey_setup ROLE PFS: the case's tunnel (PFS group19 or none), up, checked
rekey_setup() {
	role=$1
	if [ "$2" = pfs ]; then
		C_PFS=group19
		S_ESP=aes128gcm16-ecp256
	fi
	establish "$role"
	verify_case "$role" 1
}

# rekeys ROLE WHAT(child|ike) BY(cairn|sw)
rekeys() {
	role=$1
	rk_what=$2
	rk_by=$3
	cairn_defaults
	sw_defaults
	# the side that rekeys gets the short lifetime
	if [ "$rk_by" = cairn ]; then
		[ "$rk_what" = child ] && C_ESP_LIFE=180 || C_IKE_LIFE=180
	else
		# a hard lifetime well after the rekey (charon's defaults put it at
		# rekey_time + 10 %, which a 3 s rekey_time turns into 0.3 s)
		if [ "$rk_what" = child ]; then
			S_CHILD_OPTS="rekey_time = 3s; life_time = 120s; rand_time = 1s"
		else
			S_IKE_OPTS="rekey_time = 3s; over_time = 60s; rand_time = 1s"
		fi
	fi
	[ "$role" = init ] && rk_pfs=pfs || rk_pfs=nopfs
	rekey_setup "$role" $rk_pfs
	rk_want=2
	[ "$rk_what" = ike ] && rk_want=1
	child0=$(cairn_spis 1 v1)
	ike0=$(ike_spis_cairn)
	case_mark
	loss_start 1 10.2.0.2
	# what strongSwan's log says about each rekey
	if [ "$rk_what" = child ]; then
		rk_pat="CREATE_CHILD_SA request [0-9]+ \\[ N\\(REKEY_SA\\)"
	else
		rk_pat="CREATE_CHILD_SA request [0-9]+ \\[ SA (No KE|KE No) \\]"
	fi
	[ "$rk_by" = cairn ] && rk_pat="parsed $rk_pat" || rk_pat="generating $rk_pat"
	end=$(($(date +%s) + 20))
	while [ "$(sw_log_count "$rk_pat")" -lt $rk_want ]; do
		[ "$(date +%s)" -lt "$end" ] || fail "fewer than $rk_want rekeys by $rk_by (/$rk_pat/) in 20 s"
		sleep 0.2
	done
	wait_one_of_each 1
	sleep 0.3
	rk_loss=$(loss_stop) || exit 1
	set -- $rk_loss
	rk_n=$(sw_log_count "$rk_pat")
	figure "rekeys-$rk_what-by-$rk_by-$role: $rk_n $rk_what rekey(s) by $rk_by, $1 pings sent every 20 ms, $(($1 - $2)) lost"
	[ $(($1 - $2)) -le $((MAX_LOSS * rk_n)) ] || fail "lost $(($1 - $2)) of $1 pings over $rk_n rekeys"
	if [ "$rk_what" = child ]; then
		[ "$(cairn_spis 1 v1)" != "$child0" ] || fail "CHILD SPIs unchanged"
		[ "$rk_pfs" = nopfs ] || case_log_since "$LAB/sw2/charon.log" | grep -q "CREATE_CHILD_SA .*N(REKEY_SA) SA No KE" ||
			fail "no KE in the CHILD rekeys (PFS)"
	else
		[ "$(ike_spis_cairn)" != "$ike0" ] || fail "IKE SPIs unchanged"
		[ "$(cairn_spis 1 v1)" = "$child0" ] || fail "the CHILD SA changed with the IKE rekey"
	fi
	traffic_both 1 2 10.2.0.2 10.1.0.2 1M
	wait_one_of_each 1
}

held() {
	[ "$(ike_held 2 "$1")" -gt 0 ]
}

sw_logged() {
	[ "$(sw_log_count "$1")" -gt 0 ]
}

cairn_logged() {
	case_log_since "$LAB/gw1/iked.log" | grep -Eq "$1"
}

# collision ROLE WHAT(child|ike) ORDER(crossed|late): both sides rekey the
# same SA at once (RFC 7296 2.8.1, 2.8.2). strongSwan's rekey comes from
# swanctl --rekey; Cairn's from its soft lifetime (IKE) or lifetime-
# kilobytes (CHILD: TCP pushed through until it rekeys). CREATE_CHILD_SA is held at gw2
# (ike_hold) so that the requests cross:
#   crossed  each side gets the other's request before the answer to its
#            own: both requests held; strongSwan's pass first (Cairn answers,
#            its answer held), then Cairn's (strongSwan answers), then Cairn's
#            answers; Cairn's DELETEs wait until strongSwan has finished (in a
#            network they leave after the answers and arrive after them)
#   late     Cairn's exchange completes first, then strongSwan's request
#            reaches Cairn: CHILD, while Cairn keeps the old SA for
#            install-interval (1 s); IKE, after Cairn deleted the old SA
# A crossed IKE collision waits for Cairn's retransmission (2 s) while its
# SA lives on: its lifetime is 1200 s / 40 = 30 s (a 25.5-27 s soft one).
collision() {
	role=$1
	rk_what=$2
	rk_order=$3
	cairn_defaults
	sw_defaults
	if [ "$rk_what" = child ]; then
		# soft at 90 % of 64,000 KB; TCP is pushed through until Cairn's
		# rekey request shows up, and stopped then, before the hard limit
		C_ESP_KB=64000
	elif [ "$rk_order" = crossed ]; then
		C_IKE_LIFE=1200
	else
		C_IKE_LIFE=360 # 9 s: soft after 7.65-8.1 s
	fi
	rekey_setup "$role" nopfs
	child0=$(cairn_spis 1 v1)
	ike0=$(ike_spis_cairn)
	case_mark
	loss_start 1 10.2.0.2
	[ "$rk_what" = child ] && rk_kind=CHILD || rk_kind=IKE
	if [ "$rk_what" = ike ] && [ "$rk_order" = late ]; then
		# strongSwan's request first, held; Cairn's (soft lifetime) passes
		# and strongSwan answers it while its own is pending
		ike_hold 2 own-req
		swc 2 --rekey --ike c1 >/dev/null 2>&1 || fail "swanctl --rekey --ike"
		wait_for 10 "strongSwan's rekey request (held at gw2)" held own-req
		wait_for 20 "Cairn's rekey done" cairn_logged "IKE SA rekey successfully completed"
	else
		ike_hold 2 peer-req peer-resp own-req own-resp
		if [ "$rk_what" = child ]; then
			# 45 MiB at full speed (short of the soft limit: the dataplane
			# counts whole ESP packets, about 8 % more), then 40 Mbit/s until
			# Cairn rekeys: at full speed the last 10 % went by in 0.1 s
			tcp_to 1 2 10.2.0.2 45M >/dev/null
			ip netns exec "$P-h2" iperf3 -s -1 -p 5202 >/dev/null 2>&1 &
			rk_srv=$!
			wait_for 10 "iperf3 server in h2" sh -c "ip netns exec $P-h2 ss -ltn | grep -q ':5202'"
			ip netns exec "$P-h1" timeout 60 iperf3 -c 10.2.0.2 -p 5202 -b 40M -t 30 >/dev/null 2>&1 &
			rk_cli=$!
			PIDS="$PIDS $rk_srv $rk_cli"
		fi
		wait_for 40 "Cairn's rekey request (held at gw2)" held peer-req
		if [ "$rk_what" = child ]; then
			kill "$rk_cli" "$rk_srv" 2>/dev/null || true
			wait "$rk_cli" 2>/dev/null || true
			wait "$rk_srv" 2>/dev/null || true
		fi
		if [ "$rk_what" = child ]; then
			swc 2 --rekey --child net >/dev/null 2>&1 || fail "swanctl --rekey --child"
		else
			swc 2 --rekey --ike c1 >/dev/null 2>&1 || fail "swanctl --rekey --ike"
		fi
		wait_for 10 "strongSwan's rekey request (held at gw2)" held own-req
		if [ "$rk_order" = crossed ]; then
			ike_hold 2 peer-req peer-resp peer-info
			wait_for 15 "Cairn's answer to strongSwan's request" held peer-resp
			ike_hold 2 peer-resp peer-info
			wait_for 15 "strongSwan's answer to Cairn's request" \
				sw_logged "detected ${rk_kind}_REKEY collision with ${rk_kind}_REKEY"
			ike_hold 2 peer-info
			wait_for 15 "strongSwan to finish its exchange" \
				sw_logged "${rk_kind}_SA rekey collision (won|lost)"
		else
			ike_hold 2 own-req
			wait_for 15 "Cairn's rekey done" cairn_logged "IPsec SA rekey succeeds"
		fi
	fi
	ike_unblock 2
	wait_for 20 "strongSwan to see the collision" sw_logged "detected ${rk_kind}_REKEY collision"
	wait_one_of_each 1 30
	sleep 0.3
	rk_loss=$(loss_stop) || exit 1
	set -- $rk_loss
	rk_sw=$(case_log_since "$LAB/sw2/charon.log" | grep -Eo "(detected ${rk_kind}_REKEY collision with [A-Z_]+|${rk_kind}_SA rekey collision (won|lost)|peer did not notice [A-Za-z_ ]+)" | sort -u | tr '\n' ';')
	rk_cairn=$(case_log_since "$LAB/gw1/iked.log" | grep -Eo "(CHILD SA|IKE SA [0-9]+:) rekey collision (won|lost)( \(after our rekey\))?" | sed 's/IKE SA [0-9]*:/IKE SA/' | sort -u | tr '\n' ';')
	figure "collision-$rk_what-$rk_order-$role: strongSwan: $rk_sw Cairn: ${rk_cairn:-no collision seen}; $1 pings, $(($1 - $2)) lost"
	[ $(($1 - $2)) -le $((MAX_LOSS * 2)) ] || fail "lost $(($1 - $2)) of $1 pings"
	if [ "$rk_what" = child ]; then
		[ "$(cairn_spis 1 v1)" != "$child0" ] || fail "CHILD SPIs unchanged"
	else
		[ "$(ike_spis_cairn)" != "$ike0" ] || fail "IKE SPIs unchanged"
	fi
	traffic_both 1 2 10.2.0.2 10.1.0.2 1M
	wait_one_of_each 1
}

# reauthed OLD-SPIS: strongSwan has one IKE SA, not the old one
reauthed() {
	rs=$(ike_spis_sw)
	[ -n "$rs" ] && [ "$(echo "$rs" | wc -l)" -eq 1 ] && [ "$rs" != "$1" ]
}

# reauth ROLE MODE: strongSwan reauthenticates (swanctl --rekey --reauth)
#   mbb  make-before-break (charon.make_before_break = yes): a new IKE SA
#        and CHILD SA come up beside the old ones, then strongSwan deletes
#        the old ones. The nonce rule may make Cairn take the new IKE SA (and
#        its first CHILD SA, which holds the same nonces) for duplicates
#        waiting for the peer's DELETE; once the old ones are gone it must
#        keep them (at the end of the 30 s grace period it deleted the new
#        IKE SA, then its CHILD SA). Whether the new SA is marked depends on
#        the nonces (one chance in two): strongSwan reauthenticates up to
#        REAUTH_TRIES times until it is, then the grace period is waited out.
#   bbm  break-before-make (strongSwan's default): the old IKE SA is deleted,
#        then a new one set up; Cairn (establish-tunnels immediately in the
#        init role) must not leave a duplicate of its own behind.
REAUTH_TRIES=6
reauth() {
	role=$1
	ra_mode=$2
	cairn_defaults
	sw_defaults
	rekey_setup "$role" nopfs
	case_mark
	loss_start 1 10.2.0.2
	marked=no
	ra_n=0
	ra_max=$REAUTH_TRIES
	[ "$ra_mode" = mbb ] || ra_max=1
	while [ $ra_n -lt $ra_max ] && [ $marked = no ]; do
		ra_n=$((ra_n + 1))
		ike0=$(ike_spis_cairn)
		child0=$(cairn_spis 1 v1)
		swc 2 --rekey --ike c1 --reauth >/dev/null 2>&1 || fail "swanctl --rekey --reauth"
		wait_for 20 "strongSwan's new IKE SA alone" reauthed "$ike0"
		wait_one_of_each 1 20
		ike1=$(ike_spis_cairn)
		[ "$ike1" != "$ike0" ] || fail "the same IKE SA after reauthentication $ra_n"
		child1=$(cairn_spis 1 v1)
		[ "$child1" != "$child0" ] || fail "the same CHILD SA after reauthentication $ra_n"
		# which SA the nonce rule marked as the duplicate (Cairn deletes
		# one it created, waits for strongSwan to delete the others)
		newidx=$(cli 1 show security ike security-associations | awk '$2 == "UP" { print $1; exit }')
		markidx=$(case_log_since "$LAB/gw1/iked.log" |
			sed -n 's/.*IKE SA \([0-9]*\): duplicate of another SA .*waiting for the peer.*/\1/p' | tail -1)
		[ -z "$markidx" ] || [ "$markidx" != "$newidx" ] || marked=yes
	done
	if [ "$ra_mode" = mbb ]; then
		sw_logged "queueing IKE_REAUTH_COMPLETE task" || fail "strongSwan did not reauthenticate make-before-break"
	else
		! sw_logged "queueing IKE_REAUTH_COMPLETE task" || fail "strongSwan reauthenticated make-before-break"
	fi
	child_kept=no
	if [ $marked = yes ]; then
		# past the grace period the new SAs must still be there
		wait_for 40 "the grace period of IKE SA $newidx" \
			cairn_logged "IKE SA $newidx: the SA it duplicated is gone: kept"
		sleep 0.5
		! cairn_logged "CHILD SA [0-9a-f]+: the SA it duplicated is gone: kept" || child_kept=yes
	fi
	rk_loss=$(loss_stop) || exit 1
	set -- $rk_loss
	[ "$(ike_spis_cairn)" = "$ike1" ] || fail "the new IKE SA did not last: $ike1 -> $(ike_spis_cairn)"
	[ "$(cairn_spis 1 v1)" = "$child1" ] || fail "the new CHILD SA did not last: $child1 -> $(cairn_spis 1 v1)"
	one_of_each 1 || fail "not one SA of each after the reauthentication"
	ra_max_loss=$((MAX_LOSS * ra_n))
	if [ "$ra_mode" = mbb ]; then
		figure "reauth-mbb-$role: $ra_n reauthentication(s), the last new IKE SA marked as a duplicate: $marked (CHILD SA kept after the grace period: $child_kept); $1 pings, $(($1 - $2)) lost"
	else
		# charon sometimes ignores the answer to its new IKE_SA_INIT (the
		# kernel delivers it to its socket; Cairn answers within a
		# millisecond, while charon is still tearing down the old IKE SA)
		# and retransmits after SW_RTX_TIMEOUT (1 s): that second, at one
		# ping every 20 ms, is strongSwan's
		ra_rtx=no
		! sw_logged "retransmit 1 of request with message ID 0" || ra_rtx=yes
		[ $ra_rtx = no ] || ra_max_loss=$((ra_max_loss + 50))
		figure "reauth-bbm-$role: the old IKE SA deleted, then a new one; strongSwan retransmitted its IKE_SA_INIT: $ra_rtx; $1 pings, $(($1 - $2)) lost"
	fi
	[ $(($1 - $2)) -le $ra_max_loss ] || fail "lost $(($1 - $2)) of $1 pings over $ra_n reauthentications"
	traffic_both 1 2 10.2.0.2 10.1.0.2 1M
}

lab_init
lab_site 1
lab_site 2
cairn_start 1
# strongSwan retransmits after 1, 2.4, 4.4 s (the collision cases wait for
# them) and reauthenticates make-before-break (the reauth cases)
SW_RTX_TIMEOUT=1 SW_RTX_BASE=1.4 sw_start 2 "make_before_break = yes"
for role in init resp; do
	for o in crossed late; do
		run_case "child-collision-$o-$role" collision $role child $o
	done
done
log "cairn-iked restarted with --test-lifetime-divisor $DIVISOR"
iked_stop 1
iked_start 1 --test-lifetime-divisor $DIVISOR
for role in init resp; do
	run_case "child-by-cairn-$role" rekeys $role child cairn
	run_case "child-by-sw-$role" rekeys $role child sw
	run_case "ike-by-cairn-$role" rekeys $role ike cairn
	run_case "ike-by-sw-$role" rekeys $role ike sw
	for o in crossed late; do
		run_case "ike-collision-$o-$role" collision $role ike $o
	done
	run_case "reauth-mbb-$role" reauth $role mbb
done
# strongSwan's default reauthentication, break-before-make
sw_stop 2
SW_RTX_TIMEOUT=1 SW_RTX_BASE=1.4 sw_start 2 "make_before_break = no"
for role in init resp; do
	run_case "reauth-bbm-$role" reauth $role bbm
done
cases_summary
