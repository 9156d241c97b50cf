/* SPDX-License-Identifier: BSD-3-Clause */
/* Where packets go: tx through the active sub-port while its link is up,
 * through the backup otherwise; rx from both, stamped with the bypass port.
 * Every test ends with the mempool's in-use count back where it started. */
#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <optional>

#include <gtest/gtest.h>

#include "common/fixture.h"
#include "common/log_capture.h"

using namespace bypass_test;

namespace {

class RingPair : public StartedBypass {
protected:
	void SetUp() override
	{
		start("net_bypass_steer", "backup=" + backup_.name() + ",active=" + active_.name());
	}
	void TearDown() override
	{
		close();
		backup_.drain_tx();
		active_.drain_tx();
		expect_every_mbuf_back();
	}

	/* Sends one frame at a time until one leaves through `sub`. */
	bool tx_reaches(RingPort &sub, RingPort &other)
	{
		uint32_t seq = 1000;
		return wait_until([&] {
			bypass_->send(pool_.frames(1, seq++));
			other.drain_tx();
			return !sub.drain_tx().empty();
		});
	}

	RingPort backup_{unique("bk")};
	RingPort active_{unique("ac")};
};

TEST_F(RingPair, TxLeavesThroughTheActiveSubPortWhileItIsUp)
{
	ASSERT_EQ(bypass_->send(pool_.frames(32)), 32u);
	const auto on_active = active_.drain_tx();
	EXPECT_EQ(on_active.size(), 32u);
	EXPECT_TRUE(backup_.drain_tx().empty());
	EXPECT_EQ(bypass_->xstat("active_tx_good_packets"), 32u);
	EXPECT_EQ(bypass_->xstat("backup_tx_good_packets"), 0u);
}

TEST_F(RingPair, TxMovesToTheBackupWhenTheActiveLinkGoesDownAndBackWhenItReturns)
{
	ASSERT_EQ(rte_eth_dev_set_link_down(active_.port_id()), 0);
	ASSERT_TRUE(tx_reaches(backup_, active_)) << "tx never moved to the backup";
	ASSERT_EQ(bypass_->send(pool_.frames(32)), 32u);
	EXPECT_EQ(backup_.drain_tx().size(), 32u);
	EXPECT_TRUE(active_.drain_tx().empty());

	ASSERT_EQ(rte_eth_dev_set_link_up(active_.port_id()), 0);
	ASSERT_TRUE(tx_reaches(active_, backup_)) << "tx never came back to the active";
	EXPECT_GE(bypass_->xstat("tx_management_path_switches"), 2u);
}

TEST_F(RingPair, BypassLinkStaysUpWhileEitherSubPortIsUp)
{
	/* The link a read reports is the control path's, at most a link
	 * poll (10 ms) old: reading it never waits for that path. */
	auto bypass_link = [&] {
		rte_eth_link link{};
		EXPECT_EQ(rte_eth_link_get_nowait(bypass_->port_id(), &link), 0);
		return link.link_status;
	};
	EXPECT_EQ(bypass_link(), RTE_ETH_LINK_UP);

	ASSERT_EQ(rte_eth_dev_set_link_down(active_.port_id()), 0);
	ASSERT_TRUE(tx_reaches(backup_, active_)) << "the active's link loss was not seen";
	EXPECT_EQ(bypass_link(), RTE_ETH_LINK_UP);

	ASSERT_EQ(rte_eth_dev_set_link_down(backup_.port_id()), 0);
	EXPECT_TRUE(wait_until([&] { return bypass_link() == RTE_ETH_LINK_DOWN; }));
	rte_eth_dev_set_link_up(active_.port_id());
	rte_eth_dev_set_link_up(backup_.port_id());
}

TEST_F(RingPair, RxFromBothSubPortsArrivesStampedWithTheBypassPort)
{
	auto from_backup = pool_.frames(8, 0);
	auto from_active = pool_.frames(8, 100);
	for (rte_mbuf *m : from_backup)
		m->port = backup_.port_id();
	for (rte_mbuf *m : from_active)
		m->port = active_.port_id();
	ASSERT_EQ(backup_.inject(from_backup), 8u);
	ASSERT_EQ(active_.inject(from_active), 8u);

	std::vector<uint32_t> seqs;
	ASSERT_TRUE(wait_until([&] {
		rte_mbuf *pkts[32];
		const uint16_t n = rte_eth_rx_burst(bypass_->port_id(), 0, pkts, 32);
		for (uint16_t i = 0; i < n; i++) {
			EXPECT_EQ(pkts[i]->port, bypass_->port_id());
			seqs.push_back(frame_seq(pkts[i]));
			rte_pktmbuf_free(pkts[i]);
		}
		return seqs.size() >= 16;
	}));
	std::sort(seqs.begin(), seqs.end());
	std::vector<uint32_t> expected(8);
	std::iota(expected.begin(), expected.end(), 0);
	for (uint32_t s = 100; s < 108; s++)
		expected.push_back(s);
	EXPECT_EQ(seqs, expected);
}

TEST_F(RingPair, ABusyActiveSubPortDoesNotStarveTheBackupOnRx)
{
	/* The active fills every one of the first ten bursts, and the backup
	 * is polled first one burst in eight: its frames arrive within eight
	 * bursts, and each path's frames in the order they were received. */
	ASSERT_EQ(active_.inject(pool_.frames(320, 0)), 320u);
	ASSERT_EQ(backup_.inject(pool_.frames(4, 1000)), 4u);
	rte_mbuf *pkts[32];
	std::vector<uint32_t> active_seqs, backup_seqs;
	for (int burst = 0; burst < 8; burst++) {
		const uint16_t n = rte_eth_rx_burst(bypass_->port_id(), 0, pkts, 32);
		for (uint16_t i = 0; i < n; i++) {
			const uint32_t seq = frame_seq(pkts[i]);
			(seq >= 1000 ? backup_seqs : active_seqs).push_back(seq);
			rte_pktmbuf_free(pkts[i]);
		}
	}
	EXPECT_EQ(backup_seqs, (std::vector<uint32_t>{1000, 1001, 1002, 1003}));
	EXPECT_TRUE(std::is_sorted(active_seqs.begin(), active_seqs.end()));
	EXPECT_GE(active_seqs.size(), 7u * 32) << "the backup took more than its share";
	while (uint16_t n = rte_eth_rx_burst(bypass_->port_id(), 0, pkts, 32))
		rte_pktmbuf_free_bulk(pkts, n);
}

TEST_F(RingPair, StatsAreTheSumOfBothSubPorts)
{
	ASSERT_EQ(bypass_->send(pool_.frames(10)), 10u);
	ASSERT_EQ(rte_eth_dev_set_link_down(active_.port_id()), 0);
	ASSERT_TRUE(tx_reaches(backup_, active_));
	const uint64_t probes =
	    bypass_->xstat("active_tx_good_packets") + bypass_->xstat("backup_tx_good_packets");
	rte_eth_stats stats{};
	ASSERT_EQ(rte_eth_stats_get(bypass_->port_id(), &stats), 0);
	EXPECT_EQ(stats.opackets, probes);
	EXPECT_GE(stats.opackets, 11u);
	rte_eth_dev_set_link_up(active_.port_id());
}

/* Open vSwitch stops and starts a port for every reconfiguration (an MTU,
 * a queue count): that is no failover, counted or logged. */
TEST_F(RingPair, StoppingThePortIsNeitherCountedNorLoggedAsASwitch)
{
	const int logtype = rte_log_register("pmd.net.bypass");
	const int level = rte_log_get_level(logtype);
	rte_log_set_level(logtype, RTE_LOG_INFO);
	const uint64_t switches = bypass_->xstat("tx_management_path_switches");
	std::string logged;
	{
		LogCapture log;
		ASSERT_EQ(rte_eth_dev_stop(bypass_->port_id()), 0);
		ASSERT_EQ(rte_eth_dev_start(bypass_->port_id()), 0);
		logged = log.text();
	}
	rte_log_set_level(logtype, level);
	EXPECT_EQ(bypass_->xstat("tx_management_path_switches"), switches);
	EXPECT_EQ(logged.find("tx now on"), std::string::npos) << logged;
	EXPECT_TRUE(tx_reaches(active_, backup_));
}

/* What Open vSwitch shows of a DPDK port besides errors and drops: the
 * per-queue counters ethdev fills in from the stats, summed over the two
 * paths like the port's own. */
TEST_F(RingPair, PerQueueXstatsCountBothPathsAsOvsReadsThem)
{
	ASSERT_EQ(bypass_->send(pool_.frames(10)), 10u);
	ASSERT_EQ(rte_eth_dev_set_link_down(active_.port_id()), 0);
	ASSERT_TRUE(tx_reaches(backup_, active_));
	rte_eth_stats stats{};
	ASSERT_EQ(rte_eth_stats_get(bypass_->port_id(), &stats), 0);
	EXPECT_GT(bypass_->xstat("backup_tx_good_packets"), 0u);
	EXPECT_EQ(bypass_->xstat("tx_q0_packets"), stats.opackets);
	EXPECT_EQ(bypass_->xstat("rx_q0_packets"), stats.ipackets);
	rte_eth_dev_set_link_up(active_.port_id());
}

/* The active sub-port is a net_tap whose kernel interface the test takes
 * down, the way a VF loses carrier. */
class TapActive : public StartedBypass {
protected:
	void SetUp() override
	{
		start("net_bypass_tap", "backup=" + backup_.name() + ",active=(" +
					    unique("net_tap") + ",iface=" + iface_ + ")");
	}
	void TearDown() override
	{
		close();
		backup_.drain_tx();
		expect_every_mbuf_back();
	}
	static int ip_link(const std::string &iface, const char *state)
	{
		return system(("ip link set dev " + iface + " " + state).c_str());
	}

	RingPort backup_{unique("bk")};
	std::string iface_ = unique("bpt");
};

TEST_F(TapActive, KernelLinkDownMovesTxToTheBackupAndUpBringsItBack)
{
	ASSERT_EQ(bypass_->send(pool_.frames(8)), 8u);
	EXPECT_TRUE(backup_.drain_tx().empty()) << "tx used the backup while the tap was up";

	ASSERT_EQ(ip_link(iface_, "down"), 0);
	uint32_t seq = 0;
	ASSERT_TRUE(wait_until([&] {
		bypass_->send(pool_.frames(1, seq++));
		return !backup_.drain_tx().empty();
	})) << "tx never moved to the backup";

	ASSERT_EQ(ip_link(iface_, "up"), 0);
	ASSERT_TRUE(wait_until([&] {
		const uint64_t before = bypass_->xstat("active_tx_good_packets");
		bypass_->send(pool_.frames(1, seq++));
		backup_.drain_tx();
		return bypass_->xstat("active_tx_good_packets") > before;
	})) << "tx never came back to the tap";
}

} // namespace
