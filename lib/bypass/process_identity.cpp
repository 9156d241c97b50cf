/* SPDX-License-Identifier: BSD-3-Clause */
#include "process_identity.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace bypass {

namespace {

struct StatFields {
	long pid = 0;
	char state = 0;
	unsigned long long start = 0;
};

enum class Read { ok, missing, error };

/* Fields 1 (pid), 3 (state) and 22 (starttime) of a /proc stat file. The
 * command name (field 2) may hold spaces and parentheses: the fields after
 * it are counted from the last ')'. `missing`: no such process (ENOENT,
 * ESRCH); `error`: it could not be read (EACCES under hidepid, ...), which
 * says nothing about whether it runs. */
Read read_stat(const std::string &path, StatFields &out)
{
	FILE *f = fopen(path.c_str(), "re");
	if (f == nullptr)
		return errno == ENOENT || errno == ESRCH ? Read::missing : Read::error;
	char buf[1024];
	const size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	const bool failed = ferror(f) != 0;
	fclose(f);
	if (failed)
		return errno == ESRCH ? Read::missing : Read::error;
	buf[len] = '\0';
	const char *p = strrchr(buf, ')');
	if (p == nullptr)
		return Read::error;
	out.pid = strtol(buf, nullptr, 10);
	p++;
	for (int field = 3; field <= 22 && *p != '\0'; field++) {
		while (*p == ' ')
			p++;
		if (field == 3)
			out.state = *p;
		else if (field == 22)
			out.start = strtoull(p, nullptr, 10);
		while (*p != ' ' && *p != '\0')
			p++;
	}
	return out.state != 0 ? Read::ok : Read::error;
}

uint64_t inode_of(const char *path)
{
	struct stat st {};
	return stat(path, &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

bool exited(char state)
{
	return state == 'Z' || state == 'X';
}

/* A zombie leader may still have threads running (its main called
 * pthread_exit): gone only once every task has exited. */
Liveness zombie_liveness(uint32_t pid)
{
	const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
	DIR *d = opendir(tasks.c_str());
	if (d == nullptr)
		return errno == ENOENT || errno == ESRCH ? Liveness::gone : Liveness::unknown;
	Liveness answer = Liveness::gone;
	while (const dirent *e = readdir(d)) {
		if (e->d_name[0] == '.')
			continue;
		StatFields st;
		const Read r = read_stat(tasks + "/" + e->d_name + "/stat", st);
		if (r == Read::error) {
			answer = Liveness::unknown;
		} else if (r == Read::ok && !exited(st.state)) {
			answer = Liveness::alive;
			break;
		}
	}
	closedir(d);
	return answer;
}

} // namespace

const ProcessIdentity &this_process()
{
	static const ProcessIdentity self = [] {
		ProcessIdentity id;
		id.pid = static_cast<uint32_t>(getpid());
		StatFields st;
		/* A /proc of another pid namespace names another process as
		 * "self": then nothing recorded here can be judged. */
		if (read_stat("/proc/self/stat", st) != Read::ok || st.pid != getpid())
			return id;
		id.start = static_cast<uint32_t>(st.start);
		id.pid_ns = inode_of("/proc/self/ns/pid");
		id.time_ns = inode_of("/proc/self/ns/time");
		return id;
	}();
	return self;
}

Liveness liveness(const ProcessIdentity &who)
{
	if (who.pid == 0)
		return Liveness::alive; /* nothing recorded: nothing to conclude */
	const ProcessIdentity &me = this_process();
	if (who.pid_ns == 0 || me.pid_ns == 0 || who.pid_ns != me.pid_ns ||
	    who.time_ns != me.time_ns)
		return Liveness::unknown;
	StatFields st;
	switch (read_stat("/proc/" + std::to_string(who.pid) + "/stat", st)) {
	case Read::missing:
		return Liveness::gone;
	case Read::error:
		return Liveness::unknown;
	case Read::ok:
		break;
	}
	if (static_cast<uint32_t>(st.start) != who.start)
		return Liveness::gone; /* its pid, reused */
	return exited(st.state) ? zombie_liveness(who.pid) : Liveness::alive;
}

} // namespace bypass
