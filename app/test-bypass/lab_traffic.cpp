/* SPDX-License-Identifier: BSD-3-Clause */
#include "lab_traffic.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>

namespace {

const char *const PATH_NAME[] = {"VF", "virtio"};

struct Payload {
	uint64_t seq;
};

double us(uint64_t cycles)
{
	return double(cycles) * 1e6 / double(rte_get_tsc_hz());
}

} // namespace

LabTraffic::LabTraffic(uint64_t pps, rte_mempool *pool)
    : interval_(rte_get_tsc_hz() / std::max<uint64_t>(pps, 1)), pool_(pool)
{
	second_start_ = rte_get_tsc_cycles();
}

uint16_t LabTraffic::generate(rte_mbuf **pkts, uint16_t max)
{
	if (!running_)
		return 0;
	const uint64_t now = rte_get_tsc_cycles();
	if (next_tsc_ == 0)
		next_tsc_ = now;
	uint16_t n = 0;
	while (n < max && next_tsc_ <= now) {
		rte_mbuf *m = rte_pktmbuf_alloc(pool_);
		if (m == nullptr)
			break;
		auto *eth = reinterpret_cast<rte_ether_hdr *>(
		    rte_pktmbuf_append(m, sizeof(rte_ether_hdr) + sizeof(Payload) + 46));
		memset(eth, 0, m->data_len);
		rte_ether_unformat_addr("02:00:00:00:00:01", &eth->dst_addr);
		rte_ether_unformat_addr("02:00:00:00:00:fe", &eth->src_addr);
		eth->ether_type = rte_cpu_to_be_16(ETHERTYPE);
		const Payload p{sent_++};
		memcpy(eth + 1, &p, sizeof(p));
		pkts[n++] = m;
		next_tsc_ += interval_;
	}
	return n;
}

bool LabTraffic::consume(const rte_mbuf *m, Path path)
{
	const auto *eth = rte_pktmbuf_mtod(m, const rte_ether_hdr *);
	if (m->data_len < sizeof(*eth) + sizeof(Payload) ||
	    eth->ether_type != rte_cpu_to_be_16(ETHERTYPE))
		return false;
	Payload p;
	memcpy(&p, eth + 1, sizeof(p));
	const uint64_t now = rte_get_tsc_cycles();
	if (p.seq >= seen_.size())
		seen_.resize(std::max<size_t>(p.seq + 1, seen_.size() * 2), false);
	if (seen_[p.seq]) {
		dups_++;
		return true;
	}
	seen_[p.seq] = true;
	received_[path]++;
	second_[path]++;
	/* A frame still in the old path's rings, overtaken by a later one
	 * on the new path: reordering across a switch, not a switch back. */
	if (last_path_ >= 0 && last_path_ != path && p.seq < newest_) {
		overtaken_++;
		return true;
	}
	newest_ = std::max(newest_, p.seq);
	if (last_path_ >= 0 && last_path_ != path) {
		const uint64_t gap_us = uint64_t(us(now - last_rx_tsc_[last_path_]));
		max_gap_us_ = std::max(max_gap_us_, gap_us);
		switches_++;
		printf("lab: switch %s -> %s: gap %" PRIu64 " us (frame %" PRIu64 ")\n",
		       PATH_NAME[last_path_], PATH_NAME[path], gap_us, p.seq);
	}
	last_path_ = path;
	last_rx_tsc_[path] = now;
	return true;
}

void LabTraffic::tick()
{
	const uint64_t now = rte_get_tsc_cycles();
	if (now - second_start_ < rte_get_tsc_hz())
		return;
	printf("lab: %8" PRIu64 " pkt/s on the VF  %8" PRIu64 " pkt/s on virtio  (%s)\n",
	       second_[VF], second_[VIRTIO], last_path_ < 0 ? "-" : PATH_NAME[last_path_]);
	second_[VF] = second_[VIRTIO] = 0;
	second_start_ = now;
}

/* Which frames never came back says where they were lost. */
void LabTraffic::print_losses() const
{
	unsigned ranges = 0;
	for (uint64_t seq = 0; seq < sent_ && ranges < 10;) {
		if (seq < seen_.size() && seen_[seq]) {
			seq++;
			continue;
		}
		uint64_t end = seq;
		while (end + 1 < sent_ && !(end + 1 < seen_.size() && seen_[end + 1]))
			end++;
		printf("lab: lost frames %" PRIu64 "-%" PRIu64 "\n", seq, end);
		ranges++;
		seq = end + 1;
	}
}

uint64_t LabTraffic::summary() const
{
	print_losses();
	const uint64_t back = received_[VF] + received_[VIRTIO];
	const uint64_t lost = sent_ > back ? sent_ - back : 0;
	printf("lab summary: sent %" PRIu64 ", back on the VF %" PRIu64 ", on virtio %" PRIu64
	       ", lost %" PRIu64 ", duplicates %" PRIu64 ", overtaken %" PRIu64
	       ", switches %" PRIu64 ", largest gap (us) %" PRIu64 ", last path %s\n",
	       sent_, received_[VF], received_[VIRTIO], lost, dups_, overtaken_, switches_,
	       max_gap_us_, last_path_ < 0 ? "-" : PATH_NAME[last_path_]);
	return lost;
}
