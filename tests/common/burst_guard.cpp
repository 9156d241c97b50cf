/* SPDX-License-Identifier: BSD-3-Clause */
#include "burst_guard.h"

#include <array>
#include <atomic>
#include <cstring>
#include <utility>

#include <ethdev_driver.h>
#include <rte_cycles.h>

namespace bypass_test {

namespace {

/* One port's state; the wrappers know their port id at compile time, as a
 * burst function is given its queue only. */
struct PortState {
	eth_rx_burst_t rx = nullptr;
	eth_tx_burst_t tx = nullptr;
	std::atomic<int> in_burst{0};
	std::atomic<bool> dead{true};
	std::atomic<bool> slow{false};
};

std::array<PortState, RTE_MAX_ETHPORTS> ports;
std::atomic<uint64_t> unsafe_bursts{0};

template <typename Burst>
uint16_t guarded(PortState &s, Burst burst, void *queue, rte_mbuf **pkts, uint16_t n)
{
	s.in_burst.fetch_add(1);
	uint16_t done = 0;
	if (s.dead.load()) {
		unsafe_bursts.fetch_add(1);
	} else {
		if (s.slow.load())
			rte_delay_us_block(BurstGuard::SLOW_US);
		done = burst(queue, pkts, n);
	}
	s.in_burst.fetch_sub(1);
	return done;
}

template <size_t P> uint16_t guarded_rx(void *queue, rte_mbuf **pkts, uint16_t n)
{
	return guarded(ports[P], ports[P].rx, queue, pkts, n);
}

template <size_t P> uint16_t guarded_tx(void *queue, rte_mbuf **pkts, uint16_t n)
{
	return guarded(ports[P], ports[P].tx, queue, pkts, n);
}

template <size_t... P> constexpr auto rx_wrappers(std::index_sequence<P...>)
{
	return std::array<eth_rx_burst_t, sizeof...(P)>{&guarded_rx<P>...};
}

template <size_t... P> constexpr auto tx_wrappers(std::index_sequence<P...>)
{
	return std::array<eth_tx_burst_t, sizeof...(P)>{&guarded_tx<P>...};
}

constexpr auto RX = rx_wrappers(std::make_index_sequence<RTE_MAX_ETHPORTS>{});
constexpr auto TX = tx_wrappers(std::make_index_sequence<RTE_MAX_ETHPORTS>{});

/* On the thread probing the port, before its probe returns: no driver
 * has bound its queues yet. */
int on_new(uint16_t port, rte_eth_event_type, void *, void *)
{
	rte_eth_dev &dev = rte_eth_devices[port];
	if (strncmp(dev.data->name, "net_bypass", strlen("net_bypass")) == 0)
		return 0;
	PortState &s = ports[port];
	s.rx = dev.rx_pkt_burst;
	s.tx = dev.tx_pkt_burst;
	s.slow.store(false);
	s.in_burst.store(0);
	s.dead.store(false);
	dev.rx_pkt_burst = RX[port];
	dev.tx_pkt_burst = TX[port];
	return 0;
}

/* On the thread closing or removing the port, after net_bypass's own
 * DESTROY handler returned: ethdev frees the port when this returns. */
int on_destroy(uint16_t port, rte_eth_event_type, void *, void *)
{
	PortState &s = ports[port];
	if (s.dead.exchange(true))
		return 0; /* not one of ours */
	if (s.in_burst.load() != 0)
		unsafe_bursts.fetch_add(1);
	return 0;
}

} // namespace

BurstGuard::BurstGuard()
{
	unsafe_bursts.store(0);
	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_NEW, on_new, nullptr);
}

void BurstGuard::arm()
{
	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_DESTROY, on_destroy, nullptr);
}

BurstGuard::~BurstGuard()
{
	rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_DESTROY, on_destroy, nullptr);
	rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_NEW, on_new, nullptr);
}

void BurstGuard::slow(uint16_t port, bool on)
{
	ports[port].slow.store(on);
}

uint64_t BurstGuard::unsafe() const
{
	return unsafe_bursts.load();
}

} // namespace bypass_test
