/* SPDX-License-Identifier: BSD-3-Clause */
#include "bypass_standby.h"

#include <cinttypes>
#include <cstring>

#include "bypass/log.h"
#include "bypass_pci.h"
#include "bypass_private.h"
#include "virtio_pci_standby.h"
#include "virtio_user_standby.h"

namespace bypass {

namespace {

Standby prepare_pci(uint16_t port)
{
	rte_pci_device *pci = MappedPciFunction::of_port(port);
	if (pci == nullptr)
		return Standby::NOT_ASKED;
	const MappedPciFunction fn(pci);
	const auto device = virtio_pci_device_features(fn);
	const auto driver = virtio_pci_driver_features(fn);
	if (!device || !driver)
		return Standby::NOT_ASKED;
	return bypass_virtio_pci_standby_prepare(port, *device, *driver) == 1 ? Standby::PCI
									     : Standby::NOT_ASKED;
}

} // namespace

Standby standby_prepare(uint16_t port)
{
	const char *driver = driver_of(port);
	if (strcmp(driver, "net_virtio_user") == 0)
		return bypass_virtio_user_standby_prepare(port) == 1 ? Standby::USER
								     : Standby::NOT_ASKED;
	if (strcmp(driver, "net_virtio") == 0)
		return prepare_pci(port);
	return Standby::NOT_ASKED;
}

void standby_confirm(uint16_t bypass_port, uint16_t port, Standby how)
{
	if (how == Standby::USER) {
		if (bypass_virtio_user_standby_negotiated(port) == 1)
			BYPASS_LOG(INFO, "port %u: the virtio sub-port %u negotiated STANDBY",
				   bypass_port, port);
		return;
	}
	if (how != Standby::PCI)
		return;
	/* What the device holds, not what was meant to be written. */
	rte_pci_device *pci = MappedPciFunction::of_port(port);
	const MappedPciFunction fn(pci);
	const auto driver = virtio_pci_driver_features(fn);
	const auto status = virtio_pci_device_status(fn);
	if (driver && status && offers_standby(*driver) && (*status & VIRTIO_STATUS_FEATURES_OK))
		BYPASS_LOG(INFO,
			   "port %u: the virtio sub-port %u (%s) negotiated STANDBY: driver "
			   "features 0x%" PRIx64,
			   bypass_port, port, pci->name, *driver);
	else
		BYPASS_LOG(WARNING,
			   "port %u: the virtio sub-port %u (%s) did not take STANDBY (driver "
			   "features 0x%" PRIx64 ", status 0x%x): the hypervisor will not plug "
			   "the VF",
			   bypass_port, port, pci->name, driver.value_or(0), status.value_or(0));
}

} // namespace bypass
