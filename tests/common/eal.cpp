/* SPDX-License-Identifier: BSD-3-Clause */
/* main() for every test binary: one EAL per process, --no-huge, its own
 * file prefix so meson can run the binaries in parallel. The PMD is linked
 * in, as an application using its API would have it. */
#include "eal.h"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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

std::string once(const std::string &stem)
{
	static std::atomic<unsigned> n{0};
	return stem + "_" + std::to_string(n++);
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

namespace {

/* A process where membarrier(2) fails with ENOSYS, as under an old kernel
 * or a seccomp profile that refuses it; the threads EAL starts inherit it. */
bool refuse_membarrier()
{
	sock_filter filter[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_membarrier, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	sock_fprog prog = {static_cast<unsigned short>(RTE_DIM(filter)), filter};
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	       prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

std::vector<std::string> split(const std::string &text)
{
	std::vector<std::string> words;
	size_t at = 0;
	while ((at = text.find_first_not_of(' ', at)) != std::string::npos) {
		const size_t end = text.find(' ', at);
		words.push_back(text.substr(at, end - at));
		at = end;
	}
	return words;
}

/* Free 2 MB pages in a mounted hugetlbfs, 0 if none. */
unsigned hugepages_free()
{
	std::ifstream mounts("/proc/mounts"), meminfo("/proc/meminfo");
	std::string line;
	bool mounted = false;
	while (!mounted && std::getline(mounts, line))
		mounted = line.find(" hugetlbfs ") != std::string::npos;
	unsigned free = 0;
	while (mounted && std::getline(meminfo, line))
		if (sscanf(line.c_str(), "HugePages_Free: %u", &free) == 1)
			return free;
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	testing::InitGoogleTest(&argc, argv);
	if (getenv("BYPASS_TEST_NO_MEMBARRIER") != nullptr && !refuse_membarrier()) {
		fprintf(stderr, "cannot refuse membarrier(2) to this process\n");
		return 1;
	}
	const std::string prefix =
	    bypass_test::unique("bpt") + fs::path(argv[0]).filename().string();
	/* Three lcores on two CPUs: the stress test bursts on two workers. */
	std::vector<std::string> args = {
	    argv[0], "--lcores",    "0@0,1@1,2@1",	  "--file-prefix",
	    prefix,  "--log-level", "pmd.net.bypass:info"};
	/* Secondary processes need the primary's memory shared: hugepages,
	 * where a test asks for them and the machine has them. They map it at
	 * the primary's addresses: a fixed base high in the address space,
	 * where a sanitizer runtime loaded into a secondary (its shadow lies
	 * lower) or its libraries are not. */
	if (getenv("BYPASS_TEST_HUGEPAGES") != nullptr && hugepages_free() >= 128)
		args.insert(args.end(), {"-m", "128", "--base-virtaddr", "0x200000000000"});
	else
		args.insert(args.end(), {"--no-huge", "-m", "512"});
	/* PCI off unless a test asks for EAL options of its own (-a ...). */
	const char *extra = getenv("BYPASS_TEST_EAL_ARGS");
	for (const std::string &a : split(extra != nullptr ? extra : "--no-pci"))
		args.push_back(a);
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
