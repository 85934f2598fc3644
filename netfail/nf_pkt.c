/*
 * nf_pkt.c - the probes' raw frames (see nf_pkt.h).
 *
 * Design: frames are written byte by byte at fixed offsets (no packed
 * structs, no alignment assumptions: a received frame may start anywhere),
 * multi-byte fields in network order. Offsets, for an untagged Ethernet frame:
 *   ARP:  12 type 0x0806 | 14 htype 1, ptype 0x0800, hlen 6, plen 4 | 20 op
 *         | 22 sha | 28 spa | 32 tha | 38 tpa
 *   IPv6: 12 type 0x86dd | 14 version | 18 payload length | 20 next header
 *         | 21 hop limit | 22 source | 38 destination | 54 ICMPv6: type, code,
 *         checksum, 4 reserved/flags bytes | 62 target
 * The BPF programs test the same fields as the recognisers (type, opcode or
 * ICMPv6 type, and the address that identifies the answer), so the kernel
 * wakes the probe only for its answers: on a busy port every IPv6 frame would
 * otherwise be copied to the ETH_P_IPV6 socket. The recognisers check again
 * (and more: ARP header, tha, hop limit) in user space.
 */
#include "netfail/nf_pkt.h"

#include <string.h>

#define NF_PKT_SNAP 128 /* bytes of an accepted frame handed to user space */

static const uint8_t nf_pkt_arp_hdr[6] = {0x00, 0x01, 0x08, 0x00, 6, 4};

size_t nf_pkt_arp_probe(uint8_t f[NF_PKT_ETH_ZLEN], const uint8_t mac[6], const uint8_t tip[4])
{
	memset(f, 0, NF_PKT_ETH_ZLEN);
	memset(f, 0xff, 6);    /* destination: broadcast */
	memcpy(f + 6, mac, 6); /* source */
	f[12] = 0x08;          /* ETH_P_ARP */
	f[13] = 0x06;
	memcpy(f + 14, nf_pkt_arp_hdr, sizeof(nf_pkt_arp_hdr));
	f[21] = 1;              /* op: request */
	memcpy(f + 22, mac, 6); /* sha; spa f[28..31] = 0.0.0.0; tha f[32..37] = 0 */
	memcpy(f + 38, tip, 4); /* tpa */
	return NF_PKT_ETH_ZLEN;
}

static uint32_t nf_pkt_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t nf_pkt_icmp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
                           size_t len)
{
	uint8_t tail[8] = {0};
	uint32_t sum = 0;

	/* pseudo-header: source, destination, upper-layer length (32 bits),
	 * three zero bytes, next header 58 */
	tail[0] = (uint8_t)(len >> 24);
	tail[1] = (uint8_t)(len >> 16);
	tail[2] = (uint8_t)(len >> 8);
	tail[3] = (uint8_t)len;
	tail[7] = 58;
	sum = nf_pkt_sum(sum, src, 16);
	sum = nf_pkt_sum(sum, dst, 16);
	sum = nf_pkt_sum(sum, tail, sizeof(tail));
	sum = nf_pkt_sum(sum, msg, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t nf_pkt_ns(uint8_t f[NF_PKT_NS_LEN], const uint8_t mac[6], const uint8_t target[16])
{
	uint8_t *ip = f + 14, *icmp = f + 54;
	uint16_t csum;

	memset(f, 0, NF_PKT_NS_LEN);
	/* Ethernet: to the solicited-node group's MAC 33:33:ff:t13:t14:t15 */
	f[0] = 0x33;
	f[1] = 0x33;
	f[2] = 0xff;
	memcpy(f + 3, target + 13, 3);
	memcpy(f + 6, mac, 6);
	f[12] = 0x86; /* ETH_P_IPV6 */
	f[13] = 0xdd;
	/* IPv6: version 6, payload 24, ICMPv6, hop limit 255, :: -> ff02::1:ffXX:XXXX */
	ip[0] = 0x60;
	ip[5] = 24;
	ip[6] = 58;
	ip[7] = 255;
	ip[24] = 0xff;
	ip[25] = 0x02;
	ip[35] = 0x01;
	ip[36] = 0xff;
	memcpy(ip + 37, target + 13, 3);
	/* ICMPv6 neighbour solicitation: type 135, code 0, reserved, target;
	 * no source link-layer address option (forbidden from ::) */
	icmp[0] = 135;
	memcpy(icmp + 8, target, 16);
	csum = nf_pkt_icmp6_csum(ip + 8, ip + 24, icmp, 24);
	icmp[2] = (uint8_t)(csum >> 8);
	icmp[3] = (uint8_t)csum;
	return NF_PKT_NS_LEN;
}

bool nf_pkt_is_arp_reply(const uint8_t *f, size_t n, const uint8_t tip[4], const uint8_t mac[6])
{
	return n >= 42 && f[12] == 0x08 && f[13] == 0x06 &&
	       !memcmp(f + 14, nf_pkt_arp_hdr, sizeof(nf_pkt_arp_hdr)) && f[20] == 0 &&
	       f[21] == 2 && !memcmp(f + 28, tip, 4) && !memcmp(f + 32, mac, 6);
}

bool nf_pkt_is_na(const uint8_t *f, size_t n, const uint8_t target[16])
{
	const uint8_t *ip = f + 14, *icmp = f + 54;

	return n >= NF_PKT_NS_LEN && f[12] == 0x86 && f[13] == 0xdd && (ip[0] >> 4) == 6 &&
	       ip[6] == 58 && ip[7] == 255 && icmp[0] == 136 && icmp[1] == 0 &&
	       !memcmp(icmp + 8, target, 16);
}

/* A filter program under construction: a conjunction of "field == value" tests. */
struct nf_pkt_bpf {
	struct sock_filter *prog;
	unsigned int n;
};

static void nf_pkt_bpf_test(struct nf_pkt_bpf *b, uint16_t size, uint32_t off, uint32_t val)
{
	b->prog[b->n++] = (struct sock_filter)BPF_STMT(BPF_LD | size | BPF_ABS, off);
	/* jf is patched to the final "drop" once the program is complete */
	b->prog[b->n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, val, 0, 0);
}

static unsigned int nf_pkt_bpf_end(struct nf_pkt_bpf *b)
{
	unsigned int i, drop;

	b->prog[b->n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, NF_PKT_SNAP);
	drop = b->n;
	b->prog[b->n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	for (i = 0; i < drop; i++)
		if (b->prog[i].code == (BPF_JMP | BPF_JEQ | BPF_K))
			b->prog[i].jf = (uint8_t)(drop - i - 1);
	return b->n;
}

static uint32_t nf_pkt_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

unsigned int nf_pkt_bpf_arp(struct sock_filter prog[NF_PKT_BPF_MAX], const uint8_t tip[4])
{
	struct nf_pkt_bpf b = {prog, 0};

	nf_pkt_bpf_test(&b, BPF_H, 12, 0x0806);
	nf_pkt_bpf_test(&b, BPF_H, 20, 2);
	nf_pkt_bpf_test(&b, BPF_W, 28, nf_pkt_be32(tip));
	return nf_pkt_bpf_end(&b);
}

unsigned int nf_pkt_bpf_na(struct sock_filter prog[NF_PKT_BPF_MAX], const uint8_t target[16])
{
	struct nf_pkt_bpf b = {prog, 0};
	unsigned int i;

	nf_pkt_bpf_test(&b, BPF_H, 12, 0x86dd);
	nf_pkt_bpf_test(&b, BPF_B, 20, 58);
	nf_pkt_bpf_test(&b, BPF_B, 54, 136);
	for (i = 0; i < 4; i++)
		nf_pkt_bpf_test(&b, BPF_W, 62 + 4 * i, nf_pkt_be32(target + 4 * i));
	return nf_pkt_bpf_end(&b);
}
