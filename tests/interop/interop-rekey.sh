#!/bin/sh
# SPDX-License-Identifier: MIT
# Rekeying between Cairn and strongSwan 5.9.8 with traffic flowing
# (docs/interop.md), the topology of interop-basic.sh:
#
#   h1 -- gw1: Cairn ===== WAN ===== gw2: strongSwan -- h2
#
# cairn-iked runs with --test-rekey-unit-ms 15: a configured lifetime of
# 180 s (the schema's minimum) rekeys after about 2.4 s, hard lifetimes are
# not scaled. strongSwan gets rekey_time = 3s where it should rekey. Cases,
# each with Cairn as IKE initiator and as responder:
#   child-by-cairn, child-by-sw   two CHILD SA rekeys initiated by one side
#   ike-by-cairn, ike-by-sw       an IKE SA rekey (the CHILD SA moves over)
#   child-collision, ike-collision  both sides rekey the same SA at once
#                                 (RFC 7296 2.8.1 / 2.8.2): IKE is held at
#                                 gw2 until both requests were sent, then
#                                 released; the retransmissions cross
# Each: one IKE SA and one CHILD SA left on each side with the same SPIs,
# pings every 20 ms across the tunnel meanwhile (losses reported), ping
# and TCP both ways afterwards.
set -eu
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../build" && pwd)}
INTEROP_ONLY=""
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--only) INTEROP_ONLY=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [--only CASE-PATTERN]" >&2; exit 2 ;;
	esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib-appliance.sh"
. "$HERE/lib-interop.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"

UNIT_MS=15
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
	[ $(($1 - $2)) -le $((MAX_LOSS * n)) ] || fail "lost $(($1 - $2)) of $1 pings over $rk_n rekeys"
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
# same SA at once (RFC 7296 2.8.1, 2.8.2). IKE is held at gw2 until Cairn
# (its soft lifetime) and strongSwan (swanctl --rekey) both sent their
# request, then released in steps:
#   crossed  each side gets the other's request before the answer to its
#            own: strongSwan's requests pass first (Cairn answers, its answer
#            held), then Cairn's (strongSwan answers), then everything
#   late     Cairn's exchange completes first, then strongSwan's request
#            reaches Cairn (while Cairn keeps the old CHILD SA for
#            install-interval; for the IKE SA, Cairn has deleted the old one)
collision() {
	role=$1
	rk_what=$2
	rk_order=$3
	cairn_defaults
	sw_defaults
	[ "$rk_what" = child ] && C_ESP_LIFE=180 || C_IKE_LIFE=180
	rekey_setup "$role" nopfs
	child0=$(cairn_spis 1 v1)
	ike0=$(ike_spis_cairn)
	case_mark
	loss_start 1 10.2.0.2
	ike_hold 2 peer-req peer-resp own-req own-resp
	wait_for 15 "Cairn's rekey request (held at gw2)" held peer-req
	if [ "$rk_what" = child ]; then
		swc 2 --rekey --child net >/dev/null 2>&1 || fail "swanctl --rekey --child"
	else
		swc 2 --rekey --ike c1 >/dev/null 2>&1 || fail "swanctl --rekey --ike"
	fi
	wait_for 10 "strongSwan's rekey request (held at gw2)" held own-req
	[ "$rk_what" = child ] && rk_kind=CHILD || rk_kind=IKE
	if [ "$rk_order" = crossed ]; then
		# Cairn's DELETEs wait too: they must not overtake its answers
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
		if [ "$rk_what" = child ]; then
			wait_for 15 "Cairn's rekey done" cairn_logged "IPsec SA rekey succeeds"
		else
			wait_for 15 "Cairn's rekey done" cairn_logged "IKE SA rekey successfully completed"
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

cases_run() {
	for role in init resp; do
		run_case "child-by-cairn-$role" rekeys $role child cairn
		run_case "child-by-sw-$role" rekeys $role child sw
		run_case "ike-by-cairn-$role" rekeys $role ike cairn
		run_case "ike-by-sw-$role" rekeys $role ike sw
		for o in crossed late; do
			run_case "child-collision-$o-$role" collision $role child $o
			run_case "ike-collision-$o-$role" collision $role ike $o
		done
	done
}

lab_init
lab_site 1
lab_site 2
cairn_start 1 --test-rekey-unit-ms $UNIT_MS
# strongSwan retransmits after 1, 2.4, 4.4 s (the collision cases wait for them)
SW_RTX_TIMEOUT=1 SW_RTX_BASE=1.4 sw_start 2
cases_run
cases_summary
