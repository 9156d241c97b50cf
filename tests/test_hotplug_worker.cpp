/* SPDX-License-Identifier: BSD-3-Clause */
/* HotplugWorker::probe_announced (lib/bypass): the kernel announces a
 * hot-plugged VF before udev hands it to vfio-pci, so DPDK's first probe
 * finds it unusable (-ENOTSUP: unbound or on its kernel driver; -ENODEV:
 * not scanned yet). It is probed again until it works or the patience
 * runs out; any other failure is final. The probe here is a stand-in that
 * answers as rte_dev_probe() would, N times "not yet" before "done". */
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "bypass/hotplug_worker.h"
#include "common/eal.h"
#include "common/ports.h"

using namespace bypass_test;
using namespace std::chrono_literals;

namespace {

std::atomic<int> calls{0};
std::atomic<int> not_yet_answers{0};
std::atomic<int> not_yet_error{-ENOTSUP};
std::atomic<int> final_answer{0};

int stand_in(const char *)
{
	const int n = calls.fetch_add(1);
	return n < not_yet_answers.load() ? not_yet_error.load() : final_answer.load();
}

class ProbeAnnounced : public testing::Test {
protected:
	void SetUp() override { calls.store(0); }
	/* Probes with `patience`; returns the calls once they stopped. */
	int calls_after(std::chrono::milliseconds patience, int expected)
	{
		bypass::HotplugWorker::instance().probe_announced("0000:00:05.0", patience,
								 stand_in);
		EXPECT_TRUE(wait_until([&] { return calls.load() >= expected; }));
		/* A retry comes 100 ms after the last: none may follow. */
		std::this_thread::sleep_for(400ms);
		return calls.load();
	}
};

TEST_F(ProbeAnnounced, ADeviceNotOnVfioYetIsProbedAgainUntilItIs)
{
	not_yet_answers.store(2);
	not_yet_error.store(-ENOTSUP);
	final_answer.store(0);
	EXPECT_EQ(calls_after(5000ms, 3), 3);
}

TEST_F(ProbeAnnounced, ADeviceNotScannedYetIsProbedAgainUntilItIs)
{
	not_yet_answers.store(2);
	not_yet_error.store(-ENODEV);
	final_answer.store(0);
	EXPECT_EQ(calls_after(5000ms, 3), 3);
}

TEST_F(ProbeAnnounced, OtherFailuresAreNotTriedAgain)
{
	not_yet_answers.store(0);
	final_answer.store(-EINVAL);
	EXPECT_EQ(calls_after(5000ms, 1), 1);
}

TEST_F(ProbeAnnounced, ADeviceNeverUsableIsGivenUpOnAfterThePatience)
{
	not_yet_answers.store(1000);
	not_yet_error.store(-ENOTSUP);
	/* At 0, 100, 200 and 300 ms of patience spent. */
	EXPECT_EQ(calls_after(300ms, 4), 4);
}

} // namespace
