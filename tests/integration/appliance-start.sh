# SPDX-License-Identifier: MIT
# Sourced first by the iked-*.sh appliance tests (it sees the script's
# arguments): the option they take, then lib-appliance.sh.
#   iked-X.sh [--build DIR]
set -eu
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../build" && pwd)}
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR]" >&2; exit 2 ;;
	esac
done
. "$(dirname "$0")/lib-appliance.sh"
