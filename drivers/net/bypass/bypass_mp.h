/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rte_mp messages a secondary process sends the primary about bypass
 * ports, and where the answers go (bypass_mp.cpp).
 *
 * A request carries no pointer: the primary never writes into memory a
 * secondary names. It writes each answer into a slot of a memzone it
 * created itself, under the slot's sequence number, and replies with the
 * slot and the sequence; the secondary copies the slot out and checks the
 * sequence again. An answer that comes after the secondary gave up (5 s)
 * lands in the primary's own memory, and a slot reused under a slow
 * reader shows as a changed sequence, never as a torn copy taken for good.
 */
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

namespace bypass::mp {

constexpr char ACTION[] = "net_bypass";

enum class Op : uint32_t { list, info, stats, xstats, count };

struct Request {
	Op op;
	uint16_t port;			 /* info, stats, xstats */
	char vdev[RTE_DEV_NAME_MAX_LEN]; /* list: the vdev whose ports */
	uint32_t size;			 /* the room the asker has for the answer */
};
static_assert(sizeof(Request) <= RTE_MP_MAX_PARAM_LEN, "a request fits one message");

struct Reply {
	int32_t result; /* >= 0: the answer's length is `len`; < 0: -errno */
	uint32_t slot;
	uint32_t seq;
	uint32_t len;
};
static_assert(sizeof(Reply) <= RTE_MP_MAX_PARAM_LEN, "a reply fits one message");

/* An answer: written by the primary's mp thread only. seq is odd while
 * it writes. */
constexpr size_t SLOT_SIZE = 4096;
constexpr unsigned SLOTS = 32;
struct alignas(64) Slot {
	std::atomic<uint32_t> seq;
	uint32_t len;
	alignas(64) uint8_t data[SLOT_SIZE];
};
struct Answers {
	std::atomic<uint32_t> next;
	Slot slots[SLOTS];
};
constexpr char ANSWERS_MEMZONE[] = "net_bypass_mp_answers";

/* Checks every field of a message as a request; 0 and `req`, or -EINVAL. */
int parse_request(const rte_mp_msg &msg, Request &req);

/* Primary: the memzone of answers, created on first use; nullptr if it
 * cannot be. */
Answers *answers_primary();
/* Secondary: the primary's memzone of answers, nullptr if none. */
Answers *answers_secondary();

/* Primary: writes an answer (`fill` returns its length or -errno, given
 * the slot's data and size) into the next slot and says where, in `reply`. */
template <typename Fill> void answer_into(Answers &a, Reply &reply, Fill &&fill)
{
	const uint32_t i = a.next.fetch_add(1, std::memory_order_relaxed) % SLOTS;
	Slot &s = a.slots[i];
	const uint32_t seq = s.seq.load(std::memory_order_relaxed);
	s.seq.store(seq + 1, std::memory_order_relaxed); /* odd: being written */
	std::atomic_thread_fence(std::memory_order_release);
	const int ret = fill(s.data, SLOT_SIZE);
	s.len = ret > 0 ? static_cast<uint32_t>(ret) : 0;
	s.seq.store(seq + 2, std::memory_order_release);
	reply = Reply{ret, i, seq + 2, s.len};
}

/* Secondary: copies the answer `reply` points at into `out` (`size`
 * bytes of room); its length, -EAGAIN if the slot was reused meanwhile,
 * -EPROTO if the reply makes no sense. */
int copy_answer(const Answers &a, const Reply &reply, void *out, size_t size);

} // namespace bypass::mp
