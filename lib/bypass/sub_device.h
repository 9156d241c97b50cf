/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>
#include <string>

#include <rte_ethdev.h>

namespace bypass {

/* The ethdev port behind a sub-device spec, while a driver's probe
 * resolves it: either the name of a port that already exists, or devargs
 * that are probed here (rte_dev_probe). A device probed here is removed
 * again when this object goes away unless it was handed over, so a failed
 * probe of the driver leaves nothing behind. */
class SubDevice {
public:
	SubDevice() = default;
	~SubDevice();
	SubDevice(const SubDevice &) = delete;
	SubDevice &operator=(const SubDevice &) = delete;

	/* Resolves `spec`; 0 on success, negative errno otherwise. `role` only
	 * names the spec in the log line ("backup", "active"). */
	int attach(const char *role, const std::string &spec);

	bool attached() const { return port_id_ != RTE_MAX_ETHPORTS; }
	uint16_t port_id() const { return port_id_; }
	bool probed_here() const { return probed_here_; }
	/* The caller owns the port from now on (see close_port()). */
	void hand_over() { port_id_ = RTE_MAX_ETHPORTS; }

private:
	uint16_t port_id_ = RTE_MAX_ETHPORTS;
	bool probed_here_ = false;
};

/* What becomes of a port's device once the port is closed. */
enum class AfterClose {
	keep,
	remove,	      /* at once, on this thread */
	remove_later, /* on the hot-plug thread (hotplug_worker.h): for
		       * threads that must not wait for the bus */
};

/* Stops and closes `port`, then does `after` with its device (a vdev port
 * is freed by its close, so the device is looked up first). */
void close_port(uint16_t port, AfterClose after);

} // namespace bypass
