/* SPDX-License-Identifier: BSD-3-Clause */
/* A VF that comes back gets everything the application set on the bypass
 * port, item by item; what the new VF cannot do is skipped, the rest still
 * applies. */
#include <algorithm>
#include <optional>

#include <gtest/gtest.h>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_pmd_bypass.h>

#include "common/backend.h"
#include "common/eal.h"
#include "common/faulty_fixture.h"
#include "common/log_capture.h"
#include "common/ports.h"

using namespace bypass_test;

namespace {

const char *const MAC = "02:00:00:00:00:0c";

rte_ether_addr mac(const char *text)
{
	rte_ether_addr m;
	rte_ether_unformat_addr(text, &m);
	return m;
}

/* Raises the removal interrupt on the current VF and waits until a new
 * one was attached; returns its port id. */
uint16_t replace_vf(const BypassDev &bypass, const std::function<void()> &plug = {})
{
	const uint64_t attaches = bypass.xstat("active_management_attaches");
	const uint16_t old = bypass_state(bypass.port_id()).active_port;
	raise_rmv(old);
	if (plug) {
		/* Plug the new VF once the old one is gone. (A VF given as
		 * devargs comes back by itself within a millisecond.) */
		EXPECT_TRUE(wait_until([&] {
			return bypass_state(bypass.port_id()).active_port == RTE_MAX_ETHPORTS;
		}));
		plug();
	}
	EXPECT_TRUE(wait_until([&] { return bypass.xstat("active_management_attaches") > attaches; }))
	    << "no new VF was attached";
	return bypass_state(bypass.port_id()).active_port;
}

bool has_mac(uint16_t port, const rte_ether_addr &m)
{
	rte_ether_addr macs[64];
	const int n = rte_eth_macaddrs_get(port, macs, 64);
	return std::any_of(macs, macs + std::max(n, 0),
			   [&](const rte_ether_addr &x) { return rte_is_same_ether_addr(&x, &m); });
}

bool vlan_on(uint16_t port, uint16_t vlan)
{
	return rte_eth_devices[port].data->vlan_filter_conf.ids[vlan / 64] & (1ULL << (vlan % 64));
}

std::string virtio_user(const std::string &name, const std::string &socket)
{
	return unique(name) + ",path=" + socket + ",queues=1,cq=1,mac=" + MAC;
}

TEST(Replay, EverySettingReachesAVirtioVfThatComesBack)
{
	VhostBackend host({VhostBackend::Mode::failover, VhostBackend::Mode::failover});
	ASSERT_TRUE(host.ready());
	Mempool pool(unique("pool"));
	BypassDev bypass("net_bypass_replay",
			 "backup=(" + virtio_user("virtio_user_b", host.socket(0)) + "),active=(" +
			     virtio_user("virtio_user_a", host.socket(1)) + ")");
	ASSERT_EQ(bypass.probe_result(), 0);
	rte_eth_conf conf{};
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_VLAN_FILTER;
	ASSERT_EQ(bypass.start(pool, 1, conf), 0);

	const uint16_t port = bypass.port_id();
	rte_ether_addr extra1 = mac("02:00:00:00:01:01"), extra2 = mac("02:00:00:00:01:02");
	ASSERT_EQ(rte_eth_dev_set_mtu(port, 1400), 0);
	ASSERT_EQ(rte_eth_promiscuous_enable(port), 0);
	ASSERT_EQ(rte_eth_allmulticast_enable(port), 0);
	ASSERT_EQ(rte_eth_dev_mac_addr_add(port, &extra1, 0), 0);
	ASSERT_EQ(rte_eth_dev_mac_addr_add(port, &extra2, 0), 0);
	ASSERT_EQ(rte_eth_dev_vlan_filter(port, 42, 1), 0);
	ASSERT_EQ(rte_eth_dev_vlan_filter(port, 100, 1), 0);

	/* The active= devargs are probed again: a fresh virtio_user port. */
	const uint16_t vf = replace_vf(bypass);
	ASSERT_NE(vf, RTE_MAX_ETHPORTS);
	uint16_t mtu = 0;
	ASSERT_EQ(rte_eth_dev_get_mtu(vf, &mtu), 0);
	EXPECT_EQ(mtu, 1400);
	EXPECT_EQ(rte_eth_promiscuous_get(vf), 1);
	EXPECT_EQ(rte_eth_allmulticast_get(vf), 1);
	EXPECT_TRUE(has_mac(vf, extra1));
	EXPECT_TRUE(has_mac(vf, extra2));
	EXPECT_TRUE(vlan_on(vf, 42));
	EXPECT_TRUE(vlan_on(vf, 100));
	EXPECT_FALSE(vlan_on(vf, 43));
	EXPECT_EQ(rte_eth_devices[vf].data->dev_started, 1);
}

TEST(Replay, RetaReachesANullVfThatComesBack)
{
	Mempool pool(unique("pool"));
	BypassDev bypass("net_bypass_reta",
			 "backup=" + unique("net_null_b") + ",active=" + unique("net_null_a"));
	ASSERT_EQ(bypass.probe_result(), 0);
	rte_eth_conf conf{};
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	ASSERT_EQ(bypass.start(pool, 2, conf), 0);

	rte_eth_dev_info info{};
	ASSERT_EQ(rte_eth_dev_info_get(bypass.port_id(), &info), 0);
	ASSERT_GT(info.reta_size, 0);
	std::vector<rte_eth_rss_reta_entry64> reta(info.reta_size / RTE_ETH_RETA_GROUP_SIZE);
	for (size_t g = 0; g < reta.size(); g++) {
		reta[g].mask = UINT64_MAX;
		for (unsigned i = 0; i < RTE_ETH_RETA_GROUP_SIZE; i++)
			reta[g].reta[i] = (g + i) % 3 == 0 ? 1 : 0;
	}
	ASSERT_EQ(rte_eth_dev_rss_reta_update(bypass.port_id(), reta.data(), info.reta_size), 0);

	const uint16_t vf = replace_vf(bypass);
	ASSERT_NE(vf, RTE_MAX_ETHPORTS);
	/* net_null's table (128) is larger than the port's (64, the VF it
	 * expects by default): the application's repeats over it. */
	rte_eth_dev_info vf_info{};
	ASSERT_EQ(rte_eth_dev_info_get(vf, &vf_info), 0);
	ASSERT_GE(vf_info.reta_size, info.reta_size);
	std::vector<rte_eth_rss_reta_entry64> got(vf_info.reta_size / RTE_ETH_RETA_GROUP_SIZE);
	for (auto &g : got)
		g.mask = UINT64_MAX;
	ASSERT_EQ(rte_eth_dev_rss_reta_query(vf, got.data(), vf_info.reta_size), 0);
	for (unsigned j = 0; j < vf_info.reta_size; j++) {
		const unsigned i = j % info.reta_size;
		ASSERT_EQ(got[j / 64].reta[j % 64], reta[i / 64].reta[i % 64]) << "entry " << j;
	}
}

TEST(Replay, AnItemTheNewVfCannotTakeIsSkippedAndTheRestApplied)
{
	VhostBackend host({VhostBackend::Mode::failover});
	ASSERT_TRUE(host.ready());
	Mempool pool(unique("pool"));
	const std::string backup = unique("net_tap_b"), vf1 = unique("net_tap_a");
	for (const auto &[name, iface] : {std::pair{backup, unique("bpb")}, {vf1, unique("bpa")}})
		ASSERT_EQ(rte_vdev_init(name.c_str(),
					("iface=" + iface + ",mac=" + std::string(MAC)).c_str()),
			  0);
	BypassDev bypass("net_bypass_skip", "backup=" + backup + ",active=" + vf1);
	ASSERT_EQ(bypass.probe_result(), 0);
	ASSERT_EQ(bypass.start(pool), 0);

	const uint16_t port = bypass.port_id();
	rte_ether_addr mc = mac("01:00:5e:00:00:01");
	ASSERT_EQ(rte_eth_dev_set_mc_addr_list(port, &mc, 1), 0);
	ASSERT_EQ(rte_eth_dev_set_mtu(port, 1400), 0);
	ASSERT_EQ(rte_eth_promiscuous_enable(port), 0);

	/* The new VF is a virtio device: no multicast list. */
	LogCapture log;
	const std::string vf2 = unique("virtio_user_vf");
	const uint16_t vf = replace_vf(bypass, [&] {
		ASSERT_EQ(
		    rte_vdev_init(vf2.c_str(),
				  ("path=" + host.socket(0) + ",queues=1,cq=1,mac=" + MAC).c_str()),
		    0);
	});
	ASSERT_NE(vf, RTE_MAX_ETHPORTS);
	EXPECT_NE(log.text().find("refused multicast list set (Operation not supported)"),
		  std::string::npos)
	    << log.text();
	rte_pmd_bypass_refusals refused{};
	ASSERT_EQ(rte_pmd_bypass_refusals_get(port, RTE_PMD_BYPASS_PATH_ACTIVE, &refused), 0);
	EXPECT_EQ(refused.missing, static_cast<uint32_t>(RTE_PMD_BYPASS_FILTER_MC_LIST));
	EXPECT_EQ(refused.last_error, -ENOTSUP);
	uint16_t mtu = 0;
	ASSERT_EQ(rte_eth_dev_get_mtu(vf, &mtu), 0);
	EXPECT_EQ(mtu, 1400);
	EXPECT_EQ(rte_eth_promiscuous_get(vf), 1);
	EXPECT_EQ(rte_eth_devices[vf].data->dev_started, 1);
}

/* The journal owns what it replays: pointers the application passed may
 * be reused or freed once the call returned. */
class ReplayOwnership : public FaultyPair {
protected:
	/* Removes the VF and waits until a new one was attached. */
	uint16_t replace_vf(const std::string &args)
	{
		const uint64_t attaches = bypass_->xstat("active_management_attaches");
		const uint16_t vf = offer_vf(args);
		EXPECT_TRUE(wait_until([&] { return bypass_->xstat("active_management_attaches") > attaches; }));
		return vf;
	}

	const rte_eth_conf conf_{};
};

TEST_F(ReplayOwnership, TheRssKeyReplayedIsTheApplicationsOnceItsBufferIsReused)
{
	const std::string rss_capable = "reta=64,key=40";
	make(rss_capable, rss_capable);
	std::vector<uint8_t> original(40);
	for (size_t i = 0; i < original.size(); i++)
		original[i] = static_cast<uint8_t>(i * 7 + 1);
	auto *key = new uint8_t[40];
	std::copy(original.begin(), original.end(), key);
	rte_eth_conf conf{};
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf = rss_conf(key, 40, RTE_ETH_RSS_IP);
	ASSERT_EQ(bypass_->start(pool_, 1, conf), 0);
	std::fill(key, key + 40, 0xee);
	delete[] key;

	const uint16_t vf = replace_vf(rss_capable);
	std::vector<uint8_t> got(40);
	rte_eth_rss_conf rss = rss_conf(got.data(), 40, 0);
	ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(vf, &rss), 0);
	EXPECT_EQ(got, original) << "the new VF got the application's buffer as it is now";
}

TEST_F(ReplayOwnership, AQueueReleasedByAReconfigurationIsNotReplayed)
{
	make();
	const uint16_t port = bypass_->port_id();
	auto other = std::make_unique<Mempool>(unique("pool2"));
	ASSERT_EQ(rte_eth_dev_configure(port, 2, 2, &conf_), 0);
	for (uint16_t q = 0; q < 2; q++) {
		ASSERT_EQ(rte_eth_rx_queue_setup(port, q, 256, rte_socket_id(), nullptr,
						 q == 0 ? pool_.get() : other->get()),
			  0);
		ASSERT_EQ(rte_eth_tx_queue_setup(port, q, 256, rte_socket_id(), nullptr), 0);
	}
	ASSERT_EQ(rte_eth_dev_configure(port, 1, 1, &conf_), 0); /* queue 1 goes */
	other.reset();						 /* and its pool with it */
	ASSERT_EQ(rte_eth_dev_configure(port, 2, 2, &conf_), 0);
	ASSERT_EQ(rte_eth_rx_queue_setup(port, 0, 256, rte_socket_id(), nullptr, pool_.get()), 0);

	/* A VF that comes before the application set queue 1 up again. */
	const uint16_t vf = replace_vf("");
	EXPECT_EQ(faulty::calls(vf, faulty::Op::rx_queue_setup), 1u)
	    << "a queue set up with a freed mempool";
}

} // namespace
