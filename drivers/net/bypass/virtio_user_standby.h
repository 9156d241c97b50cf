/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BYPASS_VIRTIO_USER_STANDBY_H
#define BYPASS_VIRTIO_USER_STANDBY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Makes a virtio_user port (vhost-user backend) negotiate
 * VIRTIO_NET_F_STANDBY when its device offers it, from its next
 * rte_eth_dev_configure() on, and keep it in every later negotiation:
 * DPDK's virtio PMD never requests it, so a hypervisor that plugs the VF
 * only for a STANDBY guest never plugs it for a DPDK one.
 *
 * prepare, before configure: 1 when STANDBY will be negotiated, 0 when
 * the device does not offer it, -ENOTSUP when the mechanism cannot be used
 * safely (the port's private data is not what this build's virtio headers
 * say, not a vhost-user virtio_user port, a build without those headers;
 * one log line says which): nothing is changed then.
 * negotiated, after configure: 1 when the features the device was last
 * sent carried STANDBY.
 */
int bypass_virtio_user_standby_prepare(uint16_t port_id);
int bypass_virtio_user_standby_negotiated(uint16_t port_id);

#ifdef __cplusplus
}
#endif

#endif
