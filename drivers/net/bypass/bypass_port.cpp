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

bool driver_is(uint16_t port, const char *driver)
{
	rte_eth_dev_info info{};
	return rte_eth_dev_info_get(port, &info) == 0 && info.driver_name != nullptr &&
	       strcmp(info.driver_name, driver) == 0;
}

bool is_virtio(uint16_t port)
{
	return driver_is(port, "net_virtio") || driver_is(port, "net_virtio_user");
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
		if (sub.present() && rte_eth_dev_info_get(sub.port_id(), &info) == 0)
			n = std::min(n, info.max_mac_addrs);
	}
	return std::max<uint32_t>(n == UINT32_MAX ? 1 : n, 1);
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
	for (unsigned p = 0; p < PATH_COUNT; p++)
		bp.sub[p].published.store(bp.sub[p].present() ? bp.sub[p].port_id()
							      : RTE_MAX_ETHPORTS);
	if (bp.sub[PATH_ACTIVE].present())
		bp.active_info_valid =
		    rte_eth_dev_info_get(bp.sub[PATH_ACTIVE].port_id(), &bp.active_info) == 0;

	const uint32_t n_mac = bp.max_mac_addrs = max_mac_addrs(bp);
	dev->data->mac_addrs = static_cast<rte_ether_addr *>(
	    rte_zmalloc_socket(name, n_mac * sizeof(rte_ether_addr), 0, dev->device->numa_node));
	if (dev->data->mac_addrs == nullptr) {
		BYPASS_LOG(ERR, "%s: cannot allocate %u MAC addresses", name, n_mac);
		return -ENOMEM;
	}
	dev->data->mac_addrs[0] = mac;
	bp.pair_mac = mac;
	int ret = bp.ctl.start(std::string("bypass-") + std::to_string(dev->data->port_id));
	if (ret < 0) {
		BYPASS_LOG(ERR, "%s: cannot start the control thread: %s", name,
			   rte_strerror(-ret));
		return ret;
	}
	bp.events = std::make_unique<EventSubscription>(&bp);
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC;
	dev->dev_ops = &bypass_ops;
	dev->rx_pkt_burst = rx_burst;
	dev->tx_pkt_burst = tx_burst;
	dev->tx_pkt_prepare = tx_prepare;
	rte_eth_dev_probing_finish(dev);
	return 0;
}

} // namespace bypass
