/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "eal.h"
#include "ports.h"

namespace fs = std::filesystem;

namespace bypass_test {

size_t count(const std::string &text, const std::string &what)
{
	size_t n = 0;
	for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
		n++;
	return n;
}

VhostBackend::VhostBackend(std::vector<Mode> modes, const Options &options)
{
	const std::string prefix = unique("vhost");
	std::vector<std::string> args = {
	    BYPASS_VHOST_HOST, "-l", "0", "--no-huge", "-m", "128", "--no-pci", "--file-prefix",
	    prefix,
	    /* The memif handshake, for a VF whose link never comes up. */
	    "--log-level", "pmd.net.memif:info", "--"};
	for (size_t i = 0; i < modes.size(); i++) {
		sockets_.push_back(
		    (fs::temp_directory_path() / (prefix + "_" + std::to_string(i) + ".sock"))
			.string());
		fs::remove(sockets_.back());
		args.push_back(modes[i] == Mode::echo ? "--socket" : "--failover");
		args.push_back(sockets_.back());
		if (modes[i] == Mode::failover_vf) {
			fs::remove(vf_socket(i));
			args.push_back("--vf");
			args.push_back(vf_socket(i));
		} else if (modes[i] == Mode::failover_tap) {
			args.push_back("--vf-tap");
			args.push_back(vf_tap(i));
		}
	}

	if (!options.vf_guest.empty()) {
		args.push_back("--vf-guest");
		args.push_back(options.vf_guest);
	}
	if (options.traffic_pps != 0) {
		args.push_back("--traffic");
		args.push_back(std::to_string(options.traffic_pps));
	}
	args.push_back("--vf-when");
	args.push_back(options.vf_when);
	log_ = prefix + ".log";
	/* A host that died must fail the test that talks to it, not kill the
	 * test binary with SIGPIPE on its next command. */
	signal(SIGPIPE, SIG_IGN);
	int pipe_fds[2];
	if (pipe(pipe_fds) != 0)
		return;
	pid_ = fork();
	if (pid_ == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
		dup2(pipe_fds[0], STDIN_FILENO);
		close(pipe_fds[1]);
		FILE *out = freopen(log_.c_str(), "w", stdout);
		dup2(fileno(out), STDERR_FILENO);
		std::vector<char *> argv;
		for (auto &a : args)
			argv.push_back(a.data());
		argv.push_back(nullptr);
		execvp(argv[0], argv.data());
		_exit(127);
	}
	close(pipe_fds[0]);
	commands_ = pipe_fds[1];
	ready_ = pid_ > 0 && wait_until(
				 [&] {
					 for (const auto &s : sockets_)
						 if (!fs::exists(s))
							 return false;
					 return true;
				 },
				 std::chrono::seconds(20));
}

VhostBackend::~VhostBackend()
{
	stop();
	for (size_t i = 0; i < sockets_.size(); i++) {
		fs::remove(sockets_[i]);
		fs::remove(vf_socket(i));
	}
}

void VhostBackend::stop()
{
	if (commands_ >= 0)
		close(commands_);
	commands_ = -1;
	if (pid_ <= 0)
		return;
	kill(pid_, SIGINT);
	int status;
	if (!wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; },
			std::chrono::seconds(10))) {
		kill(pid_, SIGKILL);
		waitpid(pid_, &status, 0);
	}
	pid_ = -1;
}

void VhostBackend::command(const std::string &line)
{
	const std::string text = line + "\n";
	if (write(commands_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
		ADD_FAILURE() << "cannot send '" << line << "' to the host (" << strerror(errno)
			      << "): see " << log_;
}

std::string VhostBackend::vf_tap(int i) const
{
	return unique("bpl") + "v" + std::to_string(i);
}

bool VhostBackend::wait_for(const std::string &what, size_t times,
			    std::chrono::milliseconds timeout) const
{
	return wait_until([&] { return count(log(), what) >= times; }, timeout);
}

std::string read_file(const std::string &path)
{
	std::ifstream in(path);
	return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string VhostBackend::log() const
{
	return read_file(log_);
}

CommandResult run_command(const std::string &cmd)
{
	CommandResult r{"", -1};
	FILE *p = popen((cmd + " 2>&1").c_str(), "r");
	if (p == nullptr)
		return r;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		r.output.append(buf, n);
	const int status = pclose(p);
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return r;
}

std::string secondary_echo_path()
{
	return BYPASS_SECONDARY_ECHO;
}

std::string testpmd_command(const std::string &prefix)
{
	/* coreutils' stdbuf works by preloading libstdbuf.so, which naming
	 * a sanitizer runtime in LD_PRELOAD would drop: ask stdbuf for its
	 * library and preload both. */
	static const std::string stdbuf_lib = [] {
		std::string lib = run_command("stdbuf -oL printenv LD_PRELOAD").output;
		while (!lib.empty() && isspace(static_cast<unsigned char>(lib.back())))
			lib.pop_back();
		return lib;
	}();
	return tool_env(stdbuf_lib) +
	       " _STDBUF_O=L dpdk-testpmd -l 0,1 --no-huge -m 512 --no-pci --file-prefix " +
	       prefix + " -d " + plugin_path();
}

std::string sanitizer_options()
{
	const char *env = getenv("BYPASS_TESTPMD_ENV");
	return env != nullptr ? env : "";
}

std::string tool_env(const std::string &preload)
{
	const char *sanitizer = getenv("BYPASS_TESTPMD_PRELOAD");
	std::string libs = sanitizer != nullptr ? sanitizer : "";
	if (!preload.empty())
		libs += (libs.empty() ? "" : ":") + preload;
	return "env LD_PRELOAD='" + libs + "' " + sanitizer_options();
}

TestpmdGuest::TestpmdGuest(const std::string &vdevs, const std::string &log) : log_(log)
{
	const std::string cmd = "exec " + testpmd_command(unique("guest")) + " " + vdevs +
				" --log-level pmd.net.bypass:info --log-level pmd.net.memif:info "
				"-- --forward-mode=io --auto-start "
				"--stats-period=3600 --total-num-mbufs=8192 >" +
				log + " 2>&1";
	pid_ = fork();
	if (pid_ == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
		_exit(127);
	}
}

bool TestpmdGuest::running() const
{
	return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0;
}

bool TestpmdGuest::stop()
{
	if (pid_ <= 0)
		return false;
	kill(pid_, SIGINT);
	int status = 0;
	if (!wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; },
			std::chrono::seconds(10))) {
		kill(pid_, SIGKILL);
		waitpid(pid_, &status, 0);
	}
	pid_ = -1;
	return WIFEXITED(status);
}

} // namespace bypass_test
