/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VIRTIO_NET_F_STANDBY for virtio-pci, the second place net_bypass reaches
 * into the virtio PMD's private state (virtio_user_standby.c is the first).
 *
 * Why this is needed: DPDK 22.11's virtio PMD builds the features it
 * requests from a constant without STANDBY, and QEMU plugs a failover VF
 * only for a driver that negotiates it. The PMD writes features through a
 * per-port operations table, virtio_hw_internal[port].virtio_ops, which
 * librte_net_virtio.so does not export. doc/standby-upstream.md is the
 * small DPDK change that would make this file unnecessary.
 *
 * How, and why it is safe:
 * - The array is found at an offset known for exactly one build of the
 *   library: the DPDK version and the GNU build-id of the object that
 *   holds the port's dev_ops must both match an entry of checked_builds[]
 *   (the offset was read off that build's disassembly: every
 *   VIRTIO_OPS(hw) loads hw->port_id and indexes it). Anything else is
 *   refused with one log line.
 * - Before anything is written, the entry for the port must be a table in
 *   the library whose members are all NULL or code of the library, and its
 *   get_features(hw) must return the features the caller read from the
 *   device itself.
 * - The entry is then pointed at a copy of the table whose set_features
 *   adds STANDBY when the device offers it; every other member is the
 *   PMD's own, so the data path (notify_queue) is unchanged. The copy is
 *   static and never freed: a pointer store replaces the entry, so a
 *   lcore reading it sees one valid table or the other.
 * - The device was negotiated at probe already and QEMU refuses features
 *   once FEATURES_OK is set, so the PMD is made to reset and negotiate
 *   again at the coming configure, as it does when the requested features
 *   change: that is why prepare runs before rte_eth_dev_configure().
 */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include "virtio_pci_standby.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_bus.h>
#include <rte_version.h>

#include "bypass/log_c.h"

static const uint64_t STANDBY = 1ULL << 62;

#ifdef BYPASS_VIRTIO_LAYOUT

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "virtio.h"
#include "virtio_pci.h"
#pragma GCC diagnostic pop

_Static_assert(offsetof(struct virtio_pci_dev, hw) == 0,
	       "a virtio-pci port's dev_private starts with its virtio_hw");
#define OPS_MEMBERS (sizeof(struct virtio_ops) / sizeof(void *))

struct checked_build {
	const char *dpdk;      /* rte_version() */
	const char *build_id;  /* of librte_net_virtio.so, hex */
	uintptr_t hw_internal; /* virtio_hw_internal[], from the load base */
};

static const struct checked_build checked_builds[] = {
	/* Debian 12: librte-net-virtio23 22.11.11-0+deb12u1, amd64. */
	{"DPDK 22.11.11", "3ede333cedd0f0d04c3fd796f6ca170a6b537b96", 0x29420},
};

/* The loaded object holding an address, as far as the proof needs it. */
struct object {
	const void *addr; /* in */
	uintptr_t base;
	char build_id[2 * 20 + 1];
	const char *name;
	struct { uintptr_t lo, hi; int exec; } seg[8];
	unsigned nb_seg;
};

static void hex_build_id(struct object *o, const ElfW(Nhdr) *note, size_t len)
{
	const char *p = (const char *)note, *end = p + len;
	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
		const char *desc = p + sizeof(*n) + ((n->n_namesz + 3) & ~3u);
		if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
		    memcmp(p + sizeof(*n), "GNU", 4) == 0 && n->n_descsz <= 20) {
			for (unsigned i = 0; i < n->n_descsz; i++)
				snprintf(o->build_id + 2 * i, 3, "%02x", (unsigned char)desc[i]);
			return;
		}
		p = desc + ((n->n_descsz + 3) & ~3u);
	}
}

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct object *o = arg;
	(void)size;
	int holds = 0;
	o->nb_seg = 0;
	o->build_id[0] = '\0';
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_NOTE)
			hex_build_id(o, (const ElfW(Nhdr) *)lo, ph->p_memsz);
		if (ph->p_type != PT_LOAD || o->nb_seg == RTE_DIM(o->seg))
			continue;
		o->seg[o->nb_seg].lo = lo;
		o->seg[o->nb_seg].hi = lo + ph->p_memsz;
		o->seg[o->nb_seg].exec = (ph->p_flags & PF_X) != 0;
		holds |= (uintptr_t)o->addr >= lo && (uintptr_t)o->addr < lo + ph->p_memsz;
		o->nb_seg++;
	}
	if (!holds)
		return 0;
	o->base = info->dlpi_addr;
	o->name = info->dlpi_name;
	return 1;
}

static int in_object(const struct object *o, const void *p, int exec)
{
	for (unsigned i = 0; i < o->nb_seg; i++)
		if ((uintptr_t)p >= o->seg[i].lo && (uintptr_t)p < o->seg[i].hi &&
		    (!exec || o->seg[i].exec))
			return 1;
	return 0;
}

/* The port's virtio_hw_internal[] if the library holding its dev_ops is a
 * checked build; NULL (and a log line naming what differs) otherwise. */
static struct virtio_hw_internal *hw_internal(uint16_t port_id, struct object *o, int quiet)
{
	memset(o, 0, sizeof(*o));
	o->addr = rte_eth_devices[port_id].dev_ops;
	if (dl_iterate_phdr(find_object, o) == 0) {
		if (!quiet)
			bypass_log_c(RTE_LOG_WARNING, "STANDBY not negotiated on port %u: "
				     "the virtio PMD's library is not found", port_id);
		return NULL;
	}
	for (unsigned i = 0; i < RTE_DIM(checked_builds); i++)
		if (strcmp(rte_version(), checked_builds[i].dpdk) == 0 &&
		    strcmp(o->build_id, checked_builds[i].build_id) == 0)
			return (struct virtio_hw_internal *)(o->base + checked_builds[i].hw_internal);
	if (!quiet)
		bypass_log_c(RTE_LOG_WARNING,
			     "STANDBY not negotiated on port %u: %s (%s, build-id %s) is not a "
			     "virtio PMD build this was checked against (see "
			     "doc/standby-upstream.md)",
			     port_id, o->name[0] ? o->name : "the program", rte_version(),
			     o->build_id[0] ? o->build_id : "none");
	return NULL;
}

/* The PMD's own table for virtio-pci modern devices, and our copy. */
static pthread_mutex_t swap_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct virtio_ops *pmd_ops;
static struct virtio_ops standby_ops;

static void standby_set_features(struct virtio_hw *hw, uint64_t features)
{
	features |= pmd_ops->get_features(hw) & STANDBY;
	pmd_ops->set_features(hw, features);
}

static int refuse(uint16_t port_id, const char *why)
{
	bypass_log_c(RTE_LOG_WARNING, "STANDBY not negotiated on port %u: %s", port_id, why);
	return -ENOTSUP;
}

/* A table of the PMD: its members all NULL or code of the library. */
static const char *not_a_table(const struct object *o, const struct virtio_ops *ops)
{
	if (ops == NULL || !in_object(o, ops, 0) || (uintptr_t)ops % sizeof(void *) != 0)
		return "its operations entry is not a table of the virtio PMD";
	void *const *member = (void *const *)ops;
	for (unsigned i = 0; i < OPS_MEMBERS; i++)
		if (member[i] != NULL && !in_object(o, member[i], 1))
			return "its operations table holds a pointer outside the PMD's code";
	if (ops->get_features == NULL || ops->set_features == NULL)
		return "its operations table has no feature access";
	return NULL;
}

int bypass_virtio_ops_features(uint16_t port_id, uint64_t *features)
{
	struct object o;
	struct virtio_hw_internal *table = hw_internal(port_id, &o, 1);
	if (table == NULL || rte_eth_devices[port_id].data->dev_private == NULL)
		return -ENOTSUP;
	const struct virtio_ops *ops = table[port_id].virtio_ops;
	if (not_a_table(&o, ops) != NULL)
		return -ENOTSUP;
	*features = ops->get_features(rte_eth_devices[port_id].data->dev_private);
	return 0;
}

int bypass_virtio_pci_standby_prepare(uint16_t port_id, uint64_t device_features,
				      uint64_t driver_features)
{
	if (!(device_features & STANDBY))
		return 0;
	struct rte_eth_dev *dev = &rte_eth_devices[port_id];
	if (dev->device == NULL || dev->device->bus == NULL ||
	    strcmp(rte_bus_name(dev->device->bus), "pci") != 0)
		return refuse(port_id, "not a virtio-pci port");
	struct object o;
	struct virtio_hw_internal *table = hw_internal(port_id, &o, 0);
	if (table == NULL)
		return -ENOTSUP;
	struct virtio_hw *hw = dev->data->dev_private;
	if (hw == NULL || hw->port_id != port_id)
		return refuse(port_id, "its private data is not a virtio_hw");

	int ret = 0;
	pthread_mutex_lock(&swap_lock);
	const struct virtio_ops *ops = table[port_id].virtio_ops;
	if (ops != &standby_ops) {
		const char *why = not_a_table(&o, ops);
		if (why == NULL && ops->get_features(hw) != device_features)
			why = "its operations table does not read the device's features";
		if (why == NULL && pmd_ops != NULL && ops != pmd_ops)
			why = "its operations table is not the modern virtio-pci one";
		if (why != NULL) {
			ret = refuse(port_id, why);
		} else {
			if (pmd_ops == NULL) {
				standby_ops = *ops;
				standby_ops.set_features = standby_set_features;
				pmd_ops = ops;
			}
			__atomic_store_n(&table[port_id].virtio_ops, &standby_ops,
					 __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&swap_lock);
	if (ret < 0)
		return ret;
	/* Not negotiated with STANDBY yet: a changed request makes the PMD's
	 * configure reset the device and negotiate again. */
	if (!(driver_features & STANDBY))
		hw->req_guest_features = 0;
	return 1;
}

#else

int bypass_virtio_pci_standby_prepare(uint16_t port_id, uint64_t device_features,
				      uint64_t driver_features)
{
	(void)driver_features;
	if (!(device_features & STANDBY))
		return 0;
	bypass_log_c(RTE_LOG_WARNING,
		     "STANDBY not negotiated on port %u: this build has no checked virtio "
		     "layout for %s",
		     port_id, rte_version());
	return -ENOTSUP;
}

int bypass_virtio_ops_features(uint16_t port_id, uint64_t *features)
{
	(void)port_id;
	(void)features;
	return -ENOTSUP;
}

#endif
