/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>
#include <string>

#include <rte_ethdev.h>

namespace bypass {

/* The ethdev port behind a sub-device spec: either the name of a port that
 * already exists, or devargs that are probed here (rte_dev_probe). A device
 * probed here is removed again when this object goes away, so a failed
 * probe of the bypass port leaves nothing behind. */
class SubDevice {
public:
	SubDevice() = default;
	~SubDevice() { detach(); }
	SubDevice(const SubDevice &) = delete;
	SubDevice &operator=(const SubDevice &) = delete;

	/* Resolves `spec`; 0 on success, negative errno otherwise. `role` only
	 * names the spec in the log line ("backup", "active"). */
	int attach(const char *role, const std::string &spec);
	/* Takes over a port found some other way (a NEW event). */
	void adopt(uint16_t port, bool probed_here)
	{
		detach();
		port_id_ = port;
		probed_here_ = probed_here;
	}
	/* Forgets the port; removes the device if it was probed here. */
	void detach();
	/* Stops and closes the port, and removes its device when it is going
	 * away (remove_device) or was probed here. */
	void release(bool remove_device);
	/* Forgets the port without touching it (it is gone already). */
	void forget()
	{
		port_id_ = RTE_MAX_ETHPORTS;
		probed_here_ = false;
	}

	bool attached() const { return port_id_ != RTE_MAX_ETHPORTS; }
	uint16_t port_id() const { return port_id_; }
	bool probed_here() const { return probed_here_; }

private:
	uint16_t port_id_ = RTE_MAX_ETHPORTS;
	bool probed_here_ = false;
};

} // namespace bypass
