/* SPDX-License-Identifier: BSD-3-Clause */
/* The stock dpdk-testpmd loads the built PMD with -d, sees one port and
 * forwards through the active sub-port. */
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "common/backend.h"
#include "common/eal.h"

using namespace bypass_test;

namespace {

std::string testpmd(const std::string &vdevs, const std::string &commands,
		    const std::string &prefix = unique("smoke"))
{
	return "{ " + commands + "; } | " + testpmd_command(prefix) + " " + vdevs +
	       " -- -i --total-num-mbufs=8192";
}

uint64_t xstat(const std::string &out, const std::string &name)
{
	std::smatch m;
	if (!std::regex_search(out, m, std::regex(name + ": ([0-9]+)")))
		return UINT64_MAX;
	return std::stoull(m[1]);
}

TEST(StockTestpmd, ForwardsThroughTheActiveSubPortOfOneVisiblePort)
{
	const std::string b = unique("net_null_sb"), a = unique("net_null_sa");
	const auto r = run_command(
	    testpmd("--vdev " + b + " --vdev " + a + " --vdev 'net_bypass_smoke,backup=" + b +
			",active=" + a + "'",
		    "echo start; sleep 1; echo stop; echo 'show port xstats all'; echo quit"));
	ASSERT_EQ(r.status, 0) << r.output;

	std::smatch m;
	std::string rest = r.output;
	int ports = 0;
	while (std::regex_search(rest, m, std::regex("Forward statistics for port ([0-9]+)"))) {
		ports++;
		rest = m.suffix();
	}
	EXPECT_EQ(ports, 1) << "testpmd should see only the bypass port:\n" << r.output;
	EXPECT_GT(xstat(r.output, "active_tx_good_packets"), 0u) << r.output;
	EXPECT_EQ(xstat(r.output, "backup_tx_good_packets"), 0u) << r.output;
	EXPECT_GT(xstat(r.output, "active_rx_good_packets"), 0u) << r.output;
}

/* What an operator asks a running application, with DPDK's own client. */
TEST(StockTestpmd, TelemetrySaysWhichPathIsActiveAndWhy)
{
	const std::string b = unique("net_null_tb"), a = unique("net_null_ta");
	const std::string prefix = unique("telemetry");
	const std::string answers = "/tmp/" + prefix + ".json";
	/* The sub-ports are ports 0 and 1, the bypass port 2. */
	const auto r = run_command(testpmd(
	    "--vdev " + b + " --vdev " + a + " --vdev 'net_bypass_tel,backup=" + b +
		",active=" + a + "'",
	    /* Once tx is on the VF, however long testpmd takes to get
	     * there on a busy machine (a minute at most). */
	    "echo start; for i in $(seq 120); do printf '/bypass/info,2\\n' | dpdk-telemetry.py -f " +
		prefix +
		" 2>/dev/null | grep -q '\"tx_path\": \"active\"' && break; sleep 0.5; done; "
		"printf '/bypass/list\\n/bypass/info,2\\n/bypass/info,0\\n' | dpdk-telemetry.py -f " +
		prefix + " >" + answers + " 2>&1; echo stop; echo quit",
	    prefix));
	ASSERT_EQ(r.status, 0) << r.output;
	std::ifstream in(answers);
	std::stringstream text;
	text << in.rdbuf();
	const std::string out = text.str();
	std::remove(answers.c_str());
	EXPECT_NE(out.find("\"/bypass/list\": [2]"), std::string::npos) << out;
	EXPECT_NE(out.find("\"tx_path\": \"active\""), std::string::npos) << out;
	EXPECT_NE(out.find("\"reason\": \"active sub-port up\""), std::string::npos) << out;
	EXPECT_TRUE(std::regex_search(out, std::regex("\"backup\": \\{\"port\": 0, \"name\": \"" + b +
						      "\", \"state\": \"started\"")))
	    << out;
	EXPECT_TRUE(std::regex_search(out, std::regex("\"active\": \\{\"port\": 1, \"name\": \"" + a +
						      "\", \"state\": \"started\"")))
	    << out;
	/* Not a bypass port: an error, not an answer. */
	EXPECT_NE(out.find("\"/bypass/info\": null"), std::string::npos) << out;
}

TEST(StockTestpmd, BadDevargPrintsOneClearError)
{
	const auto r = run_command(
	    testpmd("--vdev 'net_bypass_smoke,backup=x,active=y,bogus=1'", "echo quit"));
	EXPECT_NE(r.output.find("net_bypass_smoke: unknown devarg 'bogus'"), std::string::npos)
	    << r.output;
	/* EAL treats a failed vdev probe as non-fatal: testpmd goes on without it. */
	EXPECT_NE(r.output.find("No probed ethernet devices"), std::string::npos) << r.output;
}

} // namespace
