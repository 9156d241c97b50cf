/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <bitset>
#include <memory>
#include <mutex>

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
	void on_port_removal(uint16_t port, Removal why) override;
	void on_port_link(uint16_t) override {}

private:
	void consider(uint16_t port, unsigned tries);
	bool offers_standby(uint16_t virtio_port) const;
	/* Called with `ports` held; releases it before the new port is
	 * published (which raises events). */
	int create_for(uint16_t virtio_port, std::unique_lock<std::recursive_mutex> &ports);

	rte_vdev_device *vdev_;
	bool user_standby_;
	/* The application's ports are looked at from ctl_'s thread while the
	 * application may close them: held while looking, and by a DESTROY
	 * handler, which then marks the port as going, so that ethdev does not
	 * free a port under a query. Recursive: a failed creation destroys
	 * its own port. */
	std::recursive_mutex ports_lock_;
	std::bitset<RTE_MAX_ETHPORTS> going_;
	ControlThread ctl_;
	/* Declared last: unsubscribed before the thread its events post to stops. */
	std::unique_ptr<EventSubscription> events_;
};

} // namespace bypass
