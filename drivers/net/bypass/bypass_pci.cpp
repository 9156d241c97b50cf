/* SPDX-License-Identifier: BSD-3-Clause */
#include "bypass_pci.h"

#include <cstring>

#include <ethdev_driver.h>
#include <rte_bus.h>

namespace bypass {

rte_pci_device *MappedPciFunction::of_port(uint16_t port)
{
	rte_device *dev = rte_eth_devices[port].device;
	if (dev == nullptr || dev->bus == nullptr || strcmp(rte_bus_name(dev->bus), "pci") != 0)
		return nullptr;
	return RTE_DEV_TO_PCI(dev);
}

bool MappedPciFunction::read_config(void *buf, size_t len, size_t offset) const
{
	return rte_pci_read_config(dev_, buf, len, offset) == static_cast<int>(len);
}

bool MappedPciFunction::read32(unsigned bar, size_t offset, uint32_t &value) const
{
	volatile uint32_t *reg = reg32(bar, offset);
	if (reg == nullptr)
		return false;
	value = *reg;
	return true;
}

bool MappedPciFunction::write32(unsigned bar, size_t offset, uint32_t value) const
{
	volatile uint32_t *reg = reg32(bar, offset);
	if (reg == nullptr)
		return false;
	*reg = value;
	return true;
}

volatile uint32_t *MappedPciFunction::reg32(unsigned bar, size_t offset) const
{
	if (bar >= PCI_MAX_RESOURCE || dev_->mem_resource[bar].addr == nullptr ||
	    offset + 4 > dev_->mem_resource[bar].len)
		return nullptr;
	return reinterpret_cast<volatile uint32_t *>(
	    static_cast<uint8_t *>(dev_->mem_resource[bar].addr) + offset);
}

} // namespace bypass
