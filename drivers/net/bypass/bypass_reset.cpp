/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A sub-port that resets, or recovers from an error, stays but is unusable
 * meanwhile. iavf and ixgbevf raise RTE_ETH_EVENT_INTR_RESET when the PF
 * resets the VF or changes its MAC, VLAN or trust, and must then be reset
 * with rte_eth_dev_reset(); a PMD with proactive error recovery raises
 * ERR_RECOVERING, then RECOVERY_SUCCESS or RECOVERY_FAILED, and takes no
 * control call in between.
 *
 * on_port_recovery() runs on the thread that raised the event (the PMD's
 * interrupt or recovery thread), takes fp_lock only and never waits: it
 * marks the sub-port RESETTING, which moves tx to the other path and stops
 * polling its rx at once. During a recovery the PMD points rte_eth_fp_ops
 * at dummy bursts, which the bypass queues, calling the sub-port's bursts
 * through their own copies, would not see: hence off the fast path here.
 *
 * Then the control thread (ctl_lock) waits for the bursts, stops the port,
 * resets it on INTR_RESET, and attaches it again as a port just claimed:
 * the journal is replayed, the port started, tx goes back to it. Its
 * counters are kept across, as across a removal. RECOVERY_FAILED, or a
 * reset that fails, releases the port as a removal does.
 */
#include "bypass/log.h"
#include "bypass_private.h"

namespace bypass {

namespace {

/* As for a release: a burst longer than this is waited for again later. */
constexpr std::chrono::milliseconds RESET_QUIESCE_BOUND{500};
constexpr std::chrono::milliseconds RESET_RETRY{10};

enum class Restored { done, later, gone };

/* How a restored sub-port is attached again. */
enum class Attach { posted, now };

/* Sets a RESETTING sub-port up again: ctl_lock held. `later` if a burst
 * outlasted the bound. */
Restored restore_locked(BypassPort &bp, unsigned path, uint16_t port, Recovery what,
			Attach attach)
{
	SubPort &sub = bp.sub[path];
	{
		std::lock_guard<std::mutex> call(sub.call);
		auto resetting = [&] {
			return sub.port.load() == port && sub.state.load() == SubState::RESETTING;
		};
		{
			std::lock_guard<std::mutex> fp(bp.fp_lock);
			if (!resetting())
				return Restored::gone; /* removed, destroyed, or restored */
		}
		if (!queues_quiesce(bp, RESET_QUIESCE_BOUND)) {
			BYPASS_LOG(WARNING, "port %u: a queue stayed in one burst for %lld ms",
				   bp.dev->data->port_id,
				   static_cast<long long>(RESET_QUIESCE_BOUND.count()));
			return Restored::later;
		}
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		if (!resetting())
			return Restored::gone; /* asked to go while we waited */
		queues_unbind(bp, path);
	}
	/* Its last counts before the reset zeroes them; they leave the path's
	 * current port only once the reset is done, so that a port released
	 * instead keeps them once, not twice. */
	compat::PortStats now{};
	const bool fresh = compat::port_stats_get(port, now) == 0;
	/* Stop and reset are not made under the call lock (bypass_private.h).
	 * A PMD without a reset (virtio) is stopped and set up again. */
	int ret = what == Recovery::reset ? rte_eth_dev_reset(port) : rte_eth_dev_stop(port);
	if (ret == -ENOTSUP && what == Recovery::reset)
		ret = rte_eth_dev_stop(port);
	if (ret < 0) {
		BYPASS_LOG(ERR, "port %u: cannot %s the %s sub-port %u after its %s (%s): releasing it",
			   bp.dev->data->port_id, what == Recovery::reset ? "reset" : "stop",
			   path_name(path), port, recovery_name(what), rte_strerror(-ret));
		bp.on_removal_request(port, Removal::recovery_failed);
		return Restored::gone;
	}
	counters_leave(bp, path, fresh ? &now : nullptr);
	{
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		if (sub.port.load() != port || sub.state.load() != SubState::RESETTING)
			return Restored::gone;
		set_state(bp, path, SubState::CLAIMED);
	}
	sub.attach_tries = 0;
	bp.resets[path].fetch_add(1);
	BYPASS_LOG(INFO, "port %u: the %s sub-port %u is back from its %s: configuring it again",
		   bp.dev->data->port_id, path_name(path), port, recovery_name(what));
	if (attach == Attach::now)
		attach_now_locked(bp, path, port);
	else
		post_attach(bp, path, port);
	return Restored::done;
}

/* Control thread. */
void restore(BypassPort &bp, unsigned path, uint16_t port, Recovery what)
{
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	if (restore_locked(bp, path, port, what, Attach::posted) == Restored::later)
		bp.ctl.post_after(RESET_RETRY,
				  [&bp, path, port, what] { restore(bp, path, port, what); });
}

} // namespace

void BypassPort::on_port_recovery(uint16_t port, Recovery what)
{
	if (what == Recovery::failed) {
		on_removal_request(port, Removal::recovery_failed);
		return;
	}
	std::lock_guard<std::mutex> fp(fp_lock);
	const unsigned path = slot_of(*this, port);
	if (path == PATH_NONE)
		return;
	const SubState s = sub[path].state.load();
	if (s == SubState::CLAIMED || s == SubState::READY || s == SubState::STARTED) {
		suspend_locked(*this, path);
		BYPASS_LOG(INFO, "port %u: the %s sub-port %u is off the fast path (%s)",
			   dev->data->port_id, path_name(path), port, recovery_name(what));
	} else if (s != SubState::RESETTING) {
		return; /* leaving, given up: nothing to restore */
	}
	/* A recovering PMD takes no control call until it says how it went. */
	if (what != Recovery::recovering)
		ctl.post([this, path, port, what] { restore(*this, path, port, what); });
}

/* ethdev stopped the bypass port first. The sub-ports are reset and set
 * up again before this returns, so that the application's configure and
 * start, which come next, find them ready. */
int dev_reset(rte_eth_dev *dev) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	int first_error = 0;
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		uint16_t port;
		{
			std::lock_guard<std::mutex> fp(bp.fp_lock);
			const SubState s = bp.sub[p].state.load();
			port = bp.sub[p].port.load();
			if (s != SubState::CLAIMED && s != SubState::READY)
				continue;
			suspend_locked(bp, p);
		}
		/* Stopped: no burst is on it, and the wait ends at once. */
		if (restore_locked(bp, p, port, Recovery::reset, Attach::now) != Restored::done &&
		    first_error == 0)
			first_error = -EIO;
	}
	return first_error;
}

} // namespace bypass
