/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "process_identity.h"

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

/* A reader in another process that maps the same memory: a DPDK
 * secondary's bursts. The control path's membarrier(2) does not reach
 * another process's threads, so these bursts always fence themselves; and
 * each says which process it runs in, so that a process killed inside a
 * burst, which leaves the counter odd for good, is not waited for without
 * end. One process at a time bursts on a queue (the ethdev contract), on
 * a line of its own, away from the primary's readers. */
class alignas(64) SharedQsReader {
public:
	uint32_t enter() noexcept
	{
		const ProcessIdentity &me = this_process();
		pid_.store(me.pid, std::memory_order_relaxed);
		start_.store(me.start, std::memory_order_relaxed);
		pid_ns_.store(me.pid_ns, std::memory_order_relaxed);
		time_ns_.store(me.time_ns, std::memory_order_relaxed);
		/* Odd, and moved even from an odd value a dead process left:
		 * a waiter then sees that burst as over. The owner is written
		 * first, but a waiter may still read a mix of two processes'
		 * fields: what it concludes from them counts only if the
		 * counter has not moved (close_abandoned()'s exchange). */
		const uint32_t now = (ctr_.load(std::memory_order_relaxed) + 1) | 1;
		ctr_.store(now, std::memory_order_release);
		std::atomic_thread_fence(std::memory_order_seq_cst);
		return now;
	}
	void leave() noexcept
	{
		ctr_.store(ctr_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
	}
	uint32_t snapshot() const noexcept { return ctr_.load(std::memory_order_acquire); }
	/* Control path: ends the burst that a process now gone left open at
	 * `seen`, so that later waits do not look it up again. Fails, and
	 * leaves it alone, if another burst has begun since. */
	void close_abandoned(uint32_t seen) noexcept
	{
		ctr_.compare_exchange_strong(seen, seen + 1, std::memory_order_acq_rel);
	}
	/* The process of the burst whose counter value snapshot() read. */
	ProcessIdentity owner() const noexcept
	{
		ProcessIdentity id;
		id.pid = pid_.load(std::memory_order_relaxed);
		id.start = start_.load(std::memory_order_relaxed);
		id.pid_ns = pid_ns_.load(std::memory_order_relaxed);
		id.time_ns = time_ns_.load(std::memory_order_relaxed);
		return id;
	}

private:
	std::atomic<uint32_t> ctr_{0};
	std::atomic<uint32_t> pid_{0};
	std::atomic<uint32_t> start_{0};
	std::atomic<uint64_t> pid_ns_{0};
	std::atomic<uint64_t> time_ns_{0};
};

/* Readies the process for qs_synchronize(): registering for expedited
 * barriers waits for an RCU grace period (milliseconds), a cost to pay at
 * start-up rather than in the first switch. Idempotent; control path. */
void qs_prepare();

/* Whether readers must fence themselves (no membarrier(2) here). */
bool qs_readers_fence();

/* Called after publishing a change: returns once no reader in `readers`
 * nor in `shared` (nullptr entries are skipped) can still be in a burst
 * that saw what was there before. A shared reader whose process is gone
 * is not waited for. Returns false if a reader stayed inside one burst for
 * longer than `timeout` (an lcore stopped mid-burst, a process stopped or
 * in another pid namespace): the caller must then not free what that
 * burst may use. */
bool qs_synchronize(const QsReader *const *readers, size_t n, SharedQsReader *const *shared,
		    size_t n_shared, std::chrono::microseconds timeout);

} // namespace bypass
