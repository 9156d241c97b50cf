/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace bypass_test {

/* The host side of virtio_user ports: bypass-vhost-host in a second
 * process serving vhost-user sockets and sending every packet back. A
 * failover socket also offers what QEMU offers a failover guest (STANDBY,
 * VLAN filter, MAC table), and may come with a VF. Stopped on
 * destruction. */
class VhostBackend {
public:
	/* failover_vf: a failover socket whose VF (a memif server on
	 * vf_socket()) the host plugs once the guest negotiated STANDBY. */
	enum class Mode { echo, failover, failover_vf };
	/* vf_guest: the guest's device name for its VF, named in the removal
	 * uevent the host sends on "unplug". */
	explicit VhostBackend(std::vector<Mode> sockets, const std::string &vf_guest = "");
	~VhostBackend();
	VhostBackend(const VhostBackend &) = delete;
	VhostBackend &operator=(const VhostBackend &) = delete;

	bool ready() const { return ready_; }
	const std::string &socket(int i) const { return sockets_.at(i); }
	std::string vf_socket(int i) const { return sockets_.at(i) + ".vf"; }
	/* What the host printed so far (it logs what each guest negotiated). */
	std::string log() const;
	/* A line on the host's standard input: "unplug" or "plug". */
	void command(const std::string &line);

private:
	std::vector<std::string> sockets_;
	std::string log_;
	pid_t pid_ = -1;
	int commands_ = -1;
	bool ready_ = false;
};

/* Runs a shell command and returns what it printed (stdout and stderr)
 * and its exit status. */
struct CommandResult {
	std::string output;
	int status;
};
CommandResult run_command(const std::string &cmd);

} // namespace bypass_test
