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

/* Starts EAL (--no-huge, three lcores on two CPUs) with the built PMD
 * loaded; returns the number of arguments it consumed, or -1. */
int eal_init(int argc, char **argv, const char *prefix);

rte_mempool *make_pool(const char *name, unsigned n);

/* Creates, configures (1 queue pair, 512 descriptors) and starts. */
Contender make_contender(const std::string &kind, bool silent, rte_mempool *pool);
std::vector<std::string> contender_kinds();

/* Configures and starts any port with one queue pair. */
int start_port(uint16_t port, rte_mempool *pool);

} // namespace bench
