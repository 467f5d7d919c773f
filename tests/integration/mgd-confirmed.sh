#!/bin/bash
# SPDX-License-Identifier: MIT
# commit confirmed: not confirmed in time, the configuration rolls back
# through the commit pipeline (the subscriber applies it) and every
# session hears "Commit was not confirmed; automatic rollback complete.";
# the deadline survives a restart of mgd (clean or kill -9), before or
# after it passes; a plain commit confirms. A "minute" lasts 2 seconds
# here (--confirmed-minute 2).
. "$(dirname "$0")/mgd-lib.sh"

MIN=2
start_mgd --confirmed-minute $MIN
start_testd t

commit_lines "set system host-name base" >/dev/null
hostname() {
	show "system host-name" | sed -n 's/^set system host-name //p'
}
[ "$(hostname)" = base ] || fail "base commit"

# 1. expiry: rollback, notification, history
rpc --wait-notification 30 >"$T/notif" 2>&1 &
LISTENER=$!
PIDS="$PIDS $LISTENER"
sleep 0.3
out=$(commit_lines "set system host-name unconfirmed
set security ike proposal p9 dh-group group20" '"confirmed":1')
echo "$out" | grep -q "commit confirmed will be automatically rolled back in 1 minutes unless confirmed" ||
	fail "no rollback warning: $out"
[ "$(hostname)" = unconfirmed ] || fail "confirmed commit not active"
rpc '{"cairn-mgmt:get-commit-history":{}}' | grep -q '"confirm-deadline"' || fail "no deadline shown"
wait_for 20 "the automatic rollback" sh -c "[ \"\$($BIN/cairn-rpc --root $T --leaf data '{\"cairn-mgmt:get-configuration\":{\"format\":\"set\",\"path\":\"system host-name\"}}')\" = 'set system host-name base' ]"
wait "$LISTENER" || fail "no notification"
grep -q '"text":"Commit was not confirmed; automatic rollback complete."' "$T/notif" ||
	fail "notification: $(cat "$T/notif")"
show | grep -q "proposal p9" && fail "p9 still configured"
hist=$(rpc '{"cairn-mgmt:get-commit-history":{}}')
echo "$hist" | grep -q '"rollback-of-confirmed":\[null\]' || fail "history: $hist"
echo "$hist" | grep -q '"confirm-deadline"' && fail "deadline still pending"
grep -qF "APPLY destroy /cairn-security:security/ike/proposal[name='p9']" "$T/t.log" ||
	fail "the subscriber did not apply the rollback"

# 2. kill -9 right after a commit confirmed; restart after the deadline
commit_lines "set system host-name crash1" '"confirmed":1' >/dev/null
kill9_mgd
sleep $((MIN + 1))
start_mgd --confirmed-minute $MIN
wait_for 10 "rollback at start-up" sh -c "[ \"\$($BIN/cairn-rpc --root $T --leaf data '{\"cairn-mgmt:get-configuration\":{\"format\":\"set\",\"path\":\"system host-name\"}}')\" = 'set system host-name base' ]"
rpc '{"cairn-mgmt:get-commit-history":{}}' | grep -q '"rollback-of-confirmed"' || fail "no rollback entry"

# 3. clean restart before the deadline: the deadline still holds
commit_lines "set system host-name restart2" '"confirmed":2' >/dev/null
stop_mgd
start_mgd --confirmed-minute $MIN
[ "$(hostname)" = restart2 ] || fail "rolled back too early"
rpc --wait-notification 30 >"$T/notif2" 2>&1 &
LISTENER=$!
PIDS="$PIDS $LISTENER"
wait "$LISTENER" || fail "no notification after restart"
grep -q "automatic rollback complete" "$T/notif2" || fail "notification: $(cat "$T/notif2")"
[ "$(hostname)" = base ] || fail "not rolled back after restart"

# 4. a plain commit confirms
commit_lines "set system host-name kept" '"confirmed":1' >/dev/null
rpc '{"cairn-mgmt:configure":{}}' '{"cairn-mgmt:commit":{}}' >/dev/null
sleep $((MIN + 2))
[ "$(hostname)" = kept ] || fail "a confirmed commit was rolled back"
echo "PASS"
