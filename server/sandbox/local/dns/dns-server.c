/* The sandbox's authoritative DNS server, compiled into the pod agent: the kube-dns pod's agent answers UDP and TCP
 * port 53 from the records file dns-records.ts writes. It never recurses and treats every packet as hostile: every
 * read is bounds-checked, compression pointers must point backwards, section counts must fit the message, and a
 * query it cannot parse gets FORMERR. Names outside the cluster zone that the file does not hold are REFUSED: this
 * server is nobody's resolver and never an amplifier.
 *
 * Records file (one directive per line, fields separated by spaces, `#` starts a comment line):
 *   FORMAT rehearsal-dns 1                          first directive
 *   ZONE cluster.local                              the cluster zone (names under it are ours: NXDOMAIN, not REFUSED)
 *   TTL 5                                           seconds, 0..86400 (default 5)
 *   NAME <fqdn>                                     a name with no records (NOERROR, no data)
 *   A <fqdn> <ipv4> | AAAA <fqdn> <ipv6>
 *   SRV <fqdn> <priority> <weight> <port> <target-fqdn>
 * Names are 1..253 characters of LDH labels (plus `_`), 1..63 each, matched case-insensitively.
 *
 * RFC 1035 (messages, TCP framing), RFC 3596 (AAAA), RFC 2782 (SRV), RFC 6891 (EDNS), RFC 8020 (a name with
 * children exists), RFC 2181 section 9 (truncation). */
#include "dns-server.h"
#include "../agent/udp-reply.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NAME 253
#define MAX_WIRE_NAME 255
#define MAX_FILE_BYTES (64u * 1024u * 1024u)
#define MAX_LINE 1024
#define MAX_TTL 86400u
#define NO_INDEX UINT32_MAX

#define TYPE_A 1
#define TYPE_NS 2
#define TYPE_CNAME 5
#define TYPE_PTR 12
#define TYPE_MX 15
#define TYPE_AAAA 28
#define TYPE_SRV 33
#define TYPE_OPT 41
#define TYPE_IXFR 251
#define TYPE_AXFR 252
#define TYPE_ANY 255
#define CLASS_IN 1

#define RCODE_NOERROR 0
#define RCODE_FORMERR 1
#define RCODE_NXDOMAIN 3
#define RCODE_NOTIMP 4
#define RCODE_REFUSED 5

/* RFC 1035 4.2.1: "Messages carried by UDP are restricted to 512 bytes". */
#define CLASSIC_UDP_BYTES 512
/* DNS Flag Day 2020's EDNS buffer size: no IP fragmentation. */
#define EDNS_UDP_BYTES 1232
#define OPT_RECORD_BYTES 11

#define SLOT_UDP4 0
#define SLOT_UDP6 1
#define SLOT_TCP4 2
#define SLOT_TCP6 3
#define SLOT_CONN0 4
#define MAX_CONNS 64
#define TCP_IDLE_US (10u * 1000000u)
/* A client that stops reading its answers is dropped rather than buffered without bound. */
#define MAX_TCP_OUT (256u * 1024u)
#define TCP_FRAME_MAX (2u + 65535u)
/* The most SRV answers whose targets get addresses in the additional section. */
#define MAX_SRV_TARGETS 4096

/* ---------- the records ---------- */

struct rr {
    uint32_t name;
    uint32_t seq;
    uint16_t type;
    uint16_t rdlen;
    /* Offset of the record data (A: 4 bytes, AAAA: 16, SRV: priority, weight, port and the target in wire form). */
    uint32_t rdata;
    /* SRV: the target's text (offset into the text arena) and, once resolved, its name index. */
    uint32_t target_text;
    uint32_t target;
};

struct name {
    uint32_t text;
    uint32_t len;
    uint32_t first;
    uint32_t count;
};

struct zone {
    char apex[MAX_NAME + 1];
    size_t apex_len;
    uint32_t ttl;
    struct name *names;
    size_t nnames, names_cap;
    uint32_t *slots;
    size_t nslots;
    struct rr *rrs;
    size_t nrrs, rrs_cap;
    char *text;
    size_t text_len, text_cap;
    uint8_t *rdata;
    size_t rdata_len, rdata_cap;
};

static void zone_free(struct zone *z) {
    if (!z) return;
    free(z->names);
    free(z->slots);
    free(z->rrs);
    free(z->text);
    free(z->rdata);
    free(z);
}

/* Makes room for `need` elements; 0 on overflow or out of memory. */
static int grow(void **array, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 1;
    size_t next = *cap ? *cap : 64;
    while (next < need) {
        if (next > SIZE_MAX / 2) return 0;
        next *= 2;
    }
    if (next > SIZE_MAX / elem) return 0;
    void *p = realloc(*array, next * elem);
    if (!p) return 0;
    *array = p;
    *cap = next;
    return 1;
}

static uint32_t hash_text(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t zone_find(const struct zone *z, const char *s, size_t n) {
    if (z->nslots == 0) return NO_INDEX;
    size_t mask = z->nslots - 1;
    for (size_t i = hash_text(s, n) & mask;; i = (i + 1) & mask) {
        uint32_t index = z->slots[i];
        if (index == NO_INDEX) return NO_INDEX;
        const struct name *e = &z->names[index];
        if (e->len == n && memcmp(z->text + e->text, s, n) == 0) return index;
    }
}

static int zone_rehash(struct zone *z, size_t nslots) {
    uint32_t *slots = malloc(nslots * sizeof *slots);
    if (!slots) return 0;
    for (size_t i = 0; i < nslots; i++) slots[i] = NO_INDEX;
    for (size_t k = 0; k < z->nnames; k++) {
        const struct name *e = &z->names[k];
        size_t i = hash_text(z->text + e->text, e->len) & (nslots - 1);
        while (slots[i] != NO_INDEX) i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)k;
    }
    free(z->slots);
    z->slots = slots;
    z->nslots = nslots;
    return 1;
}

/* Appends text (and a NUL) to the arena; its offset, or NO_INDEX when out of memory. */
static uint32_t zone_add_text(struct zone *z, const char *s, size_t n) {
    if (z->text_len + n + 1 > UINT32_MAX) return NO_INDEX;
    if (!grow((void **)&z->text, &z->text_cap, z->text_len + n + 1, 1)) return NO_INDEX;
    uint32_t at = (uint32_t)z->text_len;
    memcpy(z->text + at, s, n);
    z->text[at + n] = '\0';
    z->text_len += n + 1;
    return at;
}

/* The index of a name, adding it when new; NO_INDEX when out of memory. */
static uint32_t zone_intern(struct zone *z, const char *s, size_t n) {
    uint32_t found = zone_find(z, s, n);
    if (found != NO_INDEX) return found;
    if (z->nnames >= UINT32_MAX - 1) return NO_INDEX;
    if ((z->nnames + 1) * 2 > z->nslots && !zone_rehash(z, z->nslots ? z->nslots * 2 : 256)) return NO_INDEX;
    if (!grow((void **)&z->names, &z->names_cap, z->nnames + 1, sizeof *z->names)) return NO_INDEX;
    uint32_t text = zone_add_text(z, s, n);
    if (text == NO_INDEX) return NO_INDEX;
    z->names[z->nnames] = (struct name){.text = text, .len = (uint32_t)n, .first = 0, .count = 0};
    size_t mask = z->nslots - 1;
    size_t i = hash_text(s, n) & mask;
    while (z->slots[i] != NO_INDEX) i = (i + 1) & mask;
    z->slots[i] = (uint32_t)z->nnames;
    return (uint32_t)z->nnames++;
}

static int is_label_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Lowercases a name in place (dropping one trailing dot) and checks it: 1..253 characters, labels 1..63 of
 * [a-z0-9_-]. Returns its length, or 0 when it is not a name this server can hold. */
static size_t normalize_name(char *s) {
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '.') s[--n] = '\0';
    if (n < 1 || n > MAX_NAME) return 0;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 'A' && s[i] <= 'Z') s[i] = (char)(s[i] + 32);
        if (s[i] == '.') {
            if (label == 0) return 0;
            label = 0;
            continue;
        }
        if (!is_label_char((unsigned char)s[i]) || ++label > 63) return 0;
    }
    return label == 0 ? 0 : n;
}

/* A validated name in wire form (labels, then the zero byte); its length. */
static size_t name_to_wire(const char *s, size_t n, uint8_t *out) {
    size_t w = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            out[w++] = (uint8_t)(i - start);
            memcpy(out + w, s + start, i - start);
            w += i - start;
            start = i + 1;
        }
    }
    out[w++] = 0;
    return w;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out) {
    if (*s == '\0' || strlen(s) > 10) return 0;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > max) return 0;
    *out = (uint32_t)v;
    return 1;
}

static int rr_compare(const void *a, const void *b) {
    const struct rr *x = a;
    const struct rr *y = b;
    if (x->name != y->name) return x->name < y->name ? -1 : 1;
    if (x->type != y->type) return x->type < y->type ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int is_within(const char *name, size_t n, const char *apex, size_t apex_len) {
    if (n == apex_len) return memcmp(name, apex, n) == 0;
    return n > apex_len && name[n - apex_len - 1] == '.' && memcmp(name + n - apex_len, apex, apex_len) == 0;
}

#define FAIL(...)                                          \
    do {                                                   \
        snprintf(err, errcap, __VA_ARGS__);                \
        zone_free(z);                                      \
        return NULL;                                       \
    } while (0)

static int add_record(struct zone *z, uint32_t name, uint16_t type, const uint8_t *rdata, size_t rdlen, uint32_t target_text) {
    if (!grow((void **)&z->rrs, &z->rrs_cap, z->nrrs + 1, sizeof *z->rrs)) return 0;
    if (z->rdata_len + rdlen > UINT32_MAX || !grow((void **)&z->rdata, &z->rdata_cap, z->rdata_len + rdlen, 1)) return 0;
    memcpy(z->rdata + z->rdata_len, rdata, rdlen);
    z->rrs[z->nrrs] = (struct rr){.name = name, .seq = (uint32_t)z->nrrs, .type = type, .rdlen = (uint16_t)rdlen, .rdata = (uint32_t)z->rdata_len,
                                  .target_text = target_text, .target = NO_INDEX};
    z->rdata_len += rdlen;
    z->nrrs++;
    return 1;
}

/* Parses a records file's text (NUL-terminated). Every problem names its line. */
static struct zone *zone_parse(char *text, char *err, size_t errcap) {
    struct zone *z = calloc(1, sizeof *z);
    if (!z) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    z->ttl = 5;
    int has_format = 0;
    unsigned line_no = 0;
    char *line = text;
    while (*line) {
        line_no++;
        char *end = strchr(line, '\n');
        char *next = end ? end + 1 : line + strlen(line);
        size_t n = end ? (size_t)(end - line) : strlen(line);
        size_t lead = strspn(line, " \t");
        if (lead < n && line[lead] == '#') {
            line = next;
            continue;
        }
        if (n > MAX_LINE) FAIL("line %u is longer than %d bytes", line_no, MAX_LINE);
        char buf[MAX_LINE + 1];
        memcpy(buf, line, n);
        buf[n] = '\0';
        if (n > 0 && buf[n - 1] == '\r') buf[--n] = '\0';
        line = next;
        char *tok[8];
        int nt = 0;
        for (char *p = strtok(buf, " \t"); p; p = strtok(NULL, " \t")) {
            if (nt == 8) FAIL("line %u has too many fields", line_no);
            tok[nt++] = p;
        }
        if (nt == 0 || tok[0][0] == '#') continue;
        const char *kind = tok[0];
        if (!has_format) {
            if (strcmp(kind, "FORMAT") != 0 || nt != 3 || strcmp(tok[1], "rehearsal-dns") != 0 || strcmp(tok[2], "1") != 0)
                FAIL("line %u: the file must start with 'FORMAT rehearsal-dns 1'", line_no);
            has_format = 1;
            continue;
        }
        if (strcmp(kind, "ZONE") == 0) {
            if (nt != 2) FAIL("line %u: ZONE takes one name", line_no);
            if (z->apex_len) FAIL("line %u: a second ZONE", line_no);
            size_t len = normalize_name(tok[1]);
            if (!len) FAIL("line %u: ZONE '%.64s' is not a DNS name", line_no, tok[1]);
            memcpy(z->apex, tok[1], len + 1);
            z->apex_len = len;
            continue;
        }
        if (strcmp(kind, "TTL") == 0) {
            if (nt != 2 || !parse_u32(tok[1], MAX_TTL, &z->ttl)) FAIL("line %u: TTL takes seconds 0..%u", line_no, MAX_TTL);
            continue;
        }
        if (!z->apex_len) FAIL("line %u: records before the ZONE line", line_no);
        int want = strcmp(kind, "NAME") == 0 ? 2 : strcmp(kind, "A") == 0 || strcmp(kind, "AAAA") == 0 ? 3 : strcmp(kind, "SRV") == 0 ? 6 : 0;
        if (want == 0) FAIL("line %u: unknown directive '%.16s' (NAME, A, AAAA, SRV)", line_no, kind);
        if (nt != want) FAIL("line %u: %s takes %d fields, got %d", line_no, kind, want - 1, nt - 1);
        size_t len = normalize_name(tok[1]);
        if (!len) FAIL("line %u: '%.64s' is not a DNS name", line_no, tok[1]);
        uint32_t name = zone_intern(z, tok[1], len);
        if (name == NO_INDEX) FAIL("out of memory at line %u", line_no);
        if (kind[0] == 'N') continue;
        uint8_t rdata[6 + MAX_WIRE_NAME];
        if (kind[0] == 'A') {
            int is_v6 = kind[1] == 'A';
            if (inet_pton(is_v6 ? AF_INET6 : AF_INET, tok[2], rdata) != 1) FAIL("line %u: '%.64s' is not an IPv%d address", line_no, tok[2], is_v6 ? 6 : 4);
            if (!add_record(z, name, is_v6 ? TYPE_AAAA : TYPE_A, rdata, is_v6 ? 16 : 4, NO_INDEX)) FAIL("out of memory at line %u", line_no);
            continue;
        }
        uint32_t priority, weight, port;
        if (!parse_u32(tok[2], 65535, &priority) || !parse_u32(tok[3], 65535, &weight) || !parse_u32(tok[4], 65535, &port))
            FAIL("line %u: SRV priority, weight and port must be 0..65535", line_no);
        size_t target_len = normalize_name(tok[5]);
        if (!target_len) FAIL("line %u: SRV target '%.64s' is not a DNS name", line_no, tok[5]);
        rdata[0] = (uint8_t)(priority >> 8);
        rdata[1] = (uint8_t)priority;
        rdata[2] = (uint8_t)(weight >> 8);
        rdata[3] = (uint8_t)weight;
        rdata[4] = (uint8_t)(port >> 8);
        rdata[5] = (uint8_t)port;
        size_t wire = name_to_wire(tok[5], target_len, rdata + 6);
        uint32_t target_text = zone_add_text(z, tok[5], target_len);
        if (target_text == NO_INDEX || !add_record(z, name, TYPE_SRV, rdata, 6 + wire, target_text)) FAIL("out of memory at line %u", line_no);
    }
    if (!has_format) FAIL("the file is empty: it must start with 'FORMAT rehearsal-dns 1'");
    if (!z->apex_len) FAIL("no ZONE line");
    /* RFC 8020: inside the zone every ancestor of a name exists down to the apex. Outside it (external hostnames)
     * this server is not the authority for the parents and leaves them alone. */
    size_t declared = z->nnames;
    for (size_t k = 0; k < declared; k++) {
        char copy[MAX_NAME + 1];
        size_t n = z->names[k].len;
        memcpy(copy, z->text + z->names[k].text, n + 1);
        if (!is_within(copy, n, z->apex, z->apex_len)) continue;
        size_t at = 0;
        while (n - at > z->apex_len) {
            const char *dot = memchr(copy + at, '.', n - at);
            if (!dot) break;
            at = (size_t)(dot - copy) + 1;
            if (zone_intern(z, copy + at, n - at) == NO_INDEX) FAIL("out of memory");
        }
    }
    if (zone_intern(z, z->apex, z->apex_len) == NO_INDEX) FAIL("out of memory");
    qsort(z->rrs, z->nrrs, sizeof *z->rrs, rr_compare);
    for (size_t i = 0; i < z->nrrs; i++) {
        struct rr *r = &z->rrs[i];
        struct name *e = &z->names[r->name];
        if (e->count == 0) e->first = (uint32_t)i;
        e->count++;
        if (r->type == TYPE_SRV) r->target = zone_find(z, z->text + r->target_text, strlen(z->text + r->target_text));
    }
    return z;
}

#undef FAIL

/* ---------- answering ---------- */

struct query {
    uint16_t id;
    uint8_t opcode;
    uint8_t rd;
    uint16_t qdcount;
    /* The first question, its name uncompressed as the client wrote it (case kept: answers echo it). */
    uint8_t qwire[MAX_WIRE_NAME];
    size_t qwire_len;
    uint16_t qtype;
    uint16_t qclass;
    int has_opt;
    uint16_t opt_size;
};

static uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Reads a possibly compressed name at *off within m[0..len) (RFC 1035 4.1.4). Pointers must point strictly
 * backwards, so a chain always ends; the whole name is at most 255 bytes. Writes the uncompressed wire form into
 * wire (when not NULL). Returns 0 on a malformed name. */
static int read_name(const uint8_t *m, size_t len, size_t *off, uint8_t *wire, size_t *wire_len) {
    size_t pos = *off;
    size_t w = 0;
    int jumped = 0;
    for (;;) {
        if (pos >= len) return 0;
        uint8_t b = m[pos];
        if ((b & 0xc0) == 0xc0) {
            if (pos + 1 >= len) return 0;
            size_t target = ((size_t)(b & 0x3f) << 8) | m[pos + 1];
            if (target >= pos) return 0;
            if (!jumped) *off = pos + 2;
            jumped = 1;
            pos = target;
            continue;
        }
        if (b & 0xc0) return 0; /* 0x40 and 0x80 label types are obsolete or undefined */
        if (b == 0) {
            if (wire) wire[w] = 0;
            w++;
            pos++;
            break;
        }
        if (w + (size_t)b + 2 > MAX_WIRE_NAME || pos + 1 + b > len) return 0;
        if (wire) {
            wire[w] = b;
            memcpy(wire + w + 1, m + pos + 1, b);
        }
        w += 1 + (size_t)b;
        pos += 1 + (size_t)b;
    }
    if (!jumped) *off = pos;
    if (wire_len) *wire_len = w;
    return 1;
}

/* The lookup key of a wire name: dotted, lowercase; a byte that no served name can hold is written `\DDD`, so the
 * key never matches (and a '.' inside a label cannot fake a label boundary). The root is "". */
static size_t wire_to_key(const uint8_t *wire, char *out, size_t cap) {
    size_t w = 0;
    size_t i = 0;
    while (wire[i] != 0) {
        uint8_t n = wire[i++];
        if (w > 0 && w + 1 < cap) out[w++] = '.';
        for (uint8_t k = 0; k < n; k++, i++) {
            unsigned char c = wire[i];
            if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
            if (is_label_char(c)) {
                if (w + 1 < cap) out[w++] = (char)c;
            } else if (w + 5 < cap) {
                w += (size_t)snprintf(out + w, cap - w, "\\%03u", c);
            }
        }
    }
    out[w] = '\0';
    return w;
}

/* Checks one resource record of the answer, authority or additional section and steps over it. */
static int read_record(const uint8_t *m, size_t len, size_t *off, int is_additional, struct query *q) {
    size_t owner_len = 0;
    if (!read_name(m, len, off, NULL, &owner_len) || *off + 10 > len) return 0;
    uint16_t type = be16(m + *off);
    uint16_t klass = be16(m + *off + 2);
    uint16_t rdlen = be16(m + *off + 8);
    size_t start = *off + 10;
    size_t end = start + rdlen;
    if (end > len) return 0;
    size_t at = start;
    switch (type) {
    case TYPE_A:
        if (rdlen != 4) return 0;
        break;
    case TYPE_AAAA:
        if (rdlen != 16) return 0;
        break;
    case TYPE_NS:
    case TYPE_CNAME:
    case TYPE_PTR:
        if (!read_name(m, end, &at, NULL, NULL) || at != end) return 0;
        break;
    case TYPE_MX:
        at += 2;
        if (at > end || !read_name(m, end, &at, NULL, NULL) || at != end) return 0;
        break;
    case TYPE_SRV:
        at += 6;
        if (at > end || !read_name(m, end, &at, NULL, NULL) || at != end) return 0;
        break;
    case TYPE_OPT:
        /* RFC 6891 6.1.1: the OPT pseudo-record's owner is the root, and only the additional section holds it. */
        if (!is_additional || owner_len != 1 || q->has_opt) return 0;
        q->has_opt = 1;
        q->opt_size = klass;
        break;
    default:
        break;
    }
    *off = end;
    return 1;
}

static int decode_query(const uint8_t *m, size_t len, struct query *q) {
    q->qdcount = be16(m + 4);
    unsigned an = be16(m + 6), ns = be16(m + 8), ar = be16(m + 10);
    /* A question takes at least 5 bytes and a record 11: impossible counts are rejected before any loop. */
    if (12 + (size_t)q->qdcount * 5 + ((size_t)an + ns + ar) * 11 > len) return 0;
    size_t off = 12;
    for (unsigned i = 0; i < q->qdcount; i++) {
        size_t wire_len = 0;
        uint8_t wire[MAX_WIRE_NAME];
        if (!read_name(m, len, &off, wire, &wire_len) || off + 4 > len) return 0;
        if (i == 0) {
            memcpy(q->qwire, wire, wire_len);
            q->qwire_len = wire_len;
            q->qtype = be16(m + off);
            q->qclass = be16(m + off + 2);
        }
        off += 4;
    }
    for (unsigned i = 0; i < an + ns; i++)
        if (!read_record(m, len, &off, 0, q)) return 0;
    for (unsigned i = 0; i < ar; i++)
        if (!read_record(m, len, &off, 1, q)) return 0;
    return off == len; /* trailing bytes are as malformed as missing ones */
}

static struct {
    struct zone *zone;
    char path[4096];
    int epfd;
    dns_tag_fn tag;
    int fds[4];
    char spec[80];
    char status[48];
    struct conn {
        int fd;
        uint32_t gen;
        uint8_t *in;
        size_t in_len;
        uint8_t *out;
        size_t out_len, out_cap;
        uint64_t last_us;
        int read_eof;
        int wants_out;
    } conns[MAX_CONNS];
    uint8_t reply[TCP_FRAME_MAX];
    struct {
        uint32_t name;
        uint16_t offset;
    } targets[MAX_SRV_TARGETS];
} d = {.fds = {-1, -1, -1, -1}};

static size_t write_header(uint8_t *out, const struct query *q, int is_authoritative, int rcode) {
    put16(out, q->id);
    out[2] = (uint8_t)(0x80 | (q->opcode << 3) | (is_authoritative ? 0x04 : 0) | (q->rd ? 0x01 : 0));
    out[3] = (uint8_t)rcode; /* RA = 0: no recursion here */
    memset(out + 4, 0, 8);
    return 12;
}

/* Appends one record whose owner is a compression pointer to an earlier copy of the name (the question, or an SRV
 * target; both sit below 16 KiB, where pointers reach). */
static size_t put_record(uint8_t *out, size_t at, uint16_t owner_offset, const struct rr *r, const struct zone *z) {
    put16(out + at, (uint16_t)(0xc000 | owner_offset));
    put16(out + at + 2, r->type);
    put16(out + at + 4, CLASS_IN);
    put32(out + at + 6, z->ttl);
    put16(out + at + 10, r->rdlen);
    memcpy(out + at + 12, z->rdata + r->rdata, r->rdlen);
    return at + 12 + r->rdlen;
}

size_t dns_server_answer(const uint8_t *m, size_t len, int is_tcp, uint8_t *out, size_t cap) {
    if (len < 12 || cap < 12) return 0;
    /* A response is never answered: two servers must not be able to bounce packets between each other. */
    if (m[2] & 0x80) return 0;
    struct query q;
    memset(&q, 0, sizeof q);
    q.id = be16(m);
    q.opcode = (uint8_t)((m[2] >> 3) & 0x0f);
    q.rd = m[2] & 0x01;
    if (!decode_query(m, len, &q)) {
        /* RFC 1035 4.1.1: FORMERR "The name server was unable to interpret the query." The id, nothing else. */
        return write_header(out, &q, 0, RCODE_FORMERR);
    }
    const struct zone *z = d.zone;
    /* RFC 6891 6.2.5: a requestor's payload size below 512 is treated as 512; this server never sends more than 1232. */
    size_t limit = is_tcp ? 65535 : !q.has_opt ? CLASSIC_UDP_BYTES : q.opt_size < CLASSIC_UDP_BYTES ? CLASSIC_UDP_BYTES : q.opt_size > EDNS_UDP_BYTES ? EDNS_UDP_BYTES : q.opt_size;
    if (limit > cap) limit = cap;
    size_t reserve = q.has_opt ? OPT_RECORD_BYTES : 0;
    int rcode = RCODE_NOERROR;
    int is_authoritative = 0;
    int echo_question = q.qdcount == 1;
    uint32_t entry = NO_INDEX;
    if (q.opcode != 0) {
        rcode = RCODE_NOTIMP;
    } else if (q.qdcount != 1) {
        rcode = RCODE_FORMERR;
    } else if (q.qclass != CLASS_IN || q.qtype == TYPE_ANY || q.qtype == TYPE_AXFR || q.qtype == TYPE_IXFR) {
        /* Only the Internet class exists here; zone transfers and ANY are the usual amplification tools. */
        rcode = RCODE_REFUSED;
    } else {
        char key[MAX_WIRE_NAME * 4 + 8];
        size_t key_len = wire_to_key(q.qwire, key, sizeof key);
        int is_ours = z && is_within(key, key_len, z->apex, z->apex_len);
        entry = z ? zone_find(z, key, key_len) : NO_INDEX;
        if (entry != NO_INDEX) {
            is_authoritative = 1;
        } else if (is_ours) {
            is_authoritative = 1;
            rcode = RCODE_NXDOMAIN;
        } else {
            rcode = RCODE_REFUSED;
        }
    }
    size_t at = write_header(out, &q, is_authoritative, rcode);
    if (echo_question) {
        memcpy(out + at, q.qwire, q.qwire_len);
        at += q.qwire_len;
        put16(out + at, q.qtype);
        put16(out + at + 2, q.qclass);
        at += 4;
        put16(out + 4, 1);
    }
    unsigned ancount = 0, arcount = 0, ntargets = 0;
    int is_truncated = 0;
    if (entry != NO_INDEX && (q.qtype == TYPE_A || q.qtype == TYPE_AAAA || q.qtype == TYPE_SRV)) {
        const struct name *e = &z->names[entry];
        for (uint32_t i = e->first; i < e->first + e->count; i++) {
            const struct rr *r = &z->rrs[i];
            if (r->type != q.qtype) continue;
            /* RFC 2181 9: what does not fit is left out with TC set, and the client retries over TCP. */
            if (at + 12 + r->rdlen + reserve > limit) {
                is_truncated = 1;
                break;
            }
            size_t rdata_at = at + 12;
            at = put_record(out, at, 12, r, z);
            ancount++;
            if (r->type == TYPE_SRV && r->target != NO_INDEX && ntargets < MAX_SRV_TARGETS && rdata_at + 6 < 0x4000) {
                d.targets[ntargets].name = r->target;
                d.targets[ntargets].offset = (uint16_t)(rdata_at + 6);
                ntargets++;
            }
        }
        /* RFC 2782: "implementors are urged ... to return the address record(s) in the Additional Data section".
         * Best effort: additional data that does not fit is simply left out, never a reason for TC. */
        for (unsigned t = 0; !is_truncated && t < ntargets; t++) {
            const struct name *target = &z->names[d.targets[t].name];
            int is_full = 0;
            for (uint32_t i = target->first; i < target->first + target->count; i++) {
                const struct rr *r = &z->rrs[i];
                if (r->type != TYPE_A && r->type != TYPE_AAAA) continue;
                if (at + 12 + r->rdlen + reserve > limit) {
                    is_full = 1;
                    break;
                }
                at = put_record(out, at, d.targets[t].offset, r, z);
                arcount++;
            }
            if (is_full) break;
        }
    }
    if (q.has_opt) {
        /* Our OPT: root owner, type OPT, our payload size in the class field, no extended flags, no options. */
        out[at] = 0;
        put16(out + at + 1, TYPE_OPT);
        put16(out + at + 3, EDNS_UDP_BYTES);
        put32(out + at + 5, 0);
        put16(out + at + 9, 0);
        at += OPT_RECORD_BYTES;
        arcount++;
    }
    if (is_truncated) out[2] |= 0x02;
    put16(out + 6, (uint16_t)ancount);
    put16(out + 10, (uint16_t)arcount);
    return at;
}

/* ---------- loading ---------- */

static struct zone *load_file(const char *path, char *err, size_t errcap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errcap, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 0 || (uint64_t)st.st_size > MAX_FILE_BYTES) {
        snprintf(err, errcap, "%s is not a regular file of at most %u bytes", path, MAX_FILE_BYTES);
        close(fd);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    char *text = malloc(size + 1);
    if (!text) {
        snprintf(err, errcap, "out of memory reading %s", path);
        close(fd);
        return NULL;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = read(fd, text + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    close(fd);
    text[done] = '\0';
    if (memchr(text, '\0', done)) {
        snprintf(err, errcap, "%s contains a NUL byte", path);
        free(text);
        return NULL;
    }
    char why[256];
    struct zone *z = zone_parse(text, why, sizeof why);
    free(text);
    if (!z) snprintf(err, errcap, "%s: %s", path, why);
    return z;
}

int dns_server_load(const char *records_path, char *err, size_t errcap) {
    for (int i = 0; d.zone == NULL && i < MAX_CONNS; i++) d.conns[i].fd = -1;
    if (strlen(records_path) >= sizeof d.path) {
        snprintf(err, errcap, "the records path is too long");
        return 0;
    }
    struct zone *z = load_file(records_path, err, errcap);
    if (!z) return 0;
    snprintf(d.path, sizeof d.path, "%s", records_path);
    zone_free(d.zone);
    d.zone = z;
    return 1;
}

long dns_server_reload(char *err, size_t errcap) {
    struct zone *z = load_file(d.path, err, errcap);
    if (!z) return -1;
    zone_free(d.zone);
    d.zone = z;
    return (long)z->nnames;
}

/* ---------- sockets ---------- */

static const char *errno_text(int e) {
    switch (e) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENOBUFS: return "ENOBUFS";
    default: return "EUNKNOWN";
    }
}

static int open_socket(int family, int type, const struct sockaddr *addr, socklen_t len, int *err) {
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (type == SOCK_DGRAM) {
        /* Answer from the address the query was sent to: a wildcard socket would pick a source by route. */
        if (family == AF_INET)
            setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
        else
            setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    }
    if (bind(fd, addr, len) < 0 || (type == SOCK_STREAM && listen(fd, 128) < 0)) {
        *err = errno;
        close(fd);
        return -1;
    }
    return fd;
}

static unsigned bound_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return 0;
    return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port) : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

int dns_server_listen(const char *ip, unsigned port, int epfd, dns_tag_fn tag) {
    d.epfd = epfd;
    d.tag = tag;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    int family;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (ip == NULL || inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
        family = AF_INET;
        sin->sin_family = AF_INET;
        if (ip == NULL) sin->sin_addr.s_addr = htonl(INADDR_ANY);
        len = sizeof *sin;
    } else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
        family = AF_INET6;
        sin6->sin6_family = AF_INET6;
        len = sizeof *sin6;
    } else {
        snprintf(d.spec, sizeof d.spec, "dns:%u@-", port);
        snprintf(d.status, sizeof d.status, "error:EINVAL");
        return EINVAL;
    }
    int err = 0;
    int udp_slot = family == AF_INET ? SLOT_UDP4 : SLOT_UDP6;
    int tcp_slot = family == AF_INET ? SLOT_TCP4 : SLOT_TCP6;
    if (family == AF_INET) sin->sin_port = htons((uint16_t)port);
    else sin6->sin6_port = htons((uint16_t)port);
    d.fds[udp_slot] = open_socket(family, SOCK_DGRAM, (struct sockaddr *)&ss, len, &err);
    if (d.fds[udp_slot] >= 0) {
        /* Port 0 asked for a free port: TCP and the IPv6 sockets take the same one. */
        port = bound_port(d.fds[udp_slot]);
        if (family == AF_INET) sin->sin_port = htons((uint16_t)port);
        else sin6->sin6_port = htons((uint16_t)port);
        d.fds[tcp_slot] = open_socket(family, SOCK_STREAM, (struct sockaddr *)&ss, len, &err);
    }
    if (ip == NULL) snprintf(d.spec, sizeof d.spec, "dns:%u", port);
    else snprintf(d.spec, sizeof d.spec, "dns:%u@%s", port, ip);
    if (d.fds[udp_slot] < 0 || d.fds[tcp_slot] < 0) {
        snprintf(d.status, sizeof d.status, "error:%s", errno_text(err));
        return err ? err : EINVAL;
    }
    if (ip == NULL) {
        /* The IPv6 half is best effort: a netns with IPv6 switched off still serves IPv4. */
        struct sockaddr_in6 any6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = in6addr_any};
        int err6 = 0;
        d.fds[SLOT_UDP6] = open_socket(AF_INET6, SOCK_DGRAM, (struct sockaddr *)&any6, sizeof any6, &err6);
        if (d.fds[SLOT_UDP6] >= 0) d.fds[SLOT_TCP6] = open_socket(AF_INET6, SOCK_STREAM, (struct sockaddr *)&any6, sizeof any6, &err6);
    }
    for (uint32_t slot = 0; slot < 4; slot++) {
        if (d.fds[slot] < 0) continue;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = d.tag(slot, 0)};
        epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.fds[slot], &ev);
    }
    snprintf(d.status, sizeof d.status, "ok");
    return 0;
}

void dns_server_describe(char *out, size_t cap) { snprintf(out, cap, "%s=%s", d.spec, d.status); }

static void serve_udp(int fd, int family) {
    for (int k = 0; k < 256; k++) {
        uint8_t buf[4096];
        struct sockaddr_storage peer;
        union {
            char raw[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
            struct cmsghdr align;
        } control;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
        struct msghdr msg = {.msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.raw,
                             .msg_controllen = sizeof control.raw};
        ssize_t r = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (r < 0) return;
        /* A datagram larger than any query this server answers is not read in part and guessed at. */
        if (msg.msg_flags & MSG_TRUNC) continue;
        size_t n = dns_server_answer(buf, (size_t)r, 0, d.reply, EDNS_UDP_BYTES);
        if (n == 0) continue;
        udp_reply(fd, &msg, family, d.reply, n);
    }
}

static void conn_close(int slot) {
    struct conn *c = &d.conns[slot];
    if (c->fd < 0) return;
    close(c->fd);
    c->fd = -1;
    c->gen++;
    free(c->in);
    free(c->out);
    c->in = c->out = NULL;
    c->in_len = c->out_len = c->out_cap = 0;
}

static void conn_set_events(int slot) {
    struct conn *c = &d.conns[slot];
    int wants = c->out_len > 0;
    if (wants == c->wants_out) return;
    c->wants_out = wants;
    struct epoll_event ev = {.events = (c->read_eof ? 0u : (uint32_t)EPOLLIN) | (wants ? (uint32_t)EPOLLOUT : 0u),
                             .data.u64 = d.tag((uint32_t)(SLOT_CONN0 + slot), c->gen)};
    epoll_ctl(d.epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends what is queued; 0 when the connection was closed. */
static int conn_flush(int slot) {
    struct conn *c = &d.conns[slot];
    size_t off = 0;
    while (off < c->out_len) {
        ssize_t n = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            conn_close(slot);
            return 0;
        }
        off += (size_t)n;
    }
    memmove(c->out, c->out + off, c->out_len - off);
    c->out_len -= off;
    if (c->read_eof && c->out_len == 0) {
        conn_close(slot);
        return 0;
    }
    conn_set_events(slot);
    return 1;
}

static int conn_queue(int slot, const uint8_t *data, size_t n) {
    struct conn *c = &d.conns[slot];
    if (c->out_len + n > MAX_TCP_OUT || !grow((void **)&c->out, &c->out_cap, c->out_len + n, 1)) {
        conn_close(slot);
        return 0;
    }
    memcpy(c->out + c->out_len, data, n);
    c->out_len += n;
    return conn_flush(slot);
}

static void conn_on_readable(int slot, uint64_t now_us) {
    struct conn *c = &d.conns[slot];
    ssize_t n = recv(c->fd, c->in + c->in_len, TCP_FRAME_MAX - c->in_len, MSG_DONTWAIT);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) conn_close(slot);
        return;
    }
    c->last_us = now_us;
    if (n == 0) {
        /* The client sent everything: answer what is complete, then close once the answers are out. */
        c->read_eof = 1;
        struct epoll_event ev = {.events = c->out_len > 0 ? (uint32_t)EPOLLOUT : 0u, .data.u64 = d.tag((uint32_t)(SLOT_CONN0 + slot), c->gen)};
        epoll_ctl(d.epfd, EPOLL_CTL_MOD, c->fd, &ev);
        c->wants_out = c->out_len > 0;
        if (c->out_len == 0) conn_close(slot);
        return;
    }
    c->in_len += (size_t)n;
    /* RFC 1035 4.2.2: "The message is prefixed with a two byte length field"; several may follow on one connection. */
    while (c->fd >= 0 && c->in_len >= 2) {
        size_t frame = be16(c->in);
        if (c->in_len < 2 + frame) break;
        size_t answer = dns_server_answer(c->in + 2, frame, 1, d.reply + 2, sizeof d.reply - 2);
        memmove(c->in, c->in + 2 + frame, c->in_len - 2 - frame);
        c->in_len -= 2 + frame;
        if (answer == 0) continue;
        put16(d.reply, (uint16_t)answer);
        if (!conn_queue(slot, d.reply, answer + 2)) return;
    }
}

static void accept_tcp(int lfd, uint64_t now_us) {
    for (int k = 0; k < 64; k++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        int slot = -1;
        for (int i = 0; i < MAX_CONNS; i++) {
            if (d.conns[i].fd < 0) {
                slot = i;
                break;
            }
        }
        uint8_t *in = slot < 0 ? NULL : malloc(TCP_FRAME_MAX);
        if (!in) {
            /* Full (or out of memory): this client is turned away rather than starving the others. */
            close(fd);
            continue;
        }
        struct conn *c = &d.conns[slot];
        uint32_t gen = c->gen;
        memset(c, 0, sizeof *c);
        c->gen = gen;
        c->fd = fd;
        c->in = in;
        c->last_us = now_us;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = d.tag((uint32_t)(SLOT_CONN0 + slot), c->gen)};
        epoll_ctl(d.epfd, EPOLL_CTL_ADD, fd, &ev);
    }
}

void dns_server_on_event(uint32_t slot, uint32_t gen, uint32_t events, uint64_t now_us) {
    if (slot == SLOT_UDP4 || slot == SLOT_UDP6) {
        if (d.fds[slot] >= 0) serve_udp(d.fds[slot], slot == SLOT_UDP4 ? AF_INET : AF_INET6);
        return;
    }
    if (slot == SLOT_TCP4 || slot == SLOT_TCP6) {
        if (d.fds[slot] >= 0) accept_tcp(d.fds[slot], now_us);
        return;
    }
    if (slot < SLOT_CONN0 || slot >= SLOT_CONN0 + MAX_CONNS) return;
    int index = (int)(slot - SLOT_CONN0);
    struct conn *c = &d.conns[index];
    if (c->fd < 0 || c->gen != gen) return;
    if (events & (EPOLLHUP | EPOLLERR)) {
        conn_close(index);
        return;
    }
    if ((events & EPOLLOUT) && !conn_flush(index)) return;
    if (c->fd >= 0 && c->gen == gen && (events & EPOLLIN)) conn_on_readable(index, now_us);
}

uint64_t dns_server_next_deadline_us(void) {
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < MAX_CONNS; i++)
        if (d.conns[i].fd >= 0 && d.conns[i].last_us + TCP_IDLE_US < next) next = d.conns[i].last_us + TCP_IDLE_US;
    return next;
}

void dns_server_on_deadline(uint64_t now_us) {
    for (int i = 0; i < MAX_CONNS; i++)
        if (d.conns[i].fd >= 0 && d.conns[i].last_us + TCP_IDLE_US <= now_us) conn_close(i);
}

void dns_server_stop(void) {
    for (int i = 0; i < MAX_CONNS; i++) conn_close(i);
    for (int i = 0; i < 4; i++) {
        if (d.fds[i] >= 0) close(d.fds[i]);
        d.fds[i] = -1;
    }
    zone_free(d.zone);
    d.zone = NULL;
}
