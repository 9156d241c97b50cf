/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>

namespace bypass {

/* VIRTIO_NET_F_STANDBY on the backup sub-port, negotiated at its
 * configure: a failover hypervisor plugs the VF only into a guest whose
 * virtio driver negotiated it, and waits on migration for the guest to
 * release the VF only while it stays negotiated. */
enum class Standby { NOT_ASKED, USER, PCI };

/* Before rte_eth_dev_configure() of the backup: what was arranged. */
Standby standby_prepare(uint16_t port);
/* After a successful configure: says, from the device itself, whether it
 * took STANDBY; one log line either way. */
void standby_confirm(uint16_t bypass_port, uint16_t port, Standby how);

} // namespace bypass
