/* SPDX-License-Identifier: BSD-3-Clause */
/* The sub-port state machine: every state change goes through set_state(),
 * which refuses a transition the diagram in bypass_private.h does not
 * have, so a path through the code that would, say, start a LEAVING port
 * shows up as a log line instead of as a use after free later. */
#include <cassert>

#include "bypass/log.h"
#include "bypass_private.h"

namespace bypass {

const char *state_name(SubState s)
{
	switch (s) {
	case SubState::EMPTY:
		return "empty";
	case SubState::CLAIMED:
		return "claimed";
	case SubState::READY:
		return "ready";
	case SubState::STARTED:
		return "started";
	case SubState::GIVEN_UP:
		return "given up";
	case SubState::LEAVING:
		return "leaving";
	case SubState::RESETTING:
		return "resetting";
	}
	return "?";
}

namespace {

bool allowed(SubState from, SubState to)
{
	using S = SubState;
	switch (to) {
	case S::EMPTY:
		return from != S::EMPTY;
	case S::CLAIMED: /* attached again: a reconfigure let a given-up port try
			  * again, or a reset port is set up anew */
		return from == S::EMPTY || from == S::GIVEN_UP || from == S::RESETTING;
	case S::READY:
		return from == S::CLAIMED || from == S::STARTED;
	case S::STARTED:
		return from == S::READY;
	case S::GIVEN_UP:
		return from == S::CLAIMED;
	case S::LEAVING:
		return from != S::EMPTY && from != S::LEAVING;
	case S::RESETTING:
		return from == S::CLAIMED || from == S::READY || from == S::STARTED;
	}
	return false;
}

} // namespace

void set_state(BypassPort &bp, unsigned path, SubState to)
{
	SubPort &sub = bp.sub[path];
	const SubState from = sub.state.load();
	if (!allowed(from, to)) {
		BYPASS_LOG(ERR, "port %u: %s sub-port %u: no transition %s -> %s (ignored)",
			   bp.dev->data->port_id, path_name(path), sub.port.load(),
			   state_name(from), state_name(to));
		assert(!"sub-port state transition not in the diagram");
		return;
	}
	sub.state.store(to);
	BYPASS_LOG(DEBUG, "port %u: %s sub-port %u: %s -> %s", bp.dev->data->port_id,
		   path_name(path), sub.port.load(), state_name(from), state_name(to));
}

void fill_slot(BypassPort &bp, unsigned path, uint16_t port)
{
	SubPort &sub = bp.sub[path];
	sub.port.store(port);
	set_state(bp, path, SubState::CLAIMED);
	filters_forget(bp, path);
}

void empty_slot(BypassPort &bp, unsigned path)
{
	SubPort &sub = bp.sub[path];
	queues_unbind(bp, path);
	set_state(bp, path, SubState::EMPTY);
	sub.port.store(RTE_MAX_ETHPORTS);
	sub.link_up.store(false);
}

bool takes_settings(const SubPort &sub)
{
	const SubState s = sub.state.load();
	return s == SubState::READY || s == SubState::STARTED;
}

namespace {

void rx_path_set(BypassPort &bp, unsigned path, bool on)
{
	const uint8_t bit = 1u << path;
	const uint8_t paths = bp.fast.rx_paths.load(std::memory_order_relaxed);
	bp.fast.rx_paths.store(on ? paths | bit : paths & ~bit, std::memory_order_release);
	queues_publish_paths(bp);
}

} // namespace

void suspend_locked(BypassPort &bp, unsigned path)
{
	set_state(bp, path, SubState::RESETTING);
	rx_path_set(bp, path, false);
	tx_path_refresh_locked(bp);
}

int start_sub(BypassPort &bp, unsigned path)
{
	SubPort &sub = bp.sub[path];
	std::lock_guard<std::mutex> call(sub.call);
	const uint16_t port = sub.port.load();
	if (port == RTE_MAX_ETHPORTS || sub.state.load() != SubState::READY)
		return -ENODEV;
	int ret = rte_eth_dev_start(port);
	if (ret < 0)
		return ret;
	if (!bp.journal.link_admin_up() && (ret = rte_eth_dev_set_link_down(port)) < 0 &&
	    ret != -ENOTSUP)
		BYPASS_LOG(WARNING, "port %u: cannot set the link of sub-port %u down: %s",
			   bp.dev->data->port_id, port, rte_strerror(-ret));
	std::lock_guard<std::mutex> fp(bp.fp_lock);
	if (sub.state.load() != SubState::READY)
		return -EAGAIN; /* an event took it meanwhile: its task follows */
	queues_bind(bp, path, port);
	set_state(bp, path, SubState::STARTED);
	rx_path_set(bp, path, true);
	return 0;
}

void stop_sub(BypassPort &bp, unsigned path, std::chrono::milliseconds bound)
{
	SubPort &sub = bp.sub[path];
	uint16_t port;
	{
		std::lock_guard<std::mutex> call(sub.call);
		port = sub.port.load();
		{
			std::lock_guard<std::mutex> fp(bp.fp_lock);
			if (port == RTE_MAX_ETHPORTS || sub.state.load() != SubState::STARTED)
				return;
			rx_path_set(bp, path, false);
			set_state(bp, path, SubState::READY);
			tx_path_refresh_locked(bp);
		}
		if (!queues_quiesce(bp, bound))
			BYPASS_LOG(WARNING,
				   "port %u: stopped while a queue was still in a burst after %lld "
				   "ms",
				   bp.dev->data->port_id, static_cast<long long>(bound.count()));
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		queues_unbind(bp, path);
	}
	/* Not under the call lock: see bypass_private.h. */
	const int ret = rte_eth_dev_stop(port);
	if (ret < 0)
		BYPASS_LOG(WARNING, "port %u: cannot stop the %s sub-port %u: %s",
			   bp.dev->data->port_id, path_name(path), port, rte_strerror(-ret));
}

bool detach_slot(BypassPort &bp, unsigned path, uint16_t port, bool readable,
		 std::chrono::milliseconds bound)
{
	SubPort &sub = bp.sub[path];
	{
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		if (sub.port.load() != port)
			return true;
		/* Leaving: no tx refresh on another thread picks it again, no
		 * start binds it, while the bursts are waited for below. */
		if (sub.state.load() != SubState::LEAVING)
			set_state(bp, path, SubState::LEAVING);
		rx_path_set(bp, path, false);
		tx_path_refresh_locked(bp);
	}
	if (bound.count() == 0) {
		/* ethdev frees the port when we return: wait as long as it
		 * takes (a process that died in a burst is not waited for),
		 * saying so. */
		while (!queues_quiesce(bp, std::chrono::milliseconds(500)))
			BYPASS_LOG(WARNING,
				   "port %u: sub-port %u destroyed while a queue is in a burst on "
				   "it: waiting",
				   bp.dev->data->port_id, port);
	} else if (!queues_quiesce(bp, bound)) {
		return false;
	}
	/* No burst uses it now; its last counters, read outside fp_lock. */
	compat::PortStats now{};
	const bool fresh = readable && compat::port_stats_get(port, now) == 0;
	counters_leave(bp, path, fresh ? &now : nullptr);
	std::lock_guard<std::mutex> fp(bp.fp_lock);
	empty_slot(bp, path);
	tx_path_refresh_locked(bp); /* the reason, now that it is gone */
	return true;
}

uint16_t take_out(BypassPort &bp, unsigned path)
{
	SubPort &sub = bp.sub[path];
	std::lock_guard<std::mutex> call(sub.call);
	const uint16_t port = sub.port.load();
	if (port == RTE_MAX_ETHPORTS)
		return port;
	detach_slot(bp, path, port, true, std::chrono::milliseconds(0));
	return port;
}

} // namespace bypass
