/* SPDX-License-Identifier: BSD-3-Clause */
#include "log.h"

int bypass::logtype;

RTE_INIT(bypass_log_init)
{
	bypass::logtype = rte_log_register_type_and_pick_level("pmd.net.bypass", RTE_LOG_NOTICE);
}
