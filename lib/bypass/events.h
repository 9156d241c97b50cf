/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <bitset>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>

#include <rte_ethdev.h>

namespace bypass {

/* Why a port is asked to go. A request (the PMD's RMV interrupt, the EAL
 * hot-plug monitor) arrives while the port still works, so its user can
 * switch away and release it; DESTROY is not a request (see
 * on_port_destroyed). */
enum class Removal {
	intr_rmv,   /* RTE_ETH_EVENT_INTR_RMV */
	dev_remove, /* RTE_DEV_EVENT_REMOVE */
	recovery_failed, /* RTE_ETH_EVENT_RECOVERY_FAILED: the port is dead */
};

const char *removal_name(Removal why);

/* A port that lost its state and must be set up again, or is being
 * recovered by its PMD: it stays, but is unusable meanwhile. */
enum class Recovery {
	reset,	    /* RTE_ETH_EVENT_INTR_RESET: the PF reset the VF, or changed
		     * its MAC, VLAN or trust; rte_eth_dev_reset() is due */
	recovering, /* RTE_ETH_EVENT_ERR_RECOVERING: the PMD recovers by
		     * itself; no control call until it is done */
	recovered,  /* RTE_ETH_EVENT_RECOVERY_SUCCESS */
	failed,	    /* RTE_ETH_EVENT_RECOVERY_FAILED: the port is dead */
};

const char *recovery_name(Recovery what);

/* What a failover driver registers with the framework, as in Linux's
 * failover_ops: the framework decides when, the driver decides what.
 *
 * Every handler runs on the thread that raised the event: the EAL
 * interrupt thread, an application thread, or a control thread probing or
 * closing a port. Handlers run concurrently with each other; none may
 * raise an event itself or take a lock held across a call into ethdev. */
class EventListener {
public:
	virtual ~EventListener() = default;
	/* RTE_ETH_EVENT_NEW: the port is allocated, not yet usable (ethdev
	 * marks it attached after this returns); ownership taken here keeps
	 * it from the application. Must not block. */
	virtual void on_port_new(uint16_t port) = 0;
	/* A removal request. Must not block: post the release. */
	virtual void on_removal_request(uint16_t port, Removal why) = 0;
	/* RTE_ETH_EVENT_DESTROY: ethdev frees the port's data, and with most
	 * PMDs its queues, as soon as this returns. May block until nothing
	 * of the listener's uses the port any more (bursts included), never
	 * on a thread that could be the one closing the port. */
	virtual void on_port_destroyed(uint16_t port) = 0;
	/* RTE_ETH_EVENT_INTR_LSC. Must not block. */
	virtual void on_port_link(uint16_t port) = 0;
	/* A reset or recovery event, raised by the PMD on its interrupt or
	 * recovery thread. Must not block. Optional. */
	virtual void on_port_recovery(uint16_t /* port */, Recovery /* what */) {}
};

/* Turns ethdev events (NEW, DESTROY, INTR_RMV, INTR_LSC, INTR_RESET and
 * the recovery events, for every port)
 * and EAL device events (ADD, REMOVE) into calls on the registered
 * listeners. A device the EAL hot-plug monitor reports as added is probed
 * on the hot-plug thread (hotplug_worker.h), if the application's allow and
 * block lists let it (hotplug_policy.h), so that its port raises NEW. Callbacks
 * are registered with DPDK while at least one listener exists.
 *
 * Locks: lock_ guards the listener list and ports_lock_ the `going` set;
 * neither is held while a listener runs, nor while calling into ethdev,
 * so they come last in any lock order. */
class EventHub {
public:
	static EventHub &instance();

	void add(EventListener *listener);
	/* Returns once no handler of `listener` runs any more, so that it can
	 * be destroyed right after; must not be called from one of its own
	 * handlers. */
	void remove(EventListener *listener);

	/* Runs `look` on port `port` unless the port is being destroyed:
	 * ethdev cannot free the port's data while `look` runs (the hub's
	 * DESTROY waits), so `look` may read rte_eth_devices[port].data of a
	 * port that is not the caller's (its MAC, its driver). `look` must
	 * only read: no ethdev call that could wait or raise an event. Returns
	 * false if `port` is not an attached port. */
	bool inspect(uint16_t port, const std::function<void()> &look);

	/* Dispatch entry points, public for the C callbacks. */
	void port_new(uint16_t port);
	void removal_request(uint16_t port, Removal why);
	void port_destroyed(uint16_t port);
	void port_link(uint16_t port);
	void port_recovery(uint16_t port, Recovery what);
	void device_removal(const char *device_name);
	void device_add(const char *device_name);

private:
	struct Slot {
		EventListener *listener;
		unsigned running = 0; /* handlers in progress */
		bool removed = false;
	};

	EventHub() = default;
	template <typename Call> void dispatch(Call &&call);
	void register_callbacks();
	void unregister_callbacks();

	std::mutex lock_;
	std::condition_variable idle_;
	std::list<Slot> slots_; /* stable addresses while dispatching */
	bool monitor_started_ = false;

	std::mutex ports_lock_;
	std::bitset<RTE_MAX_ETHPORTS> going_;
};

/* RAII registration of a listener. */
class EventSubscription {
public:
	explicit EventSubscription(EventListener *l) : listener_(l) { EventHub::instance().add(l); }
	~EventSubscription() { EventHub::instance().remove(listener_); }
	EventSubscription(const EventSubscription &) = delete;
	EventSubscription &operator=(const EventSubscription &) = delete;

private:
	EventListener *listener_;
};

} // namespace bypass
