/* SPDX-License-Identifier: BSD-3-Clause */
#include "owner.h"

#include <cerrno>
#include <cstdio>

namespace bypass {

PortOwner::~PortOwner()
{
	if (owner_.id != RTE_ETH_DEV_NO_OWNER)
		rte_eth_dev_owner_delete(owner_.id);
}

int PortOwner::create(const char *name)
{
	int ret = rte_eth_dev_owner_new(&owner_.id);
	if (ret < 0)
		return ret;
	snprintf(owner_.name, sizeof(owner_.name), "%s", name);
	return 0;
}

int PortOwner::claim(uint16_t port_id)
{
	rte_eth_dev_owner current{};
	int ret = rte_eth_dev_owner_get(port_id, &current);
	if (ret < 0)
		return ret;
	if (current.id != RTE_ETH_DEV_NO_OWNER)
		return -EBUSY;
	return rte_eth_dev_owner_set(port_id, &owner_);
}

void PortOwner::release(uint16_t port_id)
{
	rte_eth_dev_owner_unset(port_id, owner_.id);
}

} // namespace bypass
