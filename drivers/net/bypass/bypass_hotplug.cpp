/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hot-plug: sub-ports go away and come back, on either path.
 *
 * Event handlers, and the threads they run on:
 * - on_port_new: the thread probing the port (the application's, the
 *   control thread re-probing devargs, the hub's prober for hot-plugged
 *   PCI devices). Claims a port with the pair's MAC for its empty slot, so
 *   that the application never sees it, and posts its attach. Takes
 *   fp_lock only, after the ethdev owner call.
 * - on_removal_request: the EAL interrupt thread (RMV interrupt, uevent,
 *   vfio request) or whoever raised it. Marks the sub-port LEAVING, which
 *   moves tx off it at once, and posts its release. Takes fp_lock only.
 * - on_port_destroyed: the thread closing or removing the port, which
 *   ethdev frees when the handler returns. Waits for a call into the port
 *   in progress (its call lock), takes it off the fast path and waits for
 *   the bursts (quiesce_lock, not fp_lock: the interrupt thread's handlers
 *   go on meanwhile), then empties the slot. Never runs for a port the driver
 *   releases itself: that one left its slot first.
 * - on_port_link: the interrupt thread. Posts a link refresh.
 * Control-thread tasks (release, refill, retries) take ctl_lock.
 */
#include <rte_cycles.h>
#include <rte_dev.h>

#include "bypass/hotplug_worker.h"
#include "bypass/log.h"
#include "bypass/sub_device.h"
#include "bypass_private.h"

namespace bypass {

namespace {

/* A VF that was unplugged comes back after a migration, seconds later:
 * no point asking every millisecond, nor in finding the old one. */
constexpr std::chrono::microseconds REPROBE_FIRST{100 * 1000};
constexpr std::chrono::microseconds REPROBE_MAX{1000 * 1000};
/* A VF still initialising, a memif peer not there yet: a start is cheap to
 * try again. */
constexpr std::chrono::milliseconds START_RETRY{100};
/* A release waits this long for the bursts, then tries again later. */
constexpr std::chrono::milliseconds RELEASE_QUIESCE_BOUND{500};
constexpr std::chrono::milliseconds RELEASE_RETRY{10};

uint64_t us_since(uint64_t tsc)
{
	return (rte_get_tsc_cycles() - tsc) * 1000000 / rte_get_tsc_hz();
}

/* The slot a port of PMD `kind` (its ops table) goes to: the backup's if
 * it is of the backup's kind (virtio in a VM) and the backup has none,
 * otherwise the active's. */
unsigned slot_for(const BypassPort &bp, const eth_dev_ops *kind)
{
	const SubPort &backup = bp.sub[PATH_BACKUP];
	const SubState s = backup.state.load();
	if (kind == backup.kind && s != SubState::STARTED && s != SubState::READY &&
	    s != SubState::CLAIMED)
		return PATH_BACKUP;
	return PATH_ACTIVE;
}

/* Control thread: release a sub-port whose removal was requested. */
void release(BypassPort &bp, unsigned path, uint16_t port, Removal why)
{
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	SubPort &sub = bp.sub[path];
	{
		std::lock_guard<std::mutex> call(sub.call);
		if (sub.port.load() != port || sub.state.load() != SubState::LEAVING)
			return; /* destroyed meanwhile */
		if (!detach_slot(bp, path, port, true, RELEASE_QUIESCE_BOUND)) {
			/* Freeing now could pull a queue from under a burst. */
			BYPASS_LOG(WARNING, "port %u: a queue stayed in one burst for %lld ms",
				   bp.dev->data->port_id,
				   static_cast<long long>(RELEASE_QUIESCE_BOUND.count()));
			bp.ctl.post_after(RELEASE_RETRY,
					  [&bp, path, port, why] { release(bp, path, port, why); });
			return;
		}
	}
	bp.last_switch_us.store(us_since(bp.leave_started_tsc.load()));
	/* The slot is free: a port that appears from here on can take it. The
	 * device goes too, as its removal was asked for, but not on this
	 * thread (hotplug_worker.h). */
	close_port(port, AfterClose::remove_later);
	BYPASS_LOG(INFO, "port %u: the %s sub-port %u released (%s) %" PRIu64 " us after the event",
		   bp.dev->data->port_id, path_name(path), port, removal_name(why),
		   bp.last_switch_us.load());
	link_refresh(bp);
	refill(bp, path);
}

/* Control thread: after a slot emptied because its port was destroyed. */
void destroyed_followup(BypassPort &bp, unsigned path, uint16_t port)
{
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	BYPASS_LOG(INFO, "port %u: the %s sub-port %u was closed by someone else: forgotten",
		   bp.dev->data->port_id, path_name(path), port);
	link_refresh(bp);
	refill(bp, path);
}

/* While the slot stays empty, its devargs are probed again with backoff.
 * The probe runs on the hot-plug thread; the port it creates raises NEW
 * there, which on_port_new() recognises as this slot's. */
void schedule_reprobe(BypassPort &bp, unsigned path)
{
	bp.ctl.post_after(bp.sub[path].retry_delay, [&bp, path] {
		std::lock_guard<std::mutex> lock(bp.ctl_lock);
		SubPort &s = bp.sub[path];
		if (s.state.load() != SubState::EMPTY)
			return;
		if (!s.probing->load())
			HotplugWorker::instance().probe(s.devargs, &bp, path, s.probing);
		s.retry_delay = std::min(s.retry_delay * 2, REPROBE_MAX);
		schedule_reprobe(bp, path);
	});
}

/* A port with the pair's MAC that nobody owns, found by looking at the
 * ports there are: one that appeared while the slot was busy. */
uint16_t find_unowned_candidate(const BypassPort &bp, unsigned path)
{
	for (uint16_t p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS;
	     p = rte_eth_find_next(p + 1)) {
		bool match = false;
		EventHub::instance().inspect(p, [&] {
			const rte_eth_dev &dev = rte_eth_devices[p];
			rte_eth_dev_owner owner{};
			match = p != bp.dev->data->port_id && dev.data->mac_addrs != nullptr &&
				rte_is_same_ether_addr(&dev.data->mac_addrs[0], &bp.pair_mac) &&
				rte_eth_dev_owner_get(p, &owner) == 0 &&
				owner.id == RTE_ETH_DEV_NO_OWNER &&
				slot_for(bp, dev.dev_ops) == path;
		});
		if (match)
			return p;
	}
	return RTE_MAX_ETHPORTS;
}

/* find_unowned_candidate(), claimed and put in the slot if it is still
 * empty: the owner call before fp_lock, given back if NEW filled the slot
 * meanwhile. */
uint16_t claim_unowned_candidate(BypassPort &bp, unsigned path)
{
	const uint16_t port = find_unowned_candidate(bp, path);
	if (port == RTE_MAX_ETHPORTS || bp.owner.claim(port) < 0)
		return RTE_MAX_ETHPORTS;
	{
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		if (bp.sub[path].state.load() == SubState::EMPTY) {
			fill_slot(bp, path, port);
			return port;
		}
	}
	bp.owner.release(port);
	return RTE_MAX_ETHPORTS;
}

} // namespace

unsigned slot_of(const BypassPort &bp, uint16_t port)
{
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		if (bp.sub[p].port.load() == port)
			return p;
	}
	return PATH_NONE;
}

void refill(BypassPort &bp, unsigned path)
{
	SubPort &sub = bp.sub[path];
	uint16_t next = RTE_MAX_ETHPORTS;
	{
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		if (sub.state.load() != SubState::EMPTY)
			return; /* taken already */
		next = sub.pending;
		sub.pending = RTE_MAX_ETHPORTS;
		if (next != RTE_MAX_ETHPORTS)
			fill_slot(bp, path, next);
	}
	if (next == RTE_MAX_ETHPORTS)
		next = claim_unowned_candidate(bp, path);
	if (next != RTE_MAX_ETHPORTS) {
		BYPASS_LOG(INFO, "port %u: taking port %u, which waited, as the %s sub-port",
			   bp.dev->data->port_id, next, path_name(path));
		post_attach(bp, path, next);
		return;
	}
	if (!sub.devargs.empty()) {
		sub.retry_delay = REPROBE_FIRST;
		schedule_reprobe(bp, path);
	}
	auto gone = [&](unsigned p) {
		const SubState st = bp.sub[p].state.load();
		return st == SubState::EMPTY || st == SubState::GIVEN_UP;
	};
	const bool none = gone(PATH_BACKUP) && gone(PATH_ACTIVE);
	if (none && !bp.rmv_announced.exchange(true))
		announce_rmv(bp);
}

void schedule_start(BypassPort &bp, unsigned path)
{
	bp.ctl.post_after(START_RETRY, [&bp, path] {
		std::lock_guard<std::mutex> lock(bp.ctl_lock);
		SubPort &s = bp.sub[path];
		if (!bp.started || s.state.load() != SubState::READY)
			return;
		if (start_sub(bp, path) < 0) {
			schedule_start(bp, path);
			return;
		}
		BYPASS_LOG(INFO, "port %u: the %s sub-port %u started", bp.dev->data->port_id,
			   path_name(path), s.port.load());
		link_refresh(bp);
	});
}

void BypassPort::on_port_new(uint16_t port)
{
	if (port == dev->data->port_id || slot_of(*this, port) != PATH_NONE)
		return;
	/* The port our own re-probe of devargs created is that sub-port by
	 * definition (its MAC is set by the replay); others must match.
	 * During NEW the port is allocated but not yet valid: read its data. */
	unsigned path = PATH_NONE;
	const bool from_devargs = HotplugWorker::probing_for(this, path);
	if (!from_devargs) {
		const rte_ether_addr *mac = rte_eth_devices[port].data->mac_addrs;
		if (mac == nullptr || !rte_is_same_ether_addr(mac, &pair_mac))
			return;
		path = slot_for(*this, rte_eth_devices[port].dev_ops);
	}
	/* Claimed now, inside NEW, before the application sees it; before
	 * fp_lock (no ethdev call under it), and given back if the slot
	 * turns out to be taken. */
	if (owner.claim(port) < 0)
		return;
	SubPort &s = sub[path];
	SubState state;
	bool wait;
	{
		std::lock_guard<std::mutex> fp(fp_lock);
		state = s.state.load();
		wait = state == SubState::LEAVING && s.pending == RTE_MAX_ETHPORTS;
		if (wait)
			s.pending = port;
		else if (state == SubState::EMPTY)
			fill_slot(*this, path, port);
	}
	if (state != SubState::EMPTY && !wait) {
		owner.release(port);
		BYPASS_LOG(INFO, "port %u: port %u has the pair's MAC, but the %s sub-port is %s",
			   dev->data->port_id, port, path_name(path), state_name(state));
		return;
	}
	BYPASS_LOG(INFO, "port %u: taking port %u as the %s sub-port (%s)%s", dev->data->port_id,
		   port, path_name(path),
		   from_devargs ? "re-probed devargs" : "it has the pair's MAC",
		   wait ? ", once the one leaving is released" : "");
	if (!wait)
		post_attach(*this, path, port);
}

void BypassPort::on_removal_request(uint16_t port, Removal why)
{
	unsigned path = slot_of(*this, port);
	std::lock_guard<std::mutex> fp(fp_lock);
	for (unsigned p = 0; p < PATH_COUNT && path == PATH_NONE; p++) {
		if (sub[p].pending == port) {
			/* It never joined: let it go. */
			sub[p].pending = RTE_MAX_ETHPORTS;
			ctl.post([port] { close_port(port, AfterClose::remove_later); });
			return;
		}
	}
	if (path == PATH_NONE || sub[path].port.load() != port ||
	    sub[path].state.load() == SubState::LEAVING)
		return;
	leave_started_tsc.store(rte_get_tsc_cycles());
	set_state(*this, path, SubState::LEAVING);
	tx_path_refresh_locked(*this);
	BYPASS_LOG(INFO, "port %u: the %s sub-port %u is going away (%s)", dev->data->port_id,
		   path_name(path), port, removal_name(why));
	ctl.post([this, path, port, why] { release(*this, path, port, why); });
}

void BypassPort::on_port_destroyed(uint16_t port)
{
	const unsigned path = slot_of(*this, port);
	if (path == PATH_NONE) {
		std::lock_guard<std::mutex> fp(fp_lock);
		for (SubPort &s : sub) {
			if (s.pending == port)
				s.pending = RTE_MAX_ETHPORTS;
		}
		return;
	}
	SubPort &s = sub[path];
	/* A control-path call into the port ends first. */
	std::lock_guard<std::mutex> call(s.call);
	if (s.port.load() != port)
		return;
	leave_started_tsc.store(rte_get_tsc_cycles());
	detach_slot(*this, path, port, false, std::chrono::milliseconds(0));
	last_switch_us.store(us_since(leave_started_tsc.load()));
	ctl.post([this, path, port] { destroyed_followup(*this, path, port); });
}

void BypassPort::on_port_link(uint16_t port)
{
	if (slot_of(*this, port) == PATH_NONE)
		return;
	ctl.post([this] {
		std::lock_guard<std::mutex> lock(ctl_lock);
		link_refresh(*this);
	});
}

} // namespace bypass
