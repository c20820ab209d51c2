/*
 * Copyright 2026 The SoundRelay Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/*
 * udp-relay: the smallest useful UDP relay, the C baseline of the end-to-end benchmark (bench/e2e/run.sh).
 *
 *   udp-relay LISTEN_IP:PORT TARGET_IP:PORT
 *   udp-relay --ports N [--io-uring] LISTEN_IP:FIRSTPORT TARGET_IP:PORT
 *
 * One thread, one socket bound to LISTEN. A blocking recvmmsg(MSG_WAITFORONE) takes up to BATCH datagrams into
 * preallocated buffers (it blocks for the first one, then takes what is already queued); one sendmmsg forwards
 * the batch, each datagram with its exact length, to the single TARGET. A partial sendmmsg is resumed at the
 * first unsent datagram; a datagram the kernel refuses is counted in send_errors and skipped. No parsing, no
 * routing table: what any relay must do at least.
 *
 * With --ports N, the baseline of a node's relay ports (PROTOCOL.md section 9): still one thread, N non-blocking
 * sockets bound to FIRSTPORT .. FIRSTPORT+N-1 of LISTEN_IP, one epoll set (level-triggered) over all of them. For
 * each ready socket one recvmmsg(MSG_DONTWAIT) takes up to BATCH datagrams; a datagram from TARGET goes back to the
 * last source address seen on that socket (dropped and counted in no_source before there is one), any other goes
 * to TARGET and its sender becomes the socket's last source. One sendmmsg per socket per batch sends them, from
 * that socket. So a stream that sends from its own socket to its own port, and a target that answers to that port,
 * are relayed both ways with no table but the socket itself.
 *
 * --io-uring (compiled with -DUDP_RELAY_IO_URING and -luring only; bench/e2e/run.sh builds that as
 * udp-relay-io_uring): the same relaying over the same sockets through one io_uring instead of epoll. Every socket
 * has one RECVMSG in the ring into its own buffer; its completion queues a SENDMSG of that datagram from that socket,
 * linked to a new RECVMSG on it, and one io_uring_enter per loop submits everything queued and reaps what
 * completed: no system call per datagram. A datagram longer than the socket's buffer (UDP_RELAY_URING_BUFFER) is
 * cut and counted in truncated.
 *
 * On SIGTERM or SIGINT it prints its counters on stdout and exits 0:
 *   udp-relay: received=N sent=N send_errors=N truncated=N
 * with --ports, followed on the same line by returned=N (datagrams from TARGET sent back) no_source=N.
 * Addresses are numeric: 127.0.0.1:4000 or [::1]:4000.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define BATCH 64
/* Largest UDP payload over IPv4: no datagram is ever truncated. */
#define BUFFER_BYTES 65536
/* Asked for both buffers; the kernel caps the request at net.core.rmem_max / wmem_max (then doubles it). */
#define SOCKET_BUFFER_BYTES (4 * 1024 * 1024)
/* How long an idle recvmmsg blocks before the stop flag is looked at again (closes the signal race). */
#define IDLE_POLL_MS 200

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Parse "ip:port" or "[ipv6]:port" (numeric only) into *out; 0 on success. */
static int parse_address(const char *text, struct sockaddr_storage *out, socklen_t *out_len)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(text, ':');
    if (colon == NULL || colon == text || colon[1] == '\0') {
        return -1;
    }
    const char *host_start = text;
    size_t host_len = (size_t)(colon - text);
    if (text[0] == '[') {
        if (host_len < 3 || colon[-1] != ']') {
            return -1;
        }
        host_start = text + 1;
        host_len -= 2;
    }
    if (host_len >= sizeof(host)) {
        return -1;
    }
    memcpy(host, host_start, host_len);
    host[host_len] = '\0';

    char *end;
    errno = 0;
    const long port = strtol(colon + 1, &end, 10);
    if (errno != 0 || *end != '\0' || port < 1 || port > 65535) {
        return -1;
    }

    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    struct addrinfo *result;
    if (getaddrinfo(host, colon + 1, &hints, &result) != 0) {
        return -1;
    }
    memcpy(out, result->ai_addr, result->ai_addrlen);
    *out_len = result->ai_addrlen;
    freeaddrinfo(result);
    return 0;
}

static void set_buffer(int fd, int option, const char *name)
{
    const int wanted = SOCKET_BUFFER_BYTES;
    if (setsockopt(fd, SOL_SOCKET, option, &wanted, sizeof(wanted)) != 0) {
        fprintf(stderr, "udp-relay: setsockopt(%s): %s\n", name, strerror(errno));
        return;
    }
    int actual = 0;
    socklen_t len = sizeof(actual);
    if (getsockopt(fd, SOL_SOCKET, option, &actual, &len) == 0) {
        /* The kernel reports twice the usable size (bookkeeping overhead). */
        fprintf(stderr, "udp-relay: %s asked %d, kernel gives %d%s\n", name, wanted, actual,
                actual < 2 * wanted ? " (capped by net.core.rmem_max/wmem_max)" : "");
    }
}

static int run_ports(long ports, int io_uring, const char *listen_text, const struct sockaddr_storage *listen_addr,
                     socklen_t listen_len, const struct sockaddr_storage *target_addr, socklen_t target_len);

static void usage(const char *name)
{
    fprintf(stderr, "usage: %s LISTEN_IP:PORT TARGET_IP:PORT\n"
                    "       %s --ports N [--io-uring] LISTEN_IP:FIRSTPORT TARGET_IP:PORT\n", name, name);
}

int main(int argc, char **argv)
{
    const char *name = argv[0];
    long ports = 0;
    int io_uring = 0;
    if (argc >= 5 && strcmp(argv[1], "--ports") == 0) {
        char *end;
        errno = 0;
        ports = strtol(argv[2], &end, 10);
        if (errno != 0 || *end != '\0' || ports < 1 || ports > 65535) {
            fprintf(stderr, "udp-relay: --ports %s: want a number of ports, 1 to 65535\n", argv[2]);
            return 2;
        }
        argv += 2;
        argc -= 2;
        if (strcmp(argv[1], "--io-uring") == 0) {
#ifndef UDP_RELAY_IO_URING
            fprintf(stderr, "udp-relay: --io-uring: this build has no io_uring (compile with -DUDP_RELAY_IO_URING "
                            "-luring)\n");
            return 2;
#endif
            io_uring = 1;
            argv += 1;
            argc -= 1;
        }
    }
    if (argc != 3) {
        usage(name);
        return 2;
    }
    struct sockaddr_storage listen_addr;
    struct sockaddr_storage target_addr;
    socklen_t listen_len;
    socklen_t target_len;
    if (parse_address(argv[1], &listen_addr, &listen_len) != 0) {
        fprintf(stderr, "udp-relay: bad listen address '%s' (want IP:PORT or [IPv6]:PORT)\n", argv[1]);
        return 2;
    }
    if (parse_address(argv[2], &target_addr, &target_len) != 0) {
        fprintf(stderr, "udp-relay: bad target address '%s' (want IP:PORT or [IPv6]:PORT)\n", argv[2]);
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked recvmmsg or epoll_wait returns EINTR */
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
        perror("udp-relay: sigaction");
        return 1;
    }

    if (ports > 0) {
        return run_ports(ports, io_uring, argv[1], &listen_addr, listen_len, &target_addr, target_len);
    }

    const int fd = socket(listen_addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("udp-relay: socket");
        return 1;
    }
    set_buffer(fd, SO_RCVBUF, "SO_RCVBUF");
    set_buffer(fd, SO_SNDBUF, "SO_SNDBUF");
    /*
     * A signal that lands between the stop check and the recvmmsg call would otherwise leave the loop blocked
     * until the next datagram: an idle receive returns EAGAIN after IDLE_POLL_MS so the flag is seen.
     */
    const struct timeval idle = { .tv_sec = 0, .tv_usec = IDLE_POLL_MS * 1000 };
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle)) != 0) {
        perror("udp-relay: setsockopt(SO_RCVTIMEO)");
        return 1;
    }
    if (bind(fd, (const struct sockaddr *)&listen_addr, listen_len) != 0) {
        fprintf(stderr, "udp-relay: bind %s: %s\n", argv[1], strerror(errno));
        return 1;
    }

    static char buffers[BATCH][BUFFER_BYTES];
    static struct iovec recv_iov[BATCH];
    static struct iovec send_iov[BATCH];
    static struct mmsghdr recv_msgs[BATCH];
    static struct mmsghdr send_msgs[BATCH];
    for (int i = 0; i < BATCH; i++) {
        recv_iov[i].iov_base = buffers[i];
        recv_iov[i].iov_len = BUFFER_BYTES;
        recv_msgs[i].msg_hdr.msg_iov = &recv_iov[i];
        recv_msgs[i].msg_hdr.msg_iovlen = 1;

        send_iov[i].iov_base = buffers[i];
        send_msgs[i].msg_hdr.msg_iov = &send_iov[i];
        send_msgs[i].msg_hdr.msg_iovlen = 1;
        send_msgs[i].msg_hdr.msg_name = &target_addr;
        send_msgs[i].msg_hdr.msg_namelen = target_len;
    }

    fprintf(stderr, "udp-relay: listening on %s, forwarding to %s, batch %d\n", argv[1], argv[2], BATCH);

    uint64_t received = 0;
    uint64_t sent = 0;
    uint64_t send_errors = 0;
    uint64_t truncated = 0;
    int status = 0;

    while (!stop_requested) {
        const int n = recvmmsg(fd, recv_msgs, BATCH, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
                continue;
            }
            /* ICMP errors queued on the socket are not fatal for a relay. */
            if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) {
                continue;
            }
            perror("udp-relay: recvmmsg");
            status = 1;
            break;
        }
        received += (uint64_t)n;
        for (int i = 0; i < n; i++) {
            if (recv_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
                truncated++;
            }
            send_iov[i].iov_len = recv_msgs[i].msg_len;
        }

        int next = 0;
        while (next < n) {
            const int r = sendmmsg(fd, &send_msgs[next], (unsigned int)(n - next), 0);
            if (r > 0) {
                sent += (uint64_t)r;
                next += r;
            } else if (r < 0 && errno == EINTR) {
                continue; /* finish the batch even when asked to stop */
            } else {
                /* The first unsent datagram is refused (e.g. ENOBUFS, ECONNREFUSED): count it, go on. */
                send_errors++;
                next++;
            }
        }
    }

    printf("udp-relay: received=%" PRIu64 " sent=%" PRIu64 " send_errors=%" PRIu64 " truncated=%" PRIu64 "\n",
           received, sent, send_errors, truncated);
    fflush(stdout);
    close(fd);
    return status;
}

/* --- --ports N: a socket per port, one epoll set ------------------------------------------------------------------ */

/* Events taken per epoll_wait: a ready socket not among them is reported again by the next one. */
#define EVENTS 256

struct relay_port {
    int fd;
    int has_source;
    socklen_t source_len;
    struct sockaddr_storage source;
};

static uint16_t port_of(const struct sockaddr_storage *addr)
{
    return addr->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)addr)->sin6_port
                                       : ((const struct sockaddr_in *)addr)->sin_port;
}

static void set_port(struct sockaddr_storage *addr, uint16_t port_host_order)
{
    if (addr->ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)addr)->sin6_port = htons(port_host_order);
    } else {
        ((struct sockaddr_in *)addr)->sin_port = htons(port_host_order);
    }
}

/* True when a datagram's source is TARGET: same family, address and port. */
static int is_target(const struct sockaddr_storage *from, const struct sockaddr_storage *target)
{
    if (from->ss_family != target->ss_family || port_of(from) != port_of(target)) {
        return 0;
    }
    if (from->ss_family == AF_INET) {
        return ((const struct sockaddr_in *)from)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)target)->sin_addr.s_addr;
    }
    return memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr, &((const struct sockaddr_in6 *)target)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
}

/* N sockets and an epoll instance need N + a few descriptors: raise the soft limit up to the hard one. */
static int ensure_fd_limit(long ports)
{
    struct rlimit limit;
    const rlim_t wanted = (rlim_t)ports + 16;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        perror("udp-relay: getrlimit(RLIMIT_NOFILE)");
        return -1;
    }
    if (limit.rlim_cur >= wanted) {
        return 0;
    }
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted) {
        fprintf(stderr, "udp-relay: %ld ports need %lu file descriptors, the hard limit is %lu (ulimit -Hn)\n",
                ports, (unsigned long)wanted, (unsigned long)limit.rlim_max);
        return -1;
    }
    limit.rlim_cur = wanted;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        perror("udp-relay: setrlimit(RLIMIT_NOFILE)");
        return -1;
    }
    return 0;
}

static char port_buffers[BATCH][BUFFER_BYTES];
static struct sockaddr_storage port_from[BATCH];
static struct iovec port_recv_iov[BATCH];
static struct iovec port_send_iov[BATCH];
static struct mmsghdr port_recv_msgs[BATCH];
static struct mmsghdr port_send_msgs[BATCH];

static uint64_t p_received;
static uint64_t p_sent;
static uint64_t p_send_errors;
static uint64_t p_truncated;
static uint64_t p_returned;
static uint64_t p_no_source;

/* One recvmmsg on a ready socket, then one sendmmsg (resumed while partial) of what it took; 0, or -1 on a fatal
 * receive error. */
static int relay_port_batch(struct relay_port *port, const struct sockaddr_storage *target, socklen_t target_len)
{
    for (int i = 0; i < BATCH; i++) {
        port_recv_msgs[i].msg_hdr.msg_namelen = sizeof(port_from[i]);
    }
    const int n = recvmmsg(port->fd, port_recv_msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNREFUSED ||
            errno == EHOSTUNREACH || errno == ENETUNREACH) {
            return 0;
        }
        perror("udp-relay: recvmmsg");
        return -1;
    }
    p_received += (uint64_t)n;

    int count = 0;
    for (int i = 0; i < n; i++) {
        struct msghdr *in = &port_recv_msgs[i].msg_hdr;
        struct msghdr *out = &port_send_msgs[count].msg_hdr;
        if (in->msg_flags & MSG_TRUNC) {
            p_truncated++;
        }
        if (is_target(&port_from[i], target)) {
            if (!port->has_source) {
                p_no_source++;
                continue;
            }
            /* The datagram's own address slot is free now: the source's copy goes there, so a later datagram of
             * the batch from a new source cannot change where this one goes. */
            memcpy(&port_from[i], &port->source, port->source_len);
            out->msg_name = &port_from[i];
            out->msg_namelen = port->source_len;
            p_returned++;
        } else {
            memcpy(&port->source, &port_from[i], in->msg_namelen);
            port->source_len = in->msg_namelen;
            port->has_source = 1;
            out->msg_name = (void *)target;
            out->msg_namelen = target_len;
        }
        port_send_iov[count].iov_base = port_buffers[i];
        port_send_iov[count].iov_len = port_recv_msgs[i].msg_len;
        count++;
    }

    int next = 0;
    while (next < count) {
        const int r = sendmmsg(port->fd, &port_send_msgs[next], (unsigned int)(count - next), 0);
        if (r > 0) {
            p_sent += (uint64_t)r;
            next += r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            p_send_errors++;
            next++;
        }
    }
    return 0;
}

#ifdef UDP_RELAY_IO_URING
static int relay_ports_io_uring(struct relay_port *relay_ports, long ports, const struct sockaddr_storage *target,
                                socklen_t target_len);
#endif

static int run_ports(long ports, int io_uring, const char *listen_text, const struct sockaddr_storage *listen_addr,
                     socklen_t listen_len, const struct sockaddr_storage *target_addr, socklen_t target_len)
{
    const long first_port = ntohs(port_of(listen_addr));
    if (first_port + ports - 1 > 65535) {
        fprintf(stderr, "udp-relay: %ld ports from %ld go past 65535\n", ports, first_port);
        return 2;
    }
    if (ensure_fd_limit(ports) != 0) {
        return 1;
    }
    struct relay_port *relay_ports = calloc((size_t)ports, sizeof(struct relay_port));
    if (relay_ports == NULL) {
        perror("udp-relay: calloc");
        return 1;
    }
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("udp-relay: epoll_create1");
        return 1;
    }
    struct sockaddr_storage bind_addr = *listen_addr;
    for (long i = 0; i < ports; i++) {
        const int fd = socket(listen_addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            perror("udp-relay: socket");
            return 1;
        }
        if (i == 0) {
            set_buffer(fd, SO_RCVBUF, "SO_RCVBUF");
            set_buffer(fd, SO_SNDBUF, "SO_SNDBUF");
        } else {
            const int wanted = SOCKET_BUFFER_BYTES;
            (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &wanted, sizeof(wanted));
            (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &wanted, sizeof(wanted));
        }
        set_port(&bind_addr, (uint16_t)(first_port + i));
        if (bind(fd, (const struct sockaddr *)&bind_addr, listen_len) != 0) {
            fprintf(stderr, "udp-relay: bind port %ld (%ld of %ld from %s): %s\n", first_port + i, i + 1, ports,
                    listen_text, strerror(errno));
            return 1;
        }
        struct epoll_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.u32 = (uint32_t)i;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            perror("udp-relay: epoll_ctl");
            return 1;
        }
        relay_ports[i].fd = fd;
    }
    for (int i = 0; i < BATCH; i++) {
        port_recv_iov[i].iov_base = port_buffers[i];
        port_recv_iov[i].iov_len = BUFFER_BYTES;
        port_recv_msgs[i].msg_hdr.msg_iov = &port_recv_iov[i];
        port_recv_msgs[i].msg_hdr.msg_iovlen = 1;
        port_recv_msgs[i].msg_hdr.msg_name = &port_from[i];
        port_send_msgs[i].msg_hdr.msg_iov = &port_send_iov[i];
        port_send_msgs[i].msg_hdr.msg_iovlen = 1;
    }

    int status = 0;
#ifdef UDP_RELAY_IO_URING
    if (io_uring) {
        fprintf(stderr, "udp-relay: %ld ports %ld-%ld on %s, forwarding to a target and back, io_uring\n", ports,
                first_port, first_port + ports - 1, listen_text);
        status = relay_ports_io_uring(relay_ports, ports, target_addr, target_len);
    }
#else
    (void)io_uring;
#endif
    if (!io_uring) {
        fprintf(stderr, "udp-relay: %ld ports %ld-%ld on %s, forwarding to a target and back, epoll, batch %d\n",
                ports, first_port, first_port + ports - 1, listen_text, BATCH);
    }

    static struct epoll_event events[EVENTS];
    while (!io_uring && !stop_requested && status == 0) {
        /* The timeout closes the race of a signal between the stop check and epoll_wait. */
        const int n = epoll_wait(ep, events, EVENTS, IDLE_POLL_MS);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("udp-relay: epoll_wait");
            status = 1;
            break;
        }
        for (int k = 0; k < n; k++) {
            if (relay_port_batch(&relay_ports[events[k].data.u32], target_addr, target_len) != 0) {
                status = 1;
                break;
            }
        }
    }

    printf("udp-relay: received=%" PRIu64 " sent=%" PRIu64 " send_errors=%" PRIu64 " truncated=%" PRIu64
           " returned=%" PRIu64 " no_source=%" PRIu64 "\n",
           p_received, p_sent, p_send_errors, p_truncated, p_returned, p_no_source);
    fflush(stdout);
    for (long i = 0; i < ports; i++) {
        close(relay_ports[i].fd);
    }
    close(ep);
    free(relay_ports);
    return status;
}

#ifdef UDP_RELAY_IO_URING
/* --- --ports N --io-uring ----------------------------------------------------------------------------------------- */
#include <liburing.h>

/* Each socket's one buffer: a whole datagram of any usual size (the generator sends 180 bytes). */
#ifndef UDP_RELAY_URING_BUFFER
#define UDP_RELAY_URING_BUFFER 2048
#endif

/* One socket's ring state: its receive into buf, and the send of that datagram, which names dest. */
struct uring_port {
    struct msghdr recv_msg;
    struct iovec recv_iov;
    struct sockaddr_storage from;
    struct msghdr send_msg;
    struct iovec send_iov;
    struct sockaddr_storage dest;
    char buf[UDP_RELAY_URING_BUFFER];
};

#define KIND_RECV 0u
#define KIND_SEND 1u

static struct io_uring_sqe *next_sqe(struct io_uring *ring)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (sqe == NULL) {
        /* The ring is sized for a receive and a send per socket; make room anyway rather than fail. */
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    return sqe;
}

static void arm_recv(struct io_uring *ring, struct relay_port *port, struct uring_port *up, long index,
                     unsigned flags)
{
    struct io_uring_sqe *sqe = next_sqe(ring);
    up->recv_msg.msg_namelen = sizeof(up->from);
    up->recv_msg.msg_flags = 0;
    io_uring_prep_recvmsg(sqe, port->fd, &up->recv_msg, 0);
    sqe->flags |= flags;
    io_uring_sqe_set_data64(sqe, ((uint64_t)index << 1) | KIND_RECV);
}

static int relay_ports_io_uring(struct relay_port *relay_ports, long ports, const struct sockaddr_storage *target,
                                socklen_t target_len)
{
    struct uring_port *ups = calloc((size_t)ports, sizeof(struct uring_port));
    if (ups == NULL) {
        perror("udp-relay: calloc");
        return 1;
    }
    unsigned entries = 64;
    while (entries < 2u * (unsigned)ports + 64u) {
        entries <<= 1;
    }
    struct io_uring ring;
    struct io_uring_params params;
    memset(&params, 0, sizeof(params));
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    params.cq_entries = 2 * entries;
    int r = io_uring_queue_init_params(entries, &ring, &params);
    if (r == -EINVAL) {
        /* Kernels before 6.1 know neither flag. */
        memset(&params, 0, sizeof(params));
        params.flags = IORING_SETUP_CQSIZE;
        params.cq_entries = 2 * entries;
        r = io_uring_queue_init_params(entries, &ring, &params);
    }
    if (r < 0) {
        fprintf(stderr, "udp-relay: io_uring_queue_init: %s\n", strerror(-r));
        free(ups);
        return 1;
    }
    for (long i = 0; i < ports; i++) {
        struct uring_port *up = &ups[i];
        up->recv_iov.iov_base = up->buf;
        up->recv_iov.iov_len = sizeof(up->buf);
        up->recv_msg.msg_iov = &up->recv_iov;
        up->recv_msg.msg_iovlen = 1;
        up->recv_msg.msg_name = &up->from;
        up->send_iov.iov_base = up->buf;
        up->send_msg.msg_iov = &up->send_iov;
        up->send_msg.msg_iovlen = 1;
        arm_recv(&ring, &relay_ports[i], up, i, 0);
    }

    int status = 0;
    struct __kernel_timespec idle = { .tv_sec = 0, .tv_nsec = IDLE_POLL_MS * 1000000L };
    while (!stop_requested) {
        struct io_uring_cqe *cqe;
        r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &idle, NULL);
        if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
            fprintf(stderr, "udp-relay: io_uring_submit_and_wait_timeout: %s\n", strerror(-r));
            status = 1;
            break;
        }
        unsigned head;
        unsigned seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            const uint64_t data = io_uring_cqe_get_data64(cqe);
            const long index = (long)(data >> 1);
            struct relay_port *port = &relay_ports[index];
            struct uring_port *up = &ups[index];
            if ((data & 1u) == KIND_SEND) {
                if (cqe->res >= 0) {
                    p_sent++;
                } else {
                    p_send_errors++;
                }
                continue;
            }
            if (cqe->res < 0) {
                /* -ECANCELED: the send it was linked to failed; other errors (an ICMP error queued on the
                 * socket): receive again. */
                if (cqe->res != -ECANCELED && cqe->res != -ECONNREFUSED && cqe->res != -EHOSTUNREACH &&
                    cqe->res != -ENETUNREACH && cqe->res != -EINTR && cqe->res != -EAGAIN) {
                    fprintf(stderr, "udp-relay: recvmsg on port %ld: %s\n", index, strerror(-cqe->res));
                }
                arm_recv(&ring, port, up, index, 0);
                continue;
            }
            p_received++;
            if (up->recv_msg.msg_flags & MSG_TRUNC) {
                p_truncated++;
            }
            if (is_target(&up->from, target)) {
                if (!port->has_source) {
                    p_no_source++;
                    arm_recv(&ring, port, up, index, 0);
                    continue;
                }
                memcpy(&up->dest, &port->source, port->source_len);
                up->send_msg.msg_name = &up->dest;
                up->send_msg.msg_namelen = port->source_len;
                p_returned++;
            } else {
                memcpy(&port->source, &up->from, up->recv_msg.msg_namelen);
                port->source_len = up->recv_msg.msg_namelen;
                port->has_source = 1;
                up->send_msg.msg_name = (void *)target;
                up->send_msg.msg_namelen = target_len;
            }
            up->send_iov.iov_len = (size_t)cqe->res;
            /* The send, then (linked: after it, as it reuses the buffer) the next receive on the socket. */
            struct io_uring_sqe *sqe = next_sqe(&ring);
            io_uring_prep_sendmsg(sqe, port->fd, &up->send_msg, 0);
            sqe->flags |= IOSQE_IO_LINK;
            io_uring_sqe_set_data64(sqe, ((uint64_t)index << 1) | KIND_SEND);
            arm_recv(&ring, port, up, index, 0);
        }
        io_uring_cq_advance(&ring, seen);
    }
    io_uring_queue_exit(&ring);
    free(ups);
    return status;
}
#endif
