/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics: per path, the counters of the present sub-port plus those of
 * every sub-port that was on that path before (folded when it left), so
 * totals never go backwards across a removal, a re-attach or a new port id.
 * xstats have fixed names and ids, whatever sub-ports are present.
 */
#include <cinttypes>
#include <cstdio>

#include "bypass_private.h"

namespace bypass {

namespace {

struct Counter {
	const char *name;
	uint64_t rte_eth_stats::*field;
};

constexpr Counter PATH_COUNTERS[] = {
    {"rx_good_packets", &rte_eth_stats::ipackets},
    {"tx_good_packets", &rte_eth_stats::opackets},
    {"rx_good_bytes", &rte_eth_stats::ibytes},
    {"tx_good_bytes", &rte_eth_stats::obytes},
    {"rx_missed_errors", &rte_eth_stats::imissed},
    {"rx_errors", &rte_eth_stats::ierrors},
    {"tx_errors", &rte_eth_stats::oerrors},
    {"rx_mbuf_allocation_errors", &rte_eth_stats::rx_nombuf},
};

struct PortCounter {
	const char *name;
	std::atomic<uint64_t> BypassPort::*field;
};

constexpr PortCounter PORT_COUNTERS[] = {
    {"tx_path_switches", &BypassPort::tx_switches},
    {"active_attaches", &BypassPort::reattaches},
    {"last_switch_us", &BypassPort::last_switch_us},
    {"last_reattach_us", &BypassPort::last_reattach_us},
};

constexpr unsigned N_XSTATS = PATH_COUNT * RTE_DIM(PATH_COUNTERS) + RTE_DIM(PORT_COUNTERS);

/* Counters only grow, but a sub-port's own reset must not make the sum
 * shrink: add field by field. */
void add(rte_eth_stats &sum, const rte_eth_stats &s)
{
	for (const Counter &c : PATH_COUNTERS)
		sum.*c.field += s.*c.field;
	for (unsigned q = 0; q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
		sum.q_ipackets[q] += s.q_ipackets[q];
		sum.q_opackets[q] += s.q_opackets[q];
		sum.q_ibytes[q] += s.q_ibytes[q];
		sum.q_obytes[q] += s.q_obytes[q];
		sum.q_errors[q] += s.q_errors[q];
	}
}

/* One path's total. Caller holds ctl_lock. */
rte_eth_stats path_stats(BypassPort &bp, unsigned path)
{
	rte_eth_stats total = bp.folded.path[path];
	const SubPort &sub = bp.sub[path];
	rte_eth_stats now{};
	if (sub.present() && rte_eth_stats_get(sub.port_id(), &now) == 0) {
		bp.folded.last_seen[path] = now;
		add(total, now);
	}
	return total;
}

} // namespace

void stats_fold(BypassPort &bp, unsigned path, bool readable)
{
	rte_eth_stats last = bp.folded.last_seen[path];
	if (readable)
		rte_eth_stats_get(bp.sub[path].port_id(), &last);
	add(bp.folded.path[path], last);
	bp.folded.last_seen[path] = rte_eth_stats{};
}

int stats_get(rte_eth_dev *dev, rte_eth_stats *stats) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
	*stats = rte_eth_stats{};
	for (unsigned p = 0; p < PATH_COUNT; p++)
		add(*stats, path_stats(bp, p));
	return 0;
}

int stats_reset(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
	for (const SubPort &sub : bp.sub) {
		if (sub.present())
			rte_eth_stats_reset(sub.port_id());
	}
	bp.folded = FoldedStats{};
	return 0;
}

int xstats_get_names(rte_eth_dev *, rte_eth_xstat_name *names, unsigned size) noexcept
{
	if (names == nullptr || size < N_XSTATS)
		return N_XSTATS;
	unsigned i = 0;
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		for (const Counter &c : PATH_COUNTERS)
			snprintf(names[i++].name, RTE_ETH_XSTATS_NAME_SIZE, "%s_%s", path_name(p),
				 c.name);
	}
	for (const PortCounter &c : PORT_COUNTERS)
		snprintf(names[i++].name, RTE_ETH_XSTATS_NAME_SIZE, "%s", c.name);
	return N_XSTATS;
}

int xstats_get(rte_eth_dev *dev, rte_eth_xstat *xstats, unsigned n) noexcept
{
	if (xstats == nullptr || n < N_XSTATS)
		return N_XSTATS;
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
	unsigned i = 0;
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		const rte_eth_stats s = path_stats(bp, p);
		for (const Counter &c : PATH_COUNTERS) {
			xstats[i] = {i, s.*c.field};
			i++;
		}
	}
	for (const PortCounter &c : PORT_COUNTERS) {
		xstats[i] = {i, (bp.*c.field).load()};
		i++;
	}
	return N_XSTATS;
}

int xstats_reset(rte_eth_dev *dev) noexcept
{
	return stats_reset(dev);
}

} // namespace bypass
