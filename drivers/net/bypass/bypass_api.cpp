/* SPDX-License-Identifier: BSD-3-Clause */
/* The public API of rte_pmd_bypass.h. */
#include <array>
#include <cerrno>
#include <cstdio>

#include <pthread.h>

#include "bypass_private.h"

#define BYPASS_EXPORT extern "C" __attribute__((visibility("default")))

namespace bypass {

namespace {

/* The ports outside readers may find: written with the lock held for
 * writing, read with it held for reading. Writers come first, so that a
 * close is not starved by a stream of readers (telemetry, a monitoring
 * loop). */
pthread_rwlock_t registry_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
std::array<BypassPort *, RTE_MAX_ETHPORTS> registry{};

} // namespace

PortRef::PortRef(uint16_t port_id)
{
	pthread_rwlock_rdlock(&registry_lock);
	if (port_id < RTE_MAX_ETHPORTS)
		bp_ = registry[port_id];
}

PortRef::~PortRef()
{
	pthread_rwlock_unlock(&registry_lock);
}

void port_register(BypassPort &bp, uint16_t port_id)
{
	pthread_rwlock_wrlock(&registry_lock);
	registry[port_id] = &bp;
	pthread_rwlock_unlock(&registry_lock);
}

void port_unregister(uint16_t port_id)
{
	pthread_rwlock_wrlock(&registry_lock);
	registry[port_id] = nullptr;
	pthread_rwlock_unlock(&registry_lock);
}

} // namespace bypass

using bypass::PortRef;

BYPASS_EXPORT int rte_pmd_bypass_state_get(uint16_t port_id, rte_pmd_bypass_state *state)
{
	const PortRef bp(port_id);
	if (!bp)
		return -ENODEV;
	if (state == nullptr)
		return -EINVAL;
	state->backup_port = bp->sub[bypass::PATH_BACKUP].port.load();
	state->active_port = bp->sub[bypass::PATH_ACTIVE].port.load();
	state->on_active = bp->fast.tx_path.load(std::memory_order_acquire) == bypass::PATH_ACTIVE;
	state->reason = static_cast<rte_pmd_bypass_reason>(bp->path_reason.load());
	return 0;
}

BYPASS_EXPORT int rte_pmd_bypass_force_backup(uint16_t port_id, int on)
{
	const PortRef bp(port_id);
	if (!bp)
		return -ENODEV;
	bp->forced_backup.store(on != 0);
	/* Moves tx now; the link, which does not change, is left alone. */
	std::lock_guard<std::mutex> fp(bp->fp_lock);
	bypass::tx_path_refresh_locked(*bp);
	return 0;
}

BYPASS_EXPORT int rte_pmd_bypass_giveup_get(uint16_t port_id, rte_pmd_bypass_path path,
					    char *reason, size_t size)
{
	const PortRef bp(port_id);
	if (!bp)
		return -ENODEV;
	if (path != RTE_PMD_BYPASS_PATH_BACKUP && path != RTE_PMD_BYPASS_PATH_ACTIVE)
		return -EINVAL;
	std::lock_guard<std::mutex> report(bp->report_lock);
	const bypass::GiveUp &g = bp->giveup[path];
	if (reason != nullptr && size > 0)
		snprintf(reason, size, "%s", g.reason.c_str());
	return g.error != 0 ? 1 : 0;
}

BYPASS_EXPORT int rte_pmd_bypass_refusals_get(uint16_t port_id, rte_pmd_bypass_path path,
					      rte_pmd_bypass_refusals *refusals)
{
	const PortRef bp(port_id);
	if (!bp)
		return -ENODEV;
	if ((path != RTE_PMD_BYPASS_PATH_BACKUP && path != RTE_PMD_BYPASS_PATH_ACTIVE) ||
	    refusals == nullptr)
		return -EINVAL;
	std::lock_guard<std::mutex> report(bp->report_lock);
	const bypass::Refusals &r = bp->refusals[path];
	refusals->missing = r.missing();
	refusals->last_error = r.last_error;
	refusals->count = bp->filters_refused[path].load();
	return 0;
}

BYPASS_EXPORT const char *rte_pmd_bypass_reason_str(rte_pmd_bypass_reason reason)
{
	switch (reason) {
	case RTE_PMD_BYPASS_REASON_ACTIVE_UP:
		return "active sub-port up";
	case RTE_PMD_BYPASS_REASON_NO_ACTIVE:
		return "no active sub-port";
	case RTE_PMD_BYPASS_REASON_ACTIVE_DOWN:
		return "active sub-port link down";
	case RTE_PMD_BYPASS_REASON_REMOVING:
		return "active sub-port being removed";
	case RTE_PMD_BYPASS_REASON_FORCED:
		return "held on the backup";
	case RTE_PMD_BYPASS_REASON_STOPPED:
		return "port stopped";
	case RTE_PMD_BYPASS_REASON_NO_BACKUP:
		return "no backup sub-port";
	case RTE_PMD_BYPASS_REASON_NO_PATH:
		return "no sub-port can transmit";
	case RTE_PMD_BYPASS_REASON_ACTIVE_UNUSABLE:
		return "active sub-port given up on";
	case RTE_PMD_BYPASS_REASON_ACTIVE_RESETTING:
		return "active sub-port being reset";
	}
	return "unknown";
}
