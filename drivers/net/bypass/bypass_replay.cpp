/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attaching a claimed port: it is checked against what the application
 * configured, then gets everything from the journal, item by item, then is
 * started if the bypass port is. Only then does the fast path see it.
 *
 * What cannot be skipped: configure, queue setup, MTU, the default MAC,
 * and the RSS hash and RETA the application set (without them a queue
 * would be missing, frames the wrong size, the PF's anti-spoofing would
 * drop what the VF sends, or a flow would land on another queue on each
 * path). A port that cannot take one of them is given up on with one log
 * line and a reason (rte_pmd_bypass_giveup_get(), xstats); one that is
 * merely not ready (-EAGAIN, -EBUSY, ...) is tried again a few times
 * first. The rx filtering it refuses (bypass_filters.cpp) is noted and
 * never stops it.
 */
#include <cstring>

#include <rte_cycles.h>

#include "bypass/log.h"
#include "bypass_private.h"
#include "bypass_standby.h"

namespace bypass {

namespace {

constexpr unsigned ATTACH_TRIES = 5;
constexpr std::chrono::milliseconds ATTACH_RETRY{100};
/* The port's probe raises NEW before it is done: see probe_done(). */
constexpr std::chrono::microseconds ATTACH_WAIT{100};

/* The outcome of a replay: error 0, or the failing step and whether it
 * may work later. */
struct Outcome {
	int error = 0;
	bool transient = false;
	std::string what;
};

bool transient_error(int err)
{
	return err == -EAGAIN || err == -EBUSY || err == -ETIMEDOUT || err == -EIO ||
	       err == -ENOMEM;
}

Outcome failed(int err, const std::string &what)
{
	return Outcome{err, transient_error(err), what + ": " + rte_strerror(-err)};
}

uint64_t us_since(uint64_t tsc)
{
	return (rte_get_tsc_cycles() - tsc) * 1000000 / rte_get_tsc_hz();
}

std::string hex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return buf;
}

/* Why `info` cannot take what the application configured, or "". */
std::string incompatibility(const Journal &j, const rte_eth_dev_info &info)
{
	if (!j.configured())
		return "";
	if (j.nb_rx_queues() > info.max_rx_queues || j.nb_tx_queues() > info.max_tx_queues)
		return "it has " + std::to_string(info.max_rx_queues) + "/" +
		       std::to_string(info.max_tx_queues) + " rx/tx queues, the port uses " +
		       std::to_string(j.nb_rx_queues()) + "/" + std::to_string(j.nb_tx_queues());
	uint64_t rx = j.conf().rxmode.offloads, tx = j.conf().txmode.offloads;
	for (uint16_t q = 0; q < j.nb_rx_queues(); q++) {
		if (const auto &r = j.rx_queue(q)) {
			rx |= r->conf.offloads;
			const rte_eth_desc_lim &lim = info.rx_desc_lim;
			if ((lim.nb_max != 0 && r->nb_desc > lim.nb_max) || r->nb_desc < lim.nb_min)
				return "rx queue " + std::to_string(q) + " has " +
				       std::to_string(r->nb_desc) + " descriptors, it takes " +
				       std::to_string(lim.nb_min) + "-" +
				       std::to_string(lim.nb_max);
		}
	}
	for (uint16_t q = 0; q < j.nb_tx_queues(); q++) {
		if (const auto &t = j.tx_queue(q)) {
			tx |= t->conf.offloads;
			const rte_eth_desc_lim &lim = info.tx_desc_lim;
			if ((lim.nb_max != 0 && t->nb_desc > lim.nb_max) || t->nb_desc < lim.nb_min)
				return "tx queue " + std::to_string(q) + " has " +
				       std::to_string(t->nb_desc) + " descriptors, it takes " +
				       std::to_string(lim.nb_min) + "-" +
				       std::to_string(lim.nb_max);
		}
	}
	if (rx & ~info.rx_offload_capa)
		return "it lacks rx offloads " + hex(rx & ~info.rx_offload_capa);
	if (tx & ~info.tx_offload_capa)
		return "it lacks tx offloads " + hex(tx & ~info.tx_offload_capa);
	if (j.mtu() < info.min_mtu || j.mtu() > info.max_mtu)
		return "MTU " + std::to_string(j.mtu()) + " is outside its " +
		       std::to_string(info.min_mtu) + "-" + std::to_string(info.max_mtu);
	const uint64_t hf = j.conf().rx_adv_conf.rss_conf.rss_hf;
	if ((j.conf().rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG) &&
	    (hf & ~info.flow_type_rss_offloads))
		return "it cannot hash " + hex(hf & ~info.flow_type_rss_offloads);
	return "";
}

/* Applies an item of rx filtering, which the port may refuse. */
template <typename Fn>
void filter_item(BypassPort &bp, unsigned path, uint16_t port, const FilterItem &item,
		 const char *what, Fn &&apply)
{
	filter_answer(bp, path, port, item, what, apply());
}

/* Everything of the journal but start; the call lock is held. */
Outcome replay(BypassPort &bp, unsigned path, uint16_t port)
{
	const Journal &j = bp.journal;
	rte_eth_dev_info info;
	int ret = rte_eth_dev_info_get(port, &info);
	if (ret < 0)
		return failed(ret, "device info");
	const std::string why = incompatibility(j, info);
	if (!why.empty())
		return Outcome{-EINVAL, false, why};

	if (j.configured()) {
		if ((ret = configure_sub(bp, port, j.nb_rx_queues(), j.nb_tx_queues(), j.conf())) <
		    0)
			return failed(ret, "configure");
		for (uint16_t q = 0; q < j.nb_rx_queues(); q++) {
			const auto &r = j.rx_queue(q);
			if (!r)
				continue; /* not set up yet: the application will */
			const rte_eth_rxconf conf = j.conf_of(*r);
			if ((ret = rte_eth_rx_queue_setup(port, q, r->nb_desc, r->socket, &conf,
							  r->mp)) < 0)
				return failed(ret, "rx queue " + std::to_string(q) + " setup");
		}
		for (uint16_t q = 0; q < j.nb_tx_queues(); q++) {
			const auto &t = j.tx_queue(q);
			if (t && (ret = rte_eth_tx_queue_setup(port, q, t->nb_desc, t->socket,
							       &t->conf)) < 0)
				return failed(ret, "tx queue " + std::to_string(q) + " setup");
		}
		uint16_t mtu = 0;
		if ((rte_eth_dev_get_mtu(port, &mtu) != 0 || mtu != j.mtu()) &&
		    (ret = rte_eth_dev_set_mtu(port, j.mtu())) < 0)
			return failed(ret, "MTU " + std::to_string(j.mtu()));
	}
	const auto &macs = j.macs();
	rte_ether_addr cur;
	if (!macs.empty() && macs[0] &&
	    (rte_eth_macaddr_get(port, &cur) != 0 || !rte_is_same_ether_addr(&cur, &*macs[0]))) {
		rte_ether_addr mac = *macs[0];
		if ((ret = rte_eth_dev_default_mac_addr_set(port, &mac)) < 0)
			return failed(ret, "default MAC " + mac_str(mac));
	}

	for (size_t i = 1; i < macs.size(); i++) {
		if (!macs[i])
			continue;
		FilterItem item{RTE_PMD_BYPASS_FILTER_MAC_ADDR};
		item.mac = *macs[i];
		filter_item(bp, path, port, item, "MAC add", [&] {
			rte_ether_addr mac = item.mac;
			return rte_eth_dev_mac_addr_add(port, &mac, 0);
		});
	}
	if (const auto &mc = j.mc_list()) {
		std::vector<rte_ether_addr> list = *mc;
		filter_item(bp, path, port, FilterItem{RTE_PMD_BYPASS_FILTER_MC_LIST},
			    "multicast list set", [&] {
				    return rte_eth_dev_set_mc_addr_list(port, list.data(),
									list.size());
			    });
	}
	if (rte_eth_promiscuous_get(port) != static_cast<int>(j.promiscuous()))
		filter_item(bp, path, port, FilterItem{RTE_PMD_BYPASS_FILTER_PROMISCUOUS},
			    j.promiscuous() ? "promiscuous enable" : "promiscuous disable", [&] {
				    return j.promiscuous() ? rte_eth_promiscuous_enable(port)
							   : rte_eth_promiscuous_disable(port);
			    });
	if (rte_eth_allmulticast_get(port) != static_cast<int>(j.allmulticast()))
		filter_item(bp, path, port, FilterItem{RTE_PMD_BYPASS_FILTER_ALLMULTICAST},
			    j.allmulticast() ? "allmulticast enable" : "allmulticast disable", [&] {
				    return j.allmulticast() ? rte_eth_allmulticast_enable(port)
							    : rte_eth_allmulticast_disable(port);
			    });
	if (!j.configured())
		return Outcome{};
	for (uint16_t vlan : j.vlans()) {
		FilterItem item{RTE_PMD_BYPASS_FILTER_VLAN};
		item.vlan = vlan;
		filter_item(bp, path, port, item, "VLAN filter add",
			    [&] { return rte_eth_dev_vlan_filter(port, vlan, 1); });
	}
	if (j.rss_hash_set()) {
		rte_eth_rss_conf rss{};
		std::vector<uint8_t> key = j.rss_key();
		rss.rss_key = key.empty() ? nullptr : key.data();
		rss.rss_key_len = static_cast<uint8_t>(key.size());
		rss.rss_hf = j.rss_hf();
		if ((ret = apply_rss_hash(port, rss)) < 0)
			return failed(ret, "RSS hash");
	}
	if (j.reta_size() != 0) {
		const std::string misfit = reta_misfit(j.reta(), j.reta_size(), info.reta_size);
		if (!misfit.empty())
			return Outcome{-EINVAL, false, misfit};
		if ((ret = apply_reta(port, j.reta().data(), j.reta_size())) < 0)
			return failed(ret, "RETA");
	}
	return Outcome{};
}

void give_up(BypassPort &bp, unsigned path, uint16_t port, const Outcome &out)
{
	BYPASS_LOG(ERR, "port %u: giving up on port %u as the %s sub-port: %s",
		   bp.dev->data->port_id, port, path_name(path), out.what.c_str());
	{
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		if (bp.sub[path].state.load() != SubState::CLAIMED)
			return; /* reset or asked to go meanwhile: its task follows */
		set_state(bp, path, SubState::GIVEN_UP);
		tx_path_refresh_locked(bp);
	}
	bp.giveups[path].fetch_add(1);
	std::lock_guard<std::mutex> report(bp.report_lock);
	bp.giveup[path] = GiveUp{out.error, out.what};
}

void attach_task(BypassPort &bp, unsigned path, uint16_t port, uint64_t t0);

/* ctl_lock held. */
void attach_locked(BypassPort &bp, unsigned path, uint16_t port, uint64_t t0)
{
	SubPort &sub = bp.sub[path];
	if (sub.port.load() != port || sub.state.load() != SubState::CLAIMED)
		return; /* it went away meanwhile */
	if (!probe_done(port)) {
		bp.ctl.post_after(ATTACH_WAIT,
				  [&bp, path, port, t0] { attach_task(bp, path, port, t0); });
		return;
	}
	Outcome out;
	{
		/* A DESTROY of the port waits until this block is done. */
		std::lock_guard<std::mutex> call(sub.call);
		if (sub.port.load() != port)
			return;
		out = replay(bp, path, port);
		if (out.error == 0) {
			compat::PortStats now{};
			compat::port_stats_get(port, now);
			counters_join(bp, path, now);
			sub.kind = rte_eth_devices[port].dev_ops;
			std::lock_guard<std::mutex> fp(bp.fp_lock);
			if (sub.state.load() != SubState::CLAIMED)
				return; /* reset or asked to go meanwhile: its task follows */
			set_state(bp, path, SubState::READY);
		}
	}
	if (out.error != 0 && out.transient && ++sub.attach_tries < ATTACH_TRIES) {
		BYPASS_LOG(WARNING,
			   "port %u: port %u not usable as the %s sub-port yet (%s): retrying",
			   bp.dev->data->port_id, port, path_name(path), out.what.c_str());
		bp.ctl.post_after(ATTACH_RETRY,
				  [&bp, path, port, t0] { attach_task(bp, path, port, t0); });
		return;
	}
	if (out.error != 0) {
		give_up(bp, path, port, out);
		link_refresh(bp);
		return;
	}
	sub.attach_tries = 0;
	{
		std::lock_guard<std::mutex> report(bp.report_lock);
		bp.giveup[path] = GiveUp{};
	}
	advertise(bp);
	if (bp.started) {
		const int ret = start_sub(bp, path);
		if (ret < 0) {
			BYPASS_LOG(
			    WARNING, "port %u: the %s sub-port %u did not start (%s): trying again",
			    bp.dev->data->port_id, path_name(path), port, rte_strerror(-ret));
			schedule_start(bp, path);
		}
	}
	bp.rmv_announced.store(false);
	bp.attaches[path].fetch_add(1);
	bp.last_reattach_us.store(us_since(t0));
	BYPASS_LOG(INFO, "port %u: port %u is the %s sub-port, configured in %" PRIu64 " us",
		   bp.dev->data->port_id, port, path_name(path), bp.last_reattach_us.load());
	link_refresh(bp);
}

void attach_task(BypassPort &bp, unsigned path, uint16_t port, uint64_t t0)
{
	std::lock_guard<std::mutex> lock(bp.ctl_lock);
	attach_locked(bp, path, port, t0);
}

} // namespace

int configure_sub(BypassPort &bp, uint16_t port, uint16_t nb_rx, uint16_t nb_tx,
		  const rte_eth_conf &base)
{
	rte_eth_dev_info info;
	int ret = rte_eth_dev_info_get(port, &info);
	if (ret < 0)
		return ret;
	std::vector<uint8_t> key;
	const rte_eth_conf conf = sub_conf(bp, port, info, base, key);
	const Standby standby = standby_prepare(port);
	ret = rte_eth_dev_configure(port, nb_rx, nb_tx, &conf);
	if (ret == 0)
		standby_confirm(bp.dev->data->port_id, port, standby);
	return ret;
}

void post_attach(BypassPort &bp, unsigned path, uint16_t port)
{
	const uint64_t t0 = rte_get_tsc_cycles();
	bp.ctl.post([&bp, path, port, t0] { attach_task(bp, path, port, t0); });
}

void attach_now_locked(BypassPort &bp, unsigned path, uint16_t port)
{
	attach_locked(bp, path, port, rte_get_tsc_cycles());
}

void retry_given_up(BypassPort &bp, unsigned path)
{
	SubPort &sub = bp.sub[path];
	{
		std::lock_guard<std::mutex> fp(bp.fp_lock);
		if (sub.state.load() != SubState::GIVEN_UP)
			return;
		set_state(bp, path, SubState::CLAIMED);
	}
	sub.attach_tries = 0;
	post_attach(bp, path, sub.port.load());
}

} // namespace bypass
