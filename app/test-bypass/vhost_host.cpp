/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bypass-vhost-host: the hypervisor's side of a guest's virtio-net device,
 * as a vhost-user backend (rte_vhost's built-in net device), echoing every
 * packet the guest sends back to it. Each socket is served one of two ways:
 *
 *   --socket PATH     with rte_vhost's own feature set;
 *   --failover PATH   also offering what QEMU offers a failover guest
 *                     (VIRTIO_NET_F_STANDBY, VLAN filter, MAC table),
 *                     through a relay (vhost_relay.h).
 *
 * It prints what each guest negotiated, "(STANDBY yes|no)" included.
 */
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "vhost_relay.h"

namespace {

constexpr unsigned MAX_VIDS = 64;
constexpr uint64_t VIRTIO_NET_F_STANDBY = 62;
constexpr uint16_t GUEST_RXQ = 0; /* vhost enqueues into the guest's rx ring */
constexpr uint16_t GUEST_TXQ = 1;

std::atomic<bool> quit{false};
std::atomic<bool> running[MAX_VIDS];
/* rte_vhost socket -> the relay in front of it, and the guest's path. */
std::map<std::string, std::pair<std::string, std::unique_ptr<VhostRelay>>> relays;

int new_device(int vid)
{
	char path[PATH_MAX] = "";
	rte_vhost_get_ifname(vid, path, sizeof(path));
	uint64_t features = 0;
	std::string guest_path = path;
	auto relay = relays.find(path);
	if (relay != relays.end()) {
		guest_path = relay->second.first;
		features = relay->second.second->guest_features();
	} else {
		rte_vhost_get_negotiated_features(vid, &features);
	}
	printf("vhost-host: %s: guest negotiated features 0x%" PRIx64 " (STANDBY %s)\n",
	       guest_path.c_str(), features,
	       features & (1ULL << VIRTIO_NET_F_STANDBY) ? "yes" : "no");
	fflush(stdout);
	if (vid >= 0 && static_cast<unsigned>(vid) < MAX_VIDS)
		running[vid].store(true);
	return 0;
}

void destroy_device(int vid)
{
	if (vid >= 0 && static_cast<unsigned>(vid) < MAX_VIDS)
		running[vid].store(false);
	printf("vhost-host: device %d gone\n", vid);
	fflush(stdout);
}

const rte_vhost_device_ops device_ops = [] {
	rte_vhost_device_ops ops{};
	ops.new_device = new_device;
	ops.destroy_device = destroy_device;
	return ops;
}();

int serve(const std::string &path, bool failover)
{
	const std::string vhost_path = failover ? path + ".vhost" : path;
	if (rte_vhost_driver_register(vhost_path.c_str(), 0) != 0 ||
	    rte_vhost_driver_callback_register(vhost_path.c_str(), &device_ops) != 0 ||
	    rte_vhost_driver_start(vhost_path.c_str()) != 0)
		return -1;
	uint64_t features = 0;
	rte_vhost_driver_get_features(vhost_path.c_str(), &features);
	if (failover) {
		auto relay = std::make_unique<VhostRelay>(path, vhost_path);
		if (relay->start() != 0)
			return -1;
		relays[vhost_path] = {path, std::move(relay)};
		features |= VhostRelay::ADDED;
	}
	printf("vhost-host: serving %s, offering features 0x%" PRIx64 "\n", path.c_str(), features);
	fflush(stdout);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	const int consumed = rte_eal_init(argc, argv);
	if (consumed < 0) {
		fprintf(stderr, "vhost-host: cannot initialise EAL\n");
		return 1;
	}
	std::vector<std::pair<std::string, bool>> sockets;
	for (int i = consumed + 1; i < argc; i++) {
		const bool failover = strcmp(argv[i], "--failover") == 0;
		if ((failover || strcmp(argv[i], "--socket") == 0) && i + 1 < argc) {
			sockets.emplace_back(argv[++i], failover);
		} else {
			fprintf(stderr, "vhost-host: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (sockets.empty()) {
		fprintf(stderr, "usage: %s <EAL args> -- {--socket|--failover} PATH ...\n",
			argv[0]);
		return 2;
	}
	signal(SIGINT, [](int) { quit.store(true); });
	signal(SIGTERM, [](int) { quit.store(true); });

	rte_mempool *pool = rte_pktmbuf_pool_create("vhost_host", 4095, 256, 0,
						    RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == nullptr) {
		fprintf(stderr, "vhost-host: cannot create mbuf pool\n");
		return 1;
	}
	for (const auto &[path, failover] : sockets) {
		if (serve(path, failover) != 0) {
			fprintf(stderr, "vhost-host: cannot serve %s\n", path.c_str());
			return 1;
		}
	}

	while (!quit.load()) {
		for (unsigned vid = 0; vid < MAX_VIDS; vid++) {
			if (!running[vid].load())
				continue;
			rte_mbuf *pkts[32];
			const uint16_t n = rte_vhost_dequeue_burst(vid, GUEST_TXQ, pool, pkts, 32);
			if (n == 0)
				continue;
			rte_vhost_enqueue_burst(vid, GUEST_RXQ, pkts, n); /* copies */
			rte_pktmbuf_free_bulk(pkts, n);
		}
	}
	for (const auto &socket : sockets)
		rte_vhost_driver_unregister(
		    (socket.second ? socket.first + ".vhost" : socket.first).c_str());
	relays.clear();
	rte_eal_cleanup();
	return 0;
}
