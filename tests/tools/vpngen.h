/* SPDX-License-Identifier: MIT */
/*
 * vpngen: route-based VPN configurations for tests and the commit-scale
 * benchmark, as JSON (RFC 7951) that cairn-mgd loads with
 * `load override|merge` format json. VPN i has: ike policy ike-pol-i,
 * gateway gw-i, ipsec vpn vpn-i bound to st0.i, unit st0.i, a static
 * route to 10.(128+i/256).(i%256).0/24 via st0.i, and st0.i in zone vpn.
 * The shared part: proposals, an ipsec policy, eth0, zones trust,
 * untrust and vpn.
 */
#ifndef CAIRN_VPNGEN_H
#define CAIRN_VPNGEN_H

#include "buf.h"

/* The whole configuration with VPNs [0, n). */
void vpngen_json(struct buf *out, unsigned n);
/* Only VPN i's own statements (for merge), with its shared parents. */
void vpngen_one_json(struct buf *out, unsigned i);

#endif
