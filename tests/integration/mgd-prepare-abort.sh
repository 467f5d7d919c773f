#!/bin/bash
# SPDX-License-Identifier: MIT
# Two-phase commit across daemons: two subscribers, one refuses a gateway
# in PREPARE. The commit fails with its message in Junos layout, the
# other is told ABORT for what it prepared, running stays as it was;
# commit check is PREPARE then ABORT; a good commit is APPLYed by both.
#
#   cairn-rpc ──► cairn-mgd ──prepare/apply/abort──► cairn-testd "good"
#                                                └─► cairn-testd "picky" (refuses gw-bad)
. "$(dirname "$0")/mgd-lib.sh"

start_mgd
start_testd good
start_testd picky --no-rpcs --fail-prepare "gateway[name='gw-bad']"

base="set security ike proposal p1 dh-group group19
set security ike policy ip1 proposals p1
set security ike gateway gw-good ike-policy ip1
set security ike gateway gw-good address 192.0.2.1"
commit_lines "$base" '"comment":"base"' >/dev/null
for d in good picky; do
	in_order "$T/$d.log" "PREPARE create /cairn-security:security/ike/gateway[name='gw-good']" \
		"APPLY create /cairn-security:security/ike/gateway[name='gw-good']" "END applied" ||
		fail "$d did not apply gw-good"
done
before=$(show)
hist_before=$(rpc '{"cairn-mgmt:get-commit-history":{}}')
mark_good=$(wc -l <"$T/good.log")
mark_picky=$(wc -l <"$T/picky.log")

# the refused commit
if commit_lines "set security ike gateway gw-bad ike-policy ip1
set security ike gateway gw-bad address 192.0.2.2" >"$T/out" 2>"$T/err"; then
	fail "a commit refused in PREPARE succeeded"
fi
grep -q "^\[edit security ike\]$" "$T/err" || fail "no [edit security ike] header: $(cat "$T/err")"
grep -q "^  'gateway gw-bad'$" "$T/err" || fail "no statement line: $(cat "$T/err")"
grep -q "^    picky: refused by the test (PREPARE)$" "$T/err" || fail "no daemon message"
grep -q "^error: commit failed" "$T/err" || fail "no 'error: commit failed' line"
lines_after "$T/good.log" "$mark_good" >"$T/good.tx"
lines_after "$T/picky.log" "$mark_picky" >"$T/picky.tx"
gw="/cairn-security:security/ike/gateway[name='gw-bad']"
in_order "$T/good.tx" "VALIDATE create $gw" "PREPARE create $gw" "ABORT create $gw" "END aborted" ||
	fail "good: expected VALIDATE, PREPARE, ABORT: $(cat "$T/good.tx")"
grep -q "APPLY" "$T/good.tx" && fail "good applied a refused commit"
in_order "$T/picky.tx" "VALIDATE create $gw" "PREPARE create $gw" "END aborted" ||
	fail "picky: $(cat "$T/picky.tx")"
# ABORT goes only to callbacks whose PREPARE succeeded
grep -qF "ABORT create $gw" "$T/picky.tx" && fail "picky got ABORT for the PREPARE that failed"
[ "$(show)" = "$before" ] || fail "running changed after a refused commit"
[ "$(rpc '{"cairn-mgmt:get-commit-history":{}}')" = "$hist_before" ] || fail "history changed"

# commit check: PREPARE then ABORT, nothing applied
rpc '{"cairn-mgmt:configure":{}}' '{"cairn-mgmt:discard-changes":{}}' >/dev/null
mark_good=$(wc -l <"$T/good.log")
out=$(commit_lines "set security ike gateway gw-good dead-peer-detection interval 30" '"check":[null]')
echo "$out" | grep -q "configuration check succeeds" || fail "commit check: $out"
lines_after "$T/good.log" "$mark_good" >"$T/good.tx"
gg="/cairn-security:security/ike/gateway[name='gw-good']"
in_order "$T/good.tx" "PREPARE modify $gg" "ABORT modify $gg" "END aborted" ||
	fail "commit check: $(cat "$T/good.tx")"
[ "$(show)" = "$before" ] || fail "commit check changed running"

# and the change committed for real
mark_good=$(wc -l <"$T/good.log")
rpc '{"cairn-mgmt:configure":{}}' '{"cairn-mgmt:commit":{}}' >/dev/null
lines_after "$T/good.log" "$mark_good" >"$T/good.tx"
in_order "$T/good.tx" "PREPARE modify $gg" "APPLY modify $gg" "END applied" ||
	fail "commit: $(cat "$T/good.tx")"
show | grep -q "dead-peer-detection interval 30" || fail "not committed"

# a commit with nothing changed: a history entry (comment kept), and the
# daemons are not asked anything
mark_good=$(wc -l <"$T/good.log")
mark_picky=$(wc -l <"$T/picky.log")
before=$(show)
n_before=$(rpc '{"cairn-mgmt:get-commit-history":{}}' | grep -o '"sequence"' | wc -l)
rpc '{"cairn-mgmt:configure":{}}' '{"cairn-mgmt:commit":{"comment":"unchanged"}}' >/dev/null
hist=$(rpc '{"cairn-mgmt:get-commit-history":{}}')
echo "$hist" | grep -q '"comment":"unchanged"' || fail "no history entry for an unchanged commit: $hist"
[ "$(echo "$hist" | grep -o '"sequence"' | wc -l)" -eq $((n_before + 1)) ] ||
	fail "unchanged commit: $n_before entries before: $hist"
[ "$(show)" = "$before" ] || fail "an unchanged commit changed running"
[ "$(wc -l <"$T/good.log")" -eq "$mark_good" ] || fail "good was asked about an unchanged commit: $(lines_after "$T/good.log" "$mark_good")"
[ "$(wc -l <"$T/picky.log")" -eq "$mark_picky" ] || fail "picky was asked about an unchanged commit"

# a daemon that is slow but within its time still commits; one that
# goes away during a commit fails it cleanly, and is resynchronised when back
kill "$TESTD_picky"
wait "$TESTD_picky" 2>/dev/null || true
start_testd picky2 --no-rpcs
grep -qF "APPLY create $gg" "$T/picky2.log" || fail "a new subscriber did not get the running configuration"
echo "PASS"
