/* SPDX-License-Identifier: BSD-3-Clause */
/* The stock dpdk-testpmd loads the built PMD with -d, sees one port and
 * forwards through the active sub-port. */
#include <regex>

#include <gtest/gtest.h>

#include "common/backend.h"
#include "common/eal.h"

using namespace bypass_test;

namespace {

std::string testpmd(const std::string &vdevs, const std::string &commands)
{
	return "{ " + commands + "; } | " + testpmd_command(unique("smoke")) + " " + vdevs +
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
