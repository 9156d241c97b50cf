/* SPDX-License-Identifier: BSD-3-Clause */
/* The failover lab's scenarios, with the stock dpdk-testpmd loading
 * net_bypass as the guest and bypass-vhost-host as the hypervisor: the
 * host sends sequence-numbered frames over the VF while it is plugged and
 * up, over virtio otherwise, and counts the echoes per path, so it can
 * tell duplicates, losses and the gap of every switch. Each scenario
 * prints the host's summary line and states its bounds. LAB_MIGRATIONS
 * sets the number of consecutive migrations (50). */
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/backend.h"
#include "common/eal.h"
#include "common/ports.h"

using namespace bypass_test;
using namespace std::chrono_literals;

namespace {

constexpr unsigned PPS = 10000;
/* How long the host may take to print what a step waits for. */
constexpr std::chrono::seconds HOST_TIMEOUT{20};
/* Gaps and losses depend on how busy the machine is: each test prints
 * them (the host's summary line), and the bounds below hold with ten times
 * the slack of what a busy 2-CPU machine gave, so that they catch a path
 * that never comes back, not a slow machine. */
/* The bound on the gap of any switch: 2 s. */
constexpr uint64_t MAX_GAP_US = 2000000;
/* What a switch may lose: what went into a dead VF, or a VF whose link
 * went down, while the guest noticed; 100 ms of traffic, ten times over. */
constexpr uint64_t MAX_LOSS_PER_SWITCH = PPS;
/* A planned migration loses only what sat in the VF's rings when it went
 * (the host looks at the VF every 1 ms; the guest lets go of it in about
 * 0.1 ms): 10 ms of traffic, ten times over (one run lost 15 ms' worth per
 * migration with another job on the other CPU). */
constexpr uint64_t MAX_LOSS_PER_MIGRATION = PPS / 10;
const std::string MAC = "02:00:00:00:00:01";
/* How much of each side's log a failure shows: meson prints only the last
 * 100 lines of a failed test. */
constexpr size_t STORY_LINES = 40;

struct Summary {
	uint64_t sent = 0, vf = 0, virtio = 0, lost = 0, dups = 0, overtaken = 0, switches = 0,
		 gap_us = 0;
	std::string last_path;
};

bool parse_summary(const std::string &log, Summary &s)
{
	std::smatch m;
	static const std::regex re(
	    "lab summary: sent (\\d+), back on the VF (\\d+), on virtio "
	    "(\\d+), lost (\\d+), duplicates (\\d+), overtaken (\\d+), "
	    "switches (\\d+), largest gap \\(us\\) (\\d+), last path (\\S+)");
	if (!std::regex_search(log, m, re))
		return false;
	s = {std::stoull(m[1]), std::stoull(m[2]), std::stoull(m[3]),
	     std::stoull(m[4]), std::stoull(m[5]), std::stoull(m[6]),
	     std::stoull(m[7]), std::stoull(m[8]), m[9]};
	printf("    %s\n", m[0].str().c_str());
	return true;
}

/* A host whose VF is `mode`'s, plugged `when`, sending PPS frames a
 * second; a testpmd guest with net_bypass over its virtio device and VF. */
class Lab : public testing::Test {
protected:
	void start(VhostBackend::Mode mode = VhostBackend::Mode::failover_vf,
		   const std::string &when = "standby")
	{
		const bool tap = mode == VhostBackend::Mode::failover_tap;
		vf_ = unique(tap ? "net_tap_lab" : "net_memif_lab");
		host_.emplace(std::vector{mode}, VhostBackend::Options{vf_, PPS, when});
		ASSERT_TRUE(host_->ready());
		const std::string active =
		    tap ? vf_ + ",iface=" + host_->vf_tap(0)
			: vf_ + ",role=client,socket-abstract=no,socket=" + host_->vf_socket(0);
		guest_.emplace("--vdev 'net_bypass0,backup=(virtio_user0,path=" + host_->socket(0) +
				   ",queues=1,cq=1,mac=" + MAC + "),active=(" + active +
				   ",mac=" + MAC + ")'",
			       guest_log_);
		ASSERT_TRUE(host_->wait_for("STANDBY yes", 1, HOST_TIMEOUT)) << story();
		ASSERT_TRUE(wait_until(
		    [&] { return guest_->log().find("nb forwarding cores") != std::string::npos; },
		    std::chrono::seconds(20)))
		    << "the guest does not forward\n"
		    << guest_->log();
	}

	/* The host's frames start once the VF's link is up (its guest side
	 * connected): the guest's start-up is not what is measured. */
	void start_on_vf(VhostBackend::Mode mode = VhostBackend::Mode::failover_vf,
			 const std::string &when = "standby")
	{
		start(mode, when);
		ASSERT_TRUE(host_->wait_for("VF link up", 1, HOST_TIMEOUT)) << stuck();
		std::this_thread::sleep_for(300ms); /* the guest's 10 ms link poll */
		host_->command("start");
		std::this_thread::sleep_for(500ms);
	}

	/* Offers the VF again and waits until its link is up once more. */
	void replug()
	{
		const size_t ups = count(host_->log(), "VF link up");
		host_->command("plug");
		ASSERT_TRUE(host_->wait_for("VF link up", ups + 1, HOST_TIMEOUT)) << stuck();
		std::this_thread::sleep_for(300ms);
	}

	/* Migrations as the host plays them ("migrate"): the VF withdrawn,
	 * offered again `on_virtio` later; each ends once its link is up. */
	void migrate(unsigned times, std::chrono::milliseconds on_virtio)
	{
		for (unsigned i = 0; i < times; i++) {
			const size_t ups = count(host_->log(), "VF link up");
			host_->command("migrate " + std::to_string(on_virtio.count()));
			ASSERT_TRUE(host_->wait_for("VF link up", ups + 1, HOST_TIMEOUT))
			    << stuck();
			std::this_thread::sleep_for(300ms);
		}
	}

	/* Stops traffic, guest and host; the guest must still have been up. */
	Summary finish()
	{
		host_->command("stop");
		std::this_thread::sleep_for(300ms);
		EXPECT_TRUE(guest_->running()) << "the guest died\n" << guest_->log();
		guest_->stop();
		host_->stop();
		Summary s;
		EXPECT_TRUE(parse_summary(host_->log(), s)) << story();
		EXPECT_EQ(s.dups, 0u);
		EXPECT_LE(s.gap_us, MAX_GAP_US) << story();
		EXPECT_LE(s.lost, std::max<uint64_t>(s.switches, 1) * MAX_LOSS_PER_SWITCH)
		    << story();
		return s;
	}

	/* What happened, after asking the host where it stands. */
	std::string stuck()
	{
		host_->command("status");
		std::this_thread::sleep_for(300ms);
		return story();
	}

	/* What happened, for a failure message that fits a CI log: the last
	 * lines of the guest's log, then of the host's events without its
	 * per-second rates and rte_vhost's chatter. */
	std::string story() const
	{
		auto host = [](const std::string &line) {
			return line.find("pkt/s on") == std::string::npos &&
			       line.rfind("VHOST_CONFIG", 0) != 0;
		};
		auto any = [](const std::string &) { return true; };
		/* The host last: a CI log keeps a failure's last lines. */
		return "--- guest, last lines ---\n" +
		       (guest_ ? tail(guest_->log(), STORY_LINES, any) : "") +
		       "--- host, last lines ---\n" + tail(host_->log(), STORY_LINES, host);
	}

	/* The last `n` lines of `log` that `keep` keeps. */
	template <typename Keep>
	static std::string tail(const std::string &log, size_t n, Keep keep)
	{
		std::istringstream in(log);
		std::deque<std::string> lines;
		for (std::string line; std::getline(in, line);) {
			if (!keep(line))
				continue;
			lines.push_back(line);
			if (lines.size() > n)
				lines.pop_front();
		}
		std::string out;
		for (const std::string &line : lines)
			out += line + "\n";
		return out;
	}

	std::string vf_; /* the guest's name for its VF */
	std::string guest_log_ = unique("lab_guest") + ".log";
	std::optional<VhostBackend> host_;
	std::optional<TestpmdGuest> guest_;
};

/* Scenario 1. */
TEST_F(Lab, PlannedMigrationMovesTrafficToVirtioAndBack)
{
	ASSERT_NO_FATAL_FAILURE(start_on_vf());
	ASSERT_NO_FATAL_FAILURE(migrate(1, 1500ms));
	std::this_thread::sleep_for(500ms);
	const Summary s = finish();
	EXPECT_GT(s.vf, 0u);
	EXPECT_GT(s.virtio, PPS / 2) << "about 1.5 s of traffic should have gone over virtio";
	EXPECT_EQ(s.switches, 2u) << story();
	EXPECT_EQ(s.last_path, "VF");
	EXPECT_LE(s.lost, MAX_LOSS_PER_MIGRATION);
}

/* Scenario 2: the VF is dead before the guest hears of it, and the first
 * it hears is the removal event, not a link down. */
TEST_F(Lab, SurpriseRemovalFallsBackToVirtio)
{
	ASSERT_NO_FATAL_FAILURE(start_on_vf());
	host_->command("surprise");
	EXPECT_TRUE(wait_until([&] {
		return guest_->log().find("released (device removal)") != std::string::npos;
	})) << guest_->log();
	std::this_thread::sleep_for(1000ms); /* traffic on virtio */
	ASSERT_NO_FATAL_FAILURE(replug());
	std::this_thread::sleep_for(500ms);
	const Summary s = finish();
	EXPECT_GT(s.virtio, PPS / 2);
	EXPECT_EQ(s.switches, 2u) << story();
	EXPECT_EQ(s.last_path, "VF");
}

/* Scenario 3: the VF stays plugged while its link goes down and comes
 * back up ten times; a tap VF, whose link the host can take down. */
TEST_F(Lab, VfLinkFlapsTenTimes)
{
	ASSERT_NO_FATAL_FAILURE(start_on_vf(VhostBackend::Mode::failover_tap));
	for (unsigned i = 1; i <= 10; i++) {
		host_->command("link-down");
		std::this_thread::sleep_for(300ms);
		host_->command("link-up");
		ASSERT_TRUE(host_->wait_for("VF link up", i + 1, HOST_TIMEOUT)) << story();
		std::this_thread::sleep_for(300ms);
	}
	const Summary s = finish();
	EXPECT_EQ(count(host_->log(), "VF unplugged"), 1u) << "only at the end";
	EXPECT_EQ(s.switches, 20u) << story();
	EXPECT_GT(s.virtio, PPS) << "10 x 300 ms of traffic should have gone over virtio";
	EXPECT_EQ(s.last_path, "VF");
}

/* Scenario 4. */
TEST_F(Lab, VhostBackendRestartLeavesTrafficOnTheVf)
{
	ASSERT_NO_FATAL_FAILURE(start_on_vf());
	host_->command("restart-vhost");
	std::this_thread::sleep_for(2s);
	const Summary s = finish();
	EXPECT_NE(host_->log().find("vhost backend restarted"), std::string::npos) << story();
	EXPECT_EQ(s.switches, 0u) << "traffic left the VF when the virtio backend restarted";
	EXPECT_EQ(s.virtio, 0u);
}

/* Scenario 5, first half: the VF is there before the guest's virtio device
 * negotiated anything. */
TEST_F(Lab, VfOfferedBeforeVirtioIsReady)
{
	ASSERT_NO_FATAL_FAILURE(start_on_vf(VhostBackend::Mode::failover_vf, "start"));
	const std::string log = host_->log();
	EXPECT_LT(log.find("VF plugged"), log.find("guest negotiated")) << log;
	std::this_thread::sleep_for(1s);
	const Summary s = finish();
	EXPECT_GT(s.vf, PPS);
	EXPECT_EQ(s.virtio, 0u);
	EXPECT_EQ(s.last_path, "VF");
}

/* Scenario 5, second half: traffic runs over virtio when the VF comes. */
TEST_F(Lab, VfOfferedAfterVirtioIsReady)
{
	ASSERT_NO_FATAL_FAILURE(start(VhostBackend::Mode::failover_vf, "command"));
	host_->command("start");
	std::this_thread::sleep_for(1s);
	ASSERT_NO_FATAL_FAILURE(replug());
	std::this_thread::sleep_for(500ms);
	const Summary s = finish();
	EXPECT_GT(s.virtio, PPS / 2);
	EXPECT_GT(s.vf, 0u);
	EXPECT_EQ(s.switches, 1u);
	EXPECT_EQ(s.last_path, "VF");
}

/* Scenario 6. */
TEST_F(Lab, ConsecutiveMigrations)
{
	const char *env = getenv("LAB_MIGRATIONS");
	const unsigned n = env != nullptr ? atoi(env) : 50;
	ASSERT_NO_FATAL_FAILURE(start_on_vf());
	ASSERT_NO_FATAL_FAILURE(migrate(n, 300ms));
	const Summary s = finish();
	EXPECT_EQ(count(host_->log(), "VF withdrawn"), n);
	EXPECT_EQ(s.switches, 2 * n) << story();
	EXPECT_EQ(s.last_path, "VF");
	EXPECT_LE(s.lost, n * MAX_LOSS_PER_MIGRATION);
}

} // namespace
