/* SPDX-License-Identifier: BSD-3-Clause */
/* Calls in the wrong state: ethdev's errno, and a port that still works
 * after them; a stop that lands in the middle of a switch. The sub-ports
 * are net_faulty ports (faulty_pmd.h). */
#include <cerrno>

#include <gtest/gtest.h>

#include "common/eal.h"
#include "common/faulty_fixture.h"
#include "common/ports.h"

using namespace bypass_test;

namespace {

using WrongState = FaultyPairTx;

TEST_F(WrongState, CallsOutOfOrderGetTheirErrnoAndLeaveThePortWorking)
{
	make();
	EXPECT_EQ(rte_eth_rx_queue_setup(port(), 0, 512, rte_socket_id(), nullptr, pool_.get()),
		  -EINVAL)
	    << "queue setup before configure";
	EXPECT_EQ(rte_eth_dev_start(port()), -EINVAL) << "start before configure";
	start();
	EXPECT_EQ(rte_eth_dev_start(port()), 0) << "start twice";
	EXPECT_EQ(rte_eth_dev_close(port()), -EINVAL) << "close while started";
	rte_eth_conf conf{};
	EXPECT_EQ(rte_eth_dev_configure(port(), 1, 1, &conf), -EBUSY) << "configure while started";
	EXPECT_EQ(bypass_->send(pool_.frames(32)), 32u);
	EXPECT_EQ(drain(vf_->port_id()), 32u) << "the port no longer transmits on the VF";
	ASSERT_EQ(rte_eth_dev_stop(port()), 0);
	EXPECT_EQ(rte_eth_dev_stop(port()), 0) << "stop twice";
}

TEST_F(WrongState, AStopInTheMiddleOfASwitchLeavesAPortThatStartsAgain)
{
	make();
	start();
	raise_rmv(vf_->port_id());
	ASSERT_EQ(rte_eth_dev_stop(port()), 0);
	EXPECT_TRUE(vf_gone());
	ASSERT_EQ(rte_eth_dev_start(port()), 0);
	EXPECT_EQ(bypass_->send(pool_.frames(32)), 32u);
	EXPECT_EQ(drain(backup_->port_id()), 32u) << "not on the backup after the VF left";
}

} // namespace
