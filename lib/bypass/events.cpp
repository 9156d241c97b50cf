/* SPDX-License-Identifier: BSD-3-Clause */
#include "events.h"

#include <algorithm>
#include <string>

#include <rte_dev.h>
#include <ethdev_driver.h>
#include <rte_ethdev.h>

#include "log.h"

namespace bypass {

const char *removal_name(Removal why)
{
	switch (why) {
	case Removal::intr_rmv:
		return "RMV interrupt";
	case Removal::dev_remove:
		return "device removal";
	case Removal::destroy:
		return "port destroyed";
	}
	return "?";
}

namespace {

int on_eth_event(uint16_t port, rte_eth_event_type type, void *, void *) noexcept
{
	EventHub &hub = EventHub::instance();
	switch (type) {
	case RTE_ETH_EVENT_NEW:
		hub.port_new(port);
		break;
	case RTE_ETH_EVENT_INTR_RMV:
		hub.port_removal(port, Removal::intr_rmv);
		break;
	case RTE_ETH_EVENT_DESTROY:
		hub.port_removal(port, Removal::destroy);
		break;
	case RTE_ETH_EVENT_INTR_LSC:
		hub.port_link(port);
		break;
	default:
		break;
	}
	return 0;
}

void on_dev_event(const char *device_name, rte_dev_event_type type, void *) noexcept
{
	if (type == RTE_DEV_EVENT_REMOVE)
		EventHub::instance().device_removal(device_name);
	else if (type == RTE_DEV_EVENT_ADD)
		EventHub::instance().device_add(device_name);
}

constexpr rte_eth_event_type ETH_EVENTS[] = {RTE_ETH_EVENT_NEW, RTE_ETH_EVENT_INTR_RMV,
					     RTE_ETH_EVENT_DESTROY, RTE_ETH_EVENT_INTR_LSC};

} // namespace

EventHub &EventHub::instance()
{
	static EventHub hub;
	return hub;
}

void EventHub::add(EventListener *listener)
{
	std::lock_guard<std::recursive_mutex> guard(lock_);
	if (listeners_.empty())
		register_callbacks();
	listeners_.push_back(listener);
}

void EventHub::remove(EventListener *listener)
{
	std::lock_guard<std::recursive_mutex> guard(lock_);
	listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), listener),
			 listeners_.end());
	if (listeners_.empty())
		unregister_callbacks();
}

void EventHub::register_callbacks()
{
	for (rte_eth_event_type type : ETH_EVENTS)
		rte_eth_dev_callback_register(RTE_ETH_ALL, type, on_eth_event, nullptr);
	rte_dev_event_callback_register(nullptr, on_dev_event, nullptr);
	/* The uevent monitor reports PCI hot-plug (vfio/uio devices); it
	 * needs privileges some deployments lack, which only costs that path. */
	if (!monitor_started_) {
		monitor_started_ = rte_dev_event_monitor_start() == 0;
		if (!monitor_started_)
			BYPASS_LOG(NOTICE, "EAL device event monitor unavailable: PCI hot-plug "
					   "is seen through ethdev events only");
	}
}

void EventHub::unregister_callbacks()
{
	for (rte_eth_event_type type : ETH_EVENTS)
		rte_eth_dev_callback_unregister(RTE_ETH_ALL, type, on_eth_event, nullptr);
	/* -EAGAIN while our callback runs on another thread: it cannot, the
	 * dispatch holds lock_, which we hold too. */
	rte_dev_event_callback_unregister(nullptr, on_dev_event, nullptr);
	if (monitor_started_) {
		rte_dev_event_monitor_stop();
		monitor_started_ = false;
	}
}

void EventHub::port_new(uint16_t port)
{
	std::lock_guard<std::recursive_mutex> guard(lock_);
	for (EventListener *l : std::vector<EventListener *>(listeners_))
		l->on_port_new(port);
}

void EventHub::port_removal(uint16_t port, Removal why)
{
	std::lock_guard<std::recursive_mutex> guard(lock_);
	for (EventListener *l : std::vector<EventListener *>(listeners_))
		l->on_port_removal(port, why);
}

void EventHub::port_link(uint16_t port)
{
	std::lock_guard<std::recursive_mutex> guard(lock_);
	for (EventListener *l : std::vector<EventListener *>(listeners_))
		l->on_port_link(port);
}

void EventHub::device_removal(const char *device_name)
{
	/* The name may belong to the device itself, which a listener's
	 * release can free while we still look for its other ports. */
	const std::string name(device_name);
	/* The device's ports, read from ethdev's data: asking the drivers
	 * (rte_eth_dev_info_get) could wait on a driver's own lock, held by a
	 * thread that is about to raise an event and wait for ours. */
	for (uint16_t p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS;
	     p = rte_eth_find_next(p + 1)) {
		const rte_device *device = rte_eth_devices[p].device;
		if (device != nullptr && name == rte_dev_name(device))
			port_removal(p, Removal::dev_remove);
	}
}

void EventHub::device_add(const char *device_name)
{
	std::lock_guard<std::recursive_mutex> guard(lock_);
	if (listeners_.empty() || prober_.start("bypass-probe") < 0)
		return;
	prober_.post([name = std::string(device_name)] {
		const int ret = rte_dev_probe(name.c_str());
		if (ret < 0 && ret != -EEXIST)
			BYPASS_LOG(INFO, "hot-plugged device %s not probed: %s", name.c_str(),
				   rte_strerror(-ret));
	});
}

} // namespace bypass
