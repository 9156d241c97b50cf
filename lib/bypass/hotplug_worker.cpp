/* SPDX-License-Identifier: BSD-3-Clause */
#include "hotplug_worker.h"

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_errno.h>

#include <ethdev_driver.h>

#include "events.h"
#include "log.h"

namespace bypass {

namespace {

/* The probe the worker is running, on its thread. */
thread_local const void *probe_owner = nullptr;
thread_local unsigned probe_tag = 0;

} // namespace

HotplugWorker &HotplugWorker::instance()
{
	static HotplugWorker worker;
	return worker;
}

void HotplugWorker::post(ControlThread::Task task)
{
	post_after(std::chrono::microseconds(0), std::move(task));
}

void HotplugWorker::post_after(std::chrono::microseconds delay, ControlThread::Task task)
{
	if (thread_.start("bypass-hotplug") < 0) {
		BYPASS_LOG(ERR, "cannot start the hot-plug thread: running the job here");
		task();
		return;
	}
	thread_.post_after(delay, std::move(task));
}

namespace {

/* Whether a device of that name has ethdev ports: one created again under
 * the same name since its removal was asked for (a vdev plugged back, a
 * VF at the same address), which is somebody's, not to be removed. */
bool has_ports(const std::string &name)
{
	bool found = false;
	for (uint16_t p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS && !found;
	     p = rte_eth_find_next(p + 1)) {
		EventHub::instance().inspect(p, [&] {
			const rte_device *device = rte_eth_devices[p].device;
			found = device != nullptr && name == rte_dev_name(device);
		});
	}
	return found;
}

} // namespace

void HotplugWorker::remove_device(const std::string &bus, const std::string &name)
{
	post([bus, name] {
		if (has_ports(name))
			return;
		/* A vdev is found and removed under its bus's lock, which a
		 * concurrent removal by someone else cannot slip into, unlike
		 * rte_eal_hotplug_remove()'s find, then remove. -EINVAL,
		 * -ENOENT: gone already (removed by someone else, or with its
		 * last port). */
		const int ret = bus == "vdev" ? rte_vdev_uninit(name.c_str())
					      : rte_eal_hotplug_remove(bus.c_str(), name.c_str());
		if (ret < 0 && ret != -EINVAL && ret != -ENOENT)
			BYPASS_LOG(NOTICE, "device %s not removed: %s", name.c_str(),
				   rte_strerror(-ret));
	});
}

void HotplugWorker::probe(const std::string &devargs, const void *owner, unsigned tag,
			  std::shared_ptr<std::atomic<bool>> busy)
{
	if (busy)
		busy->store(true);
	post([devargs, owner, tag, busy] {
		probe_owner = owner;
		probe_tag = tag;
		const int ret = rte_dev_probe(devargs.c_str());
		probe_owner = nullptr;
		/* A hot-plugged device is news; a re-probe that fails again,
		 * every second, is not. */
		if (ret < 0 && ret != -EEXIST)
			rte_log(owner == nullptr ? RTE_LOG_INFO : RTE_LOG_DEBUG, logtype,
				"net_bypass: %s not probed: %s\n", devargs.c_str(),
				rte_strerror(-ret));
		if (busy)
			busy->store(false);
	});
}

namespace {
constexpr std::chrono::milliseconds ANNOUNCED_PROBE_EVERY{100};
}

void HotplugWorker::probe_announced(const std::string &name, std::chrono::milliseconds patience,
				   ProbeFn probe)
{
	post([this, name, patience, probe] {
		const int ret = probe(name.c_str());
		const bool not_yet = ret == -ENODEV || ret == -ENOTSUP;
		if (not_yet && patience > std::chrono::milliseconds(0)) {
			post_after(ANNOUNCED_PROBE_EVERY, [this, name, patience, probe] {
				probe_announced(name, patience - ANNOUNCED_PROBE_EVERY, probe);
			});
			return;
		}
		if (ret < 0 && ret != -EEXIST)
			rte_log(RTE_LOG_INFO, logtype, "net_bypass: %s not probed: %s%s\n",
				name.c_str(), rte_strerror(-ret),
				not_yet ? " (no driver DPDK can use holds it: is it on vfio-pci? "
					  "see dpdk-bypass-vf-bind)"
					: "");
	});
}

bool HotplugWorker::probing_for(const void *owner, unsigned &tag)
{
	if (owner == nullptr || probe_owner != owner)
		return false;
	tag = probe_tag;
	return true;
}

} // namespace bypass
