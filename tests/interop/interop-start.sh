# SPDX-License-Identifier: MIT
# Sourced first by every interop-*.sh (it sees the script's arguments):
# the options every script takes, then the appliance and strongSwan
# libraries.
#   interop-X.sh [--build DIR] [--only CASE-PATTERN]
set -eu
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../build" && pwd)}
INTEROP_ONLY=""
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--only) INTEROP_ONLY=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [--only CASE-PATTERN]" >&2; exit 2 ;;
	esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib-appliance.sh"
. "$HERE/lib-interop.sh"
have_shell || fail "the shell (build/bin/cairn) is not built"
