#!/bin/bash
# SPDX-License-Identifier: MIT
# Several sessions at once: writers committing into the shared candidate
# in parallel all get their changes in; configure exclusive locks the
# others out of editing and committing until its holder leaves (or its
# connection drops), and its uncommitted changes go with it.
. "$(dirname "$0")/mgd-lib.sh"

start_mgd
start_testd t
commit_lines "set security ike proposal p1 dh-group group19
set security ike policy ip1 proposals p1" >/dev/null

# 1. five writers, eight commits each, at the same time
writer() {
	k=$1
	for j in 1 2 3 4 5 6 7 8; do
		commit_lines "set security ike gateway w$k-$j ike-policy ip1
set security ike gateway w$k-$j address 192.0.2.$((k * 10 + j))" >>"$T/w$k.out" 2>>"$T/w$k.err" ||
			echo "commit failed" >>"$T/w$k.err"
	done
}
WPIDS=""
for k in 1 2 3 4 5; do
	writer $k &
	WPIDS="$WPIDS $!"
done
for p in $WPIDS; do
	wait "$p"
done
for k in 1 2 3 4 5; do
	[ ! -s "$T/w$k.err" ] || fail "writer $k: $(cat "$T/w$k.err")"
done
cfg=$(show "security ike")
for k in 1 2 3 4 5; do
	for j in 1 2 3 4 5 6 7 8; do
		echo "$cfg" | grep -q "gateway w$k-$j address" || fail "w$k-$j missing"
		grep -qF "APPLY create /cairn-security:security/ike/gateway[name='w$k-$j']" "$T/t.log" ||
			fail "the subscriber never applied w$k-$j"
	done
done

# 2. configure exclusive: a session kept open on a pipe
mkfifo "$T/excl.in"
rpc - <"$T/excl.in" >"$T/excl.out" 2>"$T/excl.err" &
HOLDER=$!
PIDS="$PIDS $HOLDER"
exec 3>"$T/excl.in"
echo '{"cairn-mgmt:configure":{"mode":"exclusive"}}' >&3
echo '{"cairn-mgmt:set-edit-path":{"path":"security ike"}}' >&3
wait_for 10 "the exclusive lock" sh -c "$BIN/cairn-rpc --root $T '{\"cairn-mgmt:status\":{}}' | grep -q '\"mode\":\"exclusive\"'"
if commit_lines "set system host-name intruder" >/dev/null 2>"$T/err"; then
	fail "an edit went through someone else's exclusive lock"
fi
grep -q "^error: configuration database locked by:$" "$T/err" || fail "lock message: $(cat "$T/err")"
grep -q "exclusive \[edit security ike\]" "$T/err" || fail "lock holder's level: $(cat "$T/err")"
# the holder can work
echo '{"cairn-mgmt:edit":{"lines":"set system host-name holder"}}' >&3
echo '{"cairn-mgmt:commit":{}}' >&3
wait_for 10 "the holder's commit" sh -c "$BIN/cairn-rpc --root $T --leaf data '{\"cairn-mgmt:get-configuration\":{\"format\":\"set\",\"path\":\"system host-name\"}}' | grep -q holder"
# uncommitted changes of the holder vanish when its connection drops
echo '{"cairn-mgmt:edit":{"lines":"set system host-name never"}}' >&3
sleep 0.3
exec 3>&-
wait "$HOLDER" || fail "holder session: $(cat "$T/excl.err")"
commit_lines "set system domain-name example.net" >/dev/null || fail "lock not released"
show "system" | grep -q "host-name holder" || fail "the holder's uncommitted change leaked"
echo "PASS"
