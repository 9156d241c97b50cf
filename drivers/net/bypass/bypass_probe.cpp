/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdev probe and remove: resolve the two sub-ports, take them over and
 * publish one ethdev port. Every step that can fail leaves nothing behind:
 * the private state is RAII (owner id, probed sub-devices) and a failed
 * probe destroys it before releasing the port.
 */
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>

#include <bus_driver.h>
#include <bus_vdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_pci.h>

#include "bypass/log.h"
#include "bypass/sub_device.h"
#include "bypass_devargs.h"
#include "bypass_pairing.h"
#include "bypass_private.h"
#include "bypass_secondary.h"

namespace bypass {

namespace {

int same_pci_address(const rte_device *dev, const void *want)
{
	rte_pci_addr addr;
	return rte_pci_addr_parse(rte_dev_name(dev), &addr) == 0
		   ? rte_pci_addr_cmp(&addr, static_cast<const rte_pci_addr *>(want))
		   : 1;
}

/* Whether `spec` is the PCI address of a device not plugged yet: under
 * QEMU failover=on the VF is plugged only once the backup negotiated
 * STANDBY, which is at the bypass port's first configure. */
bool not_plugged_yet(const std::string &spec)
{
	rte_pci_addr want;
	uint16_t port;
	if (rte_pci_addr_parse(spec.c_str(), &want) != 0 ||
	    rte_eth_dev_get_port_by_name(spec.c_str(), &port) == 0)
		return false;
	const rte_bus *pci = rte_bus_find_by_name("pci");
	return pci == nullptr || pci->find_device(nullptr, same_pci_address, &want) == nullptr;
}

/* Resolves the sub-ports (probing devargs into `devs`) and claims them;
 * an active sub-port not plugged yet is left to the hot-plug path. */
int attach_subs(BypassPort &bp, const char *name, const Devargs &args,
		std::array<SubDevice, PATH_COUNT> &devs)
{
	int ret = bp.owner.create(name);
	if (ret < 0) {
		BYPASS_LOG(ERR, "%s: cannot create an ethdev owner: %s", name, rte_strerror(-ret));
		return ret;
	}
	const std::string *specs[PATH_COUNT] = {&args.backup, &args.active};
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		SubPort &sub = bp.sub[p];
		sub.spec = *specs[p];
		if (p == PATH_ACTIVE && not_plugged_yet(sub.spec)) {
			BYPASS_LOG(NOTICE,
				   "%s: active=%s is not plugged yet: on the backup until it is",
				   name, sub.spec.c_str());
			sub.devargs = sub.spec; /* probed again until it is there */
			sub.probed_here = true;
			continue;
		}
		ret = devs[p].attach(path_name(p), sub.spec);
		if (ret < 0)
			return ret;
	}
	if (devs[PATH_BACKUP].port_id() == devs[PATH_ACTIVE].port_id()) {
		BYPASS_LOG(ERR, "%s: active=%s and backup=%s are the same port", name,
			   args.active.c_str(), args.backup.c_str());
		return -EINVAL;
	}
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		const uint16_t port = devs[p].port_id();
		if (!devs[p].attached())
			continue;
		ret = bp.owner.claim(port);
		if (ret < 0) {
			rte_eth_dev_owner owner{};
			rte_eth_dev_owner_get(port, &owner);
			BYPASS_LOG(ERR, "%s: %s=%s is already owned by '%s'", name, path_name(p),
				   bp.sub[p].spec.c_str(), owner.name);
			return ret;
		}
		bp.sub[p].port.store(port);
		bp.sub[p].probed_here = devs[p].probed_here();
		/* Devargs the driver probed are probed again after a removal. */
		if (devs[p].probed_here())
			bp.sub[p].devargs = bp.sub[p].spec;
	}
	if (!is_virtio_driver(driver_of(devs[PATH_BACKUP].port_id())))
		BYPASS_LOG(NOTICE, "%s: backup=%s is not a virtio port (accepted in explicit mode)",
			   name, args.backup.c_str());
	return 0;
}

/* The port's MAC: mac= if given (both sub-ports must already have it),
 * otherwise the backup's, which the active sub-port is asked to take. */
int choose_mac(BypassPort &bp, const char *name, const Devargs &args, rte_ether_addr &mac)
{
	rte_ether_addr sub_mac[PATH_COUNT];
	bool present[PATH_COUNT];
	for (unsigned p = 0; p < PATH_COUNT; p++) {
		/* One not plugged yet is taken by the MAC chosen here. */
		present[p] = bp.sub[p].port.load() != RTE_MAX_ETHPORTS;
		int ret = present[p] ? rte_eth_macaddr_get(bp.sub[p].port.load(), &sub_mac[p]) : 0;
		if (ret < 0)
			return ret;
	}
	if (args.mac) {
		for (unsigned p = 0; p < PATH_COUNT; p++) {
			if (present[p] && !rte_is_same_ether_addr(&sub_mac[p], &*args.mac)) {
				BYPASS_LOG(ERR, "%s: mac=%s but %s=%s has %s", name,
					   mac_str(*args.mac).c_str(), path_name(p),
					   bp.sub[p].spec.c_str(), mac_str(sub_mac[p]).c_str());
				return -EINVAL;
			}
		}
		mac = *args.mac;
		return 0;
	}
	mac = sub_mac[PATH_BACKUP];
	if (present[PATH_ACTIVE] && !rte_is_same_ether_addr(&sub_mac[PATH_ACTIVE], &mac)) {
		int ret = rte_eth_dev_default_mac_addr_set(bp.sub[PATH_ACTIVE].port.load(), &mac);
		if (ret < 0)
			BYPASS_LOG(NOTICE, "%s: active=%s keeps its MAC %s (cannot take %s: %s)",
				   name, bp.sub[PATH_ACTIVE].spec.c_str(),
				   mac_str(sub_mac[PATH_ACTIVE]).c_str(), mac_str(mac).c_str(),
				   rte_strerror(-ret));
	}
	return 0;
}

/* Applications that probe a devargs string and then look the port up by
 * the same string (Open vSwitch's dpdk-devargs) go through ethdev's
 * iterator: it splits the devargs at commas, grouping only [...], and
 * keeps the ports whose MAC each mac= names and that are the representor
 * any representor= names. A sub-device's mac= last inside (...) thus
 * becomes a filter "M)" that matches nothing. The iterator itself cannot
 * be asked during probe (it reads the device's driver, set only after
 * probe returns), so this applies its filters to the port's MAC. */
bool found_by_devargs(const char *args, const rte_ether_addr &port_mac)
{
	rte_kvargs *kv = rte_kvargs_parse(args, nullptr);
	if (kv == nullptr)
		return false;
	bool found = true;
	for (unsigned i = 0; i < kv->count; i++) {
		const rte_kvargs_pair &pair = kv->pairs[i];
		rte_ether_addr mac;
		if (strcmp(pair.key, "representor") == 0)
			found = false;
		else if (strcmp(pair.key, "mac") == 0)
			found = found && rte_ether_unformat_addr(pair.value, &mac) == 0 &&
				rte_is_same_ether_addr(&mac, &port_mac);
	}
	rte_kvargs_free(kv);
	return found;
}

/* Zero-config pairing managers, by the vdev that started them. */
std::mutex pairings_lock;
std::map<rte_vdev_device *, std::unique_ptr<Pairing>> pairings;

int bypass_probe(rte_vdev_device *vdev) noexcept
{
	if (rte_eal_process_type() == RTE_PROC_SECONDARY)
		return secondary_probe(vdev);
	const char *name = rte_vdev_device_name(vdev);
	Devargs args;
	int ret = parse_devargs(name, rte_vdev_device_args(vdev), args);
	if (ret < 0)
		return ret;
	secondary_service_start();
	qs_prepare(); /* the first switch must not pay for it */
	if (args.zero_config()) {
		auto pairing = std::make_unique<Pairing>(vdev, args.standby, args.vf);
		ret = pairing->start();
		if (ret < 0) {
			BYPASS_LOG(ERR, "%s: cannot start zero-config pairing: %s", name,
				   rte_strerror(-ret));
			return ret;
		}
		std::lock_guard<std::mutex> lock(pairings_lock);
		pairings[vdev] = std::move(pairing);
		return 0;
	}

	rte_eth_dev *dev = rte_eth_vdev_allocate(vdev, sizeof(BypassPort));
	if (dev == nullptr) {
		BYPASS_LOG(ERR, "%s: cannot allocate the ethdev port", name);
		return -ENOMEM;
	}
	BypassPort &bp = *new (dev->data->dev_private) BypassPort();
	bp.vf_declared = args.vf;

	/* Declared after bp, destroyed before it is: a failed probe removes
	 * the devices it probed. */
	std::array<SubDevice, PATH_COUNT> devs;
	rte_ether_addr mac;
	ret = attach_subs(bp, name, args, devs);
	if (ret == 0)
		ret = choose_mac(bp, name, args, mac);
	if (ret == 0)
		ret = publish(dev, name, mac);
	if (ret < 0) {
		discard(dev);
		return ret;
	}
	for (SubDevice &d : devs)
		d.hand_over();
	if (bp.sub[PATH_ACTIVE].port.load() == RTE_MAX_ETHPORTS)
		bp.ctl.post([&bp] {
			std::lock_guard<std::mutex> lock(bp.ctl_lock);
			refill(bp, PATH_ACTIVE);
		});

	const uint16_t active = bp.sub[PATH_ACTIVE].port.load();
	const std::string active_port =
	    active == RTE_MAX_ETHPORTS ? "not plugged yet" : "port " + std::to_string(active);
	BYPASS_LOG(INFO, "%s: port %u, backup=%s (port %u), active=%s (%s), mac %s", name,
		   dev->data->port_id, args.backup.c_str(), bp.sub[PATH_BACKUP].port.load(),
		   args.active.c_str(), active_port.c_str(), mac_str(mac).c_str());
	if (!found_by_devargs(rte_vdev_device_args(vdev), mac))
		BYPASS_LOG(WARNING,
			   "%s: port %u is not found again by its devargs (rte_eth_iterator, as "
			   "Open vSwitch looks ports up): put sub-device devargs in [...]",
			   name, dev->data->port_id);
	return 0;
}

int bypass_remove(rte_vdev_device *vdev) noexcept
{
	if (rte_eal_process_type() == RTE_PROC_SECONDARY)
		return secondary_remove(vdev);
	{
		/* Stop pairing before closing what it created. */
		std::lock_guard<std::mutex> lock(pairings_lock);
		pairings.erase(vdev);
	}
	int ret = 0;
	uint16_t port;
	RTE_ETH_FOREACH_DEV_OF(port, &vdev->device)
	{
		rte_eth_dev_stop(port);
		const int r = rte_eth_dev_close(port);
		ret = ret != 0 ? ret : r;
	}
	return ret;
}

} // namespace

} // namespace bypass

/* Global and unqualified: RTE_PMD_REGISTER_VDEV pastes the name into identifiers. */
static rte_vdev_driver bypass_driver = {
    .next = {},
    .driver = {},
    .probe = bypass::bypass_probe,
    .remove = bypass::bypass_remove,
    .dma_map = nullptr,
    .dma_unmap = nullptr,
    .drv_flags = 0,
};

RTE_PMD_REGISTER_VDEV(net_bypass, bypass_driver);
RTE_PMD_REGISTER_PARAM_STRING(net_bypass, "backup=<port|devargs> active=<port|devargs> mac=<mac>");
