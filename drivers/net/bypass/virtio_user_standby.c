/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VIRTIO_NET_F_STANDBY for virtio_user, the one place net_bypass reaches
 * into another driver's private state. It uses the virtio PMD's own
 * structure definitions from the DPDK source tree the build was given, is
 * compiled only when that tree is exactly the version this was checked
 * against (meson.build), and refuses at run time unless the DPDK loaded is
 * that version too: a layout that may differ is never touched.
 *
 * How: the virtio PMD masks STANDBY out of what it negotiates, so the bit
 * is added where virtio_user hands the driver features to the vhost-user
 * device. The port's backend operations (dev->ops, a per-device pointer to
 * a table of the PMD's) are replaced by a copy whose set_features adds
 * STANDBY when the device offers it; every later FEATURES_OK (re-configure,
 * reconnect) then carries it, which QEMU-style hosts require on migration.
 * The device was negotiated at probe already, so the PMD is made to
 * negotiate again at the coming configure (as it does when the requested
 * features change): that is why this runs before rte_eth_dev_configure().
 */
#include "virtio_user_standby.h"

#include <errno.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_version.h>

#include "bypass/log_c.h"

#define VIRTIO_NET_F_STANDBY_BIT 62

#ifdef BYPASS_VIRTIO_USER_LAYOUT

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "virtio_user/vhost.h"
#include "virtio_user/virtio_user_dev.h"
#pragma GCC diagnostic pop

static const uint64_t STANDBY = 1ULL << VIRTIO_NET_F_STANDBY_BIT;

/* The PMD's vhost-user operations, and our copy of them. */
static const struct virtio_user_backend_ops *vhost_user_ops;
static struct virtio_user_backend_ops standby_ops;

static int standby_set_features(struct virtio_user_dev *dev, uint64_t features)
{
	uint64_t offered = 0;
	if (vhost_user_ops->get_features(dev, &offered) == 0)
		features |= offered & STANDBY;
	return vhost_user_ops->set_features(dev, features);
}

static struct virtio_user_dev *vhost_user_dev(uint16_t port_id)
{
	struct rte_eth_dev_info info;

	if (strcmp(rte_version(), BYPASS_VIRTIO_USER_LAYOUT) != 0) {
		bypass_log_c(RTE_LOG_WARNING,
			     "STANDBY not negotiated on port %u: built for %s, "
			     "running on %s",
			     port_id, BYPASS_VIRTIO_USER_LAYOUT, rte_version());
		return NULL;
	}
	if (rte_eth_dev_info_get(port_id, &info) != 0 || info.driver_name == NULL ||
	    strcmp(info.driver_name, "net_virtio_user") != 0)
		return NULL;
	struct virtio_user_dev *dev = rte_eth_devices[port_id].data->dev_private;
	return dev->backend_type == VIRTIO_USER_BACKEND_VHOST_USER ? dev : NULL;
}

int bypass_virtio_user_standby_prepare(uint16_t port_id)
{
	struct virtio_user_dev *dev = vhost_user_dev(port_id);
	if (dev == NULL)
		return -ENOTSUP;
	uint64_t offered = 0;
	if (dev->ops->get_features(dev, &offered) != 0)
		return -EIO;
	if (!(offered & STANDBY))
		return 0;

	pthread_mutex_lock(&dev->mutex);
	if (dev->ops != &standby_ops) {
		if (vhost_user_ops == NULL) {
			vhost_user_ops = dev->ops;
			standby_ops = *dev->ops;
			standby_ops.set_features = standby_set_features;
		}
		if (dev->ops == vhost_user_ops)
			dev->ops = &standby_ops;
	}
	pthread_mutex_unlock(&dev->mutex);
	if (dev->ops != &standby_ops)
		return -ENOTSUP;
	/* Not negotiated with STANDBY yet: a changed request makes the
	 * PMD's configure reset the device and negotiate again. */
	if (!(dev->hw.guest_features & STANDBY))
		dev->hw.req_guest_features = 0;
	return 1;
}

int bypass_virtio_user_standby_negotiated(uint16_t port_id)
{
	struct virtio_user_dev *dev = vhost_user_dev(port_id);
	if (dev == NULL || dev->ops != &standby_ops)
		return 0;
	/* What the device was sent; the PMD's own copies are made to agree. */
	dev->features |= STANDBY;
	dev->hw.guest_features |= STANDBY;
	return 1;
}

#else

int bypass_virtio_user_standby_prepare(uint16_t port_id)
{
	bypass_log_c(RTE_LOG_WARNING,
		     "STANDBY not negotiated on port %u: this build has no "
		     "checked virtio layout for %s",
		     port_id, rte_version());
	return -ENOTSUP;
}

int bypass_virtio_user_standby_negotiated(uint16_t port_id)
{
	(void)port_id;
	return 0;
}

#endif
