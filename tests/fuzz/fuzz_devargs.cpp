/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: the devargs parser, which takes whatever a user, an
 * orchestrator or OVS (options:dpdk-devargs) hands it. Besides the
 * sanitizers' findings, a parse that succeeds must be self-consistent. */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bypass_devargs.h"

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	/* Every bad input logs a line: formatted, then dropped. */
	rte_openlog_stream(fopen("/dev/null", "w"));
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const std::string args(reinterpret_cast<const char *>(data), size);
	if (args.find('\0') != std::string::npos)
		return 0; /* devargs are C strings */
	bypass::Devargs d;
	if (bypass::parse_devargs("net_bypass_fuzz", args.c_str(), d) != 0)
		return 0;
	if (d.backup.empty() != d.active.empty() || (d.zero_config() && d.mac))
		abort();
	return 0;
}
