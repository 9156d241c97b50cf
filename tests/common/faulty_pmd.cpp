/* SPDX-License-Identifier: BSD-3-Clause */
/* net_faulty (faulty_pmd.h): a test PMD that fails, hangs or refuses on
 * command. */
#include "faulty_pmd.h"
#include "eal.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <map>
#include <new>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include <bus_vdev_driver.h>
#include <rte_bus_vdev.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_cycles.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "dpdk_compat.h"

namespace bypass_test {
namespace faulty {

namespace {

constexpr unsigned MAX_QUEUES = 16;
constexpr unsigned MAX_MACS = 4;
constexpr size_t N_OPS = static_cast<size_t>(Op::count);

struct Config {
	rte_ether_addr mac{{0x02, 0, 0, 0, 0xfa, 0x01}};
	uint16_t queues = 4;
	uint16_t reta = 0;
	uint8_t key = 0;
	uint16_t min_mtu = RTE_ETHER_MIN_MTU;
	uint16_t max_mtu = 9000;
	uint64_t rx_offloads = 0;
	uint64_t tx_offloads = 0;
	uint64_t dev_capa = 0;
	bool prepare = false;
	unsigned probe_delay_ms = 0;
	unsigned keep = 4096; /* transmitted mbufs kept for transmitted() */
	/* fail=<op>:<errno>[:<times>]: failures from the very first call. */
	std::vector<std::tuple<Op, int, int>> failures;
	/* block=<op>: held from the very first call. */
	std::vector<Op> blocks;
};

const char *const OP_NAMES[] = {"configure", "rxq",	"txq",	    "start", "stop", "mtu",  "mac",
				"mac_add",   "promisc", "allmulti", "mc",    "vlan", "reta", "rss",
				"reset"};
static_assert(RTE_DIM(OP_NAMES) == static_cast<size_t>(Op::count), "a name for every op");

bool parse_op(const std::string &name, Op &op)
{
	for (size_t i = 0; i < RTE_DIM(OP_NAMES); i++) {
		if (name == OP_NAMES[i]) {
			op = static_cast<Op>(i);
			return true;
		}
	}
	return false;
}

bool parse_failure(const std::string &v, Config &c)
{
	const size_t colon = v.find(':');
	if (colon == std::string::npos)
		return false;
	Op op;
	if (!parse_op(v.substr(0, colon), op))
		return false;
	char *end;
	const int err = strtol(v.c_str() + colon + 1, &end, 0);
	const int times = *end == ':' ? atoi(end + 1) : -1;
	c.failures.emplace_back(op, -err, times);
	return true;
}

struct Faulty;

struct Queue {
	Faulty *f = nullptr;
	uint16_t id = 0;
	uint16_t port = 0;
};

struct Faulty {
	Config cfg;
	std::mutex lock;
	std::condition_variable cv;
	std::array<int, N_OPS> fail_error{};
	std::array<int, N_OPS> fail_times{};
	std::array<bool, N_OPS> blocking{};
	std::array<bool, N_OPS> waiting{};
	std::array<unsigned, N_OPS> *calls = nullptr; /* in call_counts() */
	std::atomic<bool> link_up{true};
	std::atomic<int> limit{-1};
	void (*hook)(void *) = nullptr;
	void *hook_arg = nullptr;
	rte_ring *rx_ring = nullptr;
	rte_ring *tx_ring = nullptr;
	std::atomic<uint64_t> ipackets{0}, opackets{0}, prepared{0};
	std::array<Queue, MAX_QUEUES> rxq{}, txq{};
	std::array<uint16_t, RTE_ETH_RSS_RETA_SIZE_512> reta{};
	std::array<uint8_t, 255> key{};
	uint64_t rss_hf = 0;
};

/* Calls by device name, kept after the device is gone. Guarded by the
 * ports' own locks (a name is one port at a time) and counts_lock. */
std::mutex counts_lock;
std::map<std::string, std::array<unsigned, N_OPS>> &call_counts()
{
	static std::map<std::string, std::array<unsigned, N_OPS>> counts;
	return counts;
}

Faulty &of(rte_eth_dev *dev)
{
	return **static_cast<Faulty **>(dev->data->dev_private);
}

/* Every op goes through here: counted, held while blocked, failed while
 * told to. */
/* Counts a call of `op`, holds it while blocked, and fails it as told
 * unless `refusable` is false. */
int gate(rte_eth_dev *dev, Op op, bool refusable = true)
{
	Faulty &f = of(dev);
	const size_t i = static_cast<size_t>(op);
	std::unique_lock<std::mutex> guard(f.lock);
	(*f.calls)[i]++;
	f.waiting[i] = true;
	f.cv.wait(guard, [&] { return !f.blocking[i]; });
	f.waiting[i] = false;
	if (f.fail_times[i] == 0 || !refusable)
		return 0;
	if (f.fail_times[i] > 0)
		f.fail_times[i]--;
	return f.fail_error[i];
}

void set_link(rte_eth_dev *dev)
{
	rte_eth_link link{};
	link.link_speed = RTE_ETH_SPEED_NUM_10G;
	link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	link.link_status =
	    of(dev).link_up.load() && dev->data->dev_started ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
	rte_eth_linkstatus_set(dev, &link);
}

/* hold_rx() by port id, outside the device: a burst held inside a port
 * that is closed under it (the bug the hold is there to show) reads
 * nothing of the freed device while it waits, and the close counts it. */
std::array<std::atomic<bool>, RTE_MAX_ETHPORTS> hold{}, held{}, closed_while_held{};
std::atomic<unsigned> closed_mid_burst_count{0};

uint16_t rx_burst(void *queue, rte_mbuf **pkts, uint16_t n)
{
	auto *q = static_cast<Queue *>(queue);
	const uint16_t port = q->port;
	if (hold[port].load()) {
		held[port].store(true);
		while (hold[port].load())
			rte_pause();
		held[port].store(false);
		if (closed_while_held[port].exchange(false))
			return 0; /* the queue is gone: touch nothing */
	}
	Faulty &f = *q->f;
	if (q->id != 0)
		return 0;
	const unsigned got =
	    rte_ring_dequeue_burst(f.rx_ring, reinterpret_cast<void **>(pkts), n, nullptr);
	f.ipackets += got;
	return got;
}

uint16_t tx_burst(void *queue, rte_mbuf **pkts, uint16_t n)
{
	Faulty &f = *static_cast<Queue *>(queue)->f;
	if (f.hook != nullptr)
		f.hook(f.hook_arg);
	if (!f.link_up.load())
		return 0; /* as a VF, memif or tap whose link is down */
	const int limit = f.limit.load();
	const uint16_t take = limit < 0 ? n : std::min<uint16_t>(n, limit);
	const unsigned room =
	    f.cfg.keep > rte_ring_count(f.tx_ring) ? f.cfg.keep - rte_ring_count(f.tx_ring) : 0;
	const unsigned kept = rte_ring_enqueue_burst(f.tx_ring, reinterpret_cast<void **>(pkts),
						     std::min<unsigned>(take, room), nullptr);
	rte_pktmbuf_free_bulk(pkts + kept, take - kept);
	f.opackets += take;
	return take;
}

uint16_t tx_prepare(void *queue, rte_mbuf **pkts, uint16_t n)
{
	Faulty &f = *static_cast<Queue *>(queue)->f;
	for (uint16_t i = 0; i < n; i++) {
		if ((pkts[i]->ol_flags & RTE_MBUF_F_TX_VLAN) && rte_vlan_insert(&pkts[i]) != 0)
			return i;
	}
	f.prepared += n;
	return n;
}

int dev_configure(rte_eth_dev *dev)
{
	int ret = gate(dev, Op::configure);
	const rte_eth_rss_conf &rss = dev->data->dev_conf.rx_adv_conf.rss_conf;
	Faulty &f = of(dev);
	if (ret == 0 && rss.rss_key != nullptr)
		memcpy(f.key.data(), rss.rss_key, std::min<size_t>(rss.rss_key_len, f.key.size()));
	return ret;
}

int dev_start(rte_eth_dev *dev)
{
	int ret = gate(dev, Op::start);
	if (ret == 0) {
		dev->data->dev_started = 1;
		set_link(dev);
	}
	return ret;
}

int dev_stop(rte_eth_dev *dev)
{
	gate(dev, Op::stop);
	dev->data->dev_started = 0;
	set_link(dev);
	return 0;
}

/* As a VF's reset: its counters start again from zero (ethdev stopped
 * it first). */
int dev_reset(rte_eth_dev *dev)
{
	const int ret = gate(dev, Op::reset);
	if (ret == 0) {
		of(dev).ipackets = 0;
		of(dev).opackets = 0;
	}
	return ret;
}

void free_ring(rte_ring *r)
{
	void *m;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
	rte_ring_free(r);
}

/* Frees what the device holds, its queues included. */
void destroy(Faulty *f)
{
	free_ring(f->rx_ring);
	free_ring(f->tx_ring);
	delete f;
}

/* A device freed while a burst is held inside it: counted, and the burst
 * touches nothing once let go. */
void freed(uint16_t port)
{
	if (held[port].load()) {
		closed_mid_burst_count++;
		closed_while_held[port].store(true);
	}
}

/* rte_eth_dev_close(): the queues go before DESTROY, as net_tap's do. */
int dev_close(rte_eth_dev *dev)
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	Faulty *&f = *static_cast<Faulty **>(dev->data->dev_private);
	if (f == nullptr)
		return 0;
	freed(dev->data->port_id);
	destroy(std::exchange(f, nullptr));
	return 0;
}

int infos_get(rte_eth_dev *dev, rte_eth_dev_info *info)
{
	const Config &c = of(dev).cfg;
	info->max_mac_addrs = MAX_MACS;
	info->max_rx_pktlen = c.max_mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
	info->max_rx_queues = c.queues;
	info->max_tx_queues = c.queues;
	info->min_mtu = c.min_mtu;
	info->max_mtu = c.max_mtu;
	info->rx_offload_capa = c.rx_offloads;
	info->tx_offload_capa = c.tx_offloads;
	info->reta_size = c.reta;
	info->hash_key_size = c.key;
	info->flow_type_rss_offloads = c.reta != 0 ? RTE_ETH_RSS_IP : 0;
	info->dev_capa = c.dev_capa;
	return 0;
}

int rx_queue_setup(rte_eth_dev *dev, uint16_t q, uint16_t, unsigned, const rte_eth_rxconf *,
		   rte_mempool *)
{
	int ret = gate(dev, Op::rx_queue_setup);
	if (ret == 0) {
		of(dev).rxq[q].port = dev->data->port_id;
		dev->data->rx_queues[q] = &of(dev).rxq[q];
	}
	return ret;
}

int tx_queue_setup(rte_eth_dev *dev, uint16_t q, uint16_t, unsigned, const rte_eth_txconf *)
{
	int ret = gate(dev, Op::tx_queue_setup);
	if (ret == 0)
		dev->data->tx_queues[q] = &of(dev).txq[q];
	return ret;
}

void queue_release(rte_eth_dev *, uint16_t)
{
}

int link_update(rte_eth_dev *dev, int)
{
	set_link(dev);
	return 0;
}

int set_link_up(rte_eth_dev *dev)
{
	of(dev).link_up.store(true);
	set_link(dev);
	return 0;
}

int set_link_down(rte_eth_dev *dev)
{
	of(dev).link_up.store(false);
	set_link(dev);
	return 0;
}

/* As a VF its PF does not trust: it may refuse to enter promiscuous or
 * all-multicast mode, never to leave it. */
int promisc_on(rte_eth_dev *dev)
{
	return gate(dev, Op::promisc);
}

int promisc_off(rte_eth_dev *dev)
{
	return gate(dev, Op::promisc, false);
}

int allmulti_on(rte_eth_dev *dev)
{
	return gate(dev, Op::allmulti);
}

int allmulti_off(rte_eth_dev *dev)
{
	return gate(dev, Op::allmulti, false);
}

int mtu_set(rte_eth_dev *dev, uint16_t)
{
	return gate(dev, Op::mtu_set);
}

int mac_set(rte_eth_dev *dev, rte_ether_addr *)
{
	return gate(dev, Op::mac_set);
}

int mac_add(rte_eth_dev *dev, rte_ether_addr *, uint32_t, uint32_t)
{
	return gate(dev, Op::mac_add);
}

void mac_remove(rte_eth_dev *, uint32_t)
{
}

int mc_list(rte_eth_dev *dev, rte_ether_addr *, uint32_t)
{
	return gate(dev, Op::mc_list);
}

int vlan_filter(rte_eth_dev *dev, uint16_t, int)
{
	return gate(dev, Op::vlan_filter);
}

int reta_update(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size)
{
	Faulty &f = of(dev);
	int ret = gate(dev, Op::reta_update);
	if (ret != 0)
		return ret;
	if (size != f.cfg.reta)
		return -EINVAL;
	for (unsigned i = 0; i < size; i++) {
		const auto &g = conf[i / RTE_ETH_RETA_GROUP_SIZE];
		if (g.mask & (1ULL << (i % RTE_ETH_RETA_GROUP_SIZE)))
			f.reta[i] = g.reta[i % RTE_ETH_RETA_GROUP_SIZE];
	}
	return 0;
}

int reta_query(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size)
{
	Faulty &f = of(dev);
	if (size != f.cfg.reta)
		return -EINVAL;
	for (unsigned i = 0; i < size; i++) {
		auto &g = conf[i / RTE_ETH_RETA_GROUP_SIZE];
		if (g.mask & (1ULL << (i % RTE_ETH_RETA_GROUP_SIZE)))
			g.reta[i % RTE_ETH_RETA_GROUP_SIZE] = f.reta[i];
	}
	return 0;
}

int rss_hash_update(rte_eth_dev *dev, rte_eth_rss_conf *conf)
{
	Faulty &f = of(dev);
	int ret = gate(dev, Op::rss_hash_update);
	if (ret != 0)
		return ret;
	if (conf->rss_key != nullptr) {
		if (conf->rss_key_len != f.cfg.key)
			return -EINVAL;
		memcpy(f.key.data(), conf->rss_key, conf->rss_key_len);
	}
	f.rss_hf = conf->rss_hf;
	return 0;
}

int rss_hash_conf_get(rte_eth_dev *dev, rte_eth_rss_conf *conf)
{
	Faulty &f = of(dev);
	if (conf->rss_key != nullptr) {
		memcpy(conf->rss_key, f.key.data(), f.cfg.key);
		conf->rss_key_len = f.cfg.key;
	}
	conf->rss_hf = f.rss_hf;
	return 0;
}

int stats_get(rte_eth_dev *dev, bypass::compat::PortStats &stats)
{
	stats.totals.ipackets = of(dev).ipackets.load();
	stats.totals.opackets = of(dev).opackets.load();
	return 0;
}

int stats_reset(rte_eth_dev *dev)
{
	of(dev).ipackets = 0;
	of(dev).opackets = 0;
	return 0;
}

eth_dev_ops make_ops()
{
	eth_dev_ops ops{};
	ops.dev_configure = dev_configure;
	ops.dev_start = dev_start;
	ops.dev_stop = dev_stop;
	ops.dev_reset = dev_reset;
	ops.dev_close = dev_close;
	ops.dev_infos_get = infos_get;
	ops.rx_queue_setup = rx_queue_setup;
	ops.tx_queue_setup = tx_queue_setup;
	ops.rx_queue_release = queue_release;
	ops.tx_queue_release = queue_release;
	ops.link_update = link_update;
	ops.dev_set_link_up = set_link_up;
	ops.dev_set_link_down = set_link_down;
	ops.promiscuous_enable = promisc_on;
	ops.promiscuous_disable = promisc_off;
	ops.allmulticast_enable = allmulti_on;
	ops.allmulticast_disable = allmulti_off;
	ops.mtu_set = mtu_set;
	ops.mac_addr_set = mac_set;
	ops.mac_addr_add = mac_add;
	ops.mac_addr_remove = mac_remove;
	ops.set_mc_addr_list = mc_list;
	ops.vlan_filter_set = vlan_filter;
	ops.reta_update = reta_update;
	ops.reta_query = reta_query;
	ops.rss_hash_update = rss_hash_update;
	ops.rss_hash_conf_get = rss_hash_conf_get;
	ops.stats_get = bypass::compat::stats_get_op<stats_get>;
	ops.stats_reset = stats_reset;
	return ops;
}

const eth_dev_ops faulty_ops = make_ops();

int parse(const char *args, Config &c)
{
	static const char *const keys[] = {"mac",      "queues",  "reta",	    "key",
					   "min_mtu",  "max_mtu", "rx_offloads",    "tx_offloads",
					   "dev_capa", "prepare", "probe_delay_ms", "fail",
					   "block",    "keep",	  nullptr};
	rte_kvargs *kv = rte_kvargs_parse(args != nullptr ? args : "", keys);
	if (kv == nullptr)
		return -EINVAL;
	int ret = 0;
	for (unsigned i = 0; i < kv->count && ret == 0; i++) {
		const std::string k = kv->pairs[i].key;
		const char *v = kv->pairs[i].value;
		const unsigned long long n = strtoull(v, nullptr, 0);
		if (k == "mac")
			ret = rte_ether_unformat_addr(v, &c.mac);
		else if (k == "queues")
			c.queues = n;
		else if (k == "reta")
			c.reta = n;
		else if (k == "key")
			c.key = n;
		else if (k == "min_mtu")
			c.min_mtu = n;
		else if (k == "max_mtu")
			c.max_mtu = n;
		else if (k == "rx_offloads")
			c.rx_offloads = n;
		else if (k == "tx_offloads")
			c.tx_offloads = n;
		else if (k == "dev_capa")
			c.dev_capa = n;
		else if (k == "prepare")
			c.prepare = n != 0;
		else if (k == "probe_delay_ms")
			c.probe_delay_ms = n;
		else if (k == "keep")
			c.keep = n;
		else if (k == "fail" && !parse_failure(v, c))
			ret = -EINVAL;
		else if (k == "block") {
			Op op;
			if (parse_op(v, op))
				c.blocks.push_back(op);
			else
				ret = -EINVAL;
		}
	}
	rte_kvargs_free(kv);
	return ret;
}

int probe(rte_vdev_device *vdev)
{
	Config cfg;
	if (parse(rte_vdev_device_args(vdev), cfg) < 0 || cfg.queues > MAX_QUEUES)
		return -EINVAL;
	rte_eth_dev *dev = rte_eth_vdev_allocate(vdev, sizeof(Faulty *));
	if (dev == nullptr)
		return -ENOMEM;
	auto *mac = static_cast<rte_ether_addr *>(
	    rte_zmalloc(nullptr, MAX_MACS * sizeof(rte_ether_addr), 0));
	if (mac == nullptr) {
		rte_eth_dev_release_port(dev);
		return -ENOMEM;
	}
	Faulty &f = *(*static_cast<Faulty **>(dev->data->dev_private) = new Faulty());
	{
		std::lock_guard<std::mutex> guard(counts_lock);
		auto &counts = call_counts()[rte_vdev_device_name(vdev)];
		counts = {};
		f.calls = &counts;
	}
	f.cfg = cfg;
	mac[0] = cfg.mac;
	for (const auto &[op, err, times] : cfg.failures) {
		f.fail_error[static_cast<size_t>(op)] = err;
		f.fail_times[static_cast<size_t>(op)] = times;
	}
	for (Op op : cfg.blocks)
		f.blocking[static_cast<size_t>(op)] = true;
	const std::string name = rte_vdev_device_name(vdev);
	f.rx_ring = rte_ring_create((name + "r").c_str(), 4096, SOCKET_ID_ANY, 0);
	f.tx_ring = rte_ring_create((name + "t").c_str(), 4096, SOCKET_ID_ANY, 0);
	for (uint16_t q = 0; q < MAX_QUEUES; q++) {
		f.rxq[q] = Queue{&f, q};
		f.txq[q] = Queue{&f, q};
	}
	dev->data->mac_addrs = mac; /* ethdev frees it with the port */
	dev->dev_ops = &faulty_ops;
	dev->rx_pkt_burst = rx_burst;
	dev->tx_pkt_burst = tx_burst;
	dev->tx_pkt_prepare = cfg.prepare ? tx_prepare : nullptr;
	rte_eth_dev_probing_finish(dev);
	/* The rest of a probe: the bus marks the device probed only now. */
	if (cfg.probe_delay_ms != 0)
		rte_delay_us_sleep(cfg.probe_delay_ms * 1000);
	return 0;
}

/* A removal raises DESTROY before it frees the queues, as most PMDs'
 * release does: what net_bypass's DESTROY handler waits for the bursts to
 * protect. */
int remove(rte_vdev_device *vdev)
{
	rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));
	if (dev == nullptr)
		return 0;
	const uint16_t port = dev->data->port_id;
	/* Still there for the DESTROY handlers, which may read it. */
	Faulty *f = *static_cast<Faulty **>(dev->data->dev_private);
	const int ret = rte_eth_dev_release_port(dev);
	if (f != nullptr) {
		freed(port);
		destroy(f);
	}
	return ret;
}

Faulty *find(uint16_t port)
{
	if (port >= RTE_MAX_ETHPORTS || rte_eth_devices[port].dev_ops != &faulty_ops ||
	    rte_eth_devices[port].data == nullptr ||
	    rte_eth_devices[port].data->dev_private == nullptr)
		return nullptr;
	return *static_cast<Faulty **>(rte_eth_devices[port].data->dev_private);
}

Faulty &get(uint16_t port)
{
	Faulty *f = find(port);
	if (f == nullptr)
		throw std::runtime_error("not a net_faulty port: " + std::to_string(port));
	return *f;
}

} // namespace

void fail(uint16_t port, Op op, int error, int times)
{
	Faulty &f = get(port);
	std::lock_guard<std::mutex> guard(f.lock);
	f.fail_error[static_cast<size_t>(op)] = error;
	f.fail_times[static_cast<size_t>(op)] = times;
}

void block(uint16_t port, Op op)
{
	Faulty &f = get(port);
	std::lock_guard<std::mutex> guard(f.lock);
	f.blocking[static_cast<size_t>(op)] = true;
}

void unblock(uint16_t port, Op op)
{
	Faulty *f = find(port);
	if (f == nullptr)
		return;
	{
		std::lock_guard<std::mutex> guard(f->lock);
		f->blocking[static_cast<size_t>(op)] = false;
	}
	f->cv.notify_all();
}

bool blocked(uint16_t port, Op op)
{
	Faulty &f = get(port);
	std::lock_guard<std::mutex> guard(f.lock);
	return f.waiting[static_cast<size_t>(op)] && f.blocking[static_cast<size_t>(op)];
}

unsigned calls(uint16_t port, Op op)
{
	Faulty &f = get(port);
	std::lock_guard<std::mutex> guard(f.lock);
	return (*f.calls)[static_cast<size_t>(op)];
}

unsigned calls(const std::string &name, Op op)
{
	std::lock_guard<std::mutex> guard(counts_lock);
	const auto it = call_counts().find(name);
	return it != call_counts().end() ? it->second[static_cast<size_t>(op)] : 0;
}

void hold_rx(uint16_t port, bool on)
{
	hold[port].store(on);
}

bool rx_held(uint16_t port)
{
	return held[port].load();
}

unsigned closed_mid_burst()
{
	return closed_mid_burst_count.load();
}

void set_link(uint16_t port, bool up)
{
	get(port).link_up.store(up);
}

void on_tx(uint16_t port, void (*hook)(void *), void *arg)
{
	Faulty &f = get(port);
	f.hook_arg = arg;
	f.hook = hook;
}

void tx_limit(uint16_t port, int n)
{
	get(port).limit.store(n);
}

std::vector<rte_mbuf *> transmitted(uint16_t port)
{
	std::vector<rte_mbuf *> out;
	void *m;
	while (rte_ring_dequeue(get(port).tx_ring, &m) == 0)
		out.push_back(static_cast<rte_mbuf *>(m));
	return out;
}

void inject(uint16_t port, const std::vector<rte_mbuf *> &pkts)
{
	for (rte_mbuf *m : pkts) {
		if (rte_ring_enqueue(get(port).rx_ring, m) != 0)
			rte_pktmbuf_free(m);
	}
}

unsigned prepared(uint16_t port)
{
	return get(port).prepared.load();
}

} // namespace faulty

FaultyPort::FaultyPort(const std::string &stem, const std::string &args) : name_(once(stem))
{
	if (rte_vdev_init(name_.c_str(), args.c_str()) != 0 ||
	    rte_eth_dev_get_port_by_name(name_.c_str(), &port_id_) != 0)
		throw std::runtime_error("cannot create " + name_ + "," + args);
}

FaultyPort::~FaultyPort()
{
	if (forgotten_)
		return;
	uint16_t port;
	if (rte_eth_dev_get_port_by_name(name_.c_str(), &port) == 0)
		rte_eth_dev_stop(port);
	rte_vdev_uninit(name_.c_str());
}

} // namespace bypass_test

static rte_vdev_driver faulty_driver = {
    .next = {},
    .driver = {},
    .probe = bypass_test::faulty::probe,
    .remove = bypass_test::faulty::remove,
    .dma_map = nullptr,
    .dma_unmap = nullptr,
    .drv_flags = 0,
};

RTE_PMD_REGISTER_VDEV(net_faulty, faulty_driver);
