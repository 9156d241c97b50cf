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
 *   --vf PATH         the failover socket's VF: a memif server on socket
 *                     PATH (lab_vf.h); it echoes too;
 *   --vf-tap IFNAME   or a VF reached through the guest's tap IFNAME, whose
 *                     link the host can flap;
 *   --vf-when WHEN    when the VF is plugged: "standby" (the default), as
 *                     QEMU does, once the guest negotiated STANDBY;
 *                     "command", then only on "plug"; "start", at once,
 *                     before the guest's virtio device is ready;
 *   --vf-guest NAME   the guest's device for that VF, named in the removal
 *                     uevent (uevent.h);
 *   --traffic PPS     send the guest sequence-numbered frames at PPS, over
 *                     the VF while it is plugged and up, over virtio
 *                     otherwise, and report their echoes (lab_traffic.h);
 *                     the summary line comes at exit (SIGINT).
 *
 * Commands on standard input, one a line:
 *   unplug     a planned migration: the removal uevent asks the guest to
 *              let go of its VF, which works until it did, then goes;
 *   surprise   a surprise removal: the VF is dead at once, the uevent
 *              follows, with no link down before it;
 *   plug       offer the VF again (never to a guest without STANDBY);
 *   migrate [MS]  unplug, then plug MS milliseconds later (1000): the
 *              destination offering a VF once the guest is there;
 *   link-down, link-up   the VF's link (a tap VF only);
 *   start, stop   the traffic of --traffic;
 *   restart-vhost the failover sockets' vhost-user backends go away and
 *            come back (the guest's virtio device loses its backend);
 *   status     one line a VF: its state, a deferred or pending plug, and
 *              what its guest negotiated (a test that waited in vain asks).
 *
 * It prints what each guest negotiated, "(STANDBY yes|no)" included, and
 * every plug, unplug and VF link change.
 */
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <poll.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "lab_traffic.h"
#include "lab_vf.h"
#include "uevent.h"
#include "vhost_relay.h"

namespace {

constexpr unsigned MAX_VIDS = 64;
constexpr uint64_t VIRTIO_NET_F_STANDBY = 62;
constexpr uint16_t GUEST_RXQ = 0; /* vhost enqueues into the guest's rx ring */
constexpr uint16_t GUEST_TXQ = 1;
constexpr unsigned IDLE_SLEEP_US = 20;

enum class PlugWhen { standby, command, start };

std::atomic<bool> quit{false};
std::atomic<bool> running[MAX_VIDS];
/* rte_vhost socket -> the relay in front of it, and the guest's path. */
std::map<std::string, std::pair<std::string, std::unique_ptr<VhostRelay>>> relays;

/* A failover socket's VF, and whether its guest negotiated STANDBY. */
struct GuestVf {
	std::unique_ptr<LabVf> vf;
	bool standby = false;
};
std::vector<GuestVf> vfs;
/* rte_vhost socket -> its VF in vfs. */
std::map<std::string, size_t> vf_of_socket;
/* What guests negotiated, handed from rte_vhost's thread to the main loop. */
std::mutex negotiated_lock;
std::vector<std::pair<size_t, bool>> negotiated;
PlugWhen plug_when = PlugWhen::standby;
/* When a migration's destination offers the VF again (0: none pending). */
uint64_t replug_tsc;
std::string vf_guest_device;

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
	auto vf = vf_of_socket.find(path);
	if (vf != vf_of_socket.end()) {
		std::lock_guard<std::mutex> lock(negotiated_lock);
		negotiated.emplace_back(vf->second, standby);
	}
	if (vid >= 0 && static_cast<unsigned>(vid) < MAX_VIDS)
		running[vid].store(true);
	return 0;
}

void destroy_device(int vid)
{
	if (vid >= 0 && static_cast<unsigned>(vid) < MAX_VIDS)
		running[vid].store(false);
	printf("vhost-host: device %d gone\n", vid);
}

const rte_vhost_device_ops device_ops = [] {
	rte_vhost_device_ops ops{};
	ops.new_device = new_device;
	ops.destroy_device = destroy_device;
	return ops;
}();

/* rte_vhost's built-in net device on the socket `path`. */
int start_backend(const std::string &path)
{
	if (rte_vhost_driver_register(path.c_str(), 0) != 0 ||
	    rte_vhost_driver_callback_register(path.c_str(), &device_ops) != 0 ||
	    rte_vhost_driver_start(path.c_str()) != 0)
		return -1;
	return 0;
}

int serve(const std::string &path, bool failover)
{
	const std::string vhost_path = failover ? path + ".vhost" : path;
	if (start_backend(vhost_path) != 0)
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
		if (start_backend(path) != 0)
			printf("vhost-host: cannot restart %s\n", path.c_str());
		else
			printf("vhost-host: vhost backend restarted: %s\n", path.c_str());
	}
}

/* QEMU's rule: a VF only for a guest that negotiated STANDBY. */
void plug(GuestVf &g)
{
	if (g.standby)
		g.vf->plug();
	else
		printf("vhost-host: not plugging the VF on %s: the guest did not negotiate "
		       "STANDBY\n",
		       g.vf->endpoint().c_str());
}

void plug_all()
{
	replug_tsc = 0;
	for (GuestVf &g : vfs)
		plug(g);
}

/* What guests negotiated since the last call. */
void take_negotiations()
{
	std::lock_guard<std::mutex> lock(negotiated_lock);
	for (const auto &[index, standby] : negotiated) {
		GuestVf &g = vfs[index];
		g.standby = standby;
		if (plug_when == PlugWhen::standby)
			plug(g);
	}
	negotiated.clear();
}

void withdraw_vfs(bool surprise)
{
	bool any = false;
	for (GuestVf &g : vfs)
		any |= g.vf->withdraw(surprise);
	if (any && !vf_guest_device.empty())
		send_removal_uevent(vf_guest_device);
}

void set_vf_links(bool up)
{
	for (GuestVf &g : vfs)
		if (!g.vf->set_link(up))
			printf("vhost-host: cannot take the VF link on %s %s\n",
			       g.vf->endpoint().c_str(), up ? "up" : "down");
}

void print_status()
{
	/* A destination plug still to come, in ms (negative: overdue). */
	std::string plug = "none";
	if (replug_tsc != 0)
		plug = "in " +
		       std::to_string(static_cast<int64_t>(replug_tsc - rte_get_tsc_cycles()) *
				      1000 / static_cast<int64_t>(rte_get_tsc_hz())) +
		       " ms";
	for (const GuestVf &g : vfs)
		printf("vhost-host: status: VF %s on %s, plug deferred %s, destination plug %s, "
		       "guest STANDBY %s\n",
		       g.vf->state_name(), g.vf->endpoint().c_str(),
		       g.vf->plug_deferred() ? "yes" : "no", plug.c_str(),
		       g.standby ? "yes" : "no");
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

/* Non-blocking: the command lines on standard input, if any. */
void poll_commands(LabTraffic *traffic)
{
	static std::string line;
	pollfd p{STDIN_FILENO, POLLIN, 0};
	char c;
	while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN) && read(STDIN_FILENO, &c, 1) == 1) {
		if (c != '\n') {
			line.push_back(c);
			continue;
		}
		if (line == "unplug" || line == "surprise") {
			withdraw_vfs(line == "surprise");
		} else if (line == "plug") {
			plug_all();
		} else if (line.rfind("migrate", 0) == 0) {
			const unsigned long ms =
			    line.size() > 8 ? strtoul(line.c_str() + 8, nullptr, 10) : 1000;
			withdraw_vfs(false);
			replug_tsc = rte_get_tsc_cycles() + ms * rte_get_tsc_hz() / 1000;
		} else if (line == "link-down" || line == "link-up") {
			set_vf_links(line == "link-up");
		} else if (line == "restart-vhost") {
			restart_vhost();
		} else if (line == "status") {
			print_status();
		} else if (line == "start" && traffic != nullptr) {
			traffic->start();
		} else if (line == "stop" && traffic != nullptr) {
			traffic->stop();
		} else {
			printf("vhost-host: unknown command '%s'\n", line.c_str());
		}
		line.clear();
	}
}

bool parse_plug_when(const char *s)
{
	if (strcmp(s, "standby") == 0)
		plug_when = PlugWhen::standby;
	else if (strcmp(s, "command") == 0)
		plug_when = PlugWhen::command;
	else if (strcmp(s, "start") == 0)
		plug_when = PlugWhen::start;
	else
		return false;
	return true;
}

/* The frames due now go to the guest over a usable VF, else over virtio;
 * returns how many. No empty burst reaches a memif VF: from 23.03 its tx
 * reads the first mbuf of any burst (a crash on garbage). */
unsigned send_traffic(LabTraffic &traffic, const LabVf *vf, int vid)
{
	rte_mbuf *pkts[32];
	const uint16_t n = traffic.generate(pkts, 32);
	if (n == 0)
		return 0;
	if (vf != nullptr) {
		const uint16_t sent = rte_eth_tx_burst(vf->port(), 0, pkts, n);
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	} else {
		rte_vhost_enqueue_burst(vid, GUEST_RXQ, pkts, n); /* copies */
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return n;
}

/* What the guest sent over its VF goes back to it, the lab's own frames
 * excepted; returns how many came in. Not over a tap VF: the kernel's own
 * frames on that interface (IPv6 neighbour discovery) would bounce
 * between host and guest for ever, each echoing the other. */
unsigned echo(LabTraffic *traffic, const LabVf &vf)
{
	rte_mbuf *pkts[32];
	const uint16_t received = rte_eth_rx_burst(vf.port(), 0, pkts, 32);
	const uint16_t n = keep_foreign(traffic, pkts, received, LabTraffic::VF);
	uint16_t sent = 0;
	if (vf.kind() == LabVf::Kind::memif && n > 0)
		sent = rte_eth_tx_burst(vf.port(), 0, pkts, n);
	rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	return received;
}

/* The same over the guest's virtio device. */
unsigned echo(LabTraffic *traffic, int vid, rte_mempool *pool)
{
	rte_mbuf *pkts[32];
	const uint16_t received = rte_vhost_dequeue_burst(vid, GUEST_TXQ, pool, pkts, 32);
	const uint16_t n = keep_foreign(traffic, pkts, received, LabTraffic::VIRTIO);
	rte_vhost_enqueue_burst(vid, GUEST_RXQ, pkts, n); /* copies */
	rte_pktmbuf_free_bulk(pkts, n);
	return received;
}

} // namespace

int main(int argc, char **argv)
{
	/* Tests and the demo read this log while the host runs: every line
	 * reaches it when printed, whatever stdout is. */
	setvbuf(stdout, nullptr, _IOLBF, 0);
	const int consumed = rte_eal_init(argc, argv);
	if (consumed < 0) {
		fprintf(stderr, "vhost-host: cannot initialise EAL\n");
		return 1;
	}
	std::vector<std::pair<std::string, bool>> sockets;
	std::vector<std::pair<LabVf::Kind, std::string>> vf_specs;
	uint64_t traffic_pps = 0;
	for (int i = consumed + 1; i < argc; i++) {
		const bool failover = strcmp(argv[i], "--failover") == 0;
		const bool tap = strcmp(argv[i], "--vf-tap") == 0;
		if ((failover || strcmp(argv[i], "--socket") == 0) && i + 1 < argc) {
			sockets.emplace_back(argv[++i], failover);
		} else if ((tap || strcmp(argv[i], "--vf") == 0) && i + 1 < argc &&
			   !sockets.empty() && sockets.back().second) {
			vf_of_socket[sockets.back().first + ".vhost"] = vf_specs.size();
			vf_specs.emplace_back(tap ? LabVf::Kind::tap : LabVf::Kind::memif,
					      argv[++i]);
		} else if (strcmp(argv[i], "--vf-when") == 0 && i + 1 < argc &&
			   parse_plug_when(argv[i + 1])) {
			i++;
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
		fprintf(stderr,
			"usage: %s <EAL args> -- {--socket PATH | --failover PATH "
			"[--vf PATH | --vf-tap IFNAME]} ... [--vf-when standby|command|start] "
			"[--vf-guest NAME] [--traffic PPS]\n",
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
	for (const auto &[kind, endpoint] : vf_specs) {
		vfs.push_back({std::make_unique<LabVf>(kind, endpoint, pool)});
		if (plug_when == PlugWhen::start)
			vfs.back().vf->plug();
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
	const LabVf *tx_vf = nullptr;
	const uint64_t control_period = rte_get_tsc_hz() / 1000;
	uint64_t next_control = 0;
	while (!quit.load()) {
		if (rte_get_tsc_cycles() >= next_control) {
			next_control = rte_get_tsc_cycles() + control_period;
			poll_commands(traffic.get());
			take_negotiations();
			if (replug_tsc != 0 && rte_get_tsc_cycles() >= replug_tsc)
				plug_all();
			tx_vf = nullptr;
			for (GuestVf &g : vfs) {
				g.vf->poll();
				if (tx_vf == nullptr && g.vf->usable())
					tx_vf = g.vf.get();
			}
			if (traffic)
				traffic->tick();
		}
		int vid_up = -1;
		for (unsigned vid = 0; vid < MAX_VIDS; vid++)
			if (running[vid].load())
				vid_up = vid;
		unsigned work = 0;
		if (traffic && vid_up >= 0)
			work += send_traffic(*traffic, tx_vf, vid_up);
		for (GuestVf &g : vfs)
			if (g.vf->serving())
				work += echo(traffic.get(), *g.vf);
		for (unsigned vid = 0; vid < MAX_VIDS; vid++)
			if (running[vid].load())
				work += echo(traffic.get(), vid, pool);
		/* Idle: give the CPU back. This machine may have fewer CPUs than
		 * the lab has busy threads, and the guest's control threads,
		 * which handle its hot-plug events, must not wait for it. */
		if (work == 0)
			rte_delay_us_sleep(IDLE_SLEEP_US);
	}
	if (traffic)
		traffic->summary();
	for (const auto &socket : sockets)
		rte_vhost_driver_unregister(
		    (socket.second ? socket.first + ".vhost" : socket.first).c_str());
	relays.clear();
	vfs.clear();
	rte_eal_cleanup();
	return 0;
}
