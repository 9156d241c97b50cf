/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <memory>

#include <bus_vdev_driver.h>

#include "bypass/control_thread.h"
#include "bypass/events.h"

namespace bypass {

/* Zero-config mode (`--vdev net_bypass` without backup=/active=): like
 * Linux creating a failover master for each virtio device that offers
 * STANDBY, one bypass port per such virtio port, named
 * <vdev name>_<virtio port name>; the port with the same MAC joins it as
 * the active sub-port, whether it is there already or appears later. */
class Pairing final : public EventListener {
public:
	/* virtio_user_standby: take virtio_user ports as offering STANDBY. */
	Pairing(rte_vdev_device *vdev, bool virtio_user_standby)
	    : vdev_(vdev), user_standby_(virtio_user_standby)
	{
	}
	/* Pairs the ports that exist, then follows NEW events. */
	int start();

	void on_port_new(uint16_t port) override;
	void on_port_removal(uint16_t, Removal) override {}
	void on_port_link(uint16_t) override {}

private:
	void consider(uint16_t port, unsigned tries);
	bool offers_standby(uint16_t virtio_port) const;
	int create_for(uint16_t virtio_port);

	rte_vdev_device *vdev_;
	bool user_standby_;
	ControlThread ctl_;
	/* Declared last: unsubscribed before the thread its events post to stops. */
	std::unique_ptr<EventSubscription> events_;
};

} // namespace bypass
