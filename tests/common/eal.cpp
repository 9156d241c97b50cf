/* SPDX-License-Identifier: BSD-3-Clause */
/* main() for every test binary: one EAL per process, --no-huge, its own
 * file prefix so meson can run the binaries in parallel. The PMD is linked
 * in, as an application using its API would have it. */
#include "eal.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_pmd_bypass.h>

namespace fs = std::filesystem;

namespace bypass_test {

namespace {

bool world_writable_on_path(fs::path p)
{
	for (p = fs::absolute(p); !p.empty(); p = p.parent_path()) {
		std::error_code ec;
		auto perms = fs::status(p, ec).permissions();
		if (!ec && (perms & fs::perms::others_write) != fs::perms::none)
			return true;
		if (p == p.root_path())
			break;
	}
	return false;
}

} // namespace

std::string unique(const std::string &stem)
{
	return stem + std::to_string(getpid());
}

std::string plugin_path()
{
	const fs::path built = BYPASS_PMD_PATH;
	if (!world_writable_on_path(built))
		return built;
	const char *home = getenv("HOME");
	fs::path dir =
	    fs::path(home != nullptr ? home : "/root") / ".cache" / unique("net_bypass-");
	fs::create_directories(dir);
	fs::permissions(dir, fs::perms::owner_all);
	fs::copy_file(built, dir / built.filename(), fs::copy_options::overwrite_existing);
	return dir / built.filename();
}

} // namespace bypass_test

int main(int argc, char **argv)
{
	testing::InitGoogleTest(&argc, argv);
	const std::string prefix =
	    bypass_test::unique("bpt") + fs::path(argv[0]).filename().string();
	/* Three lcores on two CPUs: the stress test bursts on two workers. */
	std::vector<std::string> args = {
	    argv[0], "--lcores",    "0@0,1@1,2@1",	  "--no-huge",
	    "-m",    "512",	    "--no-pci",		  "--file-prefix",
	    prefix,  "--log-level", "pmd.net.bypass:info"};
	std::vector<char *> eal_argv;
	for (auto &a : args)
		eal_argv.push_back(a.data());
	if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
		fprintf(stderr, "cannot initialise EAL\n");
		return 1;
	}
	/* Also keeps the PMD linked under --as-needed, hence registered. */
	if (rte_pmd_bypass_state_get(RTE_MAX_ETHPORTS, nullptr) != -ENODEV) {
		fprintf(stderr, "net_bypass API not answering as documented\n");
		return 1;
	}
	const int ret = RUN_ALL_TESTS();
	rte_eal_cleanup();
	return ret;
}
