/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bypass-bench-switch: how long a switch takes while an lcore transmits
 * flat out, as distributions over many switches. One JSON object per line:
 *
 *   net_bypass    removal event (INTR_RMV) -> first packet taken by the
 *                 backup; NEW event of the re-probed VF -> first packet
 *                 taken by it, and the part of that spent configuring and
 *                 starting the VF (xstat active_management_last_reattach_us)
 *   net_bonding   mode 1 over net_tap slaves: active slave's link set
 *                 down -> first packet on the other slave (it has no way
 *                 to take a new port)
 *   net_failsafe  INTR_RMV of its active sub-device -> first packet on the
 *                 other, run in a child process because it may crash
 *
 *   bypass-bench-switch [switches]      (default 100)
 */
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pmd_bypass.h>

#include "bench_ports.h"
#include "dpdk_compat.h"

namespace {

uint64_t opackets(uint16_t port)
{
	rte_eth_stats st{};
	rte_eth_stats_get(port, &st);
	return st.opackets;
}

/* Transmits flat out. When a sub-port is being watched, it notes the TSC
 * taken just before the first burst after which that sub-port counted
 * more packets: the moment the switch reached the wire, whatever delays
 * the thread that asks. */
struct Sender {
	uint16_t port;
	rte_mempool *pool;
	std::atomic<bool> stop{false};
	std::atomic<uint16_t> watch{RTE_MAX_ETHPORTS};
	std::atomic<uint64_t> watch_base{0};
	std::atomic<uint64_t> hit{0};

	void arm(uint16_t sub)
	{
		hit.store(0);
		watch_base.store(rte_eth_dev_is_valid_port(sub) ? opackets(sub) : 0);
		watch.store(sub);
	}
	uint64_t wait_hit(double timeout_s)
	{
		const uint64_t deadline =
		    rte_get_tsc_cycles() + uint64_t(timeout_s * rte_get_tsc_hz());
		while (hit.load() == 0 && rte_get_tsc_cycles() < deadline)
			rte_pause();
		watch.store(RTE_MAX_ETHPORTS);
		return hit.load();
	}
};

int send_loop(void *arg)
{
	auto *s = static_cast<Sender *>(arg);
	rte_mbuf *pkts[32];
	while (!s->stop.load(std::memory_order_relaxed)) {
		if (rte_pktmbuf_alloc_bulk(s->pool, pkts, 32) != 0)
			continue;
		for (rte_mbuf *m : pkts)
			rte_pktmbuf_append(m, 64);
		const uint64_t t = rte_get_tsc_cycles();
		const uint16_t n = rte_eth_tx_burst(s->port, 0, pkts, 32);
		if (n < 32)
			rte_pktmbuf_free_bulk(pkts + n, 32 - n);
		const uint16_t w = s->watch.load(std::memory_order_acquire);
		if (w != RTE_MAX_ETHPORTS && s->hit.load(std::memory_order_relaxed) == 0 &&
		    rte_eth_dev_is_valid_port(w) && opackets(w) > s->watch_base.load())
			s->hit.store(t);
	}
	return 0;
}

double us(uint64_t cycles)
{
	return double(cycles) * 1e6 / double(rte_get_tsc_hz());
}

void print_series(const char *contender, const char *what, std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	printf("{\"contender\": \"%s\", \"measure\": \"%s\", \"n\": %zu", contender, what,
	       v.size());
	if (!v.empty())
		printf(", \"min\": %.3f, \"median\": %.3f, \"p99\": %.3f, \"max\": %.3f", v.front(),
		       v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)], v.back());
	printf("}\n");
	fflush(stdout);
}

/* A measure a contender does not give, and why. */
void print_none(const char *contender, const char *what, const char *why)
{
	printf("{\"contender\": \"%s\", \"measure\": \"%s\", \"n\": 0, \"note\": \"%s\"}\n",
	       contender, what, why);
	fflush(stdout);
}

/* A contender's port over two sub-ports, found by name and started. */
struct Contender {
	uint16_t port, a, b;
};

Contender start_contender(const char *port, const char *a, const char *b, rte_mempool *pool)
{
	Contender c{};
	rte_eth_dev_get_port_by_name(port, &c.port);
	rte_eth_dev_get_port_by_name(a, &c.a);
	rte_eth_dev_get_port_by_name(b, &c.b);
	bench::start_port(c.port, pool);
	return c;
}

std::atomic<uint64_t> new_tsc{0};
std::atomic<uint16_t> new_port{RTE_MAX_ETHPORTS};

int on_new(uint16_t port, rte_eth_event_type, void *, void *)
{
	new_tsc.store(rte_get_tsc_cycles());
	new_port.store(port);
	return 0;
}

void bench_bypass(rte_mempool *pool, unsigned worker, int switches)
{
	rte_vdev_init("net_null_swb", "no-rx=1");
	uint16_t backup;
	rte_eth_dev_get_port_by_name("net_null_swb", &backup);
	rte_vdev_init("net_bypass_sw", "backup=net_null_swb,active=(net_null_swa,no-rx=1)");
	uint16_t port;
	rte_eth_dev_get_port_by_name("net_bypass_sw", &port);
	bench::start_port(port, pool);
	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_NEW, on_new, nullptr);

	Sender s{port, pool};
	rte_eal_remote_launch(send_loop, &s, worker);
	std::vector<double> to_backup, to_vf, configure;
	rte_pmd_bypass_state st{};
	for (int i = 0; i < switches; i++) {
		/* on the VF and sending */
		while (rte_pmd_bypass_state_get(port, &st) == 0 && !st.on_active)
			rte_pause();
		const uint16_t vf = st.active_port;
		s.arm(vf);
		if (s.wait_hit(5) == 0)
			break;

		s.arm(backup);
		new_port.store(RTE_MAX_ETHPORTS);
		const uint64_t t0 = rte_get_tsc_cycles();
		rte_eth_dev_callback_process(&rte_eth_devices[vf], RTE_ETH_EVENT_INTR_RMV, nullptr);
		const uint64_t t1 = s.wait_hit(5);
		if (t1 == 0)
			break;
		to_backup.push_back(t1 > t0 ? us(t1 - t0) : 0);

		/* The active= devargs are probed again: the new VF's NEW. The
		 * sender watches every port that appears until it is the VF. */
		while (new_port.load() == RTE_MAX_ETHPORTS)
			rte_pause();
		const uint16_t next = new_port.load();
		s.arm(next);
		const uint64_t t3 = s.wait_hit(5);
		if (t3 == 0)
			break;
		to_vf.push_back(us(t3 - new_tsc.load()) / 1000);
		uint64_t id, reattach = 0;
		if (rte_eth_xstats_get_id_by_name(port, "active_management_last_reattach_us", &id) == 0)
			rte_eth_xstats_get_by_id(port, &id, &reattach, 1);
		configure.push_back(double(reattach) / 1000);
	}
	s.stop = true;
	rte_eal_wait_lcore(worker);
	print_series("net_bypass", "event_to_backup_us", to_backup);
	print_series("net_bypass", "new_to_vf_tx_ms", to_vf);
	print_series("net_bypass", "vf_configure_start_ms", configure);
	rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_NEW, on_new, nullptr);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}

void bench_bonding(rte_mempool *pool, unsigned worker, int switches)
{
	/* net_null has no link to take down: net_tap slaves, whose link is
	 * set down as a VF's carrier drops. */
	rte_vdev_init("net_tap_sga", "iface=bpbsga");
	rte_vdev_init("net_tap_sgb", "iface=bpbsgb");
	const std::string member = bypass::compat::BOND_MEMBER;
	const std::string args =
	    "mode=1," + member + "=net_tap_sga," + member + "=net_tap_sgb,primary=net_tap_sga";
	rte_vdev_init("net_bonding_sw", args.c_str());
	const auto [port, a, b] =
	    start_contender("net_bonding_sw", "net_tap_sga", "net_tap_sgb", pool);
	Sender s{port, pool};
	rte_eal_remote_launch(send_loop, &s, worker);
	std::vector<double> to_backup;
	s.arm(a); /* bonding sends once it saw its slaves' links up */
	if (s.wait_hit(5) == 0)
		switches = 0;
	for (int i = 0; i < switches; i++) {
		const uint16_t from = i % 2 == 0 ? a : b, to = i % 2 == 0 ? b : a;
		rte_eth_dev_set_link_up(to);
		rte_delay_ms(20); /* bonding's link monitor polls every 10 ms */
		s.arm(to);
		const uint64_t t0 = rte_get_tsc_cycles();
		rte_eth_dev_set_link_down(from);
		const uint64_t t1 = s.wait_hit(5);
		if (t1 == 0) {
			break;
		}
		to_backup.push_back(t1 > t0 ? us(t1 - t0) : 0);
	}
	s.stop = true;
	rte_eal_wait_lcore(worker);
	if (to_backup.empty())
		print_none("net_bonding", "event_to_backup_us",
			   "sent nothing on its net_tap slaves here: not measured");
	else
		print_series("net_bonding", "event_to_backup_us", to_backup);
	print_none("net_bonding", "new_to_vf_tx_ms", "bonding does not take a hot-plugged port");
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}

/* In a child: failsafe in DPDK 22.11 may crash once a sub-device is removed. */
void bench_failsafe(rte_mempool *pool, unsigned worker)
{
	fflush(stdout);
	const pid_t pid = fork();
	if (pid == 0) {
		rte_vdev_init("net_failsafe_sw",
			      "dev(net_null_sfa,no-rx=1),dev(net_null_sfb,no-rx=1)");
		const auto [port, a, b] =
		    start_contender("net_failsafe_sw", "net_null_sfa", "net_null_sfb", pool);
		Sender s{port, pool};
		rte_eal_remote_launch(send_loop, &s, worker);
		rte_delay_ms(100);
		s.arm(b);
		const uint64_t t0 = rte_get_tsc_cycles();
		rte_eth_dev_callback_process(&rte_eth_devices[a], RTE_ETH_EVENT_INTR_RMV, nullptr);
		const uint64_t t1 = s.wait_hit(5); /* its hot-plug alarm runs every 2 s */
		rte_delay_ms(500);		   /* long enough for the crash seen in 22.11 */
		s.stop = true;
		rte_eal_wait_lcore(worker);
		if (t1 != 0)
			print_series("net_failsafe", "event_to_backup_us", {us(t1 - t0)});
		else
			print_none("net_failsafe", "event_to_backup_us",
				   "tx did not reach the other sub-device within 5 s");
		fflush(stdout);
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status)) {
		const std::string why =
		    "crashed (signal " + std::to_string(WTERMSIG(status)) + ") after INTR_RMV";
		print_none("net_failsafe", "event_to_backup_us", why.c_str());
	}
	print_none("net_failsafe", "new_to_vf_tx_ms",
		   "re-plug is polled every 2 s (hotplug_poll), not measured");
}

} // namespace

int main(int argc, char **argv)
{
	const int switches = argc > 1 ? atoi(argv[argc - 1]) : 100;
	if (bench::eal_init(argc, argv, "bypass-bench-switch") < 0)
		return 1;
	rte_mempool *pool = bench::make_pool("switch", 8191);
	const unsigned worker = rte_get_next_lcore(-1, 1, 0);
	bench_bypass(pool, worker, switches);
	bench_bonding(pool, worker, switches);
	bench_failsafe(pool, worker);
	return 0;
}
