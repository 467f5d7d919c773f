#!/bin/sh
# SPDX-License-Identifier: MIT
# Fails when a C source differs from what clang-format makes of it.
set -eu
CF=${1:-clang-format}
files=$(find backend cli daemons tests -name '*.[ch]' -not -path '*/corpus/*' | sort)
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
$CF --dry-run -Werror $files
