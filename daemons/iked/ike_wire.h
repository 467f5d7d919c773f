/* SPDX-License-Identifier: MIT */
/*
 * ike_wire: IKEv2 (RFC 7296) wire formats and registry numbers. The packed
 * structs document the layouts and size the encoder; nothing ever casts a
 * packet pointer to them (STYLE.md §2): parsing goes through struct rd in
 * ike_msg.c, building through struct ike_enc.
 */
#ifndef CAIRN_IKE_WIRE_H
#define CAIRN_IKE_WIRE_H

#include <stdint.h>

/* RFC 7296 3.1: the IKE header. */
struct ike_wire_hdr {
	uint8_t spi_i[8]; /* initiator's SPI (original initiator of the IKE SA) */
	uint8_t spi_r[8]; /* responder's SPI, zero in the first IKE_SA_INIT */
	uint8_t next;     /* type of the first payload */
	uint8_t version;  /* major << 4 | minor: 0x20 */
	uint8_t exchange; /* enum ike_exchange */
	uint8_t flags;    /* IKE_HDR_F_* */
	uint32_t msgid;   /* message ID, big endian */
	uint32_t length;  /* whole message including this header */
} __attribute__((packed));

/* RFC 7296 3.2: the generic payload header. */
struct ike_wire_pld {
	uint8_t next;    /* type of the following payload, 0 = none */
	uint8_t flags;   /* bit 7: critical; others reserved */
	uint16_t length; /* payload length including this header */
} __attribute__((packed));

/* RFC 7296 3.3.1: a proposal substructure inside an SA payload. */
struct ike_wire_prop {
	uint8_t last; /* 0 = last proposal, 2 = more follow */
	uint8_t reserved;
	uint16_t length;  /* proposal length including transforms */
	uint8_t num;      /* proposal number, 1 for the first */
	uint8_t proto;    /* enum ike_proto */
	uint8_t spi_size; /* 0 (IKE_SA_INIT), 4 (ESP), 8 (IKE rekey) */
	uint8_t n_xforms; /* number of transforms */
	                  /* SPI (spi_size bytes), then transforms */
} __attribute__((packed));

/* RFC 7296 3.3.2: a transform substructure. */
struct ike_wire_xform {
	uint8_t last; /* 0 = last transform, 3 = more follow */
	uint8_t reserved;
	uint16_t length; /* transform length including attributes */
	uint8_t type;    /* enum ike_xform_type */
	uint8_t reserved2;
	uint16_t id; /* transform ID */
	             /* attributes */
} __attribute__((packed));

/* RFC 7296 3.3.5: a transform attribute (TV form when the AF bit is set). */
struct ike_wire_attr {
	uint16_t type;  /* bit 15 AF (1 = TV); 14 = key length */
	uint16_t value; /* TV: the value; TLV: length of what follows */
} __attribute__((packed));

/* RFC 7296 3.4: key exchange payload body. */
struct ike_wire_ke {
	uint16_t group; /* DH group number */
	uint16_t reserved;
	/* key exchange data */
} __attribute__((packed));

/* RFC 7296 3.5: identification payload body. */
struct ike_wire_id {
	uint8_t type; /* enum ike_id_type */
	uint8_t reserved[3];
	/* identification data */
} __attribute__((packed));

/* RFC 7296 3.8: authentication payload body. */
struct ike_wire_auth {
	uint8_t method; /* enum ike_auth_method */
	uint8_t reserved[3];
	/* authentication data */
} __attribute__((packed));

/* RFC 7296 3.10: notify payload body. */
struct ike_wire_notify {
	uint8_t proto; /* 0, or IKE/ESP when an SPI is named */
	uint8_t spi_size;
	uint16_t type; /* enum ike_notify */
	               /* SPI, then notification data */
} __attribute__((packed));

/* RFC 7296 3.11: delete payload body. */
struct ike_wire_delete {
	uint8_t proto; /* IKE (spi_size 0, no SPIs) or ESP (spi_size 4) */
	uint8_t spi_size;
	uint16_t n_spis;
	/* SPIs */
} __attribute__((packed));

/* RFC 7296 3.13: traffic selector payload body and one selector. */
struct ike_wire_tsp {
	uint8_t n_ts;
	uint8_t reserved[3];
} __attribute__((packed));

struct ike_wire_ts {
	uint8_t type;    /* 7 = IPv4 range, 8 = IPv6 range */
	uint8_t proto;   /* IP protocol, 0 = any */
	uint16_t length; /* 16 (IPv4) or 40 (IPv6) */
	uint16_t port_lo, port_hi;
	/* start address, end address */
} __attribute__((packed));

/* RFC 7296 3.15: configuration payload body. */
struct ike_wire_cp {
	uint8_t type; /* CFG_REQUEST 1, CFG_REPLY 2, CFG_SET 3, CFG_ACK 4 */
	uint8_t reserved[3];
	/* attributes: 2-byte type (bit 15 reserved), 2-byte length, value */
} __attribute__((packed));

#define IKE_HDR_LEN        28
#define IKE_PLD_HDR_LEN    4
#define IKE_PLD_CRITICAL   0x80
#define IKE_VERSION        0x20
#define IKE_HDR_F_INIT     0x08 /* sender is the original initiator */
#define IKE_HDR_F_VERSION  0x10
#define IKE_HDR_F_RESPONSE 0x20
#define IKE_NON_ESP_MARKER 4 /* RFC 3948 2.2: four zero bytes on port 4500 */
#define IKE_ATTR_AF        0x8000
#define IKE_ATTR_KEYLEN    14

enum ike_exchange {
	IKE_X_SA_INIT = 34,
	IKE_X_AUTH = 35,
	IKE_X_CREATE_CHILD_SA = 36,
	IKE_X_INFORMATIONAL = 37,
};

enum ike_pld_type {
	IKE_PL_NONE = 0,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_IDI = 35,
	IKE_PL_IDR = 36,
	IKE_PL_CERT = 37,
	IKE_PL_CERTREQ = 38,
	IKE_PL_AUTH = 39,
	IKE_PL_NONCE = 40,
	IKE_PL_NOTIFY = 41,
	IKE_PL_DELETE = 42,
	IKE_PL_VENDOR = 43,
	IKE_PL_TSI = 44,
	IKE_PL_TSR = 45,
	IKE_PL_SK = 46,
	IKE_PL_CP = 47,
	IKE_PL_EAP = 48,
	IKE_PL_SKF = 53,
};

enum ike_proto {
	IKE_PROTO_NONE = 0,
	IKE_PROTO_IKE = 1,
	IKE_PROTO_AH = 2,
	IKE_PROTO_ESP = 3,
};

enum ike_xform_type {
	IKE_XF_ENCR = 1,
	IKE_XF_PRF = 2,
	IKE_XF_INTEG = 3,
	IKE_XF_DH = 4,
	IKE_XF_ESN = 5,
};

/* Transform IDs Cairn knows (IANA "IKEv2 Transform Type N"). */
enum {
	IKE_ENCR_AES_CBC = 12,
	IKE_ENCR_AES_GCM_16 = 20, /* RFC 4106 / RFC 5282, 16-byte ICV */
	IKE_PRF_HMAC_SHA2_256 = 5,
	IKE_PRF_HMAC_SHA2_384 = 6,
	IKE_PRF_HMAC_SHA2_512 = 7,
	IKE_INTEG_NONE = 0,
	IKE_INTEG_HMAC_SHA2_256_128 = 12,
	IKE_INTEG_HMAC_SHA2_384_192 = 13,
	IKE_INTEG_HMAC_SHA2_512_256 = 14,
	IKE_DH_NONE = 0,
	IKE_DH_MODP2048 = 14,
	IKE_DH_MODP3072 = 15,
	IKE_DH_MODP4096 = 16,
	IKE_DH_ECP256 = 19,
	IKE_DH_ECP384 = 20,
	IKE_DH_ECP521 = 21,
	IKE_DH_CURVE25519 = 31,
	IKE_ESN_NO = 0,
	IKE_ESN_YES = 1,
};

enum ike_id_type {
	IKE_ID_NONE = 0,
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822_ADDR = 3,
	IKE_ID_IPV6_ADDR = 5,
	IKE_ID_DER_ASN1_DN = 9,
	IKE_ID_DER_ASN1_GN = 10,
	IKE_ID_KEY_ID = 11,
};

enum ike_auth_method {
	IKE_AUTH_RSA = 1,
	IKE_AUTH_PSK = 2, /* shared key message integrity code */
	IKE_AUTH_DSS = 3,
};

enum ike_ts_type {
	IKE_TS_IPV4_RANGE = 7,
	IKE_TS_IPV6_RANGE = 8,
};

enum ike_notify {
	/* errors (RFC 7296 3.10.1) */
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_MAJOR_VERSION = 5,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_SINGLE_PAIR_REQUIRED = 34,
	IKE_N_NO_ADDITIONAL_SAS = 35,
	IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKE_N_FAILED_CP_REQUIRED = 37,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_INVALID_SELECTORS = 39,
	IKE_N_TEMPORARY_FAILURE = 43,
	IKE_N_CHILD_SA_NOT_FOUND = 44,
	IKE_N_ERROR_MAX = 16383,
	/* status */
	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_SET_WINDOW_SIZE = 16385,
	IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKE_N_IPCOMP_SUPPORTED = 16387,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_REKEY_SA = 16393,
	IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKE_N_MOBIKE_SUPPORTED = 16396,
	IKE_N_MULTIPLE_AUTH_SUPPORTED = 16404,
	IKE_N_REDIRECT_SUPPORTED = 16406,
	IKE_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
	IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,
};

#endif
