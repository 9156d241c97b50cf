/* SPDX-License-Identifier: BSD-3-Clause */
#include "vhost_relay.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace {

/* vhost-user message header (vhost-user.rst): request, flags, size. */
struct Header {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};
constexpr uint32_t GET_FEATURES = 1;
constexpr uint32_t SET_FEATURES = 2;
constexpr uint32_t FLAG_REPLY = 0x4;
constexpr size_t MAX_FDS = 8;
constexpr size_t MAX_PAYLOAD = 4096;

struct Message {
	Header hdr{};
	std::vector<uint8_t> payload;
	std::vector<int> fds;
};

bool read_full(int fd, void *buf, size_t len)
{
	auto *p = static_cast<uint8_t *>(buf);
	while (len > 0) {
		const ssize_t n = recv(fd, p, len, 0);
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

bool receive(int fd, Message &m)
{
	char control[CMSG_SPACE(MAX_FDS * sizeof(int))] = {};
	iovec iov{&m.hdr, sizeof(m.hdr)};
	msghdr msg{};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	const ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return false;
	if (n < static_cast<ssize_t>(sizeof(m.hdr)) &&
	    !read_full(fd, reinterpret_cast<uint8_t *>(&m.hdr) + n, sizeof(m.hdr) - n))
		return false;
	for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			const int *fds = reinterpret_cast<const int *>(CMSG_DATA(c));
			m.fds.assign(fds, fds + count);
		}
	}
	if (m.hdr.size > MAX_PAYLOAD)
		return false;
	m.payload.resize(m.hdr.size);
	return m.hdr.size == 0 || read_full(fd, m.payload.data(), m.hdr.size);
}

bool send_message(int fd, const Message &m)
{
	iovec iov[2] = {{const_cast<Header *>(&m.hdr), sizeof(m.hdr)},
			{const_cast<uint8_t *>(m.payload.data()), m.payload.size()}};
	char control[CMSG_SPACE(MAX_FDS * sizeof(int))] = {};
	msghdr msg{};
	msg.msg_iov = iov;
	msg.msg_iovlen = m.payload.empty() ? 1 : 2;
	if (!m.fds.empty()) {
		msg.msg_control = control;
		msg.msg_controllen = CMSG_SPACE(m.fds.size() * sizeof(int));
		cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(m.fds.size() * sizeof(int));
		memcpy(CMSG_DATA(c), m.fds.data(), m.fds.size() * sizeof(int));
	}
	const size_t total = sizeof(m.hdr) + m.payload.size();
	return sendmsg(fd, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(total);
}

uint64_t u64_of(const Message &m)
{
	uint64_t v = 0;
	memcpy(&v, m.payload.data(), std::min(sizeof(v), m.payload.size()));
	return v;
}

void set_u64(Message &m, uint64_t v)
{
	memcpy(m.payload.data(), &v, std::min(sizeof(v), m.payload.size()));
}

int unix_socket(const std::string &path, bool listen_on)
{
	const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	/* A listening socket appears under its name only once it listens:
	 * whoever waits for the file must not find it refusing connections. */
	const std::string bound = listen_on ? path + ".new" : path;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", bound.c_str());
	int ret;
	if (listen_on) {
		unlink(bound.c_str());
		ret = bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) ||
		      listen(fd, 1) || rename(bound.c_str(), path.c_str());
	} else {
		ret = connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
	}
	if (ret != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

} // namespace

VhostRelay::VhostRelay(std::string guest_path, std::string backend_path)
    : guest_path_(std::move(guest_path)), backend_path_(std::move(backend_path))
{
}

VhostRelay::~VhostRelay()
{
	stop_ = true;
	if (listen_fd_ >= 0)
		shutdown(listen_fd_, SHUT_RDWR);
	if (thread_.joinable())
		thread_.join();
	if (listen_fd_ >= 0)
		close(listen_fd_);
	unlink(guest_path_.c_str());
}

int VhostRelay::start()
{
	listen_fd_ = unix_socket(guest_path_, true);
	if (listen_fd_ < 0)
		return -errno;
	thread_ = std::thread([this] { serve(); });
	return 0;
}

void VhostRelay::serve()
{
	while (!stop_) {
		pollfd p{listen_fd_, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		const int guest = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
		if (guest < 0)
			continue;
		const int backend = unix_socket(backend_path_, false);
		if (backend >= 0)
			relay(guest, backend);
		close(guest);
		if (backend >= 0)
			close(backend);
	}
}

/* One guest connection at a time, until either side hangs up. */
void VhostRelay::relay(int guest, int backend)
{
	pollfd p[2] = {{guest, POLLIN, 0}, {backend, POLLIN, 0}};
	while (!stop_) {
		if (poll(p, 2, 100) <= 0)
			continue;
		for (int side = 0; side < 2; side++) {
			if (!(p[side].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			Message m;
			if (!receive(p[side].fd, m))
				return;
			if (side == 0 && m.hdr.request == SET_FEATURES) {
				guest_features_ = u64_of(m);
				set_u64(m, u64_of(m) & ~ADDED);
			} else if (side == 1 && m.hdr.request == GET_FEATURES &&
				   (m.hdr.flags & FLAG_REPLY)) {
				set_u64(m, u64_of(m) | ADDED);
			}
			const bool sent = send_message(p[side ^ 1].fd, m);
			for (int fd : m.fds)
				close(fd);
			if (!sent)
				return;
		}
	}
}
