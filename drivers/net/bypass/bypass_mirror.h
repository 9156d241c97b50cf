/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include "bypass/log.h"
#include "bypass_private.h"

namespace bypass {

/* Applies one setting to every sub-port that takes settings (READY,
 * STARTED), backup first. If a sub-port refuses, the ones that took it are
 * rolled back with `undo`, so the two never silently diverge, and the
 * error is returned. A sub-port that is being attached gets the setting
 * from the journal instead, once the caller recorded it there; one that is
 * leaving gets nothing. Caller holds ctl_lock. */
template <typename Apply, typename Undo>
int mirror_locked(BypassPort &bp, const char *what, Apply &&apply, Undo &&undo)
{
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		SubPort &sub = bp.sub[p];
		const int ret = call_configured(sub, apply);
		if (ret == 0 || ret == -ENODEV)
			continue;
		/* A sub-port that cannot do something at all (ethdev's restore
		 * at every start asks net_null to leave promiscuous mode) is
		 * worth a notice, not an error line each time. */
		rte_log(ret == -ENOTSUP ? RTE_LOG_NOTICE : RTE_LOG_ERR, bypass::logtype,
			"net_bypass: port %u: %s failed on the %s sub-port (port %u): %s\n",
			bp.dev->data->port_id, what, path_name(p), sub.port.load(),
			rte_strerror(-ret));
		for (unsigned done = 0; done < p; done++)
			call_configured(bp.sub[done], [&](uint16_t port) {
				undo(port);
				return 0;
			});
		return ret;
	}
	return 0;
}

template <typename Apply> int mirror_locked(BypassPort &bp, const char *what, Apply &&apply)
{
	return mirror_locked(bp, what, apply, [](uint16_t) {});
}

/* mirror_locked() taking ctl_lock; `record` runs under it on success. */
template <typename Apply, typename Undo, typename Record>
int mirror(BypassPort &bp, const char *what, Apply &&apply, Undo &&undo, Record &&record)
{
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	const int ret = mirror_locked(bp, what, apply, undo);
	if (ret == 0)
		record(bp.journal);
	return ret;
}

/* Applies one item of rx filtering (bypass_filters.cpp) as Linux's
 * net_failover does: the port's answer is the backup's, and the active
 * sub-port's refusal is noted and keeps it in use. A backup that refuses
 * fails the call before the active is asked. With no backup taking
 * settings (none, leaving, resetting) the call succeeds whatever the
 * active answers: the journal has the item for the backup to come, and
 * what the active runs without is readable (rte_pmd_bypass_refusals_get). */
template <typename Apply, typename Record>
int mirror_filter(BypassPort &bp, const FilterItem &item, const char *what, Apply &&apply,
		  Record &&record)
{
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	SubPort &backup = bp.sub[PATH_BACKUP];
	const int ret = call_configured(backup, apply);
	if (ret != 0 && ret != -ENODEV) {
		rte_log(ret == -ENOTSUP ? RTE_LOG_NOTICE : RTE_LOG_ERR, bypass::logtype,
			"net_bypass: port %u: %s failed on the backup sub-port (port %u): %s\n",
			bp.dev->data->port_id, what, backup.port.load(), rte_strerror(-ret));
		return ret;
	}
	uint16_t active = RTE_MAX_ETHPORTS;
	const int vf = call_configured(bp.sub[PATH_ACTIVE], [&](uint16_t port) {
		active = port;
		return apply(port);
	});
	if (active != RTE_MAX_ETHPORTS)
		filter_answer(bp, PATH_ACTIVE, active, item, what, vf);
	record(bp.journal);
	return 0;
}

} // namespace bypass
