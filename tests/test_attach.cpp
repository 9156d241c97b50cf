/* SPDX-License-Identifier: BSD-3-Clause */
/* A port offered as the new VF that cannot take what the application
 * configured, or refuses a setting that cannot be skipped, is given up on
 * once, with a reason the application can read, instead of being retried
 * forever or used without it; what the bypass port advertises does not
 * change for it. The sub-ports are net_faulty ports (faulty_pmd.h), whose
 * capabilities and failures the test sets. */
#include <algorithm>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include <rte_pmd_bypass.h>

#include "common/backend.h"
#include "common/eal.h"
#include "common/faulty_fixture.h"
#include "common/log_capture.h"
#include "common/ports.h"

using namespace bypass_test;
using namespace std::chrono_literals;

namespace {

/* net_faulty devargs: `op` fails with -`err`, `times` times (-1: always). */
std::string failing(const char *op, int err, int times = -1)
{
	return std::string("fail=") + op + ":" + std::to_string(err) +
	       (times < 0 ? "" : ":" + std::to_string(times));
}

class Attach : public FaultyPair {
protected:
	/* Starts a bypass port with `queues` queue pairs over two net_faulty
	 * ports made with `args`. */
	void start(const std::string &args, uint16_t queues, const rte_eth_conf &conf = {})
	{
		make(args, args);
		FaultyPair::start(queues, conf);
		ASSERT_EQ(rte_eth_dev_info_get(port(), &info_before_), 0);
	}
	/* Waits for the give-up and returns its reason ("" if none came). */
	std::string given_up()
	{
		char reason[256] = "";
		wait_until([&] {
			return rte_pmd_bypass_giveup_get(port(), RTE_PMD_BYPASS_PATH_ACTIVE, reason,
							 sizeof(reason)) == 1;
		});
		return reason;
	}

	/* Given up for good: still owned (the application does not see it),
	 * not retried, tx on the backup, the advertised capabilities as
	 * before, one error line. */
	void expect_given_up_for_good(uint16_t vf, faulty::Op retried, LogCapture &log)
	{
		const unsigned calls = faulty::calls(vf, retried);
		std::this_thread::sleep_for(400ms);
		EXPECT_EQ(faulty::calls(vf, retried), calls) << "the given-up port was tried again";
		const auto s = bypass_state(port());
		EXPECT_EQ(s.active_port, vf);
		EXPECT_FALSE(s.on_active);
		EXPECT_EQ(s.reason, RTE_PMD_BYPASS_REASON_ACTIVE_UNUSABLE);
		const auto visible = visible_ports();
		EXPECT_EQ(std::count(visible.begin(), visible.end(), vf), 0)
		    << "the given-up port is visible to the application";
		EXPECT_EQ(bypass_->xstat("active_management_attach_giveups"), 1u);
		EXPECT_EQ(count(log.text(), "giving up on port"), 1u) << log.text();
		rte_eth_dev_info now{};
		ASSERT_EQ(rte_eth_dev_info_get(port(), &now), 0);
		EXPECT_EQ(now.max_rx_queues, info_before_.max_rx_queues);
		EXPECT_EQ(now.rx_offload_capa, info_before_.rx_offload_capa);
		EXPECT_EQ(now.max_mtu, info_before_.max_mtu);
		ASSERT_EQ(bypass_->send(pool_.frames(4)), 4u);
		EXPECT_EQ(faulty::transmitted(vf).size(), 0u);
		for (rte_mbuf *m : faulty::transmitted(backup_->port_id()))
			rte_pktmbuf_free(m);
	}

	/* Offers a VF whose `op` fails with -`err`: it is given up on for
	 * good, saying `reason`. */
	void expect_refused_for_good(const char *op, int err, faulty::Op retried,
				     const std::string &reason)
	{
		LogCapture log;
		const uint16_t vf = offer_vf(failing(op, err));
		EXPECT_NE(given_up().find(reason), std::string::npos);
		expect_given_up_for_good(vf, retried, log);
	}

	rte_eth_dev_info info_before_{};
};

TEST_F(Attach, AVfWithFewerQueuesThanConfiguredIsGivenUpOnOnce)
{
	start("queues=4", 2);
	LogCapture log;
	const uint16_t vf = offer_vf("queues=1");
	const std::string reason = given_up();
	EXPECT_NE(reason.find("1/1 rx/tx queues, the port uses 2/2"), std::string::npos) << reason;
	expect_given_up_for_good(vf, faulty::Op::configure, log);
}

TEST_F(Attach, AVfLackingAConfiguredOffloadIsGivenUpOn)
{
	rte_eth_conf conf{};
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_VLAN_STRIP;
	const std::string strip = "rx_offloads=" + std::to_string(RTE_ETH_RX_OFFLOAD_VLAN_STRIP);
	start(strip, 1, conf);
	LogCapture log;
	const uint16_t vf = offer_vf("rx_offloads=0");
	EXPECT_NE(given_up().find("lacks rx offloads"), std::string::npos);
	expect_given_up_for_good(vf, faulty::Op::configure, log);
}

TEST_F(Attach, AVfWhoseMtuRangeExcludesThePortsMtuIsGivenUpOn)
{
	start("max_mtu=9000", 1);
	ASSERT_EQ(rte_eth_dev_set_mtu(port(), 9000), 0);
	LogCapture log;
	const uint16_t vf = offer_vf("max_mtu=1500");
	EXPECT_NE(given_up().find("MTU 9000 is outside"), std::string::npos);
	expect_given_up_for_good(vf, faulty::Op::configure, log);
}

/* Under QEMU failover=on the VF comes after the application enabled
 * promiscuous mode, and a VF its PF does not trust refuses it: it is the
 * fast path all the same (test_refusals.cpp has every such item). */
TEST_F(Attach, AnUntrustedVfRefusingPromiscuousModeIsKeptAsTheFastPath)
{
	start("", 1);
	ASSERT_EQ(rte_eth_promiscuous_enable(port()), 0);
	LogCapture log;
	const uint16_t vf = offer_vf(failing("promisc", EAGAIN));
	EXPECT_TRUE(wait_until([&] {
		const auto s = bypass_state(port());
		return s.on_active && s.active_port == vf;
	})) << log.text();
	EXPECT_EQ(count(log.text(), "refused promiscuous enable"), 1u) << log.text();
	EXPECT_EQ(bypass_->xstat("active_management_attach_giveups"), 0u);
	EXPECT_EQ(count(log.text(), "giving up"), 0u) << log.text();
	ASSERT_EQ(bypass_->send(pool_.frames(4)), 4u);
	const auto sent = faulty::transmitted(vf);
	EXPECT_EQ(sent.size(), 4u) << "the VF does not carry the traffic";
	for (rte_mbuf *m : sent)
		rte_pktmbuf_free(m);
}

/* RSS the application set is not rx filtering: without it a flow would
 * land on another queue on each path. */
TEST_F(Attach, AVfRefusingTheApplicationsRetaIsGivenUpOn)
{
	rte_eth_conf conf{};
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP;
	start("reta=64,key=40,queues=2", 2, conf);
	std::vector<rte_eth_rss_reta_entry64> reta(1);
	reta[0].mask = UINT64_MAX;
	for (unsigned i = 0; i < 64; i++)
		reta[0].reta[i] = i % 2;
	ASSERT_EQ(rte_eth_dev_rss_reta_update(port(), reta.data(), 64), 0);
	LogCapture log;
	const uint16_t vf = offer_vf("reta=64,key=40,queues=2," + failing("reta", ENOTSUP));
	EXPECT_NE(given_up().find("RETA"), std::string::npos);
	expect_given_up_for_good(vf, faulty::Op::reta_update, log);
}

TEST_F(Attach, AVfThatCannotSetUpAQueueIsGivenUpOnNotUsedWithoutIt)
{
	start("", 1);
	expect_refused_for_good("rxq", ENOTSUP, faulty::Op::rx_queue_setup, "rx queue 0 setup");
}

TEST_F(Attach, AVfThatCannotSetUpATxQueueIsGivenUpOnNotUsedWithoutIt)
{
	start("", 1);
	expect_refused_for_good("txq", ENOTSUP, faulty::Op::tx_queue_setup, "tx queue 0 setup");
}

TEST_F(Attach, AVfThatCannotTakeThePortsMtuIsGivenUpOn)
{
	start("", 1);
	ASSERT_EQ(rte_eth_dev_set_mtu(port(), 1400), 0);
	expect_refused_for_good("mtu", ENOTSUP, faulty::Op::mtu_set, "MTU 1400");
}

TEST_F(Attach, AVfThatCannotTakeThePortsMacIsGivenUpOn)
{
	start("", 1);
	rte_ether_addr mac;
	rte_ether_unformat_addr("02:00:00:00:0b:01", &mac);
	ASSERT_EQ(rte_eth_dev_default_mac_addr_set(port(), &mac), 0);
	expect_refused_for_good("mac", ENOTSUP, faulty::Op::mac_set,
				"default MAC 02:00:00:00:0B:01");
}

TEST_F(Attach, AReconfigurationTheGivenUpVfCanTakeBringsItIn)
{
	start("queues=4", 2);
	const uint16_t vf = offer_vf("queues=1");
	ASSERT_FALSE(given_up().empty());
	ASSERT_EQ(rte_eth_dev_stop(port()), 0);
	ASSERT_EQ(bypass_->start(pool_, 1), 0);
	EXPECT_TRUE(wait_until([&] {
		const auto s = bypass_state(port());
		return s.on_active && s.active_port == vf;
	})) << "the VF that fits the new configuration was not taken";
	char reason[64];
	EXPECT_EQ(
	    rte_pmd_bypass_giveup_get(port(), RTE_PMD_BYPASS_PATH_ACTIVE, reason, sizeof(reason)),
	    0);
}

/* The application sized its port by what dev_infos_get said when it
 * configured it; a VF that fits that configuration but could take less
 * (here fewer queues) is used, and does not shrink what the port says it
 * can do, so the application's next reconfiguration is checked against
 * the same limits as its first. */
TEST_F(Attach, AVfThatFitsButCanDoLessLeavesTheAdvertisedCapabilitiesAlone)
{
	start("queues=4", 2);
	const uint16_t vf = offer_vf("queues=2");
	ASSERT_TRUE(wait_until([&] {
		const auto s = bypass_state(port());
		return s.on_active && s.active_port == vf;
	})) << "a VF that fits the configuration was not taken";
	rte_eth_dev_info now{};
	ASSERT_EQ(rte_eth_dev_info_get(port(), &now), 0);
	EXPECT_EQ(now.max_rx_queues, info_before_.max_rx_queues)
	    << "the advertised capabilities followed the new VF";
	EXPECT_EQ(now.max_tx_queues, info_before_.max_tx_queues);
}

TEST_F(Attach, AVfBusyForGoodIsGivenUpOnAfterAFewTries)
{
	start("", 1);
	LogCapture log;
	const uint16_t vf = offer_vf(failing("configure", EBUSY));
	EXPECT_NE(given_up().find("configure"), std::string::npos);
	EXPECT_LE(faulty::calls(vf, faulty::Op::configure), 5u) << "tried more than a few times";
	expect_given_up_for_good(vf, faulty::Op::configure, log);
}

TEST_F(Attach, AVfNotReadyYetIsTriedAgainAndTaken)
{
	start("", 1);
	offer_vf(failing("configure", EAGAIN, 2));
	EXPECT_TRUE(wait_until([&] { return bypass_state(port()).on_active; }))
	    << "a VF that was busy twice was not taken";
	EXPECT_EQ(bypass_->xstat("active_management_attach_giveups"), 0u);
}

} // namespace
