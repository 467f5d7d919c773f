/* SPDX-License-Identifier: MIT */
/*
 * ike_id: IKE identities (RFC 7296 3.5): building them from configuration
 * and addresses, comparing a peer's identity with what a gateway expects
 * (exact, or the group-ike-id suffix match of dial-up gateways), and text.
 */
#ifndef CAIRN_IKE_ID_H
#define CAIRN_IKE_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_addr.h"
#include "ike_wire.h"

#define IKE_ID_MAX    255
#define IKE_ID_STRLEN 520 /* worst case: hex of 255 bytes plus a prefix */

struct ike_id {
	uint8_t type; /* enum ike_id_type; IKE_ID_NONE = unset */
	uint8_t len;
	uint8_t data[IKE_ID_MAX];
};

/*
 * An identity kept by a long-lived object (a gateway's configuration, an
 * IKE SA), allocated to its length: struct ike_id is 257 bytes whatever
 * it holds. NULL stands for none (IKE_ID_NONE).
 */
struct ike_idh {
	uint8_t type;
	uint8_t len;
	uint8_t data[];
};

/* Replaces *h by a copy of id (NULL when id is IKE_ID_NONE); 0 or -ENOMEM
 * (*h unchanged). */
int ike_idh_set(struct ike_idh **h, const struct ike_id *id);
/* Replaces *dst by a copy of src; 0 or -ENOMEM (*dst unchanged). */
int ike_idh_dup(struct ike_idh **dst, const struct ike_idh *src);
void ike_idh_free(struct ike_idh **h);
/* The identity held (type IKE_ID_NONE for NULL). */
void ike_idh_get(const struct ike_idh *h, struct ike_id *out);
/* ike_id_eq of a held identity (NULL: none, equal only to none). */
bool ike_idh_eq(const struct ike_idh *h, const struct ike_id *id);
bool ike_idh_eq2(const struct ike_idh *a, const struct ike_idh *b);

/* Configuration spellings of an identity (YANG identity-choice). */
enum ike_id_kind {
	IKE_IDK_NONE,
	IKE_IDK_INET,
	IKE_IDK_INET6,
	IKE_IDK_HOSTNAME,
	IKE_IDK_USER_AT_HOSTNAME,
	IKE_IDK_KEY_ID,
};

/* Builds an identity from its configured kind and text; 0 or -EINVAL. */
int ike_id_from_conf(enum ike_id_kind kind, const char *value, struct ike_id *out);
void ike_id_from_addr(const struct ike_addr *a, struct ike_id *out);
/* Parses the identification data of a payload body; 0 or -EBADMSG. */
int ike_id_set(struct ike_id *id, uint8_t type, const uint8_t *data, size_t len);
/* Same type and data (FQDN and e-mail compare without case). */
bool ike_id_eq(const struct ike_id *a, const struct ike_id *b);
/* group-ike-id: id has the type of common and ends with its data. */
bool ike_id_suffix_match(const struct ike_id *common, const struct ike_id *id);
/* Printable text (addresses, names; binary key IDs in hex); returns buf. */
const char *ike_id_str(const struct ike_id *id, char *buf, size_t len);
const char *ike_id_type_str(uint8_t type);

#endif
