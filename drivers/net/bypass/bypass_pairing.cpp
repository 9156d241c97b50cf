/* SPDX-License-Identifier: BSD-3-Clause */
#include "bypass_pairing.h"

#include <cstring>
#include <future>
#include <new>

#include <rte_malloc.h>

#include "bypass/log.h"
#include "bypass/virtio_standby.h"
#include "bypass_pci.h"
#include "bypass_private.h"

namespace bypass {

namespace {

/* A NEW port becomes usable a moment after its event; wait that long. */
constexpr unsigned ATTACH_TRIES = 1000;
constexpr std::chrono::milliseconds ATTACH_RETRY{1};
/* How long a probe waits for the ports already there to be paired. */
constexpr std::chrono::seconds PAIRED_AT_PROBE{10};

bool unowned(uint16_t port)
{
	rte_eth_dev_owner owner{};
	return rte_eth_dev_owner_get(port, &owner) == 0 && owner.id == RTE_ETH_DEV_NO_OWNER;
}

/* Whether a virtio port offers STANDBY; inside EventHub::inspect(). */
bool offers_standby_now(uint16_t port, bool user_standby)
{
	if (strcmp(driver_of(port), "net_virtio_user") == 0)
		return user_standby;
	rte_pci_device *pci = MappedPciFunction::of_port(port);
	if (pci == nullptr)
		return false;
	const auto features = virtio_pci_device_features(MappedPciFunction(pci));
	return features && offers_standby(*features);
}

} // namespace

int Pairing::start()
{
	const std::string name = rte_vdev_device_name(vdev_);
	int ret = ctl_.start(name.substr(0, 8) + "-pair");
	if (ret < 0)
		return ret;
	events_ = std::make_unique<EventSubscription>(this);
	/* PCI devices were probed before any vdev: what is there is paired
	 * before this probe returns, since an application enumerates its
	 * ports as soon as rte_eal_init() returns. The pairing thread does it
	 * (it alone creates bypass ports) while this one waits; it never
	 * waits for the probing thread, so the wait ends. */
	auto paired = std::make_shared<std::promise<void>>();
	std::future<void> done = paired->get_future();
	for (uint16_t p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS; p = rte_eth_find_next(p + 1))
		ctl_.post([this, p] { consider(p, 0); });
	ctl_.post([paired] { paired->set_value(); });
	if (done.wait_for(PAIRED_AT_PROBE) != std::future_status::ready)
		BYPASS_LOG(WARNING, "%s: the ports already there are not paired yet; they will be",
			   name.c_str());
	BYPASS_LOG(INFO, "%s: zero-config pairing of virtio ports offering STANDBY%s", name.c_str(),
		   user_standby_ ? " (virtio_user ports taken as offering it)" : "");
	return 0;
}

void Pairing::on_port_new(uint16_t port)
{
	ctl_.post([this, port] { consider(port, 0); });
}

void Pairing::consider(uint16_t port, unsigned tries)
{
	if (!probe_done(port)) {
		/* NEW comes before the port's probe is done. */
		if (tries < ATTACH_TRIES)
			ctl_.post_after(ATTACH_RETRY,
					[this, port, tries] { consider(port, tries + 1); });
		return;
	}
	bool candidate = false, standby = false;
	std::string name;
	EventHub::instance().inspect(port, [&] {
		candidate = is_virtio_driver(driver_of(port)) && unowned(port);
		if (candidate) {
			name = rte_eth_devices[port].data->name;
			standby = offers_standby_now(port, user_standby_);
		}
	});
	if (!candidate)
		return;
	if (!standby) {
		BYPASS_LOG(INFO, "%s: virtio port %u (%s) does not offer STANDBY: not paired",
			   rte_vdev_device_name(vdev_), port, name.c_str());
		return;
	}
	if (create_for(port, name) < 0)
		BYPASS_LOG(ERR, "%s: cannot create a bypass port for virtio port %u (%s)",
			   rte_vdev_device_name(vdev_), port, name.c_str());
}

int Pairing::create_for(uint16_t virtio, const std::string &virtio_name)
{
	const std::string name = std::string(rte_vdev_device_name(vdev_)) + "_" + virtio_name;
	rte_eth_dev *dev = rte_eth_dev_allocate(name.c_str());
	if (dev == nullptr)
		return -ENOMEM;
	dev->device = &vdev_->device;
	void *priv = rte_zmalloc_socket(name.c_str(), sizeof(BypassPort), RTE_CACHE_LINE_SIZE,
					vdev_->device.numa_node);
	if (priv == nullptr) {
		rte_eth_dev_release_port(dev);
		return -ENOMEM;
	}
	dev->data->dev_private = priv;
	BypassPort &bp = *new (priv) BypassPort();
	bp.vf_declared = vf_;

	/* Claimed first: from then on the application does not close it, and
	 * a bypass port that lost its backup cannot take it either. */
	rte_ether_addr mac{};
	int ret = bp.owner.create(name.c_str());
	if (ret == 0)
		ret = bp.owner.claim(virtio);
	if (ret == 0)
		ret = rte_eth_macaddr_get(virtio, &mac);
	if (ret < 0) {
		discard(dev);
		return ret;
	}
	bp.sub[PATH_BACKUP].port.store(virtio);
	bp.sub[PATH_BACKUP].spec = virtio_name;

	/* The VF may have come first. */
	for (uint16_t p = rte_eth_find_next(0); p < RTE_MAX_ETHPORTS;
	     p = rte_eth_find_next(p + 1)) {
		bool match = false;
		std::string vf_name;
		EventHub::instance().inspect(p, [&] {
			const rte_eth_dev &d = rte_eth_devices[p];
			match = p != virtio && p != dev->data->port_id &&
				!is_virtio_driver(driver_of(p)) && unowned(p) &&
				d.data->mac_addrs != nullptr &&
				rte_is_same_ether_addr(&d.data->mac_addrs[0], &mac);
			vf_name = d.data->name;
		});
		if (!match || bp.owner.claim(p) < 0)
			continue;
		bp.sub[PATH_ACTIVE].port.store(p);
		bp.sub[PATH_ACTIVE].spec = vf_name;
		break;
	}

	ret = publish(dev, name.c_str(), mac);
	if (ret < 0) {
		discard(dev);
		return ret;
	}
	BYPASS_LOG(INFO, "%s: port %u pairs virtio port %u (%s) with %s, mac %s", name.c_str(),
		   dev->data->port_id, virtio, virtio_name.c_str(),
		   bp.sub[PATH_ACTIVE].port.load() != RTE_MAX_ETHPORTS
		       ? bp.sub[PATH_ACTIVE].spec.c_str()
		       : "the VF once it appears",
		   mac_str(mac).c_str());
	return 0;
}

} // namespace bypass
