/* SPDX-License-Identifier: BSD-3-Clause */
/* The bypass port in a secondary process (bypass_secondary.cpp). */
#pragma once

#include <bus_vdev_driver.h>

namespace bypass {

/* Primary: answers secondaries' questions about bypass ports. Idempotent;
 * called by every probe. */
void secondary_service_start();
/* Secondary: attaches the ports the primary created for `vdev`. */
int secondary_probe(rte_vdev_device *vdev);
/* Secondary: lets go of them; the primary's own stay as they are. */
int secondary_remove(rte_vdev_device *vdev);

} // namespace bypass
