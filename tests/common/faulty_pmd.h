/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rte_mbuf.h>

namespace bypass_test {

/*
 * net_faulty: a test PMD, for what no real PMD can be made to do on
 * demand: fail or hang in a given op, refuse tx while its link is down
 * without raising LSC, take a while to finish its probe, advertise given
 * capabilities. Otherwise it behaves like a small net_ring: what it
 * transmits it keeps for the test, what the test injects it receives.
 *
 * Devargs (all optional): mac=<mac> queues=<n> reta=<n> key=<n>
 * min_mtu=<n> max_mtu=<n> rx_offloads=<hex> tx_offloads=<hex>
 * dev_capa=<hex> prepare=1 (a tx_prepare that inserts VLAN tags in
 * software, as virtio's does) probe_delay_ms=<n> (time between NEW and
 * the end of its probe) fail=<op>:<errno>[:<times>] (op as in OP_NAMES:
 * configure rxq txq start stop mtu mac mac_add promisc allmulti mc vlan
 * reta rss reset; failing from the first call, every call without <times>;
 * promisc and allmulti refuse to enter the mode only, as an untrusted VF)
 * block=<op> (held from the first call until unblock()) keep=<n> (at most
 * n transmitted mbufs kept for transmitted(), 4096 by default; the others
 * are freed).
 */
/* A net_faulty port, created through the vdev bus and removed on
 * destruction if it is still there. (Defined with the PMD: a test that
 * uses one links the PMD in.) */
class FaultyPort {
public:
	FaultyPort(const std::string &stem, const std::string &args);
	~FaultyPort();
	FaultyPort(const FaultyPort &) = delete;
	FaultyPort &operator=(const FaultyPort &) = delete;

	const std::string &name() const { return name_; }
	uint16_t port_id() const { return port_id_; }
	/* A bypass port releasing it after a removal request closes and
	 * removes it: the destructor leaves it alone. */
	void forget() { forgotten_ = true; }
	bool forgotten() const { return forgotten_; }

private:
	std::string name_;
	uint16_t port_id_ = UINT16_MAX;
	bool forgotten_ = false;
};

namespace faulty {

enum class Op {
	configure,
	rx_queue_setup,
	tx_queue_setup,
	start,
	stop,
	mtu_set,
	mac_set,
	mac_add,
	promisc,
	allmulti,
	mc_list,
	vlan_filter,
	reta_update,
	rss_hash_update,
	reset,
	count,
};

/* The next `times` calls of `op` (every call if < 0) return `error`. */
void fail(uint16_t port, Op op, int error, int times = -1);
/* Calls of `op` wait until unblock(); blocked() says whether one waits. */
void block(uint16_t port, Op op);
void unblock(uint16_t port, Op op);
bool blocked(uint16_t port, Op op);
/* How many times `op` was called (failed calls included); by the device
 * name also once the port is gone. */
unsigned calls(uint16_t port, Op op);
unsigned calls(const std::string &name, Op op);
/* While held, an rx burst spins inside the PMD: an lcore stuck mid-burst. */
void hold_rx(uint16_t port, bool on);
bool rx_held(uint16_t port);
/* Closes that came while an rx burst was held inside the port: each one a
 * port freed under a burst. */
unsigned closed_mid_burst();
/* Its link, as link_update reports it (no LSC event is raised). While it
 * is down tx takes nothing. */
void set_link(uint16_t port, bool up);
/* Called inside each tx burst, before it takes anything (nullptr: none). */
void on_tx(uint16_t port, void (*hook)(void *), void *arg);
/* At most `n` packets taken per tx burst (-1: all). */
void tx_limit(uint16_t port, int n);
/* What it transmitted so far (the caller frees the mbufs). */
std::vector<rte_mbuf *> transmitted(uint16_t port);
/* Packets its queue 0 will receive. */
void inject(uint16_t port, const std::vector<rte_mbuf *> &pkts);
/* How many tx_prepare calls and packets it prepared. */
unsigned prepared(uint16_t port);

} // namespace faulty
} // namespace bypass_test
