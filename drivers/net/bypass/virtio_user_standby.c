/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VIRTIO_NET_F_STANDBY for virtio_user over vhost-user: one of the two
 * places net_bypass reaches into the virtio PMD's private state
 * (virtio_pci_standby.c is the other).
 *
 * Why: virtio_user masks STANDBY out of the device's features at probe,
 * so the driver never requests it, and a failover host (QEMU-style) plugs
 * the VF only into a guest that negotiated it.
 *
 * How: the bit is added where virtio_user hands the driver features to
 * the vhost-user device. The port's backend operations (dev->ops, a
 * per-device pointer to a table of the PMD's) are replaced by a
 * copy whose set_features adds STANDBY when the device offers it; every
 * later FEATURES_OK (re-configure, reconnect) then carries it, which
 * QEMU-style hosts require on migration. The device was negotiated at
 * probe already, so the PMD is made to negotiate again at the coming
 * configure (as it does when the requested features change): that is why
 * this runs before rte_eth_dev_configure().
 *
 * Why it is safe on any build of a supported version: the structures are
 * those of the installed DPDK's stable branch (its source tree, given to
 * the build), and before anything is written the port's private data must
 * hold what they say, checked against the library itself at run time:
 * its port id where the port's is; a backend table in the data of the
 * library holding the port's dev_ops, every member NULL or its code
 * (pmd_object.c); and that table's get_features, which asks the
 * device, must give the features the PMD kept of the device once the
 * ones it does not support are masked. Anything else is refused with one
 * log line naming the cause.
 */
#include "virtio_user_standby.h"

#include <errno.h>
#include <string.h>

#include <ethdev_driver.h>

#include "bypass/log_c.h"
#include "pmd_object.h"

#define VIRTIO_NET_F_STANDBY_BIT 62

#ifdef BYPASS_VIRTIO_HEADERS

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "virtio_user/vhost.h"
#include "virtio_user/virtio_user_dev.h"
#pragma GCC diagnostic pop

static const uint64_t STANDBY = 1ULL << VIRTIO_NET_F_STANDBY_BIT;
#define OPS_MEMBERS (sizeof(struct virtio_user_backend_ops) / sizeof(void *))
#define MEMBER(m) (offsetof(struct virtio_user_backend_ops, m) / sizeof(void *))
static const unsigned FEATURE_ACCESS[] = {MEMBER(get_features), MEMBER(set_features)};

/* The PMD's vhost-user operations, and our copy of them. */
static const struct virtio_user_backend_ops *vhost_user_ops;
static struct virtio_user_backend_ops standby_ops;
/* Per port: the features its device was last sent carried STANDBY. */
static int standby_sent[RTE_MAX_ETHPORTS];

static int standby_set_features(struct virtio_user_dev *dev, uint64_t features)
{
	uint64_t offered = 0;
	if (vhost_user_ops->get_features(dev, &offered) == 0)
		features |= offered & STANDBY;
	const int ret = vhost_user_ops->set_features(dev, features);
	if (dev->hw.port_id < RTE_MAX_ETHPORTS)
		__atomic_store_n(&standby_sent[dev->hw.port_id], ret == 0 && (features & STANDBY),
				 __ATOMIC_RELAXED);
	return ret;
}

static int refuse(uint16_t port_id, const char *why)
{
	bypass_log_c(RTE_LOG_WARNING, "STANDBY not negotiated on port %u: %s", port_id, why);
	return -ENOTSUP;
}

static int is_virtio_user(uint16_t port_id)
{
	const struct rte_eth_dev *dev = &rte_eth_devices[port_id];
	return dev->state != RTE_ETH_DEV_UNUSED && dev->device != NULL &&
	       dev->device->driver != NULL &&
	       strcmp(dev->device->driver->name, "net_virtio_user") == 0 &&
	       dev->data->dev_private != NULL;
}

/* What this header says the port's private data holds, against the
 * library; the device itself is asked further on. */
static const char *layout_mismatch(uint16_t port_id, const struct virtio_user_dev *dev)
{
	struct pmd_object o;
	if (pmd_object_of(rte_eth_devices[port_id].dev_ops, &o) != 0)
		return "the object holding the virtio PMD is not found";
	if (dev->hw.port_id != port_id)
		return "its private data does not hold its port id where this build's virtio "
		       "headers say";
	if (dev->ops != &standby_ops && dev->ops != vhost_user_ops &&
	    pmd_object_table_check(&o, dev->ops, OPS_MEMBERS, FEATURE_ACCESS,
				   RTE_DIM(FEATURE_ACCESS)) != NULL)
		return "its private data holds no backend table of the PMD's where this build's "
		       "virtio headers say";
	return NULL;
}

int bypass_virtio_user_standby_prepare(uint16_t port_id)
{
	if (port_id >= RTE_MAX_ETHPORTS || !is_virtio_user(port_id))
		return refuse(port_id, "not a virtio_user port");
	struct virtio_user_dev *dev = rte_eth_devices[port_id].data->dev_private;
	const char *why = layout_mismatch(port_id, dev);
	if (why != NULL)
		return refuse(port_id, why);
	if (dev->backend_type != VIRTIO_USER_BACKEND_VHOST_USER)
		return refuse(port_id, "its backend is not vhost-user");

	int ret = 1;
	pthread_mutex_lock(&dev->mutex);
	if (dev->ops != &standby_ops) {
		uint64_t offered = 0;
		if (vhost_user_ops != NULL && dev->ops != vhost_user_ops)
			why = "its backend table is not the one of the other vhost-user ports";
		else if (dev->ops->get_features(dev, &offered) != 0)
			why = "its device does not answer with its features";
		else if ((offered & ~dev->unsupported_features) != dev->device_features)
			why = "its private data does not hold the device's features where this "
			      "build's virtio headers say";
		if (why != NULL) {
			ret = -ENOTSUP;
		} else if (!(offered & STANDBY)) {
			ret = 0;
		} else {
			if (vhost_user_ops == NULL) {
				vhost_user_ops = dev->ops;
				standby_ops = *dev->ops;
				standby_ops.set_features = standby_set_features;
			}
			__atomic_store_n(&standby_sent[port_id], 0, __ATOMIC_RELAXED);
			dev->ops = &standby_ops;
		}
	}
	pthread_mutex_unlock(&dev->mutex);
	if (why != NULL)
		return refuse(port_id, why);
	/* Not negotiated with STANDBY yet: a changed request makes the
	 * PMD's configure reset the device and negotiate again. */
	if (ret == 1 && !bypass_virtio_user_standby_negotiated(port_id))
		dev->hw.req_guest_features = 0;
	return ret;
}

int bypass_virtio_user_standby_negotiated(uint16_t port_id)
{
	return port_id < RTE_MAX_ETHPORTS &&
	       __atomic_load_n(&standby_sent[port_id], __ATOMIC_RELAXED);
}

#else

int bypass_virtio_user_standby_prepare(uint16_t port_id)
{
	bypass_log_c(RTE_LOG_WARNING,
		     "STANDBY not negotiated on port %u: net_bypass was built without the "
		     "virtio PMD's headers (see \"STANDBY is not negotiated\" in its guide)",
		     port_id);
	return -ENOTSUP;
}

int bypass_virtio_user_standby_negotiated(uint16_t port_id)
{
	(void)port_id;
	return 0;
}

#endif
