/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <bus_pci_driver.h>

#include "bypass/virtio_standby.h"

namespace bypass {

/* A PCI port's function as its PMD mapped it: configuration space through
 * the PCI bus, registers through the BARs the PMD has mapped. */
class MappedPciFunction : public PciFunction {
public:
	explicit MappedPciFunction(rte_pci_device *dev) : dev_(dev) {}
	/* The port's PCI function, or nullptr for a port not on the PCI bus. */
	static rte_pci_device *of_port(uint16_t port);

	bool read_config(void *buf, size_t len, size_t offset) const override;
	bool read32(unsigned bar, size_t offset, uint32_t &value) const override;
	bool write32(unsigned bar, size_t offset, uint32_t value) const override;

private:
	volatile uint32_t *reg32(unsigned bar, size_t offset) const;

	rte_pci_device *dev_;
};

} // namespace bypass
