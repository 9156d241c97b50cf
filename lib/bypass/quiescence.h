/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace bypass {

/*
 * Knowing when no burst can still use a sub-port the control path switched
 * away from, without costing the bursts a lock, a fence or an atomic
 * read-modify-write.
 *
 * Each queue (polled by one lcore at a time, the ethdev contract) has a
 * counter that is odd while a burst runs: the burst bumps it with plain
 * stores on entry and exit, on its own cache line. The control path
 * publishes its change, then makes every thread of the process execute a
 * full memory barrier with membarrier(2) — the asymmetric fence of
 * liburcu's "memb" flavour — and reads the counters: a queue seen outside
 * a burst will load the new value in its next one; a queue seen inside
 * is waited for until its counter moves. Idle queues, and queues of a
 * stopped port, cost nothing to wait for.
 *
 * Where membarrier(2) is not available (an old kernel, a seccomp profile
 * that refuses it), the readers fence themselves after their entry store
 * instead, as a classic QSBR reader would: a burst costs a fence more, and
 * the control path's reasoning stays the same.
 */
class QsReader {
public:
	/* First thing in a burst, before reading what the control path
	 * publishes. With membarrier the compiler barrier keeps the store
	 * first and the control path orders the hardware; Fence is
	 * qs_readers_fence(), a template argument so that the bursts of a
	 * process with membarrier carry neither the fence nor a test for it.
	 * Returns the counter's new value, which the burst may use as its
	 * own count (it moves by two a burst). */
	template <bool Fence>
	uint32_t enter() noexcept
	{
		const uint32_t now = ctr_.load(std::memory_order_relaxed) + 1;
		ctr_.store(now, std::memory_order_relaxed);
		if constexpr (Fence)
			std::atomic_thread_fence(std::memory_order_seq_cst);
		else
			std::atomic_signal_fence(std::memory_order_seq_cst);
		return now;
	}
	/* Last thing in a burst. The counter is this reader's alone, so it
	 * is loaded again (from the line enter() just wrote) rather than
	 * kept from enter(): a burst then keeps one register fewer across
	 * the sub-port's burst, which it would have to save and restore. */
	void leave() noexcept
	{
		ctr_.store(ctr_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
	}
	uint32_t snapshot() const noexcept { return ctr_.load(std::memory_order_acquire); }

private:
	std::atomic<uint32_t> ctr_{0};
};

/* Readies the process for qs_synchronize(): registering for expedited
 * barriers waits for an RCU grace period (milliseconds), a cost to pay at
 * start-up rather than in the first switch. Idempotent; control path. */
void qs_prepare();

/* Whether readers must fence themselves (no membarrier(2) here). */
bool qs_readers_fence();

/* Called after publishing a change: returns once no reader in `readers`
 * (nullptr entries are skipped) can still be in a burst that saw what was
 * there before. Returns false if a reader stayed inside one burst for
 * longer than `timeout` (an lcore stopped mid-burst): the caller must then
 * not free what that burst may use. */
bool qs_synchronize(const QsReader *const *readers, size_t n, std::chrono::microseconds timeout);

} // namespace bypass
