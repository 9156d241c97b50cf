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
constexpr uint64_t LINK_POLL_US = 10 * 1000;

unsigned choose_tx_path(const BypassPort &bp)
{
	const SubPort &active = bp.sub[PATH_ACTIVE];
	return active.present() && active.started && active.link_up ? PATH_ACTIVE : PATH_BACKUP;
}

void set_tx_path(BypassPort &bp, unsigned path)
{
	if (bp.fast.tx_path.load(std::memory_order_relaxed) == path)
		return;
	bp.fast.tx_path.store(path, std::memory_order_release);
	bp.tx_switches.fetch_add(1, std::memory_order_relaxed);
	BYPASS_LOG(INFO, "port %u: tx now on the %s sub-port (port %u)", bp.dev->data->port_id,
		   path_name(path), bp.sub[path].port_id());
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
	const unsigned path = choose_tx_path(bp);
	set_tx_path(bp, path);

	rte_eth_link link = sub_link[path];
	if (!bp.sub[path].link_up)
		link = sub_link[path ^ 1];
	if (link.link_status != RTE_ETH_LINK_UP)
		link = rte_eth_link{};
	return link;
}

void poll(void *arg)
{
	link_refresh(*static_cast<BypassPort *>(arg));
}

} // namespace

void link_refresh(BypassPort &bp)
{
	bool announce;
	{
		std::lock_guard<std::mutex> lock(bp.ctl_lock);
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

int link_monitor_start(BypassPort &bp)
{
	return bp.link_poll.start(LINK_POLL_US, poll, &bp);
}

void link_monitor_stop(BypassPort &bp)
{
	bp.link_poll.stop();
}

int link_update(rte_eth_dev *dev, int /* wait_to_complete */) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	const rte_eth_link link = refresh_locked(bp);
	return rte_eth_linkstatus_set(dev, &link);
}

} // namespace bypass
