/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <ethdev_driver.h>
#include <rte_ether.h>

#include "bypass/control_thread.h"
#include "bypass/events.h"
#include "bypass/journal.h"
#include "bypass/owner.h"
#include "bypass/quiescence.h"
#include "bypass/sub_device.h"
#include "rte_pmd_bypass.h"

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
	std::string spec; /* as given in the devargs, for log lines */
	bool started = false;
	bool link_up = false;
	/* The port id as event handlers on other threads may read it:
	 * RTE_MAX_ETHPORTS while there is none. */
	std::atomic<uint16_t> published{RTE_MAX_ETHPORTS};

	bool present() const { return dev.attached(); }
	uint16_t port_id() const { return dev.port_id(); }
};

/* Counters of sub-ports that are gone, so totals never go backwards. */
struct FoldedStats {
	rte_eth_stats path[PATH_COUNT]{};
	/* The last counters read from each present sub-port: what is folded
	 * when a port is destroyed before it could be read once more. */
	rte_eth_stats last_seen[PATH_COUNT]{};
};

/* dev->data->dev_private: constructed in probe, destroyed in close. */
struct BypassPort final : EventListener {
	FastState fast;
	std::array<SubPort, PATH_COUNT> sub;
	PortOwner owner;
	rte_eth_dev *dev = nullptr;
	uint32_t max_mac_addrs = 1;
	/* The MAC a VF must have to be taken as the active sub-port. */
	rte_ether_addr pair_mac{};
	/* The active= devargs, re-probed with backoff after a removal
	 * (empty when the active sub-port was named, not probed). */
	std::string active_devargs;
	std::chrono::microseconds reprobe_delay{0};

	/* Serialises the control path: the application's ops against the
	 * control thread. Recursive because an op may run a helper that
	 * takes it too. Never taken by a burst or an event handler. */
	std::recursive_mutex ctl_lock;
	Journal journal;
	FoldedStats folded;
	/* Capabilities of the last active sub-port seen, so that what the
	 * application was told holds while the VF is away. */
	rte_eth_dev_info active_info{};
	bool active_info_valid = false;
	/* Between dev_start and dev_stop (ethdev's dev_started changes only
	 * after they return, and the tx choice made inside them needs it). */
	bool started = false;
	/* Aggregate link last announced to the application (LSC event). */
	bool link_announced = false;
	/* Bumped to start or stop the link poll: a poll task carrying an
	 * older generation ends. */
	uint64_t link_poll_gen = 0;

	/* Written by event handlers, read by the control path. */
	std::atomic<bool> active_leaving{false};
	/* The port being made the active sub-port: claimed, not published
	 * yet; RTE_MAX_ETHPORTS if none. */
	std::atomic<uint16_t> attaching{RTE_MAX_ETHPORTS};
	std::atomic<bool> forced_backup{false};
	std::atomic<bool> reprobing{false};
	std::atomic<uint64_t> tx_switches{0};
	std::atomic<uint64_t> leave_started_tsc{0};
	std::atomic<uint64_t> last_switch_us{0};
	std::atomic<uint64_t> last_reattach_us{0};
	std::atomic<uint64_t> reattaches{0};
	std::atomic<int> path_reason{RTE_PMD_BYPASS_REASON_NO_ACTIVE};

	/* Declared last: destroyed first, so no event or task can reach a
	 * half-destroyed port. */
	ControlThread ctl;
	std::unique_ptr<EventSubscription> events;

	void on_port_new(uint16_t port) override;
	void on_port_removal(uint16_t port, Removal why) override;
	void on_port_link(uint16_t port) override;
};

inline BypassPort &port_of(rte_eth_dev *dev)
{
	return *static_cast<BypassPort *>(dev->data->dev_private);
}

/* bypass_port.cpp */
/* Whether `port` is driven by the PMD named `driver` ("net_virtio_user"). */
bool driver_is(uint16_t port, const char *driver);
bool is_virtio(uint16_t port);
std::string mac_str(const rte_ether_addr &mac);
/* Completes a port whose sub-ports are attached and publishes it. */
int publish(rte_eth_dev *dev, const char *name, const rte_ether_addr &mac);
/* Undoes a port that failed before publish() succeeded. */
void discard(rte_eth_dev *dev);

/* bypass_rxtx.cpp */
uint16_t rx_burst(void *queue, rte_mbuf **pkts, uint16_t n);
uint16_t tx_burst(void *queue, rte_mbuf **pkts, uint16_t n);
uint16_t tx_prepare(void *queue, rte_mbuf **pkts, uint16_t n);

/* bypass_link.cpp */
void link_refresh(BypassPort &bp);
/* Moves tx by the rule without telling the application (link_refresh()
 * does, once ctl_lock is released). Caller holds ctl_lock. */
void tx_path_refresh_locked(BypassPort &bp);
/* Moves tx to the backup at once, from any thread (a removal event). */
void tx_to_backup_now(BypassPort &bp);
void link_poll_start(BypassPort &bp);
void link_poll_stop(BypassPort &bp);
int link_update(rte_eth_dev *dev, int wait_to_complete) noexcept;

/* bypass_queue.cpp */
int rx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
		   const rte_eth_rxconf *conf, rte_mempool *mp) noexcept;
int tx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
		   const rte_eth_txconf *conf) noexcept;
void rx_queue_release(rte_eth_dev *dev, uint16_t qid) noexcept;
void tx_queue_release(rte_eth_dev *dev, uint16_t qid) noexcept;
void queues_release(rte_eth_dev *dev);
/* Caches (or clears) one path's sub-queues in every bypass queue. */
void queues_bind(rte_eth_dev *dev, unsigned path);
/* Waits until no burst can still use what was published before; false if
 * a queue stayed in one burst too long. */
bool queues_quiesce(BypassPort &bp);

/* bypass_ops.cpp */
extern const eth_dev_ops bypass_ops;
/* The bypass port's configuration as a sub-port should get it. */
rte_eth_conf sub_conf(const rte_eth_dev *dev, uint16_t sub_port);

/* bypass_hotplug.cpp */
void schedule_reprobe(BypassPort &bp);
/* Tries again, every 100 ms, to start an active sub-port that would not
 * start (a VF still initialising, a memif peer not there yet). */
void schedule_active_start(BypassPort &bp);

/* bypass_stats.cpp */
int stats_get(rte_eth_dev *dev, rte_eth_stats *stats) noexcept;
int stats_reset(rte_eth_dev *dev) noexcept;
int xstats_get_names(rte_eth_dev *dev, rte_eth_xstat_name *names, unsigned size) noexcept;
int xstats_get(rte_eth_dev *dev, rte_eth_xstat *xstats, unsigned n) noexcept;
int xstats_reset(rte_eth_dev *dev) noexcept;
/* Adds a leaving sub-port's counters to the accumulator. */
void stats_fold(BypassPort &bp, unsigned path, bool readable);

} // namespace bypass
