/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path. Each queue is polled by one lcore at a time (the ethdev
 * contract), so a queue's own fields need no synchronisation; what the
 * control path changes is read from FastState with acquire loads, and every
 * burst is bracketed by QsReader enter/leave (two plain stores to the
 * queue's own line) so the control path knows when a sub-port it switched
 * away from is no longer in use. No lock, no fence, no atomic
 * read-modify-write, no allocation.
 */
#include "bypass_private.h"

namespace bypass {

uint16_t rx_burst(void *queue, rte_mbuf **pkts, uint16_t n)
{
	auto *rxq = static_cast<RxQueue *>(queue);
	rxq->qs.enter();
	const unsigned paths = rxq->fast->rx_paths.load(std::memory_order_acquire);
	const unsigned first = rxq->first;
	rxq->first = first ^ 1;

	uint16_t got = 0;
	for (unsigned i = 0; i < PATH_COUNT && got < n; i++) {
		const unsigned path = first ^ i;
		if (paths & (1u << path)) {
			const SubRxq &sub = rxq->sub[path];
			got += sub.burst(sub.queue, pkts + got, n - got);
		}
	}
	for (uint16_t i = 0; i < got; i++)
		pkts[i]->port = rxq->port_id;

	rxq->qs.leave();
	return got;
}

uint16_t tx_burst(void *queue, rte_mbuf **pkts, uint16_t n)
{
	auto *txq = static_cast<TxQueue *>(queue);
	txq->qs.enter();
	const SubTxq &sub = txq->sub[txq->fast->tx_path.load(std::memory_order_acquire)];
	const uint16_t sent = sub.burst(sub.queue, pkts, n);
	txq->qs.leave();
	return sent;
}

/* Prepares for the path the packets are most likely to leave by; the
 * offload requirements of both sub-ports are the intersection advertised
 * in dev_infos_get, so either path accepts what the other prepared. */
uint16_t tx_prepare(void *queue, rte_mbuf **pkts, uint16_t n)
{
	auto *txq = static_cast<TxQueue *>(queue);
	txq->qs.enter();
	const SubTxq &sub = txq->sub[txq->fast->tx_path.load(std::memory_order_acquire)];
	const uint16_t ok = sub.prepare != nullptr ? sub.prepare(sub.queue, pkts, n) : n;
	txq->qs.leave();
	return ok;
}

} // namespace bypass
