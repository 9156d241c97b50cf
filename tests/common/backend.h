/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace bypass_test {

/* The host side of virtio_user ports: bypass-vhost-host in a second
 * process serving vhost-user sockets. An echo socket sends every packet
 * back; a config-only socket offers the control-queue features (VLAN
 * filter, MAC table) and STANDBY but carries no packets. Stopped on
 * destruction. */
class VhostBackend {
public:
	enum class Mode { echo, config_only };
	explicit VhostBackend(std::vector<Mode> sockets);
	~VhostBackend();
	VhostBackend(const VhostBackend &) = delete;
	VhostBackend &operator=(const VhostBackend &) = delete;

	bool ready() const { return ready_; }
	const std::string &socket(int i) const { return sockets_.at(i); }
	/* What the host printed so far (it logs what each guest negotiated). */
	std::string log() const;

private:
	std::vector<std::string> sockets_;
	std::string log_;
	pid_t pid_ = -1;
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
