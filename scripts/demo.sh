#!/usr/bin/env bash
# The README's demo, the failover lab: bypass-vhost-host plays the
# hypervisor (a virtio device offering STANDBY, a memif VF plugged only for
# a guest that negotiated STANDBY, traffic with sequence numbers), the
# stock dpdk-testpmd with net_bypass is the guest and echoes it back. Each
# migration withdraws the VF (the guest sees a removal), runs on virtio for
# a while, and offers the VF again; a summary table ends it.
#   MIGRATIONS=N (3)  PAUSE=seconds on virtio (2)  PPS=frames a second (20000)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
BUILD=$build "$top/scripts/build.sh"
migrations=${MIGRATIONS:-3}
pause=${PAUSE:-2}
pps=${PPS:-20000}

# The timeline plot needs matplotlib (Debian's python3-matplotlib).
if ! dpkg-query -W -f='${Status}' python3-matplotlib 2>/dev/null | grep -q "ok installed"; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		python3-matplotlib >&2 || { echo "demo: cannot install python3-matplotlib" >&2; exit 1; }
fi

. "$top/scripts/plugin.sh"
plugin=$(staged_plugin "$build")

run=$(mktemp -d /tmp/net-bypass-lab.XXXXXX)
sock=$run/virtio.sock
mkfifo "$run/host.cmd"
exec 3<>"$run/host.cmd"
mac=02:00:00:00:00:01

"$build/app/test-bypass/bypass-vhost-host" -l 0 --no-huge -m 256 --no-pci \
	--file-prefix "lab-host-$$" -- --failover "$sock" --vf "$sock.vf" \
	--vf-guest net_memif0 --traffic "$pps" <&3 >"$run/host.log" 2>&1 &
host=$!
guest=
# Under set -e a failing command in the trap would be the script's status;
# the log follower ends with this shell.
cleanup() {
	local pid
	for pid in $guest $host; do
		kill -INT "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done

stdbuf -oL dpdk-testpmd -l 0,1 --no-huge -m 512 --no-pci --file-prefix "lab-guest-$$" -d "$plugin" \
	--vdev "net_bypass0,backup=(virtio_user0,path=$sock,queues=1,cq=1,mac=$mac),active=(net_memif0,role=client,socket-abstract=no,socket=$sock.vf,mac=$mac)" \
	--log-level pmd.net.bypass:info \
	-- --forward-mode=io --auto-start --stats-period=3600 --total-num-mbufs=8192 \
	>"$run/guest.log" 2>&1 &
guest=$!

tail -n +1 -f "$run/host.log" --pid=$$ | grep --line-buffered -E "^lab:|VF (un)?plugged|VF withdrawn|VF link|guest negotiated|not plugging" &
sleep 5
echo start >&3
sleep 2
for i in $(seq "$migrations"); do
	printf '\n== migration %d: the host withdraws the VF, the destination offers one %ss later\n' "$i" "$pause"
	echo "migrate $(awk -v p="$pause" 'BEGIN { print int(p * 1000) }')" >&3
	sleep "$pause" # on virtio
	sleep 3        # back on the VF
done
echo stop >&3
sleep 0.5 # the last echoes
# The guest goes first: a memif peer vanishing under it is a surprise
# removal, which is not what this demo shows.
kill -0 "$guest" 2>/dev/null && survived=yes || survived="NO (see $run/guest.log)"
kill -INT "$guest" 2>/dev/null
wait "$guest" 2>/dev/null || true
guest=
kill -INT "$host"
wait "$host" 2>/dev/null || true
host=
sleep 0.2
sed -n 's/^lab summary: //p' "$run/host.log" | tr ',' '\n' | sed 's/^ *//' |
	awk -v m="$migrations" -v s="$survived" '
	BEGIN { printf "\n%-28s %s\n", "migrations", m; printf "%-28s %s\n", "guest still running", s }
	{ v = $NF; $NF = ""; printf "%-28s %s\n", $0, v }'
grep "lab: switch" "$run/host.log" | sed 's/^lab: /  /'
/usr/bin/python3 "$top/scripts/timeline.py" "$run/host.log" "$run/timeline.png"
echo "logs: $run"
