/* SPDX-License-Identifier: BSD-3-Clause */
#include "bypass_devargs.h"

#include <cerrno>
#include <string>

#include <rte_common.h>
#include <rte_ethdev.h>

#include "bypass/kv_list.h"
#include "bypass/log.h"

namespace bypass {

namespace {

/* `text` as a decimal number in [min, max], or -1. */
long number(const std::string &text, long min, long max)
{
	if (text.empty() || text.size() > 9 ||
	    text.find_first_not_of("0123456789") != std::string::npos)
		return -1;
	const long n = std::stol(text);
	return n >= min && n <= max ? n : -1;
}

} // namespace

int parse_devargs(const char *name, const char *args, Devargs &out)
{
	KvList pairs;
	std::string bad;
	if (!parse_kv_list(args != nullptr ? args : "", pairs, bad)) {
		BYPASS_LOG(ERR, "%s: malformed devargs '%s'", name, bad.c_str());
		return -EINVAL;
	}

	bool seen_backup = false, seen_active = false, seen_standby = false;
	bool seen_reta = false, seen_queues = false;
	for (const auto &[key, value] : pairs) {
		if ((key == "backup" && seen_backup) || (key == "active" && seen_active) ||
		    (key == "mac" && out.mac) || (key == "standby" && seen_standby) ||
		    (key == "vf_reta_size" && seen_reta) || (key == "vf_queues" && seen_queues)) {
			BYPASS_LOG(ERR, "%s: %s= given twice", name, key.c_str());
			return -EINVAL;
		}
		if (key == "backup") {
			out.backup = value;
			seen_backup = true;
		} else if (key == "active") {
			out.active = value;
			seen_active = true;
		} else if (key == "mac") {
			rte_ether_addr mac;
			if (rte_ether_unformat_addr(value.c_str(), &mac) < 0) {
				BYPASS_LOG(ERR, "%s: mac=%s is not a MAC address", name,
					   value.c_str());
				return -EINVAL;
			}
			out.mac = mac;
		} else if (key == "standby") {
			if (value != "0" && value != "1") {
				BYPASS_LOG(ERR, "%s: standby=%s is not 0 or 1", name,
					   value.c_str());
				return -EINVAL;
			}
			out.standby = value == "1";
			seen_standby = true;
		} else if (key == "vf_reta_size") {
			const long n = number(value, 64, RTE_ETH_RSS_RETA_SIZE_512 * 8);
			if (n < 0 || !rte_is_power_of_2(static_cast<uint32_t>(n))) {
				BYPASS_LOG(ERR, "%s: vf_reta_size=%s is not a power of two from 64",
					   name, value.c_str());
				return -EINVAL;
			}
			out.vf.reta_size = static_cast<uint16_t>(n);
			seen_reta = true;
		} else if (key == "vf_queues") {
			const long n = number(value, 1, RTE_MAX_QUEUES_PER_PORT);
			if (n < 0) {
				BYPASS_LOG(ERR, "%s: vf_queues=%s is not a number from 1 to %d", name,
					   value.c_str(), RTE_MAX_QUEUES_PER_PORT);
				return -EINVAL;
			}
			out.vf.queues = static_cast<uint16_t>(n);
			seen_queues = true;
		} else {
			BYPASS_LOG(ERR,
				   "%s: unknown devarg '%s' (known: backup, active, mac, standby, "
				   "vf_reta_size, vf_queues)",
				   name, key.c_str());
			return -EINVAL;
		}
	}
	if (seen_backup != seen_active) {
		BYPASS_LOG(ERR, "%s: backup= and active= go together (%s= is missing)", name,
			   seen_backup ? "active" : "backup");
		return -EINVAL;
	}
	if (out.zero_config() && out.mac) {
		BYPASS_LOG(ERR, "%s: mac= needs backup= and active=", name);
		return -EINVAL;
	}
	return 0;
}

} // namespace bypass
