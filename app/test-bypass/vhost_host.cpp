/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bypass-vhost-host: the hypervisor's side of a guest's virtio-net device,
 * as a vhost-user backend (rte_vhost's built-in net device), echoing every
 * packet the guest sends back to it. Each socket is served one of two ways:
 *
 *   --socket PATH     with rte_vhost's own feature set;
 *   --failover PATH   also offering what QEMU offers a failover guest
 *                     (VIRTIO_NET_F_STANDBY, VLAN filter, MAC table),
 *                     through a relay (vhost_relay.h);
 *   --vf PATH         the failover socket before it has a VF: a memif
 *                     server on socket PATH, plugged, as QEMU does, only
 *                     once the guest negotiated STANDBY; it echoes too;
 *   --vf-guest NAME   the guest's device for that VF, named in the removal
 *                     uevent (below);
 *   --traffic PPS     send the guest sequence-numbered frames at PPS, over
 *                     the VF while it is plugged and up, over virtio
 *                     otherwise, and report their echoes (lab_traffic.h);
 *                     the summary line comes at exit (SIGINT).
 *
 * Commands on standard input, one a line, play a migration:
 *   unplug   withdraw the VFs: a kernel-style "remove" uevent names the
 *            guest's device (the EAL device monitor turns it into
 *            RTE_DEV_EVENT_REMOVE, as for a PCI VF the hypervisor
 *            unplugs); once the guest let go, the memif server goes;
 *   plug     offer them again;
 *   start, stop   the traffic of --traffic;
 *   restart-vhost the failover sockets' vhost-user backends go away and
 *            come back (the guest's virtio device loses its backend).
 *
 * It prints what each guest negotiated, "(STANDBY yes|no)" included, and
 * every plug and unplug.
 */
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "lab_traffic.h"
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
/* rte_vhost socket -> the memif socket of its VF, not plugged yet. */
std::map<std::string, std::string> vf_sockets;
/* VFs to plug, handed from rte_vhost's thread to the main loop. */
std::mutex plug_lock;
std::vector<std::string> to_plug;
struct Vf {
	std::string socket;
	std::string name;
	uint16_t port;
};
std::vector<Vf> vfs;
std::vector<std::string> unplugged;
std::string vf_guest_device;
unsigned vf_count;

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
	const bool standby = features & (1ULL << VIRTIO_NET_F_STANDBY);
	printf("vhost-host: %s: guest negotiated features 0x%" PRIx64 " (STANDBY %s)\n",
	       guest_path.c_str(), features, standby ? "yes" : "no");
	auto vf = vf_sockets.find(path);
	if (vf != vf_sockets.end()) {
		if (standby) {
			std::lock_guard<std::mutex> lock(plug_lock);
			to_plug.push_back(vf->second);
			vf_sockets.erase(vf);
		} else {
			printf("vhost-host: %s: not plugging the VF: the guest did not negotiate "
			       "STANDBY\n",
			       guest_path.c_str());
		}
	}
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

/* The vhost-user backend goes away and comes back, as when the hypervisor's
 * vhost process restarts: the guest's virtio device loses its backend. */
void restart_vhost()
{
	std::vector<std::string> paths;
	for (unsigned vid = 0; vid < MAX_VIDS; vid++)
		running[vid].store(false);
	for (const auto &relay : relays)
		paths.push_back(relay.first);
	for (const std::string &path : paths) {
		rte_vhost_driver_unregister(path.c_str());
		if (rte_vhost_driver_register(path.c_str(), 0) != 0 ||
		    rte_vhost_driver_callback_register(path.c_str(), &device_ops) != 0 ||
		    rte_vhost_driver_start(path.c_str()) != 0)
			printf("vhost-host: cannot restart %s\n", path.c_str());
		else
			printf("vhost-host: vhost backend restarted: %s\n", path.c_str());
	}
	fflush(stdout);
}

/* The VF: a memif server the guest's memif client connects to. */
void plug_vf(const std::string &socket, rte_mempool *pool)
{
	const std::string name = "net_memif_vf" + std::to_string(vf_count++);
	uint16_t port;
	rte_eth_conf conf{};
	if (rte_vdev_init(name.c_str(),
			  ("role=server,socket-abstract=no,socket=" + socket).c_str()) != 0 ||
	    rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0 ||
	    rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 1024, rte_socket_id(), nullptr, pool) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 1024, rte_socket_id(), nullptr) != 0 ||
	    rte_eth_dev_start(port) != 0) {
		printf("vhost-host: cannot plug the VF on %s\n", socket.c_str());
		return;
	}
	vfs.push_back({socket, name, port});
	printf("vhost-host: VF plugged: memif server on %s\n", socket.c_str());
	fflush(stdout);
}

/* What the kernel broadcasts when a PCI device goes away, naming the
 * guest's device; EAL's device event monitor listens for it. */
void send_removal_uevent(const std::string &device)
{
	const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return;
	const std::string msg = "remove@/devices/" + device + '\0' + "ACTION=remove" + '\0' +
				"SUBSYSTEM=vfio" + '\0' + "PCI_SLOT_NAME=" + device + '\0';
	sockaddr_nl dst{};
	dst.nl_family = AF_NETLINK;
	dst.nl_groups = 1; /* the kernel's uevent group */
	sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr *>(&dst), sizeof(dst));
	close(fd);
}

void unplug_vfs()
{
	/* As QEMU does: ask the guest to let go, wait until it did (its memif
	 * client disconnects), then take the device away. A memif peer that
	 * vanishes under a bursting client can crash it, like a surprise
	 * removal; and the guest re-probes its VF only later. */
	if (!vf_guest_device.empty())
		send_removal_uevent(vf_guest_device);
	for (const Vf &vf : vfs) {
		rte_eth_link link{};
		for (int ms = 0; ms < 1000; ms++) {
			if (rte_eth_link_get_nowait(vf.port, &link) == 0 &&
			    link.link_status == RTE_ETH_LINK_DOWN)
				break;
			rte_delay_ms(1);
		}
		rte_eth_dev_stop(vf.port);
		rte_eth_dev_close(vf.port);
		rte_vdev_uninit(vf.name.c_str());
		unplugged.push_back(vf.socket);
		printf("vhost-host: VF unplugged: %s\n", vf.socket.c_str());
	}
	vfs.clear();
	fflush(stdout);
}

/* Takes the lab's own frames out of `pkts` (freed, recorded); returns how
 * many others are left at the front, to be echoed. */
uint16_t keep_foreign(LabTraffic *traffic, rte_mbuf **pkts, uint16_t n, LabTraffic::Path path)
{
	if (traffic == nullptr)
		return n;
	uint16_t kept = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (traffic->consume(pkts[i], path))
			rte_pktmbuf_free(pkts[i]);
		else
			pkts[kept++] = pkts[i];
	}
	return kept;
}

/* Non-blocking: one command line from standard input, if any. */
void poll_commands(rte_mempool *pool, LabTraffic *traffic)
{
	static std::string line;
	pollfd p{STDIN_FILENO, POLLIN, 0};
	char c;
	while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN) && read(STDIN_FILENO, &c, 1) == 1) {
		if (c != '\n') {
			line.push_back(c);
			continue;
		}
		if (line == "unplug") {
			unplug_vfs();
		} else if (line == "plug") {
			for (const std::string &socket : unplugged)
				plug_vf(socket, pool);
			unplugged.clear();
		} else if (line == "restart-vhost") {
			restart_vhost();
		} else if (line == "start" && traffic != nullptr) {
			traffic->start();
		} else if (line == "stop" && traffic != nullptr) {
			traffic->stop();
		}
		line.clear();
	}
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
	uint64_t traffic_pps = 0;
	for (int i = consumed + 1; i < argc; i++) {
		const bool failover = strcmp(argv[i], "--failover") == 0;
		if ((failover || strcmp(argv[i], "--socket") == 0) && i + 1 < argc) {
			sockets.emplace_back(argv[++i], failover);
		} else if (strcmp(argv[i], "--vf") == 0 && i + 1 < argc && !sockets.empty() &&
			   sockets.back().second) {
			vf_sockets[sockets.back().first + ".vhost"] = argv[++i];
		} else if (strcmp(argv[i], "--vf-guest") == 0 && i + 1 < argc) {
			vf_guest_device = argv[++i];
		} else if (strcmp(argv[i], "--traffic") == 0 && i + 1 < argc) {
			traffic_pps = strtoull(argv[++i], nullptr, 10);
		} else {
			fprintf(stderr, "vhost-host: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (sockets.empty()) {
		fprintf(
		    stderr,
		    "usage: %s <EAL args> -- {--socket PATH | --failover PATH [--vf PATH]} ...\n",
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

	std::unique_ptr<LabTraffic> traffic;
	if (traffic_pps != 0)
		traffic = std::make_unique<LabTraffic>(traffic_pps, pool);
	bool vf_up = false;
	for (unsigned loop = 0; !quit.load(); loop++) {
		if (loop % 1024 == 0) {
			poll_commands(pool, traffic.get());
			rte_eth_link link{};
			vf_up = !vfs.empty() &&
				rte_eth_link_get_nowait(vfs.front().port, &link) == 0 &&
				link.link_status == RTE_ETH_LINK_UP;
			if (traffic)
				traffic->tick();
		}
		{
			std::lock_guard<std::mutex> lock(plug_lock);
			for (const std::string &socket : to_plug)
				plug_vf(socket, pool);
			to_plug.clear();
		}
		int vid_up = -1;
		for (unsigned vid = 0; vid < MAX_VIDS; vid++)
			if (running[vid].load())
				vid_up = vid;
		if (traffic && vid_up >= 0) {
			rte_mbuf *pkts[32];
			const uint16_t n = traffic->generate(pkts, 32);
			if (vf_up) {
				const uint16_t sent =
				    rte_eth_tx_burst(vfs.front().port, 0, pkts, n);
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
			} else {
				rte_vhost_enqueue_burst(vid_up, GUEST_RXQ, pkts, n); /* copies */
				rte_pktmbuf_free_bulk(pkts, n);
			}
		}
		for (const Vf &vf : vfs) {
			rte_mbuf *pkts[32];
			uint16_t n = rte_eth_rx_burst(vf.port, 0, pkts, 32);
			n = keep_foreign(traffic.get(), pkts, n, LabTraffic::VF);
			const uint16_t sent = rte_eth_tx_burst(vf.port, 0, pkts, n);
			if (sent < n)
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		}
		for (unsigned vid = 0; vid < MAX_VIDS; vid++) {
			if (!running[vid].load())
				continue;
			rte_mbuf *pkts[32];
			uint16_t n = rte_vhost_dequeue_burst(vid, GUEST_TXQ, pool, pkts, 32);
			n = keep_foreign(traffic.get(), pkts, n, LabTraffic::VIRTIO);
			if (n == 0)
				continue;
			rte_vhost_enqueue_burst(vid, GUEST_RXQ, pkts, n); /* copies */
			rte_pktmbuf_free_bulk(pkts, n);
		}
	}
	if (traffic)
		traffic->summary();
	for (const auto &socket : sockets)
		rte_vhost_driver_unregister(
		    (socket.second ? socket.first + ".vhost" : socket.first).c_str());
	relays.clear();
	for (const Vf &vf : vfs) {
		rte_eth_dev_stop(vf.port);
		rte_eth_dev_close(vf.port);
	}
	rte_eal_cleanup();
	return 0;
}
