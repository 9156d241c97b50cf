/* SPDX-License-Identifier: BSD-3-Clause */
/* What the application may ask for is what both sub-ports can do, and a
 * setting either reaches both sub-ports or neither. */
#include <algorithm>
#include <optional>

#include <gtest/gtest.h>

#include "common/eal.h"
#include "common/ports.h"

using namespace bypass_test;

namespace {

/* backup net_tap, active net_null: two PMDs with different abilities. */
class TapAndNull : public testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_EQ(bypass_->probe_result(), 0);
		ASSERT_EQ(rte_eth_dev_get_port_by_name(tap_.c_str(), &tap_port_), 0);
		ASSERT_EQ(rte_eth_dev_get_port_by_name(null_.c_str(), &null_port_), 0);
	}

	std::string tap_ = unique("net_tap_cfg"), null_ = unique("net_null_cfg");
	std::optional<BypassDev> bypass_{std::in_place, "net_bypass_cfg",
					 "backup=(" + tap_ + ",iface=" + unique("bpc") +
					     "),active=" + null_};
	uint16_t tap_port_ = 0, null_port_ = 0;
};

TEST_F(TapAndNull, CapabilitiesAreTheIntersectionOfBothSubPorts)
{
	rte_eth_dev_info tap{}, null{}, bypass{};
	ASSERT_EQ(rte_eth_dev_info_get(tap_port_, &tap), 0);
	ASSERT_EQ(rte_eth_dev_info_get(null_port_, &null), 0);
	ASSERT_EQ(rte_eth_dev_info_get(bypass_->port_id(), &bypass), 0);

	EXPECT_EQ(bypass.max_rx_queues, std::min(tap.max_rx_queues, null.max_rx_queues));
	EXPECT_EQ(bypass.max_tx_queues, std::min(tap.max_tx_queues, null.max_tx_queues));
	EXPECT_EQ(bypass.rx_offload_capa, tap.rx_offload_capa & null.rx_offload_capa);
	EXPECT_EQ(bypass.tx_offload_capa, tap.tx_offload_capa & null.tx_offload_capa);
	EXPECT_EQ(bypass.min_mtu, std::max(tap.min_mtu, null.min_mtu));
	EXPECT_EQ(bypass.max_mtu, std::min(tap.max_mtu, null.max_mtu));
	EXPECT_EQ(bypass.max_rx_pktlen, std::min(tap.max_rx_pktlen, null.max_rx_pktlen));
	EXPECT_EQ(bypass.flow_type_rss_offloads,
		  tap.flow_type_rss_offloads & null.flow_type_rss_offloads);
	EXPECT_EQ(bypass.rx_desc_lim.nb_max,
		  std::min(tap.rx_desc_lim.nb_max, null.rx_desc_lim.nb_max));
	EXPECT_EQ(bypass.tx_desc_lim.nb_min,
		  std::max(tap.tx_desc_lim.nb_min, null.tx_desc_lim.nb_min));
	EXPECT_EQ(bypass.max_mac_addrs, std::min(tap.max_mac_addrs, null.max_mac_addrs));
}

TEST_F(TapAndNull, MtuAndDefaultMacReachBothSubPorts)
{
	Mempool pool(unique("pool"));
	ASSERT_EQ(bypass_->start(pool), 0);
	ASSERT_EQ(rte_eth_dev_set_mtu(bypass_->port_id(), 1280), 0);
	rte_ether_addr mac;
	rte_ether_unformat_addr("02:00:00:00:00:5a", &mac);
	ASSERT_EQ(rte_eth_dev_default_mac_addr_set(bypass_->port_id(), &mac), 0);
	for (uint16_t sub : {tap_port_, null_port_}) {
		uint16_t mtu = 0;
		ASSERT_EQ(rte_eth_dev_get_mtu(sub, &mtu), 0);
		EXPECT_EQ(mtu, 1280) << "sub-port " << sub;
		rte_ether_addr got;
		ASSERT_EQ(rte_eth_macaddr_get(sub, &got), 0);
		EXPECT_TRUE(rte_is_same_ether_addr(&got, &mac)) << "sub-port " << sub;
	}
}

TEST_F(TapAndNull, ClosingTheBypassPortClosesTheSubPortsItProbed)
{
	bypass_.reset();
	uint16_t port;
	EXPECT_NE(rte_eth_dev_get_port_by_name(tap_.c_str(), &port), 0);
	EXPECT_NE(rte_eth_dev_get_port_by_name(null_.c_str(), &port), 0);
}

} // namespace
