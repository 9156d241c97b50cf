/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace bypass {

/* Quiescent-state based reclamation for queues (the idea of rte_rcu_qsbr,
 * specialised to ethdev's rule that a queue is polled by one lcore at a
 * time). The control path publishes a change (e.g. the tx target), then
 * advances the epoch and waits until every running queue has reported the
 * new epoch; a queue reports it at the end of a burst, so once it has, no
 * burst on it can still use what was there before.
 *
 * The reader side costs a load of a read-mostly line and a plain
 * store-release to the queue's own line: no lock, no read-modify-write. */
class QsDomain {
public:
	uint64_t current() const noexcept { return epoch_.load(std::memory_order_acquire); }
	/* Control path only. The seq_cst RMW orders the caller's earlier
	 * stores (the change being published) before the new epoch. */
	uint64_t advance() noexcept { return epoch_.fetch_add(1, std::memory_order_seq_cst) + 1; }

private:
	std::atomic<uint64_t> epoch_{1};
};

class QsReader {
public:
	/* Called by the queue's lcore at the end of every burst. */
	void report(const QsDomain &domain) noexcept
	{
		seen_.store(domain.current(), std::memory_order_release);
	}
	bool reached(uint64_t epoch) const noexcept
	{
		return seen_.load(std::memory_order_acquire) >= epoch;
	}

private:
	std::atomic<uint64_t> seen_{0};
};

/* Waits until every reader in `readers` (nullptr entries are skipped: queues
 * that are not running) reached `epoch`. Returns false after `timeout`: a
 * queue that is set up but never polled can hold up reclamation forever, so
 * the caller must decide what to do then, never free blindly. */
bool qs_wait(const QsReader *const *readers, size_t n, uint64_t epoch,
	     std::chrono::microseconds timeout);

} // namespace bypass
