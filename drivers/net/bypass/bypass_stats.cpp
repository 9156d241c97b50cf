/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics: the sum of both sub-ports. xstats have fixed names, the same
 * whatever sub-ports are present, so an application can look ids up once.
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
constexpr unsigned N_PATH_COUNTERS = RTE_DIM(PATH_COUNTERS);
constexpr unsigned N_XSTATS = PATH_COUNT * N_PATH_COUNTERS + 1; /* + tx_path_switches */

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

/* A sub-port's counters, or zeros when it is absent. */
rte_eth_stats sub_stats(const SubPort &sub)
{
	rte_eth_stats s{};
	if (sub.present() && rte_eth_stats_get(sub.port_id(), &s) < 0)
		s = rte_eth_stats{};
	return s;
}

} // namespace

int stats_get(rte_eth_dev *dev, rte_eth_stats *stats) noexcept
{
	*stats = rte_eth_stats{};
	for (const SubPort &sub : port_of(dev).sub)
		add(*stats, sub_stats(sub));
	return 0;
}

int stats_reset(rte_eth_dev *dev) noexcept
{
	for (const SubPort &sub : port_of(dev).sub) {
		if (sub.present())
			rte_eth_stats_reset(sub.port_id());
	}
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
	snprintf(names[i].name, RTE_ETH_XSTATS_NAME_SIZE, "tx_path_switches");
	return N_XSTATS;
}

int xstats_get(rte_eth_dev *dev, rte_eth_xstat *xstats, unsigned n) noexcept
{
	if (xstats == nullptr || n < N_XSTATS)
		return N_XSTATS;
	BypassPort &bp = port_of(dev);
	unsigned i = 0;
	for (const SubPort &sub : bp.sub) {
		const rte_eth_stats s = sub_stats(sub);
		for (const Counter &c : PATH_COUNTERS) {
			xstats[i] = {i, s.*c.field};
			i++;
		}
	}
	xstats[i] = {i, bp.tx_switches.load(std::memory_order_relaxed)};
	return N_XSTATS;
}

int xstats_reset(rte_eth_dev *dev) noexcept
{
	return stats_reset(dev);
}

} // namespace bypass
