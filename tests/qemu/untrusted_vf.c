/* LD_PRELOAD for the QEMU lab's guest testpmd (scenario 7, doc/qemu-lab.md):
 * the e1000e primary answers like an untrusted iavf VF, which the PF lets
 * neither into promiscuous nor into all-multicast mode: enabling either on
 * a port of the e1000 PMDs (net_e1000_em, net_e1000_igb) returns -EAGAIN,
 * as iavf does when the PF refuses.  Every other port, and every other
 * call, goes to the real function.  librte_net_bypass.so calls these
 * ethdev functions through its PLT/GOT, so the preloaded definitions win.
 *
 * Built by scenarios.py with the host's compiler against the host's DPDK
 * headers (the guest runs the host's DPDK packages):
 *   cc -shared -fPIC $(pkg-config --cflags libdpdk) untrusted_vf.c -lrte_ethdev
 * Each refusal prints one line on stderr, "untrusted-vf: port N (DRIVER):
 * promiscuous enable refused (-EAGAIN)", which the scenario looks for. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

static int refused(uint16_t port_id, const char *what)
{
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(port_id, &info) != 0 || info.driver_name == NULL ||
	    strncmp(info.driver_name, "net_e1000", strlen("net_e1000")) != 0)
		return 0;
	fprintf(stderr, "untrusted-vf: port %u (%s): %s refused (-EAGAIN)\n", port_id,
		info.driver_name, what);
	return 1;
}

typedef int (*port_fn)(uint16_t);

static int forward(const char *name, uint16_t port_id)
{
	port_fn real = (port_fn)dlsym(RTLD_NEXT, name);

	if (real == NULL) {
		fprintf(stderr, "untrusted-vf: no %s after this library: %s\n", name, dlerror());
		return -ENOSYS;
	}
	return real(port_id);
}

int rte_eth_promiscuous_enable(uint16_t port_id)
{
	if (refused(port_id, "promiscuous enable"))
		return -EAGAIN;
	return forward("rte_eth_promiscuous_enable", port_id);
}

int rte_eth_allmulticast_enable(uint16_t port_id)
{
	if (refused(port_id, "allmulticast enable"))
		return -EAGAIN;
	return forward("rte_eth_allmulticast_enable", port_id);
}
