/* SPDX-License-Identifier: MIT */
/*
 * ipc_wire: the frame format of Cairn's management sockets (UNIX stream).
 *
 * Every message is one frame: a fixed 16-byte header, then the body.
 * Multi-byte fields are big-endian. Never cast bytes to a struct; the
 * header is read field by field with `struct rd` (ipc_frame.c).
 *
 *   offset size field
 *   0      4    magic    "CRN1" (0x43524e31): protocol and version
 *   4      1    type     enum ipc_type
 *   5      1    flags    0 (reserved; a receiver rejects any other value)
 *   6      2    reserved 0
 *   8      4    id       request id: a request's id, echoed by its reply or
 *                        error; 0 for notifications
 *   12     4    length   body length in bytes, at most IPC_MAX_BODY
 *
 * Bodies:
 *   REQUEST  a YANG RPC in JSON (RFC 7951), {"module:rpc": {input...}}
 *   REPLY    the RPC's output in JSON, {"module:rpc": {output...}}
 *   ERROR    be32 errno (positive) then UTF-8 text for the operator
 *   NOTIFY   a YANG notification in JSON
 */
#ifndef CAIRN_IPC_WIRE_H
#define CAIRN_IPC_WIRE_H

#define IPC_MAGIC    0x43524e31u /* "CRN1" */
#define IPC_HDR_LEN  16u
#define IPC_MAX_BODY (64u << 20) /* 64 MiB: a 10k-VPN configuration is ~5 MB */

enum ipc_type {
	IPC_REQUEST = 1,
	IPC_REPLY = 2,
	IPC_ERROR = 3,
	IPC_NOTIFY = 4,
};

#endif
