/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>
#include <rte_ethdev.h>

namespace bypass {

/* An ethdev owner id (rte_eth_dev_owner_*). Ports it claims disappear from
 * RTE_ETH_FOREACH_DEV, so the application sees only the bypass port; the
 * destructor gives every claimed port back. */
class PortOwner {
public:
	PortOwner() = default;
	~PortOwner();
	PortOwner(const PortOwner &) = delete;
	PortOwner &operator=(const PortOwner &) = delete;

	/* Creates the owner id; negative errno on failure. */
	int create(const char *name);
	/* Claims a port that nobody owns yet; -EBUSY if someone does. */
	int claim(uint16_t port_id);
	void release(uint16_t port_id);

private:
	rte_eth_dev_owner owner_{};
};

} // namespace bypass
