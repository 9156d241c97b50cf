/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bypass port in a secondary process: dpdk-proc-info, dpdk-dumpcap,
 * dpdk-pdump, an application's own secondaries.
 *
 * A secondary attaches the ports the primary created for a net_bypass
 * vdev (it asks the primary for their names: a zero-config vdev has one
 * port per pair) and gives them:
 * - bursts that poll the sub-ports through this process's own ethdev
 *   (their burst functions are this process's, not the primary's stored
 *   pointers), inside the queue's shared quiescence counter
 *   (SharedQsReader: fenced, and marked with this process, so that the
 *   primary's releases wait for these bursts too, but not for a process
 *   killed inside one);
 * - info, stats and xstats answered by the primary, which holds the totals
 *   across switches, over rte_mp, the answers in a memzone of the primary's
 *   (bypass_mp.h: a request carries no pointer). The primary's handler runs on its mp
 *   thread and takes only report_lock and try-locks, never ctl_lock: a
 *   hot-plug the control path is doing, holding ctl_lock, waits for that
 *   thread to answer the secondaries. This process's own mp thread cannot
 *   ask (the reply would wait for it): there the info is the last answer,
 *   asked once at attach already (DPDK 25.11's pdump reads it there when
 *   the primary forwards a capture to its secondaries).
 * The sub-ports are attached by their own drivers, after the bypass port
 * (the vdev bus probes in the primary's order); a sub-port whose driver
 * cannot attach in a secondary is not polled here.
 * The link is the shared port data the primary keeps current. Anything
 * that changes the port is the primary's (the application's): refused here
 * with -ENOTSUP by ethdev, for want of an op.
 */
#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_string_fns.h>

#include "bypass/log.h"
#include "bypass_private.h"
#include "bypass_mp.h"
#include "bypass_secondary.h"

namespace bypass {

namespace {

constexpr timespec MP_TIMEOUT{5, 0};
/* Room for the names of a zero-config vdev's ports. */
constexpr size_t NAMES_SIZE = mp::SLOT_SIZE;
static_assert(sizeof(rte_eth_dev_info) <= mp::SLOT_SIZE &&
		  sizeof(compat::PortStats) <= mp::SLOT_SIZE,
	      "an answer fits a slot");

/* Primary: the names of the ports of vdev `vdev`, NUL-separated, into
 * `out`; their length or -ENOSPC. */
int list_ports(const char *vdev, char *out, size_t size)
{
	size_t used = 0;
	uint16_t port;
	RTE_ETH_FOREACH_DEV(port)
	{
		const rte_eth_dev &dev = rte_eth_devices[port];
		if (!PortRef(port) || dev.device == nullptr ||
		    strcmp(dev.device->name, vdev) != 0)
			continue;
		const size_t len = strlen(dev.data->name) + 1;
		if (used + len > size)
			return -ENOSPC;
		memcpy(out + used, dev.data->name, len);
		used += len;
	}
	return static_cast<int>(used);
}

/* Primary: what a valid request asks, into `out` (`size` bytes); its
 * length or -errno. */
int answer(const mp::Request &req, uint8_t *out, size_t size)
{
	if (req.size < size)
		size = req.size; /* no more than the asker has room for */
	if (req.op == mp::Op::list)
		return list_ports(req.vdev, reinterpret_cast<char *>(out), size);
	/* Held to the end: the port cannot be closed under this answer. */
	const PortRef bp(req.port);
	if (!bp)
		return -ENODEV;
	rte_eth_dev *dev = &rte_eth_devices[req.port];
	switch (req.op) {
	case mp::Op::info: {
		/* As ethdev gives it to the application, defaults included. */
		rte_eth_dev_info info;
		if (size < sizeof(info))
			return -EINVAL;
		const int ret = rte_eth_dev_info_get(req.port, &info);
		if (ret < 0)
			return ret;
		memcpy(out, &info, sizeof(info));
		return sizeof(info);
	}
	case mp::Op::stats: {
		compat::PortStats stats{};
		if (size < sizeof(stats))
			return -EINVAL;
		const int ret = stats_get(dev, stats);
		if (ret < 0)
			return ret;
		memcpy(out, &stats, sizeof(stats));
		return sizeof(stats);
	}
	case mp::Op::xstats: {
		const unsigned n = size / sizeof(rte_eth_xstat);
		std::vector<rte_eth_xstat> x(n);
		const int ret = xstats_get(dev, x.data(), n);
		if (ret < 0 || static_cast<unsigned>(ret) > n)
			return ret < 0 ? ret : -ENOSPC;
		memcpy(out, x.data(), ret * sizeof(rte_eth_xstat));
		return static_cast<int>(ret * sizeof(rte_eth_xstat));
	}
	default:
		return -EINVAL;
	}
}

/* Primary, on the mp thread. */
int serve(const rte_mp_msg *msg, const void *peer)
{
	mp::Reply r{-ENOMEM, 0, 0, 0};
	mp::Request req;
	r.result = mp::parse_request(*msg, req);
	mp::Answers *answers = mp::answers_primary();
	if (r.result == 0 && answers == nullptr)
		r.result = -ENOMEM;
	if (r.result == 0)
		mp::answer_into(*answers, r,
				[&](uint8_t *out, size_t size) { return answer(req, out, size); });
	rte_mp_msg reply{};
	rte_strscpy(reply.name, mp::ACTION, sizeof(reply.name));
	memcpy(reply.param, &r, sizeof(r));
	reply.len_param = sizeof(r);
	return rte_mp_reply(&reply, static_cast<const char *>(peer));
}

struct ReplyFree {
	void operator()(rte_mp_msg *m) const { free(m); }
};

/* Secondary: asks the primary for `op` into `out` (`size` bytes of room).
 * Returns the answer's length or -errno; -EWOULDBLOCK on this process's
 * mp thread. */
int ask(mp::Op op, uint16_t port, const char *vdev, void *out, size_t size)
{
	if (compat::on_mp_thread())
		return -EWOULDBLOCK;
	const mp::Answers *answers = mp::answers_secondary();
	if (answers == nullptr)
		return -ENODEV;
	mp::Request req{};
	req.op = op;
	req.port = port;
	if (vdev != nullptr)
		rte_strscpy(req.vdev, vdev, sizeof(req.vdev));
	req.size = static_cast<uint32_t>(std::min(size, mp::SLOT_SIZE));
	rte_mp_msg msg{};
	rte_strscpy(msg.name, mp::ACTION, sizeof(msg.name));
	memcpy(msg.param, &req, sizeof(req));
	msg.len_param = sizeof(req);

	int ret = -EAGAIN;
	/* A slot reused under a slow copy: ask again, a few times. */
	for (int tries = 0; tries < 3 && ret == -EAGAIN; tries++) {
		struct rte_mp_reply reply {};
		ret = rte_mp_request_sync(&msg, &reply, &MP_TIMEOUT);
		std::unique_ptr<rte_mp_msg, ReplyFree> msgs(reply.msgs);
		if (ret < 0 || reply.nb_received != 1 || msgs->len_param != sizeof(mp::Reply)) {
			ret = ret < 0 ? -rte_errno : -ETIMEDOUT;
			BYPASS_LOG(ERR, "port %u: the primary process did not answer (%s)", port,
				   rte_strerror(-ret));
			return ret;
		}
		mp::Reply r;
		memcpy(&r, msgs->param, sizeof(r));
		ret = r.result < 0 ? r.result : mp::copy_answer(*answers, r, out, size);
	}
	return ret;
}

/* The last info the primary gave for each port of this process. */
struct InfoCache {
	std::mutex lock;
	std::array<std::optional<rte_eth_dev_info>, RTE_MAX_ETHPORTS> info;
};
InfoCache info_cache;

int info_get(rte_eth_dev *dev, rte_eth_dev_info *info) noexcept
{
	const uint16_t port = dev->data->port_id;
	rte_eth_dev_info answer{};
	int ret = ask(mp::Op::info, port, nullptr, &answer, sizeof(answer));
	ret = ret == static_cast<int>(sizeof(answer)) ? 0 : ret < 0 ? ret : -EPROTO;
	if (ret == 0) {
		/* Pointers are the primary's: this process's device, and
		 * ethdev sets the rest after the op. */
		rte_device *device = info->device;
		*info = answer;
		info->device = device;
		info->switch_info.name = nullptr;
	}
	std::lock_guard<std::mutex> guard(info_cache.lock);
	if (ret == 0) {
		info_cache.info[port] = *info;
	} else if (ret == -EWOULDBLOCK && info_cache.info[port]) {
		*info = *info_cache.info[port];
		ret = 0;
	}
	return ret;
}

int stats(rte_eth_dev *dev, compat::PortStats &s) noexcept
{
	const int ret = ask(mp::Op::stats, dev->data->port_id, nullptr, &s, sizeof(s));
	return ret == static_cast<int>(sizeof(s)) ? 0 : ret < 0 ? ret : -EPROTO;
}

int xstats(rte_eth_dev *dev, rte_eth_xstat *x, unsigned n) noexcept
{
	/* The names and their count are the same in every process. */
	const int count = xstats_get_names(dev, nullptr, 0);
	if (x == nullptr || n < static_cast<unsigned>(count))
		return count;
	const int ret = ask(mp::Op::xstats, dev->data->port_id, nullptr, x,
			    count * sizeof(rte_eth_xstat));
	return ret < 0 ? ret : ret / static_cast<int>(sizeof(rte_eth_xstat));
}

eth_dev_ops make_secondary_ops()
{
	eth_dev_ops ops{};
	ops.dev_infos_get = info_get;
	ops.link_update = link_update;
	ops.stats_get = compat::stats_get_op<stats>;
	ops.xstats_get = xstats;
	ops.xstats_get_names = xstats_get_names;
	return ops;
}

const eth_dev_ops secondary_ops = make_secondary_ops();

uint16_t secondary_rx(void *queue, rte_mbuf **pkts, uint16_t n)
{
	auto *rxq = static_cast<RxQueue *>(queue);
	rxq->remote.enter();
	const BypassPort &bp = port_of(&rte_eth_devices[rxq->port_id]);
	const unsigned paths = rxq->paths.load(std::memory_order_acquire);
	uint16_t got = 0;
	for (unsigned p : {PATH_ACTIVE, PATH_BACKUP}) {
		/* A path's port and its queue are stable while its bit is set
		 * and this burst is inside the counter. */
		if (got < n && (paths & (1u << p)) && rxq->sub[p].queue != nullptr)
			got += rte_eth_rx_burst(bp.sub[p].port.load(std::memory_order_relaxed),
						rxq->queue_id, pkts + got, n - got);
	}
	for (uint16_t i = 0; i < got; i++)
		pkts[i]->port = rxq->port_id;
	rxq->remote.leave();
	return got;
}

uint16_t secondary_tx(void *queue, rte_mbuf **pkts, uint16_t n)
{
	auto *txq = static_cast<TxQueue *>(queue);
	txq->remote.enter();
	const SubTxq &sub = txq->sub[txq->path.load(std::memory_order_acquire)];
	const uint16_t sent =
	    sub.queue != nullptr ? rte_eth_tx_burst(sub.port, txq->queue_id, pkts, n) : 0;
	txq->remote.leave();
	return sent;
}

int attach(rte_vdev_device *vdev, const char *name)
{
	rte_eth_dev *dev = rte_eth_dev_attach_secondary(name);
	if (dev == nullptr) {
		BYPASS_LOG(ERR, "%s: cannot attach port %s in this secondary process",
			   rte_vdev_device_name(vdev), name);
		return -ENODEV;
	}
	dev->device = &vdev->device;
	dev->dev_ops = &secondary_ops;
	dev->rx_pkt_burst = secondary_rx;
	dev->tx_pkt_burst = secondary_tx;
	/* What this process's mp thread answers with (see the top). */
	rte_eth_dev_info info{};
	info_get(dev, &info);
	rte_eth_dev_probing_finish(dev);
	BYPASS_LOG(INFO, "%s: port %u attached in a secondary process", name, dev->data->port_id);
	return 0;
}

} // namespace

void secondary_service_start()
{
	/* Idempotent: every probe in the primary may call it. */
	static const int registered = [] {
		if (mp::answers_primary() == nullptr)
			BYPASS_LOG(WARNING, "secondary processes will not see bypass ports: no "
					    "memzone for the answers: %s",
				   rte_strerror(rte_errno));
		const int ret = rte_mp_action_register(mp::ACTION, serve);
		if (ret < 0 && rte_errno != EEXIST && rte_errno != ENOTSUP)
			BYPASS_LOG(WARNING, "secondary processes will not see bypass ports: %s",
				   rte_strerror(rte_errno));
		return ret;
	}();
	(void)registered;
}

int secondary_probe(rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	/* Read from /proc here, not in the first burst that records it. */
	this_process();
	std::unique_ptr<char[]> names(new (std::nothrow) char[NAMES_SIZE]);
	if (!names)
		return -ENOMEM;
	const int len = ask(mp::Op::list, 0, name, names.get(), NAMES_SIZE);
	if (len < 0)
		return len;
	for (int at = 0; at < len; at += static_cast<int>(strlen(names.get() + at)) + 1) {
		const int ret = attach(vdev, names.get() + at);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int secondary_remove(rte_vdev_device *vdev)
{
	uint16_t port;
	RTE_ETH_FOREACH_DEV_OF(port, &vdev->device)
	{
		/* The port's data, queues and sub-ports are the primary's. */
		rte_eth_dev_release_port(&rte_eth_devices[port]);
	}
	return 0;
}

} // namespace bypass
