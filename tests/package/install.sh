#!/bin/bash
# SPDX-License-Identifier: MIT
# install.sh DEB-DIR: the Debian package installed and run in a throw-away
# Debian 12 root; nothing on the host changes but a cache.
#
#   host ── unshare (mount, PID, UTS, IPC namespaces; PID 1 = this script
#   │        with --inner): /proc, /sys, /dev, a tmpfs /run in the root
#   ├── chroot ROOT inside.sh install   host's network: apt from the mirror
#   ├── unshare --net (loopback only)
#   │   └── chroot ROOT inside.sh run   units started by unit-run.sh,
#   │                                   sshd on 127.0.0.1:2222, logins
#   └── chroot ROOT inside.sh purge
#
# The root comes from testroot.sh (debootstrap minbase, cached under
# /var/cache/cairn/testroot). When the test ends, however it ends, the
# namespaces die with every process in them (PID 1 exits, unshare
# --kill-child), their mounts with them, and the root is deleted. Roots
# left by a run killed outright are swept at the next start.
# Skipped (77) without root, debootstrap or a cairn shell in the package.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# ---- inner stage: PID 1 of the new namespaces ----
if [ "${1:-}" = --inner ]; then
	W=$2
	R=$W/root
	mount --make-rprivate /
	mount --bind "$R" "$R" # a mount point: unit-run.sh remounts it read-only
	mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
	mount --bind /sys "$R/sys"
	mount --bind /dev "$R/dev"
	mount --bind /dev/pts "$R/dev/pts"
	mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$R/dev/shm"
	mount -t tmpfs -o nosuid,nodev,mode=755 tmpfs "$R/run"
	mkdir -p "$R/run/lock" "$R/var/cache/apt/archives" "$R/var/lib/apt/lists"
	chmod 1777 "$R/run/lock"
	# apt's lists and packages from the cache: later runs fetch what changed
	mount --bind "$CACHE/lists" "$R/var/lib/apt/lists"
	mount --bind "$CACHE/archives" "$R/var/cache/apt/archives"
	hostname testroot
	in_root() { chroot "$R" /usr/bin/env -i CAIRN_TEST_UNITS="$UNITS" HOME=/root TERM=dumb "$@"; }
	(
		flock 9 # one apt at a time on the shared cache
		in_root /t/inside.sh install
	) 9>"$CACHE/.apt.lock"
	umount "$R/var/lib/apt/lists" "$R/var/cache/apt/archives"
	unshare --net -- bash -c 'ip link set lo up && exec "$@"' - \
		chroot "$R" /usr/bin/env -i CAIRN_TEST_UNITS="$UNITS" HOME=/root TERM=dumb /t/inside.sh run
	in_root /t/inside.sh purge
	exit 0
fi

# ---- outer stage (host) ----
DEB_DIR=${1:?usage: install.sh DEB-DIR}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v debootstrap >/dev/null || { echo "SKIP: needs debootstrap (packaging/install-deps.sh)"; exit 77; }
mapfile -t debs < <(ls "$DEB_DIR"/cairn_*.deb 2>/dev/null)
[ ${#debs[@]} -eq 1 ] || { echo "FAIL: expected one cairn_*.deb in $DEB_DIR" >&2; exit 1; }
DEB=${debs[0]}
listing=$(dpkg-deb -c "$DEB")
if ! grep -q ' ./usr/bin/cairn$' <<<"$listing"; then
	echo "SKIP: the package has no cairn shell (cli/ not in this build)"
	exit 77
fi
# the units, in start order (mgd first), from the package itself
UNITS=$(printf '%s\n' "$listing" | awk '{ print $NF }' | sed -n 's|^\./usr/lib/systemd/system/||p' |
	sort | awk '/cairn-mgd/ { print; next } { rest = rest " " $0 } END { print rest }' | xargs)
export UNITS

. "$here/testroot.sh"
export CACHE=$TESTROOT_CACHE
BASE=${TMPDIR:-/var/tmp}

# sweep roots of runs that were killed outright (their owner is gone)
for d in "$BASE"/cairn-pkgtest.*; do
	[ -f "$d/owner" ] || continue
	read -r opid ostart <"$d/owner" || continue
	now=$(awk '{ print $22 }' "/proc/$opid/stat" 2>/dev/null || true)
	[ "$now" = "$ostart" ] && continue
	echo "removing $d (left by a killed run)"
	rm -rf --one-file-system "$d"
done

W=$(mktemp -d "$BASE/cairn-pkgtest.XXXXXX")
echo "$$ $(awk '{ print $22 }' /proc/$$/stat)" >"$W/owner"
NSPID=
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	if [ -n "$NSPID" ] && kill -0 "$NSPID" 2>/dev/null; then
		kill -TERM "$NSPID" 2>/dev/null || true
		wait "$NSPID" 2>/dev/null || true
	fi
	if [ $rc -ne 0 ] && [ -d "$W/root/t/logs" ]; then
		for f in "$W"/root/t/logs/*.log; do
			echo "--- $(basename "$f") (last lines)"
			tail -n 25 "$f"
		done
	fi
	rm -rf --one-file-system "$W"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$SECONDS
testroot_extract "$W/root"
testroot_apt_config "$W/root"
mkdir -p "$W/root/t/logs"
cp "$DEB" "$here/inside.sh" "$here/unit-run.sh" "$W/root/t/"
echo "root ready in $((SECONDS - t0)) s; units: $UNITS"
unshare --mount --pid --uts --ipc --fork --propagation private --kill-child=SIGKILL -- \
	bash "$0" --inner "$W" &
NSPID=$!
wait "$NSPID"
NSPID=
echo "package install test passed in $((SECONDS - t0)) s"
