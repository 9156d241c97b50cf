/* SPDX-License-Identifier: BSD-3-Clause */
/* Bad devargs: the probe fails, one log line names the bad input, and
 * nothing is left behind (no port, no probed sub-device, no ownership). */
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>

#include "common/eal.h"
#include "common/log_capture.h"
#include "common/ports.h"

using namespace bypass_test;

namespace {

class BadDevargs : public testing::Test {
protected:
	void SetUp() override { ports_before_ = rte_eth_dev_count_total(); }

	/* Probes net_bypass with `args` and checks the failure is clean. */
	void expect_rejected(const std::string &args, const std::string &named)
	{
		LogCapture log;
		{
			BypassDev dev("net_bypass_bad", args);
			EXPECT_LT(dev.probe_result(), 0) << args;
		}
		const std::string text = log.text();
		EXPECT_NE(text.find(named), std::string::npos)
		    << "log does not name '" << named << "':\n"
		    << text;
		uint16_t port;
		EXPECT_NE(rte_eth_dev_get_port_by_name("net_bypass_bad", &port), 0);
		EXPECT_EQ(rte_eth_dev_count_total(), ports_before_);
		for (const RingPort *r : {&backup_, &active_}) {
			rte_eth_dev_owner owner{};
			ASSERT_EQ(rte_eth_dev_owner_get(r->port_id(), &owner), 0);
			EXPECT_EQ(owner.id, RTE_ETH_DEV_NO_OWNER) << r->name() << " still owned";
		}
	}

	RingPort backup_{unique("bk")};
	RingPort active_{unique("ac")};
	uint16_t ports_before_ = 0;
};

TEST_F(BadDevargs, UnknownKeyIsRejectedAndNamed)
{
	expect_rejected("backup=" + backup_.name() + ",active=" + active_.name() + ",speed=10",
			"speed");
}

TEST_F(BadDevargs, MalformedMacIsRejectedAndNamed)
{
	expect_rejected("backup=" + backup_.name() + ",active=" + active_.name() +
			    ",mac=02:00:zz:00:00:01",
			"02:00:zz:00:00:01");
}

TEST_F(BadDevargs, VfRetaSizeThatNoVfHasIsRejectedAndNamed)
{
	const std::string pair = "backup=" + backup_.name() + ",active=" + active_.name();
	for (const char *bad : {"96", "32", "0", "-64", "64k", ""})
		expect_rejected(pair + ",vf_reta_size=" + bad, std::string("vf_reta_size=") + bad);
}

TEST_F(BadDevargs, VfQueuesOutOfRangeAreRejectedAndNamed)
{
	const std::string pair = "backup=" + backup_.name() + ",active=" + active_.name();
	for (const char *bad : {"0", "99999", "two"})
		expect_rejected(pair + ",vf_queues=" + bad, std::string("vf_queues=") + bad);
}

TEST_F(BadDevargs, PairWithoutValueIsRejectedAndNamed)
{
	expect_rejected("backup=" + backup_.name() + ",active", "active");
}

TEST_F(BadDevargs, UnbalancedParenthesesAreRejected)
{
	expect_rejected("backup=(" + backup_.name() + ",active=" + active_.name(), "malformed");
}

TEST_F(BadDevargs, MissingActiveIsRejected)
{
	expect_rejected("backup=" + backup_.name(), "active=");
}

TEST_F(BadDevargs, KeyGivenTwiceIsRejected)
{
	expect_rejected("backup=" + backup_.name() + ",active=" + active_.name() +
			    ",backup=" + active_.name(),
			"backup= given twice");
}

TEST_F(BadDevargs, PortNameThatMatchesNothingIsRejectedAndNamed)
{
	expect_rejected("backup=" + backup_.name() + ",active=no_such_port", "no_such_port");
}

TEST_F(BadDevargs, SamePortForBothRolesIsRejected)
{
	expect_rejected("backup=" + backup_.name() + ",active=" + backup_.name(),
			"are the same port");
}

TEST_F(BadDevargs, MacMismatchIsRejectedAndNamed)
{
	expect_rejected("backup=" + backup_.name() + ",active=" + active_.name() +
			    ",mac=02:00:00:00:00:99",
			"mac=02:00:00:00:00:99");
}

TEST_F(BadDevargs, SubPortOwnedBySomeoneElseIsRejected)
{
	uint64_t id;
	ASSERT_EQ(rte_eth_dev_owner_new(&id), 0);
	rte_eth_dev_owner other{};
	other.id = id;
	snprintf(other.name, sizeof(other.name), "someone_else");
	ASSERT_EQ(rte_eth_dev_owner_set(active_.port_id(), &other), 0);
	{
		LogCapture log;
		BypassDev dev("net_bypass_bad",
			      "backup=" + backup_.name() + ",active=" + active_.name());
		EXPECT_LT(dev.probe_result(), 0);
		EXPECT_NE(log.text().find("already owned by 'someone_else'"), std::string::npos)
		    << log.text();
	}
	rte_eth_dev_owner owner{};
	rte_eth_dev_owner_get(backup_.port_id(), &owner);
	EXPECT_EQ(owner.id, RTE_ETH_DEV_NO_OWNER) << "backup left owned";
	rte_eth_dev_owner_delete(id);
}

TEST_F(BadDevargs, SubDeviceProbedForAFailedPortIsRemovedAgain)
{
	const std::string probed = unique("net_null_probed");
	expect_rejected("backup=(" + probed + ",size=64),active=no_such_port", "no_such_port");
	uint16_t port;
	EXPECT_NE(rte_eth_dev_get_port_by_name(probed.c_str(), &port), 0)
	    << probed << " was probed for the failed port and left behind";
}

TEST_F(BadDevargs, DevargsThatProbeNothingAreRejectedAndNamed)
{
	expect_rejected("backup=" + backup_.name() + ",active=(net_nosuchdriver0,x=1)",
			"net_nosuchdriver0");
}

TEST(GoodDevargs, ExistingPortsAreTakenOverAndHidden)
{
	RingPort backup(unique("bk")), active(unique("ac"));
	BypassDev dev("net_bypass_ok", "backup=" + backup.name() + ",active=" + active.name());
	ASSERT_EQ(dev.probe_result(), 0);
	const auto visible = visible_ports();
	EXPECT_NE(std::find(visible.begin(), visible.end(), dev.port_id()), visible.end());
	for (uint16_t sub : {backup.port_id(), active.port_id()})
		EXPECT_EQ(std::find(visible.begin(), visible.end(), sub), visible.end())
		    << "sub-port " << sub << " visible to the application";
}

TEST(GoodDevargs, SubDeviceDevargsAreProbedAndRemovedOnClose)
{
	const std::string backup = unique("net_null_b"), active = unique("net_null_a");
	{
		BypassDev dev("net_bypass_ok", "backup=(" + backup + ",size=64),active=" + active);
		ASSERT_EQ(dev.probe_result(), 0);
		uint16_t port;
		EXPECT_EQ(rte_eth_dev_get_port_by_name(backup.c_str(), &port), 0);
		EXPECT_EQ(rte_eth_dev_get_port_by_name(active.c_str(), &port), 0);
	}
	uint16_t port;
	EXPECT_NE(rte_eth_dev_get_port_by_name(backup.c_str(), &port), 0);
	EXPECT_NE(rte_eth_dev_get_port_by_name(active.c_str(), &port), 0);
}

/* A memif sub-device's devargs, short enough for rte_dev_probe(), which
 * refuses more than 128 characters from 24.11 on: a client on the default
 * socket, with an id of its own. */
std::string memif_client(const std::string &stem, const std::string &mac)
{
	static unsigned id = 0;
	return once(stem) + ",id=" + std::to_string(++id) + ",mac=" + mac;
}

/* OVS (options:dpdk-devargs) probes the string, then looks the port up with
 * RTE_ETH_FOREACH_MATCHING_DEV over the same string, which groups [...] but
 * not (...): a sub-device's mac= in parentheses becomes an ethdev MAC filter
 * that matches nothing, and OVS cannot find the port it just probed. */
TEST(GoodDevargs, SubDevicesInBracketsAreFoundByTheirDevargsAsOvsLooksThemUp)
{
	const std::string mac = "02:00:00:00:0b:01";
	const std::string devargs = "net_bypass_br,backup=[" + memif_client("net_memif_b", mac) +
				    "],active=[" + memif_client("net_memif_a", mac) + "]";
	ASSERT_EQ(rte_dev_probe(devargs.c_str()), 0);
	uint16_t bypass;
	ASSERT_EQ(rte_eth_dev_get_port_by_name("net_bypass_br", &bypass), 0);
	std::vector<uint16_t> found;
	rte_dev_iterator it;
	uint16_t port;
	RTE_ETH_FOREACH_MATCHING_DEV(port, devargs.c_str(), &it)
	found.push_back(port);
	EXPECT_EQ(found, std::vector<uint16_t>{bypass});
	EXPECT_EQ(rte_vdev_uninit("net_bypass_br"), 0);
}

/* The same string with the sub-devices in parentheses, mac= last, is
 * accepted, and the driver says at probe that it will not be found so. */
TEST(GoodDevargs, SubDevicesThatTheirDevargsCannotFindAgainAreSaidToBe)
{
	const std::string mac = "02:00:00:00:0b:02";
	auto probe_log = [](const std::string &devargs) {
		LogCapture log;
		EXPECT_EQ(rte_dev_probe(devargs.c_str()), 0) << devargs;
		return log.text();
	};
	std::string logged = probe_log("net_bypass_pa,backup=(" + memif_client("net_memif_b", mac) +
				       "),active=(" + memif_client("net_memif_a", mac) + ")");
	EXPECT_NE(logged.find("is not found again by its devargs"), std::string::npos) << logged;
	EXPECT_EQ(rte_vdev_uninit("net_bypass_pa"), 0);

	logged = probe_log("net_bypass_pb,backup=[" + memif_client("net_memif_b", mac) +
			   "],active=[" + memif_client("net_memif_a", mac) + "]");
	EXPECT_EQ(logged.find("is not found again"), std::string::npos) << logged;
	EXPECT_EQ(rte_vdev_uninit("net_bypass_pb"), 0);
}

TEST_F(BadDevargs, BracketsThatDoNotNestAreRejected)
{
	expect_rejected("backup=[" + backup_.name() + ",size=1),active=" + active_.name(),
			"malformed devargs");
}

TEST(GoodDevargs, MacGivenAndMatchingBothSubPortsIsAccepted)
{
	const std::string backup = unique("net_null_b"), active = unique("net_null_a");
	rte_ether_addr mac;
	ASSERT_EQ(rte_ether_unformat_addr("02:00:00:00:00:42", &mac), 0);
	for (const std::string &name : {backup, active}) {
		uint16_t port;
		ASSERT_EQ(rte_vdev_init(name.c_str(), nullptr), 0);
		ASSERT_EQ(rte_eth_dev_get_port_by_name(name.c_str(), &port), 0);
		ASSERT_EQ(rte_eth_dev_default_mac_addr_set(port, &mac), 0);
	}
	{
		BypassDev dev("net_bypass_ok",
			      "backup=" + backup + ",active=" + active + ",mac=02:00:00:00:00:42");
		ASSERT_EQ(dev.probe_result(), 0);
		rte_ether_addr got;
		ASSERT_EQ(rte_eth_macaddr_get(dev.port_id(), &got), 0);
		EXPECT_TRUE(rte_is_same_ether_addr(&got, &mac));
	}
	for (const std::string &name : {backup, active})
		rte_vdev_uninit(name.c_str());
}

} // namespace
