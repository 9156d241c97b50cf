/* SPDX-License-Identifier: BSD-3-Clause */
#include "ports.h"

#include "eal.h"

#include <cstring>
#include <stdexcept>
#include <thread>

#include <bus_vdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_eth_ring.h>

#include <ethdev_driver.h>
#include <gtest/gtest.h>

namespace bypass_test {

bool wait_until(const std::function<bool()> &done, std::chrono::milliseconds timeout)
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	while (!done()) {
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	return true;
}

Mempool::Mempool(const std::string &name, unsigned n, unsigned cache)
    : mp_(rte_pktmbuf_pool_create(name.c_str(), n, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				  rte_socket_id()))
{
	if (mp_ == nullptr)
		throw std::runtime_error("cannot create mempool " + name);
}

std::vector<rte_mbuf *> Mempool::frames(unsigned n, uint32_t first_seq)
{
	std::vector<rte_mbuf *> pkts(n);
	if (rte_pktmbuf_alloc_bulk(mp_, pkts.data(), n) != 0)
		throw std::runtime_error("mempool exhausted");
	for (unsigned i = 0; i < n; i++) {
		char *data = rte_pktmbuf_append(pkts[i], 64);
		memset(data, 0, 64);
		const uint32_t seq = first_seq + i;
		memcpy(data + sizeof(rte_ether_hdr), &seq, sizeof(seq));
	}
	return pkts;
}

uint32_t frame_seq(const rte_mbuf *m)
{
	uint32_t seq;
	memcpy(&seq, rte_pktmbuf_mtod_offset(m, const char *, sizeof(rte_ether_hdr)), sizeof(seq));
	return seq;
}

RingPort::RingPort(const std::string &stem, bool loopback)
    : name_(once(stem)), rx_(rte_ring_create((name_ + "_rx").c_str(), 1024, rte_socket_id(), 0)),
      tx_(loopback ? rx_ : rte_ring_create((name_ + "_tx").c_str(), 1024, rte_socket_id(), 0))
{
	if (rx_ == nullptr || tx_ == nullptr)
		throw std::runtime_error("cannot create rings for " + name_);
	const int port = rte_eth_from_rings(name_.c_str(), &rx_, 1, &tx_, 1, rte_socket_id());
	if (port < 0)
		throw std::runtime_error("cannot create ring port " + name_);
	port_id_ = static_cast<uint16_t>(port);
	char port_name[RTE_ETH_NAME_MAX_LEN];
	rte_eth_dev_get_name_by_port(port_id_, port_name);
	name_ = port_name; /* net_ring prefixes it: "net_ring_<name>" */
}

RingPort::~RingPort()
{
	/* The bypass port closes sub-ports handed to it; close it if not. */
	uint16_t port;
	if (!forgotten_ && rte_eth_dev_get_port_by_name(name_.c_str(), &port) == 0) {
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	if (!forgotten_)
		rte_vdev_uninit(name_.c_str());
	for (rte_ring *r : {rx_, tx_ != rx_ ? tx_ : nullptr}) {
		if (r == nullptr)
			continue;
		void *m;
		while (rte_ring_dequeue(r, &m) == 0)
			rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
		rte_ring_free(r);
	}
}

unsigned RingPort::inject(std::vector<rte_mbuf *> pkts)
{
	const unsigned n = rte_ring_enqueue_burst(rx_, reinterpret_cast<void **>(pkts.data()),
						  pkts.size(), nullptr);
	for (size_t i = n; i < pkts.size(); i++)
		rte_pktmbuf_free(pkts[i]);
	return n;
}

std::vector<uint32_t> RingPort::drain_tx()
{
	std::vector<uint32_t> seqs;
	void *m;
	while (rte_ring_dequeue(tx_, &m) == 0) {
		seqs.push_back(frame_seq(static_cast<rte_mbuf *>(m)));
		rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
	}
	return seqs;
}

BypassDev::BypassDev(const std::string &name, const std::string &args)
    : name_(name), probe_result_(rte_vdev_init(name.c_str(), args.c_str()))
{
	if (probe_result_ == 0)
		rte_eth_dev_get_port_by_name(name.c_str(), &port_id_);
}

BypassDev::~BypassDev()
{
	if (probe_result_ == 0)
		rte_vdev_uninit(name_.c_str());
}

int BypassDev::start(const Mempool &pool, uint16_t queues, const rte_eth_conf &conf)
{
	return start_port(port_id_, pool, queues, conf);
}

int start_port(uint16_t port, const Mempool &pool, uint16_t queues, const rte_eth_conf &conf)
{
	int ret = rte_eth_dev_configure(port, queues, queues, &conf);
	for (uint16_t q = 0; ret == 0 && q < queues; q++) {
		ret = rte_eth_rx_queue_setup(port, q, 256, rte_socket_id(), nullptr, pool.get());
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(port, q, 256, rte_socket_id(), nullptr);
	}
	return ret == 0 ? rte_eth_dev_start(port) : ret;
}

uint64_t BypassDev::xstat(const char *name) const
{
	uint64_t id, value = 0;
	if (rte_eth_xstats_get_id_by_name(port_id_, name, &id) != 0 ||
	    rte_eth_xstats_get_by_id(port_id_, &id, &value, 1) != 1)
		throw std::runtime_error(std::string("no xstat ") + name);
	return value;
}

unsigned BypassDev::send(std::vector<rte_mbuf *> pkts, uint16_t queue)
{
	const uint16_t sent = rte_eth_tx_burst(port_id_, queue, pkts.data(), pkts.size());
	for (size_t i = sent; i < pkts.size(); i++)
		rte_pktmbuf_free(pkts[i]);
	return sent;
}

std::vector<uint16_t> visible_ports()
{
	std::vector<uint16_t> ports;
	uint16_t p;
	RTE_ETH_FOREACH_DEV(p)
	ports.push_back(p);
	return ports;
}

rte_pmd_bypass_state bypass_state(uint16_t port)
{
	rte_pmd_bypass_state s{};
	EXPECT_EQ(rte_pmd_bypass_state_get(port, &s), 0) << "port " << port;
	return s;
}

void raise_rmv(uint16_t port)
{
	raise_event(port, RTE_ETH_EVENT_INTR_RMV);
}

void raise_event(uint16_t port, rte_eth_event_type type)
{
	rte_eth_dev_callback_process(&rte_eth_devices[port], type, nullptr);
}

} // namespace bypass_test
