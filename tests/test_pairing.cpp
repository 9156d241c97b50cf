/* SPDX-License-Identifier: BSD-3-Clause */
/* Zero-config: `--vdev net_bypass` pairs each virtio port offering STANDBY
 * with the port of the same MAC, whichever comes first. virtio_user ports
 * are taken as offering STANDBY with standby=1 (their features cannot be
 * read); a virtio-pci device's are read from its configuration, tested in
 * test_virtio_standby. */
#include <algorithm>

#include <gtest/gtest.h>

#include <rte_bus_vdev.h>
#include <rte_pmd_bypass.h>

#include "common/backend.h"
#include "common/eal.h"
#include "common/ports.h"

using namespace bypass_test;

namespace {

class ZeroConfig : public testing::Test {
protected:
	void TearDown() override
	{
		rte_vdev_uninit(pairing_.c_str()); /* closes the bypass ports it made */
		for (auto it = vdevs_.rbegin(); it != vdevs_.rend(); ++it)
			rte_vdev_uninit(it->c_str());
	}

	void start_pairing(const char *args)
	{
		ASSERT_EQ(rte_vdev_init(pairing_.c_str(), args), 0);
	}
	/* A guest's virtio device, MAC `mac`. */
	std::string plug_virtio(const char *mac, int socket = 0)
	{
		const std::string name = unique("virtio_user_zc") + std::to_string(vdevs_.size());
		EXPECT_EQ(
		    rte_vdev_init(
			name.c_str(),
			("path=" + host_.socket(socket) + ",queues=1,cq=1,mac=" + mac).c_str()),
		    0);
		vdevs_.push_back(name);
		return name;
	}
	/* The VF: a net_tap with the same MAC. */
	std::string plug_vf(const char *mac)
	{
		const std::string name = unique("net_tap_zc") + std::to_string(vdevs_.size());
		EXPECT_EQ(
		    rte_vdev_init(name.c_str(), ("iface=" + unique("bz") +
						 std::to_string(vdevs_.size()) + ",mac=" + mac)
						    .c_str()),
		    0);
		vdevs_.push_back(name);
		return name;
	}
	static uint16_t port_of(const std::string &name)
	{
		uint16_t port = RTE_MAX_ETHPORTS;
		rte_eth_dev_get_port_by_name(name.c_str(), &port);
		return port;
	}
	/* The bypass port made for `virtio`, once it exists. */
	uint16_t bypass_for(const std::string &virtio)
	{
		uint16_t port = RTE_MAX_ETHPORTS;
		wait_until(
		    [&] { return (port = port_of(pairing_ + "_" + virtio)) != RTE_MAX_ETHPORTS; });
		return port;
	}
	static uint16_t active_of(uint16_t bypass)
	{
		rte_pmd_bypass_state s{};
		rte_pmd_bypass_state_get(bypass, &s);
		return s.active_port;
	}

	VhostBackend host_{{VhostBackend::Mode::failover, VhostBackend::Mode::failover}};
	std::string pairing_ = "net_bypass_zc";
	std::vector<std::string> vdevs_;
};

TEST_F(ZeroConfig, VirtioFirstThenTheVfJoins)
{
	ASSERT_TRUE(host_.ready());
	start_pairing("standby=1");
	const std::string virtio = plug_virtio("02:00:00:00:0a:01");
	const uint16_t bypass = bypass_for(virtio);
	ASSERT_NE(bypass, RTE_MAX_ETHPORTS) << "no bypass port was made for the virtio port";
	const auto visible = visible_ports();
	EXPECT_EQ(std::count(visible.begin(), visible.end(), port_of(virtio)), 0);
	EXPECT_EQ(active_of(bypass), RTE_MAX_ETHPORTS);

	const std::string vf = plug_vf("02:00:00:00:0a:01");
	EXPECT_TRUE(wait_until([&] { return active_of(bypass) == port_of(vf); }))
	    << "the VF did not join";
}

/* As in a guest: the virtio device and the VF probed before the vdev
 * (PCI comes first). An application enumerates its ports as soon as
 * rte_eal_init() returns, so the bypass port must exist by the time the
 * vdev's probe returns, not a moment later. */
TEST_F(ZeroConfig, PortsThereBeforeTheProbeArePairedWhenItReturns)
{
	ASSERT_TRUE(host_.ready());
	const std::string vf = plug_vf("02:00:00:00:0a:03");
	const std::string virtio = plug_virtio("02:00:00:00:0a:03");
	start_pairing("standby=1");
	const uint16_t bypass = port_of(pairing_ + "_" + virtio);
	ASSERT_NE(bypass, RTE_MAX_ETHPORTS) << "the bypass port came after the probe returned";
	EXPECT_EQ(active_of(bypass), port_of(vf));
}

TEST_F(ZeroConfig, VfFirstThenVirtio)
{
	ASSERT_TRUE(host_.ready());
	start_pairing("standby=1");
	const std::string vf = plug_vf("02:00:00:00:0a:02");
	const std::string virtio = plug_virtio("02:00:00:00:0a:02");
	const uint16_t bypass = bypass_for(virtio);
	ASSERT_NE(bypass, RTE_MAX_ETHPORTS);
	EXPECT_EQ(active_of(bypass), port_of(vf));
	const auto visible = visible_ports();
	EXPECT_EQ(std::count(visible.begin(), visible.end(), port_of(vf)), 0);
}

TEST_F(ZeroConfig, OneBypassPortPerPairMatchedByMac)
{
	ASSERT_TRUE(host_.ready());
	start_pairing("standby=1");
	const std::string vf2 = plug_vf("02:00:00:00:0b:02");
	const std::string virtio1 = plug_virtio("02:00:00:00:0b:01", 0);
	const std::string virtio2 = plug_virtio("02:00:00:00:0b:02", 1);
	const std::string vf1 = plug_vf("02:00:00:00:0b:01");
	const uint16_t b1 = bypass_for(virtio1), b2 = bypass_for(virtio2);
	ASSERT_NE(b1, RTE_MAX_ETHPORTS);
	ASSERT_NE(b2, RTE_MAX_ETHPORTS);
	EXPECT_TRUE(wait_until([&] { return active_of(b1) == port_of(vf1); }));
	EXPECT_EQ(active_of(b2), port_of(vf2));
}

TEST_F(ZeroConfig, VirtioWithoutStandbyIsLeftAlone)
{
	ASSERT_TRUE(host_.ready());
	start_pairing(""); /* virtio_user not taken as offering STANDBY */
	const std::string virtio = plug_virtio("02:00:00:00:0c:01");
	plug_vf("02:00:00:00:0c:01");
	EXPECT_FALSE(
	    wait_until([&] { return port_of(pairing_ + "_" + virtio) != RTE_MAX_ETHPORTS; },
		       std::chrono::milliseconds(300)));
	const auto visible = visible_ports();
	EXPECT_EQ(std::count(visible.begin(), visible.end(), port_of(virtio)), 1);
}

TEST(ZeroConfigDevargs, StandbyMustBeZeroOrOne)
{
	EXPECT_LT(rte_vdev_init("net_bypass_zc_bad", "standby=yes"), 0);
	EXPECT_LT(rte_vdev_init("net_bypass_zc_bad", "mac=02:00:00:00:00:01"), 0);
}

} // namespace
