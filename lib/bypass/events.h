/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "control_thread.h"

namespace bypass {

/* Why a port is going away. A request (the PMD's RMV interrupt, the EAL
 * hot-plug monitor) arrives while the port still works, so its user can
 * switch away and release it safely; DESTROY arrives after the port's own
 * close freed its queues. */
enum class Removal {
	intr_rmv,   /* RTE_ETH_EVENT_INTR_RMV */
	dev_remove, /* RTE_DEV_EVENT_REMOVE */
	destroy,    /* RTE_ETH_EVENT_DESTROY: already gone */
};

const char *removal_name(Removal why);

/* What a failover driver registers with the framework, as in Linux's
 * failover_ops: the framework decides when, the driver decides what.
 * Handlers run on the thread that raised the event (often the EAL
 * interrupt thread, sometimes an application or probing thread): they must
 * be quick, must not block on the driver's control lock, and should post
 * real work to a ControlThread. */
class EventListener {
public:
	virtual ~EventListener() = default;
	virtual void on_port_new(uint16_t port) = 0;
	virtual void on_port_removal(uint16_t port, Removal why) = 0;
	virtual void on_port_link(uint16_t port) = 0;
};

/* Turns ethdev events (NEW, DESTROY, INTR_RMV, INTR_LSC, for every port)
 * and EAL device events (ADD, REMOVE) into calls on the registered
 * listeners. A device the EAL hot-plug monitor reports as added is probed
 * (on the hub's own control thread), so that its port raises NEW. Callbacks are registered with
 * DPDK while at least one listener exists. A listener's removal waits for any dispatch in progress,
 * so it can be destroyed right after. */
class EventHub {
public:
	static EventHub &instance();

	void add(EventListener *listener);
	void remove(EventListener *listener);

	/* Dispatch entry points, public for the C callbacks. */
	void port_new(uint16_t port);
	void port_removal(uint16_t port, Removal why);
	void port_link(uint16_t port);
	void device_removal(const char *device_name);
	void device_add(const char *device_name);

private:
	EventHub() = default;
	void register_callbacks();
	void unregister_callbacks();

	std::recursive_mutex lock_;
	std::vector<EventListener *> listeners_;
	bool monitor_started_ = false;
	ControlThread prober_;
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
