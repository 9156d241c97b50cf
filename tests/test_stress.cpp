/* SPDX-License-Identifier: BSD-3-Clause */
/* Two lcores burst rx and tx flat out while the VF is removed and a new one
 * plugged, again and again: no crash, no burst on a released port, every
 * mbuf back in the pool, counters that never go backwards. The number of
 * cycles is BYPASS_STRESS_CYCLES (200 by default; the two lcores share one CPU here, so a cycle
 * waits for a descheduled lcore to finish its burst: tens of ms). */
#include <atomic>
#include <cstdlib>
#include <memory>

#include <gtest/gtest.h>

#include <ethdev_driver.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pmd_bypass.h>

#include "common/eal.h"
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

rte_pmd_bypass_state state_of(uint16_t port)
{
	rte_pmd_bypass_state s{};
	rte_pmd_bypass_state_get(port, &s);
	return s;
}

TEST(Stress, VfRemovedAndReaddedWhileTwoLcoresBurst)
{
	const char *env = getenv("BYPASS_STRESS_CYCLES");
	const int cycles = env != nullptr ? atoi(env) : 200;
	ASSERT_GE(rte_lcore_count(), 3u) << "needs two worker lcores";

	Mempool pool(unique("pool"), 8191);
	RingPort backup(unique("bk"), true);
	auto vf = std::make_unique<RingPort>(unique("vf0_"), true);
	auto bypass = std::make_unique<BypassDev>("net_bypass_stress", "backup=" + backup.name() +
									   ",active=" + vf->name());
	ASSERT_EQ(bypass->probe_result(), 0);
	const unsigned in_use_at_start = pool.in_use();
	ASSERT_EQ(bypass->start(pool), 0);
	const uint16_t port = bypass->port_id();
	ASSERT_TRUE(wait_until([&] { return state_of(port).on_active; }));

	Lcores l;
	l.port = port;
	l.pool = pool.get();
	const unsigned tx_lcore = rte_get_next_lcore(-1, 1, 0);
	const unsigned rx_lcore = rte_get_next_lcore(tx_lcore, 1, 0);
	ASSERT_EQ(rte_eal_remote_launch(tx_loop, &l, tx_lcore), 0);
	ASSERT_EQ(rte_eal_remote_launch(rx_loop, &l, rx_lcore), 0);

	rte_eth_stats last{};
	int done = 0;
	for (; done < cycles; done++) {
		const uint16_t old = state_of(port).active_port;
		rte_eth_dev_callback_process(&rte_eth_devices[old], RTE_ETH_EVENT_INTR_RMV,
					     nullptr);
		if (!wait_until([&] { return state_of(port).active_port == RTE_MAX_ETHPORTS; }))
			break;
		/* Released: nothing may touch its rings any more. */
		const unsigned queued = vf->queued();
		rte_delay_us_sleep(200);
		EXPECT_EQ(vf->queued(), queued) << "a burst used the released VF, cycle " << done;

		rte_eth_stats now{};
		rte_eth_stats_get(port, &now);
		EXPECT_GE(now.opackets, last.opackets) << "cycle " << done;
		EXPECT_GE(now.ipackets, last.ipackets) << "cycle " << done;
		last = now;

		vf =
		    std::make_unique<RingPort>(unique("vf") + std::to_string(done + 1) + "_", true);
		if (!wait_until([&] {
			    const auto s = state_of(port);
			    return s.on_active && s.active_port == vf->port_id();
		    }))
			break;
	}
	l.stop = true;
	rte_eal_mp_wait_lcore();

	EXPECT_EQ(done, cycles) << "a removal or a re-attach did not complete";
	EXPECT_EQ(l.misstamped.load(), 0u);
	EXPECT_GT(l.tx.load(), 0u);
	EXPECT_GT(l.rx.load(), 0u);
	EXPECT_GE(bypass->xstat("active_attaches"), uint64_t(done));
	printf("stress: %d removals and re-attaches, %lu packets sent, %lu received\n", done,
	       (unsigned long)l.tx.load(), (unsigned long)l.rx.load());

	bypass.reset();
	vf.reset();
	backup.drain_tx();
	EXPECT_EQ(pool.in_use(), in_use_at_start) << "mbufs leaked";
}

} // namespace
