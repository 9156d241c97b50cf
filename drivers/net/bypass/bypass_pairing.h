/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include "bypass_devargs.h"

#include <memory>

#include <bus_vdev_driver.h>

#include "bypass/control_thread.h"
#include "bypass/events.h"

namespace bypass {

/* Zero-config mode (`--vdev net_bypass` without backup=/active=): like
 * Linux creating a failover master for each virtio device that offers
 * STANDBY, one bypass port per such virtio port, named
 * <vdev name>_<virtio port name>; the port with the same MAC joins it as
 * the active sub-port, whether it is there already or appears later.
 *
 * The application's ports are looked at from the pairing's own thread
 * while the application may close them: only through
 * EventHub::inspect(), which ethdev's freeing of a port waits for, and
 * never by calling a port's ops (a bypass port's could be waiting for
 * this very thread). */
class Pairing final : public EventListener {
public:
	/* virtio_user_standby: take virtio_user ports as offering STANDBY;
	 * vf: what the VFs will have, for every port it creates. */
	Pairing(rte_vdev_device *vdev, bool virtio_user_standby, const VfDeclared &vf)
	    : vdev_(vdev), user_standby_(virtio_user_standby), vf_(vf)
	{
	}
	/* Pairs the ports that exist, then follows NEW events. */
	int start();

	/* On the probing thread: only posts. */
	void on_port_new(uint16_t port) override;
	void on_removal_request(uint16_t, Removal) override {}
	void on_port_destroyed(uint16_t) override {}
	void on_port_link(uint16_t) override {}

private:
	void consider(uint16_t port, unsigned tries);
	int create_for(uint16_t virtio_port, const std::string &virtio_name);

	rte_vdev_device *vdev_;
	bool user_standby_;
	VfDeclared vf_;
	ControlThread ctl_;
	/* Declared last: unsubscribed before the thread its events post to stops. */
	std::unique_ptr<EventSubscription> events_;
};

} // namespace bypass
