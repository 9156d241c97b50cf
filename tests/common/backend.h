/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bypass_test {

/* What the lab's host does besides serving sockets. */
struct HostOptions {
	/* The guest's device name for its VF, named in the removal uevent
	 * the host sends on "unplug" and "surprise". */
	std::string vf_guest;
	/* Sequence-numbered traffic, frames a second (0: none). */
	unsigned traffic_pps = 0;
	/* When the VF is plugged: "standby", "command", "start". */
	std::string vf_when = "standby";
};

/* The host side of virtio_user ports: bypass-vhost-host in a second
 * process serving vhost-user sockets and sending every packet back. A
 * failover socket also offers what QEMU offers a failover guest (STANDBY,
 * VLAN filter, MAC table), and may come with a VF. Stopped on
 * destruction. */
class VhostBackend {
public:
	/* failover_vf: a failover socket whose VF (a memif server on
	 * vf_socket()) the host plugs once the guest negotiated STANDBY;
	 * failover_tap: its VF is the guest's tap vf_tap() instead, whose link
	 * the host can flap. */
	enum class Mode { echo, failover, failover_vf, failover_tap };
	using Options = HostOptions;
	explicit VhostBackend(std::vector<Mode> sockets, const Options &options = {});
	~VhostBackend();
	VhostBackend(const VhostBackend &) = delete;
	VhostBackend &operator=(const VhostBackend &) = delete;

	bool ready() const { return ready_; }
	const std::string &socket(int i) const { return sockets_.at(i); }
	std::string vf_socket(int i) const { return sockets_.at(i) + ".vf"; }
	/* An interface name (IFNAMSIZ) unique to this process and socket. */
	std::string vf_tap(int i) const;
	/* What the host printed so far (it logs what each guest negotiated). */
	std::string log() const;
	/* A line on the host's standard input (bypass-vhost-host's
	 * commands: "unplug", "surprise", "plug", "link-down", ...). */
	void command(const std::string &line);
	/* Waits until the host printed `what` at least `times` times (the
	 * timeout is wait_until()'s). */
	bool wait_for(const std::string &what, size_t times = 1,
		      std::chrono::milliseconds timeout = std::chrono::seconds(3)) const;
	/* Stops the host (it prints its traffic summary as it exits). */
	void stop();

private:
	std::vector<std::string> sockets_;
	std::string log_;
	pid_t pid_ = -1;
	int commands_ = -1;
	bool ready_ = false;
};

/* How many times `what` occurs in `text`. */
size_t count(const std::string &text, const std::string &what);

/* A whole file ("" if it cannot be read). */
std::string read_file(const std::string &path);

/* Runs a shell command and returns what it printed (stdout and stderr)
 * and its exit status. */
struct CommandResult {
	std::string output;
	int status;
};
CommandResult run_command(const std::string &cmd);

/* The start of a command line running the stock dpdk-testpmd with the
 * plugin (EAL options up to -d; the caller adds --vdev and the rest):
 * line-buffered, since a test reads what it prints to a file or a pipe,
 * and with the sanitizer runtime preloaded in a sanitized build. */
std::string testpmd_command(const std::string &file_prefix);

/* What the sanitized build asks of the processes a test starts (its
 * sanitizer's options), empty in the release build. */
std::string sanitizer_options();
/* The start of a command line running a stock DPDK program that will load
 * the plugin: `env`, with the sanitizer runtime first in LD_PRELOAD in a
 * sanitized build, then `preload` (":"-separated, may be empty), and the
 * sanitizer's options. */
std::string tool_env(const std::string &preload = "");

/* bypass-test-secondary-echo (secondary_echo.cpp). */
std::string secondary_echo_path();

/* The stock dpdk-testpmd as a guest, in its own process: forwarding
 * (io: what it receives on its one port goes back out of it) until it is
 * stopped. */
class TestpmdGuest {
public:
	TestpmdGuest(const std::string &vdevs, const std::string &log);
	~TestpmdGuest() { stop(); }
	TestpmdGuest(const TestpmdGuest &) = delete;
	TestpmdGuest &operator=(const TestpmdGuest &) = delete;

	bool running() const;
	/* What it printed so far. */
	std::string log() const { return read_file(log_); }
	/* SIGINT, then wait; returns true if it exited on its own terms. */
	bool stop();

private:
	std::string log_;
	pid_t pid_ = -1;
};

} // namespace bypass_test
