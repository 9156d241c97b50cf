/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <rte_dev.h>

#include "control_thread.h"

namespace bypass {

/*
 * Where devices are probed and removed on a driver's behalf (a devargs
 * re-probe, the removal of a released sub-port's device, a hot-plugged PCI
 * device): one thread for the process, never joined by a port's close.
 *
 * Why not the port's control thread: probing or removing a vdev takes the
 * vdev bus lock, a spinlock, which an application thread holds while it
 * removes a vdev, the bypass port itself included; that thread then
 * stops and closes the bypass port, which takes ctl_lock and joins the
 * control thread. A control thread waiting for the bus lock would never
 * let it go. Jobs here hold no reference to a port: names and devargs
 * only, so a port may close while its jobs wait.
 */
class HotplugWorker {
public:
	static HotplugWorker &instance();

	/* Removes the device, if it is still there and has no port: one
	 * created again under the same name meanwhile is left alone. */
	void remove_device(const std::string &bus, const std::string &name);
	/* Probes `devargs` for `owner` (any key): during that probe,
	 * probing_for(owner) answers `tag` on the thread that raises NEW.
	 * `busy`, if given, is true from now until the probe returned. */
	void probe(const std::string &devargs, const void *owner, unsigned tag,
		   std::shared_ptr<std::atomic<bool>> busy = nullptr);
	/* Probes a device the kernel announced (hot-plugged PCI) with
	 * `probe` (rte_dev_probe). The kernel announces a device before udev
	 * (dpdk-bypass-vf-bind) hands it to vfio-pci, so one that is not
	 * there for DPDK yet (-ENODEV) or that no driver DPDK can use holds
	 * yet (-ENOTSUP: unbound, or on its kernel driver) is probed again
	 * every 100 ms for `patience`. */
	using ProbeFn = int (*)(const char *devargs);
	void probe_announced(const std::string &name, std::chrono::milliseconds patience,
			     ProbeFn probe = rte_dev_probe);
	/* Whether the calling thread is probing for `owner`, and its tag. */
	static bool probing_for(const void *owner, unsigned &tag);

private:
	HotplugWorker() = default;
	void post(ControlThread::Task task);
	void post_after(std::chrono::microseconds delay, ControlThread::Task task);

	ControlThread thread_;
};

} // namespace bypass
