/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_dev_ops: every setting goes to the sub-ports that take settings
 * (bypass_mirror.h) and into the journal, from which a sub-port attached
 * later gets it (bypass_replay.cpp). Ops that change settings run on the
 * application's thread under ctl_lock and may wait for an attach or a
 * release in progress; read-only ops live in bypass_info.cpp,
 * bypass_link.cpp and bypass_stats.cpp and never wait for them.
 */
#include <cstring>

#include "bypass/log.h"
#include "bypass/sub_device.h"
#include "bypass_mirror.h"
#include "bypass_private.h"

namespace bypass {

namespace {

/* How long dev_stop waits for a burst the application left running. */
constexpr std::chrono::milliseconds STOP_QUIESCE_BOUND{500};

void set_queue_states(BypassPort &bp, uint8_t state)
{
	rte_eth_dev_data &data = *bp.dev->data;
	for (uint16_t q = 0; q < data.nb_rx_queues; q++)
		data.rx_queue_state[q] = state;
	for (uint16_t q = 0; q < data.nb_tx_queues; q++)
		data.tx_queue_state[q] = state;
}

int dev_configure(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	const rte_eth_conf base = dev->data->dev_conf;
	const int ret = mirror_locked(bp, "configure", [&](uint16_t port) {
		return configure_sub(bp, port, dev->data->nb_rx_queues, dev->data->nb_tx_queues,
				     base);
	});
	if (ret < 0)
		return ret;
	bp.journal.record_configure(dev->data->nb_rx_queues, dev->data->nb_tx_queues, base);
	/* A port given up on as unable to take the last configuration may
	 * take this one. */
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		if (bp.sub[p].state.load() == SubState::GIVEN_UP)
			retry_given_up(bp, p);
	}
	return 0;
}

int stop_locked(BypassPort &bp)
{
	link_poll_stop(bp);
	/* Tx off both paths first, as the application's stop: sub-ports
	 * stopped under a port still marked started look lost, and the last
	 * one's stop was logged as "no sub-port can transmit". */
	{
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		bp.started = false;
		tx_path_refresh_locked(bp);
	}
	for (unsigned p = 0; p < PATH_COUNT; p++)
		stop_sub(bp, p, STOP_QUIESCE_BOUND);
	set_queue_states(bp, RTE_ETH_QUEUE_STATE_STOPPED);
	const rte_eth_link down{};
	rte_eth_linkstatus_set(bp.dev, &down);
	bp.link_announced.store(false);
	return 0;
}

int dev_start(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	int first_error = 0;
	bool any = false;
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		if (bp.sub[p].state.load() != SubState::READY)
			continue;
		const int ret = start_sub(bp, p);
		if (ret == 0) {
			any = true;
			continue;
		}
		/* A sub-port that will not start leaves the port on the other,
		 * as when there is none: the application keeps its port. */
		BYPASS_LOG(WARNING, "port %u: the %s sub-port %u did not start (%s): trying again",
			   dev->data->port_id, path_name(p), bp.sub[p].port.load(),
			   rte_strerror(-ret));
		first_error = first_error != 0 ? first_error : ret;
	}
	if (!any) {
		BYPASS_LOG(ERR, "port %u: no sub-port could be started", dev->data->port_id);
		return first_error != 0 ? first_error : -ENODEV;
	}
	{
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		bp.started = true;
	}
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		if (bp.sub[p].state.load() == SubState::READY)
			schedule_start(bp, p);
	}
	set_queue_states(bp, RTE_ETH_QUEUE_STATE_STARTED);
	link_refresh(bp);
	link_poll_start(bp);
	return 0;
}

int dev_stop(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	return stop_locked(bp);
}

int dev_close(rte_eth_dev *dev) noexcept
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	BypassPort &bp = port_of(dev);
	/* Telemetry, rte_mp answers and the public API find it no more, and
	 * none still reads it. */
	port_unregister(dev->data->port_id);
	/* No event may reach the port, no task run and no announcement be
	 * raised from here on; not under ctl_lock, which a running task may
	 * be waiting for. */
	bp.events.reset();
	bp.ctl.stop();
	announcements_cancel(bp);
	{
		std::lock_guard<std::mutex> lock(bp.ctl_lock);
		stop_locked(bp);
		queues_release(bp);
		for (unsigned p = 0; p < PATH_COUNT; p++) {
			/* Ports given by name were handed over to the driver,
			 * as in failsafe: they are closed too; devices it probed
			 * itself are removed. */
			SubPort &sub = bp.sub[p];
			const uint16_t port = take_out(bp, p);
			if (port != RTE_MAX_ETHPORTS)
				close_port(port,
					   sub.probed_here ? AfterClose::remove : AfterClose::keep);
			if (sub.pending != RTE_MAX_ETHPORTS)
				close_port(sub.pending, AfterClose::keep);
		}
	}
	/* ethdev frees dev_private once this returns. */
	bp.~BypassPort();
	return 0;
}

/* Promiscuous and all-multicast mode, added MACs, the multicast list and
 * VLAN filters: rx filtering, which the active sub-port may refuse and
 * stay in use (bypass_filters.cpp). */
int promiscuous_set(rte_eth_dev *dev, bool on) noexcept
{
	return mirror_filter(
	    port_of(dev), FilterItem{RTE_PMD_BYPASS_FILTER_PROMISCUOUS},
	    on ? "promiscuous enable" : "promiscuous disable",
	    on ? rte_eth_promiscuous_enable : rte_eth_promiscuous_disable,
	    [&](Journal &j) { j.record_promiscuous(on); });
}

int promiscuous_enable(rte_eth_dev *dev) noexcept
{
	return promiscuous_set(dev, true);
}

int promiscuous_disable(rte_eth_dev *dev) noexcept
{
	return promiscuous_set(dev, false);
}

int allmulticast_set(rte_eth_dev *dev, bool on) noexcept
{
	return mirror_filter(
	    port_of(dev), FilterItem{RTE_PMD_BYPASS_FILTER_ALLMULTICAST},
	    on ? "allmulticast enable" : "allmulticast disable",
	    on ? rte_eth_allmulticast_enable : rte_eth_allmulticast_disable,
	    [&](Journal &j) { j.record_allmulticast(on); });
}

int allmulticast_enable(rte_eth_dev *dev) noexcept
{
	return allmulticast_set(dev, true);
}

int allmulticast_disable(rte_eth_dev *dev) noexcept
{
	return allmulticast_set(dev, false);
}

int mtu_set(rte_eth_dev *dev, uint16_t mtu) noexcept
{
	const uint16_t old = dev->data->mtu;
	return mirror(
	    port_of(dev), "MTU set", [&](uint16_t port) { return rte_eth_dev_set_mtu(port, mtu); },
	    [&](uint16_t port) { rte_eth_dev_set_mtu(port, old); },
	    [&](Journal &j) { j.record_mtu(mtu); });
}

int mac_addr_set(rte_eth_dev *dev, rte_ether_addr *mac) noexcept
{
	const rte_ether_addr old = dev->data->mac_addrs[0];
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
	    [&](uint16_t port) {
		    rte_ether_addr m = old;
		    rte_eth_dev_default_mac_addr_set(port, &m);
	    },
	    [&](Journal &j) { j.record_mac(0, *mac); });
}

int mac_addr_add(rte_eth_dev *dev, rte_ether_addr *mac, uint32_t index, uint32_t vmdq) noexcept
{
	FilterItem item{RTE_PMD_BYPASS_FILTER_MAC_ADDR};
	item.mac = *mac;
	return mirror_filter(
	    port_of(dev), item, "MAC add",
	    [&](uint16_t port) { return rte_eth_dev_mac_addr_add(port, mac, vmdq); },
	    [&](Journal &j) { j.record_mac(index, *mac); });
}

void mac_addr_remove(rte_eth_dev *dev, uint32_t index) noexcept
{
	/* ethdev clears the slot only after this returns. */
	FilterItem item{RTE_PMD_BYPASS_FILTER_MAC_ADDR};
	item.mac = dev->data->mac_addrs[index];
	mirror_filter(
	    port_of(dev), item, "MAC remove",
	    [&](uint16_t port) {
		    rte_ether_addr m = item.mac;
		    return rte_eth_dev_mac_addr_remove(port, &m);
	    },
	    [&](Journal &j) { j.forget_mac(index); });
}

int set_mc_addr_list(rte_eth_dev *dev, rte_ether_addr *list, uint32_t n) noexcept
{
	return mirror_filter(
	    port_of(dev), FilterItem{RTE_PMD_BYPASS_FILTER_MC_LIST}, "multicast list set",
	    [&](uint16_t port) { return rte_eth_dev_set_mc_addr_list(port, list, n); },
	    [&](Journal &j) { j.record_mc_list(list, n); });
}

int vlan_filter_set(rte_eth_dev *dev, uint16_t vlan, int on) noexcept
{
	FilterItem item{RTE_PMD_BYPASS_FILTER_VLAN};
	item.vlan = vlan;
	return mirror_filter(
	    port_of(dev), item, on ? "VLAN filter add" : "VLAN filter remove",
	    [&](uint16_t port) { return rte_eth_dev_vlan_filter(port, vlan, on); },
	    [&](Journal &j) { j.record_vlan_filter(vlan, on != 0); });
}

int vlan_offload_set(rte_eth_dev *dev, int /* mask */) noexcept
{
	/* ethdev already stored the new flags in dev_conf: copy them all. */
	const int flags = rte_eth_dev_get_vlan_offload(dev->data->port_id);
	const uint64_t offloads = dev->data->dev_conf.rxmode.offloads;
	return mirror(
	    port_of(dev), "VLAN offload set",
	    [&](uint16_t port) { return rte_eth_dev_set_vlan_offload(port, flags); },
	    [](uint16_t) {}, [&](Journal &j) { j.record_vlan_offload(offloads); });
}

int set_link_up(rte_eth_dev *dev) noexcept
{
	return mirror(port_of(dev), "link up", rte_eth_dev_set_link_up, rte_eth_dev_set_link_down,
		      [](Journal &j) { j.record_link_admin(true); });
}

int set_link_down(rte_eth_dev *dev) noexcept
{
	return mirror(port_of(dev), "link down", rte_eth_dev_set_link_down, rte_eth_dev_set_link_up,
		      [](Journal &j) { j.record_link_admin(false); });
}

eth_dev_ops make_ops()
{
	eth_dev_ops ops{};
	ops.dev_configure = dev_configure;
	ops.dev_start = dev_start;
	ops.dev_stop = dev_stop;
	ops.dev_reset = dev_reset;
	ops.dev_set_link_up = set_link_up;
	ops.dev_set_link_down = set_link_down;
	ops.dev_close = dev_close;
	ops.promiscuous_enable = promiscuous_enable;
	ops.promiscuous_disable = promiscuous_disable;
	ops.allmulticast_enable = allmulticast_enable;
	ops.allmulticast_disable = allmulticast_disable;
	ops.link_update = link_update;
	ops.stats_get = compat::stats_get_op<stats_get>;
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

rte_eth_conf sub_conf(const BypassPort &, uint16_t sub_port, const rte_eth_dev_info &info,
		      const rte_eth_conf &base, std::vector<uint8_t> &key)
{
	rte_eth_conf conf = base;
	/* The application's interrupt settings are for the bypass port, which
	 * raises its own events. A sub-port gets the interrupts the driver
	 * listens to, where it has them. */
	const uint32_t flags = rte_eth_devices[sub_port].data->dev_flags;
	conf.intr_conf = {};
	conf.intr_conf.lsc = (flags & RTE_ETH_DEV_INTR_LSC) != 0;
	conf.intr_conf.rmv = (flags & RTE_ETH_DEV_INTR_RMV) != 0;
	rte_eth_rss_conf &rss = conf.rx_adv_conf.rss_conf;
	if (rss.rss_key != nullptr && rss.rss_key_len != 0) {
		key = rss_key_for(rss.rss_key, rss.rss_key_len, info.hash_key_size);
		rss.rss_key = key.data();
		rss.rss_key_len = static_cast<uint8_t>(key.size());
	}
	return conf;
}

} // namespace bypass
