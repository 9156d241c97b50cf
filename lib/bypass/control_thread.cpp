/* SPDX-License-Identifier: BSD-3-Clause */
#include "control_thread.h"

#include "dpdk_compat.h"

namespace bypass {

int ControlThread::start(const std::string &name)
{
	std::lock_guard<std::mutex> guard(lock_);
	if (started_)
		return 0;
	running_ = true;
	const int ret = compat::create_control_thread(&thread_, name.c_str(), main, this);
	if (ret != 0) {
		running_ = false;
		return ret;
	}
	started_ = true;
	return 0;
}

void ControlThread::stop()
{
	{
		std::lock_guard<std::mutex> guard(lock_);
		if (!started_)
			return;
		running_ = false;
		tasks_.clear();
	}
	wake_.notify_all();
	if (!on_thread())
		compat::join_thread(thread_);
	else
		compat::detach_thread(thread_);
	started_ = false;
}

void ControlThread::post_after(std::chrono::microseconds delay, Task task)
{
	{
		std::lock_guard<std::mutex> guard(lock_);
		if (!running_)
			return;
		tasks_.emplace(Clock::now() + delay, std::move(task));
	}
	wake_.notify_all();
}

bool ControlThread::on_thread() const
{
	return started_ && compat::is_current_thread(thread_);
}

compat::ThreadResult ControlThread::main(void *self)
{
	auto *ct = static_cast<ControlThread *>(self);
	std::unique_lock<std::mutex> guard(ct->lock_);
	while (ct->running_) {
		if (ct->tasks_.empty()) {
			ct->wake_.wait(guard);
			continue;
		}
		auto first = ct->tasks_.begin();
		/* A copy: stop() may free the node while we wait. */
		const Clock::time_point due = first->first;
		if (due > Clock::now()) {
			ct->wake_.wait_until(guard, due);
			continue;
		}
		Task task = std::move(first->second);
		ct->tasks_.erase(first);
		guard.unlock();
		task();
		guard.lock();
	}
	return {};
}

} // namespace bypass
