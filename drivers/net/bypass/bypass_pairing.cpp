/* SPDX-License-Identifier: BSD-3-Clause */
#include "bypass_pairing.h"

#include <cstring>
#include <new>

#include <bus_pci_driver.h>
#include <rte_malloc.h>

#include "bypass/log.h"
#include "bypass/virtio_standby.h"
#include "bypass_private.h"

namespace bypass {

namespace {

/* A NEW port becomes usable a moment after its event; wait that long. */
constexpr unsigned ATTACH_TRIES = 1000;
constexpr std::chrono::milliseconds ATTACH_RETRY{1};

/* The virtio PMD has mapped the device's BARs; its common configuration
 * is read through them. */
class MappedPciFunction : public PciFunction {
public:
	explicit MappedPciFunction(rte_pci_device *dev) : dev_(dev) {}

	bool read_config(void *buf, size_t len, size_t offset) const override
	{
		return rte_pci_read_config(dev_, buf, len, offset) == static_cast<int>(len);
	}
	bool read32(unsigned bar, size_t offset, uint32_t &value) const override
	{
		volatile uint32_t *reg = reg32(bar, offset);
		if (reg == nullptr)
			return false;
		value = *reg;
		return true;
	}
	bool write32(unsigned bar, size_t offset, uint32_t value) const override
	{
		volatile uint32_t *reg = reg32(bar, offset);
		if (reg == nullptr)
			return false;
		*reg = value;
		return true;
	}

private:
	volatile uint32_t *reg32(unsigned bar, size_t offset) const
	{
		if (bar >= PCI_MAX_RESOURCE || dev_->mem_resource[bar].addr == nullptr ||
		    offset + 4 > dev_->mem_resource[bar].len)
			return nullptr;
		return reinterpret_cast<volatile uint32_t *>(
		    static_cast<uint8_t *>(dev_->mem_resource[bar].addr) + offset);
	}

	rte_pci_device *dev_;
};

bool unowned(uint16_t port)
{
	rte_eth_dev_owner owner{};
	return rte_eth_dev_owner_get(port, &owner) == 0 && owner.id == RTE_ETH_DEV_NO_OWNER;
}

bool same_mac(uint16_t port, const rte_ether_addr &mac)
{
	rte_ether_addr m;
	return rte_eth_macaddr_get(port, &m) == 0 && rte_is_same_ether_addr(&m, &mac);
}

} // namespace

int Pairing::start()
{
	const std::string name = rte_vdev_device_name(vdev_);
	int ret = ctl_.start(name.substr(0, 8) + "-pair");
	if (ret < 0)
		return ret;
	events_ = std::make_unique<EventSubscription>(this);
	/* PCI devices were probed before any vdev: pair what is there. */
	for (uint16_t p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS; p = rte_eth_find_next(p + 1))
		ctl_.post([this, p] { consider(p, 0); });
	BYPASS_LOG(INFO, "%s: zero-config pairing of virtio ports offering STANDBY%s", name.c_str(),
		   user_standby_ ? " (virtio_user ports taken as offering it)" : "");
	return 0;
}

void Pairing::on_port_new(uint16_t port)
{
	{
		std::lock_guard<std::recursive_mutex> lock(ports_lock_);
		going_.reset(port); /* the id of a destroyed port, reused */
	}
	ctl_.post([this, port] { consider(port, 0); });
}

void Pairing::on_port_removal(uint16_t port, Removal why)
{
	if (why != Removal::destroy)
		return;
	/* ethdev frees the port once this returns. */
	std::lock_guard<std::recursive_mutex> lock(ports_lock_);
	going_.set(port);
}

bool Pairing::offers_standby(uint16_t port) const
{
	rte_eth_dev_info info{};
	if (rte_eth_dev_info_get(port, &info) < 0)
		return false;
	if (strcmp(info.driver_name, "net_virtio_user") == 0)
		return user_standby_;
	const auto features = virtio_pci_device_features(
	    MappedPciFunction(RTE_DEV_TO_PCI(rte_eth_devices[port].device)));
	return features && bypass::offers_standby(*features);
}

void Pairing::consider(uint16_t port, unsigned tries)
{
	std::unique_lock<std::recursive_mutex> lock(ports_lock_);
	if (going_.test(port))
		return;
	if (rte_eth_devices[port].state != RTE_ETH_DEV_ATTACHED) {
		if (tries < ATTACH_TRIES)
			ctl_.post_after(ATTACH_RETRY,
					[this, port, tries] { consider(port, tries + 1); });
		return;
	}
	if (!unowned(port) || !is_virtio(port))
		return;
	char name[RTE_ETH_NAME_MAX_LEN];
	rte_eth_dev_get_name_by_port(port, name);
	if (!offers_standby(port)) {
		BYPASS_LOG(INFO, "%s: virtio port %u (%s) does not offer STANDBY: not paired",
			   rte_vdev_device_name(vdev_), port, name);
		return;
	}
	if (create_for(port, lock) < 0)
		BYPASS_LOG(ERR, "%s: cannot create a bypass port for virtio port %u (%s)",
			   rte_vdev_device_name(vdev_), port, name);
}

int Pairing::create_for(uint16_t virtio, std::unique_lock<std::recursive_mutex> &ports)
{
	char virtio_name[RTE_ETH_NAME_MAX_LEN];
	rte_eth_dev_get_name_by_port(virtio, virtio_name);
	const std::string name = std::string(rte_vdev_device_name(vdev_)) + "_" + virtio_name;

	rte_eth_dev *dev = rte_eth_dev_allocate(name.c_str());
	if (dev == nullptr)
		return -ENOMEM;
	dev->device = &vdev_->device;
	void *priv = rte_zmalloc_socket(name.c_str(), sizeof(BypassPort), RTE_CACHE_LINE_SIZE,
					vdev_->device.numa_node);
	if (priv == nullptr) {
		ports.unlock();
		rte_eth_dev_release_port(dev);
		return -ENOMEM;
	}
	dev->data->dev_private = priv;
	BypassPort &bp = *new (priv) BypassPort();

	rte_ether_addr mac;
	rte_eth_macaddr_get(virtio, &mac);
	int ret = bp.owner.create(name.c_str());
	if (ret == 0)
		ret = bp.owner.claim(virtio);
	if (ret < 0) {
		ports.unlock();
		discard(dev);
		return ret;
	}
	bp.sub[PATH_BACKUP].dev.adopt(virtio, false);
	bp.sub[PATH_BACKUP].spec = virtio_name;

	/* The VF may have come first. */
	for (uint16_t p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS;
	     p = rte_eth_find_next(p + 1)) {
		if (p == virtio || p == dev->data->port_id || !unowned(p) || is_virtio(p) ||
		    !same_mac(p, mac) || bp.owner.claim(p) < 0)
			continue;
		char vf_name[RTE_ETH_NAME_MAX_LEN];
		rte_eth_dev_get_name_by_port(p, vf_name);
		bp.sub[PATH_ACTIVE].dev.adopt(p, false);
		bp.sub[PATH_ACTIVE].spec = vf_name;
		break;
	}

	/* Both ports are ours now: the application no longer closes them. */
	ports.unlock();
	ret = publish(dev, name.c_str(), mac);
	if (ret < 0) {
		discard(dev);
		return ret;
	}
	BYPASS_LOG(INFO, "%s: port %u pairs virtio port %u (%s) with %s, mac %s", name.c_str(),
		   dev->data->port_id, virtio, virtio_name,
		   bp.sub[PATH_ACTIVE].present() ? bp.sub[PATH_ACTIVE].spec.c_str()
						 : "the VF once it appears",
		   mac_str(mac).c_str());
	return 0;
}

} // namespace bypass
