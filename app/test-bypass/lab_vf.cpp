/* SPDX-License-Identifier: BSD-3-Clause */
#include "lab_vf.h"

#include <cstdio>
#include <utility>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

namespace {

/* How long a withdrawal waits for the guest to let go before the device
 * goes anyway (QEMU waits for ever; the lab must end). */
constexpr unsigned WITHDRAW_TIMEOUT_S = 5;

/* Reads an interface's flags and, with `update`, changes them; -1 if the
 * interface is not there. */
int if_flags(const std::string &ifname, int (*update)(int) = nullptr)
{
	const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ifreq ifr{};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname.c_str());
	int ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (ret == 0 && update != nullptr) {
		ifr.ifr_flags = static_cast<short>(update(ifr.ifr_flags & 0xffff));
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret == 0 ? ifr.ifr_flags & 0xffff : -1;
}

} // namespace

LabVf::LabVf(Kind kind, std::string endpoint, rte_mempool *pool)
    : kind_(kind), endpoint_(std::move(endpoint)), pool_(pool)
{
}

LabVf::~LabVf()
{
	while (state_.load() == State::removing)
		rte_delay_us_sleep(1000);
	if (state_.load() != State::gone)
		remove();
}

void LabVf::plug()
{
	if (state_ == State::leaving || state_ == State::dead || state_ == State::removing) {
		replug_ = true;
		return;
	}
	if (state_ != State::gone)
		return;
	name_ = (kind_ == Kind::memif ? "net_memif_vf" : "net_af_packet_vf") +
		std::to_string(generation_++);
	const std::string args = kind_ == Kind::memif
				     ? "role=server,socket-abstract=no,socket=" + unpublished()
				     : "iface=" + endpoint_ + ",qpairs=1";
	rte_eth_conf conf{};
	if (rte_vdev_init(name_.c_str(), args.c_str()) != 0 ||
	    rte_eth_dev_get_port_by_name(name_.c_str(), &port_) != 0) {
		printf("vhost-host: cannot plug the VF on %s\n", endpoint_.c_str());
		return;
	}
	/* A memif server listens from its probe but turns clients away until
	 * it is started, and 22.11's client never tries again: the guest
	 * must not find the socket before then, as it finds no VF half-made. */
	if (rte_eth_dev_configure(port_, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port_, 0, 1024, rte_socket_id(), nullptr, pool_) != 0 ||
	    rte_eth_tx_queue_setup(port_, 0, 1024, rte_socket_id(), nullptr) != 0 ||
	    rte_eth_dev_start(port_) != 0 ||
	    (kind_ == Kind::memif && rename(unpublished().c_str(), endpoint_.c_str()) != 0)) {
		printf("vhost-host: cannot start the VF on %s\n", endpoint_.c_str());
		rte_eth_dev_stop(port_);
		rte_eth_dev_close(port_);
		rte_vdev_uninit(name_.c_str());
		return;
	}
	state_ = State::plugged;
	link_up_ = false;
	printf("vhost-host: VF plugged: %s %s\n", kind_ == Kind::memif ? "memif server on" : "tap",
	       endpoint_.c_str());
}

bool LabVf::withdraw(bool surprise)
{
	if (state_ != State::plugged)
		return false;
	state_ = surprise ? State::dead : State::leaving;
	/* A device being unplugged takes no new driver: the guest's re-probe
	 * must not find this server again between letting go and its end. */
	unpublish();
	deadline_tsc_ = rte_get_tsc_cycles() + WITHDRAW_TIMEOUT_S * rte_get_tsc_hz();
	printf("vhost-host: VF %s: %s\n", surprise ? "gone (surprise removal)" : "withdrawn",
	       endpoint_.c_str());
	return true;
}

bool LabVf::read_link() const
{
	if (kind_ == Kind::tap) {
		const int flags = if_flags(endpoint_);
		return flags >= 0 && (flags & IFF_UP) && (flags & IFF_RUNNING);
	}
	rte_eth_link link{};
	return rte_eth_link_get_nowait(port_, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

void LabVf::poll()
{
	if (state_ == State::removing)
		return;
	if (state_ == State::gone) {
		if (replug_) {
			replug_ = false;
			plug();
		}
		return;
	}
	const bool up = read_link();
	if (up != link_up_) {
		link_up_ = up;
		printf("vhost-host: VF link %s: %s\n", up ? "up" : "down", endpoint_.c_str());
	}
	if (state_ != State::leaving && state_ != State::dead)
		return;
	/* The guest let go: its memif client disconnected, or its tap closed. */
	const bool released =
	    kind_ == Kind::memif ? !link_up_ : if_nametoindex(endpoint_.c_str()) == 0;
	if (released || rte_get_tsc_cycles() > deadline_tsc_)
		remove_on_interrupt_thread();
}

void LabVf::remove_on_interrupt_thread()
{
	state_ = State::removing;
	const int ret = rte_eal_alarm_set(
	    1, [](void *vf) { static_cast<LabVf *>(vf)->remove(); }, this);
	if (ret != 0) {
		printf("vhost-host: cannot defer the VF's removal (%s): removing it here\n",
		       rte_strerror(-ret));
		remove();
	}
}

void LabVf::remove()
{
	unpublish();
	rte_eth_dev_stop(port_);
	rte_eth_dev_close(port_);
	rte_vdev_uninit(name_.c_str());
	link_up_ = false;
	printf("vhost-host: VF unplugged: %s\n", endpoint_.c_str());
	state_ = State::gone;
}

void LabVf::unpublish() const
{
	/* memif removes the socket file under the name it was given. */
	if (kind_ == Kind::memif)
		rename(endpoint_.c_str(), unpublished().c_str());
}

const char *LabVf::state_name() const
{
	switch (state_) {
	case State::gone:
		return "gone";
	case State::plugged:
		return "plugged";
	case State::leaving:
		return "leaving";
	case State::dead:
		return "dead";
	case State::removing:
		return "removing";
	}
	return "?";
}

bool LabVf::set_link(bool up)
{
	if (kind_ != Kind::tap || state_ == State::gone)
		return false;
	int (*update)(int) =
	    up ? +[](int f) { return f | IFF_UP; } : +[](int f) { return f & ~IFF_UP; };
	return if_flags(endpoint_, update) >= 0;
}
