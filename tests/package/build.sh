#!/bin/bash
# SPDX-License-Identifier: MIT
# build.sh BUILD-DIR OUT-DIR: `cpack -G DEB` over the build tree (what
# `make package` runs), into OUT-DIR, which then holds exactly one .deb.
set -euo pipefail
BUILD=${1:?usage: build.sh BUILD-DIR OUT-DIR}
OUT=${2:?out dir}
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$BUILD"
cpack -G DEB -B "$OUT" >"$OUT/cpack.log" 2>&1 || { cat "$OUT/cpack.log"; exit 1; }
rm -rf "$OUT/_CPack_Packages"
mapfile -t debs < <(ls "$OUT"/cairn_*.deb)
[ ${#debs[@]} -eq 1 ] || { echo "FAIL: cpack made ${#debs[@]} packages" >&2; exit 1; }
dpkg-deb --info "${debs[0]}" >/dev/null
echo "built $(basename "${debs[0]}") ($(stat -c %s "${debs[0]}") bytes)"
