/* SPDX-License-Identifier: BSD-3-Clause */
/* Queue setup and release, and binding each bypass queue to the sub-ports'
 * queues of the same index. */
#include <new>

#include <rte_malloc.h>

#include "bypass/log.h"
#include "bypass_private.h"

namespace bypass {

namespace {

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
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		int ret = rte_eth_rx_queue_setup(bp.sub[p].port_id(), qid, nb_desc, socket, conf, mp);
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
	return 0;
}

int tx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
		   const rte_eth_txconf *conf) noexcept
{
	BypassPort &bp = port_of(dev);
	for (unsigned p = 0; p < PATH_COUNT; p++) {
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

/* Caches each started sub-port's burst functions and queue handles. Called
 * after the sub-ports started (a PMD may pick its burst functions in its own
 * dev_start) and before the paths are enabled in FastState. */
void queues_bind(rte_eth_dev *dev)
{
	BypassPort &bp = port_of(dev);
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		const bool on = bp.sub[p].present() && bp.sub[p].started;
		const rte_eth_dev *sub = on ? &rte_eth_devices[bp.sub[p].port_id()] : nullptr;
		for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
			auto *rxq = static_cast<RxQueue *>(dev->data->rx_queues[q]);
			rxq->sub[p] = on ? SubRxq{sub->rx_pkt_burst, sub->data->rx_queues[q]} : SubRxq{};
		}
		for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
			auto *txq = static_cast<TxQueue *>(dev->data->tx_queues[q]);
			txq->sub[p] = on ? SubTxq{sub->tx_pkt_burst, sub->tx_pkt_prepare,
						  sub->data->tx_queues[q]}
					 : SubTxq{};
		}
	}
}

} // namespace bypass
