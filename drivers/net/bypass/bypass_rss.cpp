/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS across sub-ports whose tables and keys differ in size (virtio: 128
 * entries and 40 bytes, an iavf VF: 64 and 52). The port advertises the
 * smaller of each, and no larger a RETA than the VF it expects
 * (vf_reta_size, 64 by default); what the application sets is fitted to
 * each sub-port:
 * - a RETA of S entries is repeated over a table of T (T a multiple of S
 *   for the powers of two NICs use): entry j gets the application's entry
 *   j mod S, so a hash picks the same queue through either table;
 * - a VF that comes later with a smaller table (T < S) takes the table
 *   folded, if it repeats with period T, and is refused with the reason
 *   otherwise (reta_misfit()): never a table cut short;
 * - a key of L bytes is repeated up to a longer key size: the Toeplitz
 *   hash of an input of n bytes reads only its first n + 4 key bytes, 40
 *   for the longest tuple RSS hashes (IPv6 and ports, 36 bytes), so the
 *   bytes beyond the application's do not change a hash.
 */
#include <algorithm>

#include "bypass/log.h"
#include "bypass_mirror.h"
#include "bypass_private.h"

namespace bypass {

namespace {

size_t groups(uint16_t size)
{
	return (size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE;
}

int info_of(uint16_t port, rte_eth_dev_info &info)
{
	return rte_eth_dev_info_get(port, &info);
}

/* The sub-port RSS queries are answered from: the backup, else the VF. */
template <typename Fn> int query_one(BypassPort &bp, Fn &&fn)
{
	int ret = -ENODEV;
	for (unsigned p = 0; p < PATH_COUNT && ret == -ENODEV; p++)
		ret = call_configured(bp.sub[p], fn);
	return ret;
}

} // namespace

namespace {

bool entry_set(const rte_eth_rss_reta_entry64 *conf, unsigned i)
{
	return (conf[i / RTE_ETH_RETA_GROUP_SIZE].mask >> (i % RTE_ETH_RETA_GROUP_SIZE)) & 1;
}

uint16_t entry_of(const rte_eth_rss_reta_entry64 *conf, unsigned i)
{
	return conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
}

/* The entry of the application's table a sub-port's entry j takes: j mod
 * app_size over a table at least as large; folded onto a smaller one, the
 * first entry the application set among those j stands for (all alike:
 * reta_misfit()). -1 if it set none of them. */
int source_of(const rte_eth_rss_reta_entry64 *conf, uint16_t app_size, uint16_t size, unsigned j)
{
	if (size >= app_size)
		return entry_set(conf, j % app_size) ? static_cast<int>(j % app_size) : -1;
	for (unsigned i = j; i < app_size; i += size) {
		if (entry_set(conf, i))
			return static_cast<int>(i);
	}
	return -1;
}

} // namespace

std::vector<rte_eth_rss_reta_entry64> reta_for(const rte_eth_rss_reta_entry64 *conf,
					       uint16_t app_size, uint16_t size)
{
	std::vector<rte_eth_rss_reta_entry64> out(groups(size));
	for (unsigned j = 0; j < size && app_size != 0; j++) {
		const int i = source_of(conf, app_size, size, j);
		if (i < 0)
			continue;
		rte_eth_rss_reta_entry64 &to = out[j / RTE_ETH_RETA_GROUP_SIZE];
		to.mask |= 1ULL << (j % RTE_ETH_RETA_GROUP_SIZE);
		to.reta[j % RTE_ETH_RETA_GROUP_SIZE] = entry_of(conf, i);
	}
	return out;
}

std::string reta_misfit(const std::vector<rte_eth_rss_reta_entry64> &conf, uint16_t app_size,
			uint16_t size)
{
	const std::string sizes = "the application's RETA of " + std::to_string(app_size) +
				  " entries and its " + std::to_string(size);
	if (size == 0 || app_size == 0)
		return "";
	if (size >= app_size)
		return size % app_size == 0 ? "" : sizes + " are not multiples";
	if (app_size % size != 0)
		return sizes + " are not multiples";
	/* Every entry the application set among those one entry of the
	 * smaller table stands for must send a hash to the same queue. */
	for (unsigned j = 0; j < size; j++) {
		const int first = source_of(conf.data(), app_size, size, j);
		for (unsigned i = first < 0 ? app_size : first + size; i < app_size; i += size) {
			if (!entry_set(conf.data(), i) ||
			    entry_of(conf.data(), i) == entry_of(conf.data(), first))
				continue;
			return "the application's RETA of " + std::to_string(app_size) +
			       " entries does not fold onto its " + std::to_string(size) +
			       " (entry " + std::to_string(i) + " is queue " +
			       std::to_string(entry_of(conf.data(), i)) + ", entry " +
			       std::to_string(first) + " queue " +
			       std::to_string(entry_of(conf.data(), first)) +
			       "): a flow would land on another queue on each path";
		}
	}
	return "";
}

std::vector<uint8_t> rss_key_for(const uint8_t *key, size_t len, size_t size)
{
	if (size <= len || len == 0) /* size 0: the sub-port states none */
		return std::vector<uint8_t>(key, key + len);
	std::vector<uint8_t> out(size);
	for (size_t i = 0; i < size; i++)
		out[i] = key[i % len];
	return out;
}

int apply_reta(uint16_t port, const rte_eth_rss_reta_entry64 *conf, uint16_t app_size)
{
	rte_eth_dev_info info;
	int ret = info_of(port, info);
	if (ret < 0)
		return ret;
	if (info.reta_size == 0)
		return -ENOTSUP;
	auto table = reta_for(conf, app_size, info.reta_size);
	return rte_eth_dev_rss_reta_update(port, table.data(), info.reta_size);
}

int apply_rss_hash(uint16_t port, const rte_eth_rss_conf &conf)
{
	rte_eth_dev_info info;
	int ret = info_of(port, info);
	if (ret < 0)
		return ret;
	rte_eth_rss_conf c = conf;
	std::vector<uint8_t> key;
	if (conf.rss_key != nullptr && conf.rss_key_len != 0) {
		if (info.hash_key_size != 0 && conf.rss_key_len > info.hash_key_size)
			return -EINVAL;
		key = rss_key_for(conf.rss_key, conf.rss_key_len, info.hash_key_size);
		c.rss_key = key.data();
		c.rss_key_len = static_cast<uint8_t>(key.size());
	}
	return rte_eth_dev_rss_hash_update(port, &c);
}

int reta_update(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	const int ret = mirror_locked(bp, "RETA update",
				      [&](uint16_t port) { return apply_reta(port, conf, size); });
	if (ret == 0)
		bp.journal.record_reta(conf, size);
	return ret;
}

int reta_query(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	return query_one(bp, [&](uint16_t port) {
		rte_eth_dev_info info;
		int ret = info_of(port, info);
		if (ret < 0)
			return ret;
		/* The sub-port's table repeats the application's. */
		std::vector<rte_eth_rss_reta_entry64> table(groups(info.reta_size));
		for (auto &g : table)
			g.mask = UINT64_MAX;
		ret = rte_eth_dev_rss_reta_query(port, table.data(), info.reta_size);
		for (unsigned i = 0; ret == 0 && i < size && i < info.reta_size; i++) {
			rte_eth_rss_reta_entry64 &to = conf[i / RTE_ETH_RETA_GROUP_SIZE];
			const unsigned bit = i % RTE_ETH_RETA_GROUP_SIZE;
			if (to.mask & (1ULL << bit))
				to.reta[bit] = table[i / RTE_ETH_RETA_GROUP_SIZE].reta[bit];
		}
		return ret;
	});
}

int rss_hash_update(rte_eth_dev *dev, rte_eth_rss_conf *conf) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	const int ret = mirror_locked(bp, "RSS hash update",
				      [&](uint16_t port) { return apply_rss_hash(port, *conf); });
	if (ret == 0)
		bp.journal.record_rss_hash(*conf);
	return ret;
}

int rss_hash_conf_get(rte_eth_dev *dev, rte_eth_rss_conf *conf) noexcept
{
	BypassPort &bp = port_of(dev);
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	return query_one(bp, [&](uint16_t port) {
		/* The sub-port's key may be longer than the caller's buffer. */
		uint8_t key[UINT8_MAX];
		rte_eth_rss_conf c{};
		c.rss_key = conf->rss_key != nullptr ? key : nullptr;
		c.rss_key_len = sizeof(key);
		const int ret = rte_eth_dev_rss_hash_conf_get(port, &c);
		if (ret == 0 && conf->rss_key != nullptr) {
			/* The caller's buffer holds the advertised key size (a
			 * sub-port that states none writes the usual 40). */
			uint8_t len;
			{
				std::lock_guard<std::mutex> report(bp.report_lock);
				len = bp.advertised.hash_key_size;
			}
			if (len == 0)
				len = 40;
			len = std::min(len, c.rss_key_len);
			std::copy(key, key + len, conf->rss_key);
			conf->rss_key_len = len;
		}
		conf->rss_hf = c.rss_hf;
		return ret;
	});
}

} // namespace bypass
