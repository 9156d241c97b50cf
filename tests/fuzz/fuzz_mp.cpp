/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: what the primary takes from any process that can
 * reach its rte_mp socket (bypass_mp.h). A request that parses is within
 * bounds; a reply, whatever it says, copies at most what fits and only
 * from the answers' memory. */
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "bypass_mp.h"

using namespace bypass::mp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rte_mp_msg msg{};
	msg.len_param = static_cast<int>(size < sizeof(msg.param) ? size : sizeof(msg.param));
	memcpy(msg.param, data, msg.len_param);
	Request req;
	if (parse_request(msg, req) == 0) {
		if (static_cast<uint32_t>(req.op) >= static_cast<uint32_t>(Op::count) ||
		    req.size == 0 || req.size > SLOT_SIZE ||
		    (req.op == Op::list && strnlen(req.vdev, sizeof(req.vdev)) == sizeof(req.vdev)) ||
		    (req.op != Op::list && req.port >= RTE_MAX_ETHPORTS))
			abort();
	}
	/* The same bytes as a reply, against answers the fuzzer also wrote. */
	static auto *answers = new Answers();
	if (size >= sizeof(Reply)) {
		Reply r;
		memcpy(&r, data, sizeof(r));
		answers->slots[r.slot % SLOTS].seq.store(r.seq);
		uint8_t out[64];
		const int n = copy_answer(*answers, r, out, sizeof(out));
		if (n > static_cast<int>(sizeof(out)))
			abort();
	}
	return 0;
}
