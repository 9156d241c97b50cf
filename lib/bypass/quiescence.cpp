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

namespace {

/* How often a shared reader stuck in one burst has its process looked up
 * (a read of /proc): a burst takes microseconds, a dead process forever. */
constexpr std::chrono::milliseconds LIVENESS_EVERY{10};

/* Between two looks at a counter: a burst ends within microseconds, so the
 * first millisecond only yields; a wait that lasts longer (a stopped lcore
 * or process) sleeps between looks rather than take a CPU from the lcores
 * it waits for. */
class Backoff {
public:
	void pause()
	{
		if (std::chrono::steady_clock::now() - start_ < std::chrono::milliseconds(1))
			std::this_thread::yield();
		else
			std::this_thread::sleep_for(std::chrono::microseconds(50));
	}

private:
	const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/* Waits until `r` moves from `seen`, its process is gone, or `deadline`. */
bool wait_shared(SharedQsReader &r, uint32_t seen,
		 std::chrono::steady_clock::time_point deadline)
{
	auto next_check = std::chrono::steady_clock::now() + LIVENESS_EVERY;
	Backoff backoff;
	while (r.snapshot() == seen) {
		const auto now = std::chrono::steady_clock::now();
		if (now >= next_check) {
			const ProcessIdentity who = r.owner();
			/* Read again: a new burst may have taken the line. */
			if (r.snapshot() != seen)
				break;
			if (liveness(who) == Liveness::gone) {
				BYPASS_LOG(WARNING,
					   "process %u ended inside a burst on a shared queue: "
					   "not waiting for it",
					   who.pid);
				r.close_abandoned(seen);
				return true;
			}
			next_check = now + LIVENESS_EVERY;
		}
		if (now >= deadline)
			return false;
		backoff.pause();
	}
	return true;
}

} // namespace

bool qs_synchronize(const QsReader *const *readers, size_t n, SharedQsReader *const *shared,
		    size_t n_shared, std::chrono::microseconds timeout)
{
	/* After the barrier (ours, or each reader's own), a reader seen
	 * outside a burst will see what was published in its next one. */
	std::atomic_thread_fence(std::memory_order_seq_cst);
	const int cmd = barrier_command();
	const bool conclusive = cmd < 0 || membarrier(cmd) == 0;
	std::vector<uint32_t> seen(n), seen_shared(n_shared);
	for (size_t i = 0; i < n; i++)
		seen[i] = readers[i] != nullptr ? readers[i]->snapshot() : 0;
	for (size_t i = 0; i < n_shared; i++)
		seen_shared[i] = shared[i] != nullptr ? shared[i]->snapshot() : 0;

	const auto deadline = std::chrono::steady_clock::now() + timeout;
	for (size_t i = 0; i < n; i++) {
		if (readers[i] == nullptr)
			continue;
		/* A membarrier that failed after it once worked: wait for the
		 * counter to move, as for a burst in progress. */
		if (conclusive && (seen[i] & 1) == 0)
			continue;
		Backoff backoff;
		while (readers[i]->snapshot() == seen[i]) {
			if (std::chrono::steady_clock::now() >= deadline)
				return false;
			backoff.pause();
		}
	}
	/* Shared readers fence themselves: one seen outside a burst is done
	 * whether or not the membarrier worked. */
	for (size_t i = 0; i < n_shared; i++) {
		if (shared[i] != nullptr && (seen_shared[i] & 1) != 0 &&
		    !wait_shared(*shared[i], seen_shared[i], deadline))
			return false;
	}
	std::atomic_thread_fence(std::memory_order_seq_cst);
	return true;
}

} // namespace bypass
