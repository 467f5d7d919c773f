#!/bin/sh
# SPDX-License-Identifier: MIT
# run-all.sh [BUILD]: every benchmark of tests/bench/, one after another,
# each printing its own figures and the peer it measured in the same run
# (strongSwan, yanglint, the clear path). `make bench` calls it. Not a test:
# nothing here asserts a speed; read the figures (and the load average
# printed with them: the machine should be quiet).
#
# Environment:
#   BENCH_QUICK=1   smaller runs (1,000 VPNs/tunnels, short iperf3 runs):
#                   minutes instead of half an hour, for a smoke check
#   BENCH_ONLY="a b" run only these (names as in the list below)
#   BENCH_LOG=DIR   keep each benchmark's output in DIR (default: a new
#                   directory under /tmp, named at the end)
#
# Needs root (namespaces, TUN, strongSwan), iperf3 and strongSwan
# (packaging/install-deps.sh installs them).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
bin=$build/bin
quick=${BENCH_QUICK:-0}
log=${BENCH_LOG:-$(mktemp -d /tmp/cairn-bench.XXXXXX)}
mkdir -p "$log"

if [ "$quick" = 1 ]; then
	n_vpn=1000 n_sa=300 esp_args="--quick --time 2 --alg all"
else
	n_vpn=10000 n_sa=1000 esp_args=""
fi

# name | what it measures | command
benches="cfg-text|cairn-conf text formats on N VPNs|$bin/cfg-text-bench -n $n_vpn -r 3
commit-scale|cairn-mgd commit of N VPNs (yanglint as the floor)|$bin/commit-scale -n $n_vpn
cli|the shell's ? / TAB / show with N VPNs|$src/tests/bench/cli-bench.sh $build $n_vpn
ike-inproc|IKE engine CPU per SA, in process|$bin/ike-setup-inproc $n_sa
ike-setup-rate|responder CPU per SA: cairn-iked vs strongSwan|$src/tests/bench/ike-setup-rate.sh -n $n_sa -r 2 -b $build
ike-scale|N tunnels between two appliances, shows, RSS|$src/tests/bench/ike-scale.sh -n $n_vpn -b $build
iked-mem|cairn-iked heap per tunnel by part|$bin/iked-mem-bench -n $n_vpn
esp|ESP throughput: Cairn vs strongSwan vs clear path|$src/tests/bench/esp-throughput --build $build $esp_args"

failed=""
summary=""
echo "cairn benchmarks: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), quick=$quick, logs in $log"
old_ifs=$IFS
IFS='
'
for line in $benches; do
	IFS='|' read -r name what cmd <<EOF
$line
EOF
	if [ -n "${BENCH_ONLY:-}" ]; then
		case " $BENCH_ONLY " in *" $name "*) ;; *) continue ;; esac
	fi
	echo
	echo "=== $name: $what"
	echo "    $cmd"
	t0=$(date +%s)
	IFS=$old_ifs
	# the command line is split on purpose; its status survives the tee
	{
		$cmd 2>&1
		echo $? >"$log/$name.rc"
	} | tee "$log/$name.txt"
	rc=$(cat "$log/$name.rc")
	[ "$rc" = 0 ] || failed="$failed $name"
	IFS='
'
	t1=$(date +%s)
	summary="$summary
  $name: $((t1 - t0)) s$( [ "$rc" = 0 ] || echo ", FAILED (exit $rc)")"
done
IFS=$old_ifs
echo
echo "=== done, load $(cut -d' ' -f1-3 /proc/loadavg); wall time per benchmark:$summary"
echo "outputs: $log"
[ -z "$failed" ] || { echo "failed:$failed" >&2; exit 1; }
