/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <rte_ether.h>

namespace bypass {

/* net_bypass devargs. Explicit pairing:
 *   backup=<port name | devargs>   the virtio port (any ethdev, with a notice)
 *   active=<port name | devargs>   the VF
 *   mac=<xx:xx:xx:xx:xx:xx>        optional: both sub-ports must have it
 * Devargs containing commas go in brackets or parentheses:
 * active=[net_tap0,iface=vf0] (brackets: see kv_list.h).
 * Zero-config pairing, when neither backup= nor active= is given:
 *   standby=<0|1>                  take virtio_user ports as offering
 *                                  STANDBY (their features cannot be read)
 * What the VF will have, for a port configured before it comes (both
 * modes):
 *   vf_reta_size=<N>               its RETA size, a power of two from 64
 *                                  (default 64: iavf, ixgbevf, and every
 *                                  VF whose table is a multiple of 64)
 *   vf_queues=<N>                  its rx and tx queues (default: not
 *                                  declared; a VF with fewer than the
 *                                  application uses is refused) */
struct VfDeclared {
	uint16_t reta_size = 64;
	uint16_t queues = 0; /* 0: not declared */
};

struct Devargs {
	std::string backup;
	std::string active;
	std::optional<rte_ether_addr> mac;
	bool standby = false;
	VfDeclared vf;

	bool zero_config() const { return backup.empty() && active.empty(); }
};

/* 0, or -EINVAL after one log line naming the bad input. */
int parse_devargs(const char *name, const char *args, Devargs &out);

} // namespace bypass
