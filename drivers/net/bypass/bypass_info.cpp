/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the bypass port says it can do: what both sub-ports can, so that any
 * setting the application makes is one both take. It is computed from the
 * sub-ports present until the application configures the port, then kept:
 * a VF that comes later and can do less than the application configured is
 * refused (bypass_replay.cpp), never advertised in its place. The RETA size
 * and queues are further held to what the devargs say the VF will have.
 */
#include <algorithm>

#include "bypass/log.h"
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

/* The capabilities of a port that can do only what both a and b can. */
rte_eth_dev_info intersect(const rte_eth_dev_info &a, const rte_eth_dev_info &b)
{
	rte_eth_dev_info i{};
	i.max_rx_queues = std::min(a.max_rx_queues, b.max_rx_queues);
	i.max_tx_queues = std::min(a.max_tx_queues, b.max_tx_queues);
	i.min_rx_bufsize = std::max(a.min_rx_bufsize, b.min_rx_bufsize);
	i.max_rx_pktlen = std::min(a.max_rx_pktlen, b.max_rx_pktlen);
	i.max_lro_pkt_size = std::min(a.max_lro_pkt_size, b.max_lro_pkt_size);
	i.min_mtu = std::max(a.min_mtu, b.min_mtu);
	i.max_mtu = std::min(a.max_mtu, b.max_mtu);
	i.max_hash_mac_addrs = std::min(a.max_hash_mac_addrs, b.max_hash_mac_addrs);
	i.rx_offload_capa = a.rx_offload_capa & b.rx_offload_capa;
	i.tx_offload_capa = a.tx_offload_capa & b.tx_offload_capa;
	i.rx_queue_offload_capa = a.rx_queue_offload_capa & b.rx_queue_offload_capa;
	i.tx_queue_offload_capa = a.tx_queue_offload_capa & b.tx_queue_offload_capa;
	i.flow_type_rss_offloads = a.flow_type_rss_offloads & b.flow_type_rss_offloads;
	/* The smaller table and key: bypass_rss.cpp spreads a RETA over a
	 * larger table and lengthens a key for a larger key size. */
	i.hash_key_size = std::min(a.hash_key_size, b.hash_key_size);
	i.reta_size = std::min(a.reta_size, b.reta_size);
	i.rx_desc_lim = desc_lim_intersect(a.rx_desc_lim, b.rx_desc_lim);
	i.tx_desc_lim = desc_lim_intersect(a.tx_desc_lim, b.tx_desc_lim);
	i.speed_capa = a.speed_capa | b.speed_capa;
	i.max_rx_mempools = std::min(a.max_rx_mempools, b.max_rx_mempools);
	i.rx_seg_capa.max_nseg = std::min(a.rx_seg_capa.max_nseg, b.rx_seg_capa.max_nseg);
	i.rx_seg_capa.multi_pools = a.rx_seg_capa.multi_pools & b.rx_seg_capa.multi_pools;
	i.rx_seg_capa.offset_allowed = a.rx_seg_capa.offset_allowed & b.rx_seg_capa.offset_allowed;
	i.rx_seg_capa.offset_align_log2 =
	    std::max(a.rx_seg_capa.offset_align_log2, b.rx_seg_capa.offset_align_log2);
	/* None of runtime queue setup, Rx queue sharing or keeping flow rules
	 * across a restart is something the bypass port does, whatever its
	 * sub-ports can. Thresholds of 0 let each sub-port pick its own
	 * defaults: one's defaults can be invalid for the other. */
	i.dev_capa = 0;
	return i;
}

/* Copies the fields intersect() computes. */
void copy_caps(const rte_eth_dev_info &from, rte_eth_dev_info &to)
{
	to.max_rx_queues = from.max_rx_queues;
	to.max_tx_queues = from.max_tx_queues;
	to.min_rx_bufsize = from.min_rx_bufsize;
	to.max_rx_pktlen = from.max_rx_pktlen;
	to.max_lro_pkt_size = from.max_lro_pkt_size;
	to.min_mtu = from.min_mtu;
	to.max_mtu = from.max_mtu;
	to.max_mac_addrs = from.max_mac_addrs;
	to.max_hash_mac_addrs = from.max_hash_mac_addrs;
	to.rx_offload_capa = from.rx_offload_capa;
	to.tx_offload_capa = from.tx_offload_capa;
	to.rx_queue_offload_capa = from.rx_queue_offload_capa;
	to.tx_queue_offload_capa = from.tx_queue_offload_capa;
	to.flow_type_rss_offloads = from.flow_type_rss_offloads;
	to.hash_key_size = from.hash_key_size;
	to.reta_size = from.reta_size;
	to.rx_desc_lim = from.rx_desc_lim;
	to.tx_desc_lim = from.tx_desc_lim;
	to.speed_capa = from.speed_capa;
	to.max_rx_mempools = from.max_rx_mempools;
	to.rx_seg_capa = from.rx_seg_capa;
	to.dev_capa = from.dev_capa;
	to.default_rxconf = rte_eth_rxconf{};
	to.default_txconf = rte_eth_txconf{};
}

} // namespace

void advertise(BypassPort &bp)
{
	if (bp.journal.configured())
		return;
	rte_eth_dev_info info[PATH_COUNT];
	bool have[PATH_COUNT] = {};
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		SubPort &sub = bp.sub[p];
		std::lock_guard<std::mutex> call(sub.call);
		const uint16_t port = sub.port.load();
		const SubState s = sub.state.load();
		have[p] = port != RTE_MAX_ETHPORTS &&
			  (s == SubState::CLAIMED || takes_settings(sub)) &&
			  rte_eth_dev_info_get(port, &info[p]) == 0;
	}
	if (!have[PATH_BACKUP] && !have[PATH_ACTIVE])
		return;
	const rte_eth_dev_info &a = have[PATH_BACKUP] ? info[PATH_BACKUP] : info[PATH_ACTIVE];
	const rte_eth_dev_info &b = have[PATH_ACTIVE] ? info[PATH_ACTIVE] : a;
	rte_eth_dev_info caps = intersect(a, b);
	caps.max_mac_addrs = bp.max_mac_addrs;
	/* What the VF that will come can take (bypass_devargs.h). */
	if (caps.reta_size > bp.vf_declared.reta_size)
		caps.reta_size = bp.vf_declared.reta_size;
	if (bp.vf_declared.queues != 0) {
		caps.max_rx_queues = std::min(caps.max_rx_queues, bp.vf_declared.queues);
		caps.max_tx_queues = std::min(caps.max_tx_queues, bp.vf_declared.queues);
	}
	std::lock_guard<std::mutex> report(bp.report_lock);
	bp.advertised = caps;
}

int dev_infos_get(rte_eth_dev *dev, rte_eth_dev_info *info) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> report(bp.report_lock);
	copy_caps(bp.advertised, *info);
	return 0;
}

} // namespace bypass
