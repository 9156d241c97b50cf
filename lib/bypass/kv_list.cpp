/* SPDX-License-Identifier: BSD-3-Clause */
#include "kv_list.h"

namespace bypass {

namespace {

/* Splits at commas outside (...) and [...]; returns false when they do not
 * balance or nest. */
bool split_top_level(const std::string &text, std::vector<std::string> &items)
{
	std::string open; /* the brackets open at this point, innermost last */
	std::string cur;
	for (char c : text) {
		if (c == '(' || c == '[') {
			open.push_back(c);
		} else if (c == ')' || c == ']') {
			if (open.empty() || open.back() != (c == ')' ? '(' : '['))
				return false;
			open.pop_back();
		}
		if (c == ',' && open.empty()) {
			items.push_back(cur);
			cur.clear();
		} else {
			cur.push_back(c);
		}
	}
	items.push_back(cur);
	return open.empty();
}

std::string unwrap(const std::string &v)
{
	if (v.size() >= 2 && ((v.front() == '(' && v.back() == ')') ||
			      (v.front() == '[' && v.back() == ']')))
		return v.substr(1, v.size() - 2);
	return v;
}

} // namespace

bool parse_kv_list(const std::string &text, KvList &out, std::string &bad)
{
	out.clear();
	if (text.empty())
		return true;
	std::vector<std::string> items;
	if (!split_top_level(text, items)) {
		bad = text;
		return false;
	}
	for (const auto &item : items) {
		const auto eq = item.find('=');
		if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
			bad = item;
			return false;
		}
		std::string value = unwrap(item.substr(eq + 1));
		if (value.empty()) {
			bad = item;
			return false;
		}
		out.emplace_back(item.substr(0, eq), std::move(value));
	}
	return true;
}

} // namespace bypass
