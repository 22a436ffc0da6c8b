/* The sandbox's authoritative DNS server, compiled into the pod agent and run by the kube-dns pod's agent
 * (`--dns-records <file>`). It lives in the agent's epoll loop: the agent hands it the events tagged for it. */
#ifndef REHEARSAL_DNS_SERVER_H
#define REHEARSAL_DNS_SERVER_H

#include <stddef.h>
#include <stdint.h>

/* Makes the epoll tag for one of the server's descriptors; the agent routes events with that tag to
 * dns_server_on_event(slot, gen, ...). */
typedef uint64_t (*dns_tag_fn)(uint32_t slot, uint32_t gen);

/* Loads the records file. On failure returns 0 and writes why (with the line number) into err. */
int dns_server_load(const char *records_path, char *err, size_t errcap);

/* Binds UDP and TCP `port` on `ip` (NULL: every IPv4 and IPv6 address of the netns; port 0 picks a free one) and
 * registers with epfd. Returns 0 on success, else the errno of the failed bind (the status says which). */
int dns_server_listen(const char *ip, unsigned port, int epfd, dns_tag_fn tag);

/* The READY token: `dns:<bound port>[@ip]=ok` or `dns:<port>[@ip]=error:<ERRNO>`. */
void dns_server_describe(char *out, size_t cap);

/* Reads the records file again. Returns the number of names served, or -1 with why in err (the old records stay). */
long dns_server_reload(char *err, size_t errcap);

void dns_server_on_event(uint32_t slot, uint32_t gen, uint32_t events, uint64_t now_us);

/* The earliest moment something is due (an idle TCP connection to close); UINT64_MAX when nothing is. */
uint64_t dns_server_next_deadline_us(void);
void dns_server_on_deadline(uint64_t now_us);

void dns_server_stop(void);

/* Answers one query message (exposed for the agent's tests of hostile input through the sockets). Returns the
 * response length written to out (at most cap), or 0 when the packet deserves no answer. */
size_t dns_server_answer(const uint8_t *query, size_t len, int is_tcp, uint8_t *out, size_t cap);

#endif
