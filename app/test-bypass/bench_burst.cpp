/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bypass-bench-burst: TSC cycles per rx and tx burst for the same net_null
 * sub-ports seen directly and through net_bypass, net_failsafe and
 * net_bonding (mode 1), measured in one process (Google Benchmark).
 *
 *   RxEmpty/<contender>    rx burst with nothing to receive (no-rx=1)
 *   Rx32/<contender>       rx burst of 32 (net_null allocates them)
 *   Tx32/<contender>       tx burst of 32 (net_null frees them)
 *
 * Counter "cycles" is per burst, TSC read overhead subtracted.
 *
 * With --instructions=<contender> it instead forwards 100000 bursts (rx
 * then tx, as testpmd's io mode) for `valgrind --tool=callgrind
 * --collect-atstart=no`, which counts only that loop: instructions per
 * packet, repeatable whatever else the machine does.
 */
#include <cstring>
#include <map>
#include <string>

#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <valgrind/callgrind.h>

#include "bench_ports.h"

namespace {

constexpr uint16_t BURST = 32;
rte_mempool *pool;
std::map<std::string, uint16_t> silent_ports, ports;
uint64_t tsc_overhead;

uint64_t measure_tsc_overhead()
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 10000; i++) {
		const uint64_t t0 = rte_rdtsc_precise();
		const uint64_t t1 = rte_rdtsc_precise();
		best = std::min(best, t1 - t0);
	}
	return best;
}

void report(benchmark::State &state, uint64_t cycles, uint64_t bursts)
{
	state.counters["cycles"] =
	    bursts != 0 ? double(cycles) / double(bursts) - double(tsc_overhead) : 0;
}

/* One rx burst, timed; what it returned is freed untimed. */
void rx(benchmark::State &state, uint16_t port)
{
	rte_mbuf *pkts[BURST];
	uint64_t cycles = 0, bursts = 0;
	for (auto _ : state) {
		const uint64_t t0 = rte_rdtsc_precise();
		const uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);
		cycles += rte_rdtsc_precise() - t0;
		bursts++;
		rte_pktmbuf_free_bulk(pkts, n);
	}
	report(state, cycles, bursts);
}

void RxEmpty(benchmark::State &state, const std::string &kind)
{
	rx(state, silent_ports.at(kind));
}

void Rx32(benchmark::State &state, const std::string &kind)
{
	rx(state, ports.at(kind));
}

void Tx32(benchmark::State &state, const std::string &kind)
{
	const uint16_t port = ports.at(kind);
	rte_mbuf *pkts[BURST];
	uint64_t cycles = 0, bursts = 0;
	for (auto _ : state) {
		if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0) {
			state.SkipWithError("mempool exhausted");
			break;
		}
		const uint64_t t0 = rte_rdtsc_precise();
		const uint16_t sent = rte_eth_tx_burst(port, 0, pkts, BURST);
		cycles += rte_rdtsc_precise() - t0;
		bursts++;
		if (sent < BURST)
			rte_pktmbuf_free_bulk(pkts + sent, BURST - sent);
	}
	report(state, cycles, bursts);
}

/* What testpmd's io forwarding does: rx a burst, tx it. */
int count_instructions(const std::string &kind)
{
	const uint16_t port = ports.at(kind);
	rte_mbuf *pkts[BURST];
	constexpr int BURSTS = 100000;
	uint64_t packets = 0;
	CALLGRIND_TOGGLE_COLLECT;
	for (int i = 0; i < BURSTS; i++) {
		const uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);
		const uint16_t sent = rte_eth_tx_burst(port, 0, pkts, n);
		if (sent < n)
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		packets += n;
	}
	CALLGRIND_TOGGLE_COLLECT;
	printf("instructions: %s %lu packets\n", kind.c_str(), (unsigned long)packets);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	if (bench::eal_init(argc, argv, "bypass-bench-burst") < 0)
		return 1;
	pool = bench::make_pool("bench", 8191);
	for (const std::string &kind : bench::contender_kinds()) {
		silent_ports[kind] = bench::make_contender(kind, true, pool).port;
		ports[kind] = bench::make_contender(kind, false, pool).port;
	}
	tsc_overhead = measure_tsc_overhead();

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--instructions=", 15) == 0)
			return count_instructions(argv[i] + 15);
	}
	for (const std::string &kind : bench::contender_kinds()) {
		benchmark::RegisterBenchmark(("RxEmpty/" + kind).c_str(), RxEmpty, kind);
		benchmark::RegisterBenchmark(("Tx32/" + kind).c_str(), Tx32, kind);
		benchmark::RegisterBenchmark(("Rx32/" + kind).c_str(), Rx32, kind);
	}
	benchmark::Initialize(&argc, argv);
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
