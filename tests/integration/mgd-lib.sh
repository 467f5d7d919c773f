# SPDX-License-Identifier: MIT
# mgd-lib.sh: helpers for the cairn-mgd integration tests (sourced).
#
#   CAIRN_BIN       build/bin (cairn-mgd, cairn-rpc, cairn-testd)
#   CAIRN_YANG_DIR  the appliance's YANG modules
#   CAIRN_TEST_YANG tests/yang (cairn-test: RPCs served by cairn-testd)
#
# Every instance lives in its own root under a temporary directory on
# disk (so fsync is real); everything started here is stopped by PID and
# the directory removed on exit, also on failure.
set -eu

BIN=${CAIRN_BIN:?CAIRN_BIN is the directory of cairn-mgd}
T=$(mktemp -d "${TMPDIR:-/var/tmp}/cairn-mgd-test.XXXXXX")
chmod 755 "$T"
PIDS=""
MGD_PID=""

cleanup() {
	rc=$?
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null || true
	done
	if [ $rc -ne 0 ] && [ -f "$T/mgd.log" ]; then
		echo "--- mgd.log (last lines)"
		tail -n 30 "$T/mgd.log"
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

mkdir -p "$T/yang"
cp "${CAIRN_YANG_DIR:?}"/*.yang "$T/yang/"
if [ -n "${CAIRN_TEST_YANG:-}" ]; then
	cp "$CAIRN_TEST_YANG"/*.yang "$T/yang/"
fi
chmod -R a+rX "$T/yang"
export CAIRN_YANG_DIR="$T/yang"

rpc() {
	"$BIN/cairn-rpc" --root "$T" "$@"
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls until COMMAND succeeds.
wait_for() {
	secs=$1
	what=$2
	shift 2
	tries=$((secs * 20))
	while [ $tries -gt 0 ]; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
		tries=$((tries - 1))
	done
	fail "timed out waiting for $what"
}

mgd_ready() {
	"$BIN/cairn-rpc" --root "$T" --timeout 2 >/dev/null 2>&1
}

start_mgd() {
	"$BIN/cairn-mgd" --root "$T" --rpc-daemon cairn-test=cairn-testd "$@" >>"$T/mgd.log" 2>&1 &
	MGD_PID=$!
	PIDS="$PIDS $MGD_PID"
	wait_for 30 "cairn-mgd to listen" mgd_ready
}

stop_mgd() {
	kill "$MGD_PID" 2>/dev/null || true
	wait "$MGD_PID" 2>/dev/null || true
}

kill9_mgd() {
	kill -9 "$MGD_PID" 2>/dev/null || true
	wait "$MGD_PID" 2>/dev/null || true
}

# start_testd NAME [ARGS...]: a subscriber logging to $T/NAME.log
start_testd() {
	name=$1
	shift
	"$BIN/cairn-testd" --root "$T" --name "$name" --log "$T/$name.log" "$@" \
		>>"$T/$name.out" 2>&1 &
	eval "TESTD_$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)=$!"
	PIDS="$PIDS $!"
	wait_for 30 "$name to synchronise" grep -q SYNCED "$T/$name.log"
}

# json_str TEXT: TEXT as a JSON string body (quotes, backslashes, newlines)
json_str() {
	printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | awk 'BEGIN { ORS = "" } { if (NR > 1) print "\\n"; print }'
}

# commit_lines LINES [COMMIT-JSON-INPUT]: configure, edit, commit in one session
commit_lines() {
	rpc '{"cairn-mgmt:configure":{}}' \
		"{\"cairn-mgmt:edit\":{\"lines\":\"$(json_str "$1")\"}}" \
		"{\"cairn-mgmt:commit\":{${2:-}}}"
}

# show [PATH]: the running configuration in set form
show() {
	rpc --leaf data "{\"cairn-mgmt:get-configuration\":{\"format\":\"set\",\"path\":\"${1:-}\"}}"
}

# lines_after FILE N: the lines of FILE after its first N
lines_after() {
	tail -n "+$(($2 + 1))" "$1"
}

# in_order FILE PATTERN...: the patterns match lines of FILE in this order
in_order() {
	file=$1
	shift
	awk -v n=$# 'BEGIN { for (i = 1; i < ARGC; i++) p[i] = ARGV[i]; ARGC = 1; k = 1 }
		k <= n && index($0, p[k]) { k++ }
		END { exit k <= n }' "$@" <"$file"
}
