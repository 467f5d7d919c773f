#!/bin/bash
# SPDX-License-Identifier: MIT
# cli-bench.sh [BUILD] [N]: the shell's response times with N route-based
# VPNs (default 10000, tests/bench/gen-vpn-config.sh) committed in a
# private cairn-mgd: `?` and TAB at several depths (median and p95, in
# process: tests/cli_bench), `show configuration | count` in process and
# end to end (a new `cairn -c` each time, as `ssh host CMD` does).
# Target: `?` and TAB within 20 ms. Not a test: it prints figures.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
n=${2:-10000}
export CAIRN_BUILD=$build
. "$src/tests/cli/lib.sh"

start_mgd
echo "cli-bench: $n VPNs ($(nproc) CPUs)"
"$src/tests/bench/gen-vpn-config.sh" "$n" >"$T/vpn.set"
t0=$(date +%s%N)
cairn -c "configure
load set $T/vpn.set
commit
exit" >"$T/load.out"
t1=$(date +%s%N)
tail -n 3 "$T/load.out"
echo "load set + commit of $(wc -l <"$T/vpn.set") lines: $(( (t1 - t0) / 1000000 )) ms"

"$build/tests/cli_bench" --root "$T" --iterations 30

best=
for i in 1 2 3 4 5; do
	t0=$(date +%s%N)
	out=$(cairn -c 'show configuration | count')
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
done
echo "cairn -c 'show configuration | count' (new process each): best of 5 $best ms: $out"
