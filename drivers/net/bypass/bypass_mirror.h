/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include "bypass/log.h"
#include "bypass_private.h"

namespace bypass {

/* Applies one setting to every present sub-port, backup first. If a
 * sub-port refuses, the ones that took it are rolled back with `undo`, so
 * the two never silently diverge, and the error is returned. */
template <typename Apply, typename Undo>
int mirror(BypassPort &bp, const char *what, Apply &&apply, Undo &&undo)
{
	std::lock_guard<std::recursive_mutex> lock(bp.ctl_lock);
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		const SubPort &sub = bp.sub[p];
		if (!sub.present())
			continue;
		const int ret = apply(sub.port_id());
		if (ret == 0)
			continue;
		/* A sub-port that cannot do something at all (ethdev's restore
		 * at every start asks net_null to leave promiscuous mode) is
		 * worth a notice, not an error line each time. */
		rte_log(ret == -ENOTSUP ? RTE_LOG_NOTICE : RTE_LOG_ERR, bypass::logtype,
			"net_bypass: port %u: %s failed on the %s sub-port (port %u): %s\n",
			bp.dev->data->port_id, what, path_name(p), sub.port_id(),
			rte_strerror(-ret));
		for (unsigned done = 0; done < p; done++) {
			if (bp.sub[done].present())
				undo(bp.sub[done].port_id());
		}
		return ret;
	}
	return 0;
}

/* For settings that need no undo (a query, or the undo is the caller's). */
template <typename Apply> int mirror(BypassPort &bp, const char *what, Apply &&apply)
{
	return mirror(bp, what, apply, [](uint16_t) {});
}

} // namespace bypass
