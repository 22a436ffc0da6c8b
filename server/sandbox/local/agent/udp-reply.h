/* Replying to a UDP datagram from the address it was sent to, shared by the agent's echo ports and the DNS server. */
#ifndef REHEARSAL_UDP_REPLY_H
#define REHEARSAL_UDP_REPLY_H

#include <stddef.h>
#include <sys/socket.h>

/* Sends buf to the sender of `received` (read with recvmsg and IP_PKTINFO/IPV6_RECVPKTINFO on), with the
 * datagram's destination address as source. Best effort, like any UDP server: a failed send is dropped. */
void udp_reply(int fd, const struct msghdr *received, int family, const void *buf, size_t len);

#endif
