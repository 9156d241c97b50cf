/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "dpdk_compat.h"

namespace bypass {

/* Where every slow operation runs: never on the EAL interrupt thread (an
 * event callback only posts here and returns) and never on a data lcore.
 * Tasks run one at a time, in order of their due time. The destructor
 * drops what is still pending and joins the thread. */
class ControlThread {
public:
	using Task = std::function<void()>;
	using Clock = std::chrono::steady_clock;

	ControlThread() = default;
	~ControlThread() { stop(); }
	ControlThread(const ControlThread &) = delete;
	ControlThread &operator=(const ControlThread &) = delete;

	/* Starts the thread, a DPDK control thread: off the data lcores. */
	int start(const std::string &name);
	void stop();

	void post(Task task) { post_after(std::chrono::microseconds(0), std::move(task)); }
	void post_after(std::chrono::microseconds delay, Task task);
	/* True on the control thread itself. */
	bool on_thread() const;

private:
	static compat::ThreadResult main(void *self);

	std::mutex lock_;
	std::condition_variable wake_;
	std::multimap<Clock::time_point, Task> tasks_;
	bool running_ = false;
	bool started_ = false;
	compat::ThreadId thread_{};
};

} // namespace bypass
