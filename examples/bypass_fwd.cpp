/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bypass-fwd: a minimal NFV-style forwarder over a net_bypass port. It
 * echoes every frame back out of the port it came in on (MAC addresses
 * swapped) on one lcore, and prints once a second which path the port
 * transmits on, why, and the packets each path carried.
 *
 * In a VM whose virtio-net device negotiates STANDBY and whose VF has the
 * same MAC, both on vfio-pci, with hugepages (doc/guides/nics/net_bypass.rst,
 * "Deploying in a VM"), zero-config finds the pair, the VF also once it is
 * hot-plugged:
 *
 *   bypass-fwd -l 0,1 --vdev net_bypass0
 *
 * Anywhere, as root, over two tap interfaces standing in for virtio and the
 * VF (tests/example_check.py runs this line as written):
 *
 *   bypass-fwd -l 0,1 --no-huge -m 512 --no-pci \
 *       --vdev 'net_bypass0,backup=(net_tap0,iface=fwdb0,mac=02:00:00:00:f0:01),active=(net_tap1,iface=fwda0,mac=02:00:00:00:f0:01)'
 *
 * The driver is linked in (this is how an application that uses
 * rte_pmd_bypass.h gets it); the first bypass port found is used.
 */
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pmd_bypass.h>

namespace {

volatile sig_atomic_t quit = 0;

int forward(void *arg)
{
	const uint16_t port = *static_cast<uint16_t *>(arg);
	rte_mbuf *pkts[32];
	while (!quit) {
		const uint16_t n = rte_eth_rx_burst(port, 0, pkts, 32);
		if (n == 0)
			continue;
		for (uint16_t i = 0; i < n; i++) {
			auto *eth = rte_pktmbuf_mtod(pkts[i], rte_ether_hdr *);
			std::swap(eth->src_addr, eth->dst_addr);
		}
		const uint16_t sent = rte_eth_tx_burst(port, 0, pkts, n);
		if (sent < n)
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
	return 0;
}

uint64_t xstat(uint16_t port, const char *name)
{
	uint64_t id, value = 0;
	if (rte_eth_xstats_get_id_by_name(port, name, &id) == 0)
		rte_eth_xstats_get_by_id(port, &id, &value, 1);
	return value;
}

int start(uint16_t port, rte_mempool *pool)
{
	rte_eth_conf conf{};
	int ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, 512, rte_socket_id(), nullptr, pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, 512, rte_socket_id(), nullptr);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	return ret;
}

} // namespace

int main(int argc, char **argv)
{
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "bypass-fwd: cannot initialise EAL\n");
		return 1;
	}
	signal(SIGINT, [](int) { quit = 1; });
	signal(SIGTERM, [](int) { quit = 1; });

	uint16_t port = RTE_MAX_ETHPORTS, p;
	rte_pmd_bypass_state state{};
	RTE_ETH_FOREACH_DEV(p)
	{
		if (port == RTE_MAX_ETHPORTS && rte_pmd_bypass_state_get(p, &state) == 0)
			port = p;
	}
	if (port == RTE_MAX_ETHPORTS) {
		fprintf(stderr, "bypass-fwd: no net_bypass port (give one with --vdev)\n");
		return 1;
	}
	rte_mempool *pool = rte_pktmbuf_pool_create("fwd", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						    rte_socket_id());
	const unsigned worker = rte_get_next_lcore(-1, 1, 0);
	if (pool == nullptr || worker >= RTE_MAX_LCORE || start(port, pool) != 0) {
		fprintf(stderr, "bypass-fwd: cannot set up port %u (needs a second lcore)\n", port);
		return 1;
	}
	rte_eal_remote_launch(forward, &port, worker);

	uint64_t last_active = 0, last_backup = 0;
	while (!quit) {
		rte_delay_ms(1000);
		rte_pmd_bypass_state_get(port, &state);
		const uint64_t active = xstat(port, "active_tx_good_packets");
		const uint64_t backup = xstat(port, "backup_tx_good_packets");
		printf("port %u: tx on %-6s (%s)  %10lu pkt/s on the VF  %10lu pkt/s on virtio\n",
		       port, state.on_active ? "VF" : "virtio",
		       rte_pmd_bypass_reason_str(state.reason),
		       (unsigned long)(active - last_active),
		       (unsigned long)(backup - last_backup));
		fflush(stdout);
		last_active = active;
		last_backup = backup;
	}
	rte_eal_mp_wait_lcore();
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_eal_cleanup();
	return 0;
}
