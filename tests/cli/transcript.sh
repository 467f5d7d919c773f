#!/bin/bash
# SPDX-License-Identifier: MIT
# transcript.sh FILE: runs a script-mode transcript of the cairn shell
# against a fresh cairn-mgd and compares the output exactly (after
# normalize: timestamps, pids).
#
# Transcript format, line by line:
#   % session [ARGS]   start a new `cairn [ARGS]` (script mode) for the
#                      lines that follow; its exit status is printed as
#                      "[exit N]" when it ends. ARGS are shell words
#                      (quotes, $'..\n..'), $T is the instance root
#   % sh COMMAND       run COMMAND in the test's shell ($T is the root)
#   % # ...            a comment
#   $ LINE             a line of input to the current session ($T in it
#                      is the instance root)
#   $ ^D               the end of `load ... terminal` text (a 0x04 line)
#   anything else      expected output
# A transcript starts with an implicit "% session".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

file=$1
start_mgd

actual=$T/actual
expected=$T/expected
: >"$actual"
: >"$expected"
input=$T/input
: >"$input"
args=()
started=0

flush_session() {
	local rc=0
	if [ "$started" -eq 1 ] || [ -s "$input" ]; then
		cairn "${args[@]}" <"$input" >"$T/out" 2>&1 || rc=$?
		normalize <"$T/out" >>"$actual"
		echo "[exit $rc]" >>"$actual"
	fi
	: >"$input"
	started=0
}

while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in
	"% session"*)
		flush_session
		eval "args=(${line#% session})"
		started=1
		echo "$line" >>"$actual"
		echo "$line" >>"$expected"
		;;
	"% sh "*)
		flush_session
		(eval "${line#% sh }") >/dev/null
		echo "$line" >>"$actual"
		echo "$line" >>"$expected"
		;;
	"% #"*)
		;;
	'$ ^D')
		printf '\004\n' >>"$input"
		started=1
		;;
	'$ '*)
		line=${line#\$ }
		printf '%s\n' "${line//\$T/$T}" >>"$input"
		started=1
		;;
	'$')
		printf '\n' >>"$input"
		started=1
		;;
	*)
		printf '%s\n' "$line" >>"$expected"
		;;
	esac
done <"$file"
flush_session

if ! diff -u "$expected" "$actual"; then
	echo "transcript $(basename "$file"): output differs (- expected, + actual)" >&2
	exit 1
fi
echo "transcript $(basename "$file"): ok"
