/* SPDX-License-Identifier: BSD-3-Clause */
/* Queue setup and release, binding each bypass queue to the sub-ports'
 * queues of the same index, and waiting for the queues to be quiescent. */
#include <new>
#include <vector>

#include <rte_malloc.h>

#include "bypass/log.h"
#include "bypass_private.h"

namespace bypass {

namespace {

template <typename Queue, typename... Args> Queue *queue_new(int socket, Args &&...args)
{
	void *mem = rte_zmalloc_socket("bypass_queue", sizeof(Queue), RTE_CACHE_LINE_SIZE, socket);
	return mem != nullptr ? new (mem) Queue(std::forward<Args>(args)...) : nullptr;
}

template <typename Queue> void queue_free(Queue *queue)
{
	if (queue == nullptr)
		return;
	queue->~Queue();
	rte_free(queue);
}

/* Sets up queue `qid` on every sub-port that takes settings. */
template <typename Setup>
int setup_on_subs(BypassPort &bp, const char *what, uint16_t qid, Setup &&setup)
{
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		const int ret = call_configured(bp.sub[p], setup);
		if (ret < 0 && ret != -ENODEV) {
			BYPASS_LOG(ERR,
				   "port %u: %s queue %u setup failed on the %s sub-port %u: %s",
				   bp.dev->data->port_id, what, qid, path_name(p),
				   bp.sub[p].port.load(), rte_strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* One past the highest queue set up. */
template <typename Array> uint16_t used(const Array &queues)
{
	uint16_t n = queues.size();
	while (n > 0 && queues[n - 1] == nullptr)
		n--;
	return n;
}

void rx_release_locked(BypassPort &bp, uint16_t qid)
{
	RxQueue *rxq;
	{
		std::lock_guard<std::mutex> quiesce(bp.quiesce_lock);
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		rxq = bp.queues.rx[qid];
		bp.queues.rx[qid] = nullptr;
		bp.queues.nb_rx = used(bp.queues.rx);
	}
	bp.dev->data->rx_queues[qid] = nullptr;
	bp.journal.forget_rx_queue(qid);
	queue_free(rxq);
}

void tx_release_locked(BypassPort &bp, uint16_t qid)
{
	TxQueue *txq;
	{
		std::lock_guard<std::mutex> quiesce(bp.quiesce_lock);
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		txq = bp.queues.tx[qid];
		bp.queues.tx[qid] = nullptr;
		bp.queues.nb_tx = used(bp.queues.tx);
	}
	bp.dev->data->tx_queues[qid] = nullptr;
	bp.journal.forget_tx_queue(qid);
	queue_free(txq);
}

} // namespace

int rx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
		   const rte_eth_rxconf *conf, rte_mempool *mp) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	int ret = setup_on_subs(bp, "rx", qid, [&](uint16_t port) {
		return rte_eth_rx_queue_setup(port, qid, nb_desc, socket, conf, mp);
	});
	if (ret < 0)
		return ret;
	auto *rxq = queue_new<RxQueue>(socket, dev->data->port_id, qid);
	if (rxq == nullptr)
		return -ENOMEM;
	{
		std::lock_guard<std::mutex> quiesce(bp.quiesce_lock);
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		bp.queues.rx[qid] = rxq;
		bp.queues.nb_rx = used(bp.queues.rx);
		queues_publish_paths(bp);
	}
	dev->data->rx_queues[qid] = rxq;
	bp.journal.record_rx_queue(qid, nb_desc, socket, conf, mp);
	return 0;
}

int tx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
		   const rte_eth_txconf *conf) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	int ret = setup_on_subs(bp, "tx", qid, [&](uint16_t port) {
		return rte_eth_tx_queue_setup(port, qid, nb_desc, socket, conf);
	});
	if (ret < 0)
		return ret;
	auto *txq = queue_new<TxQueue>(socket, qid);
	if (txq == nullptr)
		return -ENOMEM;
	{
		std::lock_guard<std::mutex> quiesce(bp.quiesce_lock);
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		bp.queues.tx[qid] = txq;
		bp.queues.nb_tx = used(bp.queues.tx);
		queues_publish_paths(bp);
	}
	dev->data->tx_queues[qid] = txq;
	bp.journal.record_tx_queue(qid, nb_desc, socket, conf);
	return 0;
}

/* ethdev releases queues inside configure and queue setup, before the
 * driver's op and without it: the queue leaves the driver's table first. */
void rx_queue_release(rte_eth_dev *dev, uint16_t qid) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	rx_release_locked(bp, qid);
}

void tx_queue_release(rte_eth_dev *dev, uint16_t qid) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	tx_release_locked(bp, qid);
}

void queues_release(BypassPort &bp)
{
	for (uint16_t q = 0; q < bp.queues.nb_rx; q++)
		rx_release_locked(bp, q);
	for (uint16_t q = 0; q < bp.queues.nb_tx; q++)
		tx_release_locked(bp, q);
}

/* A PMD may pick its burst functions in its own dev_start, so this runs
 * after the sub-port started, and before the path is enabled in FastState;
 * unbinding runs after the path was disabled and the queues quiesced. */
void queues_bind(BypassPort &bp, unsigned path, uint16_t port)
{
	const rte_eth_dev &sub = rte_eth_devices[port];
	for (uint16_t q = 0; q < bp.queues.nb_rx; q++) {
		if (RxQueue *rxq = bp.queues.rx[q])
			rxq->sub[path] = q < sub.data->nb_rx_queues
					     ? SubRxq{sub.rx_pkt_burst, sub.data->rx_queues[q]}
					     : SubRxq{};
	}
	for (uint16_t q = 0; q < bp.queues.nb_tx; q++) {
		if (TxQueue *txq = bp.queues.tx[q])
			txq->sub[path] = q < sub.data->nb_tx_queues
					     ? SubTxq{sub.tx_pkt_burst, sub.tx_pkt_prepare,
						      sub.data->tx_queues[q], port}
					     : SubTxq{};
	}
}

void queues_unbind(BypassPort &bp, unsigned path)
{
	for (uint16_t q = 0; q < bp.queues.nb_rx; q++) {
		if (RxQueue *rxq = bp.queues.rx[q])
			rxq->sub[path] = SubRxq{};
	}
	for (uint16_t q = 0; q < bp.queues.nb_tx; q++) {
		if (TxQueue *txq = bp.queues.tx[q])
			txq->sub[path] = SubTxq{};
	}
}

void queues_publish_paths(BypassPort &bp)
{
	const uint8_t rx = bp.fast.rx_paths.load(std::memory_order_relaxed);
	const uint8_t tx = bp.fast.tx_path.load(std::memory_order_relaxed);
	for (uint16_t q = 0; q < bp.queues.nb_rx; q++) {
		if (RxQueue *rxq = bp.queues.rx[q])
			rxq->paths.store(rx, std::memory_order_release);
	}
	for (uint16_t q = 0; q < bp.queues.nb_tx; q++) {
		if (TxQueue *txq = bp.queues.tx[q])
			txq->path.store(tx, std::memory_order_release);
	}
}

bool queues_quiesce(BypassPort &bp, std::chrono::milliseconds bound)
{
	std::lock_guard<std::mutex> quiesce(bp.quiesce_lock);
	std::vector<const QsReader *> readers;
	std::vector<SharedQsReader *> shared;
	for (uint16_t q = 0; q < bp.queues.nb_rx; q++) {
		RxQueue *rxq = bp.queues.rx[q];
		readers.push_back(rxq != nullptr ? &rxq->qs : nullptr);
		shared.push_back(rxq != nullptr ? &rxq->remote : nullptr);
	}
	for (uint16_t q = 0; q < bp.queues.nb_tx; q++) {
		TxQueue *txq = bp.queues.tx[q];
		readers.push_back(txq != nullptr ? &txq->qs : nullptr);
		shared.push_back(txq != nullptr ? &txq->remote : nullptr);
	}
	return qs_synchronize(readers.data(), readers.size(), shared.data(), shared.size(), bound);
}

} // namespace bypass
