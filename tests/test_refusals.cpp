/* SPDX-License-Identifier: BSD-3-Clause */
/* The rx filtering a VF may refuse and stay the fast path: promiscuous
 * and all-multicast mode, added MACs, the multicast list, VLAN filters.
 * An untrusted iavf VF refuses the modes with -EAGAIN and runs out of
 * MAC and VLAN filters; net_bypass keeps it, as Linux's net_failover does,
 * logs one line, counts the refusal and says what the VF runs without
 * (rte_pmd_bypass_refusals_get()). The backup's answer stays the port's.
 * The sub-ports are net_faulty ports (faulty_pmd.h). */
#include <gtest/gtest.h>

#include <rte_pmd_bypass.h>

#include "common/backend.h"
#include "common/eal.h"
#include "common/faulty_fixture.h"
#include "common/log_capture.h"
#include "common/ports.h"

using namespace bypass_test;

namespace {

/* Sub-ports that can filter VLANs, so that every item can be set. */
const std::string VLAN_CAPABLE =
    "rx_offloads=" + std::to_string(RTE_ETH_RX_OFFLOAD_VLAN_FILTER);

struct Item {
	const char *name;    /* the test's */
	const char *op;	     /* net_faulty's (fail=<op>:<errno>) */
	faulty::Op which;
	int error;	     /* what the VF answers, as an untrusted iavf VF would */
	rte_pmd_bypass_filter bit;
	const char *logged;  /* in the warning line */
	int (*set)(uint16_t port); /* sets it on the bypass port */
};

rte_ether_addr address(const char *text)
{
	rte_ether_addr mac;
	rte_ether_unformat_addr(text, &mac);
	return mac;
}

const Item ITEMS[] = {
    {"Promiscuous", "promisc", faulty::Op::promisc, EAGAIN, RTE_PMD_BYPASS_FILTER_PROMISCUOUS,
     "refused promiscuous enable", rte_eth_promiscuous_enable},
    {"AllMulticast", "allmulti", faulty::Op::allmulti, EAGAIN,
     RTE_PMD_BYPASS_FILTER_ALLMULTICAST, "refused allmulticast enable",
     rte_eth_allmulticast_enable},
    {"MacAddress", "mac_add", faulty::Op::mac_add, ENOSPC, RTE_PMD_BYPASS_FILTER_MAC_ADDR,
     "refused MAC add",
     [](uint16_t port) {
	     rte_ether_addr mac = address("02:00:00:00:0c:01");
	     return rte_eth_dev_mac_addr_add(port, &mac, 0);
     }},
    {"MulticastList", "mc", faulty::Op::mc_list, EPERM, RTE_PMD_BYPASS_FILTER_MC_LIST,
     "refused multicast list set",
     [](uint16_t port) {
	     rte_ether_addr mc = address("01:00:5e:00:00:fb");
	     return rte_eth_dev_set_mc_addr_list(port, &mc, 1);
     }},
    {"VlanFilter", "vlan", faulty::Op::vlan_filter, ENOSPC, RTE_PMD_BYPASS_FILTER_VLAN,
     "refused VLAN filter add", [](uint16_t port) { return rte_eth_dev_vlan_filter(port, 100, 1); }},
};

class RefusalFixture : public FaultyPair {
protected:
	void SetUp() override
	{
		make(VLAN_CAPABLE, VLAN_CAPABLE);
		rte_eth_conf conf{};
		conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_VLAN_FILTER;
		start(1, conf);
	}
	rte_pmd_bypass_refusals refusals(rte_pmd_bypass_path path = RTE_PMD_BYPASS_PATH_ACTIVE)
	{
		rte_pmd_bypass_refusals r{};
		EXPECT_EQ(rte_pmd_bypass_refusals_get(port(), path, &r), 0);
		return r;
	}
	/* Tx is on `vf`, which was not given up on, and carries the frames. */
	void expect_fast_path_on(uint16_t vf)
	{
		EXPECT_TRUE(wait_until([&] {
			const auto s = bypass_state(port());
			return s.on_active && s.active_port == vf;
		})) << "the VF that refused a filter is not the fast path";
		char reason[128] = "";
		EXPECT_EQ(rte_pmd_bypass_giveup_get(port(), RTE_PMD_BYPASS_PATH_ACTIVE, reason,
						    sizeof(reason)),
			  0)
		    << reason;
		EXPECT_EQ(bypass_->xstat("active_management_attach_giveups"), 0u);
		ASSERT_EQ(bypass_->send(pool_.frames(4)), 4u);
		const auto sent = faulty::transmitted(vf);
		EXPECT_EQ(sent.size(), 4u);
		for (rte_mbuf *m : sent)
			rte_pktmbuf_free(m);
	}
};

class Refusals : public RefusalFixture, public testing::WithParamInterface<Item> {};

TEST_P(Refusals, AVfRefusingItOnAttachIsKeptAndSaysWhatItRunsWithout)
{
	const Item &item = GetParam();
	ASSERT_EQ(item.set(port()), 0);
	LogCapture log;
	const std::string fail =
	    std::string("fail=") + item.op + ":" + std::to_string(item.error);
	const uint16_t vf = offer_vf(VLAN_CAPABLE + "," + fail);
	expect_fast_path_on(vf);
	EXPECT_GE(faulty::calls(vf, item.which), 1u) << "the VF was not asked";
	const rte_pmd_bypass_refusals r = refusals();
	EXPECT_EQ(r.missing, static_cast<uint32_t>(item.bit));
	EXPECT_EQ(r.last_error, -item.error);
	EXPECT_EQ(r.count, 1u);
	EXPECT_EQ(bypass_->xstat("active_management_filters_refused"), 1u);
	EXPECT_EQ(count(log.text(), item.logged), 1u) << log.text();
	EXPECT_EQ(count(log.text(), "giving up"), 0u) << log.text();
	EXPECT_EQ(refusals(RTE_PMD_BYPASS_PATH_BACKUP).count, 0u);
}

TEST_P(Refusals, AVfRefusingItLiveIsKeptAndTheCallSucceeds)
{
	const Item &item = GetParam();
	const uint16_t vf = vf_->port_id();
	faulty::fail(vf, item.which, -item.error);
	LogCapture log;
	EXPECT_EQ(item.set(port()), 0) << "the backup took it: the port did";
	expect_fast_path_on(vf);
	const rte_pmd_bypass_refusals r = refusals();
	EXPECT_EQ(r.missing, static_cast<uint32_t>(item.bit));
	EXPECT_EQ(r.last_error, -item.error);
	EXPECT_EQ(r.count, 1u);
	EXPECT_EQ(count(log.text(), item.logged), 1u) << log.text();
}

TEST_P(Refusals, TheBackupRefusingItFailsTheCallAndSparesTheVf)
{
	const Item &item = GetParam();
	faulty::fail(backup_->port_id(), item.which, -EIO);
	const unsigned asked = faulty::calls(vf_->port_id(), item.which);
	EXPECT_EQ(item.set(port()), -EIO);
	EXPECT_EQ(faulty::calls(vf_->port_id(), item.which), asked);
	EXPECT_EQ(refusals().count, 0u);
	EXPECT_EQ(refusals(RTE_PMD_BYPASS_PATH_BACKUP).missing, 0u);
}

TEST_P(Refusals, ANewVfThatTakesItRunsWithNothingMissing)
{
	const Item &item = GetParam();
	faulty::fail(vf_->port_id(), item.which, -item.error);
	ASSERT_EQ(item.set(port()), 0);
	ASSERT_EQ(refusals().missing, static_cast<uint32_t>(item.bit));
	const uint16_t vf = offer_vf(VLAN_CAPABLE);
	expect_fast_path_on(vf);
	EXPECT_GE(faulty::calls(vf, item.which), 1u) << "the new VF was not given it";
	const rte_pmd_bypass_refusals r = refusals();
	EXPECT_EQ(r.missing, 0u);
	EXPECT_EQ(r.count, 1u) << "the count is of the path, across its VFs";
	EXPECT_EQ(r.last_error, -item.error);
}

INSTANTIATE_TEST_SUITE_P(Items, Refusals, testing::ValuesIn(ITEMS),
			 [](const testing::TestParamInfo<Item> &i) { return i.param.name; });

class Undo : public RefusalFixture {};

/* Leaving the mode is never refused: the VF then matches the port again. */
TEST_F(Undo, LeavingARefusedModeClearsWhatTheVfRunsWithout)
{
	faulty::fail(vf_->port_id(), faulty::Op::promisc, -EAGAIN);
	faulty::fail(vf_->port_id(), faulty::Op::allmulti, -EAGAIN);
	ASSERT_EQ(rte_eth_promiscuous_enable(port()), 0);
	ASSERT_EQ(rte_eth_allmulticast_enable(port()), 0);
	EXPECT_EQ(refusals().missing,
		  RTE_PMD_BYPASS_FILTER_PROMISCUOUS | RTE_PMD_BYPASS_FILTER_ALLMULTICAST);
	ASSERT_EQ(rte_eth_promiscuous_disable(port()), 0);
	EXPECT_EQ(refusals().missing, static_cast<uint32_t>(RTE_PMD_BYPASS_FILTER_ALLMULTICAST));
	ASSERT_EQ(rte_eth_allmulticast_disable(port()), 0);
	EXPECT_EQ(refusals().missing, 0u);
	EXPECT_EQ(refusals().count, 2u);
}

/* Each refused address and VLAN is its own: removing one leaves the other
 * missing. */
TEST_F(Undo, RemovingARefusedAddressOrVlanClearsThatOneOnly)
{
	faulty::fail(vf_->port_id(), faulty::Op::mac_add, -ENOSPC);
	faulty::fail(vf_->port_id(), faulty::Op::vlan_filter, -ENOSPC, 2);
	rte_ether_addr a = address("02:00:00:00:0c:01"), b = address("02:00:00:00:0c:02");
	ASSERT_EQ(rte_eth_dev_mac_addr_add(port(), &a, 0), 0);
	ASSERT_EQ(rte_eth_dev_mac_addr_add(port(), &b, 0), 0);
	ASSERT_EQ(rte_eth_dev_vlan_filter(port(), 100, 1), 0);
	ASSERT_EQ(rte_eth_dev_vlan_filter(port(), 200, 1), 0);
	const uint32_t both = RTE_PMD_BYPASS_FILTER_MAC_ADDR | RTE_PMD_BYPASS_FILTER_VLAN;
	EXPECT_EQ(refusals().missing, both);
	ASSERT_EQ(rte_eth_dev_mac_addr_remove(port(), &a), 0);
	ASSERT_EQ(rte_eth_dev_vlan_filter(port(), 100, 0), 0);
	EXPECT_EQ(refusals().missing, both) << "b and VLAN 200 are still missing";
	ASSERT_EQ(rte_eth_dev_mac_addr_remove(port(), &b), 0);
	ASSERT_EQ(rte_eth_dev_vlan_filter(port(), 200, 0), 0);
	EXPECT_EQ(refusals().missing, 0u);
}

TEST_F(Undo, TheApiRefusesWhatIsNotABypassPortOrAPath)
{
	rte_pmd_bypass_refusals r{};
	EXPECT_EQ(rte_pmd_bypass_refusals_get(backup_->port_id(), RTE_PMD_BYPASS_PATH_ACTIVE, &r),
		  -ENODEV);
	EXPECT_EQ(rte_pmd_bypass_refusals_get(port(), static_cast<rte_pmd_bypass_path>(2), &r),
		  -EINVAL);
	EXPECT_EQ(rte_pmd_bypass_refusals_get(port(), RTE_PMD_BYPASS_PATH_ACTIVE, nullptr),
		  -EINVAL);
}

} // namespace
