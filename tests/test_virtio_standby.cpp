/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading VIRTIO_NET_F_STANDBY from a virtio-pci device's common
 * configuration, on a synthetic device: a configuration space with a
 * capability list, and a BAR whose device_feature register answers for
 * the half selected in device_feature_select, as a real device does. */
#include <array>
#include <cstring>
#include <map>

#include <gtest/gtest.h>

#include "bypass/virtio_standby.h"

using namespace bypass;

namespace {

class FakeVirtioPci : public PciFunction {
public:
	explicit FakeVirtioPci(uint64_t features) : features_(features)
	{
		put16(0x06, 0x10);			 /* status: capability list */
		config_[0x34] = 0x40;			 /* first capability */
		add_cap(0x40, 0x09, 0x50, 4, 2, 0x1000); /* notify cfg (type 2) */
		add_cap(0x50, 0x09, 0x00, 4, 1, 0x0);	 /* common cfg (type 1), BAR 4 */
	}

	bool read_config(void *buf, size_t len, size_t offset) const override
	{
		if (offset + len > config_.size())
			return false;
		memcpy(buf, config_.data() + offset, len);
		return true;
	}
	bool read32(unsigned bar, size_t offset, uint32_t &value) const override
	{
		if (bar != 4)
			return false;
		if (offset == 0x04)
			value = uint32_t(features_ >> (32 * select_));
		else if (offset == 0x0c)
			value = driver_[driver_select_ & 1];
		else
			value = offset == 0x14 ? 0x0b0b0000u | status_ : 0;
		return true;
	}
	bool write32(unsigned bar, size_t offset, uint32_t value) const override
	{
		if (bar != 4)
			return false;
		if (offset == 0x00)
			select_ = value;
		else if (offset == 0x08)
			driver_select_ = value;
		else if (offset == 0x0c)
			driver_[driver_select_ & 1] = value;
		return true;
	}
	/* What a driver does: write both halves, then set FEATURES_OK. */
	void negotiate(uint64_t features)
	{
		for (uint32_t half = 0; half < 2; half++) {
			write32(4, 0x08, half);
			write32(4, 0x0c, uint32_t(features >> (32 * half)));
		}
		status_ = 0x0b; /* ACKNOWLEDGE | DRIVER | FEATURES_OK */
	}

	void break_list() { config_[0x51] = 0x40; } /* common -> notify -> common ... */
	void remove_common() { config_[0x53] = 3; }
	void clear_cap_list_bit() { put16(0x06, 0); }

private:
	void put16(size_t off, uint16_t v) { memcpy(&config_[off], &v, 2); }
	void add_cap(size_t at, uint8_t vndr, uint8_t next, uint8_t bar, uint8_t type, uint32_t off)
	{
		config_[at] = vndr;
		config_[at + 1] = next;
		config_[at + 2] = 16;
		config_[at + 3] = type;
		config_[at + 4] = bar;
		memcpy(&config_[at + 8], &off, 4);
	}

	std::array<uint8_t, 256> config_{};
	uint64_t features_;
	mutable uint32_t select_ = 0;
	mutable uint32_t driver_select_ = 0;
	mutable uint32_t driver_[2] = {};
	uint8_t status_ = 0;
};

/* What bypass-vhost-host offers on a failover socket: rte_vhost's defaults
 * plus the control-queue features and STANDBY. */
constexpr uint64_t OFFERED_FEATURES = 0x4000000d7ceeffcbULL;

TEST(VirtioStandby, FeaturesAreReadFromTheCommonConfiguration)
{
	FakeVirtioPci dev(OFFERED_FEATURES);
	const auto features = virtio_pci_device_features(dev);
	ASSERT_TRUE(features.has_value());
	EXPECT_EQ(*features, OFFERED_FEATURES);
	EXPECT_TRUE(offers_standby(*features));
}

TEST(VirtioStandby, DeviceWithoutStandbyIsRecognised)
{
	FakeVirtioPci dev(OFFERED_FEATURES & ~(1ULL << VIRTIO_NET_F_STANDBY));
	const auto features = virtio_pci_device_features(dev);
	ASSERT_TRUE(features.has_value());
	EXPECT_FALSE(offers_standby(*features));
}

/* After configure, whether the device took STANDBY is read off the
 * device: the driver-feature registers and FEATURES_OK in device_status
 * (the low byte of its dword; the bytes above it are other registers). */
TEST(VirtioStandby, WhatTheDriverNegotiatedIsReadBackFromTheDevice)
{
	FakeVirtioPci dev(OFFERED_FEATURES);
	EXPECT_EQ(virtio_pci_driver_features(dev), 0u);
	EXPECT_EQ(virtio_pci_device_status(dev), 0u);
	dev.negotiate(0x4000000110af8020ULL);
	EXPECT_EQ(virtio_pci_driver_features(dev), 0x4000000110af8020ULL);
	EXPECT_EQ(virtio_pci_device_status(dev), 0x0bu);
	EXPECT_EQ(virtio_pci_device_features(dev), OFFERED_FEATURES) << "selects are separate";
}

TEST(VirtioStandby, LegacyDeviceWithoutCommonConfigurationHasNoAnswer)
{
	FakeVirtioPci dev(OFFERED_FEATURES);
	dev.remove_common();
	EXPECT_FALSE(virtio_pci_device_features(dev).has_value());
	EXPECT_FALSE(virtio_pci_driver_features(dev).has_value());
	EXPECT_FALSE(virtio_pci_device_status(dev).has_value());
	FakeVirtioPci no_caps(OFFERED_FEATURES);
	no_caps.clear_cap_list_bit();
	EXPECT_FALSE(virtio_pci_device_features(no_caps).has_value());
}

TEST(VirtioStandby, ALoopInTheCapabilityListEnds)
{
	FakeVirtioPci dev(OFFERED_FEATURES);
	dev.remove_common();
	dev.break_list();
	EXPECT_FALSE(virtio_pci_device_features(dev).has_value());
}

} // namespace
