/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <rte_mempool.h>

/*
 * A VF as the lab's host gives it to the guest, in one of two forms:
 *   memif  a memif server the guest's memif client connects to: shared
 *          memory, the lab's stand-in for a VF's DMA;
 *   tap    the guest's own net_tap interface, reached from here through an
 *          AF_PACKET socket. It is there for the link flap: a memif client
 *          in DPDK 22.11 connects only in dev_start and never reconnects,
 *          so its link cannot go down and come back up, where a tap's
 *          link follows the interface's flags.
 *
 * A withdrawal does not block the host's datapath: it finishes in poll()
 * once the guest let go of the VF (or after a second).
 *
 * Threads: everything runs on the host's main loop except the removal
 * itself, which runs in an EAL alarm, on the interrupt thread. memif
 * handles its control channel there, and takes its link down first thing
 * as it handles a disconnect: closing the port from the main loop as soon
 * as the link reads down closed it under that handler (a SEGV in 22.11's
 * memif). On the interrupt thread the close comes after the handler.
 */
class LabVf {
public:
	enum class Kind { memif, tap };

	LabVf(Kind kind, std::string endpoint, rte_mempool *pool);
	~LabVf();
	LabVf(const LabVf &) = delete;
	LabVf &operator=(const LabVf &) = delete;

	/* Plugs the VF; if it is still being withdrawn, once it is gone. */
	void plug();
	/* A planned withdrawal keeps the VF working until the guest let go; a
	 * surprise one makes it a dead device at once, which the guest learns
	 * from the removal event only (no link down first). False if the VF
	 * was not plugged. */
	bool withdraw(bool surprise);
	/* Advances a withdrawal and a pending plug; reports link changes. */
	void poll();
	/* Takes the VF's link down or up, as its physical function would
	 * (tap only); false if this VF cannot. */
	bool set_link(bool up);

	/* The host may send the guest frames this way. */
	bool usable() const { return serving() && link_up_; }
	/* The host must serve the VF's queues (echo what comes in). */
	bool serving() const
	{
		const State s = state_.load();
		return s == State::plugged || s == State::leaving;
	}
	Kind kind() const { return kind_; }
	uint16_t port() const { return port_; }
	const std::string &endpoint() const { return endpoint_; }
	/* For the status command: where the VF is, and whether a plug waits
	 * for its withdrawal to end. */
	const char *state_name() const;
	bool plug_deferred() const { return replug_; }

private:
	/* removing: the alarm closes the port; the main loop no longer
	 * touches it, and waits for gone. */
	enum class State { gone, plugged, leaving, dead, removing };

	bool read_link() const;
	/* From the main loop, which then stops using the port. */
	void remove_on_interrupt_thread();
	void remove();
	/* Where a memif server listens while the guest must not find it:
	 * before it is started, and once it is being withdrawn. */
	std::string unpublished() const { return endpoint_ + ".new"; }
	void unpublish() const;

	Kind kind_;
	std::string endpoint_;
	rte_mempool *pool_;
	std::string name_;
	uint16_t port_ = UINT16_MAX;
	std::atomic<State> state_{State::gone};
	bool link_up_ = false;
	bool replug_ = false;
	uint64_t deadline_tsc_ = 0;
	unsigned generation_ = 0;
};
