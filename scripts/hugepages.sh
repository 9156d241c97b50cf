# Sourced. ensure_hugepages N: at least N 2 MiB pages reserved and hugetlbfs
# mounted on /dev/hugepages (root only; a failing step says which).
ensure_hugepages() {
	local want=$1 have
	have=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$have" -lt "$want" ]; then
		echo "$want" >/proc/sys/vm/nr_hugepages ||
			{ echo "hugepages: cannot reserve $want pages (are you root?)" >&2; return 1; }
		have=$(cat /proc/sys/vm/nr_hugepages)
		[ "$have" -ge "$want" ] ||
			{ echo "hugepages: asked for $want 2 MiB pages, the kernel gave $have" >&2; return 1; }
	fi
	if ! grep -q "^[^ ]* /dev/hugepages hugetlbfs" /proc/mounts; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages ||
			{ echo "hugepages: cannot mount hugetlbfs on /dev/hugepages" >&2; return 1; }
	fi
}
