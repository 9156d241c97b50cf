/* SPDX-License-Identifier: BSD-3-Clause */
#include "hotplug_policy.h"

#include <bus_driver.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_pci.h>

namespace bypass {

namespace {

const rte_devargs *pci_devargs_of(const rte_pci_addr &addr)
{
	rte_devargs *da;
	RTE_EAL_DEVARGS_FOREACH("pci", da)
	{
		rte_pci_addr other;
		if (rte_pci_addr_parse(da->name, &other) == 0 &&
		    rte_pci_addr_cmp(&addr, &other) == 0)
			return da;
	}
	return nullptr;
}

} // namespace

bool hotplug_probe_allowed(const std::string &device_name, std::string &why)
{
	rte_pci_addr addr;
	const rte_bus *pci = rte_bus_find_by_name("pci");
	if (rte_pci_addr_parse(device_name.c_str(), &addr) != 0 || pci == nullptr) {
		why = "not a PCI device";
		return false;
	}
	if (!rte_eal_has_pci()) {
		why = "the process runs with --no-pci";
		return false;
	}
	const rte_devargs *da = pci_devargs_of(addr);
	switch (pci->conf.scan_mode) {
	case RTE_BUS_SCAN_ALLOWLIST:
		if (da != nullptr && da->policy == RTE_DEV_ALLOWED)
			return true;
		why = "not in the application's allow list (-a)";
		return false;
	case RTE_BUS_SCAN_UNDEFINED:
	case RTE_BUS_SCAN_BLOCKLIST:
		if (da == nullptr || da->policy != RTE_DEV_BLOCKED)
			return true;
		why = "in the application's block list (-b)";
		return false;
	}
	why = "unknown PCI scan mode";
	return false;
}

} // namespace bypass
