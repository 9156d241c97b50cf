/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics: per path, the counters of the port on it plus those of every
 * port that was on it before, so totals never go backwards across a
 * removal, a re-attach, a new port id or a sub-port resetting its own
 * counters. Reading them never waits for the control path: a sub-port
 * being configured or released is not read, and its last reading counts.
 * xstats have fixed names and ids, whatever sub-ports are present.
 */
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "bypass_private.h"

namespace bypass {

namespace {

static_assert(sizeof(compat::PortStats) % sizeof(uint64_t) == 0,
	      "a port's counters are all uint64_t");

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

/* The driver's own counters carry "_management_" in their names: they
 * count control-path events, and Open vSwitch keeps of a port's xstats
 * only the per-queue ones, those ending "_errors" or "_dropped" and those
 * with "_management_" in the name, the "management counters". */

/* Per-path counters of the driver itself. */
struct PathEvent {
	const char *name;
	std::array<std::atomic<uint64_t>, PATH_COUNT> BypassPort::*field;
};

constexpr PathEvent PATH_EVENTS[] = {
    {"management_attaches", &BypassPort::attaches},
    {"management_attach_giveups", &BypassPort::giveups},
    {"management_filters_refused", &BypassPort::filters_refused},
    {"management_resets", &BypassPort::resets},
};

struct PortCounter {
	const char *name;
	std::atomic<uint64_t> BypassPort::*field;
};

constexpr PortCounter PORT_COUNTERS[] = {
    {"tx_management_path_switches", &BypassPort::tx_switches},
    {"tx_management_last_switch_us", &BypassPort::last_switch_us},
    {"active_management_last_reattach_us", &BypassPort::last_reattach_us},
};

constexpr unsigned N_XSTATS =
    PATH_COUNT * (RTE_DIM(PATH_COUNTERS) + RTE_DIM(PATH_EVENTS)) + RTE_DIM(PORT_COUNTERS);

StatFields fields_of(const compat::PortStats &s)
{
	StatFields f;
	memcpy(f.data(), &s, sizeof(s));
	return f;
}

compat::PortStats stats_of(const StatFields &f)
{
	compat::PortStats s;
	memcpy(&s, f.data(), sizeof(s));
	return s;
}

/* A new reading of the path's current port; a counter lower than before
 * means the port reset it, and what it had counted stays in `base`. */
void observe(PathCounters &c, const StatFields &now)
{
	for (size_t i = 0; i < now.size(); i++) {
		if (now[i] < c.last[i]) {
			c.base[i] += c.last[i] - c.offset[i];
			c.offset[i] = 0;
		}
	}
	c.last = now;
}

StatFields total(const PathCounters &c)
{
	StatFields t;
	for (size_t i = 0; i < t.size(); i++)
		t[i] = c.base[i] + c.last[i] - c.offset[i];
	return t;
}

/* One path's total, read afresh unless its port is busy with the
 * control path. */
StatFields path_stats(BypassPort &bp, unsigned path)
{
	SubPort &sub = bp.sub[path];
	std::unique_lock<std::mutex> call(sub.call, std::try_to_lock);
	compat::PortStats now{};
	bool fresh = false;
	if (call.owns_lock()) {
		const uint16_t port = sub.port.load();
		const SubState s = sub.state.load();
		fresh = port != RTE_MAX_ETHPORTS &&
			(takes_settings(sub) || s == SubState::LEAVING) &&
			compat::port_stats_get(port, now) == 0;
	}
	std::lock_guard<std::mutex> report(bp.report_lock);
	PathCounters &c = bp.counters[path];
	if (fresh && c.joined)
		observe(c, fields_of(now));
	return total(c);
}

} // namespace

void counters_join(BypassPort &bp, unsigned path, const compat::PortStats &now)
{
	std::lock_guard<std::mutex> report(bp.report_lock);
	PathCounters &c = bp.counters[path];
	c.offset = c.last = fields_of(now);
	c.joined = true;
}

void counters_leave(BypassPort &bp, unsigned path, const compat::PortStats *now)
{
	std::lock_guard<std::mutex> report(bp.report_lock);
	PathCounters &c = bp.counters[path];
	if (now != nullptr && c.joined)
		observe(c, fields_of(*now));
	c.base = total(c);
	c.offset = c.last = StatFields{};
	c.joined = false;
}

int stats_get(rte_eth_dev *dev, compat::PortStats &stats) noexcept
{
	BypassPort &bp = port_of(dev);
	StatFields sum{};
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		const StatFields f = path_stats(bp, p);
		for (size_t i = 0; i < sum.size(); i++)
			sum[i] += f[i];
	}
	stats = stats_of(sum);
	return 0;
}

int stats_reset(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		SubPort &sub = bp.sub[p];
		std::lock_guard<std::mutex> call(sub.call);
		const uint16_t port = sub.port.load();
		compat::PortStats now{};
		if (port != RTE_MAX_ETHPORTS) {
			/* A port that cannot reset starts from what it has. */
			rte_eth_stats_reset(port);
			compat::port_stats_get(port, now);
		}
		std::lock_guard<std::mutex> report(bp.report_lock);
		PathCounters &c = bp.counters[p];
		c.base = StatFields{};
		c.offset = c.last = fields_of(now);
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
		for (const PathEvent &e : PATH_EVENTS)
			snprintf(names[i++].name, RTE_ETH_XSTATS_NAME_SIZE, "%s_%s", path_name(p),
				 e.name);
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
	unsigned i = 0;
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		const rte_eth_stats s = stats_of(path_stats(bp, p)).totals;
		for (const Counter &c : PATH_COUNTERS) {
			xstats[i] = {i, s.*c.field};
			i++;
		}
		for (const PathEvent &e : PATH_EVENTS) {
			xstats[i] = {i, (bp.*e.field)[p].load()};
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
