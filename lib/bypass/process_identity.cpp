/* SPDX-License-Identifier: BSD-3-Clause */
#include "process_identity.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace bypass {

namespace {

struct StatFields {
	char state = 0;
	unsigned long long start = 0;
};

/* Fields 3 (state) and 22 (starttime) of /proc/<pid>/stat; false if the
 * process does not exist. The command name (field 2) may hold spaces and
 * parentheses: the fields are counted from the last ')'. */
bool read_stat(uint32_t pid, StatFields &out)
{
	const std::string path = "/proc/" + std::to_string(pid) + "/stat";
	FILE *f = fopen(path.c_str(), "re");
	if (f == nullptr)
		return false;
	char buf[1024];
	const size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	const char *p = strrchr(buf, ')');
	if (p == nullptr)
		return false;
	p++;
	/* After ')': " S ppid pgrp ...": state is field 3, starttime 22. */
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
	return out.state != 0;
}

uint64_t pid_ns_of(const char *path)
{
	struct stat st {};
	return stat(path, &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

} // namespace

const ProcessIdentity &this_process()
{
	static const ProcessIdentity self = [] {
		ProcessIdentity id;
		id.pid = static_cast<uint32_t>(getpid());
		StatFields st;
		if (read_stat(id.pid, st))
			id.start = static_cast<uint32_t>(st.start);
		id.pid_ns = pid_ns_of("/proc/self/ns/pid");
		return id;
	}();
	return self;
}

Liveness liveness(const ProcessIdentity &who)
{
	if (who.pid == 0)
		return Liveness::alive; /* nothing recorded: nothing to conclude */
	if (who.pid_ns == 0 || who.pid_ns != this_process().pid_ns)
		return Liveness::unknown;
	StatFields st;
	if (!read_stat(who.pid, st))
		return Liveness::gone;
	if (static_cast<uint32_t>(st.start) != who.start)
		return Liveness::gone; /* its pid, reused */
	return st.state == 'Z' || st.state == 'X' ? Liveness::gone : Liveness::alive;
}

} // namespace bypass
