/* SPDX-License-Identifier: BSD-3-Clause */
/* A bypass port's life in a process: it gives back all it took when it is
 * closed, and it probes a hot-plugged device on the application's behalf
 * only when the application's own allow and block lists would have.
 * HotAddWithAllowList runs in a process of its own, with PCI and an allow
 * list (BYPASS_TEST_EAL_ARGS, tests/meson.build). */
#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <bus_driver.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_pmd_bypass.h>

#include "common/eal.h"
#include "common/faulty_pmd.h"
#include "common/log_capture.h"
#include "common/ports.h"

using namespace bypass_test;

namespace {

size_t heap_in_use()
{
	rte_malloc_socket_stats stats{};
	rte_malloc_get_socket_stats(rte_socket_id(), &stats);
	return stats.heap_allocsz_bytes;
}

TEST(Lifecycle, AClosedBypassPortGivesBackAllItsMemory)
{
	Mempool pool(unique("pool"));
	auto cycle = [&] {
		/* Sub-ports named to a bypass port are closed with it. */
		FaultyPort backup(unique("net_faulty_lb"), "mac=02:00:00:00:0f:01");
		FaultyPort vf(unique("net_faulty_la"), "mac=02:00:00:00:0f:01");
		BypassDev bypass("net_bypass_life",
				 "backup=" + backup.name() + ",active=" + vf.name());
		ASSERT_EQ(bypass.probe_result(), 0);
		ASSERT_EQ(bypass.start(pool, 2), 0);
	};
	cycle(); /* what stays for good: the first use of each PMD, the hub */
	const size_t before = heap_in_use();
	for (int i = 0; i < 10; i++)
		cycle();
	EXPECT_EQ(heap_in_use(), before) << "each bypass port leaves memory behind";
}

/* A telemetry client of this process: asks `command`, returns the reply
 * ("" if there is no telemetry). */
class Telemetry {
public:
	Telemetry()
	{
		const std::string path = std::string(rte_eal_get_runtime_dir()) + "/dpdk_telemetry.v2";
		fd_ = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		sockaddr_un addr{};
		addr.sun_family = AF_UNIX;
		snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
		if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0) {
			close(fd_);
			fd_ = -1;
			return;
		}
		ask(nullptr); /* the greeting */
	}
	~Telemetry()
	{
		if (fd_ >= 0)
			close(fd_);
	}
	bool connected() const { return fd_ >= 0; }
	std::string ask(const char *command)
	{
		if (fd_ < 0 || (command != nullptr && write(fd_, command, strlen(command)) < 0))
			return "";
		char buf[16384];
		const ssize_t n = read(fd_, buf, sizeof(buf));
		return n > 0 ? std::string(buf, n) : "";
	}

private:
	int fd_ = -1;
};

/* Readers from other threads (telemetry, the public API) while bypass
 * ports are closed and created again, port ids reused: under ASan, a
 * reader that touched a closed port's memory is a report. */
TEST(Lifecycle, ReadersOnOtherThreadsNeverTouchAClosedPort)
{
	Mempool pool(unique("pool"));
	std::atomic<bool> stop{false};
	std::atomic<uint16_t> port{RTE_MAX_ETHPORTS};
	std::atomic<unsigned> answers{0};
	Telemetry telemetry;
	ASSERT_TRUE(telemetry.connected()) << "no telemetry socket in this process";
	std::thread info([&] {
		while (!stop.load()) {
			const std::string cmd = "/bypass/info," + std::to_string(port.load());
			if (telemetry.ask(cmd.c_str()).find("tx_path") != std::string::npos)
				answers++;
		}
	});
	std::thread api([&] {
		while (!stop.load()) {
			rte_pmd_bypass_state state;
			rte_pmd_bypass_refusals refusals;
			char reason[64];
			const uint16_t p = port.load();
			rte_pmd_bypass_state_get(p, &state);
			rte_pmd_bypass_refusals_get(p, RTE_PMD_BYPASS_PATH_ACTIVE, &refusals);
			rte_pmd_bypass_giveup_get(p, RTE_PMD_BYPASS_PATH_ACTIVE, reason, sizeof(reason));
			rte_pmd_bypass_force_backup(p, 0);
		}
	});
	for (int i = 0; i < 20; i++) {
		FaultyPort backup(unique("net_faulty_rb"), "mac=02:00:00:00:0f:03");
		FaultyPort vf(unique("net_faulty_ra"), "mac=02:00:00:00:0f:03");
		BypassDev bypass("net_bypass_readers",
				 "backup=" + backup.name() + ",active=" + vf.name());
		ASSERT_EQ(bypass.probe_result(), 0);
		port.store(bypass.port_id());
		ASSERT_EQ(bypass.start(pool, 1), 0);
		/* Until a reader saw this one: the close then races with them. */
		const unsigned seen = answers.load();
		wait_until([&] { return answers.load() > seen; });
	}
	stop.store(true);
	info.join();
	api.join();
	EXPECT_GT(answers.load(), 0u) << "telemetry never answered for a port";
}

/* What the driver says of a device the EAL monitor reports as added. */
std::string on_hot_add(const char *device)
{
	FaultyPort backup(unique("net_faulty_hb"), "mac=02:00:00:00:0f:02");
	FaultyPort vf(unique("net_faulty_ha"), "mac=02:00:00:00:0f:02");
	BypassDev bypass("net_bypass_hotadd", "backup=" + backup.name() + ",active=" + vf.name());
	EXPECT_EQ(bypass.probe_result(), 0);
	LogCapture log;
	rte_dev_event_callback_process(device, RTE_DEV_EVENT_ADD);
	/* A probe, if any, runs on the hot-plug thread, and a device that is
	 * not there for DPDK yet is probed again for a few seconds (udev may
	 * be moving it to vfio-pci) before the driver says so. */
	const std::string said = std::string(device) + " not probed";
	wait_until([&] { return log.text().find(said) != std::string::npos; },
		   std::chrono::seconds(30));
	return log.text();
}

TEST(HotAddWithoutPci, NothingIsProbed)
{
	if (rte_eal_has_pci())
		GTEST_SKIP() << "this process has PCI";
	EXPECT_NE(on_hot_add("0000:00:1f.0").find("not probed: the process runs with --no-pci"),
		  std::string::npos);
}

TEST(HotAddWithAllowList, OnlyADeviceTheAllowListNamesIsProbed)
{
	if (!rte_eal_has_pci())
		GTEST_SKIP() << "this process has no PCI";
	const std::string other = on_hot_add("0000:00:1f.0");
	EXPECT_NE(other.find("0000:00:1f.0 not probed: not in the application's allow list"),
		  std::string::npos)
	    << other;
	/* The one -a names is probed (and there being no such device here,
	 * the probe fails: what matters is that it was tried). */
	const std::string allowed = on_hot_add("0000:00:1e.0");
	EXPECT_EQ(allowed.find("allow list"), std::string::npos) << allowed;
	EXPECT_NE(allowed.find("0000:00:1e.0 not probed"), std::string::npos) << allowed;
}

TEST(HotAddWithAllowList, ADeviceTheBlockListNamesIsNotProbed)
{
	if (!rte_eal_has_pci())
		GTEST_SKIP() << "this process has no PCI";
	/* As if started with -b 0000:00:1d.0 instead of -a. */
	rte_bus *pci = rte_bus_find_by_name("pci");
	ASSERT_NE(pci, nullptr);
	const rte_bus_scan_mode mode = pci->conf.scan_mode;
	pci->conf.scan_mode = RTE_BUS_SCAN_BLOCKLIST;
	ASSERT_EQ(rte_devargs_add(RTE_DEVTYPE_BLOCKED, "0000:00:1d.0"), 0);
	const std::string log = on_hot_add("0000:00:1d.0");
	rte_devargs *da;
	RTE_EAL_DEVARGS_FOREACH("pci", da)
	{
		if (std::string(da->name) == "0000:00:1d.0") {
			rte_devargs_remove(da);
			break;
		}
	}
	pci->conf.scan_mode = mode;
	EXPECT_NE(log.find("0000:00:1d.0 not probed: in the application's block list"),
		  std::string::npos)
	    << log;
}

} // namespace
