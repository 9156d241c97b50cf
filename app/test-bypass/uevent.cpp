/* SPDX-License-Identifier: BSD-3-Clause */
#include "uevent.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

void send_removal_uevent(const std::string &device)
{
	const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return;
	const std::string msg = "remove@/devices/" + device + '\0' + "ACTION=remove" + '\0' +
				"SUBSYSTEM=vfio" + '\0' + "PCI_SLOT_NAME=" + device + '\0';
	sockaddr_nl dst{};
	dst.nl_family = AF_NETLINK;
	dst.nl_groups = 1; /* the kernel's uevent group */
	sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr *>(&dst), sizeof(dst));
	close(fd);
}
