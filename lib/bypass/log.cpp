/* SPDX-License-Identifier: BSD-3-Clause */
#include "log.h"
#include "log_c.h"

#include <cstdarg>
#include <cstdio>

int bypass::logtype;

RTE_INIT(bypass_log_init)
{
	bypass::logtype = rte_log_register_type_and_pick_level("pmd.net.bypass", RTE_LOG_NOTICE);
}

extern "C" void bypass_log_c(uint32_t level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	rte_log(level, bypass::logtype, "net_bypass: %s\n", line);
}
