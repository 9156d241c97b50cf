/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bypass {

using KvList = std::vector<std::pair<std::string, std::string>>;

/* Splits "k1=v1,k2=(a,b=c),k3=v3" into pairs. A value in parentheses is
 * taken verbatim without them, so a sub-device's own devargs can be nested:
 * rte_kvargs cannot do this ('=' inside its [] lists ends the key).
 * Returns false, with the offending text in `bad`, on a pair without '=',
 * an empty key or value, or unbalanced parentheses. */
bool parse_kv_list(const std::string &text, KvList &out, std::string &bad);

} // namespace bypass
