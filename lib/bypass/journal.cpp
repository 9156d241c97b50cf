/* SPDX-License-Identifier: BSD-3-Clause */
#include "journal.h"

#include <cerrno>

#include "log.h"

namespace bypass {

namespace {

/* Applies one journal item: -ENOTSUP is logged and tolerated. */
template <typename Fn> int item(uint16_t port, const char *what, Fn &&apply)
{
	const int ret = apply();
	if (ret == -ENOTSUP) {
		BYPASS_LOG(NOTICE, "replay onto port %u: %s not supported, skipped", port, what);
		return 0;
	}
	if (ret < 0)
		BYPASS_LOG(ERR, "replay onto port %u: %s failed: %s", port, what,
			   rte_strerror(-ret));
	return ret;
}

} // namespace

void Journal::record_rx_queue(uint16_t q, uint16_t nb_desc, unsigned socket,
			      const rte_eth_rxconf *conf, rte_mempool *mp)
{
	if (rx_.size() <= q)
		rx_.resize(q + 1);
	rx_[q] = RxQueue{true, nb_desc, socket, conf != nullptr ? *conf : rte_eth_rxconf{}, mp};
}

void Journal::record_tx_queue(uint16_t q, uint16_t nb_desc, unsigned socket,
			      const rte_eth_txconf *conf)
{
	if (tx_.size() <= q)
		tx_.resize(q + 1);
	tx_[q] = TxQueue{true, nb_desc, socket, conf != nullptr ? *conf : rte_eth_txconf{}};
}

void Journal::record_mc_list(const rte_ether_addr *list, uint32_t n)
{
	mc_.assign(list, list + n);
	mc_set_ = true;
}

void Journal::record_reta(const rte_eth_rss_reta_entry64 *conf, uint16_t size)
{
	const size_t groups = (size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE;
	if (reta_size_ != size) {
		reta_.assign(groups, rte_eth_rss_reta_entry64{});
		reta_size_ = size;
	}
	/* Merge: an update touches only the entries its masks select. */
	for (size_t g = 0; g < groups; g++) {
		for (unsigned i = 0; i < RTE_ETH_RETA_GROUP_SIZE; i++) {
			if (conf[g].mask & (1ULL << i)) {
				reta_[g].reta[i] = conf[g].reta[i];
				reta_[g].mask |= 1ULL << i;
			}
		}
	}
}

void Journal::record_rss_hash(const rte_eth_rss_conf &conf)
{
	if (conf.rss_key != nullptr)
		rss_key_.assign(conf.rss_key, conf.rss_key + conf.rss_key_len);
	rss_hf_ = conf.rss_hf;
	rss_set_ = true;
}

int Journal::replay_config(uint16_t port, const rte_eth_dev_data &data,
			   const rte_eth_conf &conf) const
{
	int ret = rte_eth_dev_configure(port, data.nb_rx_queues, data.nb_tx_queues, &conf);
	if (ret < 0) {
		BYPASS_LOG(ERR, "replay onto port %u: configure failed: %s", port,
			   rte_strerror(-ret));
		return ret;
	}
	for (uint16_t q = 0; q < data.nb_rx_queues && q < rx_.size(); q++) {
		const RxQueue &r = rx_[q];
		if (r.set && (ret = item(port, "rx queue setup", [&] {
				      return rte_eth_rx_queue_setup(port, q, r.nb_desc, r.socket,
								    &r.conf, r.mp);
			      })) < 0)
			return ret;
	}
	for (uint16_t q = 0; q < data.nb_tx_queues && q < tx_.size(); q++) {
		const TxQueue &t = tx_[q];
		if (t.set && (ret = item(port, "tx queue setup", [&] {
				      return rte_eth_tx_queue_setup(port, q, t.nb_desc, t.socket,
								    &t.conf);
			      })) < 0)
			return ret;
	}

	if ((ret = item(port, "MTU", [&] { return rte_eth_dev_set_mtu(port, data.mtu); })) < 0)
		return ret;
	rte_ether_addr mac = data.mac_addrs[0], cur;
	if ((rte_eth_macaddr_get(port, &cur) != 0 || !rte_is_same_ether_addr(&cur, &mac)) &&
	    (ret = item(port, "default MAC",
			[&] { return rte_eth_dev_default_mac_addr_set(port, &mac); })) < 0)
		return ret;
	rte_eth_dev_info info{};
	rte_eth_dev_info_get(data.port_id, &info);
	for (uint32_t i = 1; i < info.max_mac_addrs; i++) {
		rte_ether_addr extra = data.mac_addrs[i];
		if (!rte_is_zero_ether_addr(&extra) &&
		    (ret = item(port, "MAC address",
				[&] { return rte_eth_dev_mac_addr_add(port, &extra, 0); })) < 0)
			return ret;
	}
	if (mc_set_) {
		std::vector<rte_ether_addr> mc = mc_;
		if ((ret = item(port, "multicast list", [&] {
			     return rte_eth_dev_set_mc_addr_list(port, mc.data(), mc.size());
		     })) < 0)
			return ret;
	}
	if ((ret = item(port, "promiscuous mode", [&] {
		     return data.promiscuous ? rte_eth_promiscuous_enable(port)
					     : rte_eth_promiscuous_disable(port);
	     })) < 0)
		return ret;
	if ((ret = item(port, "all-multicast mode", [&] {
		     return data.all_multicast ? rte_eth_allmulticast_enable(port)
					       : rte_eth_allmulticast_disable(port);
	     })) < 0)
		return ret;
	for (uint16_t vlan = 0; vlan < RTE_ETHER_MAX_VLAN_ID + 1; vlan++) {
		if ((data.vlan_filter_conf.ids[vlan / 64] & (1ULL << (vlan % 64))) &&
		    (ret = item(port, "VLAN filter",
				[&] { return rte_eth_dev_vlan_filter(port, vlan, 1); })) < 0)
			return ret;
	}
	if (rss_set_) {
		std::vector<uint8_t> key = rss_key_;
		rte_eth_rss_conf rss{};
		rss.rss_key = key.empty() ? nullptr : key.data();
		rss.rss_key_len = static_cast<uint8_t>(key.size());
		rss.rss_hf = rss_hf_;
		if ((ret = item(port, "RSS hash",
				[&] { return rte_eth_dev_rss_hash_update(port, &rss); })) < 0)
			return ret;
	}
	if (reta_size_ != 0) {
		std::vector<rte_eth_rss_reta_entry64> reta = reta_;
		if ((ret = item(port, "RETA", [&] {
			     return rte_eth_dev_rss_reta_update(port, reta.data(), reta_size_);
		     })) < 0)
			return ret;
	}
	return 0;
}

int Journal::replay_started(uint16_t port, const rte_eth_dev_data &data) const
{
	int ret;
	for (uint16_t q = 0; q < data.nb_rx_queues; q++) {
		if (data.rx_queue_state[q] == RTE_ETH_QUEUE_STATE_STOPPED &&
		    (ret = item(port, "rx queue stop",
				[&] { return rte_eth_dev_rx_queue_stop(port, q); })) < 0)
			return ret;
	}
	for (uint16_t q = 0; q < data.nb_tx_queues; q++) {
		if (data.tx_queue_state[q] == RTE_ETH_QUEUE_STATE_STOPPED &&
		    (ret = item(port, "tx queue stop",
				[&] { return rte_eth_dev_tx_queue_stop(port, q); })) < 0)
			return ret;
	}
	if (!link_admin_up_ &&
	    (ret = item(port, "link down", [&] { return rte_eth_dev_set_link_down(port); })) < 0)
		return ret;
	return 0;
}

} // namespace bypass
