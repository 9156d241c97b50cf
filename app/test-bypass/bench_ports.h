/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <string>
#include <vector>

#include <rte_mempool.h>

namespace bench {

/* Every contender is made of the same sub-ports, net_null vdevs, so it
 * differs only by the PMD on top: "direct" is one sub-port alone. With
 * `silent`, the sub-ports receive nothing (net_null no-rx=1), for the cost
 * of an empty poll; otherwise every rx burst returns a full burst of
 * freshly allocated mbufs and tx frees what it is given. */
struct Contender {
	std::string name; /* direct, net_bypass, net_failsafe, net_bonding */
	uint16_t port;
};

/* Starts EAL (512 MB of hugepages, or of 4 KiB pages with `small_pages`;
 * three lcores on two CPUs); returns what rte_eal_init() returns. */
int eal_init(int argc, char **argv, const char *prefix, bool small_pages = false);

rte_mempool *make_pool(const char *name, unsigned n);

/* Creates, configures (1 queue pair, 512 descriptors) and starts. */
Contender make_contender(const std::string &kind, bool silent, rte_mempool *pool);
std::vector<std::string> contender_kinds();

/* The realistic contenders: the sub-port is the client end of a net_memif
 * link whose server end, in the same process, is `feeder` (what it
 * transmits the contender receives, copied as between two processes).
 * net_bypass and net_failsafe add an empty net_null backup; "direct" is
 * net_bypass's own active sub-port, polled directly: the same queue. */
struct Fed {
	std::string name; /* direct, net_bypass, net_failsafe */
	uint16_t port;
	uint16_t feeder;
};
constexpr const char *MEMIF_MAC = "02:00:00:00:be:01";
std::vector<Fed> make_memif_contenders(rte_mempool *pool);

/* A net_bypass port's active sub-port: "direct" is measured on it. */
uint16_t active_of(uint16_t port);

/* Configures and starts any port with one queue pair. */
int start_port(uint16_t port, rte_mempool *pool);

} // namespace bench
