/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_dev_ops: every setting goes to both sub-ports (bypass_mirror.h), and
 * what the application may ask for is what both can do.
 */
#include <algorithm>

#include "bypass/log.h"
#include "bypass_mirror.h"
#include "bypass_private.h"

namespace bypass {

namespace {

rte_eth_desc_lim desc_lim_intersect(const rte_eth_desc_lim &a, const rte_eth_desc_lim &b)
{
	rte_eth_desc_lim lim{};
	lim.nb_max = std::min(a.nb_max, b.nb_max);
	lim.nb_min = std::max(a.nb_min, b.nb_min);
	lim.nb_align = std::max(a.nb_align, b.nb_align); /* both powers of two */
	lim.nb_seg_max = std::min(a.nb_seg_max, b.nb_seg_max);
	lim.nb_mtu_seg_max = std::min(a.nb_mtu_seg_max, b.nb_mtu_seg_max);
	return lim;
}

int dev_infos_get(rte_eth_dev *dev, rte_eth_dev_info *info) noexcept
{
	BypassPort &bp = port_of(dev);
	rte_eth_dev_info sub[PATH_COUNT];
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		int ret = rte_eth_dev_info_get(bp.sub[p].port_id(), &sub[p]);
		if (ret < 0)
			return ret;
	}
	const rte_eth_dev_info &a = sub[PATH_BACKUP], &b = sub[PATH_ACTIVE];

	info->max_rx_queues = std::min(a.max_rx_queues, b.max_rx_queues);
	info->max_tx_queues = std::min(a.max_tx_queues, b.max_tx_queues);
	info->min_rx_bufsize = std::max(a.min_rx_bufsize, b.min_rx_bufsize);
	info->max_rx_pktlen = std::min(a.max_rx_pktlen, b.max_rx_pktlen);
	info->max_lro_pkt_size = std::min(a.max_lro_pkt_size, b.max_lro_pkt_size);
	info->min_mtu = std::max(a.min_mtu, b.min_mtu);
	info->max_mtu = std::min(a.max_mtu, b.max_mtu);
	/* What probe allocated dev->data->mac_addrs for: the sub-ports' minimum. */
	info->max_mac_addrs = bp.max_mac_addrs;
	info->max_hash_mac_addrs = std::min(a.max_hash_mac_addrs, b.max_hash_mac_addrs);
	info->rx_offload_capa = a.rx_offload_capa & b.rx_offload_capa;
	info->tx_offload_capa = a.tx_offload_capa & b.tx_offload_capa;
	info->rx_queue_offload_capa = a.rx_queue_offload_capa & b.rx_queue_offload_capa;
	info->tx_queue_offload_capa = a.tx_queue_offload_capa & b.tx_queue_offload_capa;
	info->flow_type_rss_offloads = a.flow_type_rss_offloads & b.flow_type_rss_offloads;
	info->hash_key_size = std::min(a.hash_key_size, b.hash_key_size);
	info->reta_size = std::min(a.reta_size, b.reta_size);
	info->rx_desc_lim = desc_lim_intersect(a.rx_desc_lim, b.rx_desc_lim);
	info->tx_desc_lim = desc_lim_intersect(a.tx_desc_lim, b.tx_desc_lim);
	info->speed_capa = a.speed_capa | b.speed_capa;
	info->dev_capa = a.dev_capa & b.dev_capa;
	info->max_rx_mempools = std::min(a.max_rx_mempools, b.max_rx_mempools);
	/* Thresholds of 0 let each sub-port pick its own defaults: one
	 * sub-port's defaults can be invalid for the other. */
	info->default_rxconf = rte_eth_rxconf{};
	info->default_txconf = rte_eth_txconf{};
	return 0;
}

int dev_configure(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	rte_eth_conf conf = dev->data->dev_conf;
	/* The bypass port raises its own LSC; sub-port interrupts are the
	 * driver's business, not the application's. */
	conf.intr_conf = {};
	return mirror(bp, "configure", [&](uint16_t port) {
		return rte_eth_dev_configure(port, dev->data->nb_rx_queues,
					     dev->data->nb_tx_queues, &conf);
	});
}

void set_queue_states(rte_eth_dev *dev, uint8_t state)
{
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = state;
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = state;
}

void stop_subs(BypassPort &bp)
{
	bp.fast.rx_paths.store(0, std::memory_order_release);
	for (SubPort &sub : bp.sub) {
		if (sub.present() && sub.started && rte_eth_dev_stop(sub.port_id()) < 0)
			BYPASS_LOG(WARNING, "cannot stop sub-port %u", sub.port_id());
		sub.started = false;
	}
}

int dev_start(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	{
		std::lock_guard<std::mutex> lock(bp.ctl_lock);
		int ret = mirror(
			bp, "start",
			[&](uint16_t port) {
				int ret = rte_eth_dev_start(port);
				for (SubPort &sub : bp.sub)
					sub.started |= ret == 0 && sub.port_id() == port;
				return ret;
			},
			[&](uint16_t) { stop_subs(bp); });
		if (ret < 0)
			return ret;
		queues_bind(dev);
		uint8_t paths = 0;
		for (unsigned p = 0; p < PATH_COUNT; p++)
			paths |= bp.sub[p].started ? 1u << p : 0;
		bp.fast.rx_paths.store(paths, std::memory_order_release);
		set_queue_states(dev, RTE_ETH_QUEUE_STATE_STARTED);
	}
	link_refresh(bp);
	return link_monitor_start(bp);
}

int dev_stop(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	link_monitor_stop(bp); /* before the lock: the poller takes it */
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	stop_subs(bp);
	set_queue_states(dev, RTE_ETH_QUEUE_STATE_STOPPED);
	const rte_eth_link down{};
	rte_eth_linkstatus_set(dev, &down);
	bp.link_announced = false;
	return 0;
}

int dev_close(rte_eth_dev *dev) noexcept
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	BypassPort &bp = port_of(dev);
	dev_stop(dev);
	queues_release(dev);
	for (SubPort &sub : bp.sub) {
		/* Ports given by name were handed over to us, as in failsafe:
		 * close them too; SubDevice removes what it probed itself. */
		if (sub.present() && !sub.dev.probed_here())
			rte_eth_dev_close(sub.port_id());
		sub.dev.detach();
	}
	bp.~BypassPort();
	dev->data->dev_private = nullptr;
	return 0;
}

int promiscuous_enable(rte_eth_dev *dev) noexcept
{
	return mirror(port_of(dev), "promiscuous enable", rte_eth_promiscuous_enable,
		      rte_eth_promiscuous_disable);
}

int promiscuous_disable(rte_eth_dev *dev) noexcept
{
	return mirror(port_of(dev), "promiscuous disable", rte_eth_promiscuous_disable,
		      rte_eth_promiscuous_enable);
}

int allmulticast_enable(rte_eth_dev *dev) noexcept
{
	return mirror(port_of(dev), "allmulticast enable", rte_eth_allmulticast_enable,
		      rte_eth_allmulticast_disable);
}

int allmulticast_disable(rte_eth_dev *dev) noexcept
{
	return mirror(port_of(dev), "allmulticast disable", rte_eth_allmulticast_disable,
		      rte_eth_allmulticast_enable);
}

int mtu_set(rte_eth_dev *dev, uint16_t mtu) noexcept
{
	const uint16_t old = dev->data->mtu;
	return mirror(
		port_of(dev), "MTU set", [&](uint16_t port) { return rte_eth_dev_set_mtu(port, mtu); },
		[&](uint16_t port) { rte_eth_dev_set_mtu(port, old); });
}

int mac_addr_set(rte_eth_dev *dev, rte_ether_addr *mac) noexcept
{
	rte_ether_addr old = dev->data->mac_addrs[0];
	return mirror(
		port_of(dev), "default MAC set",
		[&](uint16_t port) { return rte_eth_dev_default_mac_addr_set(port, mac); },
		[&](uint16_t port) { rte_eth_dev_default_mac_addr_set(port, &old); });
}

int mac_addr_add(rte_eth_dev *dev, rte_ether_addr *mac, uint32_t /* index */,
		 uint32_t vmdq) noexcept
{
	return mirror(
		port_of(dev), "MAC add",
		[&](uint16_t port) { return rte_eth_dev_mac_addr_add(port, mac, vmdq); },
		[&](uint16_t port) { rte_eth_dev_mac_addr_remove(port, mac); });
}

void mac_addr_remove(rte_eth_dev *dev, uint32_t index) noexcept
{
	/* ethdev clears the slot only after this returns. */
	rte_ether_addr mac = dev->data->mac_addrs[index];
	mirror(port_of(dev), "MAC remove",
	       [&](uint16_t port) { return rte_eth_dev_mac_addr_remove(port, &mac); });
}

int set_mc_addr_list(rte_eth_dev *dev, rte_ether_addr *list, uint32_t n) noexcept
{
	return mirror(port_of(dev), "multicast list set", [&](uint16_t port) {
		return rte_eth_dev_set_mc_addr_list(port, list, n);
	});
}

int vlan_filter_set(rte_eth_dev *dev, uint16_t vlan, int on) noexcept
{
	return mirror(
		port_of(dev), "VLAN filter set",
		[&](uint16_t port) { return rte_eth_dev_vlan_filter(port, vlan, on); },
		[&](uint16_t port) { rte_eth_dev_vlan_filter(port, vlan, !on); });
}

int vlan_offload_set(rte_eth_dev *dev, int /* mask */) noexcept
{
	/* ethdev already stored the new flags in dev_conf: copy them all. */
	const int flags = rte_eth_dev_get_vlan_offload(dev->data->port_id);
	return mirror(port_of(dev), "VLAN offload set",
		      [&](uint16_t port) { return rte_eth_dev_set_vlan_offload(port, flags); });
}

int set_link_up(rte_eth_dev *dev) noexcept
{
	return mirror(port_of(dev), "link up", rte_eth_dev_set_link_up,
		      rte_eth_dev_set_link_down);
}

int set_link_down(rte_eth_dev *dev) noexcept
{
	return mirror(port_of(dev), "link down", rte_eth_dev_set_link_down,
		      rte_eth_dev_set_link_up);
}

int reta_update(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size) noexcept
{
	return mirror(port_of(dev), "RETA update", [&](uint16_t port) {
		return rte_eth_dev_rss_reta_update(port, conf, size);
	});
}

int reta_query(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size) noexcept
{
	return rte_eth_dev_rss_reta_query(port_of(dev).sub[PATH_BACKUP].port_id(), conf, size);
}

int rss_hash_update(rte_eth_dev *dev, rte_eth_rss_conf *conf) noexcept
{
	return mirror(port_of(dev), "RSS hash update",
		      [&](uint16_t port) { return rte_eth_dev_rss_hash_update(port, conf); });
}

int rss_hash_conf_get(rte_eth_dev *dev, rte_eth_rss_conf *conf) noexcept
{
	return rte_eth_dev_rss_hash_conf_get(port_of(dev).sub[PATH_BACKUP].port_id(), conf);
}

eth_dev_ops make_ops()
{
	eth_dev_ops ops{};
	ops.dev_configure = dev_configure;
	ops.dev_start = dev_start;
	ops.dev_stop = dev_stop;
	ops.dev_set_link_up = set_link_up;
	ops.dev_set_link_down = set_link_down;
	ops.dev_close = dev_close;
	ops.promiscuous_enable = promiscuous_enable;
	ops.promiscuous_disable = promiscuous_disable;
	ops.allmulticast_enable = allmulticast_enable;
	ops.allmulticast_disable = allmulticast_disable;
	ops.link_update = link_update;
	ops.stats_get = stats_get;
	ops.stats_reset = stats_reset;
	ops.xstats_get = xstats_get;
	ops.xstats_reset = xstats_reset;
	ops.xstats_get_names = xstats_get_names;
	ops.dev_infos_get = dev_infos_get;
	ops.mtu_set = mtu_set;
	ops.vlan_filter_set = vlan_filter_set;
	ops.vlan_offload_set = vlan_offload_set;
	ops.rx_queue_setup = rx_queue_setup;
	ops.rx_queue_release = rx_queue_release;
	ops.tx_queue_setup = tx_queue_setup;
	ops.tx_queue_release = tx_queue_release;
	ops.mac_addr_remove = mac_addr_remove;
	ops.mac_addr_add = mac_addr_add;
	ops.mac_addr_set = mac_addr_set;
	ops.set_mc_addr_list = set_mc_addr_list;
	ops.reta_update = reta_update;
	ops.reta_query = reta_query;
	ops.rss_hash_update = rss_hash_update;
	ops.rss_hash_conf_get = rss_hash_conf_get;
	return ops;
}

} // namespace

const eth_dev_ops bypass_ops = make_ops();

} // namespace bypass
