/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Events for the application. PMDs raise LSC and RMV from the EAL
 * interrupt thread, and applications' callbacks expect that: they may
 * query the port, or schedule its removal. So the driver never raises them
 * from inside an op (ethdev would not have marked the port started yet)
 * nor on its control thread (a callback closing the port would destroy the
 * thread it runs on): it sets an alarm, which runs on the interrupt thread.
 * Each alarm raises one event and touches the port no more after it, as
 * the application's callback may close the port.
 */
#include <rte_alarm.h>

#include "bypass/log.h"
#include "bypass_private.h"

namespace bypass {

namespace {

/* The link coming up at start is announced once ethdev marked the port
 * started, which it does after dev_start returned. */
constexpr uint64_t START_WAIT_US = 100;
constexpr unsigned START_WAITS = 1000;

void raise_lsc(void *arg)
{
	auto &bp = *static_cast<BypassPort *>(arg);
	if (!bp.dev->data->dev_started && bp.link_announced.load() &&
	    bp.lsc_waits.fetch_add(1) < START_WAITS &&
	    rte_eal_alarm_set(START_WAIT_US, raise_lsc, &bp) == 0)
		return;
	bp.lsc_waits.store(0);
	if (bp.lsc_pending.exchange(false) && bp.dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(bp.dev, RTE_ETH_EVENT_INTR_LSC, nullptr);
}

void raise_rmv(void *arg)
{
	auto &bp = *static_cast<BypassPort *>(arg);
	if (bp.rmv_pending.exchange(false) && bp.dev->data->dev_conf.intr_conf.rmv)
		rte_eth_dev_callback_process(bp.dev, RTE_ETH_EVENT_INTR_RMV, nullptr);
}

void schedule(BypassPort &bp, std::atomic<bool> &pending, rte_eal_alarm_callback raise,
	      const char *what)
{
	if (pending.exchange(true))
		return; /* one is on its way */
	const int ret = rte_eal_alarm_set(1, raise, &bp);
	if (ret < 0) {
		pending.store(false);
		BYPASS_LOG(ERR, "port %u: cannot raise %s: %s", bp.dev->data->port_id, what,
			   rte_strerror(-ret));
	}
}

} // namespace

void announce_lsc(BypassPort &bp)
{
	schedule(bp, bp.lsc_pending, raise_lsc, "LSC");
}

void announce_rmv(BypassPort &bp)
{
	BYPASS_LOG(WARNING, "port %u: no sub-port left: the port is removed",
		   bp.dev->data->port_id);
	schedule(bp, bp.rmv_pending, raise_rmv, "RMV");
}

/* Waits for an alarm that is running, unless called from it. */
void announcements_cancel(BypassPort &bp)
{
	rte_eal_alarm_cancel(raise_lsc, &bp);
	rte_eal_alarm_cancel(raise_rmv, &bp);
}

} // namespace bypass
