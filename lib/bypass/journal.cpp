/* SPDX-License-Identifier: BSD-3-Clause */
#include "journal.h"

#include <algorithm>

namespace bypass {

namespace {

template <typename T> std::optional<T> &slot(std::vector<std::optional<T>> &v, size_t i)
{
	if (v.size() <= i)
		v.resize(i + 1);
	return v[i];
}

template <typename T>
const std::optional<T> &slot_or_none(const std::vector<std::optional<T>> &v, size_t i)
{
	static const std::optional<T> none;
	return i < v.size() ? v[i] : none;
}

} // namespace

void Journal::record_configure(uint16_t nb_rx, uint16_t nb_tx, const rte_eth_conf &conf)
{
	configured_ = true;
	nb_rx_ = nb_rx;
	nb_tx_ = nb_tx;
	conf_ = conf;
	const rte_eth_rss_conf &rss = conf.rx_adv_conf.rss_conf;
	rss_key_set_ = rss.rss_key != nullptr && rss.rss_key_len != 0;
	rss_key_.assign(rss_key_set_ ? rss.rss_key : nullptr,
			rss_key_set_ ? rss.rss_key + rss.rss_key_len : nullptr);
	conf_.rx_adv_conf.rss_conf.rss_key = rss_key_set_ ? rss_key_.data() : nullptr;
	conf_.rx_adv_conf.rss_conf.rss_key_len = static_cast<uint8_t>(rss_key_.size());
	mtu_ = conf.rxmode.mtu != 0 ? conf.rxmode.mtu : RTE_ETHER_MTU;
	/* A configure starts RSS afresh: later updates are superseded. */
	reta_.clear();
	reta_size_ = 0;
	rss_hash_set_ = false;
	rx_.resize(std::min<size_t>(rx_.size(), nb_rx));
	tx_.resize(std::min<size_t>(tx_.size(), nb_tx));
}

void Journal::record_rx_queue(uint16_t q, uint16_t nb_desc, unsigned socket,
			      const rte_eth_rxconf *conf, rte_mempool *mp)
{
	RxQueue r;
	r.nb_desc = nb_desc;
	r.socket = socket;
	r.mp = mp;
	if (conf != nullptr) {
		r.conf = *conf;
		if (conf->rx_seg != nullptr)
			r.segs.assign(conf->rx_seg, conf->rx_seg + conf->rx_nseg);
		if (conf->rx_mempools != nullptr)
			r.pools.assign(conf->rx_mempools, conf->rx_mempools + conf->rx_nmempool);
	}
	r.conf.rx_seg = nullptr;
	r.conf.rx_mempools = nullptr;
	slot(rx_, q) = std::move(r);
}

void Journal::record_tx_queue(uint16_t q, uint16_t nb_desc, unsigned socket,
			      const rte_eth_txconf *conf)
{
	slot(tx_, q) = TxQueue{nb_desc, socket, conf != nullptr ? *conf : rte_eth_txconf{}};
}

void Journal::forget_rx_queue(uint16_t q)
{
	if (q < rx_.size())
		rx_[q].reset();
}

void Journal::forget_tx_queue(uint16_t q)
{
	if (q < tx_.size())
		tx_[q].reset();
}

const std::optional<Journal::RxQueue> &Journal::rx_queue(uint16_t q) const
{
	return slot_or_none(rx_, q);
}

const std::optional<Journal::TxQueue> &Journal::tx_queue(uint16_t q) const
{
	return slot_or_none(tx_, q);
}

rte_eth_rxconf Journal::conf_of(const RxQueue &r) const
{
	rte_eth_rxconf conf = r.conf;
	/* The pointers go to const data: ethdev only reads them. */
	conf.rx_seg = r.segs.empty() ? nullptr : const_cast<rte_eth_rxseg *>(r.segs.data());
	conf.rx_mempools = r.pools.empty() ? nullptr : const_cast<rte_mempool **>(r.pools.data());
	return conf;
}

void Journal::record_mac(uint32_t index, const rte_ether_addr &mac)
{
	slot(macs_, index) = mac;
}

void Journal::forget_mac(uint32_t index)
{
	if (index < macs_.size())
		macs_[index].reset();
}

void Journal::record_mc_list(const rte_ether_addr *list, uint32_t n)
{
	mc_.emplace(list, list + n);
}

void Journal::record_vlan_filter(uint16_t vlan, bool on)
{
	auto at = std::lower_bound(vlans_.begin(), vlans_.end(), vlan);
	const bool present = at != vlans_.end() && *at == vlan;
	if (on && !present)
		vlans_.insert(at, vlan);
	else if (!on && present)
		vlans_.erase(at);
}

void Journal::record_vlan_offload(uint64_t rx_offloads)
{
	conf_.rxmode.offloads = rx_offloads;
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
	if (conf.rss_key != nullptr && conf.rss_key_len != 0) {
		rss_key_.assign(conf.rss_key, conf.rss_key + conf.rss_key_len);
		rss_key_set_ = true;
		conf_.rx_adv_conf.rss_conf.rss_key = rss_key_.data();
		conf_.rx_adv_conf.rss_conf.rss_key_len = static_cast<uint8_t>(rss_key_.size());
	}
	rss_hf_ = conf.rss_hf;
	conf_.rx_adv_conf.rss_conf.rss_hf = conf.rss_hf;
	rss_hash_set_ = true;
}

} // namespace bypass
