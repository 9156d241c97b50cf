/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BYPASS_LIB_LOG_C_H
#define BYPASS_LIB_LOG_C_H

#include <rte_log.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The pmd.net.bypass logtype for the driver's C file. */
void bypass_log_c(uint32_t level, const char *fmt, ...) __rte_format_printf(2, 3);

#ifdef __cplusplus
}
#endif

#endif
