#!/bin/bash
# The QEMU failover lab in one command: builds net_bypass (scripts/build.sh),
# the guest (cached in .deps/qemu-<codename> after the first run), then runs
# every scenario on a DPDK guest with net_bypass and on a Linux guest (the
# control), and plots each one's timeline. Logs and figures: $BUILD/qemu-lab/
# (BUILD defaults to build; in another release's root, as scripts/test.sh
# does: scripts/in-root.sh trixie env BUILD=build-trixie tests/qemu/run.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${BUILD:-build}
BUILD=$build ./scripts/build.sh
if ! /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
	apt-get install -y python3-matplotlib >/dev/null || echo "qemu-lab: no matplotlib: no timeline plots"
fi
rc=0
python3 tests/qemu/scenarios.py --pmd "$build/drivers/net/bypass/librte_net_bypass.so" \
	--out "$build/qemu-lab" "$@" || rc=$?
for kind in dpdk linux; do
	log=$build/qemu-lab/$kind/timeline.log
	[ -s "$log" ] && /usr/bin/python3 scripts/timeline.py "$log" "$build/qemu-lab/$kind/timeline.png" || true
done
exit $rc
