#!/usr/bin/env bash
# The README's demo: the stock dpdk-testpmd with net_bypass over a real
# virtio backup (virtio_user <-> bypass-vhost-host, which offers STANDBY as
# a failover hypervisor does and echoes) and a net_tap standing in for the
# VF. The tap's kernel link goes down and up again, the way a VF loses
# carrier, and tx follows it; the host shows that the guest's virtio
# device negotiated STANDBY (the first line is the probe's negotiation,
# before net_bypass configured the port).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
BUILD=$build "$top/scripts/build.sh"

# EAL refuses a -d plugin under a world-writable directory (/tmp).
plugin=$build/drivers/net/bypass/librte_net_bypass.so
for d in "$(dirname "$plugin")" $(cd "$(dirname "$plugin")" && while [ "$PWD" != / ]; do cd ..; echo "$PWD"; done); do
	if [ -n "$(find "$d" -maxdepth 0 -perm -o+w)" ]; then
		mkdir -p -m 700 "$HOME/.cache/net_bypass"
		cp "$plugin" "$HOME/.cache/net_bypass/"
		plugin=$HOME/.cache/net_bypass/librte_net_bypass.so
		break
	fi
done

sock=/tmp/net-bypass-demo-$$.sock
tap=bpdemo$$
tap=${tap:0:15}
"$build/app/test-bypass/bypass-vhost-host" -l 1 --no-huge -m 128 --no-pci \
	--file-prefix "demo-host-$$" -- --failover "$sock" >"$build/demo-host.log" 2>&1 &
host=$!
trap 'kill $host 2>/dev/null; rm -f "$sock"' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
phase() { # $1: what just happened; counts packets per path for 2 s
	say "$1"
	echo "clear port xstats 0"
	sleep 2
	echo "show port xstats 0"
	sleep 0.2
}

{
	echo "set fwd txonly"
	echo "start"
	sleep 3 # testpmd starting up
	phase "VF ($tap) up: tx on the active path"
	ip link set dev "$tap" down
	phase "VF link down (ip link set $tap down): tx falls back to virtio"
	ip link set dev "$tap" up
	phase "VF link up again: tx back on the VF"
	echo "stop"
	echo "quit"
} | stdbuf -oL dpdk-testpmd -l 0,1 --no-huge -m 512 --no-pci --file-prefix "demo-$$" -d "$plugin" \
	--vdev "net_bypass0,backup=(virtio_user0,path=$sock,queues=1,cq=1,mac=02:00:00:00:00:01),active=(net_tap0,iface=$tap)" \
	-- -i --total-num-mbufs=8192 2>&1 |
	awk '/^ *(active|backup)_tx_good_packets:/ { sub(":", "", $1); n[$1] = $2 }
	     /^ *tx_path_switches:/ {
		printf "   in 2 s: %12s packets on the VF, %12s on virtio\n",
			n["active_tx_good_packets"], n["backup_tx_good_packets"]; fflush() }
	     /net_bypass: / || /guest negotiated/ { print; fflush() }'
echo
grep -h "guest negotiated" "$build/demo-host.log" | sed 's/^/host: /' 
