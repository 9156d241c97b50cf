/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path. Each queue is polled by one lcore at a time (the ethdev
 * contract), so a queue's own fields need no synchronisation; what the
 * control path changes (the paths, copied into every queue from FastState)
 * is read with acquire loads from the queue's own line, and every burst is
 * bracketed by QsReader enter/leave (two plain stores to that line) so the
 * control path knows when a sub-port it switched away from is no longer in
 * use. No lock, no atomic read-modify-write, no allocation; the <true>
 * instantiations, used only where membarrier(2) is unavailable, add one
 * fence per burst.
 */
#include <rte_cycles.h>

#include "bypass_private.h"

namespace bypass {

uint16_t no_rx(void *, rte_mbuf **, uint16_t)
{
	return 0;
}

uint16_t no_tx(void *, rte_mbuf **, uint16_t)
{
	return 0;
}

namespace {

/* One burst in BACKUP_FIRST_EVERY polls the backup first: a VF that fills
 * every burst cannot starve it, and the other bursts poll the two paths
 * in the one order the branch predictor learns. */
constexpr uint32_t BACKUP_FIRST_EVERY = 8;

inline uint16_t poll(const SubRxq &sub, rte_mbuf **pkts, uint16_t n)
{
	return sub.burst(sub.queue, pkts, n);
}

} // namespace

template <bool Fence> uint16_t rx_burst(void *queue, rte_mbuf **pkts, uint16_t n)
{
	auto *rxq = static_cast<RxQueue *>(queue);
	const uint32_t entered = rxq->qs.enter<Fence>();
	/* The quiescence counter moves by two a burst: it is the burst count. */
	const uint32_t burst = entered / 2;
	const unsigned paths = rxq->paths.load(std::memory_order_acquire);
	const unsigned first = burst % BACKUP_FIRST_EVERY == 0 ? PATH_BACKUP : PATH_ACTIVE;
	const unsigned second = first ^ 1;

	uint16_t got = 0;
	if (paths & (1u << first))
		got = poll(rxq->sub[first], pkts, n);
	if (got < n && (paths & (1u << second)))
		got += poll(rxq->sub[second], pkts + got, n - got);
	/* The sub-port stamped its own id; the application sees ours. Four
	 * stores a loop turn: one a turn is bound by the loop's taken branch,
	 * not by the stores (doc/performance.md). */
	const uint16_t port = rxq->port_id;
#pragma GCC unroll 4
	for (uint16_t i = 0; i < got; i++)
		pkts[i]->port = port;

	rxq->qs.leave();
	return got;
}

namespace {

/* Prepares `pkts` for `path`, as the application's tx_prepare would have
 * had it been called after the switch: virtio inserts VLAN tags and fixes
 * TSO checksums only in its prepare. Preparing again is harmless: each
 * PMD's prepare recomputes what it sets. */
__rte_noinline uint16_t prepare_for(TxQueue *txq, unsigned path, rte_mbuf **pkts, uint16_t n)
{
	const SubTxq &sub = txq->sub[path];
	txq->prepared = path;
	return sub.prepare != nullptr ? sub.prepare(sub.queue, pkts, n) : n;
}

/* How often a queue asks the VF for its link after it refused packets. */
constexpr uint64_t LINK_READ_US = 20;

/* Whether the VF's link is down, asked at most every LINK_READ_US per
 * queue: a VF whose link just went down refuses what it is given (memif,
 * tap, a VF with a full ring it no longer drains) before the control path,
 * polling every 10 ms without LSC, has moved tx. The VF is bound, so it
 * cannot be released while this burst runs. */
bool active_link_down(TxQueue *txq)
{
	const uint64_t now = rte_get_tsc_cycles();
	if (now - txq->link_read_tsc >= LINK_READ_US * rte_get_tsc_hz() / 1000000) {
		rte_eth_link link{};
		txq->active_down =
		    rte_eth_link_get_nowait(txq->sub[PATH_ACTIVE].port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_DOWN;
		txq->link_read_tsc = now;
	}
	return txq->active_down;
}

/* The path took `sent` of the `n` it was given. If tx moved meanwhile (the
 * VF is going away or lost its link), or the VF refused because its link
 * just went down, the rest goes to the other path before tx_burst returns,
 * so that it is not left to an application that may drop it; otherwise
 * the path is simply full and the rest stays with the caller. Ends the
 * burst: send_on() tail-calls it, so that the common path keeps nothing
 * across the sub-port's burst that only this one needs. */
__rte_noinline uint16_t tx_short(TxQueue *txq, unsigned path, rte_mbuf **pkts, uint16_t n,
				 uint16_t sent)
{
	unsigned now = txq->path.load(std::memory_order_acquire);
	if (now == PATH_ACTIVE && path == PATH_ACTIVE && active_link_down(txq))
		now = PATH_BACKUP; /* no_tx if there is none */
	if (now != path) {
		uint16_t rest = n - sent;
		if (txq->prepared != NOT_PREPARED)
			rest = prepare_for(txq, now, pkts + sent, rest);
		const SubTxq &sub = txq->sub[now];
		sent += sub.burst(sub.queue, pkts + sent, rest);
	}
	txq->qs.leave();
	return sent;
}

/* Sends on `path` and ends the burst; inlined, so that the common burst
 * keeps only what this needs across the sub-port's burst. */
__rte_always_inline uint16_t send_on(TxQueue *txq, unsigned path, rte_mbuf **pkts, uint16_t n)
{
	const SubTxq &sub = txq->sub[path];
	const uint16_t sent = sub.burst(sub.queue, pkts, n);
	if (unlikely(sent < n))
		return tx_short(txq, path, pkts, n, sent);
	txq->qs.leave();
	return sent;
}

/* The burst after a switch of an application that prepares its bursts:
 * they were prepared for the other path. */
__rte_noinline uint16_t tx_reprepared(TxQueue *txq, unsigned path, rte_mbuf **pkts, uint16_t n)
{
	return send_on(txq, path, pkts, prepare_for(txq, path, pkts, n));
}

} // namespace

template <bool Fence> uint16_t tx_burst(void *queue, rte_mbuf **pkts, uint16_t n)
{
	auto *txq = static_cast<TxQueue *>(queue);
	txq->qs.enter<Fence>();
	const unsigned path = txq->path.load(std::memory_order_acquire);
	if (unlikely(txq->prepared != NOT_PREPARED && txq->prepared != path))
		return tx_reprepared(txq, path, pkts, n);
	return send_on(txq, path, pkts, n);
}

/* Prepares for the path tx is on now; tx_burst prepares again should it
 * have moved by the time the packets are sent. */
template <bool Fence> uint16_t tx_prepare(void *queue, rte_mbuf **pkts, uint16_t n)
{
	auto *txq = static_cast<TxQueue *>(queue);
	txq->qs.enter<Fence>();
	const uint16_t ok =
	    prepare_for(txq, txq->path.load(std::memory_order_acquire), pkts, n);
	txq->qs.leave();
	return ok;
}

template uint16_t rx_burst<false>(void *, rte_mbuf **, uint16_t);
template uint16_t rx_burst<true>(void *, rte_mbuf **, uint16_t);
template uint16_t tx_burst<false>(void *, rte_mbuf **, uint16_t);
template uint16_t tx_burst<true>(void *, rte_mbuf **, uint16_t);
template uint16_t tx_prepare<false>(void *, rte_mbuf **, uint16_t);
template uint16_t tx_prepare<true>(void *, rte_mbuf **, uint16_t);

} // namespace bypass
