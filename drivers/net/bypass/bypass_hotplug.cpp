/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hot-plug: the VF goes away and a VF comes back.
 *
 * Removal arrives as an event on whatever thread raised it. The handler
 * only moves tx to the backup and posts the release to the control
 * thread, which waits until no burst can still be on the VF, folds its
 * counters, and stops, closes and detaches it. A port that appears with
 * the pair's MAC is claimed inside its NEW event, so nobody else takes it,
 * and configured on the control thread by replaying the journal; tx moves
 * to it once it is started and its link is up. One that goes away before
 * that is let go, so that the next one can be taken.
 */
#include <rte_cycles.h>
#include <rte_dev.h>

#include "bypass/log.h"
#include "bypass_private.h"

namespace bypass {

namespace {

/* A VF that was unplugged comes back after a migration, seconds later:
 * no point asking every millisecond, nor in finding the old one. */
constexpr std::chrono::microseconds REPROBE_FIRST{100 * 1000};
constexpr std::chrono::microseconds REPROBE_MAX{1000 * 1000};

uint64_t us_since(uint64_t tsc)
{
	return (rte_get_tsc_cycles() - tsc) * 1000000 / rte_get_tsc_hz();
}

bool is_our_port(const BypassPort &bp, uint16_t port)
{
	return port == bp.dev->data->port_id || port == bp.sub[PATH_BACKUP].published.load() ||
	       port == bp.sub[PATH_ACTIVE].published.load();
}

/* Read from the port's data: during NEW the port is allocated but not yet
 * "valid", so rte_eth_macaddr_get() refuses it. */
bool has_pair_mac(const BypassPort &bp, uint16_t port)
{
	const rte_ether_addr *mac = rte_eth_devices[port].data->mac_addrs;
	return mac != nullptr && rte_is_same_ether_addr(mac, &bp.pair_mac);
}

/* Control thread: release the active sub-port after a removal. */
void release_active(BypassPort &bp, uint16_t port, Removal why)
{
	{
		std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
		SubPort &active = bp.sub[PATH_ACTIVE];
		if (!active.present() || active.port_id() != port)
			return;
		/* Make sure tx and rx left it (the handler's store may have
		 * raced with a link refresh), then wait for the bursts. The
		 * application hears of the link after the lock is released. */
		tx_path_refresh_locked(bp);
		bp.fast.rx_paths.fetch_and(static_cast<uint8_t>(~(1u << PATH_ACTIVE)),
					   std::memory_order_release);
		if (!queues_quiesce(bp)) {
			/* Freeing now could pull a queue from under a burst. */
			bp.ctl.post_after(std::chrono::milliseconds(10),
					  [&bp, port, why] { release_active(bp, port, why); });
			return;
		}
		bp.last_switch_us.store(us_since(bp.leave_started_tsc.load()));

		stats_fold(bp, PATH_ACTIVE, why != Removal::destroy);
		active.started = false;
		queues_bind(bp.dev, PATH_ACTIVE);
		if (why == Removal::destroy) {
			active.dev.forget(); /* its owner closed it already */
		} else {
			bp.owner.release(port);
			active.dev.release(true);
		}
		active.published.store(RTE_MAX_ETHPORTS);
		bp.active_leaving.store(false);
		BYPASS_LOG(
		    INFO,
		    "port %u: active sub-port %u released (%s) %" PRIu64 " us after the event",
		    bp.dev->data->port_id, port, removal_name(why), bp.last_switch_us.load());
	}
	link_refresh(bp);
	if (!bp.active_devargs.empty()) {
		bp.reprobe_delay = REPROBE_FIRST;
		schedule_reprobe(bp);
	}
}

/* Control thread: make a claimed port the active sub-port. */
void attach_active(BypassPort &bp, uint16_t port, uint64_t t0, bool probed_here)
{
	{
		std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
		rte_eth_dev *dev = bp.dev;
		SubPort &active = bp.sub[PATH_ACTIVE];
		const rte_eth_dev &candidate = rte_eth_devices[port];
		if (bp.attaching.load() != port)
			return; /* it went away meanwhile: abandon_attach() */
		if (candidate.state != RTE_ETH_DEV_ATTACHED) {
			/* A port becomes ATTACHED only after its probe raised
			 * NEW, which may still be going on in another thread;
			 * a port whose data is gone was removed meanwhile. */
			if (candidate.data == nullptr || candidate.data->name[0] == '\0') {
				bp.attaching.store(RTE_MAX_ETHPORTS);
				if (!bp.active_devargs.empty())
					schedule_reprobe(bp);
				return;
			}
			bp.ctl.post_after(std::chrono::microseconds(100),
					  [&bp, port, t0, probed_here] {
						  attach_active(bp, port, t0, probed_here);
					  });
			return;
		}
		active.dev.adopt(port, probed_here);
		rte_eth_dev_info_get(port, &bp.active_info);
		bp.active_info_valid = true;

		int ret = 0;
		if (dev->data->dev_configured)
			ret = bp.journal.replay_config(port, *dev->data, sub_conf(dev, port));
		if (ret == 0 && bp.started) {
			ret = rte_eth_dev_start(port);
			if (ret == 0) {
				active.started = true;
				ret = bp.journal.replay_started(port, *dev->data);
			}
		}
		if (ret < 0) {
			/* Stay on the backup; the port stays ours and is tried
			 * again later, as the VF may still be initialising. */
			BYPASS_LOG(WARNING,
				   "port %u: port %u not usable as active yet (%s), retrying",
				   dev->data->port_id, port, rte_strerror(-ret));
			if (active.started)
				rte_eth_dev_stop(port);
			active.started = false;
			active.dev.forget();
			bp.ctl.post_after(std::chrono::milliseconds(100),
					  [&bp, port, t0, probed_here] {
						  attach_active(bp, port, t0, probed_here);
					  });
			return;
		}
		if (active.started) {
			queues_bind(dev, PATH_ACTIVE);
			bp.fast.rx_paths.fetch_or(1u << PATH_ACTIVE, std::memory_order_release);
		}
		/* Published before attaching is cleared: a removal handler
		 * that finds neither cannot miss the port. */
		active.published.store(port);
		bp.attaching.store(RTE_MAX_ETHPORTS);
		bp.reattaches.fetch_add(1);
		bp.last_reattach_us.store(us_since(t0));
		BYPASS_LOG(INFO,
			   "port %u: port %u is the active sub-port, configured in %" PRIu64 " us",
			   dev->data->port_id, port, bp.last_reattach_us.load());
	}
	link_refresh(bp);
}

/* Control thread: a port that goes away before it became the active
 * sub-port is let go (nothing of the fast path is on it), so that the next
 * VF can be taken. */
void abandon_attach(BypassPort &bp, uint16_t port, Removal why)
{
	{
		std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
		if (bp.attaching.load() != port) {
			/* Its attach finished first: an active one now. */
			if (bp.sub[PATH_ACTIVE].published.load() == port)
				bp.on_port_removal(port, why);
			return;
		}
		bp.attaching.store(RTE_MAX_ETHPORTS);
		if (why != Removal::destroy) { /* destroyed: closed already */
			bp.owner.release(port);
			SubDevice gone;
			gone.adopt(port, false);
			gone.release(true);
		}
		BYPASS_LOG(INFO,
			   "port %u: port %u went away (%s) before it was the active sub-port",
			   bp.dev->data->port_id, port, removal_name(why));
	}
	if (!bp.active_devargs.empty()) {
		bp.reprobe_delay = REPROBE_FIRST;
		schedule_reprobe(bp);
	}
}

} // namespace

void schedule_active_start(BypassPort &bp)
{
	bp.ctl.post_after(std::chrono::milliseconds(100), [&bp] {
		{
			std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
			SubPort &active = bp.sub[PATH_ACTIVE];
			if (!bp.started || !active.present() || active.started ||
			    bp.active_leaving.load())
				return;
			if (rte_eth_dev_start(active.port_id()) != 0) {
				schedule_active_start(bp);
				return;
			}
			active.started = true;
			queues_bind(bp.dev, PATH_ACTIVE);
			bp.fast.rx_paths.fetch_or(1u << PATH_ACTIVE, std::memory_order_release);
			BYPASS_LOG(INFO, "port %u: the active sub-port %u started",
				   bp.dev->data->port_id, active.port_id());
		}
		link_refresh(bp);
	});
}

void schedule_reprobe(BypassPort &bp)
{
	bp.ctl.post_after(bp.reprobe_delay, [&bp] {
		if (bp.sub[PATH_ACTIVE].published.load() != RTE_MAX_ETHPORTS ||
		    bp.attaching.load() != RTE_MAX_ETHPORTS)
			return;
		/* A successful probe raises NEW on this thread: on_port_new
		 * claims the port and posts its attach. */
		bp.reprobing.store(true);
		const int ret = rte_dev_probe(bp.active_devargs.c_str());
		bp.reprobing.store(false);
		if (ret == 0)
			return;
		bp.reprobe_delay = std::min(bp.reprobe_delay * 2, REPROBE_MAX);
		schedule_reprobe(bp);
	});
}

void BypassPort::on_port_new(uint16_t port)
{
	/* The port our own re-probe of active= created is the VF by
	 * definition; its MAC is set by the replay. Others must match. */
	const bool from_devargs = reprobing.load() && ctl.on_thread();
	if (is_our_port(*this, port) || sub[PATH_ACTIVE].published.load() != RTE_MAX_ETHPORTS ||
	    (!from_devargs && !has_pair_mac(*this, port)))
		return;
	uint16_t none = RTE_MAX_ETHPORTS;
	if (!attaching.compare_exchange_strong(none, port))
		return;
	/* Claim it now, inside NEW, before the application sees it. */
	if (owner.claim(port) < 0) {
		attaching.store(RTE_MAX_ETHPORTS);
		return;
	}
	const bool probed_here = from_devargs;
	BYPASS_LOG(INFO, "port %u: taking port %u as the active sub-port (%s)", dev->data->port_id,
		   port, from_devargs ? "re-probed active= devargs" : "it has the pair's MAC");
	const uint64_t t0 = rte_get_tsc_cycles();
	ctl.post([this, port, t0, probed_here] { attach_active(*this, port, t0, probed_here); });
}

void BypassPort::on_port_removal(uint16_t port, Removal why)
{
	if (port == sub[PATH_BACKUP].published.load()) {
		BYPASS_LOG(WARNING, "port %u: the backup sub-port %u is going away (%s)",
			   dev->data->port_id, port, removal_name(why));
		return;
	}
	if (port == attaching.load()) {
		ctl.post([this, port, why] { abandon_attach(*this, port, why); });
		return;
	}
	if (port != sub[PATH_ACTIVE].published.load() || active_leaving.exchange(true))
		return;
	leave_started_tsc.store(rte_get_tsc_cycles());
	tx_to_backup_now(*this);
	if (why == Removal::destroy)
		BYPASS_LOG(WARNING,
			   "port %u: active sub-port %u was closed behind the driver's back; "
			   "a burst on it may already have crashed",
			   dev->data->port_id, port);
	ctl.post([this, port, why] { release_active(*this, port, why); });
}

void BypassPort::on_port_link(uint16_t port)
{
	if (port == sub[PATH_BACKUP].published.load() || port == sub[PATH_ACTIVE].published.load())
		ctl.post([this] { link_refresh(*this); });
}

} // namespace bypass
