/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ethdev_driver.h>

namespace bypass {

/* Everything an application set on a port, owned here, so that it can be
 * replayed onto a port that takes over later (a VF plugged back after a
 * migration) without reading the port's rte_eth_dev_data, which ethdev
 * rewrites around the driver's ops without telling it. Pointers the
 * application passed (RSS key, buffer-split segments, mempool lists) are
 * copied; a queue's entry goes when the queue is released.
 *
 * Each setting is recorded once every sub-port took it. Not thread-safe:
 * the caller serialises (the driver's control lock). */
class Journal {
public:
	struct RxQueue {
		uint16_t nb_desc = 0;
		unsigned socket = 0;
		rte_eth_rxconf conf{}; /* rx_seg, rx_mempools: see conf_of() */
		rte_mempool *mp = nullptr;
		std::vector<rte_eth_rxseg> segs;
		std::vector<rte_mempool *> pools;
	};
	struct TxQueue {
		uint16_t nb_desc = 0;
		unsigned socket = 0;
		rte_eth_txconf conf{};
	};

	void record_configure(uint16_t nb_rx, uint16_t nb_tx, const rte_eth_conf &conf);
	void record_rx_queue(uint16_t q, uint16_t nb_desc, unsigned socket,
			     const rte_eth_rxconf *conf, rte_mempool *mp);
	void record_tx_queue(uint16_t q, uint16_t nb_desc, unsigned socket,
			     const rte_eth_txconf *conf);
	void forget_rx_queue(uint16_t q);
	void forget_tx_queue(uint16_t q);
	void record_mtu(uint16_t mtu) { mtu_ = mtu; }
	/* Slot 0 is the default MAC. */
	void record_mac(uint32_t index, const rte_ether_addr &mac);
	void forget_mac(uint32_t index);
	void record_mc_list(const rte_ether_addr *list, uint32_t n);
	void record_promiscuous(bool on) { promiscuous_ = on; }
	void record_allmulticast(bool on) { allmulticast_ = on; }
	void record_vlan_filter(uint16_t vlan, bool on);
	void record_vlan_offload(uint64_t rx_offloads);
	void record_reta(const rte_eth_rss_reta_entry64 *conf, uint16_t size);
	void record_rss_hash(const rte_eth_rss_conf &conf);
	void record_link_admin(bool up) { link_admin_up_ = up; }

	bool configured() const { return configured_; }
	uint16_t nb_rx_queues() const { return nb_rx_; }
	uint16_t nb_tx_queues() const { return nb_tx_; }
	/* The configuration as given, its RSS key pointing into the journal. */
	const rte_eth_conf &conf() const { return conf_; }
	const std::vector<uint8_t> &rss_key() const { return rss_key_; }
	bool rss_key_set() const { return rss_key_set_; }
	const std::optional<RxQueue> &rx_queue(uint16_t q) const;
	const std::optional<TxQueue> &tx_queue(uint16_t q) const;
	/* A queue's rxconf with its segment and mempool lists pointing into
	 * the journal. */
	rte_eth_rxconf conf_of(const RxQueue &r) const;
	uint16_t mtu() const { return mtu_; }
	const std::vector<std::optional<rte_ether_addr>> &macs() const { return macs_; }
	const std::optional<std::vector<rte_ether_addr>> &mc_list() const { return mc_; }
	bool promiscuous() const { return promiscuous_; }
	bool allmulticast() const { return allmulticast_; }
	const std::vector<uint16_t> &vlans() const { return vlans_; }
	/* The RETA as the application set it, merged over updates. */
	uint16_t reta_size() const { return reta_size_; }
	const std::vector<rte_eth_rss_reta_entry64> &reta() const { return reta_; }
	bool rss_hash_set() const { return rss_hash_set_; }
	uint64_t rss_hf() const { return rss_hf_; }
	bool link_admin_up() const { return link_admin_up_; }

private:
	bool configured_ = false;
	uint16_t nb_rx_ = 0, nb_tx_ = 0;
	rte_eth_conf conf_{};
	std::vector<uint8_t> rss_key_;
	bool rss_key_set_ = false;
	std::vector<std::optional<RxQueue>> rx_;
	std::vector<std::optional<TxQueue>> tx_;
	uint16_t mtu_ = RTE_ETHER_MTU;
	std::vector<std::optional<rte_ether_addr>> macs_;
	std::optional<std::vector<rte_ether_addr>> mc_;
	bool promiscuous_ = false, allmulticast_ = false;
	std::vector<uint16_t> vlans_; /* sorted */
	std::vector<rte_eth_rss_reta_entry64> reta_;
	uint16_t reta_size_ = 0;
	uint64_t rss_hf_ = 0;
	bool rss_hash_set_ = false;
	bool link_admin_up_ = true;
};

} // namespace bypass
