/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>
#include <vector>

#include <rte_mbuf.h>

/*
 * The lab's traffic: sequence-numbered frames the host sends the guest at
 * a fixed rate, which the guest echoes back (testpmd io forwarding). Every
 * echo is recorded with the path it came back on, so the host can report
 * packets per path and second, each switch with the gap between the last
 * echo on one path and the first on the other, duplicates, the echoes
 * overtaken across a switch, and the frames that never came back.
 */
class LabTraffic {
public:
	enum Path { VF = 0, VIRTIO = 1 };

	LabTraffic(uint64_t pps, rte_mempool *pool);

	/* Sending starts and stops on command, so that what the guest
	 * misses while it starts or stops does not count as lost. */
	void start()
	{
		running_ = true;
		next_tsc_ = 0;
	}
	void stop() { running_ = false; }
	/* The frames due now (paced by the TSC), at most `max`. */
	uint16_t generate(rte_mbuf **pkts, uint16_t max);
	/* True if `m` is one of ours coming back (recorded; the caller frees
	 * it), false for any other frame. */
	bool consume(const rte_mbuf *m, Path path);
	/* Prints a line a second: packets per path. */
	void tick();
	/* Prints the totals; returns the number of frames lost. */
	uint64_t summary() const;

private:
	void print_losses() const;

	static constexpr uint16_t ETHERTYPE = 0x88b5; /* local experimental */

	bool running_ = false;
	uint64_t interval_; /* TSC cycles between two frames */
	uint64_t next_tsc_ = 0;
	rte_mempool *pool_;
	uint64_t sent_ = 0;
	std::vector<bool> seen_;
	uint64_t received_[2] = {}, second_[2] = {}, dups_ = 0, overtaken_ = 0, switches_ = 0;
	uint64_t newest_ = 0; /* the highest sequence number back so far */
	uint64_t last_rx_tsc_[2] = {};
	int last_path_ = -1;
	uint64_t second_start_ = 0;
	uint64_t max_gap_us_ = 0;
};
