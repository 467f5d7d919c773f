#!/bin/sh
# SPDX-License-Identifier: MIT
# Install every Debian 12 package Cairn's build, tests, benchmarks and demo
# need. Idempotent: asks dpkg what is missing, runs `apt-get update` at most
# once, installs only the missing packages. Run as root.
set -eu

# build
PKGS="gcc g++ make cmake pkg-config git ca-certificates
 libyang2-dev libyang-tools libreadline-dev libssl-dev
 libmnl-dev libevent-dev libcmocka-dev clang clang-format llvm
 libclang-rt-14-dev"
# tests: namespaces, traffic, terminals, ssh, packaging
PKGS="$PKGS iproute2 procps psmisc iputils-ping nftables iperf3 tmux
 openssh-server openssh-client passwd util-linux
 dpkg-dev debhelper fakeroot file kmod"
# the Debian package's tests: a throw-away Debian 12 root, unit checks
PKGS="$PKGS debootstrap debian-archive-keyring systemd"
# interop peer and benchmarks
PKGS="$PKGS strongswan-charon strongswan-swanctl libcharon-extra-plugins
 libstrongswan-standard-plugins libstrongswan-extra-plugins"
# kernel-backend VM test (guest kernel is downloaded into the build tree)
PKGS="$PKGS qemu-system-x86 busybox-static xz-utils zstd cpio
 debian-archive-keyring"

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root" >&2
	exit 1
fi

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "install-deps.sh: all packages present"
	exit 0
fi

echo "install-deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
