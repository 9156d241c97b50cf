/* SPDX-License-Identifier: BSD-3-Clause */
/* A VF that resets (RTE_ETH_EVENT_INTR_RESET: the PF reset it, or changed
 * its MAC, VLAN or trust) or recovers from an error (ERR_RECOVERING, then
 * RECOVERY_SUCCESS or RECOVERY_FAILED) under traffic: tx leaves it at
 * once, it is reset and set up again off the interrupt thread, and tx
 * comes back; the port's counters never go backwards. The sub-ports are
 * net_faulty ports, which raise nothing themselves: the test raises each
 * event as the PMD would. */
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include <ethdev_driver.h>
#include <rte_pmd_bypass.h>

#include "common/backend.h"
#include "common/eal.h"
#include "common/faulty_fixture.h"
#include "common/log_capture.h"
#include "common/ports.h"

using namespace bypass_test;
using namespace std::chrono_literals;

namespace {

/* Transmitted mbufs are freed at once: the traffic runs for a while. */
const std::string ARGS = "keep=0";

class Reset : public FaultyPair {
protected:
	void SetUp() override
	{
		make(ARGS, ARGS);
		start(1);
	}
	void TearDown() override
	{
		if (vf_ && !vf_->forgotten())
			faulty::unblock(vf_->port_id(), faulty::Op::reset);
		traffic_stop();
		FaultyPair::TearDown();
	}

	/* Bursts on queue 0 from another thread until traffic_stop(), while
	 * this one checks that the port's tx count never goes backwards. */
	void traffic_start()
	{
		sending_.store(true);
		sender_ = std::thread([this] {
			while (sending_.load()) {
				std::vector<rte_mbuf *> pkts(32);
				if (rte_pktmbuf_alloc_bulk(pool_.get(), pkts.data(), 32) != 0)
					continue;
				for (rte_mbuf *m : pkts)
					rte_pktmbuf_append(m, 64);
				bypass_->send(std::move(pkts));
			}
		});
	}
	void traffic_stop()
	{
		sending_.store(false);
		if (sender_.joinable())
			sender_.join();
	}
	/* The port's tx count and the VF path's, each checked against the
	 * last one read: the backup's gains must not hide a loss of the VF's. */
	uint64_t opackets()
	{
		rte_eth_stats s{};
		EXPECT_EQ(rte_eth_stats_get(port(), &s), 0);
		EXPECT_GE(s.opackets, last_opackets_) << "the port's tx count went backwards";
		last_opackets_ = s.opackets;
		const uint64_t active = bypass_->xstat("active_tx_good_packets");
		EXPECT_GE(active, last_active_) << "the VF path's tx count went backwards";
		last_active_ = active;
		return s.opackets;
	}
	/* Waits, reading the counters all along, until `cond`. */
	template <typename Cond> bool watch_until(Cond &&cond)
	{
		return wait_until([&] {
			opackets();
			return cond();
		});
	}
	bool on_vf(uint16_t vf)
	{
		const auto s = bypass_state(port());
		return s.on_active && s.active_port == vf;
	}
	uint64_t vf_tx(uint16_t vf)
	{
		rte_eth_stats s{};
		rte_eth_stats_get(vf, &s);
		return s.opackets;
	}
	/* Once the backup carried a burst that began after the switch: the
	 * one sender's burst in flight on the VF at the switch is over. */
	bool backup_carried_more()
	{
		const uint64_t before = bypass_->xstat("backup_tx_good_packets");
		return watch_until([&] { return bypass_->xstat("backup_tx_good_packets") > before; });
	}

	std::atomic<bool> sending_{false};
	std::thread sender_;
	uint64_t last_opackets_ = 0;
	uint64_t last_active_ = 0;
};

TEST_F(Reset, AVfThatResetsIsResetAndSetUpAgainAndTakesTxBack)
{
	const uint16_t vf = vf_->port_id();
	traffic_start();
	ASSERT_TRUE(watch_until([&] { return vf_tx(vf) > 0; }));
	const unsigned configures = faulty::calls(vf, faulty::Op::configure);
	/* Held inside its reset, so that what the event did is seen before
	 * the control thread undoes it. */
	faulty::block(vf, faulty::Op::reset);
	raise_event(vf, RTE_ETH_EVENT_INTR_RESET);
	EXPECT_TRUE(watch_until([&] { return faulty::blocked(vf, faulty::Op::reset); }))
	    << "rte_eth_dev_reset() was not called on the VF";
	const auto s = bypass_state(port());
	EXPECT_FALSE(s.on_active);
	EXPECT_EQ(s.reason, RTE_PMD_BYPASS_REASON_ACTIVE_RESETTING);
	faulty::unblock(vf, faulty::Op::reset);
	EXPECT_TRUE(watch_until([&] { return on_vf(vf); })) << "tx did not come back";
	EXPECT_EQ(faulty::calls(vf, faulty::Op::configure), configures + 1)
	    << "the VF was not configured again";
	const uint64_t after = vf_tx(vf);
	EXPECT_TRUE(watch_until([&] { return vf_tx(vf) > after; })) << "the VF carries nothing";
	traffic_stop();
	opackets();
	EXPECT_EQ(bypass_->xstat("active_management_resets"), 1u);
	EXPECT_EQ(bypass_->xstat("active_management_attach_giveups"), 0u);
}

/* The VF starts counting again from zero: what it counted stays in the
 * path's total. Without traffic meanwhile, so the count is exact. */
TEST_F(Reset, TheVfPathKeepsItsCountsAcrossTheReset)
{
	const uint16_t vf = vf_->port_id();
	ASSERT_EQ(bypass_->send(pool_.frames(32)), 32u);
	const uint64_t counted = bypass_->xstat("active_tx_good_packets");
	ASSERT_EQ(counted, 32u);
	raise_event(vf, RTE_ETH_EVENT_INTR_RESET);
	ASSERT_TRUE(wait_until([&] { return on_vf(vf); }));
	EXPECT_EQ(vf_tx(vf), 0u) << "net_faulty's reset zeroes its counters";
	EXPECT_EQ(bypass_->xstat("active_tx_good_packets"), counted);
}

TEST_F(Reset, ARecoveringVfIsLeftAloneUntilItRecoversThenTakesTxBack)
{
	const uint16_t vf = vf_->port_id();
	traffic_start();
	ASSERT_TRUE(watch_until([&] { return vf_tx(vf) > 0; }));
	const unsigned configures = faulty::calls(vf, faulty::Op::configure);
	const unsigned stops = faulty::calls(vf, faulty::Op::stop);
	raise_event(vf, RTE_ETH_EVENT_ERR_RECOVERING);
	EXPECT_FALSE(bypass_state(port()).on_active);
	ASSERT_TRUE(backup_carried_more());
	/* The PMD's bursts are dummies now: nothing reaches the VF, and no
	 * control call either, until it says how the recovery went. */
	const uint64_t vf_sent = vf_tx(vf);
	ASSERT_TRUE(backup_carried_more());
	std::this_thread::sleep_for(100ms);
	EXPECT_EQ(vf_tx(vf), vf_sent) << "a burst went to the recovering VF";
	EXPECT_EQ(faulty::calls(vf, faulty::Op::configure), configures);
	EXPECT_EQ(faulty::calls(vf, faulty::Op::stop), stops);
	raise_event(vf, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	EXPECT_TRUE(watch_until([&] { return on_vf(vf); })) << "tx did not come back";
	EXPECT_EQ(faulty::calls(vf, faulty::Op::reset), 0u) << "a recovered VF is not reset";
	EXPECT_EQ(faulty::calls(vf, faulty::Op::configure), configures + 1);
	traffic_stop();
	opackets();
}

TEST_F(Reset, SettingsMadeWhileTheVfRecoversReachItAfterwards)
{
	const uint16_t vf = vf_->port_id();
	raise_event(vf, RTE_ETH_EVENT_ERR_RECOVERING);
	const unsigned promisc = faulty::calls(vf, faulty::Op::promisc);
	ASSERT_EQ(rte_eth_promiscuous_enable(port()), 0);
	EXPECT_EQ(faulty::calls(vf, faulty::Op::promisc), promisc) << "a control call mid-recovery";
	raise_event(vf, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	ASSERT_TRUE(wait_until([&] { return on_vf(vf); }));
	EXPECT_EQ(rte_eth_promiscuous_get(vf), 1);
}

TEST_F(Reset, AFailedRecoveryReleasesTheVfAsARemoval)
{
	const uint16_t vf = vf_->port_id();
	traffic_start();
	raise_event(vf, RTE_ETH_EVENT_ERR_RECOVERING);
	raise_event(vf, RTE_ETH_EVENT_RECOVERY_FAILED);
	EXPECT_TRUE(vf_gone()) << "the dead VF was not released";
	EXPECT_EQ(bypass_state(port()).reason, RTE_PMD_BYPASS_REASON_NO_ACTIVE);
	ASSERT_TRUE(backup_carried_more());
	traffic_stop();
	opackets();
}

TEST_F(Reset, AVfThatCannotBeResetIsReleasedWithItsCountsKeptOnce)
{
	const uint16_t vf = vf_->port_id();
	ASSERT_EQ(bypass_->send(pool_.frames(32)), 32u);
	faulty::fail(vf, faulty::Op::reset, -EIO);
	LogCapture log;
	raise_event(vf, RTE_ETH_EVENT_INTR_RESET);
	EXPECT_TRUE(vf_gone()) << log.text();
	EXPECT_NE(log.text().find("cannot reset the active sub-port"), std::string::npos)
	    << log.text();
	EXPECT_EQ(bypass_->xstat("active_tx_good_packets"), 32u);
}

/* A VF stopped for its reset keeps its counts (no reset of its own, as
 * virtio), which left the path then; removed before it could be set up
 * again, it must not add them a second time. */
TEST_F(Reset, AVfRemovedBeforeItIsSetUpAgainAddsItsCountsOnce)
{
	const uint16_t vf = vf_->port_id();
	ASSERT_EQ(bypass_->send(pool_.frames(32)), 32u);
	faulty::fail(vf, faulty::Op::reset, -ENOTSUP);
	faulty::fail(vf, faulty::Op::configure, -EAGAIN); /* tried again later */
	const unsigned configures = faulty::calls(vf, faulty::Op::configure);
	raise_event(vf, RTE_ETH_EVENT_INTR_RESET);
	ASSERT_TRUE(wait_until([&] { return faulty::calls(vf, faulty::Op::configure) > configures; }));
	EXPECT_EQ(vf_tx(vf), 32u) << "the VF's own count, kept across its stop";
	raise_rmv(vf);
	EXPECT_TRUE(vf_gone());
	EXPECT_EQ(bypass_->xstat("active_tx_good_packets"), 32u);
	EXPECT_EQ(opackets(), 32u);
}

/* virtio has no reset of its own: it is stopped and set up again. */
TEST_F(Reset, ASubPortWithoutAResetOfItsOwnIsSetUpAgainNotReleased)
{
	const uint16_t backup = backup_->port_id();
	faulty::fail(backup, faulty::Op::reset, -ENOTSUP);
	ASSERT_EQ(rte_eth_dev_reset(port()), 0);
	EXPECT_EQ(bypass_state(port()).backup_port, backup);
	ASSERT_EQ(bypass_->start(pool_, 1), 0);
	EXPECT_TRUE(wait_until([&] { return on_vf(vf_->port_id()); }));
	EXPECT_EQ(rte_eth_devices[backup].data->dev_started, 1) << "the backup was not set up again";
}

TEST_F(Reset, TheBypassPortsOwnResetResetsItsSubPorts)
{
	ASSERT_EQ(rte_eth_dev_reset(port()), 0);
	EXPECT_EQ(faulty::calls(backup_->port_id(), faulty::Op::reset), 1u);
	EXPECT_EQ(faulty::calls(vf_->port_id(), faulty::Op::reset), 1u);
	/* The application sets it up again, as after any reset. */
	ASSERT_EQ(bypass_->start(pool_, 1), 0);
	EXPECT_TRUE(wait_until([&] { return on_vf(vf_->port_id()); }));
	ASSERT_EQ(bypass_->send(pool_.frames(4)), 4u);
}

} // namespace
