/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_telemetry commands, for an operator watching a running application
 * (usertools/dpdk-telemetry.py):
 *
 *   /bypass/list          the bypass ports' ids
 *   /bypass/info,<port>   which path tx is on and why, each sub-port with
 *                         its state, switch and re-attach figures, why a
 *                         port offered for a path was given up on, and
 *                         the rx filtering its sub-port runs without
 *
 * The handlers run on the telemetry thread. They hold the port (PortRef)
 * while they read it: a close waits for them. They read atomics, and take
 * report_lock (held by others for copies only) for the give-up reasons:
 * never a lock held across a sub-port operation, so a query answers while
 * a switch or an attach is in progress.
 */
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <rte_telemetry.h>

#include "bypass_private.h"

namespace bypass {
namespace {

int list(const char *, const char *, rte_tel_data *d)
{
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	uint16_t port;
	RTE_ETH_FOREACH_DEV(port)
	{
		if (PortRef(port))
			rte_tel_data_add_array_int(d, port);
	}
	return 0;
}

/* One sub-port: its port id and name, or none; its state; a give-up. */
rte_tel_data *sub_port(BypassPort &bp, unsigned path)
{
	rte_tel_data *s = rte_tel_data_alloc();
	if (s == nullptr)
		return nullptr;
	rte_tel_data_start_dict(s);
	const uint16_t port = bp.sub[path].port.load();
	char name[RTE_ETH_NAME_MAX_LEN] = "";
	if (port != RTE_MAX_ETHPORTS && rte_eth_dev_get_name_by_port(port, name) == 0) {
		rte_tel_data_add_dict_int(s, "port", port);
		rte_tel_data_add_dict_string(s, "name", name);
	}
	rte_tel_data_add_dict_string(s, "state", state_name(bp.sub[path].state.load()));
	compat::tel_dict_add_u64(s, "link_up", bp.sub[path].link_up.load() ? 1 : 0);
	compat::tel_dict_add_u64(s, "attaches", bp.attaches[path].load());
	compat::tel_dict_add_u64(s, "attach_giveups", bp.giveups[path].load());
	compat::tel_dict_add_u64(s, "filters_refused", bp.filters_refused[path].load());
	compat::tel_dict_add_u64(s, "resets", bp.resets[path].load());
	std::string reason;
	uint32_t missing;
	{
		std::lock_guard<std::mutex> report(bp.report_lock);
		if (bp.giveup[path].error != 0)
			reason = bp.giveup[path].reason;
		missing = bp.refusals[path].missing();
	}
	if (!reason.empty())
		rte_tel_data_add_dict_string(s, "given_up", reason.c_str());
	rte_tel_data_add_dict_string(s, "filters_missing", filter_names(missing).c_str());
	return s;
}

int info(const char *, const char *params, rte_tel_data *d)
{
	if (params == nullptr || *params == '\0')
		return -EINVAL;
	char *end;
	const unsigned long id = strtoul(params, &end, 10);
	if (*end != '\0' || id >= RTE_MAX_ETHPORTS)
		return -EINVAL;
	/* Held to the end: the port cannot be closed under this answer. */
	const PortRef bp(static_cast<uint16_t>(id));
	if (!bp)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "port", static_cast<int>(id));
	const unsigned tx = bp->fast.tx_path.load(std::memory_order_acquire);
	rte_tel_data_add_dict_string(d, "tx_path", tx < PATH_COUNT ? path_name(tx) : "none");
	rte_tel_data_add_dict_string(
	    d, "reason",
	    rte_pmd_bypass_reason_str(static_cast<rte_pmd_bypass_reason>(bp->path_reason.load())));
	compat::tel_dict_add_u64(d, "tx_path_switches", bp->tx_switches.load());
	compat::tel_dict_add_u64(d, "last_switch_us", bp->last_switch_us.load());
	compat::tel_dict_add_u64(d, "last_reattach_us", bp->last_reattach_us.load());
	for (unsigned path : {PATH_BACKUP, PATH_ACTIVE}) {
		rte_tel_data *s = sub_port(*bp, path);
		if (s == nullptr || rte_tel_data_add_dict_container(d, path_name(path), s, 0) != 0) {
			rte_tel_data_free(s);
			return -ENOMEM;
		}
	}
	return 0;
}

} // namespace
} // namespace bypass

RTE_INIT(bypass_telemetry_init)
{
	rte_telemetry_register_cmd("/bypass/list", bypass::list, "Returns the bypass port ids.");
	rte_telemetry_register_cmd("/bypass/info", bypass::info,
				   "Returns a bypass port's paths and sub-ports. Parameter: port id");
}
