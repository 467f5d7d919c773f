#!/bin/bash
# SPDX-License-Identifier: MIT
# Authorization: login classes from `system login user`, by the peer's
# uid (SO_PEERCRED) or, for root, the session-start user. read-only may
# look but not configure; operational RPCs need their min-class; an RPC
# nobody serves names its daemon ("error: cairn-testd is not running").
. "$(dirname "$0")/mgd-lib.sh"

start_mgd
start_testd cairn-testd
commit_lines "set system login user ro class read-only
set system login user op class operator" >/dev/null

# read-only (root acting as ro)
rpc --user ro '{"cairn-mgmt:configure":{}}' 2>"$T/err" && fail "read-only entered configuration mode"
grep -q "^error: permission denied$" "$T/err" || fail "$(cat "$T/err")"
rpc --user ro '{"cairn-mgmt:edit":{"lines":"set system host-name x"}}' 2>"$T/err" && fail "read-only edited"
rpc --user ro '{"cairn-mgmt:commit":{}}' 2>"$T/err" && fail "read-only committed"
grep -q "permission denied" "$T/err" || fail "$(cat "$T/err")"
rpc --user ro '{"cairn-mgmt:get-configuration":{"format":"set"}}' | grep -q "user ro class read-only" ||
	fail "read-only cannot read"
out=$(rpc --user ro '{"cairn-test:echo":{"text":"hello"}}')
[ "$out" = '{"cairn-test:echo":{"text":"hello","served-by":"cairn-testd"}}' ] || fail "echo: $out"
# operator: operational actions, not configuration
rpc --user ro '{"cairn-test:reset-counters":{}}' 2>"$T/err" && fail "read-only ran an operator RPC"
rpc --user op '{"cairn-test:reset-counters":{}}' | grep -q '"done"' || fail "operator RPC"
rpc --user op '{"cairn-test:reboot":{}}' 2>"$T/err" && fail "operator ran a super-user RPC"
grep -q "permission denied" "$T/err" || fail "$(cat "$T/err")"
rpc --user op '{"cairn-mgmt:load":{"action":"merge","text":"system { host-name x; }"}}' 2>/dev/null &&
	fail "operator loaded configuration"
# an RPC the daemon does not serve, and one nobody serves
rpc '{"cairn-test:reboot":{}}' 2>"$T/err" && fail "nobody serves reboot"
grep -q "^error: cairn-testd does not serve cairn-test:reboot$" "$T/err" || fail "$(cat "$T/err")"
kill "$TESTD_cairn_testd"
wait "$TESTD_cairn_testd" 2>/dev/null || true
wait_for 10 "the unsubscription" sh -c "! $BIN/cairn-rpc --root $T '{\"cairn-test:echo\":{\"text\":\"x\"}}' 2>/dev/null"
rpc '{"cairn-test:echo":{"text":"x"}}' 2>"$T/err" && fail "echo without its daemon"
grep -q "^error: cairn-testd is not running$" "$T/err" || fail "$(cat "$T/err")"

# a real unprivileged uid: its passwd name decides
# (a copy of cairn-rpc in the test's directory: the build tree may not be
# reachable for nobody)
cp "$BIN/cairn-rpc" "$T/cairn-rpc"
chmod 755 "$T/cairn-rpc"
asnobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/cairn-rpc" --root "$T" "$@"
}
if asnobody '{"cairn-mgmt:status":{}}' 2>"$T/err"; then
	fail "an unconfigured user got a session"
fi
grep -q "^error: user 'nobody' is not authorized$" "$T/err" || fail "$(cat "$T/err")"
commit_lines "set system login user nobody class read-only" >/dev/null
asnobody '{"cairn-mgmt:status":{}}' >/dev/null || fail "nobody (read-only) refused"
asnobody '{"cairn-mgmt:configure":{}}' 2>/dev/null && fail "nobody (read-only) configured"
asnobody --user root '{"cairn-mgmt:status":{}}' 2>"$T/err" && fail "nobody acted as root"
grep -q "only root may act as another user" "$T/err" || fail "$(cat "$T/err")"
echo "PASS"
