/* SPDX-License-Identifier: BSD-3-Clause */
#include "bypass_devargs.h"

#include <cerrno>

#include "bypass/kv_list.h"
#include "bypass/log.h"

namespace bypass {

int parse_devargs(const char *name, const char *args, Devargs &out)
{
	KvList pairs;
	std::string bad;
	if (!parse_kv_list(args != nullptr ? args : "", pairs, bad)) {
		BYPASS_LOG(ERR, "%s: malformed devargs '%s'", name, bad.c_str());
		return -EINVAL;
	}

	bool seen_backup = false, seen_active = false, seen_standby = false;
	for (const auto &[key, value] : pairs) {
		if ((key == "backup" && seen_backup) || (key == "active" && seen_active) ||
		    (key == "mac" && out.mac) || (key == "standby" && seen_standby)) {
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
		} else {
			BYPASS_LOG(ERR,
				   "%s: unknown devarg '%s' (known: backup, active, mac, standby)",
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
