/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_dev_ops: every setting goes to both sub-ports (bypass_mirror.h), and
 * what the application may ask for is what both can do.
 */
#include <algorithm>
#include <cstring>

#include "bypass/log.h"
#include "bypass_mirror.h"
#include "bypass_private.h"
#include "virtio_user_standby.h"

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
	std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
	rte_eth_dev_info a{};
	int ret = rte_eth_dev_info_get(bp.sub[PATH_BACKUP].port_id(), &a);
	if (ret < 0)
		return ret;
	/* While the VF is away, keep promising what the last one could do;
	 * before any VF was seen, what the backup can do. */
	const rte_eth_dev_info &b = bp.active_info_valid ? bp.active_info : a;

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
	/* A virtio_user backup negotiates STANDBY, as a failover guest must
	 * for the hypervisor to plug the VF and, on migration, to wait for
	 * the guest to release it. */
	const uint16_t backup = bp.sub[PATH_BACKUP].port_id();
	const bool standby =
	    driver_is(backup, "net_virtio_user") && bypass_virtio_user_standby_prepare(backup) == 1;
	const int ret = mirror(bp, "configure", [&](uint16_t port) {
		const rte_eth_conf conf = sub_conf(dev, port);
		return rte_eth_dev_configure(port, dev->data->nb_rx_queues, dev->data->nb_tx_queues,
					     &conf);
	});
	if (ret == 0 && standby && bypass_virtio_user_standby_negotiated(backup) == 1)
		BYPASS_LOG(INFO, "port %u: the virtio backup negotiated STANDBY",
			   dev->data->port_id);
	return ret;
}

void set_queue_states(rte_eth_dev *dev, uint8_t state)
{
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = state;
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = state;
}

int dev_start(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	{
		std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
		SubPort &backup = bp.sub[PATH_BACKUP];
		int ret = rte_eth_dev_start(backup.port_id());
		if (ret < 0) {
			BYPASS_LOG(ERR, "port %u: cannot start the backup sub-port %u: %s",
				   dev->data->port_id, backup.port_id(), rte_strerror(-ret));
			return ret;
		}
		backup.started = true;
		/* A VF that will not start leaves the port on the backup, as
		 * when there is none: the application keeps its port. */
		SubPort &active = bp.sub[PATH_ACTIVE];
		if (active.present()) {
			ret = rte_eth_dev_start(active.port_id());
			active.started = ret == 0;
			if (ret < 0) {
				BYPASS_LOG(WARNING,
					   "port %u: active sub-port %u did not start (%s): "
					   "staying on the backup, trying again",
					   dev->data->port_id, active.port_id(),
					   rte_strerror(-ret));
				schedule_active_start(bp);
			}
		}
		uint8_t paths = 0;
		for (unsigned p = 0; p < PATH_COUNT; p++) {
			queues_bind(dev, p);
			paths |= bp.sub[p].started ? 1u << p : 0;
		}
		bp.fast.rx_paths.store(paths, std::memory_order_release);
		set_queue_states(dev, RTE_ETH_QUEUE_STATE_STARTED);
		bp.started = true;
	}
	link_refresh(bp);
	link_poll_start(bp);
	return 0;
}

int dev_stop(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
	link_poll_stop(bp);
	bp.fast.rx_paths.store(0, std::memory_order_release);
	for (SubPort &sub : bp.sub) {
		if (sub.present() && sub.started && rte_eth_dev_stop(sub.port_id()) < 0)
			BYPASS_LOG(WARNING, "cannot stop sub-port %u", sub.port_id());
		sub.started = false;
	}
	set_queue_states(dev, RTE_ETH_QUEUE_STATE_STOPPED);
	bp.started = false;
	const rte_eth_link down{};
	rte_eth_linkstatus_set(dev, &down);
	bp.link_announced = false;
	bp.fast.tx_path.store(PATH_BACKUP, std::memory_order_release);
	bp.path_reason.store(RTE_PMD_BYPASS_REASON_STOPPED);
	return 0;
}

int dev_close(rte_eth_dev *dev) noexcept
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	BypassPort &bp = port_of(dev);
	/* No event may reach the port, and no task run, from here on; not
	 * under ctl_lock, since a running task may be waiting for it. */
	bp.events.reset();
	bp.ctl.stop();
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
	    [&](uint16_t port) {
		    /* ethdev restores the MAC at every start: no need to
		     * disturb a sub-port that has it already. */
		    rte_ether_addr cur;
		    if (rte_eth_macaddr_get(port, &cur) == 0 && rte_is_same_ether_addr(&cur, mac))
			    return 0;
		    return rte_eth_dev_default_mac_addr_set(port, mac);
	    },
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
	BypassPort &bp = port_of(dev);
	const int ret = mirror(bp, "multicast list set", [&](uint16_t port) {
		return rte_eth_dev_set_mc_addr_list(port, list, n);
	});
	if (ret == 0)
		bp.journal.record_mc_list(list, n);
	return ret;
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
	BypassPort &bp = port_of(dev);
	const int ret = mirror(bp, "link up", rte_eth_dev_set_link_up, rte_eth_dev_set_link_down);
	if (ret == 0)
		bp.journal.record_link_admin(true);
	return ret;
}

int set_link_down(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	const int ret = mirror(bp, "link down", rte_eth_dev_set_link_down, rte_eth_dev_set_link_up);
	if (ret == 0)
		bp.journal.record_link_admin(false);
	return ret;
}

int reta_update(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size) noexcept
{
	BypassPort &bp = port_of(dev);
	const int ret = mirror(bp, "RETA update", [&](uint16_t port) {
		return rte_eth_dev_rss_reta_update(port, conf, size);
	});
	if (ret == 0)
		bp.journal.record_reta(conf, size);
	return ret;
}

int reta_query(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size) noexcept
{
	std::lock_guard<std::recursive_mutex> lock(port_of(dev).ctl_lock);
	return rte_eth_dev_rss_reta_query(port_of(dev).sub[PATH_BACKUP].port_id(), conf, size);
}

int rss_hash_update(rte_eth_dev *dev, rte_eth_rss_conf *conf) noexcept
{
	BypassPort &bp = port_of(dev);
	const int ret = mirror(bp, "RSS hash update", [&](uint16_t port) {
		return rte_eth_dev_rss_hash_update(port, conf);
	});
	if (ret == 0)
		bp.journal.record_rss_hash(*conf);
	return ret;
}

int rss_hash_conf_get(rte_eth_dev *dev, rte_eth_rss_conf *conf) noexcept
{
	std::lock_guard<std::recursive_mutex> lock(port_of(dev).ctl_lock);
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

rte_eth_conf sub_conf(const rte_eth_dev *dev, uint16_t sub_port)
{
	rte_eth_conf conf = dev->data->dev_conf;
	/* The application's interrupt settings are for the bypass port, which
	 * raises its own LSC. A sub-port gets the interrupts the driver
	 * listens to, where it has them. */
	const uint32_t flags = rte_eth_devices[sub_port].data->dev_flags;
	conf.intr_conf = {};
	conf.intr_conf.lsc = (flags & RTE_ETH_DEV_INTR_LSC) != 0;
	conf.intr_conf.rmv = (flags & RTE_ETH_DEV_INTR_RMV) != 0;
	return conf;
}

} // namespace bypass
