/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Creating and discarding a bypass port, whatever found its sub-ports:
 * explicit devargs (bypass_probe.cpp) or zero-config pairing
 * (bypass_pairing.cpp). A port is published (probing_finish) only once it
 * is complete; until then discard() undoes everything, RAII members first.
 */
#include <algorithm>
#include <cstring>
#include <new>

#include <rte_malloc.h>

#include "bypass/log.h"
#include "bypass_private.h"

namespace bypass {

const char *path_name(unsigned path)
{
	return path == PATH_BACKUP ? "backup" : "active";
}

const char *driver_of(uint16_t port)
{
	const rte_device *device = rte_eth_devices[port].device;
	return device != nullptr && device->driver != nullptr ? device->driver->name : "";
}

bool probe_done(uint16_t port)
{
	const rte_eth_dev &dev = rte_eth_devices[port];
	return dev.state == RTE_ETH_DEV_ATTACHED && dev.device != nullptr &&
	       dev.device->driver != nullptr;
}

bool is_virtio_driver(const char *driver)
{
	return strcmp(driver, "net_virtio") == 0 || strcmp(driver, "net_virtio_user") == 0;
}

std::string mac_str(const rte_ether_addr &mac)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(buf, sizeof(buf), &mac);
	return buf;
}

namespace {

uint32_t max_mac_addrs(const BypassPort &bp)
{
	uint32_t n = UINT32_MAX;
	for (const SubPort &sub : bp.sub) {
		rte_eth_dev_info info{};
		const uint16_t port = sub.port.load();
		if (port != RTE_MAX_ETHPORTS && rte_eth_dev_info_get(port, &info) == 0)
			n = std::min(n, info.max_mac_addrs);
	}
	return std::max<uint32_t>(n == UINT32_MAX ? 1 : n, 1);
}

template <bool Fence> void set_bursts(rte_eth_dev *dev)
{
	dev->rx_pkt_burst = rx_burst<Fence>;
	dev->tx_pkt_burst = tx_burst<Fence>;
	dev->tx_pkt_prepare = tx_prepare<Fence>;
}

} // namespace

void discard(rte_eth_dev *dev)
{
	if (dev->data->dev_private != nullptr)
		port_of(dev).~BypassPort();
	rte_eth_dev_release_port(dev);
}

int publish(rte_eth_dev *dev, const char *name, const rte_ether_addr &mac)
{
	BypassPort &bp = port_of(dev);
	bp.dev = dev;
	bp.pair_mac = mac;
	bp.journal.record_mac(0, mac);
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		SubPort &sub = bp.sub[p];
		const uint16_t port = sub.port.load();
		if (port == RTE_MAX_ETHPORTS)
			continue;
		/* Nothing to replay yet: the application has set nothing. */
		sub.kind = rte_eth_devices[port].dev_ops;
		set_state(bp, p, SubState::CLAIMED);
		set_state(bp, p, SubState::READY);
		compat::PortStats now{};
		compat::port_stats_get(port, now);
		counters_join(bp, p, now);
	}

	const uint32_t n_mac = bp.max_mac_addrs = max_mac_addrs(bp);
	dev->data->mac_addrs = static_cast<rte_ether_addr *>(
	    rte_zmalloc_socket(name, n_mac * sizeof(rte_ether_addr), 0, dev->device->numa_node));
	if (dev->data->mac_addrs == nullptr) {
		BYPASS_LOG(ERR, "%s: cannot allocate %u MAC addresses", name, n_mac);
		return -ENOMEM;
	}
	dev->data->mac_addrs[0] = mac;
	advertise(bp);
	int ret = bp.ctl.start(std::string("bypass-") + std::to_string(dev->data->port_id));
	if (ret < 0) {
		BYPASS_LOG(ERR, "%s: cannot start the control thread: %s", name,
			   rte_strerror(-ret));
		return ret;
	}
	bp.events = std::make_unique<EventSubscription>(&bp);
	/* Per-queue xstats from stats_get's per-queue sums: all Open vSwitch
	 * shows of a port besides errors and drops. */
	dev->data->dev_flags |=
	    RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_INTR_RMV | RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->dev_ops = &bypass_ops;
	if (qs_readers_fence())
		set_bursts<true>(dev);
	else
		set_bursts<false>(dev);
	port_register(bp, dev->data->port_id);
	rte_eth_dev_probing_finish(dev);
	return 0;
}

} // namespace bypass
