/* SPDX-License-Identifier: BSD-3-Clause */
/* Which path a burst leaves by when tx moves under it: what tx_prepare
 * prepared for one path is prepared again for the other, and what the VF
 * refuses as it goes away, or as its link goes down before the control
 * path noticed, leaves by the backup before tx_burst returns, once. The
 * sub-ports are net_faulty ports (faulty_pmd.h). */
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include <rte_launch.h>
#include <rte_pmd_bypass.h>

#include "common/eal.h"
#include "common/faulty_fixture.h"
#include "common/ports.h"

using namespace bypass_test;
using namespace std::chrono_literals;

namespace {

class TxPath : public FaultyPairTx {
protected:
	void start(const std::string &backup_args = "", const std::string &vf_args = "")
	{
		make(backup_args, vf_args);
		FaultyPair::start();
	}
};

TEST_F(TxPath, PacketsPreparedWhileOnTheVfArePreparedAgainForTheBackup)
{
	start("prepare=1"); /* the backup inserts VLAN tags in its prepare, as virtio */
	auto pkts = pool_.frames(8);
	for (rte_mbuf *m : pkts) {
		m->ol_flags |= RTE_MBUF_F_TX_VLAN;
		m->vlan_tci = 42;
	}
	ASSERT_EQ(rte_eth_tx_prepare(port(), 0, pkts.data(), pkts.size()), pkts.size());
	ASSERT_EQ(rte_pmd_bypass_force_backup(port(), 1), 0);
	ASSERT_EQ(rte_eth_tx_burst(port(), 0, pkts.data(), pkts.size()), pkts.size());
	const auto out = faulty::transmitted(backup_->port_id());
	ASSERT_EQ(out.size(), pkts.size());
	for (rte_mbuf *m : out) {
		const auto *eth = rte_pktmbuf_mtod(m, const rte_ether_hdr *);
		EXPECT_EQ(eth->ether_type, rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
		    << "sent on the backup without its prepare";
		rte_pktmbuf_free(m);
	}
	EXPECT_EQ(faulty::prepared(backup_->port_id()), pkts.size());
}

TEST_F(TxPath, WhatTheVfRefusesAsItGoesAwayLeavesOnTheBackupOnce)
{
	/* The release the removal starts is held at the VF's stop, so that
	 * what the VF took can still be read from it. */
	start("", "block=stop");
	const uint16_t vf = vf_->port_id();
	/* The removal arrives while the VF is in the middle of the burst,
	 * which it then takes only part of. */
	faulty::tx_limit(vf, 10);
	static uint16_t going;
	going = vf;
	faulty::on_tx(
	    vf, [](void *) { raise_rmv(going); }, nullptr);
	EXPECT_EQ(bypass_->send(pool_.frames(32)), 32u) << "the rest was left to the caller";
	ASSERT_TRUE(wait_until([&] { return faulty::blocked(vf, faulty::Op::stop); }));
	faulty::on_tx(vf, nullptr, nullptr);
	EXPECT_EQ(drain(vf), 10u);
	EXPECT_EQ(drain(backup_->port_id()), 22u) << "sent twice or lost";
	faulty::unblock(vf, faulty::Op::stop);
	EXPECT_TRUE(vf_released());
	vf_->forget();
}

TEST_F(TxPath, ABurstIntoAVfWhoseLinkJustWentDownLeavesOnTheBackup)
{
	start();
	/* No LSC: the control path would only notice at its next poll. */
	faulty::set_link(vf_->port_id(), false);
	EXPECT_EQ(bypass_->send(pool_.frames(32)), 32u);
	EXPECT_EQ(drain(vf_->port_id()), 0u);
	EXPECT_EQ(drain(backup_->port_id()), 32u);
	faulty::set_link(vf_->port_id(), true);
}

TEST_F(TxPath, AFullVfKeepsWhatItDidNotTake)
{
	start();
	faulty::tx_limit(vf_->port_id(), 10);
	EXPECT_EQ(bypass_->send(pool_.frames(32)), 10u) << "a full VF is not a reason to switch";
	EXPECT_EQ(drain(backup_->port_id()), 0u);
	EXPECT_EQ(drain(vf_->port_id()), 10u);
}

/* An application that drops what tx refuses, sending flat out. */
struct Sender {
	uint16_t port;
	rte_mempool *pool;
	std::atomic<bool> stop{false};
	std::atomic<uint64_t> sent{0}, dropped{0};
};

int send_loop(void *arg)
{
	auto *s = static_cast<Sender *>(arg);
	rte_mbuf *pkts[32];
	while (!s->stop.load(std::memory_order_relaxed)) {
		if (rte_pktmbuf_alloc_bulk(s->pool, pkts, 32) != 0)
			continue;
		for (rte_mbuf *m : pkts)
			rte_pktmbuf_append(m, 64);
		const uint16_t n = rte_eth_tx_burst(s->port, 0, pkts, 32);
		s->sent += n;
		s->dropped += 32 - n;
		rte_pktmbuf_free_bulk(pkts + n, 32 - n);
	}
	return 0;
}

TEST_F(TxPath, FiveLinkDownsUnderTrafficLoseAtMostSevenFrames)
{
	start("keep=0", "keep=0"); /* sent frames are freed at once: the pool never runs dry */
	Sender s{port(), pool_.get()};
	ASSERT_EQ(rte_eal_remote_launch(send_loop, &s, rte_get_next_lcore(-1, 1, 0)), 0);
	for (int i = 0; i < 5; i++) {
		std::this_thread::sleep_for(30ms);
		faulty::set_link(vf_->port_id(), false);
		std::this_thread::sleep_for(30ms);
		faulty::set_link(vf_->port_id(), true);
	}
	std::this_thread::sleep_for(30ms);
	s.stop = true;
	rte_eal_mp_wait_lcore();
	printf("link downs: 5, frames sent %lu, refused %lu\n", (unsigned long)s.sent.load(),
	       (unsigned long)s.dropped.load());
	EXPECT_GT(s.sent.load(), 0u);
	EXPECT_LE(s.dropped.load(), 7u);
	EXPECT_GE(bypass_->xstat("tx_management_path_switches"), 10u);
}

} // namespace
