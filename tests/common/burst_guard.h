/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>

namespace bypass_test {

/*
 * The stress tests' unsafe-release guard. While a BurstGuard lives, every
 * port created (but a bypass port) has its rx and tx burst functions
 * wrapped, from its NEW event on, before any driver can bind it: the
 * wrappers count the bursts in progress on the port. The guard's DESTROY
 * callback, registered after net_bypass's so that ethdev runs it once the
 * driver's has returned, counts a burst still in progress as unsafe and
 * marks the port dead; a burst that begins on a dead port is unsafe too
 * (and is not passed on to the freed port). A port set slow() spends
 * SLOW_US in each burst, so that a release that does not wait for the
 * bursts on its port finds one in progress, whatever the timing.
 *
 * Create it before the ports it guards, and arm() it once the bypass port
 * was probed: net_bypass registers its own callbacks when its first port
 * is, and ethdev runs a port's callbacks in the order they were
 * registered. One guard at a time.
 */
class BurstGuard {
public:
	static constexpr unsigned SLOW_US = 20;

	BurstGuard();
	~BurstGuard();
	BurstGuard(const BurstGuard &) = delete;
	BurstGuard &operator=(const BurstGuard &) = delete;

	/* From now on, checks each port's bursts at its DESTROY. */
	void arm();
	/* Whether each burst on `port` is held SLOW_US. */
	void slow(uint16_t port, bool on);
	/* Bursts in progress on a port when its DESTROY handlers ran, plus
	 * bursts begun on a port after it. */
	uint64_t unsafe() const;
};

} // namespace bypass_test
