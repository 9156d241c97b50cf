/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include <ethdev_driver.h>
#include <rte_ether.h>

#include "bypass/alarm.h"
#include "bypass/owner.h"
#include "bypass/quiescence.h"
#include "bypass/sub_device.h"

namespace bypass {

/* The two paths, also the index of each sub-port everywhere. */
enum Path : uint8_t {
	PATH_BACKUP = 0, /* virtio: always there, slow */
	PATH_ACTIVE = 1, /* the VF: the fast path while it is up */
	PATH_COUNT = 2,
};

const char *path_name(unsigned path);

/* What the fast path reads on every burst; written only by the control
 * path, so the line stays shared in every core's cache. */
struct alignas(RTE_CACHE_LINE_SIZE) FastState {
	/* The sub-port every tx burst goes to. */
	std::atomic<uint8_t> tx_path{PATH_BACKUP};
	/* Bit per path: its cached rx queues may be polled. Cleared, and
	 * quiescence awaited, before those queues go away. */
	std::atomic<uint8_t> rx_paths{0};
	QsDomain qs;
};

/* A sub-port's queue as the fast path calls it: the sub-port's own burst
 * function on its own queue, cached at start so a burst is one indirect
 * call, not a walk through rte_eth_fp_ops. */
struct SubRxq {
	eth_rx_burst_t burst = nullptr;
	void *queue = nullptr;
};
struct SubTxq {
	eth_tx_burst_t burst = nullptr;
	eth_tx_prep_t prepare = nullptr;
	void *queue = nullptr;
};

struct alignas(RTE_CACHE_LINE_SIZE) RxQueue {
	std::array<SubRxq, PATH_COUNT> sub;
	const FastState *fast = nullptr;
	uint16_t port_id = 0;
	uint16_t queue_id = 0;
	/* Which sub-port is polled first; alternates so that a busy one
	 * cannot starve the other. Written by the polling lcore only. */
	uint8_t first = PATH_ACTIVE;
	QsReader qs;
};

struct alignas(RTE_CACHE_LINE_SIZE) TxQueue {
	std::array<SubTxq, PATH_COUNT> sub;
	const FastState *fast = nullptr;
	uint16_t queue_id = 0;
	QsReader qs;
};

/* Everything the control path knows about one sub-port. */
struct SubPort {
	SubDevice dev;
	std::string spec;
	bool started = false;
	bool link_up = false;

	bool present() const { return dev.attached(); }
	uint16_t port_id() const { return dev.port_id(); }
};

/* dev->data->dev_private: constructed in probe, destroyed in close. */
struct BypassPort {
	FastState fast;
	std::array<SubPort, PATH_COUNT> sub;
	PortOwner owner;
	PeriodicAlarm link_poll;
	rte_eth_dev *dev = nullptr;
	uint32_t max_mac_addrs = 1;
	/* Serialises the control path: the application's ops against the
	 * link poller on the interrupt thread. Never taken by a burst. */
	std::mutex ctl_lock;
	/* Aggregate link last announced to the application (LSC event). */
	bool link_announced = false;
	std::atomic<uint64_t> tx_switches{0};
};

inline BypassPort &port_of(rte_eth_dev *dev)
{
	return *static_cast<BypassPort *>(dev->data->dev_private);
}

/* bypass_rxtx.cpp */
uint16_t rx_burst(void *queue, rte_mbuf **pkts, uint16_t n);
uint16_t tx_burst(void *queue, rte_mbuf **pkts, uint16_t n);
uint16_t tx_prepare(void *queue, rte_mbuf **pkts, uint16_t n);

/* bypass_link.cpp */
void link_refresh(BypassPort &bp);
int link_monitor_start(BypassPort &bp);
void link_monitor_stop(BypassPort &bp);
int link_update(rte_eth_dev *dev, int wait_to_complete) noexcept;

/* bypass_queue.cpp */
int rx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
		   const rte_eth_rxconf *conf, rte_mempool *mp) noexcept;
int tx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
		   const rte_eth_txconf *conf) noexcept;
void rx_queue_release(rte_eth_dev *dev, uint16_t qid) noexcept;
void tx_queue_release(rte_eth_dev *dev, uint16_t qid) noexcept;
void queues_release(rte_eth_dev *dev);
void queues_bind(rte_eth_dev *dev);

/* bypass_stats.cpp */
int stats_get(rte_eth_dev *dev, rte_eth_stats *stats) noexcept;
int stats_reset(rte_eth_dev *dev) noexcept;
int xstats_get_names(rte_eth_dev *dev, rte_eth_xstat_name *names, unsigned size) noexcept;
int xstats_get(rte_eth_dev *dev, rte_eth_xstat *xstats, unsigned n) noexcept;
int xstats_reset(rte_eth_dev *dev) noexcept;

/* bypass_ops.cpp */
extern const eth_dev_ops bypass_ops;

} // namespace bypass
