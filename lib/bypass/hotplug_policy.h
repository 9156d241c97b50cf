/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <string>

namespace bypass {

/* Whether a device the EAL hot-plug monitor reports as added may be
 * probed on the application's behalf: an explicit rte_dev_probe()
 * overrides the EAL's allow (-a) and block (-b) lists, so they are
 * applied here the way the PCI bus applies them at start-up, and nothing
 * is probed in a process started with --no-pci. When not, `why` says why. */
bool hotplug_probe_allowed(const std::string &device_name, std::string &why);

} // namespace bypass
