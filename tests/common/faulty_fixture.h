/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "eal.h"
#include "faulty_pmd.h"
#include "ports.h"

namespace bypass_test {

/* A bypass port over two net_faulty ports of one MAC, and a third that
 * may take the VF's place. */
class FaultyPair : public testing::Test {
protected:
	static constexpr const char *MAC = "02:00:00:00:0a:77";

	/* The sub-ports (made with `backup_args`, `vf_args`) and the port,
	 * with `bypass_args` after its own. */
	void make(const std::string &backup_args = "", const std::string &vf_args = "",
		  const std::string &bypass_args = "")
	{
		backup_.emplace(unique("net_faulty_b"), args(backup_args));
		vf_.emplace(unique("net_faulty_a"), args(vf_args));
		bypass_.emplace("net_bypass_faulty",
				"backup=" + backup_->name() + ",active=" + vf_->name() +
				    (bypass_args.empty() ? "" : "," + bypass_args));
		ASSERT_EQ(bypass_->probe_result(), 0);
	}
	/* Starts it with `queues` queue pairs; returns once tx is on the VF. */
	void start(uint16_t queues = 1, const rte_eth_conf &conf = {})
	{
		ASSERT_EQ(bypass_->start(pool_, queues, conf), 0);
		ASSERT_TRUE(wait_until([&] { return bypass_state(port()).on_active; }));
	}
	uint16_t port() const { return bypass_->port_id(); }
	/* Waits until the VF left its slot. */
	bool vf_released()
	{
		return wait_until(
		    [&] { return bypass_state(port()).active_port == RTE_MAX_ETHPORTS; });
	}
	/* Waits until the VF's port is closed and forgets it (the bypass
	 * port tore it down). */
	bool vf_closed()
	{
		const std::string name = vf_->name();
		const bool closed = wait_until([&] {
			uint16_t p;
			return rte_eth_dev_get_port_by_name(name.c_str(), &p) != 0;
		});
		if (closed)
			vf_->forget();
		return closed;
	}
	/* Waits until the VF's release is over. Leaving the slot is not
	 * enough: the release stops and closes the port after that, and a
	 * test that touches it meanwhile races with its close. */
	bool vf_gone() { return vf_released() && vf_closed(); }
	/* Removes the VF (RMV), and once it is gone offers a port made with
	 * `vf_args` in its place; returns that port's id. */
	uint16_t offer_vf(const std::string &vf_args)
	{
		raise_rmv(vf_->port_id());
		EXPECT_TRUE(vf_gone());
		vf2_.emplace(unique("net_faulty_c"), args(vf_args));
		return vf2_->port_id();
	}
	void TearDown() override
	{
		bypass_.reset();
		vf2_.reset();
		vf_.reset();
		backup_.reset();
	}

	Mempool pool_{unique("pool")};
	std::optional<FaultyPort> backup_, vf_, vf2_;
	std::optional<BypassDev> bypass_;

private:
	static std::string args(const std::string &extra)
	{
		return std::string("mac=") + MAC + (extra.empty() ? "" : "," + extra);
	}
};

/* A FaultyPair whose test reads what the sub-ports transmitted, and must
 * leave every mbuf back in the pool. */
class FaultyPairTx : public FaultyPair {
protected:
	/* Frees what a sub-port transmitted and says how many it was. */
	static size_t drain(uint16_t sub)
	{
		const auto pkts = faulty::transmitted(sub);
		for (rte_mbuf *m : pkts)
			rte_pktmbuf_free(m);
		return pkts.size();
	}
	void TearDown() override
	{
		FaultyPair::TearDown();
		EXPECT_EQ(pool_.in_use(), 0u) << "mbufs leaked";
	}
};

} // namespace bypass_test
