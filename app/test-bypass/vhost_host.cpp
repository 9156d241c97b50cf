/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bypass-vhost-host: the hypervisor's side of a guest's virtio-net device,
 * as a vhost-user backend (rte_vhost). It prints what the guest negotiated
 * and serves each socket in one of two ways:
 *
 *   --socket PATH        rte_vhost's built-in net device: every packet the
 *                        guest sends is echoed back to it;
 *   --config-only PATH   additionally offers what QEMU offers a failover
 *                        guest (MAC table, VLAN filter, STANDBY) but serves
 *                        no packets: rte_vhost switches its built-in net
 *                        device off once an application sets the features.
 *
 * virtio_user handles the control queue itself, so offering the control
 * features is all a backend needs to do for them.
 */
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

namespace {

constexpr unsigned MAX_VIDS = 64;
constexpr uint64_t VIRTIO_NET_F_CTRL_VLAN = 19;
constexpr uint64_t VIRTIO_NET_F_CTRL_MAC_ADDR = 23;
constexpr uint64_t VIRTIO_NET_F_STANDBY = 62;
constexpr uint16_t GUEST_RXQ = 0; /* vhost enqueues into the guest's rx ring */
constexpr uint16_t GUEST_TXQ = 1;

std::atomic<bool> quit{false};
std::atomic<bool> running[MAX_VIDS];

int new_device(int vid)
{
	uint64_t features = 0;
	rte_vhost_get_negotiated_features(vid, &features);
	char path[PATH_MAX] = "";
	rte_vhost_get_ifname(vid, path, sizeof(path));
	printf("vhost-host: %s: guest negotiated features 0x%" PRIx64 " (STANDBY %s)\n", path,
	       features, features & (1ULL << VIRTIO_NET_F_STANDBY) ? "yes" : "no");
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

int serve(const std::string &path, bool config_only)
{
	if (rte_vhost_driver_register(path.c_str(), 0) != 0)
		return -1;
	uint64_t features = 0;
	rte_vhost_driver_get_features(path.c_str(), &features);
	if (config_only) {
		features |= 1ULL << VIRTIO_NET_F_CTRL_VLAN | 1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR |
			    1ULL << VIRTIO_NET_F_STANDBY;
		if (rte_vhost_driver_set_features(path.c_str(), features) != 0)
			return -1;
	}
	if (rte_vhost_driver_callback_register(path.c_str(), &device_ops) != 0 ||
	    rte_vhost_driver_start(path.c_str()) != 0)
		return -1;
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
		const bool config_only = strcmp(argv[i], "--config-only") == 0;
		if ((config_only || strcmp(argv[i], "--socket") == 0) && i + 1 < argc) {
			sockets.emplace_back(argv[++i], config_only);
		} else {
			fprintf(stderr, "vhost-host: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (sockets.empty()) {
		fprintf(stderr, "usage: %s <EAL args> -- {--socket|--config-only} PATH ...\n",
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
	for (const auto &[path, config_only] : sockets) {
		if (serve(path, config_only) != 0) {
			fprintf(stderr, "vhost-host: cannot serve %s\n", path.c_str());
			return 1;
		}
	}

	while (!quit.load()) {
		for (unsigned vid = 0; vid < MAX_VIDS; vid++) {
			if (!running[vid].load())
				continue;
			rte_mbuf *pkts[32];
			/* config-only devices answer 0 here */
			const uint16_t n = rte_vhost_dequeue_burst(vid, GUEST_TXQ, pool, pkts, 32);
			if (n == 0)
				continue;
			rte_vhost_enqueue_burst(vid, GUEST_RXQ, pkts, n); /* copies */
			rte_pktmbuf_free_bulk(pkts, n);
		}
	}
	for (const auto &socket : sockets)
		rte_vhost_driver_unregister(socket.first.c_str());
	rte_eal_cleanup();
	return 0;
}
