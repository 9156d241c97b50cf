/* SPDX-License-Identifier: BSD-3-Clause */
#include "sub_device.h"

#include <bitset>
#include <cerrno>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <ethdev_driver.h>

#include "hotplug_worker.h"
#include "log.h"

namespace bypass {

namespace {

using PortSet = std::bitset<RTE_MAX_ETHPORTS>;

/* Every allocated port, owned or not: rte_eth_find_next ignores owners. */
PortSet valid_ports()
{
	PortSet set;
	for (uint16_t p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS; p = rte_eth_find_next(p + 1))
		set.set(p);
	return set;
}

/* Undoes an rte_dev_probe() whose outcome is unusable. */
void remove_probed(const std::string &spec)
{
	rte_devargs da{};
	if (rte_devargs_parse(&da, spec.c_str()) == 0) {
		rte_eal_hotplug_remove(rte_bus_name(da.bus), da.name);
		rte_devargs_reset(&da);
	}
}

} // namespace

int SubDevice::attach(const char *role, const std::string &spec)
{
	uint16_t port;
	if (rte_eth_dev_get_port_by_name(spec.c_str(), &port) == 0) {
		port_id_ = port;
		return 0;
	}

	/* Not a port name: treat it as devargs. A probe may create several
	 * ports (one per physical port of a device); exactly one must appear. */
	const PortSet before = valid_ports();
	int ret = rte_dev_probe(spec.c_str());
	if (ret < 0) {
		BYPASS_LOG(ERR, "%s=%s matches no port and cannot be probed (%s)", role,
			   spec.c_str(), rte_strerror(-ret));
		return ret == -EEXIST ? -EINVAL : ret;
	}
	const PortSet added = valid_ports() & ~before;
	if (added.count() != 1) {
		BYPASS_LOG(ERR, "%s=%s probed %zu ports, expected exactly one", role, spec.c_str(),
			   added.count());
		remove_probed(spec);
		return -EINVAL;
	}
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (added.test(p))
			port_id_ = p;
	}
	probed_here_ = true;
	return 0;
}

SubDevice::~SubDevice()
{
	if (attached() && probed_here_)
		close_port(port_id_, AfterClose::remove);
}

void close_port(uint16_t port, AfterClose after)
{
	rte_device *device = rte_eth_devices[port].device;
	const std::string bus = device != nullptr ? rte_bus_name(rte_dev_bus(device)) : "";
	const std::string name = device != nullptr ? rte_dev_name(device) : "";
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	if (device == nullptr)
		return;
	if (after == AfterClose::remove)
		rte_dev_remove(device);
	else if (after == AfterClose::remove_later)
		HotplugWorker::instance().remove_device(bus, name);
}

} // namespace bypass
