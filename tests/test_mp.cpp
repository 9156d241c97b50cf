/* SPDX-License-Identifier: BSD-3-Clause */
/* The rte_mp protocol between a secondary and the primary (bypass_mp.h):
 * what the primary refuses as a request, and how a secondary takes an
 * answer from the primary's memory without trusting the reply. The whole
 * exchange runs in test_multiprocess; libFuzzer runs fuzz/fuzz_mp.cpp. */
#include <cstring>
#include <memory>

#include <gtest/gtest.h>

#include "bypass_mp.h"

using namespace bypass::mp;

namespace {

rte_mp_msg message(const Request &req, int len = sizeof(Request))
{
	rte_mp_msg msg{};
	memcpy(msg.param, &req, sizeof(req));
	msg.len_param = len;
	return msg;
}

Request valid()
{
	Request req{};
	req.op = Op::stats;
	req.port = 3;
	req.size = 1024;
	return req;
}

TEST(MpRequest, AWellFormedOneIsTaken)
{
	Request out;
	EXPECT_EQ(parse_request(message(valid()), out), 0);
	EXPECT_EQ(out.port, 3);
	Request list{};
	list.op = Op::list;
	strcpy(list.vdev, "net_bypass0");
	list.size = SLOT_SIZE;
	EXPECT_EQ(parse_request(message(list), out), 0);
}

TEST(MpRequest, EveryMalformedFieldIsRefused)
{
	Request out;
	EXPECT_EQ(parse_request(message(valid(), sizeof(Request) - 1), out), -EINVAL);
	Request r = valid();
	r.op = Op::count;
	EXPECT_EQ(parse_request(message(r), out), -EINVAL) << "unknown op";
	r = valid();
	r.port = RTE_MAX_ETHPORTS;
	EXPECT_EQ(parse_request(message(r), out), -EINVAL) << "no such port id";
	r = valid();
	r.size = 0;
	EXPECT_EQ(parse_request(message(r), out), -EINVAL) << "no room";
	r.size = SLOT_SIZE + 1;
	EXPECT_EQ(parse_request(message(r), out), -EINVAL) << "more than a slot";
	r = valid();
	r.op = Op::list;
	memset(r.vdev, 'x', sizeof(r.vdev));
	EXPECT_EQ(parse_request(message(r), out), -EINVAL) << "a vdev name without its end";
}

class MpAnswer : public testing::Test {
protected:
	std::unique_ptr<Answers> answers_ = std::make_unique<Answers>();
	Reply answer(const char *text)
	{
		Reply r{};
		answer_into(*answers_, r, [&](uint8_t *out, size_t) {
			memcpy(out, text, strlen(text) + 1);
			return static_cast<int>(strlen(text) + 1);
		});
		return r;
	}
};

TEST_F(MpAnswer, TheSecondaryCopiesWhatThePrimaryWrote)
{
	const Reply r = answer("eight");
	char out[16];
	EXPECT_EQ(copy_answer(*answers_, r, out, sizeof(out)), 6);
	EXPECT_STREQ(out, "eight");
}

TEST_F(MpAnswer, ASlotReusedBeforeTheCopyIsNotTakenForTheAnswer)
{
	const Reply first = answer("first");
	for (unsigned i = 0; i < SLOTS; i++)
		answer("later");
	char out[16];
	EXPECT_EQ(copy_answer(*answers_, first, out, sizeof(out)), -EAGAIN);
}

TEST_F(MpAnswer, AReplyThatMakesNoSenseCopiesNothing)
{
	Reply r = answer("text");
	char out[4];
	EXPECT_EQ(copy_answer(*answers_, r, out, sizeof(out)), -EPROTO) << "more than the room";
	char room[16];
	Reply bad = r;
	bad.slot = SLOTS;
	EXPECT_EQ(copy_answer(*answers_, bad, room, sizeof(room)), -EPROTO) << "no such slot";
	bad = r;
	bad.seq |= 1;
	EXPECT_EQ(copy_answer(*answers_, bad, room, sizeof(room)), -EPROTO) << "mid-write";
	bad = r;
	bad.len = SLOT_SIZE + 1;
	EXPECT_EQ(copy_answer(*answers_, bad, room, sizeof(room)), -EPROTO) << "past the slot";
}

} // namespace
