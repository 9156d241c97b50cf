/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdio>
#include <string>

#include <rte_log.h>

namespace bypass_test {

/* Everything rte_log prints while this object lives. */
class LogCapture {
public:
	LogCapture() : stream_(open_memstream(&buf_, &len_)) { rte_openlog_stream(stream_); }
	~LogCapture()
	{
		rte_openlog_stream(nullptr);
		fclose(stream_);
		free(buf_);
	}
	LogCapture(const LogCapture &) = delete;
	LogCapture &operator=(const LogCapture &) = delete;

	std::string text()
	{
		fflush(stream_);
		return std::string(buf_, len_);
	}

private:
	char *buf_ = nullptr;
	size_t len_ = 0;
	FILE *stream_;
};

} // namespace bypass_test
