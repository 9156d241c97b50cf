/* SPDX-License-Identifier: BSD-3-Clause */
/* What STANDBY's search through the virtio PMD's memory takes for the
 * per-port array of operation tables, and what it refuses: on a synthetic
 * object whose code, constant and writable segments are buffers of the
 * test, so that each way a candidate can be wrong is laid out on purpose.
 * Nothing found here is ever called or written. */
#include <cerrno>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "pmd_object.h"

namespace {

constexpr unsigned PORTS = 32, MEMBERS = 16;
constexpr unsigned NEEDED[] = {4, 5}; /* get_features, set_features */

class FakeObject : public testing::Test {
protected:
	void SetUp() override
	{
		obj_.name = "fake";
		add(code_, sizeof(code_), PMD_SEG_CODE);
		add(tables_, sizeof(tables_), PMD_SEG_CONST);
		add(data_, sizeof(data_), PMD_SEG_DATA);
		for (auto &t : tables_)
			for (auto &m : t)
				m = code_ + 16;
	}
	void add(const void *p, size_t len, pmd_segment_kind kind)
	{
		const auto lo = reinterpret_cast<uintptr_t>(p);
		obj_.seg[obj_.nb_seg++] = {lo, lo + len, kind};
	}
	/* An array starting `at` entries into the data segment. */
	void **array(unsigned at) { return data_ + at; }
	/* The code addresses `target` RIP-relatively from its byte `at`. */
	void refer(unsigned at, const void *target)
	{
		const auto end = reinterpret_cast<uintptr_t>(code_ + at + 4);
		const auto disp = static_cast<int32_t>(reinterpret_cast<uintptr_t>(target) - end);
		memcpy(code_ + at, &disp, sizeof(disp));
	}
	void *find(unsigned index, const unsigned char *required = nullptr)
	{
		why_ = nullptr;
		return pmd_object_find_table_array(&obj_, index, PORTS, sizeof(void *), required,
						   MEMBERS, NEEDED, 2, &why_);
	}

	pmd_object obj_{};
	alignas(8) unsigned char code_[4096]{};
	void *tables_[3][MEMBERS]{};
	void *data_[3 * PORTS]{};
	const char *why_ = nullptr;
};

TEST_F(FakeObject, ATableIsConstantDataWhoseMembersAreAllNullOrCode)
{
	EXPECT_EQ(pmd_object_table_check(&obj_, tables_[0], MEMBERS, NEEDED, 2), nullptr);
	tables_[0][7] = nullptr;
	EXPECT_EQ(pmd_object_table_check(&obj_, tables_[0], MEMBERS, NEEDED, 2), nullptr);
	tables_[0][7] = data_;
	EXPECT_NE(pmd_object_table_check(&obj_, tables_[0], MEMBERS, NEEDED, 2), nullptr)
	    << "a member pointing at data";
	EXPECT_NE(pmd_object_table_check(&obj_, tables_[2], MEMBERS + 1, NEEDED, 2), nullptr)
	    << "a table running past its segment's end";
}

TEST_F(FakeObject, ATableWithoutFeatureAccessOrOutsideTheObjectIsRefused)
{
	tables_[0][NEEDED[1]] = nullptr;
	EXPECT_NE(pmd_object_table_check(&obj_, tables_[0], MEMBERS, NEEDED, 2), nullptr);
	void *elsewhere[MEMBERS] = {};
	EXPECT_NE(pmd_object_table_check(&obj_, elsewhere, MEMBERS, NEEDED, 2), nullptr);
	EXPECT_NE(
	    pmd_object_table_check(&obj_, reinterpret_cast<char *>(tables_[0]) + 1, 4, nullptr, 0),
	    nullptr)
	    << "unaligned";
}

TEST_F(FakeObject, TheArrayWhoseEntryForThePortIsATableIsFound)
{
	void **a = array(PORTS);
	a[3] = tables_[0];
	refer(100, a);
	EXPECT_EQ(find(3), a) << why_;
}

TEST_F(FakeObject, AnEntryThatIsNotATableIsNoArray)
{
	void **a = array(PORTS);
	a[3] = tables_[0];
	a[9] = code_; /* a function, not a table */
	refer(100, a);
	EXPECT_EQ(find(3), nullptr);
	EXPECT_NE(why_, nullptr);
}

TEST_F(FakeObject, APortThePmdHoldsMustHaveATable)
{
	void **a = array(PORTS);
	a[3] = tables_[0];
	refer(100, a);
	unsigned char present[PORTS] = {};
	present[3] = present[5] = 1;
	EXPECT_EQ(find(3, present), nullptr) << "port 5 is the PMD's but has no table";
	a[5] = tables_[0];
	EXPECT_EQ(find(3, present), a) << why_;
}

#if defined(__x86_64__)
/* Entries of closed ports stay: the shape also fits a few entries either
 * side, and only the start the code addresses is the array. */
TEST_F(FakeObject, OfShiftedFitsTheOneTheCodeAddressesIsTheArray)
{
	void **a = array(PORTS);
	for (unsigned stale : {1, 2, 3, 4})
		a[stale] = tables_[0];
	refer(200, a);
	EXPECT_EQ(find(3), a) << why_;
}

TEST_F(FakeObject, AnArrayTheCodeNeverAddressesIsRefused)
{
	void **a = array(PORTS);
	a[3] = tables_[0];
	EXPECT_EQ(find(3), nullptr);
	EXPECT_NE(why_, nullptr);
}

TEST_F(FakeObject, TwoAddressedArraysOfTheSameShapeAreRefused)
{
	void **a = array(0), **b = array(2 * PORTS);
	a[3] = tables_[0];
	b[3] = tables_[1];
	refer(100, a);
	refer(300, b);
	EXPECT_EQ(find(3), nullptr);
	ASSERT_NE(why_, nullptr);
	EXPECT_NE(strstr(why_, "more than one"), nullptr) << why_;
}
#endif

int a_global = 1;

TEST(PmdObject, TheObjectHoldingAnAddressIsFoundWithItsSegments)
{
	pmd_object o{};
	ASSERT_EQ(pmd_object_of(reinterpret_cast<const void *>(&pmd_object_of), &o), 0);
	EXPECT_TRUE(
	    pmd_object_holds(&o, reinterpret_cast<const void *>(&pmd_object_of), PMD_SEG_CODE));
	EXPECT_FALSE(
	    pmd_object_holds(&o, reinterpret_cast<const void *>(&pmd_object_of), PMD_SEG_DATA));
	pmd_object program{};
	ASSERT_EQ(pmd_object_of(&a_global, &program), 0);
	EXPECT_TRUE(pmd_object_holds(&program, &a_global, PMD_SEG_DATA));
	int on_stack = 0;
	EXPECT_EQ(pmd_object_of(&on_stack, &o), -ENOENT);
}

} // namespace
