/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK's own tools, as secondary processes of this one, on a bypass port
 * forwarding over two net_null sub-ports: dpdk-proc-info reads its stats
 * and xstats, dpdk-dumpcap captures on it across a switch, dpdk-pdump
 * captures both directions. Needs hugepages (a secondary maps the
 * primary's memory); the test command sets them up when it runs as root,
 * and these tests skip without them. */
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pdump.h>
#include <rte_version.h>

#include "common/backend.h"
#include "common/eal.h"
#include "common/ports.h"

using namespace bypass_test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr unsigned FORWARD_LCORE = 1;

std::atomic<bool> forwarding{false};

/* Echoes what the port receives, one burst a millisecond: tens of
 * thousands of packets a second, which a capture keeps up with. */
int forward(void *arg)
{
	const uint16_t port = *static_cast<uint16_t *>(arg);
	rte_mbuf *pkts[32];
	while (forwarding.load()) {
		const uint16_t n = rte_eth_rx_burst(port, 0, pkts, 32);
		const uint16_t sent = rte_eth_tx_burst(port, 0, pkts, n);
		if (sent < n)
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		std::this_thread::sleep_for(1ms);
	}
	return 0;
}

/* The file prefix of this process, the primary. */
std::string file_prefix()
{
	return fs::path(rte_eal_get_runtime_dir()).filename();
}

/* A DPDK tool run against this process: its file prefix, the plugin
 * (dumpcap takes no EAL options: preloaded), the sanitizer runtime first
 * in a sanitized build. */
std::string tool(const std::string &name, bool preload_plugin = false)
{
	return "timeout 60 " + tool_env(preload_plugin ? plugin_path() : "") + " " + name +
	       " --file-prefix " + file_prefix() +
	       (preload_plugin ? std::string() : " -d " + plugin_path());
}

/* The number after `label` in the part of `out` after `from`. */
uint64_t number_after(const std::string &out, const std::string &from, const std::string &label)
{
	const size_t at = out.find(from);
	std::smatch m;
	const std::string rest = at == std::string::npos ? "" : out.substr(at);
	if (!std::regex_search(rest, m, std::regex(label + " *([0-9]+)")))
		return UINT64_MAX;
	return std::stoull(m[1]);
}

/* Bytes allocated in DPDK's shared heap. */
size_t heap_in_use()
{
	rte_malloc_socket_stats s{};
	rte_malloc_get_socket_stats(rte_socket_id(), &s);
	return s.heap_allocsz_bytes;
}

/* The last number on the line of `out` that starts with `label`. */
uint64_t last_number_after(const std::string &out, const std::string &label)
{
	const size_t at = out.find(label);
	if (at == std::string::npos)
		return UINT64_MAX;
	const std::string line = out.substr(at, out.find('\n', at) - at);
	std::smatch m;
	if (!std::regex_search(line, m, std::regex("([0-9]+)\\s*$")))
		return UINT64_MAX;
	return std::stoull(m[1]);
}

class MultiProcess : public testing::Test {
protected:
	void SetUp() override
	{
		if (rte_eal_has_hugepages() == 0)
			GTEST_SKIP()
			    << "needs hugepages: BYPASS_TEST_HUGEPAGES and 128 free 2 MB "
			       "pages in a mounted hugetlbfs (scripts/test.sh sets them up "
			       "as root)";
		ASSERT_EQ(rte_pdump_init(), 0);
		pool_.emplace(unique("mp_pool"));
		bp_.emplace(name_, "backup=(" + unique("net_null_mpb") + "),active=(" +
				       unique("net_null_mpa") + ")");
		ASSERT_EQ(bp_->probe_result(), 0);
		ASSERT_EQ(bp_->start(*pool_), 0);
		port_ = bp_->port_id();
		ASSERT_TRUE(wait_until([&] { return bypass_state(port_).on_active == 1; }));
		forwarding.store(true);
		ASSERT_EQ(rte_eal_remote_launch(forward, &port_, FORWARD_LCORE), 0);
		ASSERT_TRUE(wait_until([&] { return stats().ipackets > 0; }));
	}

	void TearDown() override
	{
		if (forwarding.exchange(false))
			rte_eal_wait_lcore(FORWARD_LCORE);
		bp_.reset();
		if (rte_eal_has_hugepages() != 0)
			rte_pdump_uninit();
	}

	rte_eth_stats stats() const
	{
		rte_eth_stats s{};
		rte_eth_stats_get(port_, &s);
		return s;
	}

	const std::string name_ = unique("net_bypass_mp");
	std::optional<Mempool> pool_;
	std::optional<BypassDev> bp_;
	uint16_t port_ = RTE_MAX_ETHPORTS;
};

TEST_F(MultiProcess, ProcInfoReadsTheStatsThisProcessReports)
{
	const size_t heap = heap_in_use();
	const uint64_t before = stats().ipackets;
	const CommandResult r = run_command(tool("dpdk-proc-info") + " -- --stats 2>&1");
	const uint64_t after = stats().ipackets;
	ASSERT_EQ(r.status, 0) << r.output;
	/* What the secondary asked through left nothing in the shared heap. */
	EXPECT_EQ(heap_in_use(), heap);
	const std::string title = "NIC statistics for port " + std::to_string(port_) + " ";
	const uint64_t seen = number_after(r.output, title, "RX-packets:");
	EXPECT_GE(seen, before) << r.output;
	EXPECT_LE(seen, after) << r.output;
}

TEST_F(MultiProcess, ProcInfoReadsTheDriversXstats)
{
	const CommandResult r = run_command(tool("dpdk-proc-info") + " -- --xstats 2>&1");
	ASSERT_EQ(r.status, 0) << r.output;
	const std::string title = "NIC extended statistics for port " + std::to_string(port_) + " ";
	EXPECT_GT(number_after(r.output, title, "active_rx_good_packets:"), 0u) << r.output;
	EXPECT_GT(number_after(r.output, title, "active_tx_good_packets:"), 0u) << r.output;
	EXPECT_EQ(number_after(r.output, title, "tx_management_path_switches:"), 0u) << r.output;
}

/* The capture is by count, long enough at the forwarder's rate to span a
 * switch to the backup and back, made once packets are being written. No
 * assertion before the capture thread is joined. */
TEST_F(MultiProcess, DumpcapCapturesOnTheBypassPortAcrossASwitch)
{
	constexpr unsigned PACKETS = 200000;
	const std::string file = (fs::temp_directory_path() / (unique("dumpcap") + ".pcapng"));
	const uint64_t switches = bp_->xstat("tx_management_path_switches");
	CommandResult r;
	std::atomic<bool> done{false};
	std::thread capture([&] {
		r = run_command(tool("dpdk-dumpcap", true) + " -i " + name_ + " -s 96 -c " +
				std::to_string(PACKETS) + " -w " + file + " 2>&1");
		done.store(true);
	});
	const bool writing = wait_until(
	    [&] {
		    std::error_code ec;
		    return done.load() || fs::file_size(file, ec) > 4096;
	    },
	    30s);
	/* net_null has no link to take down: the operator's switch. */
	const int held = rte_pmd_bypass_force_backup(port_, 1);
	const bool moved = wait_until([&] { return bypass_state(port_).on_active == 0; });
	const int released = rte_pmd_bypass_force_backup(port_, 0);
	const bool back = wait_until([&] { return bypass_state(port_).on_active == 1; });
	const bool during = !done.load();
	capture.join();
	fs::remove(file);

	ASSERT_EQ(r.status, 0) << r.output;
	EXPECT_EQ(held, 0);
	EXPECT_EQ(released, 0);
	EXPECT_TRUE(writing && moved && back);
	EXPECT_TRUE(during) << "the capture ended before the switch:\n" << r.output;
	EXPECT_EQ(bp_->xstat("tx_management_path_switches"), switches + 2);
	/* "Packets captured:" counts up on one line (carriage returns); it
	 * writes whole bursts of 32, so the last may take it past the count. */
	const uint64_t captured = last_number_after(r.output, "Packets captured:");
	printf("    dumpcap captured %llu packets\n", static_cast<unsigned long long>(captured));
	EXPECT_GE(captured, PACKETS) << r.output;
	EXPECT_LT(captured, PACKETS + 32) << r.output;
	/* What the primary handed over, which includes what was still in the
	 * ring when dumpcap stopped. */
	std::smatch m;
	ASSERT_TRUE(std::regex_search(
	    r.output, m,
	    std::regex("received/dropped on interface '" + name_ + "': ([0-9]+)/([0-9]+)")))
	    << r.output;
	const uint64_t received = std::stoull(m[1]);
#if RTE_VERSION < RTE_VERSION_NUM(25, 11, 0, 0)
	EXPECT_GE(received, captured);
#else
	/* Since 25.11 the primary forwards the enable to every secondary,
	 * dumpcap included, after its own callbacks run; each secondary zeroes
	 * the shared counters again, so what was counted before is lost. */
	EXPECT_GT(received, 0u);
#endif
	/* How many a dumpcap short of CPU dropped depends on the machine: a
	 * figure, not a bound. */
	printf("    dumpcap: %llu received, %s dropped\n", static_cast<unsigned long long>(received),
	       m[2].str().c_str());
}

/* The secondary's bursts poll the sub-ports through its own ethdev and
 * follow the primary's switch; the primary counts what they carried. */
TEST_F(MultiProcess, ASecondaryBurstsOnTheBypassPortAndFollowsASwitch)
{
	forwarding.store(false); /* one lcore per queue: the secondary's now */
	rte_eal_wait_lcore(FORWARD_LCORE);
	const rte_eth_stats before = stats();
	const uint64_t backup_tx = bp_->xstat("backup_tx_good_packets");
	CommandResult r;
	std::thread secondary([&] {
		r = run_command("timeout 60 env " + sanitizer_options() + " " +
				secondary_echo_path() +
				" -l 0 --proc-type=secondary --file-prefix " + file_prefix() +
				" -- " + name_ + " 3000 2>&1");
	});
	const bool bursting = wait_until([&] { return stats().ipackets > before.ipackets; }, 30s);
	const int held = rte_pmd_bypass_force_backup(port_, 1);
	std::this_thread::sleep_for(300ms);
	const int released = rte_pmd_bypass_force_backup(port_, 0);
	secondary.join();
	const rte_eth_stats after = stats();

	ASSERT_EQ(r.status, 0) << r.output;
	ASSERT_TRUE(bursting && held == 0 && released == 0);
	std::smatch m;
	ASSERT_TRUE(std::regex_search(
	    r.output, m, std::regex("received ([0-9]+), stamped ([0-9]+), sent ([0-9]+)")))
	    << r.output;
	const uint64_t received = std::stoull(m[1]);
	EXPECT_GT(received, 0u);
	EXPECT_EQ(std::stoull(m[2]), received) << "mbufs not stamped with the bypass port";
	EXPECT_EQ(std::stoull(m[3]), received) << "net_null takes every packet";
	EXPECT_EQ(after.ipackets - before.ipackets, received);
	EXPECT_EQ(after.opackets - before.opackets, std::stoull(m[3]));
	EXPECT_GT(bp_->xstat("backup_tx_good_packets"), backup_tx)
	    << "tx did not follow the switch";
}

/* A secondary killed inside a burst leaves its queue's counter odd for
 * good. The primary's release of the VF must not wait for it without end,
 * and the port goes on forwarding. The secondary stops inside the bypass
 * port's rx burst (an rx callback on the sub-ports), and is killed there. */
TEST_F(MultiProcess, ASecondaryKilledInsideABurstDoesNotHoldTheVfRelease)
{
	forwarding.store(false); /* one lcore per queue: the secondary's now */
	rte_eal_wait_lcore(FORWARD_LCORE);
	const std::string marker = fs::temp_directory_path() / unique("inside_burst");
	const std::string pidfile = marker + ".pid";
	CommandResult r;
	std::thread secondary([&] {
		r = run_command("sh -c 'echo $$ > " + pidfile + "; exec timeout -s KILL 120 env " +
				sanitizer_options() + " " + secondary_echo_path() +
				" -l 0 --proc-type=secondary --file-prefix " + file_prefix() +
				" -- " + name_ + " 100000 " + marker + "' 2>&1");
	});
	const bool inside = wait_until([&] { return fs::exists(marker); }, 60s);
	pid_t pid = 0;
	if (FILE *f = fopen(pidfile.c_str(), "r")) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	/* `exec timeout`: the pid is timeout's, whose child is the secondary. */
	const int killed = pid > 0 ? system(("pkill -KILL -P " + std::to_string(pid)).c_str()) : -1;
	secondary.join();
	fs::remove(marker);
	fs::remove(pidfile);
	ASSERT_TRUE(inside) << r.output;
	ASSERT_EQ(killed, 0) << r.output;

	const uint64_t attaches = bp_->xstat("active_management_attaches");
	raise_rmv(bypass_state(port_).active_port);
	/* Released, then the devargs probed again and attached. */
	EXPECT_TRUE(wait_until(
	    [&] { return bp_->xstat("active_management_attaches") > attaches; }, 30s))
	    << "the VF was not released";
	const uint64_t before = stats().ipackets;
	forwarding.store(true);
	ASSERT_EQ(rte_eal_remote_launch(forward, &port_, FORWARD_LCORE), 0);
	EXPECT_TRUE(wait_until([&] { return stats().ipackets > before; }));
}

TEST_F(MultiProcess, PdumpCapturesBothDirections)
{
	const std::string rx = fs::temp_directory_path() / (unique("pdump_rx") + ".pcap");
	const std::string tx = fs::temp_directory_path() / (unique("pdump_tx") + ".pcap");
	/* pdump runs until SIGINT; three seconds, ASan's start-up included. */
	const CommandResult r = run_command("timeout -s INT 3 " + tool("dpdk-pdump") +
					    " -- --pdump 'device_id=" + name_ +
					    ",queue=*,rx-dev=" + rx + ",tx-dev=" + tx + "' 2>&1");
	std::error_code ec;
	const uintmax_t rx_size = fs::file_size(rx, ec), tx_size = fs::file_size(tx, ec);
	fs::remove(rx);
	fs::remove(tx);
	/* timeout's status for a child it stopped, or pdump's own 0. */
	EXPECT_TRUE(r.status == 0 || r.status == 124) << r.output;
	constexpr uintmax_t PCAP_HEADER = 24;
	EXPECT_GT(rx_size, PCAP_HEADER) << r.output;
	EXPECT_GT(tx_size, PCAP_HEADER) << r.output;
	EXPECT_TRUE(forwarding.load());
	EXPECT_TRUE(wait_until([&, n = stats().ipackets] { return stats().ipackets > n; }));
}

} // namespace
