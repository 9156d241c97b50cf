/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <rte_log.h>

namespace bypass {
/* One logtype, "pmd.net.bypass", shared by the PMD and the framework it is
 * built on: a user enables a single logtype to see the whole story. */
extern int logtype;
} // namespace bypass

#define BYPASS_LOG(level, fmt, ...)                                                                \
	rte_log(RTE_LOG_##level, bypass::logtype, "net_bypass: " fmt "\n", ##__VA_ARGS__)
