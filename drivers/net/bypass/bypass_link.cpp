/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Link state and the tx path choice. The rule is net_failover's: tx goes to
 * the active sub-port while it is started and has carrier, otherwise to the
 * backup. The bypass port's own link is up while either sub-port's is, and
 * the application hears an LSC event only when that aggregate changes; a
 * switch between paths is silent.
 */
#include "bypass/log.h"
#include "bypass_private.h"

namespace bypass {

namespace {

/* Sub-ports without LSC interrupts (and link changes made behind the
 * driver's back) are noticed by polling; a link query is cheap. */
constexpr std::chrono::milliseconds LINK_POLL{10};

struct Choice {
	unsigned path;
	rte_pmd_bypass_reason reason;
};

Choice choose_tx_path(const BypassPort &bp)
{
	const SubPort &active = bp.sub[PATH_ACTIVE];
	if (!bp.started)
		return {PATH_BACKUP, RTE_PMD_BYPASS_REASON_STOPPED};
	if (bp.active_leaving.load())
		return {PATH_BACKUP, RTE_PMD_BYPASS_REASON_REMOVING};
	if (!active.present() || !active.started)
		return {PATH_BACKUP, RTE_PMD_BYPASS_REASON_NO_ACTIVE};
	if (bp.forced_backup.load())
		return {PATH_BACKUP, RTE_PMD_BYPASS_REASON_FORCED};
	if (!active.link_up)
		return {PATH_BACKUP, RTE_PMD_BYPASS_REASON_ACTIVE_DOWN};
	return {PATH_ACTIVE, RTE_PMD_BYPASS_REASON_ACTIVE_UP};
}

void set_tx_path(BypassPort &bp, unsigned path)
{
	if (bp.fast.tx_path.load(std::memory_order_relaxed) == path)
		return;
	bp.fast.tx_path.store(path, std::memory_order_release);
	bp.tx_switches.fetch_add(1, std::memory_order_relaxed);
	BYPASS_LOG(INFO, "port %u: tx now on the %s sub-port", bp.dev->data->port_id,
		   path_name(path));
}

/* Reads both sub-ports' links, moves tx accordingly and returns the
 * aggregate link. Caller holds ctl_lock. */
rte_eth_link refresh_locked(BypassPort &bp)
{
	rte_eth_link sub_link[PATH_COUNT] = {};
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		SubPort &sub = bp.sub[p];
		if (sub.present() && sub.started)
			rte_eth_link_get_nowait(sub.port_id(), &sub_link[p]);
		sub.link_up = sub_link[p].link_status == RTE_ETH_LINK_UP;
	}
	const Choice choice = choose_tx_path(bp);
	set_tx_path(bp, choice.path);
	bp.path_reason.store(choice.reason);

	rte_eth_link link = sub_link[choice.path];
	if (!bp.sub[choice.path].link_up)
		link = sub_link[choice.path ^ 1];
	if (link.link_status != RTE_ETH_LINK_UP)
		link = rte_eth_link{};
	return link;
}

void link_poll(BypassPort &bp, uint64_t gen)
{
	{
		std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
		if (gen != bp.link_poll_gen)
			return;
	}
	link_refresh(bp);
	bp.ctl.post_after(LINK_POLL, [&bp, gen] { link_poll(bp, gen); });
}

} // namespace

void tx_to_backup_now(BypassPort &bp)
{
	set_tx_path(bp, PATH_BACKUP);
	bp.path_reason.store(RTE_PMD_BYPASS_REASON_REMOVING);
}

void tx_path_refresh_locked(BypassPort &bp)
{
	refresh_locked(bp);
}

void link_refresh(BypassPort &bp)
{
	bool announce;
	{
		std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
		const rte_eth_link link = refresh_locked(bp);
		rte_eth_linkstatus_set(bp.dev, &link);
		const bool up = link.link_status == RTE_ETH_LINK_UP;
		announce = up != bp.link_announced;
		bp.link_announced = up;
	}
	/* Outside the lock: the application's callback may query the link. */
	if (announce && bp.dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(bp.dev, RTE_ETH_EVENT_INTR_LSC, nullptr);
}

void link_poll_start(BypassPort &bp)
{
	std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
	const uint64_t gen = ++bp.link_poll_gen;
	bp.ctl.post([&bp, gen] { link_poll(bp, gen); });
}

void link_poll_stop(BypassPort &bp)
{
	std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
	++bp.link_poll_gen;
}

int link_update(rte_eth_dev *dev, int /* wait_to_complete */) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
	const rte_eth_link link = refresh_locked(bp);
	return rte_eth_linkstatus_set(dev, &link);
}

} // namespace bypass
