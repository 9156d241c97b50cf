/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "eal.h"
#include "ports.h"

namespace bypass_test {

/* A started bypass port whose test must give every mbuf back: the pool's
 * in-use count is taken before the port starts and checked once it is
 * closed (closing it closes the sub-ports, which free what their queues
 * hold). */
class StartedBypass : public testing::Test {
protected:
	void start(const std::string &name, const std::string &args, const rte_eth_conf &conf = {})
	{
		bypass_.emplace(name, args);
		ASSERT_EQ(bypass_->probe_result(), 0);
		in_use_at_start_ = pool_.in_use();
		ASSERT_EQ(bypass_->start(pool_, 1, conf), 0);
	}
	void close() { bypass_.reset(); }
	/* After close() and after draining whatever the test's rings hold. */
	void expect_every_mbuf_back()
	{
		EXPECT_EQ(pool_.in_use(), in_use_at_start_) << "mbufs leaked";
	}

	Mempool pool_{unique("pool")};
	std::optional<BypassDev> bypass_;
	unsigned in_use_at_start_ = 0;
};

} // namespace bypass_test
