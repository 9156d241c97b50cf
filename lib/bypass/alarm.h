/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <atomic>
#include <cstdint>

namespace bypass {

/* A periodic EAL alarm (it runs on the EAL interrupt thread). stop() and the
 * destructor return only once no callback is running any more, so the
 * object the callback touches can be freed right after. */
class PeriodicAlarm {
public:
	using Callback = void (*)(void *arg);

	PeriodicAlarm() = default;
	~PeriodicAlarm() { stop(); }
	PeriodicAlarm(const PeriodicAlarm &) = delete;
	PeriodicAlarm &operator=(const PeriodicAlarm &) = delete;

	int start(uint64_t period_us, Callback fn, void *arg);
	void stop();
	bool running() const { return running_.load(std::memory_order_acquire); }

private:
	static void fire(void *self);

	std::atomic<bool> running_{false};
	uint64_t period_us_ = 0;
	Callback fn_ = nullptr;
	void *arg_ = nullptr;
};

} // namespace bypass
