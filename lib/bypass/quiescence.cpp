/* SPDX-License-Identifier: BSD-3-Clause */
#include "quiescence.h"

#include <thread>

namespace bypass {

bool qs_wait(const QsReader *const *readers, size_t n, uint64_t epoch,
	     std::chrono::microseconds timeout)
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	for (size_t i = 0; i < n; i++) {
		if (readers[i] == nullptr)
			continue;
		while (!readers[i]->reached(epoch)) {
			if (std::chrono::steady_clock::now() >= deadline)
				return false;
			std::this_thread::yield();
		}
	}
	return true;
}

} // namespace bypass
