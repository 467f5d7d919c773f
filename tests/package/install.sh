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
#   ├── unshare (PID, mount, UTS, IPC, network) --boot: systemd as PID 1
#   │   of a container over ROOT (its own cgroups below the host's,
#   │   cairn-pkgtest-PID); nsenter ... inside.sh systemd: the units as
#   │   systemd runs them, the distribution's sshd, Restart=
#   └── chroot ROOT inside.sh purge
#
# The root comes from testroot.sh (debootstrap minbase, cached under
# /var/cache/cairn/testroot). When the test ends, however it ends, the
# namespaces die with every process in them (PID 1 exits, unshare
# --kill-child), their mounts with them, the container's cgroups are
# removed and the root is deleted. Roots and cgroups left by a run killed
# outright are swept at the next start. The systemd phase needs the
# host's cgroup hierarchies (hybrid: /sys/fs/cgroup/systemd and unified;
# or cgroup2 at /sys/fs/cgroup); without them it is skipped, with a note.
# Skipped (77) without root, debootstrap or a cairn shell in the package.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# cgroups for a container: hybrid (systemd + unified) or cgroup2 only
cg_roots() {
	if [ -d /sys/fs/cgroup/systemd ] && [ -d /sys/fs/cgroup/unified ]; then
		echo /sys/fs/cgroup/systemd /sys/fs/cgroup/unified
	elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo /sys/fs/cgroup
	fi
}
# cg_remove NAME: the container's cgroups, deepest first
cg_remove() {
	local r d
	for r in $(cg_roots); do
		[ -d "$r/$1" ] || continue
		find "$r/$1" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		[ -d "$r/$1" ] && echo "note: $r/$1 not removed (processes left?)" >&2
	done
	return 0
}


# ---- inner stage: PID 1 of the new namespaces ----
if [ "${1:-}" = --inner ]; then
	W=$2
	R=$W/root
	mount --make-rprivate /
	mount -t proc proc /proc # this PID namespace's view (nsenter -t, $!)
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
	if [ -n "$(cg_roots)" ]; then
		for r in $(cg_roots); do mkdir "$r/$CGNAME"; done
		unshare --pid --mount --uts --ipc --net --fork --propagation private \
			--kill-child=SIGKILL -- bash "$0" --boot "$W" "$CGNAME" >"$R/t/logs/boot.log" 2>&1 &
		boot=$!
		sd=
		for _ in $(seq 300); do
			# the container's PID 1, once it is systemd (not the stage before the exec)
			sd=$(awk -v p="$boot" '$1 == "PPid:" && $2 == p { split(FILENAME, f, "/"); print f[3]; exit }' \
				/proc/[0-9]*/status 2>/dev/null || true)
			[ -n "$sd" ] && [ "$(cat "/proc/$sd/comm" 2>/dev/null)" = systemd ] && break
			sd=
			sleep 0.1
		done
		[ -n "$sd" ] || { echo "FAIL: the container did not start" >&2; exit 1; }
		in_ct() { nsenter -t "$sd" -a -r -w /usr/bin/env -i CAIRN_TEST_UNITS="$UNITS" \
			HOME=/root TERM=dumb "$@"; }
		for _ in $(seq 600); do
			in_ct test -S /run/systemd/private && break
			sleep 0.1
		done
		state=$(timeout 120 nsenter -t "$sd" -a -r -w systemctl is-system-running --wait || true)
		echo "== systemd booted: $state"
		in_ct /t/inside.sh systemd
		kill -s RTMIN+4 "$sd" # systemd: poweroff
		for _ in $(seq 300); do
			kill -0 "$boot" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$boot" 2>/dev/null && echo "note: the container did not power off in 30 s"
		kill -KILL "$boot" 2>/dev/null || true
		wait "$boot" 2>/dev/null || true
		cg_remove "$CGNAME"
	else
		echo "note: no cgroup hierarchy for a container here: systemd phase skipped"
	fi
	in_root /t/inside.sh purge
	exit 0
fi

# ---- systemd's stage: PID 1 of a container over the root ----
if [ "${1:-}" = --boot ]; then
	W=$2
	CG=$3
	R=$W/root
	mount --make-rprivate /
	mount --bind "$R" "$R"
	mount -t proc proc "$R/proc"
	mount --bind /sys "$R/sys"
	mount -o remount,bind,ro "$R/sys"
	if [ -d "/sys/fs/cgroup/systemd/$CG" ]; then
		mount -t tmpfs -o mode=755 tmpfs "$R/sys/fs/cgroup"
		for h in systemd unified; do
			mkdir -p "$R/sys/fs/cgroup/$h"
			mount --bind "/sys/fs/cgroup/$h/$CG" "$R/sys/fs/cgroup/$h"
		done
	else
		mount --bind "/sys/fs/cgroup/$CG" "$R/sys/fs/cgroup"
	fi
	mount -t tmpfs -o mode=755 tmpfs "$R/dev"
	for n in null zero full random urandom tty; do
		touch "$R/dev/$n"
		mount --bind "/dev/$n" "$R/dev/$n"
	done
	mkdir -p "$R/dev/pts" "$R/dev/shm" "$R/dev/net"
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"
	ln -s pts/ptmx "$R/dev/ptmx"
	if [ -e /dev/net/tun ]; then
		touch "$R/dev/net/tun"
		mount --bind /dev/net/tun "$R/dev/net/tun"
	fi
	mount -t tmpfs -o mode=755 tmpfs "$R/run"
	mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
	exec chroot "$R" /usr/bin/env -i container=cairn-pkgtest /lib/systemd/systemd --system
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

# and their containers' cgroups
for r in $(cg_roots); do
	for d in "$r"/cairn-pkgtest-*; do
		[ -d "$d" ] || continue
		kill -0 "${d##*-}" 2>/dev/null && continue
		cg_remove "$(basename "$d")"
	done
done

W=$(mktemp -d "$BASE/cairn-pkgtest.XXXXXX")
export CGNAME=cairn-pkgtest-$$
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
	cg_remove "$CGNAME"
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
