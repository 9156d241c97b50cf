/* SPDX-License-Identifier: BSD-3-Clause */
#include "quiescence.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "log.h"

namespace bypass {

namespace {

long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

/* The membarrier command for a full barrier on every thread of the
 * process: the expedited private one (registered once, Linux 4.14) takes
 * microseconds; the global one waits for a scheduler pass (milliseconds)
 * but needs no registration. -1 if there is neither. */
int barrier_command()
{
	static const int cmd = [] {
		const long supported = membarrier(MEMBARRIER_CMD_QUERY);
		if (supported > 0 && (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
		    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
			return static_cast<int>(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
		if (supported > 0 && (supported & MEMBARRIER_CMD_GLOBAL))
			return static_cast<int>(MEMBARRIER_CMD_GLOBAL);
		BYPASS_LOG(NOTICE, "membarrier(2) unavailable: each burst fences itself so that "
				   "sub-ports can be released safely");
		return -1;
	}();
	return cmd;
}

} // namespace

void qs_prepare()
{
	barrier_command();
}

bool qs_readers_fence()
{
	return barrier_command() < 0;
}

bool qs_synchronize(const QsReader *const *readers, size_t n, std::chrono::microseconds timeout)
{
	/* After the barrier (ours, or each reader's own), a reader seen
	 * outside a burst will see what was published in its next one. */
	std::atomic_thread_fence(std::memory_order_seq_cst);
	const int cmd = barrier_command();
	const bool conclusive = cmd < 0 || membarrier(cmd) == 0;
	std::vector<uint32_t> seen(n);
	for (size_t i = 0; i < n; i++)
		seen[i] = readers[i] != nullptr ? readers[i]->snapshot() : 0;

	const auto deadline = std::chrono::steady_clock::now() + timeout;
	for (size_t i = 0; i < n; i++) {
		if (readers[i] == nullptr)
			continue;
		/* A membarrier that failed after it once worked: wait for the
		 * counter to move, as for a burst in progress. */
		if (conclusive && (seen[i] & 1) == 0)
			continue;
		while (readers[i]->snapshot() == seen[i]) {
			if (std::chrono::steady_clock::now() >= deadline)
				return false;
			std::this_thread::yield();
		}
	}
	std::atomic_thread_fence(std::memory_order_seq_cst);
	return true;
}

} // namespace bypass
