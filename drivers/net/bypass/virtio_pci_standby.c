/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VIRTIO_NET_F_STANDBY for virtio-pci: one of the two places net_bypass
 * reaches into the virtio PMD's private state (virtio_user_standby.c is
 * the other).
 *
 * Why: DPDK's virtio PMD builds the features it requests from a constant
 * without STANDBY (22.11 to 26.07), and QEMU plugs a failover VF only for
 * a driver that negotiates it. The PMD writes features through a per-port
 * operations table, virtio_hw_internal[port].virtio_ops, which
 * librte_net_virtio.so does not export. doc/standby-upstream.md is the
 * small DPDK change that would make this file unnecessary.
 *
 * How, on any build of a supported version, and why it is safe:
 * - The structures are those of the installed DPDK's stable branch (its
 *   source tree, given to the build). Where the array is, is found at run
 *   time in the object that holds the port's dev_ops (pmd_object.c), from
 *   its program headers: the one array of RTE_MAX_ETHPORTS entries in its
 *   writable data whose entries for the virtio ports now present are
 *   tables of the library, every other entry NULL or such a table. A table
 *   of the library is constant data of it whose members are all NULL or
 *   its code. None, or more than one, and nothing is done.
 * - Before anything is written, the port's table must read the device's
 *   features as the caller read them from the device itself, and the
 *   port's virtio_hw must hold what this header says it holds: its port
 *   id, the features the device took, and a request they fit in.
 * - The entry is then pointed at a copy of the table whose set_features
 *   adds STANDBY when the device offers it; every other member is the
 *   PMD's own, so the data path (notify_queue) is unchanged. The copy is
 *   static and never freed: a pointer store replaces the entry, so a lcore
 *   reading it sees one valid table or the other.
 * - The device was negotiated at probe already and QEMU refuses features
 *   once FEATURES_OK is set, so the PMD is made to reset and negotiate
 *   again at the coming configure, as it does when the requested features
 *   change: that is why prepare runs before rte_eth_dev_configure().
 * Anything else is refused with one log line naming the cause.
 */
#include "virtio_pci_standby.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_bus.h>

#include "bypass/log_c.h"
#include "pmd_object.h"

static const uint64_t STANDBY = 1ULL << 62;

#ifdef BYPASS_VIRTIO_HEADERS

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "virtio.h"
#include "virtio_pci.h"
#pragma GCC diagnostic pop

_Static_assert(offsetof(struct virtio_pci_dev, hw) == 0,
	       "a virtio-pci port's dev_private starts with its virtio_hw");
#define OPS_MEMBERS (sizeof(struct virtio_ops) / sizeof(void *))
#define MEMBER(m) (offsetof(struct virtio_ops, m) / sizeof(void *))
static const unsigned FEATURE_ACCESS[] = {MEMBER(get_features), MEMBER(set_features)};
static const uint64_t VERSION_1 = 1ULL << 32;

static int is_virtio(uint16_t port_id)
{
	const struct rte_eth_dev *dev = &rte_eth_devices[port_id];
	if (dev->state == RTE_ETH_DEV_UNUSED || dev->device == NULL || dev->device->driver == NULL)
		return 0;
	const char *driver = dev->device->driver->name;
	return strcmp(driver, "net_virtio") == 0 || strcmp(driver, "net_virtio_user") == 0;
}

/* &virtio_hw_internal[port_id].virtio_ops, or NULL and why not. */
static const struct virtio_ops **ops_entry(uint16_t port_id, struct pmd_object *o, const char **why)
{
	if (pmd_object_of(rte_eth_devices[port_id].dev_ops, o) != 0) {
		*why = "the object holding the virtio PMD is not found";
		return NULL;
	}
	unsigned char present[RTE_MAX_ETHPORTS];
	for (unsigned i = 0; i < RTE_MAX_ETHPORTS; i++)
		present[i] = is_virtio((uint16_t)i);
	struct virtio_hw_internal *table = pmd_object_find_table_array(
	    o, port_id, RTE_MAX_ETHPORTS, sizeof(struct virtio_hw_internal), present, OPS_MEMBERS,
	    FEATURE_ACCESS, RTE_DIM(FEATURE_ACCESS), why);
	return table != NULL ? &table[port_id].virtio_ops : NULL;
}

/* The PMD's table for modern virtio-pci devices, and our copy of it. */
static pthread_mutex_t swap_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct virtio_ops *pmd_ops;
static struct virtio_ops standby_ops;

static void standby_set_features(struct virtio_hw *hw, uint64_t features)
{
	features |= pmd_ops->get_features(hw) & STANDBY;
	pmd_ops->set_features(hw, features);
}

static int refuse(uint16_t port_id, const char *why)
{
	bypass_log_c(RTE_LOG_WARNING, "STANDBY not negotiated on port %u: %s", port_id, why);
	return -ENOTSUP;
}

int bypass_virtio_ops_features(uint16_t port_id, uint64_t *features)
{
	struct pmd_object o;
	const char *why;
	if (port_id >= RTE_MAX_ETHPORTS || !is_virtio(port_id) ||
	    rte_eth_devices[port_id].data->dev_private == NULL)
		return -ENOTSUP;
	const struct virtio_ops **entry = ops_entry(port_id, &o, &why);
	if (entry == NULL) {
		bypass_log_c(RTE_LOG_INFO, "port %u: the virtio operations table is not found: %s",
			     port_id, why);
		return -ENOTSUP;
	}
	*features = (*entry)->get_features(rte_eth_devices[port_id].data->dev_private);
	return 0;
}

/* What this header says the port's virtio_hw holds, against what the
 * device says. */
static const char *hw_mismatch(const struct virtio_hw *hw, uint16_t port_id,
			       uint64_t driver_features)
{
	if (hw->port_id != port_id)
		return "its private data does not hold its port id where this build's "
		       "virtio headers say";
	if (hw->guest_features != driver_features ||
	    (hw->guest_features & ~hw->req_guest_features) != 0 ||
	    !(hw->req_guest_features & VERSION_1))
		return "its private data does not hold the features the device took where "
		       "this build's virtio headers say";
	return NULL;
}

int bypass_virtio_pci_standby_prepare(uint16_t port_id, uint64_t device_features,
				      uint64_t driver_features)
{
	if (!(device_features & STANDBY))
		return 0;
	struct rte_eth_dev *dev = &rte_eth_devices[port_id];
	if (dev->device == NULL || dev->device->bus == NULL ||
	    strcmp(rte_bus_name(dev->device->bus), "pci") != 0 || !is_virtio(port_id))
		return refuse(port_id, "not a virtio-pci port");
	struct virtio_hw *hw = dev->data->dev_private;
	if (hw == NULL)
		return refuse(port_id, "it has no private data");

	int ret = 0;
	pthread_mutex_lock(&swap_lock);
	struct pmd_object o;
	const char *why = NULL;
	const struct virtio_ops **entry = ops_entry(port_id, &o, &why);
	const struct virtio_ops *ops = entry != NULL ? *entry : NULL;
	if (ops != NULL && ops != &standby_ops) {
		if (pmd_ops != NULL && ops != pmd_ops)
			why = "its operations table is not the one of the other virtio-pci ports";
		else if (ops->get_features(hw) != device_features)
			why = "its operations table does not read the device's features";
		else
			why = hw_mismatch(hw, port_id, driver_features);
	}
	if (why != NULL) {
		ret = refuse(port_id, why);
	} else if (ops != &standby_ops) {
		if (pmd_ops == NULL) {
			standby_ops = *ops;
			standby_ops.set_features = standby_set_features;
			pmd_ops = ops;
		}
		__atomic_store_n(entry, &standby_ops, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&swap_lock);
	if (ret < 0)
		return ret;
	/* Not negotiated with STANDBY yet: a changed request makes the PMD's
	 * configure reset the device and negotiate again. */
	if (!(driver_features & STANDBY))
		hw->req_guest_features = 0;
	return 1;
}

#else

int bypass_virtio_pci_standby_prepare(uint16_t port_id, uint64_t device_features,
				      uint64_t driver_features)
{
	(void)driver_features;
	if (!(device_features & STANDBY))
		return 0;
	bypass_log_c(RTE_LOG_WARNING,
		     "STANDBY not negotiated on port %u: net_bypass was built without the "
		     "virtio PMD's headers (see \"STANDBY is not negotiated\" in its guide)",
		     port_id);
	return -ENOTSUP;
}

int bypass_virtio_ops_features(uint16_t port_id, uint64_t *features)
{
	(void)port_id;
	(void)features;
	return -ENOTSUP;
}

#endif
