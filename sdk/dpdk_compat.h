/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one place where DPDK versions differ for net_bypass (22.11, 23.11,
 * 24.11, 25.11). Each difference is a small function or type named for
 * what it does; the rest of the tree reads as if there were one DPDK.
 * What the installed DPDK has is detected by meson (sdk/meson.build) from
 * its headers, not from its version number, into bypass_dpdk_config.h.
 */
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <pthread.h>

#include <ethdev_driver.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>
#include <rte_thread.h>

#include "bypass_dpdk_config.h"

namespace bypass::compat {

/* --- Control threads: rte_thread_create_control() replaced
 * rte_ctrl_thread_create() in 23.11, with rte_thread_t and a function
 * returning uint32_t. Such a thread is off the data lcores' CPUs. */
#if BYPASS_HAS_THREAD_CREATE_CONTROL
using ThreadId = rte_thread_t;
using ThreadResult = uint32_t;
#else
using ThreadId = pthread_t;
using ThreadResult = void *;
#endif
using ThreadFn = ThreadResult (*)(void *);

/* 0 or a negative errno. The name is cut to what the EAL takes (15). */
inline int create_control_thread(ThreadId *id, const char *name, ThreadFn fn, void *arg)
{
#if BYPASS_HAS_THREAD_CREATE_CONTROL
	const int ret = rte_thread_create_control(id, name, fn, arg);
#else
	const int ret = rte_ctrl_thread_create(id, name, nullptr, fn, arg);
#endif
	/* Documented negative, returned positive by some releases. */
	return ret > 0 ? -ret : ret;
}

inline bool is_current_thread(const ThreadId &id)
{
#if BYPASS_HAS_THREAD_CREATE_CONTROL
	return rte_thread_equal(rte_thread_self(), id) != 0;
#else
	return pthread_equal(pthread_self(), id) != 0;
#endif
}

inline void join_thread(const ThreadId &id)
{
#if BYPASS_HAS_THREAD_CREATE_CONTROL
	rte_thread_join(id, nullptr);
#else
	pthread_join(id, nullptr);
#endif
}

inline void detach_thread(const ThreadId &id)
{
#if BYPASS_HAS_THREAD_CREATE_CONTROL
	rte_thread_detach(id);
#else
	pthread_detach(id);
#endif
}

/* --- Telemetry: rte_tel_data_add_dict_u64() was deprecated in 23.03 for
 * ..._uint() and removed in 25.11. */
inline int tel_dict_add_u64(rte_tel_data *d, const char *name, uint64_t value)
{
#if BYPASS_HAS_TEL_DICT_UINT
	return rte_tel_data_add_dict_uint(d, name, value);
#else
	return rte_tel_data_add_dict_u64(d, name, value);
#endif
}

/* --- Statistics: up to 24.11 the per-queue counters are inside
 * rte_eth_stats; from 25.11 a driver's stats_get() hands them apart, in
 * an eth_queue_stats, and only ethdev's xstats show them. PortStats is a
 * port's whole set either way, all uint64_t. */
struct PortStats {
	rte_eth_stats totals;
#if BYPASS_HAS_QUEUE_STATS_APART
	eth_queue_stats queues;
#endif
};

/* A port's counters, per queue too, as ethdev's stats_get reads them:
 * 0 or a negative errno. */
inline int port_stats_get(uint16_t port, PortStats &s)
{
	s = PortStats{};
#if BYPASS_HAS_QUEUE_STATS_APART
	/* ethdev hands the per-queue part to no public call: read the
	 * driver as rte_eth_stats_get() does, with a place for it. */
	if (!rte_eth_dev_is_valid_port(port))
		return -ENODEV;
	rte_eth_dev *dev = &rte_eth_devices[port];
	if (dev->dev_ops == nullptr || dev->dev_ops->stats_get == nullptr)
		return -ENOTSUP;
	s.totals.rx_nombuf = dev->data->rx_mbuf_alloc_failed;
	const int ret = dev->dev_ops->stats_get(dev, &s.totals, &s.queues);
	return ret > 0 ? -ret : ret;
#else
	return rte_eth_stats_get(port, &s.totals);
#endif
}

/* eth_dev_ops::stats_get for a driver that fills a PortStats:
 * ops.stats_get = stats_get_op<fill>. */
using FillStats = int (*)(rte_eth_dev *, PortStats &);
#if BYPASS_HAS_QUEUE_STATS_APART
template <FillStats fill>
int stats_get_op(rte_eth_dev *dev, rte_eth_stats *stats, eth_queue_stats *queues)
{
	PortStats s{};
	const int ret = fill(dev, s);
	*stats = s.totals;
	if (queues != nullptr)
		*queues = s.queues;
	return ret;
}
#else
template <FillStats fill> int stats_get_op(rte_eth_dev *dev, rte_eth_stats *stats)
{
	PortStats s{};
	const int ret = fill(dev, s);
	*stats = s.totals;
	return ret;
}
#endif

/* --- The EAL's multi-process thread, by the name the EAL gives it
 * ("rte_mp_handle" before 23.11, "dpdk-mp-msg" from it on). A request it
 * sends itself waits for a reply only it could read: 25.11's pdump makes
 * a secondary's mp thread read the port's info. */
inline bool on_mp_thread()
{
	char name[16] = ""; /* what pthread names hold */
	if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0)
		return false;
	return strcmp(name, "dpdk-mp-msg") == 0 || strcmp(name, "rte_mp_handle") == 0;
}

/* --- net_bonding's devarg naming a sub-port: "slave" before 23.11,
 * "member" from it on. */
constexpr const char *BOND_MEMBER = BYPASS_BOND_MEMBER_KEY;

} // namespace bypass::compat
