/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BYPASS_VIRTIO_PCI_STANDBY_H
#define BYPASS_VIRTIO_PCI_STANDBY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Makes a virtio-pci port negotiate VIRTIO_NET_F_STANDBY from its next
 * rte_eth_dev_configure() on, and in every later negotiation: QEMU
 * (virtio-net-pci,failover=on) plugs the VF only into a guest whose
 * driver features carry STANDBY, and DPDK's virtio PMD never requests
 * it.
 *
 * prepare, before configure; device_features and driver_features are what
 * the caller read from the device itself (its common configuration): the
 * first proves that what is interposed on is the port's own feature
 * access, the second says whether the device must negotiate again:
 *   1        STANDBY will be negotiated;
 *   0        the device does not offer STANDBY (nothing changed);
 *   -ENOTSUP the port's operations table is not found for sure, or the
 *            proof failed, or a build without the virtio PMD's headers:
 *            nothing changed, one log line says why.
 * Whether the device accepted it is for the caller to read back from the
 * device's driver-feature registers after configure.
 */
int bypass_virtio_pci_standby_prepare(uint16_t port_id, uint64_t device_features,
				      uint64_t driver_features);

/* For tests: the features the port's own operations table reads, found
 * and checked the way prepare finds and checks it (any virtio port,
 * virtio_user included, since the PMD keeps one array for all). 0, or
 * -ENOTSUP when the array is not found for sure. */
int bypass_virtio_ops_features(uint16_t port_id, uint64_t *features);

#ifdef __cplusplus
}
#endif

#endif
