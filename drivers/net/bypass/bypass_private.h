/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <ethdev_driver.h>
#include <rte_ether.h>

#include "bypass/control_thread.h"
#include "bypass/events.h"
#include "bypass/journal.h"
#include "bypass/owner.h"
#include "bypass/quiescence.h"
#include "bypass_devargs.h"
#include "dpdk_compat.h"
#include "rte_pmd_bypass.h"

/*
 * Threads and locks of a bypass port.
 *
 * Threads: the application's (eth_dev_ops; read-only ops from any thread,
 * telemetry and non-EAL threads included), the data lcores (bursts), the
 * port's control thread (attach, release, link poll, retries), and whatever
 * thread raises an event (bypass_hotplug.cpp says which may block on what).
 *
 * Locks, always taken in this order, none of them recursive:
 *   0. the registry   (PortRef, bypass_api.cpp): shared by a reader from
 *                     outside the ops for as long as it uses the port;
 *                     exclusive only in close, alone, to wait for them.
 *   1. ctl_lock       serialises control work: the application's ops that
 *                     change settings, and the control thread's tasks. Held
 *                     across calls into ethdev, probe and removal included.
 *                     Never taken by an event handler, a burst or a
 *                     read-only op (link, stats, xstats, info).
 *   2. SubPort::call  one per sub-port: held around every call into that
 *                     sub-port's ethdev ops but its stop, close and removal,
 *                     so that a DESTROY handler can wait for such a call to
 *                     end. Read-only ops only try it.
 *   3. quiesce_lock   held while waiting for the bursts (queues_quiesce),
 *                     and while a bypass queue enters or leaves the queue
 *                     table: the queues waited on stay allocated. Never
 *                     taken by an event handler but DESTROY's, which must
 *                     wait before ethdev frees the port.
 *   4. fp_lock        the fast path's configuration (queue table, bindings,
 *                     FastState) and every sub-port's state and port id.
 *                     Held for memory updates only: never across a wait,
 *                     a call into ethdev or an ethdev owner call, so that
 *                     the EAL interrupt thread, which takes it, never
 *                     waits on a burst.
 *   5. report_lock    what read-only ops report (counters, advertised
 *                     capabilities, give-up reasons). Held for copies only.
 * EventHub's own locks come after all of these and are never held while a
 * handler runs.
 */

namespace bypass {

/* The two paths, also the index of each sub-port everywhere; PATH_NONE is
 * where tx goes when neither can take it. */
enum Path : uint8_t {
	PATH_BACKUP = 0, /* virtio: always there, slow */
	PATH_ACTIVE = 1, /* the VF: the fast path while it is up */
	PATH_COUNT = 2,
	PATH_NONE = 2,
};

const char *path_name(unsigned path);

/* The paths the fast path takes; written only by the control path, under
 * fp_lock, which copies them into every queue (queues_publish_paths()): a
 * burst reads its queue's line only. */
struct FastState {
	/* The path tx goes to; each TxQueue reads its own copy. */
	std::atomic<uint8_t> tx_path{PATH_NONE};
	/* Bit per path: its cached rx queues may be polled. Cleared, and
	 * quiescence awaited, before those queues go away. Each RxQueue reads
	 * its own copy. */
	std::atomic<uint8_t> rx_paths{0};
};

/* A sub-port's queue as the fast path calls it: the sub-port's own burst
 * function on its own queue, cached when it is bound, so a burst is one
 * indirect call, not a walk through rte_eth_fp_ops. An unbound one takes
 * and gives nothing. */
uint16_t no_rx(void *, rte_mbuf **, uint16_t);
uint16_t no_tx(void *, rte_mbuf **, uint16_t);
struct SubRxq {
	eth_rx_burst_t burst = no_rx;
	void *queue = nullptr;
};
struct SubTxq {
	eth_tx_burst_t burst = no_tx;
	eth_tx_prep_t prepare = nullptr;
	void *queue = nullptr;
	uint16_t port = RTE_MAX_ETHPORTS;
};

/* What an rx burst reads is in its one line. */
struct alignas(RTE_CACHE_LINE_SIZE) RxQueue {
	RxQueue(uint16_t port, uint16_t qid) : port_id(port), queue_id(qid) {}
	std::array<SubRxq, PATH_COUNT> sub;
	uint16_t port_id;
	uint16_t queue_id;
	QsReader qs; /* also the burst count that orders the two polls */
	/* FastState::rx_paths, copied into every rx queue by the control
	 * path as it changes it (under fp_lock), as TxQueue::path is. */
	std::atomic<uint8_t> paths{0};
	/* A secondary process's bursts on this queue (bypass_secondary.cpp),
	 * on the next line: the primary's never touch it. */
	SharedQsReader remote;
};
static_assert(offsetof(RxQueue, remote) == RTE_CACHE_LINE_SIZE, "an rx burst reads one line");

/* tx_prepare has not been called on the queue. */
constexpr uint8_t NOT_PREPARED = 0xff;

/* What a tx burst reads is in the first line: the counter, the path, the
 * prepared mark, and each path's burst function and queue (a SubTxq's
 * prepare and port are read only off that common path). */
struct alignas(RTE_CACHE_LINE_SIZE) TxQueue {
	explicit TxQueue(uint16_t qid) : queue_id(qid) {}
	QsReader qs;
	/* FastState::tx_path, which the control path copies into every tx
	 * queue as it changes it (under fp_lock): a burst reads its own line
	 * rather than a pointer and then the port's line. */
	std::atomic<uint8_t> path{PATH_NONE};
	/* The path the application's last tx_prepare prepared for: a burst
	 * that goes out on another is prepared again for it. Written by the
	 * lcore that owns the queue. */
	uint8_t prepared = NOT_PREPARED;
	uint16_t queue_id;
	std::array<SubTxq, PATH_COUNT + 1> sub; /* [PATH_NONE] stays unbound */
	/* The active's link as this queue last read it, on a short return
	 * (bypass_rxtx.cpp); written by the lcore that owns the queue. */
	bool active_down = false;
	uint64_t link_read_tsc = 0;
	SharedQsReader remote; /* as RxQueue::remote */
};
static_assert(offsetof(TxQueue, sub) + offsetof(SubTxq, queue) + sizeof(SubTxq) * PATH_ACTIVE +
			  sizeof(void *) <=
		      RTE_CACHE_LINE_SIZE,
	      "a tx burst on either path reads one line");

/* The bypass port's queues, as the driver knows them: ethdev frees and
 * reallocates dev->data->rx_queues inside configure and queue setup before
 * the driver's op runs, so the control path never walks those arrays.
 * Changed under ctl_lock, quiesce_lock and fp_lock, read under any of
 * them. */
struct QueueTable {
	std::array<RxQueue *, RTE_MAX_QUEUES_PER_PORT> rx{};
	std::array<TxQueue *, RTE_MAX_QUEUES_PER_PORT> tx{};
	uint16_t nb_rx = 0; /* one past the highest set up */
	uint16_t nb_tx = 0;
};

/*
 * A sub-port's life, one state per sub-port, changed only by set_state()
 * (bypass_subport.cpp) under fp_lock:
 *
 *   EMPTY --claim--> CLAIMED --replayed--> READY --started--> STARTED
 *                       |                    ^                  |
 *                       +--cannot be used--> GIVEN_UP   READY <-+ (stopped)
 *   CLAIMED, READY, STARTED --reset or recovery event--> RESETTING
 *   RESETTING --reset (or recovered) and stopped--> CLAIMED (replayed again)
 *   any but EMPTY --removal request--> LEAVING --released--> EMPTY
 *   any but EMPTY --destroyed by someone else--> EMPTY
 *
 * Settings are applied to READY and STARTED sub-ports only; only STARTED
 * ones are bound into the fast path; only a CLAIMED one is attached.
 */
enum class SubState : uint8_t {
	EMPTY,	  /* no port */
	CLAIMED,  /* owned, being configured like the bypass port */
	READY,	  /* configured like the bypass port, not started */
	STARTED,  /* started and bound: rx polls it, tx may use it */
	GIVEN_UP, /* owned but unusable (see SubPort::giveup) until removed */
	LEAVING,  /* asked to go: no tx, no settings; being released */
	RESETTING, /* reset or recovering (bypass_reset.cpp): off the fast
		    * path, no settings; replayed again once it is back */
};

/* The bypass port of a port id, for threads outside the port's own ops
 * (telemetry, rte_mp answers, the public API: bypass_api.cpp). A PortRef
 * keeps the port from being destroyed while it is held, and finds none
 * once its close began: hold it only for the copies and short locks a
 * reader takes. It takes the registry's lock, shared, before any other
 * (see the lock order below); never take a second one while holding one,
 * nor call rte_pmd_bypass_*(): a close waiting between the two would wait
 * for this thread, and this thread for it. */
struct BypassPort;
class PortRef {
public:
	explicit PortRef(uint16_t port_id);
	~PortRef();
	PortRef(const PortRef &) = delete;
	PortRef &operator=(const PortRef &) = delete;
	BypassPort *get() const { return bp_; }
	BypassPort *operator->() const { return bp_; }
	BypassPort &operator*() const { return *bp_; }
	explicit operator bool() const { return bp_ != nullptr; }

private:
	BypassPort *bp_ = nullptr;
};
/* Makes the port findable (probe), or not any more, once no PortRef holds
 * it (the first thing close does). */
void port_register(BypassPort &bp, uint16_t port_id);
void port_unregister(uint16_t port_id);

const char *state_name(SubState s);

/* Why the driver gave up on a port offered for a path. */
struct GiveUp {
	int error = 0; /* negative errno of the step that failed; 0: none */
	std::string reason;
};

/* One item of rx filtering (rte_pmd_bypass_filter) as a sub-port was
 * asked to take it: the address or the VLAN for those kinds. */
struct FilterItem {
	rte_pmd_bypass_filter kind;
	rte_ether_addr mac{};
	uint16_t vlan = 0;
};

/* What the port in a slot runs without of the rx filtering it was asked
 * to take (bypass_filters.cpp). Cleared when a new port fills the slot. */
struct Refusals {
	bool promiscuous = false, allmulticast = false, mc_list = false;
	std::vector<rte_ether_addr> macs;
	std::vector<uint16_t> vlans;
	int last_error = 0; /* of the path, across its ports */
	uint32_t missing() const;
};

/* Everything the driver knows about one sub-port slot. */
struct SubPort {
	/* The port in the slot, RTE_MAX_ETHPORTS if none: what every thread
	 * reads. Changes with both `call` and fp_lock held. */
	std::atomic<uint16_t> port{RTE_MAX_ETHPORTS};
	std::atomic<SubState> state{SubState::EMPTY};
	std::mutex call;
	std::atomic<bool> link_up{false};
	/* A port with the pair's MAC that appeared while this slot was still
	 * LEAVING: claimed at once, attached once the slot is free. */
	uint16_t pending = RTE_MAX_ETHPORTS; /* fp_lock */
	/* Control path (ctl_lock). */
	bool probed_here = false; /* close removes the device */
	std::string spec;	  /* as given in the devargs, for log lines */
	std::string devargs;	  /* re-probed after a removal; empty if named */
	/* The PMD of the port last in the slot, by its ops table (ports of one
	 * PMD share it; virtio-pci and virtio_user do): a port replacing the
	 * backup must be of its kind. Known during NEW, unlike the driver. */
	const eth_dev_ops *kind = nullptr;
	unsigned attach_tries = 0;		  /* transient failures of the current port */
	std::chrono::microseconds retry_delay{0}; /* of the devargs re-probe */
	/* A re-probe of `devargs` is on the hot-plug thread. */
	std::shared_ptr<std::atomic<bool>> probing = std::make_shared<std::atomic<bool>>(false);
};

/* A port's counters (compat::PortStats) as the array of 64-bit counters
 * they are. */
using StatFields = std::array<uint64_t, sizeof(compat::PortStats) / sizeof(uint64_t)>;

/* A path's counters across the ports that were on it: `base` holds those
 * of ports gone or reset, `last` the latest read of the current port and
 * `offset` what that port had counted before it joined. Until it joined
 * (attached, or attached again after a reset), nothing it counts is the
 * path's: a port that leaves while still CLAIMED adds nothing. */
struct PathCounters {
	StatFields base{}, offset{}, last{};
	bool joined = false;
};

/* dev->data->dev_private: constructed in probe, destroyed in close. */
struct BypassPort final : EventListener {
	FastState fast;
	std::array<SubPort, PATH_COUNT> sub;
	QueueTable queues;
	PortOwner owner;
	rte_eth_dev *dev = nullptr;
	uint32_t max_mac_addrs = 1;
	/* What a VF that is not there yet will have, as the devargs declare
	 * it (bypass_devargs.h): the advertised RETA and queues never exceed
	 * it, so that what the application sets fits the VF when it comes.
	 * Set at probe. */
	VfDeclared vf_declared;
	/* The MAC a port must have to be taken as a sub-port. */
	rte_ether_addr pair_mac{};

	std::mutex ctl_lock;
	std::mutex quiesce_lock;
	std::mutex fp_lock;
	std::mutex report_lock;

	/* ctl_lock */
	Journal journal;
	bool started = false;
	uint64_t link_poll_gen = 0;

	/* report_lock */
	std::array<PathCounters, PATH_COUNT> counters;
	/* What the application is told the port can do: fixed once it is
	 * configured, so that a VF that can do less is refused, not
	 * silently advertised. */
	rte_eth_dev_info advertised{};
	std::array<GiveUp, PATH_COUNT> giveup;
	std::array<Refusals, PATH_COUNT> refusals;

	/* Read anywhere. */
	std::atomic<bool> forced_backup{false};
	std::atomic<bool> link_announced{false};
	std::atomic<bool> lsc_pending{false};
	std::atomic<unsigned> lsc_waits{0}; /* bypass_notify.cpp */
	std::atomic<bool> rmv_pending{false};
	std::atomic<bool> rmv_announced{false};
	std::atomic<int> path_reason{RTE_PMD_BYPASS_REASON_STOPPED};
	std::atomic<uint64_t> tx_switches{0};
	std::atomic<uint64_t> leave_started_tsc{0};
	std::atomic<uint64_t> last_switch_us{0};
	std::atomic<uint64_t> last_reattach_us{0};
	std::array<std::atomic<uint64_t>, PATH_COUNT> attaches{};
	std::array<std::atomic<uint64_t>, PATH_COUNT> giveups{};
	std::array<std::atomic<uint64_t>, PATH_COUNT> filters_refused{};
	std::array<std::atomic<uint64_t>, PATH_COUNT> resets{};

	/* Declared last: destroyed first, so no event or task can reach a
	 * half-destroyed port. */
	ControlThread ctl;
	std::unique_ptr<EventSubscription> events;

	void on_port_new(uint16_t port) override;
	void on_removal_request(uint16_t port, Removal why) override;
	void on_port_destroyed(uint16_t port) override;
	void on_port_link(uint16_t port) override;
	void on_port_recovery(uint16_t port, Recovery what) override;
};

inline BypassPort &port_of(rte_eth_dev *dev)
{
	return *static_cast<BypassPort *>(dev->data->dev_private);
}

/* bypass_port.cpp */
/* The driver of a port, from its device: no call into the port's ops. */
const char *driver_of(uint16_t port);
/* Whether a port that raised NEW is done probing: ethdev marks it
 * attached after NEW, but the bus sets its device's driver, which
 * rte_eth_dev_info_get() reads, only once the whole probe returned. */
bool probe_done(uint16_t port);
bool is_virtio_driver(const char *driver);
std::string mac_str(const rte_ether_addr &mac);
/* Completes a port whose sub-ports are claimed and publishes it. */
int publish(rte_eth_dev *dev, const char *name, const rte_ether_addr &mac);
/* Undoes a port that failed before publish() succeeded. */
void discard(rte_eth_dev *dev);

/* bypass_subport.cpp */
void set_state(BypassPort &bp, unsigned path, SubState to);
/* Puts `port` in the empty slot `path` (claimed already). fp_lock held. */
void fill_slot(BypassPort &bp, unsigned path, uint16_t port);
/* Empties slot `path`. fp_lock and the slot's call lock held. */
void empty_slot(BypassPort &bp, unsigned path);
/* Starts a READY sub-port and binds it into the fast path. ctl_lock held. */
int start_sub(BypassPort &bp, unsigned path);
/* Takes a STARTED sub-port off the fast path (waiting up to `bound` for
 * the bursts) and stops it. ctl_lock held. */
void stop_sub(BypassPort &bp, unsigned path, std::chrono::milliseconds bound);
/* Takes `port` out of slot `path`: off the fast path, waits for the
 * bursts (up to `bound`; 0: as long as it takes), keeps its counters
 * (read again if `readable`) and empties the slot. Returns false, having
 * only taken it off the fast path, if a burst outlasted `bound`. The
 * caller holds the slot's call lock; nothing happens if the slot no
 * longer holds `port`. */
bool detach_slot(BypassPort &bp, unsigned path, uint16_t port, bool readable,
		 std::chrono::milliseconds bound);
/* detach_slot() for whatever the slot holds; returns the port, for the
 * caller to close. ctl_lock held, the bypass port stopped. */
uint16_t take_out(BypassPort &bp, unsigned path);
/* Marks a sub-port RESETTING and takes it off the fast path without
 * waiting for the bursts (an event handler cannot wait). fp_lock held. */
void suspend_locked(BypassPort &bp, unsigned path);
/* Whether settings go to the sub-port (READY, STARTED). */
bool takes_settings(const SubPort &sub);
/* Runs fn(port) with the slot's call lock held if the slot still holds a
 * port taking settings; -ENODEV otherwise. Caller holds ctl_lock. */
template <typename Fn> int call_configured(SubPort &sub, Fn &&fn)
{
	std::lock_guard<std::mutex> guard(sub.call);
	const uint16_t port = sub.port.load();
	if (port == RTE_MAX_ETHPORTS || !takes_settings(sub))
		return -ENODEV;
	return fn(port);
}

/* bypass_rxtx.cpp. Fence: qs_readers_fence(), fixed for the process. */
template <bool Fence> uint16_t rx_burst(void *queue, rte_mbuf **pkts, uint16_t n);
template <bool Fence> uint16_t tx_burst(void *queue, rte_mbuf **pkts, uint16_t n);
template <bool Fence> uint16_t tx_prepare(void *queue, rte_mbuf **pkts, uint16_t n);

/* bypass_queue.cpp */
int rx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
		   const rte_eth_rxconf *conf, rte_mempool *mp) noexcept;
int tx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
		   const rte_eth_txconf *conf) noexcept;
void rx_queue_release(rte_eth_dev *dev, uint16_t qid) noexcept;
void tx_queue_release(rte_eth_dev *dev, uint16_t qid) noexcept;
/* Releases every queue. ctl_lock held. */
void queues_release(BypassPort &bp);
/* Caches (or clears) one path's sub-queues in every bypass queue, from
 * its port's current burst functions and queues. fp_lock held. */
void queues_bind(BypassPort &bp, unsigned path, uint16_t port);
void queues_unbind(BypassPort &bp, unsigned path);
/* Copies FastState's paths into every bypass queue, where the bursts read
 * them. fp_lock held. */
void queues_publish_paths(BypassPort &bp);
/* Waits until no burst can still use what was published before; false if
 * a queue stayed in one burst longer than `bound`. Takes quiesce_lock;
 * fp_lock not held. */
bool queues_quiesce(BypassPort &bp, std::chrono::milliseconds bound);

/* bypass_link.cpp */
/* Moves tx by the rule, sets the reason. fp_lock held. */
void tx_path_refresh_locked(BypassPort &bp);
/* Reads the sub-ports' links, moves tx, updates the bypass port's link
 * and announces a change of it. ctl_lock held. */
void link_refresh(BypassPort &bp);
void link_poll_start(BypassPort &bp);
void link_poll_stop(BypassPort &bp);
int link_update(rte_eth_dev *dev, int wait_to_complete) noexcept;

/* bypass_notify.cpp: events for the application, raised from the EAL
 * interrupt thread as PMDs raise theirs, never from inside an op. */
void announce_lsc(BypassPort &bp);
void announce_rmv(BypassPort &bp);
void announcements_cancel(BypassPort &bp);

/* bypass_ops.cpp */
extern const eth_dev_ops bypass_ops;
/* The configuration a sub-port gets for the bypass port's `base`: with
 * the interrupts the driver listens to, and the RSS key fitted to the
 * sub-port (kept in `key`). */
rte_eth_conf sub_conf(const BypassPort &bp, uint16_t sub_port, const rte_eth_dev_info &info,
		      const rte_eth_conf &base, std::vector<uint8_t> &key);

/* bypass_info.cpp */
int dev_infos_get(rte_eth_dev *dev, rte_eth_dev_info *info) noexcept;
/* Recomputes what the port advertises from its sub-ports, unless the
 * application configured it already. ctl_lock held. */
void advertise(BypassPort &bp);

/* bypass_rss.cpp */
/* The application's RETA (its advertised size) spread over a sub-port's
 * table of `size` entries, or folded onto a smaller one (reta_misfit()
 * says whether it folds). Entries the application never set stay
 * unmasked. */
std::vector<rte_eth_rss_reta_entry64> reta_for(const rte_eth_rss_reta_entry64 *conf,
					       uint16_t app_size, uint16_t size);
/* Why a sub-port with a table of `size` entries cannot hash as the
 * application's RETA of `app_size` does, or "": a table folds onto a
 * smaller one only if it repeats with that period (a hash h picks entry
 * h mod size there, h mod app_size here), and sizes must divide. */
std::string reta_misfit(const std::vector<rte_eth_rss_reta_entry64> &conf, uint16_t app_size,
			uint16_t size);
/* The application's key lengthened to a sub-port's key size. */
std::vector<uint8_t> rss_key_for(const uint8_t *key, size_t len, size_t size);
int reta_update(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size) noexcept;
int reta_query(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size) noexcept;
int rss_hash_update(rte_eth_dev *dev, rte_eth_rss_conf *conf) noexcept;
int rss_hash_conf_get(rte_eth_dev *dev, rte_eth_rss_conf *conf) noexcept;
/* Applies the application's RETA or RSS hash to one sub-port. */
int apply_reta(uint16_t port, const rte_eth_rss_reta_entry64 *conf, uint16_t app_size);
int apply_rss_hash(uint16_t port, const rte_eth_rss_conf &conf);

/* bypass_filters.cpp: the rx filtering a sub-port may refuse and stay in
 * use (rte_pmd_bypass_filter). */
/* A sub-port's answer `ret` to `item` (`what`, for the log): a refusal is
 * logged in one line, counted and kept until the port takes the item; it
 * never costs the port its place. Caller holds ctl_lock. */
void filter_answer(BypassPort &bp, unsigned path, uint16_t port, const FilterItem &item,
		   const char *what, int ret);
/* A new port in slot `path`: nothing refused yet. report_lock not held. */
void filters_forget(BypassPort &bp, unsigned path);
/* The names of rte_pmd_bypass_filter bits, comma-separated ("" if none). */
std::string filter_names(uint32_t bits);

/* bypass_replay.cpp */
/* Configures a sub-port with the bypass port's queue counts and `base`
 * (negotiating STANDBY on a virtio_user backup). */
int configure_sub(BypassPort &bp, uint16_t port, uint16_t nb_rx, uint16_t nb_tx,
		  const rte_eth_conf &base);
/* Posts the attach of the port claimed for slot `path`. */
void post_attach(BypassPort &bp, unsigned path, uint16_t port);
/* Attaches it now, on this thread; ctl_lock held. */
void attach_now_locked(BypassPort &bp, unsigned path, uint16_t port);
/* A port given up on may take a new configuration: attach it again. */
void retry_given_up(BypassPort &bp, unsigned path);

/* bypass_reset.cpp */
int dev_reset(rte_eth_dev *dev) noexcept;

/* bypass_hotplug.cpp */
/* The slot holding `port`, PATH_NONE if none. */
unsigned slot_of(const BypassPort &bp, uint16_t port);
/* After a slot emptied: take what is waiting for it, probe its devargs
 * again, or tell the application no path is left. ctl_lock held. */
void refill(BypassPort &bp, unsigned path);
/* Starts a READY sub-port of a started bypass port soon, and again every
 * 100 ms while it refuses. */
void schedule_start(BypassPort &bp, unsigned path);

/* bypass_stats.cpp */
int stats_get(rte_eth_dev *dev, compat::PortStats &stats) noexcept;
int stats_reset(rte_eth_dev *dev) noexcept;
int xstats_get_names(rte_eth_dev *dev, rte_eth_xstat_name *names, unsigned size) noexcept;
int xstats_get(rte_eth_dev *dev, rte_eth_xstat *xstats, unsigned n) noexcept;
int xstats_reset(rte_eth_dev *dev) noexcept;
/* A port joins a path: what it counted so far is not the path's. */
void counters_join(BypassPort &bp, unsigned path, const compat::PortStats &now);
/* The port leaves its path: its counts stay in the path's total.
 * `now` is a last read of it, or nullptr if it cannot be read. */
void counters_leave(BypassPort &bp, unsigned path, const compat::PortStats *now);

} // namespace bypass
