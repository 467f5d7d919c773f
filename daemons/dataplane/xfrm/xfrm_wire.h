/* SPDX-License-Identifier: MIT */
/*
 * xfrm_wire: XFRM uapi constants newer than Debian 12's linux-libc-dev
 * (6.1). The values are the kernel's ABI (include/uapi/linux/xfrm.h);
 * kernels that predate an attribute ignore it silently, so callers read
 * the SA back to learn whether it took effect.
 */
#ifndef CAIRN_XFRM_WIRE_H
#define CAIRN_XFRM_WIRE_H

#include <linux/xfrm.h>

#ifndef XFRMA_SA_DIR
#define XFRMA_SA_DIR 33 /* __u8: XFRM_SA_DIR_IN/OUT (Linux 6.10) */
#endif
#ifndef XFRMA_NAT_KEEPALIVE_INTERVAL
#define XFRMA_NAT_KEEPALIVE_INTERVAL 34 /* __u32 seconds (Linux 6.10) */
#endif
#ifndef XFRMA_SA_PCPU
#define XFRMA_SA_PCPU 35 /* __u32: CPU of a per-CPU SA, needs SA_DIR out (6.13) */
#endif
#ifndef XFRM_SA_DIR_IN
#define XFRM_SA_DIR_IN  1
#define XFRM_SA_DIR_OUT 2
#endif

/* Highest attribute type Cairn parses (table size for nlp_attrs). */
#define XFRMA_CAIRN_MAX 40

/* No limit in an xfrm_lifetime_cfg. */
#define XFRM_LIFE_INF (~(uint64_t)0)

#endif
