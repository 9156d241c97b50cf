/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Link state and the tx path choice. The rule is net_failover's: tx goes to
 * the active sub-port while it is started and has carrier, otherwise to the
 * backup; to the active even without carrier when there is no backup left.
 * The bypass port's own link is up while either sub-port's is, and the
 * application hears an LSC event only when that aggregate changes; a
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

rte_pmd_bypass_reason why_not_active(const BypassPort &bp)
{
	const SubPort &active = bp.sub[PATH_ACTIVE];
	switch (active.state.load()) {
	case SubState::STARTED:
		return active.link_up.load() ? RTE_PMD_BYPASS_REASON_FORCED
					     : RTE_PMD_BYPASS_REASON_ACTIVE_DOWN;
	case SubState::LEAVING:
		return RTE_PMD_BYPASS_REASON_REMOVING;
	case SubState::GIVEN_UP:
		return RTE_PMD_BYPASS_REASON_ACTIVE_UNUSABLE;
	case SubState::RESETTING:
		return RTE_PMD_BYPASS_REASON_ACTIVE_RESETTING;
	default:
		return RTE_PMD_BYPASS_REASON_NO_ACTIVE;
	}
}

Choice choose_tx_path(const BypassPort &bp, bool started)
{
	if (!started)
		return {PATH_NONE, RTE_PMD_BYPASS_REASON_STOPPED};
	const SubPort &active = bp.sub[PATH_ACTIVE];
	const bool active_started = active.state.load() == SubState::STARTED;
	if (active_started && active.link_up.load() && !bp.forced_backup.load())
		return {PATH_ACTIVE, RTE_PMD_BYPASS_REASON_ACTIVE_UP};
	if (bp.sub[PATH_BACKUP].state.load() == SubState::STARTED)
		return {PATH_BACKUP, why_not_active(bp)};
	if (active_started)
		return {PATH_ACTIVE, RTE_PMD_BYPASS_REASON_NO_BACKUP};
	return {PATH_NONE, RTE_PMD_BYPASS_REASON_NO_PATH};
}

const char *tx_path_name(unsigned path)
{
	return path == PATH_NONE ? "no path" : path == PATH_BACKUP ? "the backup" : "the active";
}

void link_poll(BypassPort &bp, uint64_t gen)
{
	{
		std::lock_guard<std::mutex> lock(bp.ctl_lock);
		if (gen != bp.link_poll_gen)
			return;
		link_refresh(bp);
	}
	bp.ctl.post_after(LINK_POLL, [&bp, gen] { link_poll(bp, gen); });
}

} // namespace

void tx_path_refresh_locked(BypassPort &bp)
{
	const Choice choice = choose_tx_path(bp, bp.started);
	bp.path_reason.store(choice.reason);
	const unsigned before = bp.fast.tx_path.load(std::memory_order_relaxed);
	if (before == choice.path)
		return;
	bp.fast.tx_path.store(choice.path, std::memory_order_release);
	queues_publish_paths(bp);
	/* A switch is from one path to the other, not a start or a stop. */
	if (before != PATH_NONE && choice.path != PATH_NONE)
		bp.tx_switches.fetch_add(1, std::memory_order_relaxed);
	/* A start or a stop is the application's doing: not news. */
	rte_log(bp.started && before != PATH_NONE ? RTE_LOG_INFO : RTE_LOG_DEBUG, logtype,
		"net_bypass: port %u: tx now on %s (%s)\n", bp.dev->data->port_id,
		tx_path_name(choice.path), rte_pmd_bypass_reason_str(choice.reason));
}

void link_refresh(BypassPort &bp)
{
	rte_eth_link sub_link[PATH_COUNT] = {};
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		SubPort &sub = bp.sub[p];
		std::lock_guard<std::mutex> call(sub.call);
		const uint16_t port = sub.port.load();
		/* A link that cannot be read carries nothing: down. */
		if (port != RTE_MAX_ETHPORTS && sub.state.load() == SubState::STARTED &&
		    rte_eth_link_get_nowait(port, &sub_link[p]) != 0)
			sub_link[p] = rte_eth_link{};
		sub.link_up.store(sub_link[p].link_status == RTE_ETH_LINK_UP);
	}
	unsigned path;
	{
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		tx_path_refresh_locked(bp);
		path = bp.fast.tx_path.load(std::memory_order_relaxed);
	}
	/* The link of the path tx is on, or of the other if only it has one. */
	rte_eth_link link{};
	for (unsigned p : {path, path ^ 1u}) {
		if (p < PATH_COUNT && sub_link[p].link_status == RTE_ETH_LINK_UP) {
			link = sub_link[p];
			break;
		}
	}
	if (!bp.started)
		link = rte_eth_link{};
	rte_eth_linkstatus_set(bp.dev, &link);
	const bool up = link.link_status == RTE_ETH_LINK_UP;
	if (bp.link_announced.exchange(up) != up)
		announce_lsc(bp);
}

void link_poll_start(BypassPort &bp)
{
	const uint64_t gen = ++bp.link_poll_gen;
	bp.ctl.post_after(LINK_POLL, [&bp, gen] { link_poll(bp, gen); });
}

void link_poll_stop(BypassPort &bp)
{
	++bp.link_poll_gen;
}

/* The link is kept current by the control path (sub-ports' LSC events and
 * a 10 ms poll): reporting it never waits for that path. */
int link_update(rte_eth_dev *, int) noexcept
{
	return 0;
}

} // namespace bypass
