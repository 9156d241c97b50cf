/* SPDX-License-Identifier: BSD-3-Clause */
/* The public API of rte_pmd_bypass.h. */
#include <cerrno>
#include <cstdio>

#include "bypass_private.h"

#define BYPASS_EXPORT extern "C" __attribute__((visibility("default")))

namespace bypass {

BypassPort *bypass_port(uint16_t port_id)
{
	if (!rte_eth_dev_is_valid_port(port_id))
		return nullptr;
	rte_eth_dev *dev = &rte_eth_devices[port_id];
	if (dev->dev_ops != &bypass_ops || dev->data->dev_private == nullptr)
		return nullptr;
	return &port_of(dev);
}

} // namespace bypass

using bypass::bypass_port;

BYPASS_EXPORT int rte_pmd_bypass_state_get(uint16_t port_id, rte_pmd_bypass_state *state)
{
	bypass::BypassPort *bp = bypass_port(port_id);
	if (bp == nullptr)
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
	bypass::BypassPort *bp = bypass_port(port_id);
	if (bp == nullptr)
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
	bypass::BypassPort *bp = bypass_port(port_id);
	if (bp == nullptr)
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
	bypass::BypassPort *bp = bypass_port(port_id);
	if (bp == nullptr)
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
