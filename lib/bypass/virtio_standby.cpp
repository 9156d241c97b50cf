/* SPDX-License-Identifier: BSD-3-Clause */
#include "virtio_standby.h"

namespace bypass {

namespace {

/* PCI and virtio 1.0 (section 4.1.4) layout. */
constexpr size_t PCI_STATUS = 0x06;
constexpr uint16_t PCI_STATUS_CAP_LIST = 0x10;
constexpr size_t PCI_CAPABILITY_LIST = 0x34;
constexpr uint8_t PCI_CAP_ID_VNDR = 0x09;
constexpr uint8_t VIRTIO_PCI_CAP_COMMON_CFG = 1;
constexpr size_t COMMON_DEVICE_FEATURE_SELECT = 0x00;
constexpr size_t COMMON_DEVICE_FEATURE = 0x04;
constexpr size_t COMMON_DRIVER_FEATURE_SELECT = 0x08;
constexpr size_t COMMON_DRIVER_FEATURE = 0x0c;
constexpr size_t COMMON_DEVICE_STATUS = 0x14;
constexpr unsigned MAX_CAPS = 48; /* a loop in a broken list ends here */

struct VirtioPciCap {
	uint8_t cap_vndr;
	uint8_t cap_next;
	uint8_t cap_len;
	uint8_t cfg_type;
	uint8_t bar;
	uint8_t padding[3];
	uint32_t offset; /* little-endian, as is x86 */
	uint32_t length;
};
static_assert(sizeof(VirtioPciCap) == 16, "virtio_pci_cap is 16 bytes");

struct Window {
	unsigned bar;
	uint32_t offset;
};

/* Where the common configuration structure is: the first vendor
 * capability of type VIRTIO_PCI_CAP_COMMON_CFG. */
std::optional<Window> common_cfg(const PciFunction &pci)
{
	uint16_t status = 0;
	if (!pci.read_config(&status, sizeof(status), PCI_STATUS) ||
	    !(status & PCI_STATUS_CAP_LIST))
		return std::nullopt;
	uint8_t pos = 0;
	if (!pci.read_config(&pos, sizeof(pos), PCI_CAPABILITY_LIST))
		return std::nullopt;
	for (unsigned n = 0; pos != 0 && n < MAX_CAPS; n++) {
		VirtioPciCap cap{};
		if (!pci.read_config(&cap, sizeof(cap), pos & ~3u))
			return std::nullopt;
		if (cap.cap_vndr == PCI_CAP_ID_VNDR && cap.cfg_type == VIRTIO_PCI_CAP_COMMON_CFG)
			return Window{cap.bar, cap.offset};
		pos = cap.cap_next;
	}
	return std::nullopt;
}

/* A 64-bit feature word read 32 bits at a time through its select register. */
std::optional<uint64_t> features(const PciFunction &pci, size_t select, size_t word)
{
	const auto cfg = common_cfg(pci);
	if (!cfg)
		return std::nullopt;
	uint64_t features = 0;
	for (uint32_t half = 0; half < 2; half++) {
		uint32_t value = 0;
		if (!pci.write32(cfg->bar, cfg->offset + select, half) ||
		    !pci.read32(cfg->bar, cfg->offset + word, value))
			return std::nullopt;
		features |= uint64_t(value) << (32 * half);
	}
	return features;
}

} // namespace

std::optional<uint64_t> virtio_pci_device_features(const PciFunction &pci)
{
	return features(pci, COMMON_DEVICE_FEATURE_SELECT, COMMON_DEVICE_FEATURE);
}

std::optional<uint64_t> virtio_pci_driver_features(const PciFunction &pci)
{
	return features(pci, COMMON_DRIVER_FEATURE_SELECT, COMMON_DRIVER_FEATURE);
}

std::optional<uint8_t> virtio_pci_device_status(const PciFunction &pci)
{
	const auto cfg = common_cfg(pci);
	uint32_t value = 0;
	/* device_status is the low byte of its little-endian dword. */
	if (!cfg || !pci.read32(cfg->bar, cfg->offset + COMMON_DEVICE_STATUS, value))
		return std::nullopt;
	return uint8_t(value);
}

} // namespace bypass
