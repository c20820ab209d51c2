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
 *
 * One thread, one socket bound to LISTEN. A blocking recvmmsg(MSG_WAITFORONE) takes up to BATCH datagrams into
 * preallocated buffers (it blocks for the first one, then takes what is already queued); one sendmmsg forwards
 * the batch, each datagram with its exact length, to the single TARGET. A partial sendmmsg is resumed at the
 * first unsent datagram; a datagram the kernel refuses is counted in send_errors and skipped. No parsing, no
 * routing table: what any relay must do at least.
 *
 * On SIGTERM or SIGINT it prints its counters on stdout and exits 0:
 *   udp-relay: received=N sent=N send_errors=N truncated=N
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

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s LISTEN_IP:PORT TARGET_IP:PORT\n", argv[0]);
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
    sa.sa_flags = 0; /* no SA_RESTART: a blocked recvmmsg returns EINTR */
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
        perror("udp-relay: sigaction");
        return 1;
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
