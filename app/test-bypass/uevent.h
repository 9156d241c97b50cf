/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <string>

/* Broadcasts what the kernel does when a PCI device goes away, naming the
 * guest's device: EAL's device event monitor turns it into
 * RTE_DEV_EVENT_REMOVE, the hot-plug event a real guest gets when the
 * hypervisor unplugs its VF. */
void send_removal_uevent(const std::string &device);
