/* SPDX-License-Identifier: MIT */
/*
 * dp_kernel: the kernel dataplane backend (dp_kernel_ops in dp.h) over
 * Cairn's libxfrm (xfrm.h): XFRM states and policies, xfrm interfaces as
 * st0 units, routes into them, SPI allocation, acquire/expire events.
 */
#ifndef CAIRN_DP_KERNEL_H
#define CAIRN_DP_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

/*
 * Can this kernel carry ESP? Installs and deletes a throw-away tunnel-mode
 * SA (AES-CBC/HMAC-SHA-256, then AES-GCM) in a private network namespace
 * (in a forked child; the current namespace with a fresh SPI on
 * 192.0.2.0/24 when namespaces cannot be created). Returns 0 when both
 * install; -EPROTONOSUPPORT (no ESP), -ENOSYS (no such algorithm),
 * -EPERM, ... with an operator message in err otherwise.
 */
int dp_kernel_probe(struct errbuf *err);

/* The xfrm interface of st0.<unit>: its name and if_id (unit + 1; if_id 0
 * means "no interface" to the kernel). */
void dp_kernel_unit_name(uint32_t unit, char *name, size_t cap);
uint32_t dp_kernel_unit_if_id(uint32_t unit);

#endif
