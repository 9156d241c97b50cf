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

/* How long one burst may take before the release is deferred: only an
 * lcore stopped in the middle of a burst takes that long. */
constexpr std::chrono::milliseconds QUIESCE_BOUND{500};

template <typename Queue> Queue *queue_new(const char *what, int socket)
{
	void *mem = rte_zmalloc_socket(what, sizeof(Queue), RTE_CACHE_LINE_SIZE, socket);
	return mem != nullptr ? new (mem) Queue() : nullptr;
}

template <typename Queue> void queue_free(void *queue)
{
	if (queue == nullptr)
		return;
	static_cast<Queue *>(queue)->~Queue();
	rte_free(queue);
}

} // namespace

int rx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
		   const rte_eth_rxconf *conf, rte_mempool *mp) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		if (!bp.sub[p].present())
			continue;
		int ret =
		    rte_eth_rx_queue_setup(bp.sub[p].port_id(), qid, nb_desc, socket, conf, mp);
		if (ret < 0) {
			BYPASS_LOG(ERR, "port %u: rx queue %u setup failed on %s port %u: %s",
				   dev->data->port_id, qid, path_name(p), bp.sub[p].port_id(),
				   rte_strerror(-ret));
			return ret;
		}
	}
	auto *rxq = queue_new<RxQueue>("bypass_rxq", socket);
	if (rxq == nullptr)
		return -ENOMEM;
	rxq->fast = &bp.fast;
	rxq->port_id = dev->data->port_id;
	rxq->queue_id = qid;
	dev->data->rx_queues[qid] = rxq;
	bp.journal.record_rx_queue(qid, nb_desc, socket, conf, mp);
	return 0;
}

int tx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
		   const rte_eth_txconf *conf) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		if (!bp.sub[p].present())
			continue;
		int ret = rte_eth_tx_queue_setup(bp.sub[p].port_id(), qid, nb_desc, socket, conf);
		if (ret < 0) {
			BYPASS_LOG(ERR, "port %u: tx queue %u setup failed on %s port %u: %s",
				   dev->data->port_id, qid, path_name(p), bp.sub[p].port_id(),
				   rte_strerror(-ret));
			return ret;
		}
	}
	auto *txq = queue_new<TxQueue>("bypass_txq", socket);
	if (txq == nullptr)
		return -ENOMEM;
	txq->fast = &bp.fast;
	txq->queue_id = qid;
	dev->data->tx_queues[qid] = txq;
	bp.journal.record_tx_queue(qid, nb_desc, socket, conf);
	return 0;
}

void rx_queue_release(rte_eth_dev *dev, uint16_t qid) noexcept
{
	queue_free<RxQueue>(dev->data->rx_queues[qid]);
	dev->data->rx_queues[qid] = nullptr;
}

void tx_queue_release(rte_eth_dev *dev, uint16_t qid) noexcept
{
	queue_free<TxQueue>(dev->data->tx_queues[qid]);
	dev->data->tx_queues[qid] = nullptr;
}

void queues_release(rte_eth_dev *dev)
{
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		rx_queue_release(dev, q);
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
		tx_queue_release(dev, q);
}

/* A PMD may pick its burst functions in its own dev_start, so this runs
 * after the sub-port started, and before the path is enabled in FastState;
 * clearing runs after the path was disabled and the queues quiesced. */
void queues_bind(rte_eth_dev *dev, unsigned path)
{
	BypassPort &bp = port_of(dev);
	const SubPort &sp = bp.sub[path];
	const rte_eth_dev *sub =
	    sp.present() && sp.started ? &rte_eth_devices[sp.port_id()] : nullptr;
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		auto *rxq = static_cast<RxQueue *>(dev->data->rx_queues[q]);
		if (rxq != nullptr)
			rxq->sub[path] = sub != nullptr
					     ? SubRxq{sub->rx_pkt_burst, sub->data->rx_queues[q]}
					     : SubRxq{};
	}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		auto *txq = static_cast<TxQueue *>(dev->data->tx_queues[q]);
		if (txq != nullptr)
			txq->sub[path] = sub != nullptr
					     ? SubTxq{sub->tx_pkt_burst, sub->tx_pkt_prepare,
						      sub->data->tx_queues[q]}
					     : SubTxq{};
	}
}

bool queues_quiesce(BypassPort &bp)
{
	rte_eth_dev *dev = bp.dev;
	std::vector<const QsReader *> readers;
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		auto *rxq = static_cast<const RxQueue *>(dev->data->rx_queues[q]);
		readers.push_back(rxq != nullptr ? &rxq->qs : nullptr);
	}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		auto *txq = static_cast<const TxQueue *>(dev->data->tx_queues[q]);
		readers.push_back(txq != nullptr ? &txq->qs : nullptr);
	}
	if (qs_synchronize(readers.data(), readers.size(), QUIESCE_BOUND))
		return true;
	BYPASS_LOG(WARNING, "port %u: a queue stayed in one burst for %lld ms", dev->data->port_id,
		   static_cast<long long>(QUIESCE_BOUND.count()));
	return false;
}

} // namespace bypass
