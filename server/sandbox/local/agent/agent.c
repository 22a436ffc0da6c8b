/* rehearsal pod agent: serves a local-sandbox pod's declared ports and runs probes for the server over a unix socket.
 *
 * One process per pod network namespace, started as `agent --netns <netns> --control <path> --identity <ns/name>
 * --listen tcp:80 ...` (it enters the namespace itself: no `ip netns exec` process, no mounts), or inside one already. Everything runs in one epoll loop on non-blocking sockets, so a pod costs about a megabyte and
 * hundreds of probes run at once. The router's nftables make denials visible at once: an egress deny answers with ICMP
 * no-route (ENETUNREACH), an ingress deny with ICMP host-unreachable (EHOSTUNREACH), nothing listening is a TCP RST or
 * ICMP port-unreachable (ECONNREFUSED). This agent reports each distinctly and never guesses.
 *
 * The kube-dns pod's agent is also the sandbox's DNS server (`--dns-records <file> [--dns-listen <port>[@<ip>]]`,
 * ../dns/dns-server.c): UDP and TCP port 53 in the same loop, records reloaded on SIGHUP or RELOAD.
 * `agent --supervise ...` is a different program sharing the binary: a sandbox's idle TTL supervisor (supervise.c).
 *
 * Control protocol (newline-delimited, answered in any order; see agent-protocol.ts for the TypeScript side):
 *   PROBE <id> <tcp|udp|sctp> <dst-ip> <port> <timeoutMs> <src-ip|->
 *   PROBE_NAME <id> <tcp|udp|sctp> <hostname> <port> <timeoutMs> <src-ip|->
 *   RESOLVE <id> <hostname> <timeoutMs>
 *   PING <id>            -> PONG <id>
 *   STATS <id>           -> STATS <id> rss_kb=<n> probes=<n>
 *   RELOAD <id>          -> RELOADED <id> names=<n>   (DNS agents: read the records file again)
 *   result               -> RESULT <id> <status> <latencyUs> <resolved-ip|-> <detail>
 *   malformed request    -> ERROR <id|-> <message>
 * SIGTERM or SIGINT: close everything, unlink the control socket, exit 0. SIGHUP: a DNS agent reloads its records
 * (keeping the old ones if the file is broken); any other agent exits like on SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../dns/dns-server.h"
#include "supervise.h"
#include "udp-reply.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

#define MAX_LINE 1024
#define MAX_ID 64
#define MAX_PROBES 1024
#define MAX_CONNS 64
#define MAX_LISTENERS 64
#define MAX_SEARCH 8
#define MAX_HOSTNAME 253
#define MAX_IDENTITY 253
#define MAX_TIMEOUT_MS 600000
#define MAX_DETAIL 200
/* A control client that stops reading is dropped rather than buffered without bound. */
#define MAX_OUT_BYTES (4 * 1024 * 1024)
#define DNS_PORT 53

enum proto { P_TCP, P_UDP, P_SCTP };
enum kind { K_SIGNAL = 1, K_CONTROL, K_CONN, K_LISTENER, K_LISTENER6, K_PROBE, K_DNS };
enum request { R_PROBE, R_PROBE_NAME, R_RESOLVE };
enum phase { PH_DNS, PH_CONNECT, PH_READ, PH_UDP_WAIT };

struct listener {
    enum proto proto;
    uint16_t port;
    char spec[80];
    int has_ip;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int fd;
    int family;
    /* The IPv6 half of a wildcard listener; -1 when the listener names an address or IPv6 is off in this netns. */
    int fd6;
    char status[48];
};

struct conn {
    int fd;
    uint32_t gen;
    char in[MAX_LINE + 2];
    size_t in_len;
    int discarding;
    int read_eof;
    char *out;
    size_t out_len;
    size_t out_cap;
    int wants_out;
    int in_flight;
};

struct probe {
    int in_use;
    uint32_t gen;
    int fd;
    int conn;
    uint32_t conn_gen;
    char id[MAX_ID + 1];
    enum request request;
    enum proto proto;
    enum phase phase;
    uint16_t port;
    struct sockaddr_storage dst;
    socklen_t dst_len;
    int has_src;
    struct sockaddr_storage src;
    socklen_t src_len;
    uint64_t start_us;
    uint64_t deadline_us;
    uint64_t connected_us;
    uint32_t timeout_ms;
    char host[MAX_HOSTNAME + 2];
    int candidate;
    char qname[MAX_HOSTNAME + 2];
    uint16_t dns_id;
    char resolved[INET6_ADDRSTRLEN];
    /* A candidate name was REFUSED (outside the nameserver's zone) rather than NXDOMAIN. */
    int was_refused;
    char rbuf[MAX_DETAIL + 1];
    size_t rlen;
};

static struct {
    const char *control_path;
    int control_created;
    char identity[MAX_IDENTITY + 1];
    struct listener listeners[MAX_LISTENERS];
    int nlisteners;
    int has_nameserver;
    struct sockaddr_storage nameserver;
    socklen_t nameserver_len;
    char nameserver_text[INET6_ADDRSTRLEN];
    char search[MAX_SEARCH][MAX_HOSTNAME + 1];
    int nsearch;
    int ndots;
    const char *netns;
    const char *dns_records;
    const char *dns_listen_ip;
    unsigned dns_port;
    int dns_listen_given;
    int epfd;
    int sigfd;
    int control_fd;
    int spare_fd;
    struct conn conns[MAX_CONNS];
    struct probe probes[MAX_PROBES];
    int in_flight;
    uint64_t probes_total;
    uint64_t rng;
    int stopping;
} g;

/* ---------- small helpers ---------- */

static uint64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("agent: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (g.control_created) unlink(g.control_path);
    exit(2);
}

static const char *errno_name(int e) {
    switch (e) {
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENETUNREACH: return "ENETUNREACH";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ECONNRESET: return "ECONNRESET";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EINVAL: return "EINVAL";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EPIPE: return "EPIPE";
    case ENETDOWN: return "ENETDOWN";
    case EHOSTDOWN: return "EHOSTDOWN";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOENT: return "ENOENT";
    case EPROTO: return "EPROTO";
    default: return "EUNKNOWN";
    }
}

static uint64_t next_random(void) {
    /* xorshift64*, seeded from getrandom; DNS ids only need to be unpredictable enough not to collide. */
    g.rng ^= g.rng >> 12;
    g.rng ^= g.rng << 25;
    g.rng ^= g.rng >> 27;
    return g.rng * 0x2545F4914F6CDD1DULL;
}

static int is_id_char(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '-';
}

static int is_valid_id(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > MAX_ID) return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_id_char((unsigned char)s[i])) return 0;
    return 1;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out) {
    if (*s == '\0' || strlen(s) > 10) return 0;
    unsigned long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v < min || v > max) return 0;
    *out = v;
    return 1;
}

static int parse_ip(const char *text, uint16_t port, struct sockaddr_storage *ss, socklen_t *len) {
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        *len = sizeof *sin;
        return 1;
    }
    if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        *len = sizeof *sin6;
        return 1;
    }
    return 0;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port) {
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* A hostname as the control protocol accepts it: LDH labels (plus '_' for SRV-style names), 1..63 chars each. */
static int is_valid_hostname(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > MAX_HOSTNAME) return 0;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0) return i == n - 1 && n > 1 ? 1 : 0;
            label = 0;
            continue;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
        if (++label > 63) return 0;
    }
    return 1;
}

/* Copies peer-controlled bytes into a single printable line: the detail must never break the line protocol. */
static void sanitize(const char *in, size_t n, char *out, size_t cap) {
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '\n' || c == '\r') break;
        out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[j] = '\0';
}

/* ---------- epoll tags: kind, slot and generation, so a stale event for a reused slot is ignored ---------- */

static uint64_t tag(enum kind k, uint32_t slot, uint32_t gen) {
    return ((uint64_t)k << 56) | ((uint64_t)(slot & 0xffffffu) << 32) | gen;
}

static int ep_add(int fd, uint32_t events, uint64_t t) {
    struct epoll_event ev = {.events = events, .data.u64 = t};
    return epoll_ctl(g.epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int ep_mod(int fd, uint32_t events, uint64_t t) {
    struct epoll_event ev = {.events = events, .data.u64 = t};
    return epoll_ctl(g.epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* ---------- control connections ---------- */

static void conn_close(int slot);

static void conn_flush(int slot) {
    struct conn *c = &g.conns[slot];
    size_t off = 0;
    while (off < c->out_len) {
        ssize_t n = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            conn_close(slot);
            return;
        }
        off += (size_t)n;
    }
    memmove(c->out, c->out + off, c->out_len - off);
    c->out_len -= off;
    int wants = c->out_len > 0;
    if (wants != c->wants_out) {
        uint32_t events = (c->read_eof ? 0u : (uint32_t)EPOLLIN) | (wants ? (uint32_t)EPOLLOUT : 0u);
        ep_mod(c->fd, events, tag(K_CONN, (uint32_t)slot, c->gen));
        c->wants_out = wants;
    }
    if (c->read_eof && c->out_len == 0 && c->in_flight == 0) conn_close(slot);
}

static void conn_send(int slot, const char *line, size_t n) {
    struct conn *c = &g.conns[slot];
    if (c->fd < 0) return;
    if (c->out_len + n > MAX_OUT_BYTES) {
        conn_close(slot);
        return;
    }
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n) cap *= 2;
        char *p = realloc(c->out, cap);
        if (!p) {
            conn_close(slot);
            return;
        }
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, line, n);
    c->out_len += n;
    conn_flush(slot);
}

static void conn_printf(int slot, const char *fmt, ...) {
    char line[MAX_LINE + 512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    size_t len = (size_t)n < sizeof line - 2 ? (size_t)n : sizeof line - 2;
    line[len++] = '\n';
    conn_send(slot, line, len);
}

/* ---------- probes ---------- */

static void probe_release(struct probe *p) {
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
    p->in_use = 0;
    p->gen++;
    g.in_flight--;
    struct conn *c = &g.conns[p->conn];
    if (c->fd >= 0 && c->gen == p->conn_gen) {
        c->in_flight--;
        if (c->read_eof && c->out_len == 0 && c->in_flight == 0) conn_close(p->conn);
    }
}

static void probe_finish(struct probe *p, const char *status, uint64_t latency_us, const char *detail) {
    struct conn *c = &g.conns[p->conn];
    uint32_t gen = p->gen;
    if (c->fd >= 0 && c->gen == p->conn_gen) {
        conn_printf(p->conn, "RESULT %s %s %llu %s %s", p->id, status, (unsigned long long)latency_us,
                    p->resolved[0] ? p->resolved : "-", detail[0] ? detail : "-");
    }
    /* Writing may have failed and closed the connection, which already cancelled this probe. */
    if (p->in_use && p->gen == gen) probe_release(p);
}

static void probe_fail_errno(struct probe *p, int e) {
    uint64_t latency = now_us() - p->start_us;
    int dns = p->phase == PH_DNS;
    const char *status = "error";
    if (e == ENETUNREACH) status = dns ? "dns-net-unreachable" : "net-unreachable";
    else if (e == EHOSTUNREACH) status = dns ? "dns-host-unreachable" : "host-unreachable";
    else if (e == ETIMEDOUT) status = dns ? "dns-timeout" : "timeout";
    else if (e == ECONNREFUSED && !dns) status = "refused";
    char detail[160];
    if (dns && e == ECONNREFUSED)
        snprintf(detail, sizeof detail, "%s: nothing listening on the nameserver %s:53", errno_name(e),
                 g.nameserver_text);
    else if (e == EADDRNOTAVAIL && p->has_src)
        snprintf(detail, sizeof detail, "%s: the source address is not on this pod", errno_name(e));
    else
        snprintf(detail, sizeof detail, "%s", errno_name(e));
    probe_finish(p, status, latency, detail);
}

static void probe_connected(struct probe *p) {
    char detail[MAX_DETAIL + 1];
    sanitize(p->rbuf, p->rlen, detail, sizeof detail);
    uint64_t at = p->connected_us ? p->connected_us : now_us();
    probe_finish(p, "connected", at - p->start_us, detail);
}

static uint32_t probe_slot(struct probe *p) { return (uint32_t)(p - g.probes); }

static void probe_start_connect(struct probe *p) {
    p->phase = PH_CONNECT;
    int family = p->dst.ss_family;
    int type = p->proto == P_UDP ? SOCK_DGRAM : SOCK_STREAM;
    int protocol = p->proto == P_SCTP ? IPPROTO_SCTP : 0;
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) {
        int e = errno;
        if (p->proto == P_SCTP && (e == EPROTONOSUPPORT || e == ESOCKTNOSUPPORT || e == EAFNOSUPPORT)) {
            char detail[120];
            snprintf(detail, sizeof detail, "SCTP not supported by this kernel (%s): modprobe sctp", errno_name(e));
            probe_finish(p, "unsupported", now_us() - p->start_us, detail);
            return;
        }
        probe_fail_errno(p, e);
        return;
    }
    p->fd = fd;
    if (p->proto == P_UDP) {
        /* Without IP_RECVERR a connected UDP socket only hears "hard" ICMP errors (port unreachable); net- and
         * host-unreachable, which is how the router reports policy denials, would be silently dropped. */
        int on = 1;
        if (family == AF_INET)
            setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
        else
            setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
    }
    if (p->has_src) {
        if (p->src.ss_family != family) {
            probe_finish(p, "error", now_us() - p->start_us, "source and destination address families differ");
            return;
        }
        set_port(&p->src, 0);
        if (bind(fd, (struct sockaddr *)&p->src, p->src_len) < 0) {
            probe_fail_errno(p, errno);
            return;
        }
    }
    if (connect(fd, (struct sockaddr *)&p->dst, p->dst_len) < 0) {
        if (errno != EINPROGRESS) {
            probe_fail_errno(p, errno);
            return;
        }
        ep_add(fd, EPOLLOUT, tag(K_PROBE, probe_slot(p), p->gen));
        return;
    }
    if (p->proto == P_UDP) {
        static const char hello[] = "probe\n";
        /* A DNS server ignores a datagram that is not a DNS message, so a probe of port 53 asks a real question
           (the root's NS records): any well-formed answer, even REFUSED, proves the packet got through. */
        static const unsigned char dns_query[] = {0x72, 0x68, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01};
        const void *payload = p->port == 53 ? (const void *)dns_query : (const void *)hello;
        size_t payload_len = p->port == 53 ? sizeof dns_query : sizeof hello - 1;
        if (send(fd, payload, payload_len, MSG_NOSIGNAL) < 0) {
            probe_fail_errno(p, errno);
            return;
        }
        p->phase = PH_UDP_WAIT;
    } else {
        p->connected_us = now_us();
        p->phase = PH_READ;
    }
    ep_add(fd, EPOLLIN, tag(K_PROBE, probe_slot(p), p->gen));
}

/* ---------- DNS (stub resolver: A records over UDP, with the pod's search list) ---------- */

/* The i-th name to try, as resolv.conf's search/ndots define it; 0 when the list is exhausted. */
static int dns_candidate(const struct probe *p, int i, char *out, size_t cap) {
    size_t n = strlen(p->host);
    if (p->host[n - 1] == '.') {
        if (i != 0) return 0;
        snprintf(out, cap, "%.*s", (int)(n - 1), p->host);
        return 1;
    }
    int dots = 0;
    for (size_t k = 0; k < n; k++) dots += p->host[k] == '.';
    /* resolv.conf(5): a name with at least ndots dots is tried as is first, otherwise after the search list. */
    int as_is_first = dots >= g.ndots;
    int total = g.nsearch + 1;
    if (i >= total) return 0;
    int search_index = as_is_first ? i - 1 : i;
    if (search_index < 0 || search_index >= g.nsearch) {
        snprintf(out, cap, "%s", p->host);
        return 1;
    }
    int w = snprintf(out, cap, "%s.%s", p->host, g.search[search_index]);
    if (w < 0 || (size_t)w >= cap || w > MAX_HOSTNAME) out[0] = '\0';
    return 1;
}

static size_t dns_build_query(const char *name, uint16_t id, uint8_t *buf, size_t cap) {
    if (cap < 12 + MAX_HOSTNAME + 2 + 4) return 0;
    buf[0] = (uint8_t)(id >> 8);
    buf[1] = (uint8_t)id;
    buf[2] = 0x01; /* RD */
    buf[3] = 0x00;
    buf[4] = 0;
    buf[5] = 1; /* QDCOUNT */
    memset(buf + 6, 0, 6);
    size_t off = 12;
    const char *label = name;
    while (*label) {
        const char *dot = strchr(label, '.');
        size_t len = dot ? (size_t)(dot - label) : strlen(label);
        if (len == 0 || len > 63) return 0;
        buf[off++] = (uint8_t)len;
        memcpy(buf + off, label, len);
        off += len;
        label += len;
        if (*label == '.') label++;
    }
    buf[off++] = 0;
    buf[off++] = 0;
    buf[off++] = 1; /* QTYPE A */
    buf[off++] = 0;
    buf[off++] = 1; /* QCLASS IN */
    return off;
}

/* Reads a possibly compressed name at *off into out (dotted, lowercase); advances *off past it. 0 on malformed input. */
static int dns_read_name(const uint8_t *m, size_t len, size_t *off, char *out, size_t cap) {
    size_t pos = *off;
    size_t w = 0;
    int jumped = 0;
    int hops = 0;
    for (;;) {
        if (pos >= len) return 0;
        uint8_t b = m[pos];
        if ((b & 0xc0) == 0xc0) {
            if (pos + 1 >= len || ++hops > 32) return 0;
            size_t target = ((size_t)(b & 0x3f) << 8) | m[pos + 1];
            if (!jumped) *off = pos + 2;
            jumped = 1;
            if (target >= len) return 0;
            pos = target;
            continue;
        }
        if (b & 0xc0) return 0;
        pos++;
        if (b == 0) break;
        if (pos + b > len) return 0;
        if (w + b + 2 > cap) return 0;
        if (w) out[w++] = '.';
        for (size_t i = 0; i < b; i++) {
            char c = (char)m[pos + i];
            out[w++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        pos += b;
    }
    out[w] = '\0';
    if (!jumped) *off = pos;
    return 1;
}

static int ieq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

enum dns_outcome { DNS_IGNORE, DNS_FOUND, DNS_NO_ADDRESS, DNS_FAILED };

/* Parses a response to p's current query. DNS_IGNORE for anything that is not an answer to it (stale id, garbage). */
static enum dns_outcome dns_parse_response(struct probe *p, const uint8_t *m, size_t len, int *rcode) {
    if (len < 12) return DNS_IGNORE;
    uint16_t id = (uint16_t)((m[0] << 8) | m[1]);
    if (id != p->dns_id || !(m[2] & 0x80)) return DNS_IGNORE;
    *rcode = m[3] & 0x0f;
    unsigned qd = (unsigned)((m[4] << 8) | m[5]);
    unsigned an = (unsigned)((m[6] << 8) | m[7]);
    if (qd != 1) return DNS_IGNORE;
    size_t off = 12;
    char name[MAX_HOSTNAME + 2];
    if (!dns_read_name(m, len, &off, name, sizeof name) || off + 4 > len) return DNS_IGNORE;
    if (!ieq(name, p->qname)) return DNS_IGNORE;
    off += 4;
    /* NXDOMAIN, and REFUSED from an authoritative-only server for names outside its zone: try the next candidate,
     * as glibc's resolver goes on through the search list. */
    if (*rcode == 3) return DNS_NO_ADDRESS;
    if (*rcode == 5) {
        p->was_refused = 1;
        return DNS_NO_ADDRESS;
    }
    if (*rcode != 0) return DNS_FAILED;
    /* Follow CNAME chains from the question name; accept the first A record whose owner is on the chain. */
    char chain[8][MAX_HOSTNAME + 2];
    int nchain = 1;
    snprintf(chain[0], sizeof chain[0], "%s", p->qname);
    for (unsigned i = 0; i < an; i++) {
        if (!dns_read_name(m, len, &off, name, sizeof name) || off + 10 > len) return DNS_IGNORE;
        uint16_t type = (uint16_t)((m[off] << 8) | m[off + 1]);
        uint16_t klass = (uint16_t)((m[off + 2] << 8) | m[off + 3]);
        uint16_t rdlen = (uint16_t)((m[off + 8] << 8) | m[off + 9]);
        off += 10;
        if (off + rdlen > len) return DNS_IGNORE;
        int on_chain = 0;
        for (int k = 0; k < nchain; k++) on_chain |= ieq(name, chain[k]);
        if (on_chain && klass == 1 && type == 1 && rdlen == 4) {
            inet_ntop(AF_INET, m + off, p->resolved, sizeof p->resolved);
            return DNS_FOUND;
        }
        if (on_chain && klass == 1 && type == 5 && nchain < 8) {
            size_t t = off;
            if (dns_read_name(m, len, &t, chain[nchain], sizeof chain[nchain])) nchain++;
        }
        off += rdlen;
    }
    return DNS_NO_ADDRESS;
}

static void dns_send_next(struct probe *p);

static void dns_on_readable(struct probe *p) {
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = recv(p->fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            probe_fail_errno(p, errno);
            return;
        }
        int rcode = 0;
        enum dns_outcome o = dns_parse_response(p, buf, (size_t)n, &rcode);
        if (o == DNS_IGNORE) continue;
        if (o == DNS_FAILED) {
            char detail[120];
            snprintf(detail, sizeof detail, "the nameserver answered rcode %d for %s", rcode, p->qname);
            probe_finish(p, "error", now_us() - p->start_us, detail);
            return;
        }
        if (o == DNS_NO_ADDRESS) {
            p->candidate++;
            dns_send_next(p);
            return;
        }
        if (p->request == R_RESOLVE) {
            probe_finish(p, "resolved", now_us() - p->start_us, p->qname);
            return;
        }
        struct sockaddr_storage ss;
        socklen_t sl;
        parse_ip(p->resolved, p->port, &ss, &sl);
        p->dst = ss;
        p->dst_len = sl;
        close(p->fd);
        p->fd = -1;
        probe_start_connect(p);
        return;
    }
}

static void dns_send_next(struct probe *p) {
    for (;;) {
        if (!dns_candidate(p, p->candidate, p->qname, sizeof p->qname)) {
            char detail[MAX_HOSTNAME + 128];
            snprintf(detail, sizeof detail, "no A record for %s (search list exhausted%s)", p->host,
                     p->was_refused ? "; names outside the cluster zone were refused" : "");
            probe_finish(p, "dns-nxdomain", now_us() - p->start_us, detail);
            return;
        }
        if (p->qname[0] != '\0') break;
        p->candidate++; /* host + search domain longer than a DNS name: skip it, as resolvers do */
    }
    uint8_t q[512];
    p->dns_id = (uint16_t)next_random();
    size_t qlen = dns_build_query(p->qname, p->dns_id, q, sizeof q);
    if (qlen == 0) {
        probe_finish(p, "error", now_us() - p->start_us, "hostname is not a valid DNS name");
        return;
    }
    if (send(p->fd, q, qlen, MSG_NOSIGNAL) < 0) probe_fail_errno(p, errno);
}

static void probe_start_dns(struct probe *p) {
    struct sockaddr_storage ip;
    socklen_t iplen;
    if (parse_ip(p->host, p->port, &ip, &iplen)) {
        /* An address literal needs no lookup. */
        if (ip.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ip)->sin_addr, p->resolved, sizeof p->resolved);
        else
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ip)->sin6_addr, p->resolved, sizeof p->resolved);
        if (p->request == R_RESOLVE) {
            probe_finish(p, "resolved", now_us() - p->start_us, "address literal");
            return;
        }
        p->dst = ip;
        p->dst_len = iplen;
        probe_start_connect(p);
        return;
    }
    if (!g.has_nameserver) {
        probe_finish(p, "error", 0, "no nameserver configured: start the agent with --nameserver <ip>");
        return;
    }
    p->phase = PH_DNS;
    int family = g.nameserver.ss_family;
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        probe_fail_errno(p, errno);
        return;
    }
    p->fd = fd;
    int on = 1;
    if (family == AF_INET)
        setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
    else
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
    if (p->has_src && p->src.ss_family == family) {
        set_port(&p->src, 0);
        if (bind(fd, (struct sockaddr *)&p->src, p->src_len) < 0) {
            probe_fail_errno(p, errno);
            return;
        }
    }
    if (connect(fd, (struct sockaddr *)&g.nameserver, g.nameserver_len) < 0) {
        probe_fail_errno(p, errno);
        return;
    }
    ep_add(fd, EPOLLIN, tag(K_PROBE, probe_slot(p), p->gen));
    p->candidate = 0;
    dns_send_next(p);
}

/* ---------- probe I/O ---------- */

static void probe_on_event(struct probe *p, uint32_t events) {
    if (p->phase == PH_DNS) {
        dns_on_readable(p);
        return;
    }
    if (p->phase == PH_CONNECT) {
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) err = errno;
        if (err != 0) {
            probe_fail_errno(p, err);
            return;
        }
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        p->connected_us = now_us();
        p->phase = PH_READ;
        ep_mod(p->fd, EPOLLIN, tag(K_PROBE, probe_slot(p), p->gen));
        return;
    }
    if (p->phase == PH_READ) {
        for (;;) {
            ssize_t n = recv(p->fd, p->rbuf + p->rlen, sizeof p->rbuf - 1 - p->rlen, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            /* Connected already; a reset or EOF only ends the identity line. */
            if (n > 0) p->rlen += (size_t)n;
            if (n <= 0 || memchr(p->rbuf, '\n', p->rlen) || p->rlen >= sizeof p->rbuf - 1) {
                probe_connected(p);
                return;
            }
        }
    }
    if (p->phase == PH_UDP_WAIT) {
        char buf[512];
        for (;;) {
            ssize_t n = recv(p->fd, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            if (n < 0) {
                probe_fail_errno(p, errno);
                return;
            }
            if (p->port == 53 && n >= 12 && (unsigned char)buf[0] == 0x72 && (unsigned char)buf[1] == 0x68 &&
                ((unsigned char)buf[2] & 0x80)) {
                static const char dns_reply[] = "dns-server";
                memcpy(p->rbuf, dns_reply, sizeof dns_reply - 1);
                p->rlen = sizeof dns_reply - 1;
            } else {
                size_t take = (size_t)n < sizeof p->rbuf - 1 ? (size_t)n : sizeof p->rbuf - 1;
                memcpy(p->rbuf, buf, take);
                p->rlen = take;
            }
            p->connected_us = now_us();
            probe_connected(p);
            return;
        }
    }
}

static void probe_on_deadline(struct probe *p) {
    uint64_t latency = now_us() - p->start_us;
    char detail[96];
    switch (p->phase) {
    case PH_READ:
        snprintf(detail, sizeof detail, "connected; no identity line within %u ms", p->timeout_ms);
        p->rlen = 0;
        probe_finish(p, "connected", p->connected_us - p->start_us, detail);
        return;
    case PH_DNS:
        snprintf(detail, sizeof detail, "no DNS answer from %s:53 for %s within %u ms", g.nameserver_text, p->qname,
                 p->timeout_ms);
        probe_finish(p, "dns-timeout", latency, detail);
        return;
    case PH_CONNECT:
    case PH_UDP_WAIT:
        snprintf(detail, sizeof detail, "no answer within %u ms", p->timeout_ms);
        probe_finish(p, "timeout", latency, detail);
        return;
    }
}

/* ---------- request parsing ---------- */

static int parse_proto(const char *s, enum proto *out) {
    if (strcmp(s, "tcp") == 0) *out = P_TCP;
    else if (strcmp(s, "udp") == 0) *out = P_UDP;
    else if (strcmp(s, "sctp") == 0) *out = P_SCTP;
    else return 0;
    return 1;
}

static void handle_line(int slot, char *line, size_t len) {
    if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
    if (memchr(line, '\0', len)) {
        conn_printf(slot, "ERROR - request contains a NUL byte");
        return;
    }
    if (len == 0) {
        conn_printf(slot, "ERROR - empty request");
        return;
    }
    char *tok[9];
    int nt = 0;
    char *s = line;
    for (;;) {
        if (nt == 9) {
            conn_printf(slot, "ERROR %s too many fields", nt > 1 && is_valid_id(tok[1]) ? tok[1] : "-");
            return;
        }
        tok[nt++] = s;
        char *sp = strchr(s, ' ');
        if (!sp) break;
        *sp = '\0';
        s = sp + 1;
    }
    for (int i = 0; i < nt; i++) {
        if (tok[i][0] == '\0') {
            conn_printf(slot, "ERROR %s fields must be separated by exactly one space",
                        nt > 1 && is_valid_id(tok[1]) ? tok[1] : "-");
            return;
        }
    }
    const char *cmd = tok[0];
    if (nt < 2) {
        conn_printf(slot, "ERROR - missing request id");
        return;
    }
    const char *id = tok[1];
    if (!is_valid_id(id)) {
        conn_printf(slot, "ERROR - request id must be 1-64 characters of [A-Za-z0-9_.:-]");
        return;
    }
    if (strcmp(cmd, "RELOAD") == 0) {
        if (nt != 2) {
            conn_printf(slot, "ERROR %s RELOAD takes no arguments", id);
            return;
        }
        if (!g.dns_records) {
            conn_printf(slot, "ERROR %s this agent serves no DNS (start it with --dns-records <file>)", id);
            return;
        }
        char err[512];
        long names = dns_server_reload(err, sizeof err);
        if (names < 0) {
            char clean[512];
            sanitize(err, strlen(err), clean, sizeof clean);
            fprintf(stderr, "agent: dns: reload failed, keeping the previous records: %s\n", err);
            conn_printf(slot, "ERROR %s reload failed, keeping the previous records: %s", id, clean);
            return;
        }
        conn_printf(slot, "RELOADED %s names=%ld", id, names);
        return;
    }
    if (strcmp(cmd, "PING") == 0 || strcmp(cmd, "STATS") == 0) {
        if (nt != 2) {
            conn_printf(slot, "ERROR %s %s takes no arguments", id, cmd);
            return;
        }
        if (cmd[0] == 'P') {
            conn_printf(slot, "PONG %s", id);
            return;
        }
        unsigned long rss_kb = 0;
        int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            char buf[128];
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (n > 0) {
                buf[n] = '\0';
                unsigned long size = 0, resident = 0;
                if (sscanf(buf, "%lu %lu", &size, &resident) == 2)
                    rss_kb = resident * (unsigned long)sysconf(_SC_PAGESIZE) / 1024;
            }
        }
        conn_printf(slot, "STATS %s rss_kb=%lu probes=%llu", id, rss_kb, (unsigned long long)g.probes_total);
        return;
    }
    enum request request;
    if (strcmp(cmd, "PROBE") == 0) request = R_PROBE;
    else if (strcmp(cmd, "PROBE_NAME") == 0) request = R_PROBE_NAME;
    else if (strcmp(cmd, "RESOLVE") == 0) request = R_RESOLVE;
    else {
        conn_printf(slot, "ERROR %s unknown command (PROBE, PROBE_NAME, RESOLVE, PING, STATS, RELOAD)", id);
        return;
    }
    int want = request == R_RESOLVE ? 4 : 7;
    if (nt != want) {
        conn_printf(slot, "ERROR %s %s takes %d fields, got %d", id, cmd, want, nt);
        return;
    }
    enum proto proto = P_TCP;
    unsigned long port = 0, timeout_ms = 0;
    const char *target;
    const char *src = "-";
    if (request == R_RESOLVE) {
        target = tok[2];
        if (!parse_uint(tok[3], 1, MAX_TIMEOUT_MS, &timeout_ms)) {
            conn_printf(slot, "ERROR %s timeoutMs must be an integer 1..%d", id, MAX_TIMEOUT_MS);
            return;
        }
    } else {
        if (!parse_proto(tok[2], &proto)) {
            conn_printf(slot, "ERROR %s protocol must be tcp, udp or sctp", id);
            return;
        }
        target = tok[3];
        if (!parse_uint(tok[4], 1, 65535, &port)) {
            conn_printf(slot, "ERROR %s port must be an integer 1..65535", id);
            return;
        }
        if (!parse_uint(tok[5], 1, MAX_TIMEOUT_MS, &timeout_ms)) {
            conn_printf(slot, "ERROR %s timeoutMs must be an integer 1..%d", id, MAX_TIMEOUT_MS);
            return;
        }
        src = tok[6];
    }
    struct sockaddr_storage dst, srcaddr;
    socklen_t dst_len = 0, src_len = 0;
    if (request == R_PROBE) {
        if (!parse_ip(target, (uint16_t)port, &dst, &dst_len)) {
            conn_printf(slot, "ERROR %s destination must be an IPv4 or IPv6 address", id);
            return;
        }
    } else if (!is_valid_hostname(target)) {
        conn_printf(slot, "ERROR %s hostname must be a DNS name of at most 253 characters", id);
        return;
    }
    int has_src = strcmp(src, "-") != 0;
    if (has_src && !parse_ip(src, 0, &srcaddr, &src_len)) {
        conn_printf(slot, "ERROR %s source must be an IPv4 or IPv6 address or -", id);
        return;
    }
    if (g.in_flight >= MAX_PROBES) {
        conn_printf(slot, "RESULT %s error 0 - busy: %d probes in flight", id, MAX_PROBES);
        return;
    }
    struct probe *p = NULL;
    for (int i = 0; i < MAX_PROBES; i++) {
        if (!g.probes[i].in_use) {
            p = &g.probes[i];
            break;
        }
    }
    if (!p) return;
    uint32_t gen = p->gen;
    memset(p, 0, sizeof *p);
    p->gen = gen;
    p->in_use = 1;
    p->fd = -1;
    p->conn = slot;
    p->conn_gen = g.conns[slot].gen;
    snprintf(p->id, sizeof p->id, "%s", id);
    p->request = request;
    p->proto = proto;
    p->port = (uint16_t)port;
    p->timeout_ms = (uint32_t)timeout_ms;
    p->start_us = now_us();
    p->deadline_us = p->start_us + (uint64_t)timeout_ms * 1000u;
    p->has_src = has_src;
    if (has_src) {
        p->src = srcaddr;
        p->src_len = src_len;
    }
    g.in_flight++;
    g.conns[slot].in_flight++;
    g.probes_total++;
    if (request == R_PROBE) {
        p->dst = dst;
        p->dst_len = dst_len;
        probe_start_connect(p);
    } else {
        snprintf(p->host, sizeof p->host, "%s", target);
        probe_start_dns(p);
    }
}

static void conn_on_readable(int slot) {
    struct conn *c = &g.conns[slot];
    uint32_t gen = c->gen;
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        conn_close(slot);
        return;
    }
    if (n == 0) {
        /* Half-close: the client sent everything; answer what is in flight, then close. */
        c->read_eof = 1;
        ep_mod(c->fd, c->wants_out ? (uint32_t)EPOLLOUT : 0u, tag(K_CONN, (uint32_t)slot, c->gen));
        if (c->out_len == 0 && c->in_flight == 0) conn_close(slot);
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (c->fd < 0 || c->gen != gen) return;
        char ch = buf[i];
        if (ch == '\n') {
            if (c->discarding) {
                c->discarding = 0;
            } else {
                c->in[c->in_len] = '\0';
                handle_line(slot, c->in, c->in_len);
            }
            c->in_len = 0;
            continue;
        }
        if (c->discarding) continue;
        if (c->in_len >= MAX_LINE) {
            conn_printf(slot, "ERROR - request line longer than %d bytes", MAX_LINE);
            c->discarding = 1;
            c->in_len = 0;
            continue;
        }
        c->in[c->in_len++] = ch;
    }
}

static void conn_close(int slot) {
    struct conn *c = &g.conns[slot];
    if (c->fd < 0) return;
    close(c->fd);
    c->fd = -1;
    uint32_t old = c->gen;
    c->gen++;
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_cap = 0;
    /* Probes of a closed connection have nobody to answer: cancel them. */
    for (int i = 0; i < MAX_PROBES; i++) {
        struct probe *p = &g.probes[i];
        if (p->in_use && p->conn == slot && p->conn_gen == old) probe_release(p);
    }
}

static void control_on_readable(void) {
    for (;;) {
        int fd = accept4(g.control_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                /* Out of descriptors: free the spare to accept and drop the client, or the level-triggered
                 * listener would spin. */
                close(g.spare_fd);
                fd = accept(g.control_fd, NULL, NULL);
                if (fd >= 0) close(fd);
                g.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            }
            return;
        }
        int slot = -1;
        for (int i = 0; i < MAX_CONNS; i++) {
            if (g.conns[i].fd < 0) {
                slot = i;
                break;
            }
        }
        if (slot < 0) {
            static const char msg[] = "ERROR - too many control connections\n";
            if (send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) { /* closing anyway */ }
            close(fd);
            continue;
        }
        struct conn *c = &g.conns[slot];
        uint32_t gen = c->gen;
        memset(c, 0, sizeof *c);
        c->gen = gen;
        c->fd = fd;
        ep_add(fd, EPOLLIN, tag(K_CONN, (uint32_t)slot, c->gen));
    }
}

/* ---------- serving the pod's ports ---------- */

static void serve_stream(int lfd) {
    for (int k = 0; k < 256; k++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                close(g.spare_fd);
                fd = accept(lfd, NULL, NULL);
                if (fd >= 0) close(fd);
                g.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            }
            return;
        }
        char line[MAX_IDENTITY + 2];
        int n = snprintf(line, sizeof line, "%s\n", g.identity);
        /* A fresh socket's send buffer is empty, so this short write completes; close then sends FIN after it. */
        if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) { /* the peer went away: nothing to do */ }
        close(fd);
    }
}

static void serve_datagram(int fd, int family) {
    char line[MAX_IDENTITY + 2];
    int n = snprintf(line, sizeof line, "%s\n", g.identity);
    for (int k = 0; k < 256; k++) {
        char buf[2048];
        struct sockaddr_storage peer;
        union {
            char raw[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
            struct cmsghdr align;
        } control;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
        struct msghdr msg = {.msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = control.raw, .msg_controllen = sizeof control.raw};
        ssize_t r = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (r < 0) return;
        udp_reply(fd, &msg, family, line, (size_t)n);
    }
}

static int open_listener_socket(struct listener *l, const struct sockaddr_storage *addr, socklen_t len, int *err) {
    int family = addr->ss_family;
    int type = l->proto == P_UDP ? SOCK_DGRAM : SOCK_STREAM;
    int protocol = l->proto == P_SCTP ? IPPROTO_SCTP : 0;
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (l->proto == P_UDP && !l->has_ip) {
        if (family == AF_INET)
            setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
        else
            setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    }
    if (bind(fd, (const struct sockaddr *)addr, len) < 0 || (type == SOCK_STREAM && listen(fd, 1024) < 0)) {
        *err = errno;
        close(fd);
        return -1;
    }
    return fd;
}

static void open_listener(int index) {
    struct listener *l = &g.listeners[index];
    int err = 0;
    l->family = l->has_ip ? l->addr.ss_family : AF_INET;
    if (l->has_ip) {
        l->fd = open_listener_socket(l, &l->addr, l->addr_len, &err);
    } else {
        struct sockaddr_in any4 = {.sin_family = AF_INET, .sin_port = htons(l->port), .sin_addr.s_addr = INADDR_ANY};
        struct sockaddr_storage a4;
        memset(&a4, 0, sizeof a4);
        memcpy(&a4, &any4, sizeof any4);
        l->fd = open_listener_socket(l, &a4, sizeof any4, &err);
        if (l->fd >= 0) {
            struct sockaddr_in6 any6 = {.sin6_family = AF_INET6, .sin6_port = htons(l->port), .sin6_addr = in6addr_any};
            struct sockaddr_storage a6;
            memset(&a6, 0, sizeof a6);
            memcpy(&a6, &any6, sizeof any6);
            int err6 = 0;
            /* IPv6 is best effort: a netns with IPv6 disabled still serves IPv4. */
            l->fd6 = open_listener_socket(l, &a6, sizeof any6, &err6);
        }
    }
    if (l->fd < 0) {
        if (l->proto == P_SCTP && (err == EPROTONOSUPPORT || err == ESOCKTNOSUPPORT || err == EAFNOSUPPORT))
            snprintf(l->status, sizeof l->status, "unsupported");
        else
            snprintf(l->status, sizeof l->status, "error:%s", errno_name(err));
        return;
    }
    snprintf(l->status, sizeof l->status, "ok");
    ep_add(l->fd, EPOLLIN, tag(K_LISTENER, (uint32_t)index, 0));
    if (l->fd6 >= 0) ep_add(l->fd6, EPOLLIN, tag(K_LISTENER6, (uint32_t)index, 0));
}

/* ---------- startup ---------- */

static void usage(const char *problem) {
    die("%s\nusage: agent [--netns <name>] --control <unix socket path> --identity <ns/name> [--listen <tcp|udp|sctp>:<port>[@<ip>]]... "
        "[--nameserver <ip>] [--search <domain>]... [--ndots <n>] [--dns-records <file> [--dns-listen <port>[@<ip>]]]\n"
        "   or: agent --supervise ... (see supervise.c)",
        problem);
}

static void parse_listen(const char *spec) {
    if (g.nlisteners >= MAX_LISTENERS) usage("too many --listen (at most 64)");
    struct listener *l = &g.listeners[g.nlisteners];
    memset(l, 0, sizeof *l);
    l->fd = l->fd6 = -1;
    if (strlen(spec) >= sizeof l->spec) usage("--listen value too long");
    snprintf(l->spec, sizeof l->spec, "%s", spec);
    char copy[sizeof l->spec];
    snprintf(copy, sizeof copy, "%s", spec);
    char *colon = strchr(copy, ':');
    if (!colon) usage("--listen must look like tcp:80 or udp:53@10.0.0.1");
    *colon = '\0';
    if (!parse_proto(copy, &l->proto)) usage("--listen protocol must be tcp, udp or sctp");
    char *port = colon + 1;
    char *at = strchr(port, '@');
    if (at) *at = '\0';
    unsigned long v;
    if (!parse_uint(port, 1, 65535, &v)) usage("--listen port must be 1..65535");
    l->port = (uint16_t)v;
    if (at) {
        if (!parse_ip(at + 1, l->port, &l->addr, &l->addr_len)) usage("--listen address must be an IPv4 or IPv6 address");
        l->has_ip = 1;
    }
    g.nlisteners++;
}

static void parse_args(int argc, char **argv) {
    g.ndots = 5; /* Kubernetes writes "options ndots:5" into every pod's resolv.conf */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage("every option takes a value");
        const char *v = argv[++i];
        if (strcmp(a, "--control") == 0) {
            if (strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path))
                usage("--control path longer than a unix socket allows (107 bytes)");
            g.control_path = v;
        } else if (strcmp(a, "--identity") == 0) {
            size_t n = strlen(v);
            if (n < 1 || n > MAX_IDENTITY) usage("--identity must be 1..253 characters");
            for (size_t k = 0; k < n; k++)
                if ((unsigned char)v[k] <= 0x20 || (unsigned char)v[k] >= 0x7f) usage("--identity must be printable, no spaces");
            snprintf(g.identity, sizeof g.identity, "%s", v);
        } else if (strcmp(a, "--listen") == 0) {
            parse_listen(v);
        } else if (strcmp(a, "--nameserver") == 0) {
            if (!parse_ip(v, DNS_PORT, &g.nameserver, &g.nameserver_len)) usage("--nameserver must be an IP address");
            snprintf(g.nameserver_text, sizeof g.nameserver_text, "%s", v);
            g.has_nameserver = 1;
        } else if (strcmp(a, "--search") == 0) {
            if (g.nsearch >= MAX_SEARCH) usage("too many --search domains (at most 8)");
            if (!is_valid_hostname(v) || v[strlen(v) - 1] == '.') usage("--search must be a DNS name without trailing dot");
            snprintf(g.search[g.nsearch++], sizeof g.search[0], "%s", v);
        } else if (strcmp(a, "--ndots") == 0) {
            unsigned long n;
            if (!parse_uint(v, 0, 15, &n)) usage("--ndots must be 0..15");
            g.ndots = (int)n;
        } else if (strcmp(a, "--netns") == 0) {
            size_t n = strlen(v);
            if (n < 1 || n > 64 || strchr(v, '/') || strcmp(v, ".") == 0 || strcmp(v, "..") == 0) usage("--netns must be a namespace name from /run/netns");
            g.netns = v;
        } else if (strcmp(a, "--dns-records") == 0) {
            if (v[0] == '\0') usage("--dns-records needs a file");
            g.dns_records = v;
        } else if (strcmp(a, "--dns-listen") == 0) {
            static char copy[80];
            if (strlen(v) >= sizeof copy) usage("--dns-listen value too long");
            snprintf(copy, sizeof copy, "%s", v);
            char *at = strchr(copy, '@');
            if (at) *at = '\0';
            unsigned long port;
            if (!parse_uint(copy, 0, 65535, &port)) usage("--dns-listen must look like 53 or 0@127.0.0.1 (port 0: any free port)");
            struct sockaddr_storage probe_addr;
            socklen_t probe_len;
            if (at && !parse_ip(at + 1, 0, &probe_addr, &probe_len)) usage("--dns-listen address must be an IPv4 or IPv6 address");
            g.dns_port = (unsigned)port;
            g.dns_listen_ip = at ? at + 1 : NULL;
            g.dns_listen_given = 1;
        } else {
            usage("unknown option");
        }
    }
    if (!g.control_path) usage("--control is required");
    if (g.dns_listen_given && !g.dns_records) usage("--dns-listen needs --dns-records");
    if (g.dns_records && !g.dns_listen_given) g.dns_port = DNS_PORT;
    if (!g.identity[0]) usage("--identity is required");
}

static void open_control(void) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", g.control_path);
    struct stat st;
    if (lstat(g.control_path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) die("--control %s exists and is not a socket; refusing to replace it", g.control_path);
        /* A socket nobody accepts on is left over from a killed agent; a live one belongs to another agent. */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof addr) == 0) {
            close(probe);
            die("--control %s is in use by another running agent", g.control_path);
        }
        if (probe >= 0) close(probe);
        unlink(g.control_path);
    }
    g.control_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (g.control_fd < 0) die("cannot create the control socket: %s", strerror(errno));
    mode_t old = umask(0077);
    int rc = bind(g.control_fd, (struct sockaddr *)&addr, sizeof addr);
    int e = errno;
    umask(old);
    if (rc < 0) die("cannot bind the control socket %s: %s", g.control_path, strerror(e));
    g.control_created = 1;
    if (chmod(g.control_path, 0600) < 0) die("cannot chmod the control socket %s: %s", g.control_path, strerror(errno));
    if (listen(g.control_fd, 64) < 0) die("cannot listen on the control socket: %s", strerror(errno));
    ep_add(g.control_fd, EPOLLIN, tag(K_CONTROL, 0, 0));
}

static void announce_ready(void) {
    char line[MAX_LISTENERS * 140 + 160];
    size_t off = (size_t)snprintf(line, sizeof line, "READY");
    for (int i = 0; i < g.nlisteners; i++) {
        int w = snprintf(line + off, sizeof line - off, " %s=%s", g.listeners[i].spec, g.listeners[i].status);
        if (w > 0) off += (size_t)w;
    }
    if (g.dns_records) {
        char dns[140];
        dns_server_describe(dns, sizeof dns);
        int w = snprintf(line + off, sizeof line - off, " %s", dns);
        if (w > 0) off += (size_t)w;
    }
    line[off++] = '\n';
    size_t done = 0;
    while (done < off) {
        ssize_t n = write(STDOUT_FILENO, line + done, off - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
}

static uint64_t dns_tag(uint32_t slot, uint32_t gen) { return tag(K_DNS, slot, gen); }

/* SIGHUP on a DNS agent: read the records again; a broken file leaves the old records in service. */
static void reload_dns(void) {
    char err[512];
    long names = dns_server_reload(err, sizeof err);
    if (names < 0)
        fprintf(stderr, "agent: dns: reload failed, keeping the previous records: %s\n", err);
    else
        fprintf(stderr, "agent: dns: reloaded %ld names from %s\n", names, g.dns_records);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--supervise") == 0) return supervise_main(argc, argv);
    for (int i = 0; i < MAX_CONNS; i++) g.conns[i].fd = -1;
    for (int i = 0; i < MAX_PROBES; i++) g.probes[i].fd = -1;
    parse_args(argc, argv);
    if (g.netns) {
        /* Enter the pod's network namespace before the first socket: every listener and probe lives in it. The
         * control socket is a path, which the namespace does not change. */
        char path[96];
        snprintf(path, sizeof path, "/run/netns/%s", g.netns);
        int nsfd = open(path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0) die("--netns %s: cannot open %s: %s", g.netns, path, strerror(errno));
        if (setns(nsfd, CLONE_NEWNET) < 0) die("--netns %s: setns: %s (needs root or CAP_SYS_ADMIN)", g.netns, strerror(errno));
        close(nsfd);
    }

    if (getrandom(&g.rng, sizeof g.rng, GRND_NONBLOCK) != (ssize_t)sizeof g.rng) g.rng = now_us();
    g.rng |= 1;

    /* Up to 1024 probes, the listeners and the control clients each hold a descriptor. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
        rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    signal(SIGPIPE, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    g.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (g.sigfd < 0) die("signalfd: %s", strerror(errno));
    g.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (g.epfd < 0) die("epoll_create1: %s", strerror(errno));
    ep_add(g.sigfd, EPOLLIN, tag(K_SIGNAL, 0, 0));
    g.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    for (int i = 0; i < g.nlisteners; i++) open_listener(i);
    if (g.dns_records) {
        char err[512];
        if (!dns_server_load(g.dns_records, err, sizeof err)) die("dns: %s", err);
        /* A bind failure is reported in the READY line (dns:53=error:...), like any listener's. */
        dns_server_listen(g.dns_listen_ip, g.dns_port, g.epfd, dns_tag);
    }
    open_control();
    announce_ready();

    struct epoll_event events[128];
    while (!g.stopping) {
        uint64_t now = now_us();
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < MAX_PROBES; i++) {
            struct probe *p = &g.probes[i];
            if (!p->in_use) continue;
            if (p->deadline_us <= now)
                probe_on_deadline(p);
            else if (p->deadline_us < next)
                next = p->deadline_us;
        }
        if (g.dns_records) {
            uint64_t due = dns_server_next_deadline_us();
            if (due <= now) {
                dns_server_on_deadline(now);
                due = dns_server_next_deadline_us();
            }
            if (due < next) next = due;
        }
        int timeout_ms = -1;
        if (next != UINT64_MAX) timeout_ms = (int)((next - now + 999) / 1000);
        int n = epoll_wait(g.epfd, events, 128, timeout_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            uint64_t t = events[i].data.u64;
            enum kind k = (enum kind)(t >> 56);
            uint32_t slot = (uint32_t)(t >> 32) & 0xffffffu;
            uint32_t gen = (uint32_t)t;
            uint32_t ev = events[i].events;
            switch (k) {
            case K_SIGNAL: {
                struct signalfd_siginfo si;
                while (read(g.sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
                    if (si.ssi_signo == SIGHUP && g.dns_records)
                        reload_dns();
                    else
                        g.stopping = 1;
                }
                break;
            }
            case K_DNS:
                dns_server_on_event(slot, gen, ev, now_us());
                break;
            case K_CONTROL:
                control_on_readable();
                break;
            case K_CONN: {
                struct conn *c = &g.conns[slot];
                if (c->fd < 0 || c->gen != gen) break;
                /* HUP: the client closed both directions and can read no answer; its probes are cancelled. (A
                 * client that only shut down writing sees no HUP and still gets every answer.) Left registered,
                 * a hung-up socket would wake epoll forever. */
                if (ev & (EPOLLHUP | EPOLLERR)) {
                    conn_close((int)slot);
                    break;
                }
                if (ev & EPOLLOUT) conn_flush((int)slot);
                if (c->fd >= 0 && c->gen == gen && (ev & EPOLLIN)) conn_on_readable((int)slot);
                break;
            }
            case K_LISTENER:
            case K_LISTENER6: {
                struct listener *l = &g.listeners[slot];
                int fd = k == K_LISTENER ? l->fd : l->fd6;
                if (l->proto == P_UDP) {
                    serve_datagram(fd, k == K_LISTENER ? l->family : AF_INET6);
                } else {
                    serve_stream(fd);
                }
                break;
            }
            case K_PROBE: {
                struct probe *p = &g.probes[slot];
                if (!p->in_use || p->gen != gen) break;
                probe_on_event(p, ev);
                break;
            }
            }
        }
    }

    for (int i = 0; i < MAX_CONNS; i++) conn_close(i);
    if (g.dns_records) dns_server_stop();
    for (int i = 0; i < g.nlisteners; i++) {
        if (g.listeners[i].fd >= 0) close(g.listeners[i].fd);
        if (g.listeners[i].fd6 >= 0) close(g.listeners[i].fd6);
    }
    close(g.control_fd);
    unlink(g.control_path);
    return 0;
}
