/* SPDX-License-Identifier: BSD-3-Clause */
/* The rte_mp protocol of bypass_mp.h: what the primary accepts as a
 * request, and where its answers go. */
#include "bypass_mp.h"

#include <cstring>

#include <rte_memzone.h>

namespace bypass::mp {

int parse_request(const rte_mp_msg &msg, Request &req)
{
	if (msg.len_param != static_cast<int>(sizeof(req)))
		return -EINVAL;
	memcpy(&req, msg.param, sizeof(req));
	if (static_cast<uint32_t>(req.op) >= static_cast<uint32_t>(Op::count))
		return -EINVAL;
	if (req.size == 0 || req.size > SLOT_SIZE)
		return -EINVAL;
	if (req.op == Op::list)
		return memchr(req.vdev, '\0', sizeof(req.vdev)) != nullptr ? 0 : -EINVAL;
	return req.port < RTE_MAX_ETHPORTS ? 0 : -EINVAL;
}

Answers *answers_primary()
{
	static Answers *const answers = [] {
		const rte_memzone *mz =
		    rte_memzone_reserve(ANSWERS_MEMZONE, sizeof(Answers), SOCKET_ID_ANY, 0);
		if (mz == nullptr)
			return static_cast<Answers *>(nullptr);
		memset(mz->addr, 0, sizeof(Answers));
		return static_cast<Answers *>(mz->addr);
	}();
	return answers;
}

Answers *answers_secondary()
{
	const rte_memzone *mz = rte_memzone_lookup(ANSWERS_MEMZONE);
	return mz != nullptr && mz->len >= sizeof(Answers) ? static_cast<Answers *>(mz->addr)
							    : nullptr;
}

int copy_answer(const Answers &a, const Reply &reply, void *out, size_t size)
{
	if (reply.slot >= SLOTS || reply.len > SLOT_SIZE || reply.len > size || (reply.seq & 1))
		return -EPROTO;
	const Slot &s = a.slots[reply.slot];
	if (s.seq.load(std::memory_order_acquire) != reply.seq)
		return -EAGAIN;
	memcpy(out, s.data, reply.len);
	std::atomic_thread_fence(std::memory_order_acquire);
	if (s.seq.load(std::memory_order_relaxed) != reply.seq)
		return -EAGAIN;
	return static_cast<int>(reply.len);
}

} // namespace bypass::mp
