/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bypass {

using KvList = std::vector<std::pair<std::string, std::string>>;

/* Splits "k1=v1,k2=(a,b=c),k3=[d,e=f]" into pairs. A value in parentheses
 * or brackets is taken verbatim without them, so a sub-device's own devargs
 * can be nested: rte_kvargs cannot do this ('=' inside its [] lists ends
 * the key). Brackets are what ethdev's RTE_ETH_FOREACH_MATCHING_DEV groups,
 * and OVS looks a port up by its devargs with it: in parentheses, a
 * sub-device's mac= would become an ethdev MAC filter that matches nothing.
 * Returns false, with the offending text in `bad`, on a pair without '=',
 * an empty key or value, or brackets that do not balance or nest. */
bool parse_kv_list(const std::string &text, KvList &out, std::string &bad);

} // namespace bypass
