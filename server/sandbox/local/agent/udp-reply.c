/* Replying to a UDP datagram from the address it was sent to (see udp-reply.h). */
#include "udp-reply.h"

#include <netinet/in.h>
#include <string.h>

void udp_reply(int fd, const struct msghdr *received, int family, const void *buf, size_t len) {
    /* A wildcard socket would otherwise pick a source address by route, and the client's connected socket
     * would discard a reply from an address it did not send to. */
    union {
        char raw[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        struct cmsghdr align;
    } reply_control;
    memset(&reply_control, 0, sizeof reply_control);
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr out = {.msg_name = received->msg_name, .msg_namelen = received->msg_namelen, .msg_iov = &iov, .msg_iovlen = 1};
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(received); cm; cm = CMSG_NXTHDR((struct msghdr *)received, cm)) {
        if (family == AF_INET && cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo in;
            memcpy(&in, CMSG_DATA(cm), sizeof in);
            struct in_pktinfo reply = {.ipi_ifindex = 0, .ipi_spec_dst = in.ipi_addr};
            out.msg_control = reply_control.raw;
            out.msg_controllen = CMSG_SPACE(sizeof reply);
            struct cmsghdr *oc = CMSG_FIRSTHDR(&out);
            oc->cmsg_level = IPPROTO_IP;
            oc->cmsg_type = IP_PKTINFO;
            oc->cmsg_len = CMSG_LEN(sizeof reply);
            memcpy(CMSG_DATA(oc), &reply, sizeof reply);
        } else if (family == AF_INET6 && cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo in6;
            memcpy(&in6, CMSG_DATA(cm), sizeof in6);
            /* Let the route choose the interface; only the source address is pinned. */
            in6.ipi6_ifindex = 0;
            out.msg_control = reply_control.raw;
            out.msg_controllen = CMSG_SPACE(sizeof in6);
            struct cmsghdr *oc = CMSG_FIRSTHDR(&out);
            oc->cmsg_level = IPPROTO_IPV6;
            oc->cmsg_type = IPV6_PKTINFO;
            oc->cmsg_len = CMSG_LEN(sizeof in6);
            memcpy(CMSG_DATA(oc), &in6, sizeof in6);
        }
    }
    if (sendmsg(fd, &out, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) { /* best effort, like any UDP server */ }
}
