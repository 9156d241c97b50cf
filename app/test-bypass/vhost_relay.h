/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

/*
 * A vhost-user relay between a guest's virtio_user port and rte_vhost's
 * built-in net device, adding the feature bits QEMU offers a failover guest
 * that rte_vhost does not: VIRTIO_NET_F_STANDBY, and the control-queue
 * features virtio_user emulates itself (VLAN filter, MAC table). It adds
 * them to the device's GET_FEATURES answer and takes them out of the
 * guest's SET_FEATURES before rte_vhost sees it, remembering what the guest
 * asked for. (rte_vhost turns its built-in data path off for a socket whose
 * features an application sets, hence a relay.) Every other message, and
 * the file descriptors they carry, pass through unchanged.
 */
class VhostRelay {
public:
	/* Serves `guest_path`; connects to rte_vhost's server at `backend_path`. */
	VhostRelay(std::string guest_path, std::string backend_path);
	~VhostRelay();
	VhostRelay(const VhostRelay &) = delete;
	VhostRelay &operator=(const VhostRelay &) = delete;

	int start();
	/* The features the guest set last, with the relayed bits. */
	uint64_t guest_features() const { return guest_features_.load(); }
	static constexpr uint64_t ADDED =
	    1ULL << 62 /* STANDBY */ | 1ULL << 19 /* CTRL_VLAN */ | 1ULL << 23 /* CTRL_MAC_ADDR */;

private:
	void serve();
	void relay(int guest, int backend);

	std::string guest_path_, backend_path_;
	int listen_fd_ = -1;
	std::atomic<bool> stop_{false};
	std::atomic<uint64_t> guest_features_{0};
	std::thread thread_;
};
