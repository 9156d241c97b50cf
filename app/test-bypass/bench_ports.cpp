/* SPDX-License-Identifier: BSD-3-Clause */
#include "bench_ports.h"

#include <stdexcept>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_pmd_bypass.h>

#include "dpdk_compat.h"

namespace bench {

int eal_init(int argc, char **argv, const char *prefix, bool small_pages)
{
	std::vector<std::string> args = {argv[0], "--lcores", "0@0,1@1,2@1", "-m", "512",
					 "--no-pci", "--file-prefix", prefix, "--log-level",
					 "pmd.net.bypass:warning"};
	/* Without hugepages every 2368-byte mbuf gets a 4 KiB page of its own
	 * (doc/performance.md): kept as a control, never as the figure. */
	args.push_back(small_pages ? "--no-huge" : "--huge-unlink");
	std::vector<char *> eal_argv;
	for (auto &a : args)
		eal_argv.push_back(a.data());
	(void)argc;
	return rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data());
}

rte_mempool *make_pool(const char *name, unsigned n)
{
	rte_mempool *mp =
	    rte_pktmbuf_pool_create(name, n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == nullptr)
		throw std::runtime_error("cannot create mbuf pool");
	return mp;
}

int start_port(uint16_t port, rte_mempool *pool)
{
	rte_eth_conf conf{};
	int ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, 512, rte_socket_id(), nullptr, pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, 512, rte_socket_id(), nullptr);
	return ret == 0 ? rte_eth_dev_start(port) : ret;
}

/* Measure the fast path, not the moment before tx found the VF. */
static void wait_on_active(uint16_t port)
{
	rte_pmd_bypass_state s{};
	for (int i = 0; i < 1000 && !(rte_pmd_bypass_state_get(port, &s) == 0 && s.on_active); i++)
		rte_delay_ms(1);
	if (!s.on_active)
		throw std::runtime_error("net_bypass never moved tx to its active sub-port");
}

uint16_t active_of(uint16_t port)
{
	rte_pmd_bypass_state s{};
	if (rte_pmd_bypass_state_get(port, &s) != 0 || s.active_port == RTE_MAX_ETHPORTS)
		throw std::runtime_error("net_bypass port has no active sub-port");
	return s.active_port;
}

std::vector<std::string> contender_kinds()
{
	return {"direct", "net_bypass", "net_failsafe", "net_bonding"};
}

Contender make_contender(const std::string &kind, bool silent, rte_mempool *pool)
{
	const std::string tag = silent ? "s" : "f";
	const std::string sub_args = silent ? "no-rx=1" : "";
	auto sub = [&](const char *role) {
		const std::string name = "net_null_" + tag + kind.substr(4, 2) + role;
		if (rte_vdev_init(name.c_str(), sub_args.c_str()) != 0)
			throw std::runtime_error("cannot create " + name);
		return name;
	};
	std::string dev, args;
	if (kind == "direct") {
		dev = sub("d");
	} else if (kind == "net_bypass") {
		dev = "net_bypass_" + tag;
		args = "backup=" + sub("b") + ",active=" + sub("a");
	} else if (kind == "net_failsafe") {
		dev = "net_failsafe_" + tag;
		args = "dev(net_null_" + tag + "fa," + sub_args + "),dev(net_null_" + tag + "fb," +
		       sub_args + ")";
	} else if (kind == "net_bonding") {
		const std::string a = sub("a"), b = sub("b");
		dev = "net_bonding_" + tag;
		const std::string member = bypass::compat::BOND_MEMBER;
		args = "mode=1," + member + "=" + a + "," + member + "=" + b + ",primary=" + a;
	} else {
		throw std::runtime_error("unknown contender " + kind);
	}
	if (!args.empty() || kind != "direct") {
		if (rte_vdev_init(dev.c_str(), args.c_str()) != 0)
			throw std::runtime_error("cannot create " + dev);
	}
	uint16_t port;
	if (rte_eth_dev_get_port_by_name(dev.c_str(), &port) != 0 || start_port(port, pool) != 0)
		throw std::runtime_error("cannot start " + dev);
	if (kind == "net_bypass")
		wait_on_active(port);
	return {kind, port};
}

namespace {

void vdev(const std::string &name, const std::string &args)
{
	if (rte_vdev_init(name.c_str(), args.c_str()) != 0)
		throw std::runtime_error("cannot create " + name + "," + args);
}

uint16_t port_of(const std::string &name)
{
	uint16_t port;
	if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0)
		throw std::runtime_error("no port " + name);
	return port;
}

} // namespace

std::vector<Fed> make_memif_contenders(rte_mempool *pool)
{
	/* One memif link per stack, both ends in this process: the server
	 * end feeds, the client end is the sub-port, with the MAC. */
	auto link = [&](const std::string &tag) {
		const std::string sock =
		    "/run/bypass-bench-" + std::to_string(getpid()) + "-" + tag + ".sock";
		vdev("net_memif_s" + tag, "role=server,id=0,socket=" + sock);
		return std::make_pair("net_memif_s" + tag, "role=client,id=0,socket=" + sock +
								",mac=" + MEMIF_MAC);
	};
	auto start = [&](const std::string &server, const std::string &dev) {
		const uint16_t feeder = port_of(server), port = port_of(dev);
		if (start_port(feeder, pool) != 0 || start_port(port, pool) != 0)
			throw std::runtime_error("cannot start " + dev);
		rte_eth_link l{};
		for (int i = 0; i < 2000 && l.link_status != RTE_ETH_LINK_UP; i++) {
			rte_delay_ms(1);
			if (rte_eth_link_get_nowait(feeder, &l) != 0)
				l = rte_eth_link{};
		}
		if (l.link_status != RTE_ETH_LINK_UP)
			throw std::runtime_error("memif " + server + " never connected");
		return std::make_pair(port, feeder);
	};
	std::vector<Fed> fed;
	/* The backup is polled and empty, as virtio is while the VF is up. */
	const auto [bserver, bclient] = link("by");
	vdev("net_memif_cby", bclient);
	vdev("net_null_mby", "no-rx=1");
	vdev("net_bypass_m", "backup=net_null_mby,active=net_memif_cby");
	const auto [bport, bfeeder] = start(bserver, "net_bypass_m");
	wait_on_active(bport);
	fed.push_back({"direct", active_of(bport), bfeeder});
	fed.push_back({"net_bypass", bport, bfeeder});
	const auto [fserver, fclient] = link("fs");
	vdev("net_failsafe_m", "dev(net_memif_cfs," + fclient + "),dev(net_null_mfs,no-rx=1)");
	const auto [fport, ffeeder] = start(fserver, "net_failsafe_m");
	fed.push_back({"net_failsafe", fport, ffeeder});
	return fed;
}

} // namespace bench
