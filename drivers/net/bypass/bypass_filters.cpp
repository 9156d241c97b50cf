/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rx filtering a sub-port may refuse and stay in use: promiscuous and
 * all-multicast mode, added MAC addresses, the multicast list and VLAN
 * filters. Linux's net_failover passes its rx mode and address lists on
 * to its slaves and ignores what they refuse; a VF the PF does not trust
 * refuses exactly these (iavf answers -EAGAIN), and it is the common VF of
 * OpenStack and Kubernetes. Giving it up would cost every frame the fast
 * path carries for the few its filter drops, so a refusal is logged,
 * counted and readable (rte_pmd_bypass_refusals_get()), never fatal.
 *
 * What stays fatal is what would make the traffic the port does carry
 * wrong: queues, MTU, the default MAC, RSS (bypass_replay.cpp).
 */
#include <algorithm>
#include <utility>

#include "bypass/log.h"
#include "bypass_private.h"

namespace bypass {

namespace {

template <typename T, typename Same> void erase_all(std::vector<T> &v, Same &&same)
{
	v.erase(std::remove_if(v.begin(), v.end(), same), v.end());
}

/* Whether the port in the slot lacks `item` now. */
bool lacks(const Refusals &r, const FilterItem &item)
{
	auto same_mac = [&](const rte_ether_addr &m) { return rte_is_same_ether_addr(&m, &item.mac); };
	switch (item.kind) {
	case RTE_PMD_BYPASS_FILTER_PROMISCUOUS:
		return r.promiscuous;
	case RTE_PMD_BYPASS_FILTER_ALLMULTICAST:
		return r.allmulticast;
	case RTE_PMD_BYPASS_FILTER_MC_LIST:
		return r.mc_list;
	case RTE_PMD_BYPASS_FILTER_MAC_ADDR:
		return std::any_of(r.macs.begin(), r.macs.end(), same_mac);
	case RTE_PMD_BYPASS_FILTER_VLAN:
		return std::find(r.vlans.begin(), r.vlans.end(), item.vlan) != r.vlans.end();
	}
	return false;
}

/* Whether the port in the slot lacks `item` (`missing`) from now on. */
void mark(Refusals &r, const FilterItem &item, bool missing)
{
	switch (item.kind) {
	case RTE_PMD_BYPASS_FILTER_PROMISCUOUS:
		r.promiscuous = missing;
		break;
	case RTE_PMD_BYPASS_FILTER_ALLMULTICAST:
		r.allmulticast = missing;
		break;
	case RTE_PMD_BYPASS_FILTER_MC_LIST:
		r.mc_list = missing;
		break;
	case RTE_PMD_BYPASS_FILTER_MAC_ADDR:
		erase_all(r.macs,
			  [&](const rte_ether_addr &m) { return rte_is_same_ether_addr(&m, &item.mac); });
		if (missing)
			r.macs.push_back(item.mac);
		break;
	case RTE_PMD_BYPASS_FILTER_VLAN:
		erase_all(r.vlans, [&](uint16_t v) { return v == item.vlan; });
		if (missing)
			r.vlans.push_back(item.vlan);
		break;
	}
}

} // namespace

uint32_t Refusals::missing() const
{
	return (promiscuous ? RTE_PMD_BYPASS_FILTER_PROMISCUOUS : 0) |
	       (allmulticast ? RTE_PMD_BYPASS_FILTER_ALLMULTICAST : 0) |
	       (!macs.empty() ? RTE_PMD_BYPASS_FILTER_MAC_ADDR : 0) |
	       (mc_list ? RTE_PMD_BYPASS_FILTER_MC_LIST : 0) |
	       (!vlans.empty() ? RTE_PMD_BYPASS_FILTER_VLAN : 0);
}

std::string filter_names(uint32_t bits)
{
	static constexpr std::pair<uint32_t, const char *> NAMES[] = {
	    {RTE_PMD_BYPASS_FILTER_PROMISCUOUS, "promiscuous"},
	    {RTE_PMD_BYPASS_FILTER_ALLMULTICAST, "allmulticast"},
	    {RTE_PMD_BYPASS_FILTER_MAC_ADDR, "mac_addr"},
	    {RTE_PMD_BYPASS_FILTER_MC_LIST, "mc_list"},
	    {RTE_PMD_BYPASS_FILTER_VLAN, "vlan"},
	};
	std::string s;
	for (const auto &[bit, name] : NAMES) {
		if (bits & bit)
			s += (s.empty() ? "" : ",") + std::string(name);
	}
	return s;
}

void filter_answer(BypassPort &bp, unsigned path, uint16_t port, const FilterItem &item,
		   const char *what, int ret)
{
	bool again;
	{
		std::lock_guard<std::mutex> report(bp.report_lock);
		Refusals &r = bp.refusals[path];
		again = lacks(r, item);
		mark(r, item, ret != 0);
		if (ret != 0)
			r.last_error = ret;
	}
	if (ret == 0)
		return;
	bp.filters_refused[path].fetch_add(1);
	/* Asked again what it refused (ethdev restores the modes at every
	 * start): counted, said once. */
	if (again)
		return;
	/* A port that cannot do it at all: a notice, not a warning. */
	rte_log(ret == -ENOTSUP ? RTE_LOG_NOTICE : RTE_LOG_WARNING, bypass::logtype,
		"net_bypass: port %u: the %s sub-port (port %u) refused %s (%s): kept in use "
		"without it\n",
		bp.dev->data->port_id, path_name(path), port, what, rte_strerror(-ret));
}

void filters_forget(BypassPort &bp, unsigned path)
{
	std::lock_guard<std::mutex> report(bp.report_lock);
	Refusals &r = bp.refusals[path];
	const int last = r.last_error;
	r = Refusals{};
	r.last_error = last;
}

} // namespace bypass
