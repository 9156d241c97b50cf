/* SPDX-License-Identifier: BSD-3-Clause */
#include "alarm.h"

#include <rte_alarm.h>
#include <rte_errno.h>

#include "log.h"

namespace bypass {

int PeriodicAlarm::start(uint64_t period_us, Callback fn, void *arg)
{
	stop();
	period_us_ = period_us;
	fn_ = fn;
	arg_ = arg;
	running_.store(true, std::memory_order_release);
	if (rte_eal_alarm_set(period_us_, fire, this) < 0) {
		running_.store(false, std::memory_order_release);
		return -rte_errno;
	}
	return 0;
}

void PeriodicAlarm::stop()
{
	/* Clearing the flag first stops a running callback from re-arming;
	 * cancel spins until a callback in progress on another thread ends. */
	running_.store(false, std::memory_order_release);
	rte_eal_alarm_cancel(fire, this);
}

void PeriodicAlarm::fire(void *self)
{
	auto *alarm = static_cast<PeriodicAlarm *>(self);
	if (!alarm->running())
		return;
	alarm->fn_(alarm->arg_);
	if (alarm->running() && rte_eal_alarm_set(alarm->period_us_, fire, self) < 0)
		BYPASS_LOG(ERR, "cannot re-arm periodic alarm: %s", rte_strerror(rte_errno));
}

} // namespace bypass
