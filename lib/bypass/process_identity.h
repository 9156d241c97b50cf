/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>

namespace bypass {

/*
 * Which process, of those sharing DPDK's memory, a record was written by,
 * and whether that process still exists: a secondary killed inside a burst
 * leaves its mark behind, and the primary must tell it from one still
 * running. A pid alone is not enough (pids are reused), so the process's
 * start time goes with it; nor is it meaningful in another pid namespace,
 * where the answer is "cannot tell".
 */
struct ProcessIdentity {
	uint32_t pid = 0;   /* 0: none recorded */
	uint32_t start = 0; /* start time since boot, in clock ticks, low bits */
	uint64_t pid_ns = 0; /* inode of its pid namespace */
};

/* This process's, read once from /proc. */
const ProcessIdentity &this_process();

enum class Liveness {
	alive,   /* or a process that cannot be told from it */
	gone,    /* exited, killed, or a zombie: it runs no code any more */
	unknown, /* recorded in another pid namespace */
};

/* Control path: whether the process `who` names still runs. Reads /proc. */
Liveness liveness(const ProcessIdentity &who);

} // namespace bypass
