/* SPDX-License-Identifier: BSD-3-Clause */
/* The control path under concurrency: what the application asks while an
 * attach or a release is in progress, what it hears and when, and what
 * happens to a VF that appears at a bad moment. The attach or release is
 * held open with a net_faulty port (faulty_pmd.h) that hangs in an op, or
 * whose rx burst keeps an lcore inside the bypass port's burst. */
#include <algorithm>
#include <future>
#include <optional>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_launch.h>
#include <rte_pmd_bypass.h>

#include "common/backend.h"
#include "common/eal.h"
#include "common/faulty_fixture.h"
#include "common/ports.h"

using namespace bypass_test;
using namespace std::chrono_literals;

namespace {

/* For the tests without a FaultyPair. */
const std::string MAC = "02:00:00:00:0c:01";

bool visible(uint16_t port)
{
	const auto ports = visible_ports();
	return std::count(ports.begin(), ports.end(), port) != 0;
}

/* Runs `fn` on another thread; true if it returned within `limit`. Should
 * it hang, `unstick` lets it go before the test goes on. */
bool returns_within(std::chrono::milliseconds limit, const std::function<void()> &fn,
		    const std::function<void()> &unstick)
{
	auto done = std::async(std::launch::async, fn);
	const bool in_time = done.wait_for(limit) == std::future_status::ready;
	if (!in_time)
		unstick();
	done.wait();
	return in_time;
}

class ControlPath : public FaultyPair {
protected:
	void start(const rte_eth_conf &conf = {})
	{
		make();
		FaultyPair::start(1, conf);
	}
	/* Holds the polling lcore inside the VF's rx burst, then removes the
	 * VF's device on `removal`, which raises DESTROY while the burst is
	 * held. False, with nothing removed, if no lcore got inside. */
	bool remove_vf_held_in_burst(std::thread &removal)
	{
		const uint16_t vf = vf_->port_id();
		faulty::hold_rx(vf, true);
		start_polling();
		if (!wait_until([&] { return faulty::rx_held(vf); }))
			return false;
		const std::string name = vf_->name();
		vf_->forget();
		removal = std::thread([name] { rte_vdev_uninit(name.c_str()); });
		return true;
	}
	/* An lcore polls the bypass port's queue 0 until stop_polling(). */
	void start_polling()
	{
		poller_.port = port();
		ASSERT_EQ(rte_eal_remote_launch(poll, &poller_, rte_get_next_lcore(-1, 1, 0)), 0);
	}
	void stop_polling()
	{
		poller_.stop = true;
		rte_eal_mp_wait_lcore();
	}
	static int poll(void *arg)
	{
		auto *p = static_cast<Poller *>(arg);
		rte_mbuf *pkts[32];
		while (!p->stop.load())
			rte_pktmbuf_free_bulk(pkts, rte_eth_rx_burst(p->port, 0, pkts, 32));
		return 0;
	}
	struct Poller {
		uint16_t port = RTE_MAX_ETHPORTS;
		std::atomic<bool> stop{false};
	} poller_;
	/* Removes the VF; offers one made with `args` that is still being
	 * attached (hung in `op`) when this returns. */
	uint16_t replace_vf_hung_in(const char *op, const std::string &args = "")
	{
		const uint16_t vf = offer_vf(std::string("block=") + op + "," + args);
		faulty::Op which =
		    op == std::string("configure") ? faulty::Op::configure : faulty::Op::start;
		EXPECT_TRUE(wait_until([&] { return faulty::blocked(vf, which); }));
		return vf;
	}

	void TearDown() override
	{
		for (auto *p : {&vf2_, &vf_, &backup_}) {
			if (*p && !(*p)->forgotten())
				for (faulty::Op op : {faulty::Op::configure, faulty::Op::start,
						      faulty::Op::promisc})
					faulty::unblock((*p)->port_id(), op);
		}
		if (vf_ && !vf_->forgotten())
			faulty::hold_rx(vf_->port_id(), false);
		FaultyPair::TearDown();
	}
};

TEST_F(ControlPath, ReadsNeverWaitForAnAttachInProgress)
{
	start();
	const uint16_t vf = replace_vf_hung_in("configure");
	auto unstick = [&] { faulty::unblock(vf, faulty::Op::configure); };
	rte_eth_link link{};
	EXPECT_TRUE(returns_within(
	    100ms, [&] { EXPECT_EQ(rte_eth_link_get_nowait(port(), &link), 0); }, unstick))
	    << "link read waited for the attach";
	EXPECT_EQ(link.link_status, RTE_ETH_LINK_UP);
	rte_eth_stats stats{};
	EXPECT_TRUE(returns_within(
	    100ms, [&] { rte_eth_stats_get(port(), &stats); }, unstick))
	    << "stats waited for the attach";
	std::vector<rte_eth_xstat> xstats(64);
	EXPECT_TRUE(returns_within(
	    100ms, [&] { rte_eth_xstats_get(port(), xstats.data(), xstats.size()); }, unstick))
	    << "xstats waited for the attach";
	rte_eth_dev_info info{};
	EXPECT_TRUE(returns_within(
	    100ms, [&] { EXPECT_EQ(rte_eth_dev_info_get(port(), &info), 0); }, unstick))
	    << "device info waited for the attach";
	unstick();
	EXPECT_TRUE(wait_until([&] {
		const auto s = bypass_state(port());
		return s.on_active && s.active_port == vf;
	}));
}

TEST_F(ControlPath, ReadsNeverWaitForAReleaseInProgress)
{
	/* An lcore held inside a burst keeps the release waiting for it. */
	start();
	faulty::hold_rx(vf_->port_id(), true);
	start_polling();
	ASSERT_TRUE(wait_until([&] { return faulty::rx_held(vf_->port_id()); }));
	raise_rmv(vf_->port_id());
	std::this_thread::sleep_for(50ms); /* the release now waits for the burst */
	auto unstick = [&] { faulty::hold_rx(vf_->port_id(), false); };
	rte_eth_stats stats{};
	EXPECT_TRUE(returns_within(
	    100ms, [&] { rte_eth_stats_get(port(), &stats); }, unstick));
	rte_eth_link link{};
	EXPECT_TRUE(returns_within(
	    100ms, [&] { EXPECT_EQ(rte_eth_link_get_nowait(port(), &link), 0); }, unstick));
	unstick();
	EXPECT_TRUE(vf_gone());
	stop_polling();
}

int record_started(uint16_t port, rte_eth_event_type, void *arg, void *)
{
	*static_cast<std::atomic<int> *>(arg) = rte_eth_devices[port].data->dev_started ? 1 : 0;
	return 0;
}

TEST_F(ControlPath, LinkUpAtStartIsAnnouncedOnceThePortIsStarted)
{
	make();
	std::atomic<int> started{-1};
	ASSERT_EQ(
	    rte_eth_dev_callback_register(port(), RTE_ETH_EVENT_INTR_LSC, record_started, &started),
	    0);
	rte_eth_conf conf{};
	conf.intr_conf.lsc = 1;
	ASSERT_EQ(bypass_->start(pool_, 1, conf), 0);
	EXPECT_TRUE(wait_until([&] { return started.load() != -1; })) << "no LSC event";
	EXPECT_EQ(started.load(), 1) << "LSC raised before ethdev marked the port started";
	rte_eth_dev_callback_unregister(port(), RTE_ETH_EVENT_INTR_LSC, record_started, &started);
}

/* An lcore polling the bypass port, held inside the VF's rx burst. */
class HeldRelease : public ControlPath {
protected:
	void SetUp() override
	{
		start();
		faulty::hold_rx(vf_->port_id(), true);
		held_ = true;
		start_polling();
		ASSERT_TRUE(wait_until([&] { return faulty::rx_held(vf_->port_id()); }));
		raise_rmv(vf_->port_id());
	}
	/* Lets the held burst return, and with it the release go on: after
	 * that the VF is not touched until it is gone. */
	void unhold()
	{
		if (std::exchange(held_, false))
			faulty::hold_rx(vf_->port_id(), false);
	}
	void TearDown() override
	{
		unhold();
		stop_polling();
		/* Not vf_gone(): a test may have removed the bypass port. */
		EXPECT_TRUE(vf_closed()) << "the VF was never released";
		ControlPath::TearDown();
	}
	bool held_ = false;
};

/* The race DESTROY's wait is for, made to happen: an lcore is held inside
 * the VF's rx burst while the VF's driver removes it, raising DESTROY
 * before it frees its queues. The removal must not get past DESTROY until
 * the burst is out; net_faulty counts a device freed under a held burst. */
TEST_F(ControlPath, DestroyWaitsForABurstHeldInsideTheVf)
{
	start();
	const uint16_t vf = vf_->port_id();
	const unsigned freed_before = faulty::closed_mid_burst();
	std::thread removal;
	ASSERT_TRUE(remove_vf_held_in_burst(removal));
	/* Long enough for a removal that does not wait to free the VF. */
	wait_until([&] { return faulty::closed_mid_burst() != freed_before; }, 1000ms);
	faulty::hold_rx(vf, false);
	removal.join();
	EXPECT_EQ(faulty::closed_mid_burst(), freed_before)
	    << "the VF was freed while an lcore was inside its burst";
	EXPECT_EQ(bypass_state(port()).active_port, RTE_MAX_ETHPORTS);
	stop_polling();
}

/* A wait for the bursts holds no lock that an event handler or the public
 * API takes: while DESTROY waits for a burst held inside the VF, a reset
 * event raised by the backup (its handler runs on the raising thread, as
 * on the EAL interrupt thread) and rte_pmd_bypass_force_backup() return,
 * and the backup's reset is done once the wait is over. */
TEST_F(ControlPath, EventHandlersAndTheApiGoOnWhileDestroyWaitsForABurst)
{
	start();
	const uint16_t vf = vf_->port_id();
	std::thread removal;
	ASSERT_TRUE(remove_vf_held_in_burst(removal));
	EXPECT_TRUE(wait_until(
	    [&] { return bypass_state(port()).reason == RTE_PMD_BYPASS_REASON_REMOVING; }));
	const auto unstick = [&] { faulty::hold_rx(vf, false); };
	EXPECT_TRUE(returns_within(
	    5000ms,
	    [&] {
		    EXPECT_EQ(rte_pmd_bypass_force_backup(port(), 0), 0);
		    raise_event(backup_->port_id(), RTE_ETH_EVENT_INTR_RESET);
	    },
	    unstick))
	    << "an event handler or the API waited for the burst DESTROY waits for";
	unstick();
	removal.join();
	EXPECT_TRUE(wait_until([&] { return bypass_->xstat("backup_management_resets") == 1; }))
	    << "the backup's reset was not done once DESTROY's wait was over";
	EXPECT_EQ(bypass_state(port()).active_port, RTE_MAX_ETHPORTS);
	stop_polling();
}

TEST_F(HeldRelease, AVfThatAppearsWhileTheLastIsReleasedIsTakenOnceItIsGone)
{
	std::this_thread::sleep_for(50ms);
	ASSERT_EQ(bypass_state(port()).active_port, vf_->port_id()) << "released under a burst";
	vf2_.emplace(unique("net_faulty_c"), std::string("mac=") + MAC);
	const uint16_t vf2 = vf2_->port_id();
	EXPECT_FALSE(visible(vf2)) << "the new VF was left to the application";
	unhold();
	EXPECT_TRUE(wait_until([&] {
		const auto s = bypass_state(port());
		return s.on_active && s.active_port == vf2;
	})) << "the VF that came during the release was not taken";
}

TEST_F(HeldRelease, ALeavingVfGetsNoSettingAndIsNotStartedAgain)
{
	const uint16_t old = vf_->port_id();
	ASSERT_EQ(bypass_state(port()).reason, RTE_PMD_BYPASS_REASON_REMOVING);
	const unsigned promisc = faulty::calls(old, faulty::Op::promisc);
	const unsigned mtu = faulty::calls(old, faulty::Op::mtu_set);
	ASSERT_EQ(rte_eth_promiscuous_enable(port()), 0);
	ASSERT_EQ(rte_eth_dev_set_mtu(port(), 1400), 0);
	EXPECT_EQ(faulty::calls(old, faulty::Op::promisc), promisc);
	EXPECT_EQ(faulty::calls(old, faulty::Op::mtu_set), mtu);
	EXPECT_EQ(faulty::calls(backup_->port_id(), faulty::Op::mtu_set), 1u);
}

TEST_F(HeldRelease, TheBypassPortRemovedWhileItReleasesAVfIsRemoved)
{
	/* The application removes the bypass port (holding the vdev bus lock
	 * as it does) while the control thread is releasing the VF, whose
	 * device it then removes: that must not wait for the bus. */
	std::thread later([&] {
		std::this_thread::sleep_for(100ms);
		unhold();
		poller_.stop = true;
	});
	auto removing =
	    std::async(std::launch::async, [&] { return rte_vdev_uninit("net_bypass_faulty"); });
	const bool done = removing.wait_for(10s) == std::future_status::ready;
	later.join();
	ASSERT_TRUE(done) << "removing the bypass port hung";
	EXPECT_EQ(removing.get(), 0);
}

TEST_F(ControlPath, ARestartDuringARemovalLeavesTheLeavingVfStopped)
{
	/* The removal arrives while dev_start is on its way to the VF. */
	start();
	ASSERT_EQ(rte_eth_dev_stop(port()), 0);
	faulty::block(backup_->port_id(), faulty::Op::start);
	const uint16_t old = vf_->port_id();
	const unsigned starts = faulty::calls(vf_->name(), faulty::Op::start);
	auto starting = std::async(std::launch::async, [&] { return rte_eth_dev_start(port()); });
	ASSERT_TRUE(
	    wait_until([&] { return faulty::blocked(backup_->port_id(), faulty::Op::start); }));
	raise_rmv(old);
	faulty::unblock(backup_->port_id(), faulty::Op::start);
	EXPECT_EQ(starting.get(), 0);
	EXPECT_EQ(faulty::calls(vf_->name(), faulty::Op::start), starts)
	    << "the leaving VF was started";
	EXPECT_TRUE(vf_gone());
}

TEST_F(ControlPath, ASettingInProgressWhenTheVfIsRemovedSkipsIt)
{
	start();
	const uint16_t old = vf_->port_id();
	const unsigned before = faulty::calls(vf_->name(), faulty::Op::promisc);
	faulty::block(backup_->port_id(), faulty::Op::promisc);
	auto setting =
	    std::async(std::launch::async, [&] { return rte_eth_promiscuous_enable(port()); });
	ASSERT_TRUE(
	    wait_until([&] { return faulty::blocked(backup_->port_id(), faulty::Op::promisc); }));
	raise_rmv(old);
	faulty::unblock(backup_->port_id(), faulty::Op::promisc);
	EXPECT_EQ(setting.get(), 0);
	EXPECT_EQ(faulty::calls(vf_->name(), faulty::Op::promisc), before)
	    << "the leaving VF got the setting";
	EXPECT_TRUE(vf_gone());
}

TEST_F(ControlPath, AVfStillFinishingItsProbeIsAttachedOnlyOnceItIsDone)
{
	/* ethdev marks a port attached right after NEW, the bus sets its
	 * driver only when the probe returns: rte_eth_dev_info_get() in
	 * between dereferences a NULL driver. */
	start();
	const uint16_t vf = offer_vf("probe_delay_ms=200");
	EXPECT_TRUE(wait_until([&] {
		const auto s = bypass_state(port());
		return s.on_active && s.active_port == vf;
	}));
}

TEST(ZeroConfigBusy, PairingGoesOnWhileABypassPortIsStuckAttaching)
{
	/* A bypass port whose new VF hangs in its configure holds its control
	 * lock; a pairing started then looks at every port, that one too. */
	Mempool pool(unique("pool"));
	FaultyPort backup(unique("net_faulty_zb"), "mac=" + MAC);
	std::optional<FaultyPort> vf(std::in_place, unique("net_faulty_za"), "mac=" + MAC);
	BypassDev stuck("net_bypass_stuck", "backup=" + backup.name() + ",active=" + vf->name());
	ASSERT_EQ(stuck.probe_result(), 0);
	ASSERT_EQ(stuck.start(pool), 0);
	raise_rmv(vf->port_id());
	ASSERT_TRUE(wait_until(
	    [&] { return bypass_state(stuck.port_id()).active_port == RTE_MAX_ETHPORTS; }));
	vf->forget(); /* the bypass port tears it down */
	FaultyPort hung(unique("net_faulty_zc"), "mac=" + MAC + ",block=configure");
	ASSERT_TRUE(
	    wait_until([&] { return faulty::blocked(hung.port_id(), faulty::Op::configure); }));

	VhostBackend host({VhostBackend::Mode::failover});
	ASSERT_TRUE(host.ready());
	ASSERT_EQ(rte_vdev_init("net_bypass_zcb", "standby=1"), 0);
	const std::string virtio = unique("virtio_user_zcb");
	ASSERT_EQ(rte_vdev_init(
		      virtio.c_str(),
		      ("path=" + host.socket(0) + ",queues=1,cq=1,mac=02:00:00:00:0d:01").c_str()),
		  0);
	const std::string name = std::string("net_bypass_zcb_") + virtio;
	uint16_t paired = RTE_MAX_ETHPORTS;
	EXPECT_TRUE(wait_until([&] {
		return rte_eth_dev_get_port_by_name(name.c_str(), &paired) == 0;
	})) << "the pairing waited for the stuck port";
	faulty::unblock(hung.port_id(), faulty::Op::configure);
	/* Not removed under the attach it is in. */
	EXPECT_TRUE(wait_until([&] {
		const auto s = bypass_state(stuck.port_id());
		return s.on_active && s.active_port == hung.port_id();
	}));
	rte_vdev_uninit("net_bypass_zcb");
	rte_vdev_uninit(virtio.c_str());
}

} // namespace
