/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <string>

namespace bypass_test {

/* The net_bypass PMD as testpmd users load it (-d), staged into a directory
 * EAL accepts: EAL refuses plugins under a world-writable directory (/tmp). */
std::string plugin_path();

/* A name unique to this process, for file prefixes, sockets, interfaces. */
std::string unique(const std::string &stem);

/* `stem` with a number of its own: a device name no earlier device of the
 * process had, as a device whose removal the driver left to its hot-plug
 * thread may not be gone yet when a test makes the next. */
std::string once(const std::string &stem);

} // namespace bypass_test
