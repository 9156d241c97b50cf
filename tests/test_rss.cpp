/* SPDX-License-Identifier: BSD-3-Clause */
/* RSS over sub-ports whose table and key sizes differ, as virtio's (128
 * entries, 40 bytes) and an iavf VF's (64, 52) do: the application sets
 * what the bypass port advertises and both sub-ports take it, each in its
 * own size, hashing alike. And what the bypass port does not do is not
 * advertised, whatever its sub-ports can. */
#include <optional>

#include <gtest/gtest.h>

#include "common/eal.h"
#include "common/faulty_fixture.h"
#include "common/faulty_pmd.h"
#include "common/ports.h"

using namespace bypass_test;

namespace {

const std::string MAC = "02:00:00:00:0e:01";

/* A RETA of `size` entries, every entry selected. */
std::vector<rte_eth_rss_reta_entry64> table(uint16_t size)
{
	std::vector<rte_eth_rss_reta_entry64> t(size / RTE_ETH_RETA_GROUP_SIZE);
	for (auto &g : t)
		g.mask = UINT64_MAX;
	return t;
}

uint16_t entry(const std::vector<rte_eth_rss_reta_entry64> &t, unsigned i)
{
	return t[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
}

class Rss : public testing::Test {
protected:
	void SetUp() override
	{
		backup_.emplace(unique("net_faulty_b"), "mac=" + MAC + ",reta=128,key=40,queues=4");
		vf_.emplace(unique("net_faulty_a"), "mac=" + MAC + ",reta=64,key=52,queues=4");
		bypass_.emplace("net_bypass_rss",
				"backup=" + backup_->name() + ",active=" + vf_->name());
		ASSERT_EQ(bypass_->probe_result(), 0);
		rte_eth_conf conf{};
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP;
		ASSERT_EQ(bypass_->start(pool_, 4, conf), 0);
		ASSERT_EQ(rte_eth_dev_info_get(port(), &info_), 0);
	}
	void TearDown() override
	{
		bypass_.reset();
		vf_.reset();
		backup_.reset();
	}
	uint16_t port() const { return bypass_->port_id(); }

	Mempool pool_{unique("pool")};
	std::optional<FaultyPort> backup_, vf_;
	std::optional<BypassDev> bypass_;
	rte_eth_dev_info info_{};
};

TEST_F(Rss, ARetaOfTheAdvertisedSizeReachesBothSubPortsInTheirOwnSize)
{
	ASSERT_EQ(info_.reta_size, 64);
	auto reta = table(64);
	for (unsigned i = 0; i < 64; i++)
		reta[i / 64].reta[i % 64] = (i * 5) % 4;
	ASSERT_EQ(rte_eth_dev_rss_reta_update(port(), reta.data(), 64), 0);

	auto vf = table(64);
	ASSERT_EQ(rte_eth_dev_rss_reta_query(vf_->port_id(), vf.data(), 64), 0);
	auto backup = table(128);
	ASSERT_EQ(rte_eth_dev_rss_reta_query(backup_->port_id(), backup.data(), 128), 0);
	for (unsigned i = 0; i < 128; i++) {
		/* A hash h picks entry h mod size: the same queue either way. */
		EXPECT_EQ(entry(backup, i), entry(reta, i % 64)) << "backup entry " << i;
		if (i < 64) {
			EXPECT_EQ(entry(vf, i), entry(reta, i)) << "VF entry " << i;
		}
	}
	auto got = table(64);
	ASSERT_EQ(rte_eth_dev_rss_reta_query(port(), got.data(), 64), 0);
	for (unsigned i = 0; i < 64; i++)
		EXPECT_EQ(entry(got, i), entry(reta, i)) << "bypass entry " << i;
}

TEST_F(Rss, AKeyOfTheAdvertisedSizeReachesBothSubPorts)
{
	ASSERT_EQ(info_.hash_key_size, 40);
	std::vector<uint8_t> key(40);
	for (size_t i = 0; i < key.size(); i++)
		key[i] = static_cast<uint8_t>(0x30 + i);
	rte_eth_rss_conf conf = rss_conf(key.data(), 40, RTE_ETH_RSS_IP);
	ASSERT_EQ(rte_eth_dev_rss_hash_update(port(), &conf), 0);

	std::vector<uint8_t> vf(52);
	rte_eth_rss_conf vf_conf = rss_conf(vf.data(), 52, 0);
	ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(vf_->port_id(), &vf_conf), 0);
	/* The bytes a Toeplitz hash of any RSS tuple reads are the key's. */
	EXPECT_TRUE(std::equal(key.begin(), key.end(), vf.begin()));
	std::vector<uint8_t> backup(40);
	rte_eth_rss_conf backup_conf = rss_conf(backup.data(), 40, 0);
	ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(backup_->port_id(), &backup_conf), 0);
	EXPECT_EQ(backup, key);

	std::vector<uint8_t> got(40);
	rte_eth_rss_conf got_conf = rss_conf(got.data(), 40, 0);
	ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(port(), &got_conf), 0);
	EXPECT_EQ(got, key);
	EXPECT_EQ(got_conf.rss_key_len, 40);
}

TEST(Capabilities, WhatTheBypassPortDoesNotDoIsNotAdvertised)
{
	const uint64_t capa = RTE_ETH_DEV_CAPA_RUNTIME_RX_QUEUE_SETUP |
			      RTE_ETH_DEV_CAPA_RUNTIME_TX_QUEUE_SETUP | RTE_ETH_DEV_CAPA_RXQ_SHARE |
			      RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP |
			      RTE_ETH_DEV_CAPA_FLOW_SHARED_OBJECT_KEEP;
	const std::string args = "mac=" + MAC + ",dev_capa=" + std::to_string(capa);
	FaultyPort backup(unique("net_faulty_cb"), args), vf(unique("net_faulty_ca"), args);
	BypassDev bypass("net_bypass_capa", "backup=" + backup.name() + ",active=" + vf.name());
	ASSERT_EQ(bypass.probe_result(), 0);
	rte_eth_dev_info info{};
	ASSERT_EQ(rte_eth_dev_info_get(bypass.port_id(), &info), 0);
	EXPECT_EQ(info.dev_capa & capa, 0u) << std::hex << info.dev_capa;
}

/* A VF that comes after the application set RSS up: fitted exactly, or
 * refused with a reason, never a table cut short (bypass_rss.cpp). The
 * sub-ports have 4 queue pairs; the port is started with 4. */
class LateVf : public FaultyPair {
protected:
	void make_and_start(const std::string &backup, const std::string &vf,
			    const std::string &bypass_args)
	{
		make(backup, vf, bypass_args);
		rte_eth_conf conf{};
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP;
		start(4, conf);
		ASSERT_EQ(rte_eth_dev_info_get(port(), &info_), 0);
	}
	/* Sets a RETA of the advertised size, entry i = queue_of(i). */
	template <typename Fn> void set_reta(Fn &&queue_of)
	{
		reta_.assign(info_.reta_size / RTE_ETH_RETA_GROUP_SIZE, rte_eth_rss_reta_entry64{});
		for (unsigned i = 0; i < info_.reta_size; i++) {
			reta_[i / 64].mask |= 1ULL << (i % 64);
			reta_[i / 64].reta[i % 64] = queue_of(i);
		}
		ASSERT_EQ(rte_eth_dev_rss_reta_update(port(), reta_.data(), info_.reta_size), 0);
	}
	/* Whether `sub`'s table hashes as the application's: its entry j is
	 * the application's j mod (the smaller size). */
	::testing::AssertionResult hashes_alike(uint16_t sub)
	{
		rte_eth_dev_info info{};
		if (rte_eth_dev_info_get(sub, &info) != 0)
			return ::testing::AssertionFailure() << "no info";
		std::vector<rte_eth_rss_reta_entry64> t = table(info.reta_size);
		if (rte_eth_dev_rss_reta_query(sub, t.data(), info.reta_size) != 0)
			return ::testing::AssertionFailure() << "no RETA";
		const unsigned period = std::min(info.reta_size, info_.reta_size);
		for (unsigned j = 0; j < std::max(info.reta_size, info_.reta_size); j++) {
			const uint16_t mine = entry(t, j % info.reta_size);
			const uint16_t app = entry(reta_, j % info_.reta_size);
			if (mine != app)
				return ::testing::AssertionFailure()
				       << "a hash picking entry " << j << " goes to queue " << mine
				       << " here, " << app << " for the application"
				       << " (period " << period << ")";
		}
		return ::testing::AssertionSuccess();
	}
	bool on_vf(uint16_t vf)
	{
		return wait_until([&] {
			const auto s = bypass_state(port());
			return s.on_active && s.active_port == vf;
		});
	}
	std::string given_up_reason()
	{
		char reason[256] = "";
		const bool gave_up = wait_until([&] {
			return rte_pmd_bypass_giveup_get(port(), RTE_PMD_BYPASS_PATH_ACTIVE, reason,
							 sizeof(reason)) == 1;
		});
		return gave_up ? reason : "(not given up)";
	}

	rte_eth_dev_info info_{};
	std::vector<rte_eth_rss_reta_entry64> reta_;
};

/* Without a declaration the port expects a VF with 64 entries (iavf,
 * ixgbevf): a table set before the VF comes fits it as it is. */
TEST_F(LateVf, ByDefaultTheRetaFitsA64EntryVf)
{
	make_and_start("reta=128,queues=4", "reta=128,queues=4", "");
	ASSERT_EQ(info_.reta_size, 64);
	set_reta([](unsigned i) { return (i * 7 + i / 5) % 4; });
	const uint16_t vf = offer_vf("reta=64,queues=4");
	ASSERT_TRUE(on_vf(vf));
	EXPECT_TRUE(hashes_alike(vf));
	EXPECT_TRUE(hashes_alike(backup_->port_id()));
}

TEST_F(LateVf, ATableThatRepeatsFoldsOntoASmallerVfTable)
{
	make_and_start("reta=128,queues=4", "reta=128,queues=4", "vf_reta_size=128");
	ASSERT_EQ(info_.reta_size, 128);
	set_reta([](unsigned i) { return (i * 3) % 4; }); /* period 4 */
	const uint16_t vf = offer_vf("reta=64,queues=4");
	ASSERT_TRUE(on_vf(vf));
	EXPECT_TRUE(hashes_alike(vf));
}

TEST_F(LateVf, ATableThatDoesNotFoldRefusesTheVfWithAReason)
{
	make_and_start("reta=128,queues=4", "reta=128,queues=4", "vf_reta_size=128");
	set_reta([](unsigned i) { return i < 64 ? 0 : 1; });
	offer_vf("reta=64,queues=4");
	const std::string reason = given_up_reason();
	EXPECT_NE(reason.find("RETA of 128 entries does not fold onto its 64"), std::string::npos)
	    << reason;
	EXPECT_FALSE(bypass_state(port()).on_active);
}

/* A table the application set only in part folds from the entries it
 * set: a 64-entry VF's entry j takes the application's j + 64. */
TEST_F(LateVf, APartlySetTableFoldsFromTheEntriesSet)
{
	make_and_start("reta=128,queues=4", "reta=128,queues=4", "vf_reta_size=128");
	std::vector<rte_eth_rss_reta_entry64> upper(2);
	upper[1].mask = UINT64_MAX;
	for (unsigned i = 0; i < 64; i++)
		upper[1].reta[i] = ((i + 64) * 3 + 1) % 4;
	ASSERT_EQ(rte_eth_dev_rss_reta_update(port(), upper.data(), 128), 0);
	const uint16_t vf = offer_vf("reta=64,queues=4");
	ASSERT_TRUE(on_vf(vf));
	std::vector<rte_eth_rss_reta_entry64> got = table(64);
	ASSERT_EQ(rte_eth_dev_rss_reta_query(vf, got.data(), 64), 0);
	for (unsigned j = 0; j < 64; j++)
		EXPECT_EQ(entry(got, j), ((j + 64) * 3 + 1) % 4) << "VF entry " << j;
}

/* Declared queues hold the application to what the VF will take. */
TEST_F(LateVf, DeclaredVfQueuesBoundTheAdvertisedQueues)
{
	make("queues=4", "queues=4", "vf_queues=2");
	rte_eth_dev_info info{};
	ASSERT_EQ(rte_eth_dev_info_get(port(), &info), 0);
	EXPECT_EQ(info.max_rx_queues, 2);
	EXPECT_EQ(info.max_tx_queues, 2);
	const rte_eth_conf conf{};
	EXPECT_EQ(rte_eth_dev_configure(port(), 4, 4, &conf), -EINVAL);
	EXPECT_EQ(rte_eth_dev_configure(port(), 2, 2, &conf), 0);
}

/* A backup without RSS (virtio without VIRTIO_NET_F_RSS) means no RSS on
 * the port: flows are never spread one way on one path and another way on
 * the other. The application is told at configure, not later. */
TEST_F(LateVf, ABackupWithoutRssMeansNoRssOnThePort)
{
	make("reta=0,queues=4", "reta=64,queues=4");
	rte_eth_dev_info info{};
	ASSERT_EQ(rte_eth_dev_info_get(port(), &info), 0);
	EXPECT_EQ(info.reta_size, 0);
	EXPECT_EQ(info.flow_type_rss_offloads, 0u);
	rte_eth_conf conf{};
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP;
	EXPECT_EQ(rte_eth_dev_configure(port(), 4, 4, &conf), -EINVAL);
}

} // namespace
