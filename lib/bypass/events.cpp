/* SPDX-License-Identifier: BSD-3-Clause */
#include "events.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <ethdev_driver.h>
#include <rte_dev.h>

#include "hotplug_policy.h"
#include "hotplug_worker.h"
#include "log.h"

namespace bypass {

const char *removal_name(Removal why)
{
	switch (why) {
	case Removal::intr_rmv:
		return "RMV interrupt";
	case Removal::dev_remove:
		return "device removal";
	case Removal::recovery_failed:
		return "recovery failure";
	}
	return "?";
}

const char *recovery_name(Recovery what)
{
	switch (what) {
	case Recovery::reset:
		return "reset";
	case Recovery::recovering:
		return "error recovery";
	case Recovery::recovered:
		return "recovery success";
	case Recovery::failed:
		return "recovery failure";
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
		hub.removal_request(port, Removal::intr_rmv);
		break;
	case RTE_ETH_EVENT_DESTROY:
		hub.port_destroyed(port);
		break;
	case RTE_ETH_EVENT_INTR_LSC:
		hub.port_link(port);
		break;
	case RTE_ETH_EVENT_INTR_RESET:
		hub.port_recovery(port, Recovery::reset);
		break;
	case RTE_ETH_EVENT_ERR_RECOVERING:
		hub.port_recovery(port, Recovery::recovering);
		break;
	case RTE_ETH_EVENT_RECOVERY_SUCCESS:
		hub.port_recovery(port, Recovery::recovered);
		break;
	case RTE_ETH_EVENT_RECOVERY_FAILED:
		hub.port_recovery(port, Recovery::failed);
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

constexpr rte_eth_event_type ETH_EVENTS[] = {
    RTE_ETH_EVENT_NEW,		   RTE_ETH_EVENT_INTR_RMV,	   RTE_ETH_EVENT_DESTROY,
    RTE_ETH_EVENT_INTR_LSC,	   RTE_ETH_EVENT_INTR_RESET,	   RTE_ETH_EVENT_ERR_RECOVERING,
    RTE_ETH_EVENT_RECOVERY_SUCCESS, RTE_ETH_EVENT_RECOVERY_FAILED};

} // namespace

EventHub &EventHub::instance()
{
	static EventHub hub;
	return hub;
}

void EventHub::add(EventListener *listener)
{
	std::lock_guard<std::mutex> guard(lock_);
	if (slots_.empty())
		register_callbacks();
	slots_.push_back(Slot{listener});
}

void EventHub::remove(EventListener *listener)
{
	std::unique_lock<std::mutex> guard(lock_);
	auto slot = std::find_if(slots_.begin(), slots_.end(),
				 [&](const Slot &s) { return s.listener == listener; });
	if (slot == slots_.end())
		return;
	slot->removed = true;
	idle_.wait(guard, [&] { return slot->running == 0; });
	slots_.erase(slot);
	if (slots_.empty())
		unregister_callbacks();
}

/* Calls `call` on every listener, with no lock held while it runs: a
 * DESTROY handler may wait for the port's bursts while other events are
 * dispatched on other threads. */
template <typename Call> void EventHub::dispatch(Call &&call)
{
	std::vector<Slot *> now;
	{
		std::lock_guard<std::mutex> guard(lock_);
		for (Slot &s : slots_) {
			if (!s.removed) {
				s.running++;
				now.push_back(&s);
			}
		}
	}
	for (Slot *s : now)
		call(*s->listener);
	std::lock_guard<std::mutex> guard(lock_);
	for (Slot *s : now) {
		if (--s->running == 0 && s->removed)
			idle_.notify_all();
	}
}

void EventHub::register_callbacks()
{
	{
		/* Ids destroyed while nobody listened may be in use again. */
		std::lock_guard<std::mutex> guard(ports_lock_);
		going_.reset();
	}
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
	/* -EAGAIN while our callback runs on another thread: with no
	 * listener left it returns at once. */
	for (rte_eth_event_type type : ETH_EVENTS) {
		while (rte_eth_dev_callback_unregister(RTE_ETH_ALL, type, on_eth_event, nullptr) ==
		       -EAGAIN)
			std::this_thread::yield();
	}
	while (rte_dev_event_callback_unregister(nullptr, on_dev_event, nullptr) == -EAGAIN)
		std::this_thread::yield();
	if (monitor_started_) {
		rte_dev_event_monitor_stop();
		monitor_started_ = false;
	}
}

bool EventHub::inspect(uint16_t port, const std::function<void()> &look)
{
	if (port >= RTE_MAX_ETHPORTS)
		return false;
	std::lock_guard<std::mutex> guard(ports_lock_);
	if (going_.test(port) || rte_eth_devices[port].state != RTE_ETH_DEV_ATTACHED)
		return false;
	look();
	return true;
}

void EventHub::port_new(uint16_t port)
{
	{
		/* The id of a destroyed port, reused. */
		std::lock_guard<std::mutex> guard(ports_lock_);
		going_.reset(port);
	}
	dispatch([&](EventListener &l) { l.on_port_new(port); });
}

void EventHub::removal_request(uint16_t port, Removal why)
{
	dispatch([&](EventListener &l) { l.on_removal_request(port, why); });
}

void EventHub::port_destroyed(uint16_t port)
{
	{
		/* Waits for any inspect() of the port; ethdev frees it after
		 * we return. */
		std::lock_guard<std::mutex> guard(ports_lock_);
		going_.set(port);
	}
	dispatch([&](EventListener &l) { l.on_port_destroyed(port); });
}

void EventHub::port_link(uint16_t port)
{
	dispatch([&](EventListener &l) { l.on_port_link(port); });
}

void EventHub::port_recovery(uint16_t port, Recovery what)
{
	dispatch([&](EventListener &l) { l.on_port_recovery(port, what); });
}

void EventHub::device_removal(const char *device_name)
{
	/* The name may belong to the device itself, which a listener's
	 * release can free while we still look for its other ports. */
	const std::string name(device_name);
	std::vector<uint16_t> ports;
	for (uint16_t p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS;
	     p = rte_eth_find_next(p + 1)) {
		inspect(p, [&] {
			const rte_device *device = rte_eth_devices[p].device;
			if (device != nullptr && name == rte_dev_name(device))
				ports.push_back(p);
		});
	}
	for (uint16_t p : ports)
		removal_request(p, Removal::dev_remove);
}

void EventHub::device_add(const char *device_name)
{
	std::string why;
	if (!hotplug_probe_allowed(device_name, why)) {
		BYPASS_LOG(INFO, "hot-plugged device %s not probed: %s", device_name, why.c_str());
		return;
	}
	{
		std::lock_guard<std::mutex> guard(lock_);
		if (slots_.empty())
			return;
	}
	/* A port it creates raises NEW, which the listeners see. udev may
	 * still be handing the device to vfio-pci: a few seconds' patience. */
	HotplugWorker::instance().probe_announced(device_name, std::chrono::seconds(5));
}

} // namespace bypass
