/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>

namespace bypass {

/*
 * Which process, of those sharing DPDK's memory, a record was written by,
 * and whether that process still exists: a secondary killed inside a burst
 * leaves its mark behind, and the primary must tell it from one still
 * running. A pid alone is not enough (pids are reused), so the process's
 * start time goes with it. Both mean something only to a reader in the
 * same pid and time namespaces, looking through a /proc of that pid
 * namespace: anything else answers "cannot tell", which is waited for as a
 * live process is.
 */
struct ProcessIdentity {
	uint32_t pid = 0;    /* 0: none recorded */
	uint32_t start = 0;  /* start time since boot, in clock ticks, low bits */
	uint64_t pid_ns = 0; /* inode of its pid namespace; 0: unknown */
	uint64_t time_ns = 0; /* inode of its time namespace (start times shift) */
};

/* This process's, read once from /proc. Call it on the control path
 * before any burst records it (a secondary's probe does). */
const ProcessIdentity &this_process();

enum class Liveness {
	alive,   /* it runs, or it cannot be told from one that does */
	gone,    /* exited, or a zombie whose every thread exited */
	unknown, /* recorded where this process cannot judge it */
};

/* Control path: whether the process `who` names still runs. Reads /proc. */
Liveness liveness(const ProcessIdentity &who);

} // namespace bypass
