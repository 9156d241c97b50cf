/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>
#include <vector>

#include <ethdev_driver.h>

namespace bypass {

/* The configuration an application gave a port, replayed onto a port that
 * takes over later (a VF plugged back after a migration). Most of it is in
 * the port's rte_eth_dev_data already (dev_conf, MTU, MAC list, promisc,
 * allmulti, VLAN filters, queue states); the journal keeps what ethdev does
 * not: queue setup arguments, the multicast list, RSS key and RETA, and the
 * administrative link state.
 *
 * Replay applies each item on its own: an item the new port does not
 * support (-ENOTSUP) is logged and skipped, any other failure stops the
 * replay and is returned, so the caller can leave the port unused and try
 * again later. */
class Journal {
public:
	struct RxQueue {
		bool set = false;
		uint16_t nb_desc = 0;
		unsigned socket = 0;
		rte_eth_rxconf conf{};
		rte_mempool *mp = nullptr;
	};
	struct TxQueue {
		bool set = false;
		uint16_t nb_desc = 0;
		unsigned socket = 0;
		rte_eth_txconf conf{};
	};

	void record_rx_queue(uint16_t q, uint16_t nb_desc, unsigned socket,
			     const rte_eth_rxconf *conf, rte_mempool *mp);
	void record_tx_queue(uint16_t q, uint16_t nb_desc, unsigned socket,
			     const rte_eth_txconf *conf);
	void record_mc_list(const rte_ether_addr *list, uint32_t n);
	void record_reta(const rte_eth_rss_reta_entry64 *conf, uint16_t size);
	void record_rss_hash(const rte_eth_rss_conf &conf);
	void record_link_admin(bool up) { link_admin_up_ = up; }

	/* Configures `port` and sets up its queues like the port `data`
	 * describes, then applies every setting. Does not start it. */
	int replay_config(uint16_t port, const rte_eth_dev_data &data,
			  const rte_eth_conf &conf) const;
	/* After start: queue states and the administrative link state. */
	int replay_started(uint16_t port, const rte_eth_dev_data &data) const;

private:
	std::vector<RxQueue> rx_;
	std::vector<TxQueue> tx_;
	std::vector<rte_ether_addr> mc_;
	bool mc_set_ = false;
	std::vector<rte_eth_rss_reta_entry64> reta_;
	uint16_t reta_size_ = 0;
	std::vector<uint8_t> rss_key_;
	uint64_t rss_hf_ = 0;
	bool rss_set_ = false;
	bool link_admin_up_ = true;
};

} // namespace bypass
