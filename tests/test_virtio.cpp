/* SPDX-License-Identifier: BSD-3-Clause */
/* A real virtio backup: virtio_user in this process, connected over
 * vhost-user to the stock testpmd in a second process, which echoes every
 * packet back. */
#include <algorithm>
#include <optional>

#include <gtest/gtest.h>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_pmd_bypass.h>

#include "common/backend.h"
#include "common/eal.h"
#include "common/fixture.h"
#include "common/log_capture.h"
#include "common/ports.h"
#include "virtio_pci_standby.h"

using namespace bypass_test;

namespace {

const char *const MAC = "02:00:00:00:00:01";

std::string virtio_user(const std::string &name, const std::string &socket)
{
	return "(" + unique(name) + ",path=" + socket + ",queues=1,cq=1,mac=" + MAC + ")";
}

/* Receives until `n` frames arrived or time runs out; frees them. */
std::vector<uint32_t> receive(uint16_t port, size_t n, bool &stamped)
{
	std::vector<uint32_t> seqs;
	stamped = true;
	wait_until([&] {
		rte_mbuf *pkts[32];
		const uint16_t got = rte_eth_rx_burst(port, 0, pkts, 32);
		for (uint16_t i = 0; i < got; i++) {
			stamped &= pkts[i]->port == port;
			seqs.push_back(frame_seq(pkts[i]));
			rte_pktmbuf_free(pkts[i]);
		}
		return seqs.size() >= n;
	});
	return seqs;
}

bool on_active(uint16_t port)
{
	rte_pmd_bypass_state s{};
	return rte_pmd_bypass_state_get(port, &s) == 0 && s.on_active;
}

/* Sends a frame at a time until one comes back (a memif connection
 * settles a moment after its link is up); true once one did. */
bool echoes(BypassDev &bypass, Mempool &pool, uint32_t &seq)
{
	return wait_until(
	    [&] {
		    bypass.send(pool.frames(1, seq++));
		    bool ignored;
		    return !receive(bypass.port_id(), 1, ignored).empty();
	    },
	    std::chrono::seconds(10));
}

class VirtioBackup : public StartedBypass {
protected:
	void SetUp() override
	{
		ASSERT_TRUE(host_.ready()) << "vhost-user backend did not come up";
		LogCapture log;
		start("net_bypass_virtio", "backup=" + virtio_user("virtio_user", host_.socket(0)) +
					       ",active=" + active_.name());
		EXPECT_EQ(log.text().find("not a virtio port"), std::string::npos)
		    << "virtio_user was not recognised as virtio";
	}
	void TearDown() override
	{
		close();
		active_.drain_tx();
		expect_every_mbuf_back();
	}

	/* A failover socket: the host offers STANDBY, as QEMU does. */
	VhostBackend host_{{VhostBackend::Mode::failover}};
	RingPort active_{unique("ac")};
};

TEST_F(VirtioBackup, TrafficGoesThroughVirtioWhileTheActiveIsDownAndComesBack)
{
	ASSERT_EQ(rte_eth_dev_set_link_down(active_.port_id()), 0);
	ASSERT_TRUE(wait_until(
	    [&] {
		    rte_eth_link link{};
		    rte_pmd_bypass_state s{};
		    rte_pmd_bypass_state_get(bypass_->port_id(), &s);
		    return rte_eth_link_get_nowait(bypass_->port_id(), &link) == 0 &&
			   link.link_status == RTE_ETH_LINK_UP &&
			   s.reason == RTE_PMD_BYPASS_REASON_ACTIVE_DOWN;
	    },
	    std::chrono::seconds(10)))
	    << "virtio link never came up or tx never switched";

	const unsigned sent = bypass_->send(pool_.frames(32));
	ASSERT_GT(sent, 0u);
	EXPECT_TRUE(active_.drain_tx().empty()) << "tx used the active sub-port while it was down";

	bool stamped;
	auto seqs = receive(bypass_->port_id(), sent, stamped);
	EXPECT_EQ(seqs.size(), sent) << "the echo through vhost-user did not come back";
	EXPECT_TRUE(stamped) << "rx from virtio not stamped with the bypass port";
	EXPECT_GE(bypass_->xstat("backup_tx_good_packets"), sent);
	EXPECT_GE(bypass_->xstat("backup_rx_good_packets"), seqs.size());
	EXPECT_NE(host_.log().find("(STANDBY yes)"), std::string::npos)
	    << "the virtio backup carried traffic without having negotiated STANDBY";
}

/* Both sub-ports virtio_user: the PMD that supports every setting the
 * bypass port mirrors (MAC list, VLAN filter, promisc, MTU). */
class VirtioPair : public testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_TRUE(host_.ready()) << "vhost-user backend did not come up";
		bypass_.emplace("net_bypass_pair",
				"backup=" + virtio_user("virtio_user_b", host_.socket(0)) +
				    ",active=" + virtio_user("virtio_user_a", host_.socket(1)) +
				    ",mac=" + MAC);
		ASSERT_EQ(bypass_->probe_result(), 0);
		for (const char *role : {"virtio_user_b", "virtio_user_a"}) {
			uint16_t p;
			ASSERT_EQ(rte_eth_dev_get_port_by_name(unique(role).c_str(), &p), 0);
			subs_.push_back(p);
		}
		rte_eth_conf conf{};
		conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_VLAN_FILTER;
		ASSERT_EQ(bypass_->start(pool_, 1, conf), 0);
	}

	VhostBackend host_{{VhostBackend::Mode::failover, VhostBackend::Mode::failover}};
	Mempool pool_{unique("pool")};
	std::optional<BypassDev> bypass_;
	std::vector<uint16_t> subs_;
};

TEST_F(VirtioPair, MtuPromiscMacListAndVlanFilterReachBothSubPorts)
{
	const uint16_t port = bypass_->port_id();
	ASSERT_EQ(rte_eth_dev_set_mtu(port, 1400), 0);
	ASSERT_EQ(rte_eth_promiscuous_enable(port), 0);
	rte_ether_addr extra;
	rte_ether_unformat_addr("02:00:00:00:00:77", &extra);
	ASSERT_EQ(rte_eth_dev_mac_addr_add(port, &extra, 0), 0);
	ASSERT_EQ(rte_eth_dev_vlan_filter(port, 42, 1), 0);

	for (uint16_t sub : subs_) {
		uint16_t mtu = 0;
		ASSERT_EQ(rte_eth_dev_get_mtu(sub, &mtu), 0);
		EXPECT_EQ(mtu, 1400) << "sub-port " << sub;
		EXPECT_EQ(rte_eth_promiscuous_get(sub), 1) << "sub-port " << sub;
		rte_ether_addr macs[8];
		const int n = rte_eth_macaddrs_get(sub, macs, 8);
		EXPECT_TRUE(std::any_of(
		    macs, macs + std::max(n, 0),
		    [&](const rte_ether_addr &m) { return rte_is_same_ether_addr(&m, &extra); }))
		    << "sub-port " << sub << " lacks the added MAC";
		const rte_vlan_filter_conf &vlans = rte_eth_devices[sub].data->vlan_filter_conf;
		EXPECT_TRUE(vlans.ids[42 / 64] & (1ULL << (42 % 64))) << "sub-port " << sub;
	}

	ASSERT_EQ(rte_eth_dev_vlan_filter(port, 42, 0), 0);
	ASSERT_EQ(rte_eth_promiscuous_disable(port), 0);
	for (uint16_t sub : subs_) {
		const rte_vlan_filter_conf &vlans = rte_eth_devices[sub].data->vlan_filter_conf;
		EXPECT_FALSE(vlans.ids[42 / 64] & (1ULL << (42 % 64))) << "sub-port " << sub;
		EXPECT_EQ(rte_eth_promiscuous_get(sub), 0) << "sub-port " << sub;
	}
}

/* A guest without net_bypass: a virtio_user port on its own, started;
 * stopped and removed again on destruction. */
class PlainVirtioUser {
public:
	PlainVirtioUser(const std::string &name, const std::string &socket, const Mempool &pool)
	    : name_(name)
	{
		started_ =
		    rte_vdev_init(name.c_str(), ("path=" + socket + ",queues=1").c_str()) == 0 &&
		    rte_eth_dev_get_port_by_name(name.c_str(), &port_) == 0 &&
		    start_port(port_, pool) == 0;
	}
	~PlainVirtioUser()
	{
		rte_eth_dev_stop(port_);
		rte_vdev_uninit(name_.c_str());
	}
	PlainVirtioUser(const PlainVirtioUser &) = delete;
	PlainVirtioUser &operator=(const PlainVirtioUser &) = delete;

	bool started() const { return started_; }
	uint16_t port() const { return port_; }

private:
	std::string name_;
	uint16_t port_ = RTE_MAX_ETHPORTS;
	bool started_;
};

/* DPDK's virtio PMD never negotiates VIRTIO_NET_F_STANDBY, so a host that
 * plugs the VF only into a STANDBY guest never plugs it into a DPDK one;
 * net_bypass makes its virtio_user backup negotiate it. The host prints
 * what each guest negotiated. */
/* A started bypass port whose backup is a virtio_user port on a failover
 * host, which saw it negotiate STANDBY. */
class Standby : public testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_TRUE(host_.ready());
		bypass_.emplace(once("net_bypass_sb"),
				"backup=" + virtio_user(once("virtio_user_sb"), host_.socket(0)) +
				    ",active=" + active_.name());
		ASSERT_EQ(bypass_->probe_result(), 0);
		ASSERT_EQ(bypass_->start(pool_), 0);
		ASSERT_TRUE(host_.wait_for("(STANDBY yes)")) << host_.log();
	}

	VhostBackend host_{{VhostBackend::Mode::failover}};
	Mempool pool_{unique("pool")};
	RingPort active_{unique("ac")};
	std::optional<BypassDev> bypass_;
};

TEST_F(Standby, TheVirtioBackupOfABypassPortNegotiatesStandby)
{
	EXPECT_TRUE(on_active(bypass_->port_id()));
}

TEST_F(Standby, AVirtioBackupThatComesBackNegotiatesStandbyAgain)
{
	/* Unplugged; its devargs are probed again: a new virtio port, which
	 * gets the journal, and negotiates STANDBY once more. */
	raise_rmv(bypass_state(bypass_->port_id()).backup_port);
	EXPECT_TRUE(wait_until([&] { return bypass_->xstat("backup_management_attaches") == 1; },
			       std::chrono::seconds(10)))
	    << "the virtio backup did not come back";
	EXPECT_TRUE(host_.wait_for("(STANDBY yes)", 2)) << host_.log();
	EXPECT_TRUE(on_active(bypass_->port_id()));
}

/* The application reconfigures and restarts its port: whatever the
 * backup negotiates again still carries STANDBY (QEMU would take the VF
 * back the moment it did not). */
TEST_F(Standby, ReconfiguringAndRestartingThePortKeepsStandby)
{
	/* virtio_user negotiates once at its probe, before the bypass port
	 * takes it: that one has no STANDBY. */
	const size_t without = count(host_.log(), "(STANDBY no)");
	for (uint32_t mtu : {1400, 1500}) {
		rte_eth_conf conf{};
		conf.rxmode.mtu = mtu;
		ASSERT_EQ(rte_eth_dev_stop(bypass_->port_id()), 0);
		ASSERT_EQ(bypass_->start(pool_, 1, conf), 0) << "MTU " << mtu;
		ASSERT_TRUE(wait_until([&] { return on_active(bypass_->port_id()); }));
	}
	EXPECT_EQ(count(host_.log(), "(STANDBY no)"), without) << host_.log();
}

/* A failover host and, connected to it, a virtio_user port on its own. */
class PlainGuest : public testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_TRUE(host_.ready());
		ASSERT_TRUE(guest_.started());
	}

	VhostBackend host_{{VhostBackend::Mode::failover}};
	Mempool pool_{unique("pool")};
	PlainVirtioUser guest_{unique("virtio_user_plain"), host_.socket(0), pool_};
};

TEST_F(PlainGuest, AVirtioUserPortOnItsOwnDoesNotNegotiateStandby)
{
	EXPECT_TRUE(host_.wait_for("(STANDBY no)"));
	EXPECT_EQ(host_.log().find("(STANDBY yes)"), std::string::npos);
}

/* STANDBY on virtio-pci goes through the virtio PMD's per-port operations
 * array, found at run time in whatever build of librte_net_virtio is
 * loaded. virtio_user ports are in the same array, so one proves here that
 * the search finds it, in a process where earlier tests left the entries
 * of their closed ports behind: the entry found is a table of the PMD
 * that reads the device's features (tests/qemu proves the rest on a
 * virtio-pci device). */
TEST_F(PlainGuest, TheVirtioOperationsArrayIsFoundAndItsTableReadsTheDevice)
{
	uint64_t features = 0;
	ASSERT_EQ(bypass_virtio_ops_features(guest_.port(), &features), 0)
	    << "the virtio operations array is not found: virtio-pci STANDBY is refused here "
	       "(see the log, and drivers/net/bypass/virtio_pci_standby.c)";
	/* What bypass-vhost-host offers, virtio_user's own STATUS, and the
	 * virtio 1.0 bit that every modern device has. */
	constexpr uint64_t OFFERED = 0x4000000d7ceeffcbULL, STATUS = 1ULL << 16;
	EXPECT_TRUE(features & (1ULL << 32)) << std::hex << features;
	EXPECT_EQ(features & ~(OFFERED | STATUS), 0u) << std::hex << features;

	RingPort other(unique("not_virtio"));
	EXPECT_EQ(bypass_virtio_ops_features(other.port_id(), &features), -ENOTSUP);
}

/* The host plays QEMU with failover=on: the VF (a memif port here) is
 * plugged only once the guest negotiated STANDBY, then carries the
 * traffic. */
TEST(FailoverHost, PlugsTheVfForABypassGuestAndTrafficMovesToIt)
{
	VhostBackend host({VhostBackend::Mode::failover_vf});
	ASSERT_TRUE(host.ready());
	Mempool pool(unique("pool"));
	BypassDev bypass("net_bypass_fo",
			 "backup=" + virtio_user("virtio_user_fo", host.socket(0)) + ",active=(" +
			     unique("net_memif_fo") + ",role=client,socket-abstract=no,socket=" +
			     host.vf_socket(0) + ",mac=" + MAC + ")");
	ASSERT_EQ(bypass.probe_result(), 0);
	ASSERT_EQ(bypass.start(pool), 0);
	ASSERT_TRUE(
	    wait_until([&] { return on_active(bypass.port_id()); }, std::chrono::seconds(10)))
	    << "the VF never came up:\n"
	    << host.log();
	EXPECT_NE(host.log().find("VF plugged"), std::string::npos);

	/* The first echo says the VF carries traffic; then a full burst. */
	uint32_t seq = 1000;
	ASSERT_TRUE(echoes(bypass, pool, seq)) << "the VF echoed nothing back";
	const unsigned sent = bypass.send(pool.frames(32));
	ASSERT_GT(sent, 0u);
	bool stamped;
	const auto seqs = receive(bypass.port_id(), sent, stamped);
	EXPECT_EQ(seqs.size(), sent) << "the VF did not echo the frames back";
	EXPECT_TRUE(stamped);
	EXPECT_GE(bypass.xstat("active_tx_good_packets"), sent);
	EXPECT_EQ(bypass.xstat("backup_tx_good_packets"), 0u);
}

/* A planned migration as the host plays it: the VF is withdrawn (the guest
 * sees a removal, through the EAL device monitor, and releases it), the
 * traffic goes over virtio, the VF is offered again and the guest takes
 * it back (its active= devargs are probed again). */
TEST(FailoverHost, PlannedMigrationMovesTrafficToVirtioAndBack)
{
	const std::string vf_name = unique("net_memif_mig");
	VhostBackend host({VhostBackend::Mode::failover_vf}, {vf_name});
	ASSERT_TRUE(host.ready());
	Mempool pool(unique("pool"));
	BypassDev bypass("net_bypass_mig",
			 "backup=" + virtio_user("virtio_user_mig", host.socket(0)) + ",active=(" +
			     vf_name + ",role=client,socket-abstract=no,socket=" +
			     host.vf_socket(0) + ",mac=" + MAC + ")");
	ASSERT_EQ(bypass.probe_result(), 0);
	ASSERT_EQ(bypass.start(pool), 0);
	const uint16_t port = bypass.port_id();
	uint32_t seq = 0;
	ASSERT_TRUE(wait_until([&] { return on_active(port); }, std::chrono::seconds(10)));
	ASSERT_TRUE(echoes(bypass, pool, seq));

	host.command("unplug");
	ASSERT_TRUE(wait_until([&] { return !on_active(port); }, std::chrono::seconds(10)))
	    << "the guest did not leave the VF:\n"
	    << host.log();
	EXPECT_TRUE(host.wait_for("VF unplugged"));
	const uint64_t on_virtio = bypass.xstat("backup_tx_good_packets");
	ASSERT_TRUE(echoes(bypass, pool, seq)) << "no traffic over virtio while the VF was away";
	EXPECT_GT(bypass.xstat("backup_tx_good_packets"), on_virtio);

	host.command("plug");
	ASSERT_TRUE(wait_until([&] { return on_active(port); }, std::chrono::seconds(10)))
	    << "the guest did not take the VF back:\n"
	    << host.log();
	EXPECT_GE(bypass.xstat("active_management_attaches"), 1u);
	const uint64_t on_vf = bypass.xstat("active_tx_good_packets");
	ASSERT_TRUE(echoes(bypass, pool, seq)) << "no traffic over the VF once it was back";
	EXPECT_GT(bypass.xstat("active_tx_good_packets"), on_vf);
}

TEST(FailoverHost, RefusesTheVfToAGuestThatDidNotNegotiateStandby)
{
	VhostBackend host({VhostBackend::Mode::failover_vf});
	ASSERT_TRUE(host.ready());
	Mempool pool(unique("pool"));
	PlainVirtioUser guest(unique("virtio_user_nofo"), host.socket(0), pool);
	ASSERT_TRUE(guest.started());
	EXPECT_TRUE(host.wait_for("not plugging the VF")) << host.log();
	EXPECT_EQ(host.log().find("VF plugged"), std::string::npos);
}

/* A virtio_user port without a control queue refuses promiscuous mode
 * (-ENOTSUP), as a VF without trust does: as the active sub-port it is
 * kept without it, and the port, whose answer is the backup's, is
 * promiscuous. */
TEST(VirtioRefusing, RxFilteringTheActiveRefusesIsKeptOnTheBackup)
{
	VhostBackend host({VhostBackend::Mode::echo});
	ASSERT_TRUE(host.ready());
	const std::string tap = unique("net_tap_rb");
	BypassDev bypass("net_bypass_rb", "backup=(" + tap + ",iface=" + unique("bpr") +
					      "),active=(" + unique("virtio_user_rb") +
					      ",path=" + host.socket(0) + ",queues=1)");
	ASSERT_EQ(bypass.probe_result(), 0);
	uint16_t tap_port;
	ASSERT_EQ(rte_eth_dev_get_port_by_name(tap.c_str(), &tap_port), 0);

	ASSERT_EQ(rte_eth_promiscuous_get(tap_port), 0);
	EXPECT_EQ(rte_eth_promiscuous_enable(bypass.port_id()), 0);
	EXPECT_EQ(rte_eth_promiscuous_get(tap_port), 1);
	EXPECT_EQ(rte_eth_promiscuous_get(bypass.port_id()), 1);
	rte_pmd_bypass_refusals refused{};
	ASSERT_EQ(rte_pmd_bypass_refusals_get(bypass.port_id(), RTE_PMD_BYPASS_PATH_ACTIVE, &refused),
		  0);
	EXPECT_EQ(refused.missing, static_cast<uint32_t>(RTE_PMD_BYPASS_FILTER_PROMISCUOUS));
	EXPECT_EQ(refused.last_error, -ENOTSUP);
}

} // namespace
