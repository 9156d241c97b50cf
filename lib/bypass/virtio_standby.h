/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace bypass {

/* VIRTIO_NET_F_STANDBY: the device has a failover partner (the VF). */
constexpr unsigned VIRTIO_NET_F_STANDBY = 62;

/* A PCI function as far as reading a virtio device's features needs it:
 * its configuration space and 32-bit registers in its memory BARs. */
class PciFunction {
public:
	virtual ~PciFunction() = default;
	virtual bool read_config(void *buf, size_t len, size_t offset) const = 0;
	/* false when the BAR is not mapped or the offset outside it */
	virtual bool read32(unsigned bar, size_t offset, uint32_t &value) const = 0;
	virtual bool write32(unsigned bar, size_t offset, uint32_t value) const = 0;
};

/* The device feature bits of a modern (virtio 1.0) virtio-pci device,
 * from its common configuration structure (vendor capability
 * VIRTIO_PCI_CAP_COMMON_CFG): device_feature_select, then device_feature,
 * for each 32-bit half. Nothing for a device without that capability. */
std::optional<uint64_t> virtio_pci_device_features(const PciFunction &pci);
/* What the driver wrote into driver_feature, the same way. */
std::optional<uint64_t> virtio_pci_driver_features(const PciFunction &pci);
/* device_status: FEATURES_OK (8) once the device accepted the features. */
std::optional<uint8_t> virtio_pci_device_status(const PciFunction &pci);
constexpr uint8_t VIRTIO_STATUS_FEATURES_OK = 8;

inline bool offers_standby(uint64_t features)
{
	return (features >> VIRTIO_NET_F_STANDBY) & 1;
}

} // namespace bypass
