/*
 * nf_pkt.h - internal to netfail: the raw frames of the reachability probes.
 *
 * Pure functions over byte buffers (no socket, no state), so that the frame
 * layouts can be table-tested without privileges: an ARP probe (RFC 5227) and
 * an ICMPv6 neighbour solicitation in the DAD form (RFC 4862: from ::, to the
 * target's solicited-node group), both as whole Ethernet frames; recognisers
 * for the answers; classic BPF programs that let only those answers reach the
 * probe's packet socket. Not a public concept: only nf_probe.c and the unit
 * tests include it.
 */
#ifndef NF_PKT_H
#define NF_PKT_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NF_PKT_ETH_ZLEN 60           /* minimum Ethernet frame, without FCS */
#define NF_PKT_NS_LEN (14 + 40 + 24) /* Ethernet + IPv6 + neighbour solicitation */
#define NF_PKT_BPF_MAX 24            /* room for either filter program */

/* ARP probe for `tip` from `mac` (who-has tip, tell 0.0.0.0): Ethernet broadcast,
 * sha = mac, spa = 0, tha = 0. Writes NF_PKT_ETH_ZLEN bytes; returns that length. */
size_t nf_pkt_arp_probe(uint8_t f[NF_PKT_ETH_ZLEN], const uint8_t mac[6], const uint8_t tip[4]);
/* Neighbour solicitation for `target` from `mac`: Ethernet to 33:33:ff:t13:t14:t15,
 * IPv6 :: -> ff02::1:ffXX:XXXX, hop limit 255, no source link-layer option, ICMPv6
 * checksum filled. Writes NF_PKT_NS_LEN bytes; returns that length. */
size_t nf_pkt_ns(uint8_t f[NF_PKT_NS_LEN], const uint8_t mac[6], const uint8_t target[16]);

/* Does Ethernet frame f[0..n) answer our ARP probe: an ARP reply (op 2) from
 * `tip` (spa) addressed to us (tha == mac)? */
bool nf_pkt_is_arp_reply(const uint8_t *f, size_t n, const uint8_t tip[4], const uint8_t mac[6]);
/* Does Ethernet frame f[0..n) carry a neighbour advertisement for `target`
 * (IPv6 next header ICMPv6, hop limit 255, type 136 code 0, target field)? */
bool nf_pkt_is_na(const uint8_t *f, size_t n, const uint8_t target[16]);

/* The ICMPv6 checksum of msg[0..len) between src and dst (the checksum field
 * of msg is summed as it is: zero it first to compute, keep it to verify,
 * where a correct message sums to 0). */
uint16_t nf_pkt_icmp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
                           size_t len);

/* Classic BPF for a SOCK_RAW packet socket: accept (the first bytes of) the
 * frames that nf_pkt_is_arp_reply / nf_pkt_is_na may accept for this target,
 * drop everything else in the kernel. Fills prog[0..NF_PKT_BPF_MAX) and returns
 * the number of instructions. */
unsigned int nf_pkt_bpf_arp(struct sock_filter prog[NF_PKT_BPF_MAX], const uint8_t tip[4]);
unsigned int nf_pkt_bpf_na(struct sock_filter prog[NF_PKT_BPF_MAX], const uint8_t target[16]);

#endif
