/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bypass-bench-burst: TSC cycles per rx and tx burst for the same sub-ports
 * seen directly and through net_bypass, net_failsafe and net_bonding (mode
 * 1), measured in one process (Google Benchmark). In each benchmark the
 * contenders take turns, BLOCK bursts each, so that drift and the state of
 * the caches hit them alike.
 *
 *   RxEmpty     rx burst with nothing to receive (net_null no-rx=1)
 *   Rx32        rx burst of 32 over net_null (which allocates them)
 *   Tx32        tx burst of 32 over net_null (which frees them)
 *   Rx32Memif   rx burst of 32 over net_memif: its server end, in this
 *               process, transmits 32 frames of 64 bytes (untimed), the
 *               contender receives them (a copy a packet, as between VMs)
 *   Fwd32       rx burst then tx of what it got, as testpmd's io forwarding,
 *               over net_null
 *   Fwd32Memif  the same over net_memif (what the contender sends back
 *               reaches the server end, drained untimed)
 *
 * Counters: "<contender>" cycles per burst, TSC read overhead subtracted;
 * "<contender>_pkts" packets per burst; "<contender>_over_direct" its
 * cycles per burst over direct's, paired by iteration (see report()).
 * Rx32 and Rx32Memif also time "direct_stamp": direct's burst followed by
 * the loop with which net_bypass stamps mbuf->port, done here, which
 * isolates the stamp.
 * --pages=4k runs on 4 KiB pages instead of hugepages (a control, see
 * doc/performance.md). The context holds tsc_hz.
 *
 * With --instructions=<contender> it instead forwards 100000 bursts (rx
 * then tx, as testpmd's io mode) for `valgrind --tool=callgrind
 * --collect-atstart=no`, which counts only that loop: instructions per
 * packet, repeatable whatever else the machine does.
 */
#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <valgrind/callgrind.h>

#include "bench_ports.h"

namespace {

constexpr uint16_t BURST = 32;
constexpr int BLOCK = 64;
rte_mempool *pool;
std::map<std::string, uint16_t> silent_ports, ports;
std::vector<bench::Fed> fed;
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

/* Cycles and packets of one contender over a benchmark's iterations, and
 * its cycles per burst in each of its blocks. */
struct Tally {
	uint64_t cycles = 0, bursts = 0, packets = 0;
	std::vector<double> blocks;

	/* A burst timed from `t0`, which moved `n` packets. */
	void add(uint64_t t0, uint16_t n)
	{
		cycles += rte_rdtsc_precise() - t0;
		bursts++;
		packets += n;
	}
};
using Contenders = std::vector<std::pair<std::string, std::function<void(Tally &)>>>;

double median(std::vector<double> v)
{
	if (v.empty())
		return 0;
	std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
	return v[v.size() / 2];
}

/* "<c>": mean cycles per burst; "<c>_pkts": packets per burst;
 * "<c>_over_direct": the median, over iterations, of its block's cycles
 * per burst minus direct's block in the same iteration. The pairing and
 * the median keep a block that an interrupt or the mempool slowed from
 * moving the difference. */
void report(benchmark::State &state, const std::map<std::string, Tally> &tallies)
{
	const auto direct = tallies.find("direct");
	for (const auto &[name, t] : tallies) {
		if (t.bursts == 0)
			continue;
		state.counters[name] = double(t.cycles) / double(t.bursts) - double(tsc_overhead);
		state.counters[name + "_pkts"] = double(t.packets) / double(t.bursts);
		if (direct == tallies.end() || name == "direct")
			continue;
		std::vector<double> diff;
		for (size_t i = 0; i < t.blocks.size() && i < direct->second.blocks.size(); i++)
			diff.push_back(t.blocks[i] - direct->second.blocks[i]);
		state.counters[name + "_over_direct"] = median(std::move(diff));
	}
}

/* One timed rx burst on `port`, what it returned freed untimed. */
template <bool Stamp> void rx_once(uint16_t port, Tally &t)
{
	rte_mbuf *pkts[BURST];
	const uint64_t t0 = rte_rdtsc_precise();
	const uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);
	if constexpr (Stamp) {
		for (uint16_t i = 0; i < n; i++)
			pkts[i]->port = port;
	}
	t.add(t0, n);
	rte_pktmbuf_free_bulk(pkts, n);
}

/* Runs `one` for each contender in turn, BLOCK times each. */
void interleaved(benchmark::State &state, const Contenders &contenders)
{
	std::map<std::string, Tally> tallies;
	for (auto _ : state) {
		for (const auto &[name, one] : contenders) {
			Tally &t = tallies[name];
			const uint64_t before = t.cycles;
			for (int i = 0; i < BLOCK; i++)
				one(t);
			t.blocks.push_back(double(t.cycles - before) / BLOCK);
		}
	}
	report(state, tallies);
}

/* Every contender of `of`, each doing `once` on its port. */
Contenders each(const std::map<std::string, uint16_t> &of, void (*once)(uint16_t, Tally &))
{
	Contenders c;
	for (const auto &[name, port] : of)
		c.emplace_back(name, [port = port, once](Tally &t) { once(port, t); });
	return c;
}

void RxEmpty(benchmark::State &state)
{
	interleaved(state, each(silent_ports, rx_once<false>));
}

void Rx32(benchmark::State &state)
{
	Contenders c = each(ports, rx_once<false>);
	c.emplace_back("direct_stamp",
		       [port = ports.at("direct")](Tally &t) { rx_once<true>(port, t); });
	interleaved(state, c);
}

void alloc_burst(rte_mbuf *(&pkts)[BURST])
{
	if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0)
		throw std::runtime_error("mempool exhausted");
}

/* What tx did not take is freed, untimed. */
void free_unsent(rte_mbuf **pkts, uint16_t n, uint16_t sent)
{
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
}

void tx_once(uint16_t port, Tally &t)
{
	rte_mbuf *pkts[BURST];
	alloc_burst(pkts);
	const uint64_t t0 = rte_rdtsc_precise();
	const uint16_t sent = rte_eth_tx_burst(port, 0, pkts, BURST);
	t.add(t0, sent);
	free_unsent(pkts, BURST, sent);
}

void Tx32(benchmark::State &state)
{
	interleaved(state, each(ports, tx_once));
}

/* The feeder transmits a burst of 64-byte frames; untimed. */
void feed(uint16_t feeder)
{
	rte_mbuf *pkts[BURST];
	alloc_burst(pkts);
	for (rte_mbuf *m : pkts) {
		auto *eth = reinterpret_cast<rte_ether_hdr *>(rte_pktmbuf_append(m, 64));
		memset(eth, 0, 64);
		rte_ether_unformat_addr(bench::MEMIF_MAC, &eth->dst_addr);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	}
	free_unsent(pkts, BURST, rte_eth_tx_burst(feeder, 0, pkts, BURST));
}

/* Every memif contender, each doing `once` on its port and feeder. */
Contenders each_fed(void (*once)(const bench::Fed &, Tally &))
{
	Contenders c;
	for (const bench::Fed &f : fed)
		c.emplace_back(f.name, [f, once](Tally &t) { once(f, t); });
	return c;
}

/* The feeder sends, the contender receives. */
template <bool Stamp> void fed_rx(const bench::Fed &f, Tally &t)
{
	feed(f.feeder);
	rx_once<Stamp>(f.port, t);
}

void Rx32Memif(benchmark::State &state)
{
	Contenders c = each_fed(fed_rx<false>);
	for (const bench::Fed &f : fed) {
		if (f.name == "direct")
			c.emplace_back("direct_stamp", [f](Tally &t) { fed_rx<true>(f, t); });
	}
	interleaved(state, c);
}

/* One timed forward, as testpmd's io mode: rx a burst, tx it back out
 * unless it is empty (as testpmd; memif's tx reads a first mbuf even
 * then). */
void fwd_once(uint16_t port, Tally &t)
{
	rte_mbuf *pkts[BURST];
	const uint64_t t0 = rte_rdtsc_precise();
	const uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);
	const uint16_t sent = n > 0 ? rte_eth_tx_burst(port, 0, pkts, n) : 0;
	t.add(t0, n);
	free_unsent(pkts, n, sent);
}

void Fwd32(benchmark::State &state)
{
	interleaved(state, each(ports, fwd_once));
}

/* What the contender forwarded back reaches the feeder; freed untimed. */
void drain(uint16_t feeder)
{
	rte_mbuf *pkts[BURST];
	while (uint16_t n = rte_eth_rx_burst(feeder, 0, pkts, BURST))
		rte_pktmbuf_free_bulk(pkts, n);
}

/* The feeder sends, the contender forwards back, the feeder drains. */
void fed_fwd(const bench::Fed &f, Tally &t)
{
	feed(f.feeder);
	fwd_once(f.port, t);
	drain(f.feeder);
}

void Fwd32Memif(benchmark::State &state)
{
	interleaved(state, each_fed(fed_fwd));
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
		free_unsent(pkts, n, rte_eth_tx_burst(port, 0, pkts, n));
		packets += n;
	}
	CALLGRIND_TOGGLE_COLLECT;
	printf("instructions: %s %lu packets\n", kind.c_str(), (unsigned long)packets);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	bool small_pages = false;
	const char *instructions = nullptr;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pages=4k") == 0)
			small_pages = true;
		else if (strncmp(argv[i], "--instructions=", 15) == 0)
			instructions = argv[i] + 15;
	}
	if (bench::eal_init(argc, argv, "bypass-bench-burst", small_pages) < 0)
		return 1;
	pool = bench::make_pool("bench", 16383);
	for (const std::string &kind : bench::contender_kinds()) {
		if (kind == "direct")
			continue;
		silent_ports[kind] = bench::make_contender(kind, true, pool).port;
		ports[kind] = bench::make_contender(kind, false, pool).port;
	}
	/* Direct is net_bypass's own active sub-port: the same queue. */
	silent_ports["direct"] = bench::active_of(silent_ports.at("net_bypass"));
	ports["direct"] = bench::active_of(ports.at("net_bypass"));
	tsc_overhead = measure_tsc_overhead();
	if (instructions != nullptr)
		return count_instructions(instructions);
	fed = bench::make_memif_contenders(pool);

	benchmark::AddCustomContext("tsc_hz", std::to_string(rte_get_tsc_hz()));
	benchmark::AddCustomContext("pages", small_pages ? "4k" : "2M");
	benchmark::RegisterBenchmark("RxEmpty", RxEmpty);
	benchmark::RegisterBenchmark("Tx32", Tx32);
	benchmark::RegisterBenchmark("Rx32", Rx32);
	benchmark::RegisterBenchmark("Rx32Memif", Rx32Memif);
	benchmark::RegisterBenchmark("Fwd32", Fwd32);
	benchmark::RegisterBenchmark("Fwd32Memif", Fwd32Memif);
	benchmark::Initialize(&argc, argv);
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
