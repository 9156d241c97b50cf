/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pmd_bypass.h>
#include <rte_ring.h>

namespace bypass_test {

/* An RSS configuration with every member this DPDK has (23.11 added
 * `algorithm`) at its default. */
inline rte_eth_rss_conf rss_conf(uint8_t *key, uint8_t key_len, uint64_t hf)
{
	rte_eth_rss_conf conf{};
	conf.rss_key = key;
	conf.rss_key_len = key_len;
	conf.rss_hf = hf;
	return conf;
}

/* Polls `done` until it holds or `timeout` passes. */
bool wait_until(const std::function<bool()> &done,
		std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

class Mempool {
public:
	/* cache: per-lcore mbufs, for lcores that share a CPU: a pool's ring is
	 * not safe from preemption, and an lcore descheduled in the middle of
	 * freeing into it holds every other one up until it runs again. */
	explicit Mempool(const std::string &name, unsigned n = 4095, unsigned cache = 0);
	~Mempool() { rte_mempool_free(mp_); }
	Mempool(const Mempool &) = delete;
	Mempool &operator=(const Mempool &) = delete;

	rte_mempool *get() const { return mp_; }
	unsigned in_use() const { return rte_mempool_in_use_count(mp_); }
	/* `n` 64-byte frames, each carrying its sequence number. */
	std::vector<rte_mbuf *> frames(unsigned n, uint32_t first_seq = 0);

private:
	rte_mempool *mp_;
};

uint32_t frame_seq(const rte_mbuf *m);

/* A net_ring port whose rings the test holds: what the port "receives" is
 * injected into its rx ring, what it transmits is read off its tx ring. */
class RingPort {
public:
	/* With `loopback`, what the port transmits it receives again. */
	explicit RingPort(const std::string &stem, bool loopback = false);
	~RingPort();
	RingPort(const RingPort &) = delete;
	RingPort &operator=(const RingPort &) = delete;

	const std::string &name() const { return name_; }
	uint16_t port_id() const { return port_id_; }
	unsigned inject(std::vector<rte_mbuf *> pkts);
	/* Frees what the port transmitted; returns their sequence numbers. */
	std::vector<uint32_t> drain_tx();
	/* The port is someone else's to close (a bypass port releasing it
	 * after a removal request): the destructor frees only the rings. */
	void forget() { forgotten_ = true; }

private:
	std::string name_;
	rte_ring *rx_;
	rte_ring *tx_;
	uint16_t port_id_ = RTE_MAX_ETHPORTS;
	bool forgotten_ = false;
};

/* A net_bypass port created through the vdev bus, as --vdev would. */
class BypassDev {
public:
	BypassDev(const std::string &name, const std::string &args);
	~BypassDev();
	BypassDev(const BypassDev &) = delete;
	BypassDev &operator=(const BypassDev &) = delete;

	int probe_result() const { return probe_result_; }
	uint16_t port_id() const { return port_id_; }
	/* configure with `queues` queue pairs, set them up, start. */
	int start(const Mempool &pool, uint16_t queues = 1, const rte_eth_conf &conf = {});
	uint64_t xstat(const char *name) const;
	/* Sends `pkts`; frees and counts what the port did not take. */
	unsigned send(std::vector<rte_mbuf *> pkts, uint16_t queue = 0);

private:
	std::string name_;
	int probe_result_;
	uint16_t port_id_ = RTE_MAX_ETHPORTS;
};

/* Configures `port` with `queues` queue pairs of 256 descriptors, sets
 * them up and starts it; 0 or the first error. */
int start_port(uint16_t port, const Mempool &pool, uint16_t queues = 1,
	       const rte_eth_conf &conf = {});

/* Every port id RTE_ETH_FOREACH_DEV shows the application. */
std::vector<uint16_t> visible_ports();

/* rte_pmd_bypass_state_get() of a bypass port. */
rte_pmd_bypass_state bypass_state(uint16_t port);

/* What a PMD does when its device is about to be unplugged. */
void raise_rmv(uint16_t port);
/* Raises `type` on `port` as its PMD would, on this thread. */
void raise_event(uint16_t port, rte_eth_event_type type);

} // namespace bypass_test
