/* SPDX-License-Identifier: BSD-3-Clause */
/* Two lcores burst rx and tx flat out while sub-ports are removed, by every
 * means there is, and new ones plugged, again and again: no crash, no
 * burst on a destroyed port (BurstGuard), every mbuf back in the pool,
 * counters that never go backwards, on net_ring, net_null and net_tap.
 * The number of cycles of each test is BYPASS_STRESS_CYCLES (200 by
 * default; the two lcores share one CPU here, so a release may wait for a
 * descheduled lcore to finish its burst). */
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pmd_bypass.h>

#include "common/burst_guard.h"
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

/* The PMDs a stress test runs on: net_ring, net_null and net_tap. net_ring
 * and net_null keep their queues in their private data, which ethdev
 * frees right after DESTROY: a burst on a destroyed port reads freed
 * memory (BurstGuard tells, before it crashes). net_tap frees its queues
 * in its own close, before DESTROY, so its removal by somebody else is not
 * survivable (doc/design.md) and it is removed by RMV only. */
enum class Kind { ring, null, tap };

const char *kind_name(Kind k)
{
	return k == Kind::ring ? "ring" : k == Kind::null ? "null" : "tap";
}

std::vector<How> hows_for(Kind k)
{
	if (k == Kind::tap)
		return {How::rmv};
	return {HOWS, HOWS + RTE_DIM(HOWS)};
}

/* One sub-port of a stress test. */
class Sub {
public:
	virtual ~Sub() = default;
	virtual uint16_t port_id() const = 0;
	/* The bypass port closes and removes it (a removal request). */
	virtual void forget() = 0;
};

class RingSub final : public Sub {
public:
	explicit RingSub(const std::string &name) : ring_(name, true) {}
	uint16_t port_id() const override { return ring_.port_id(); }
	void forget() override { ring_.forget(); }

private:
	RingPort ring_;
};

class VdevSub final : public Sub {
public:
	VdevSub(const std::string &name, const std::string &args) : name_(name)
	{
		if (rte_vdev_init(name.c_str(), args.c_str()) != 0 ||
		    rte_eth_dev_get_port_by_name(name.c_str(), &port_) != 0)
			throw std::runtime_error("cannot create " + name);
	}
	~VdevSub() override
	{
		if (forgotten_)
			return;
		if (rte_eth_dev_get_port_by_name(name_.c_str(), &port_) == 0)
			rte_eth_dev_stop(port_);
		rte_vdev_uninit(name_.c_str()); /* if still there */
	}
	uint16_t port_id() const override { return port_; }
	void forget() override { forgotten_ = true; }

private:
	std::string name_;
	uint16_t port_ = RTE_MAX_ETHPORTS;
	bool forgotten_ = false;
};

/* net_null has no mac= devarg: the hypervisor's part, giving a new VF the
 * pair's MAC, is played by a NEW callback registered before the driver's. */
constexpr rte_ether_addr NULL_MAC = {{0x02, 0, 0, 0, 0x1b, 0x01}};

int give_null_mac(uint16_t port, rte_eth_event_type, void *, void *)
{
	const rte_eth_dev &dev = rte_eth_devices[port];
	if (dev.data->mac_addrs != nullptr && strncmp(dev.data->name, "net_null_st", 11) == 0)
		dev.data->mac_addrs[0] = NULL_MAC;
	return 0;
}

std::unique_ptr<Sub> make_sub(Kind kind, const std::string &role, int n)
{
	const std::string id = role + std::to_string(n) + "_" + std::to_string(getpid());
	switch (kind) {
	case Kind::ring:
		return std::make_unique<RingSub>(id);
	case Kind::null:
		return std::make_unique<VdevSub>("net_null_st" + id, "");
	case Kind::tap: {
		/* Short: net_tap names a mempool after the device (26 characters
		 * at most), and the interface name must fit IFNAMSIZ. */
		const std::string tap = role.substr(0, 1) + std::to_string(n % 100000) + "_" +
					std::to_string(getpid() % 100000);
		return std::make_unique<VdevSub>("net_tap_" + tap,
						 "iface=bs" + tap + ",mac=02:00:00:00:1b:02");
	}
	}
	return nullptr;
}

/* A bypass port over two sub-ports of one kind, two lcores bursting on it,
 * and the mempool's in-use count checked once all is closed. */
class Stress : public testing::TestWithParam<Kind> {
protected:
	void SetUp() override
	{
		ASSERT_GE(rte_lcore_count(), 3u) << "needs two worker lcores";
		if (GetParam() == Kind::null) {
			ASSERT_EQ(rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_NEW,
								give_null_mac, nullptr),
				  0);
		}
		backup_ = make_sub(GetParam(), "bk", 0);
		vf_ = make_sub(GetParam(), "vf", 0);
		const auto name = [](const Sub &s) {
			char n[RTE_ETH_NAME_MAX_LEN];
			rte_eth_dev_get_name_by_port(s.port_id(), n);
			return std::string(n);
		};
		bypass_ = std::make_unique<BypassDev>(
		    "net_bypass_stress", "backup=" + name(*backup_) + ",active=" + name(*vf_));
		ASSERT_EQ(bypass_->probe_result(), 0);
		guard_.arm();
		in_use_at_start_ = pool_.in_use();
		ASSERT_EQ(bypass_->start(pool_), 0);
		port_ = bypass_->port_id();
		ASSERT_TRUE(wait_until([&] { return bypass_state(port_).on_active; },
				       std::chrono::seconds(10)));

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
		printf("stress (%s): %d cycles in %.1f s, %lu packets sent, %lu received\n",
		       kind_name(GetParam()), done_, s, (unsigned long)l_.tx.load(),
		       (unsigned long)l_.rx.load());
		EXPECT_EQ(l_.misstamped.load(), 0u);
		EXPECT_GT(l_.tx.load(), 0u);
		bypass_.reset();
		vf_.reset();
		backup_.reset();
		EXPECT_EQ(pool_.in_use(), in_use_at_start_) << "mbufs leaked";
		EXPECT_EQ(guard_.unsafe(), 0u) << "bursts on destroyed ports";
		if (GetParam() == Kind::null)
			rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_NEW,
							give_null_mac, nullptr);
	}

	void expect_counters_held()
	{
		rte_eth_stats now{};
		rte_eth_stats_get(port_, &now);
		EXPECT_GE(now.opackets, last_.opackets) << "cycle " << done_;
		EXPECT_GE(now.ipackets, last_.ipackets) << "cycle " << done_;
		last_ = now;
	}

	/* Removes the sub-port of `path` (`current`) by `how`, its bursts
	 * slowed so that a release that does not wait for them is caught in
	 * the act, checks that the counters held, then plugs a new one.
	 * Returns false, with a failure, if a step did not complete. */
	bool cycle(rte_pmd_bypass_path path, std::unique_ptr<Sub> &current, How how)
	{
		auto slot = [&] {
			const auto s = bypass_state(port_);
			return path == RTE_PMD_BYPASS_PATH_ACTIVE ? s.active_port : s.backup_port;
		};
		const std::string attaches = path == RTE_PMD_BYPASS_PATH_ACTIVE
						 ? "active_management_attaches"
						 : "backup_management_attaches";
		const uint64_t attached = bypass_->xstat(attaches.c_str());
		const uint16_t old = slot();
		EXPECT_EQ(old, current->port_id());
		guard_.slow(old, true);
		remove_port(old, how);
		if (!wait_until([&] { return slot() == RTE_MAX_ETHPORTS; })) {
			ADD_FAILURE() << how_name(how) << ": not released, cycle " << done_;
			return false;
		}
		/* A port destroyed by its remover is destroyed by now. */
		const uint64_t before = std::exchange(unsafe_seen_, guard_.unsafe());
		EXPECT_EQ(unsafe_seen_, before) << "a burst ran on a destroyed port, seen after "
						<< how_name(how) << ", cycle " << done_;
		expect_counters_held();
		if (how == How::rmv)
			current->forget(); /* the bypass port is tearing it down */

		current = make_sub(GetParam(), path == RTE_PMD_BYPASS_PATH_ACTIVE ? "vf" : "bk",
				   done_ + 1);
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

	Mempool pool_{unique("pool"), 8191, 256};
	BurstGuard guard_; /* before the ports: it wraps them at their NEW */
	std::unique_ptr<Sub> backup_, vf_;
	std::unique_ptr<BypassDev> bypass_;
	unsigned in_use_at_start_ = 0;
	uint16_t port_ = RTE_MAX_ETHPORTS;
	Lcores l_;
	std::chrono::steady_clock::time_point started_;
	rte_eth_stats last_{};
	uint64_t unsafe_seen_ = 0;
	int done_ = 0;
};

TEST_P(Stress, VfRemovedEveryWayAndReaddedWhileTwoLcoresBurst)
{
	const int n = cycles();
	const auto hows = hows_for(GetParam());
	for (int i = 0; i < n; i++) {
		if (!cycle(RTE_PMD_BYPASS_PATH_ACTIVE, vf_, hows[i % hows.size()]))
			break;
	}
	EXPECT_EQ(done_, n) << "a removal or a re-attach did not complete";
	EXPECT_GE(bypass_->xstat("active_management_attaches"), uint64_t(done_));
}

TEST_P(Stress, BackupRemovedEveryWayAndReaddedWhileTwoLcoresBurst)
{
	const int n = cycles();
	const auto hows = hows_for(GetParam());
	for (int i = 0; i < n; i++) {
		if (!cycle(RTE_PMD_BYPASS_PATH_BACKUP, backup_, hows[i % hows.size()]))
			break;
		/* Tx stayed on the VF throughout. */
		EXPECT_TRUE(bypass_state(port_).on_active) << "cycle " << i;
	}
	EXPECT_EQ(done_, n) << "a removal or a re-attach did not complete";
	EXPECT_GE(bypass_->xstat("backup_management_attaches"), uint64_t(done_));
}

TEST_P(Stress, EitherSubPortRemovedInTurnWhileTwoLcoresBurst)
{
	const int n = cycles();
	const auto hows = hows_for(GetParam());
	for (int i = 0; i < n; i++) {
		const How how = hows[(i / 2) % hows.size()];
		const bool ok = i % 2 == 0 ? cycle(RTE_PMD_BYPASS_PATH_ACTIVE, vf_, how)
					   : cycle(RTE_PMD_BYPASS_PATH_BACKUP, backup_, how);
		if (!ok)
			break;
	}
	EXPECT_EQ(done_, n) << "a removal or a re-attach did not complete";
}

/* net_null has no link to take down. */
class StressLink : public Stress {};

TEST_P(StressLink, VfLinkFlapsWhileTwoLcoresBurst)
{
	const int n = cycles();
	const uint16_t vf = vf_->port_id();
	for (; done_ < n; done_++) {
		ASSERT_EQ(rte_eth_dev_set_link_down(vf), 0);
		ASSERT_TRUE(wait_until([&] {
			return bypass_state(port_).reason == RTE_PMD_BYPASS_REASON_ACTIVE_DOWN;
		})) << "cycle "
		    << done_;
		expect_counters_held();
		ASSERT_EQ(rte_eth_dev_set_link_up(vf), 0);
		ASSERT_TRUE(wait_until([&] { return bypass_state(port_).on_active; }))
		    << "cycle " << done_;
	}
	EXPECT_EQ(bypass_state(port_).active_port, vf) << "a link flap is not a removal";
}

std::string param_name(const testing::TestParamInfo<Kind> &info)
{
	return kind_name(info.param);
}

INSTANTIATE_TEST_SUITE_P(Pmds, Stress, testing::Values(Kind::ring, Kind::null, Kind::tap),
			 param_name);
INSTANTIATE_TEST_SUITE_P(Pmds, StressLink, testing::Values(Kind::ring, Kind::tap), param_name);

/* The application reconfigures its port, with a different number of
 * queues each time, while VFs come and go: ethdev reallocates the port's
 * queue arrays inside rte_eth_dev_configure() and queue setup, before the
 * driver's op runs, so an attach or a release on the control thread must
 * not be walking them. */
TEST(StressReconfigure, ReconfiguredEveryWhichWayWhileVfsComeAndGo)
{
	const int n = cycles();
	const std::string mac = "02:00:00:00:1a:01";
	Mempool pool(unique("pool"), 8191, 256);
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
			vf->forget(); /* the bypass port tears it down */
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
