/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bypass-test-secondary-echo: a secondary process bursting on a primary's
 * bypass port, for test_multiprocess. For the milliseconds given after
 * the EAL options and "--", it receives on queue 0 of the port named
 * there and sends what it received back out, then prints
 *   received R, stamped S, sent T
 * (S: those whose mbuf->port is the bypass port's id).
 *
 *   bypass-test-secondary-echo --proc-type=secondary --file-prefix P \
 *       -- net_bypass0 1000 [MARKER]
 *
 * With MARKER, after its first bursts it stops inside one for good: an rx
 * callback on the sub-ports, which the bypass port's burst polls, creates
 * the file MARKER and never returns. The test then kills it there.
 */
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_pmd_bypass.h>

namespace {

/* Runs inside the bypass port's rx burst, which calls the sub-port's. */
uint16_t stop_here(uint16_t, uint16_t, rte_mbuf **, uint16_t, uint16_t, void *marker)
{
	if (FILE *f = fopen(static_cast<const char *>(marker), "w"))
		fclose(f);
	for (;;)
		pause();
}

/* On queue 0 of every port but the bypass port: its sub-ports. */
void stop_in_next_burst(uint16_t bypass, char *marker)
{
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (p != bypass && rte_eth_dev_is_valid_port(p) &&
		    rte_eth_add_rx_callback(p, 0, stop_here, marker) == nullptr)
			fprintf(stderr, "no rx callback on port %u: %s\n", p,
				rte_strerror(rte_errno));
	}
}

} // namespace

int main(int argc, char **argv)
{
	const int eal = rte_eal_init(argc, argv);
	if (eal < 0 || (argc - eal != 3 && argc - eal != 4)) {
		fprintf(stderr, "usage: %s EAL-options -- PORT-NAME MS [MARKER]\n", argv[0]);
		return 2;
	}
	char *marker = argc - eal == 4 ? argv[eal + 3] : nullptr;
	/* Keeps the PMD linked under --as-needed, hence registered. */
	rte_pmd_bypass_state_get(RTE_MAX_ETHPORTS, nullptr);
	uint16_t port;
	if (rte_eth_dev_get_port_by_name(argv[eal + 1], &port) != 0) {
		fprintf(stderr, "no port %s in this process\n", argv[eal + 1]);
		return 1;
	}
	const uint64_t end =
	    rte_get_tsc_cycles() + strtoull(argv[eal + 2], nullptr, 10) * rte_get_tsc_hz() / 1000;
	uint64_t received = 0, stamped = 0, sent = 0;
	rte_mbuf *pkts[32];
	while (rte_get_tsc_cycles() < end) {
		const uint16_t n = rte_eth_rx_burst(port, 0, pkts, 32);
		received += n;
		for (uint16_t i = 0; i < n; i++)
			stamped += pkts[i]->port == port;
		const uint16_t out = rte_eth_tx_burst(port, 0, pkts, n);
		sent += out;
		if (out < n)
			rte_pktmbuf_free_bulk(pkts + out, n - out);
		rte_delay_us_sleep(1000);
		if (marker != nullptr && received > 0) {
			stop_in_next_burst(port, marker);
			marker = nullptr;
		}
	}
	printf("received %llu, stamped %llu, sent %llu\n",
	       static_cast<unsigned long long>(received), static_cast<unsigned long long>(stamped),
	       static_cast<unsigned long long>(sent));
	rte_eal_cleanup();
	return 0;
}
