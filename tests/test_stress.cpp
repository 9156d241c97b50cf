/* SPDX-License-Identifier: BSD-3-Clause */
/* Two lcores burst rx and tx flat out while sub-ports are removed, by every
 * means there is, and new ones plugged, again and again: no crash, no
 * burst on a released port, every mbuf back in the pool, counters that
 * never go backwards. The number of cycles of each test is
 * BYPASS_STRESS_CYCLES (200 by default; the two lcores share one CPU here,
 * so a release may wait for a descheduled lcore to finish its burst). */
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pmd_bypass.h>

#include "common/eal.h"
#include "common/faulty_pmd.h"
#include "common/ports.h"

using namespace bypass_test;

namespace {

struct Lcores {
	uint16_t port;
	rte_mempool *pool;
	std::atomic<bool> stop{false};
	std::atomic<uint64_t> rx{0}, tx{0}, misstamped{0};
};

int tx_loop(void *arg)
{
	auto *l = static_cast<Lcores *>(arg);
	rte_mbuf *pkts[32];
	uint64_t sent = 0;
	while (!l->stop.load(std::memory_order_relaxed)) {
		if (rte_pktmbuf_alloc_bulk(l->pool, pkts, 32) != 0)
			continue;
		for (rte_mbuf *m : pkts)
			rte_pktmbuf_append(m, 64);
		const uint16_t n = rte_eth_tx_burst(l->port, 0, pkts, 32);
		sent += n;
		if (n < 32)
			rte_pktmbuf_free_bulk(pkts + n, 32 - n);
	}
	l->tx = sent;
	return 0;
}

int rx_loop(void *arg)
{
	auto *l = static_cast<Lcores *>(arg);
	rte_mbuf *pkts[32];
	uint64_t got = 0, bad = 0;
	while (!l->stop.load(std::memory_order_relaxed)) {
		const uint16_t n = rte_eth_rx_burst(l->port, 0, pkts, 32);
		for (uint16_t i = 0; i < n; i++)
			bad += pkts[i]->port != l->port;
		got += n;
		rte_pktmbuf_free_bulk(pkts, n);
	}
	l->rx = got;
	l->misstamped = bad;
	return 0;
}

int cycles()
{
	const char *env = getenv("BYPASS_STRESS_CYCLES");
	return env != nullptr ? atoi(env) : 200;
}

/* How a sub-port goes away. */
enum class How {
	rmv,	    /* its PMD's RMV interrupt: a request */
	dev_remove, /* rte_dev_remove(), as `testpmd> detach device` or OVS does */
	close,	    /* rte_eth_dev_stop() and rte_eth_dev_close() by someone else */
};
constexpr How HOWS[] = {How::rmv, How::dev_remove, How::close};

const char *how_name(How how)
{
	switch (how) {
	case How::rmv:
		return "RMV";
	case How::dev_remove:
		return "rte_dev_remove";
	case How::close:
		return "close";
	}
	return "?";
}

void remove_port(uint16_t port, How how)
{
	switch (how) {
	case How::rmv:
		raise_rmv(port);
		break;
	case How::dev_remove:
		rte_dev_remove(rte_eth_devices[port].device);
		break;
	case How::close:
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
		break;
	}
}

/* A bypass port over two loopback ring ports, two lcores bursting on it,
 * and the mempool's in-use count checked once all is closed. net_ring
 * keeps its queues in its private data, which ethdev frees right after
 * DESTROY: a burst on a destroyed port reads freed memory and crashes. */
class Stress : public testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_GE(rte_lcore_count(), 3u) << "needs two worker lcores";
		backup_ = std::make_unique<RingPort>(unique("bk0_"), true);
		vf_ = std::make_unique<RingPort>(unique("vf0_"), true);
		bypass_ = std::make_unique<BypassDev>(
		    "net_bypass_stress", "backup=" + backup_->name() + ",active=" + vf_->name());
		ASSERT_EQ(bypass_->probe_result(), 0);
		in_use_at_start_ = pool_.in_use();
		ASSERT_EQ(bypass_->start(pool_), 0);
		port_ = bypass_->port_id();
		ASSERT_TRUE(wait_until([&] { return bypass_state(port_).on_active; }));

		l_.port = port_;
		l_.pool = pool_.get();
		const unsigned tx_lcore = rte_get_next_lcore(-1, 1, 0);
		const unsigned rx_lcore = rte_get_next_lcore(tx_lcore, 1, 0);
		ASSERT_EQ(rte_eal_remote_launch(tx_loop, &l_, tx_lcore), 0);
		ASSERT_EQ(rte_eal_remote_launch(rx_loop, &l_, rx_lcore), 0);
		started_ = std::chrono::steady_clock::now();
	}

	void TearDown() override
	{
		l_.stop = true;
		rte_eal_mp_wait_lcore();
		const double s =
		    std::chrono::duration<double>(std::chrono::steady_clock::now() - started_)
			.count();
		printf("stress: %d cycles in %.1f s, %lu packets sent, %lu received\n", done_, s,
		       (unsigned long)l_.tx.load(), (unsigned long)l_.rx.load());
		EXPECT_EQ(l_.misstamped.load(), 0u);
		EXPECT_GT(l_.tx.load(), 0u);
		EXPECT_GT(l_.rx.load(), 0u);
		bypass_.reset();
		vf_.reset();
		backup_.reset();
		EXPECT_EQ(pool_.in_use(), in_use_at_start_) << "mbufs leaked";
	}

	/* Removes the sub-port of `path` (`current`) by `how`, checks that
	 * nothing touches it afterwards and that the counters held, then
	 * plugs a new one. Returns false, with a failure, if a step did not
	 * complete. */
	bool cycle(rte_pmd_bypass_path path, std::unique_ptr<RingPort> &current, How how)
	{
		auto slot = [&] {
			const auto s = bypass_state(port_);
			return path == RTE_PMD_BYPASS_PATH_ACTIVE ? s.active_port : s.backup_port;
		};
		const std::string attaches =
		    path == RTE_PMD_BYPASS_PATH_ACTIVE ? "active_attaches" : "backup_attaches";
		const uint64_t attached = bypass_->xstat(attaches.c_str());
		const uint16_t old = slot();
		EXPECT_EQ(old, current->port_id());
		remove_port(old, how);
		if (!wait_until([&] { return slot() == RTE_MAX_ETHPORTS; })) {
			ADD_FAILURE() << how_name(how) << ": not released, cycle " << done_;
			return false;
		}
		/* Released: nothing may touch its rings any more. */
		const unsigned queued = current->queued();
		rte_delay_us_sleep(200);
		EXPECT_EQ(current->queued(), queued)
		    << "a burst used the released port, " << how_name(how) << ", cycle " << done_;

		rte_eth_stats now{};
		rte_eth_stats_get(port_, &now);
		EXPECT_GE(now.opackets, last_.opackets) << "cycle " << done_;
		EXPECT_GE(now.ipackets, last_.ipackets) << "cycle " << done_;
		last_ = now;

		current = std::make_unique<RingPort>(
		    unique(path == RTE_PMD_BYPASS_PATH_ACTIVE ? "vf" : "bk") +
			std::to_string(done_ + 1) + "_",
		    true);
		/* Attached and, for the VF, carrying tx: not merely claimed, as
		 * removing a port while it is being configured is a race its
		 * remover would lose in any application. */
		if (!wait_until([&] {
			    return slot() == current->port_id() &&
				   bypass_->xstat(attaches.c_str()) > attached &&
				   (path != RTE_PMD_BYPASS_PATH_ACTIVE ||
				    bypass_state(port_).on_active);
		    })) {
			ADD_FAILURE() << "the new port was not taken after " << how_name(how)
				      << ", cycle " << done_;
			return false;
		}
		done_++;
		return true;
	}

	Mempool pool_{unique("pool"), 8191};
	std::unique_ptr<RingPort> backup_, vf_;
	std::unique_ptr<BypassDev> bypass_;
	unsigned in_use_at_start_ = 0;
	uint16_t port_ = RTE_MAX_ETHPORTS;
	Lcores l_;
	std::chrono::steady_clock::time_point started_;
	rte_eth_stats last_{};
	int done_ = 0;
};

TEST_F(Stress, VfRemovedEveryWayAndReaddedWhileTwoLcoresBurst)
{
	const int n = cycles();
	for (int i = 0; i < n; i++) {
		if (!cycle(RTE_PMD_BYPASS_PATH_ACTIVE, vf_, HOWS[i % RTE_DIM(HOWS)]))
			break;
	}
	EXPECT_EQ(done_, n) << "a removal or a re-attach did not complete";
	EXPECT_GE(bypass_->xstat("active_attaches"), uint64_t(done_));
}

TEST_F(Stress, BackupRemovedEveryWayAndReaddedWhileTwoLcoresBurst)
{
	const int n = cycles();
	for (int i = 0; i < n; i++) {
		if (!cycle(RTE_PMD_BYPASS_PATH_BACKUP, backup_, HOWS[i % RTE_DIM(HOWS)]))
			break;
		/* Tx stayed on the VF throughout. */
		EXPECT_TRUE(bypass_state(port_).on_active) << "cycle " << i;
	}
	EXPECT_EQ(done_, n) << "a removal or a re-attach did not complete";
	EXPECT_GE(bypass_->xstat("backup_attaches"), uint64_t(done_));
}

TEST_F(Stress, EitherSubPortRemovedInTurnWhileTwoLcoresBurst)
{
	const int n = cycles();
	for (int i = 0; i < n; i++) {
		const How how = HOWS[(i / 2) % RTE_DIM(HOWS)];
		const bool ok = i % 2 == 0 ? cycle(RTE_PMD_BYPASS_PATH_ACTIVE, vf_, how)
					   : cycle(RTE_PMD_BYPASS_PATH_BACKUP, backup_, how);
		if (!ok)
			break;
	}
	EXPECT_EQ(done_, n) << "a removal or a re-attach did not complete";
}

/* The application reconfigures its port, with a different number of
 * queues each time, while VFs come and go: ethdev reallocates the port's
 * queue arrays inside rte_eth_dev_configure() and queue setup, before the
 * driver's op runs, so an attach or a release on the control thread must
 * not be walking them. */
TEST(StressReconfigure, ReconfiguredEveryWhichWayWhileVfsComeAndGo)
{
	const int n = cycles();
	const std::string mac = "02:00:00:00:1a:01";
	Mempool pool(unique("pool"), 8191);
	FaultyPort backup(unique("net_faulty_sb"), "mac=" + mac + ",keep=0");
	std::unique_ptr<FaultyPort> vf =
	    std::make_unique<FaultyPort>(unique("net_faulty_s0_"), "mac=" + mac + ",keep=0");
	BypassDev bypass("net_bypass_reconf", "backup=" + backup.name() + ",active=" + vf->name());
	ASSERT_EQ(bypass.probe_result(), 0);
	const uint16_t port = bypass.port_id();

	std::atomic<bool> stop{false};
	std::atomic<int> plugged{0};
	std::thread hotplug([&] {
		while (!stop.load()) {
			const uint16_t old = bypass_state(port).active_port;
			if (old != vf->port_id()) { /* not attached yet */
				std::this_thread::yield();
				continue;
			}
			raise_rmv(old);
			wait_until([&] { return bypass_state(port).active_port != old; });
			vf = std::make_unique<FaultyPort>(unique("net_faulty_s") +
							      std::to_string(++plugged) + "_",
							  "mac=" + mac + ",keep=0");
		}
	});
	/* Until n/4 VFs came and went, each arriving at some point of a
	 * reconfiguration. */
	int done = 0;
	for (; plugged.load() < std::max(n / 4, 1); done++) {
		const uint16_t queues = 1 + done % 4;
		rte_eth_dev_stop(port);
		if (start_port(port, pool, queues) != 0) {
			ADD_FAILURE() << "reconfiguration " << done << ": " << queues << " queues";
			break;
		}
		for (uint16_t q = 0; q < queues; q++) {
			auto pkts = pool.frames(8);
			const uint16_t sent = rte_eth_tx_burst(port, q, pkts.data(), pkts.size());
			rte_pktmbuf_free_bulk(pkts.data() + sent, pkts.size() - sent);
		}
	}
	stop = true;
	hotplug.join();
	printf("stress: %d reconfigurations, %d VFs plugged\n", done, plugged.load());
	EXPECT_GE(plugged.load(), std::max(n / 4, 1));
	rte_eth_dev_stop(port);
}

} // namespace
