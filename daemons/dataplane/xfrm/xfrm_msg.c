/* SPDX-License-Identifier: MIT */
/*
 * xfrm_msg: building XFRM requests into fixed-size buffers and parsing
 * the kernel's SA, policy, acquire and expire messages (nlp.h readers).
 */
#include "xfrm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <string.h>

#include "banned.h"

#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif
/*
 * Largest replay bitmap the kernel accepts, in 32-bit words: verify_replay()
 * allows bmp_len <= XFRMA_REPLAY_ESN_MAX / sizeof(__u32) / 8 = 128, that is
 * a window of 4096 packets (not XFRMA_REPLAY_ESN_MAX bytes).
 */
#define XFRM_ESN_BMP_WORDS 128
#define XFRM_ESN_BMP_MAX   (XFRM_ESN_BMP_WORDS * 4)  /* bytes */
#define XFRM_WINDOW_MAX    (XFRM_ESN_BMP_WORDS * 32) /* packets */

void
xfrm_addr_from_dp(xfrm_address_t *xa, const struct dp_addr *a)
{
	memset(xa, 0, sizeof(*xa));
	if (a->family == AF_INET)
		memcpy(&xa->a4, &a->u.v4, 4);
	else if (a->family == AF_INET6)
		memcpy(xa->a6, &a->u.v6, 16);
}

void
xfrm_addr_to_dp(struct dp_addr *a, uint16_t family, const xfrm_address_t *xa)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		a->family = AF_INET;
		memcpy(&a->u.v4, &xa->a4, 4);
	} else if (family == AF_INET6) {
		a->family = AF_INET6;
		memcpy(&a->u.v6, xa->a6, 16);
	}
}

const char *
xfrm_enc_name(enum dp_enc enc)
{
	switch (enc) {
	case DP_ENC_AES_GCM_128:
	case DP_ENC_AES_GCM_256:
		return "rfc4106(gcm(aes))";
	case DP_ENC_AES_CBC_128:
	case DP_ENC_AES_CBC_256:
		return "cbc(aes)";
	}
	return NULL;
}

const char *
xfrm_integ_name(enum dp_integ integ)
{
	switch (integ) {
	case DP_INTEG_NONE:
		return NULL;
	case DP_INTEG_HMAC_SHA256_128:
		return "hmac(sha256)";
	case DP_INTEG_HMAC_SHA384_192:
		return "hmac(sha384)";
	case DP_INTEG_HMAC_SHA512_256:
		return "hmac(sha512)";
	}
	return NULL;
}

/* RFC 4868 2.3: the ICV is half the hash output. */
uint32_t
xfrm_integ_trunc_bits(enum dp_integ integ)
{
	switch (integ) {
	case DP_INTEG_NONE:
		return 0;
	case DP_INTEG_HMAC_SHA256_128:
		return 128;
	case DP_INTEG_HMAC_SHA384_192:
		return 192;
	case DP_INTEG_HMAC_SHA512_256:
		return 256;
	}
	return 0;
}

static bool
is_gcm(enum dp_enc enc)
{
	return enc == DP_ENC_AES_GCM_128 || enc == DP_ENC_AES_GCM_256;
}

static unsigned
enc_key_len(enum dp_enc enc)
{
	switch (enc) {
	case DP_ENC_AES_GCM_128:
		return 16 + 4; /* RFC 4106 8.1: key and 4-byte salt */
	case DP_ENC_AES_GCM_256:
		return 32 + 4;
	case DP_ENC_AES_CBC_128:
		return 16;
	case DP_ENC_AES_CBC_256:
		return 32;
	}
	return 0;
}

static unsigned
integ_key_len(enum dp_integ integ)
{
	return xfrm_integ_trunc_bits(integ) / 4; /* RFC 4868 2.1.1: key = hash size */
}

int
xfrm_sa_check(const struct dp_sa *sa, struct errbuf *err)
{
	const char *dir = sa->dir == DP_DIR_IN ? "inbound" : "outbound";

	if (xfrm_enc_name(sa->enc) == NULL)
		return errbuf_set(err, -EINVAL, "SA %08x: unknown encryption algorithm %d", sa->spi,
		    (int)sa->enc);
	if (sa->enc_key_len != enc_key_len(sa->enc) || sa->enc_key_len > DP_KEY_MAX)
		return errbuf_set(err, -EINVAL, "SA %08x: %s key is %u bytes, %s needs %u", sa->spi,
		    dir, sa->enc_key_len, xfrm_enc_name(sa->enc), enc_key_len(sa->enc));
	if (is_gcm(sa->enc) && sa->integ != DP_INTEG_NONE)
		return errbuf_set(err, -EINVAL,
		    "SA %08x: AES-GCM is an AEAD cipher and takes no integrity algorithm", sa->spi);
	if (!is_gcm(sa->enc)) {
		if (xfrm_integ_name(sa->integ) == NULL)
			return errbuf_set(
			    err, -EINVAL, "SA %08x: AES-CBC needs an integrity algorithm", sa->spi);
		if (sa->integ_key_len != integ_key_len(sa->integ))
			return errbuf_set(err, -EINVAL,
			    "SA %08x: integrity key is %u bytes, %s needs %u", sa->spi,
			    sa->integ_key_len, xfrm_integ_name(sa->integ),
			    integ_key_len(sa->integ));
	}
	if (sa->local.family != sa->remote.family ||
	    (sa->local.family != AF_INET && sa->local.family != AF_INET6))
		return errbuf_set(err, -EINVAL,
		    "SA %08x: local and remote gateway addresses must be of one family", sa->spi);
	if (sa->spi == 0)
		return errbuf_set(err, -EINVAL, "SA: SPI 0 is reserved (RFC 4303 2.1)");
	if (sa->df == DP_DF_SET)
		return errbuf_set(err, -EOPNOTSUPP,
		    "SA %08x: the kernel dataplane cannot force the DF bit (df-bit set); "
		    "use df-bit clear or copy, or security dataplane backend userspace",
		    sa->spi);
	if (sa->replay_window > XFRM_WINDOW_MAX)
		return errbuf_set(err, -EINVAL,
		    "SA %08x: replay window %u is larger than the kernel's %u; "
		    "use a smaller anti-replay-window-size or security dataplane backend "
		    "userspace",
		    sa->spi, sa->replay_window, XFRM_WINDOW_MAX);
	if ((sa->flags & DP_SA_ESN) && sa->dir == DP_DIR_IN && sa->replay_window == 0)
		return errbuf_set(err, -EOPNOTSUPP,
		    "SA %08x: the kernel cannot turn anti-replay off on an ESN SA", sa->spi);
	return 0;
}

static uint64_t
lim(uint64_t v)
{
	return v == 0 ? XFRM_LIFE_INF : v;
}

static void
lifetime_inf(struct xfrm_lifetime_cfg *l)
{
	l->soft_byte_limit = l->hard_byte_limit = XFRM_LIFE_INF;
	l->soft_packet_limit = l->hard_packet_limit = XFRM_LIFE_INF;
}

void
xfrm_lifetime_from_dp(struct xfrm_lifetime_cfg *l, const struct dp_lifetime *life)
{
	l->soft_byte_limit = lim(life->soft_bytes);
	l->hard_byte_limit = lim(life->hard_bytes);
	l->soft_packet_limit = lim(life->soft_packets);
	l->hard_packet_limit = lim(life->hard_packets);
	l->soft_add_expires_seconds = life->soft_seconds;
	l->hard_add_expires_seconds = life->hard_seconds;
}

int
xfrm_build_sa(uint8_t *buf, size_t cap, uint16_t type, const struct dp_sa *sa,
    const struct xfrm_sa_extra *x, struct errbuf *err)
{
	union {
		struct xfrm_algo_aead aead;
		struct xfrm_algo_auth auth;
		struct xfrm_algo crypt;
		uint8_t raw[sizeof(struct xfrm_algo_auth) + DP_KEY_MAX];
	} alg;
	union {
		struct xfrm_replay_state_esn esn;
		uint8_t raw[sizeof(struct xfrm_replay_state_esn) + XFRM_ESN_BMP_MAX];
	} rp;
	struct nlmsghdr *nlh;
	struct xfrm_usersa_info *xs;
	struct xfrm_encap_tmpl encap;
	bool in = sa->dir == DP_DIR_IN, esn_attr;
	uint32_t win, extra = 0;
	int rc;

	if ((rc = xfrm_sa_check(sa, err)) < 0)
		return rc;
	if (cap < XFRM_REQ_MAX)
		return -EMSGSIZE;
	memset(&alg, 0, sizeof(alg));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	xs = mnl_nlmsg_put_extra_header(nlh, sizeof(*xs));

	/* RFC 4303 tunnel mode: the SA carries any inner family. */
	xs->flags = XFRM_STATE_AF_UNSPEC;
	xs->family = sa->local.family;
	xs->mode = XFRM_MODE_TUNNEL;
	xs->reqid = x->reqid;
	xs->id.proto = IPPROTO_ESP;
	xs->id.spi = htonl(sa->spi);
	xfrm_addr_from_dp(&xs->id.daddr, in ? &sa->local : &sa->remote);
	xfrm_addr_from_dp(&xs->saddr, in ? &sa->remote : &sa->local);
	lifetime_inf(&xs->lft);
	if (sa->flags & DP_SA_HAS_LIFETIME)
		xfrm_lifetime_from_dp(&xs->lft, &sa->life);
	if (sa->df == DP_DF_CLEAR)
		xs->flags |= XFRM_STATE_NOPMTUDISC;
	if (sa->flags & DP_SA_ESN)
		xs->flags |= XFRM_STATE_ESN;

	/*
	 * Anti-replay: the legacy 32-bit window in the header, or the bitmap
	 * attribute for ESN and larger windows (the header field must be 0
	 * then). Outbound SAs keep no window; an ESN one still needs a
	 * non-zero window unless its direction is declared (per-CPU SAs).
	 */
	win = in ? sa->replay_window : 0;
	if (!in && (sa->flags & DP_SA_ESN) && !x->pcpu)
		win = 32;
	esn_attr = (sa->flags & DP_SA_ESN) || win > 32;
	if (!esn_attr)
		xs->replay_window = (uint8_t)win;
	else {
		size_t words = (win + 31) / 32;

		memset(&rp, 0, sizeof(rp));
		rp.esn.bmp_len = (unsigned)words;
		rp.esn.replay_window = win;
		if (!mnl_attr_put_check(
		        nlh, cap, XFRMA_REPLAY_ESN_VAL, sizeof(rp.esn) + words * 4, &rp)) {
			rc = -EMSGSIZE;
			goto out;
		}
	}

	if (is_gcm(sa->enc)) {
		snprintf(
		    alg.aead.alg_name, sizeof(alg.aead.alg_name), "%s", xfrm_enc_name(sa->enc));
		alg.aead.alg_key_len = sa->enc_key_len * 8u;
		alg.aead.alg_icv_len = 128; /* RFC 4106 8.1: 16-byte ICV */
		memcpy(alg.raw + sizeof(alg.aead), sa->enc_key, sa->enc_key_len);
		if (!mnl_attr_put_check(
		        nlh, cap, XFRMA_ALG_AEAD, sizeof(alg.aead) + sa->enc_key_len, &alg)) {
			rc = -EMSGSIZE;
			goto out;
		}
	} else {
		snprintf(
		    alg.crypt.alg_name, sizeof(alg.crypt.alg_name), "%s", xfrm_enc_name(sa->enc));
		alg.crypt.alg_key_len = sa->enc_key_len * 8u;
		memcpy(alg.raw + sizeof(alg.crypt), sa->enc_key, sa->enc_key_len);
		if (!mnl_attr_put_check(
		        nlh, cap, XFRMA_ALG_CRYPT, sizeof(alg.crypt) + sa->enc_key_len, &alg)) {
			rc = -EMSGSIZE;
			goto out;
		}
		explicit_bzero(&alg, sizeof(alg));
		snprintf(
		    alg.auth.alg_name, sizeof(alg.auth.alg_name), "%s", xfrm_integ_name(sa->integ));
		alg.auth.alg_key_len = sa->integ_key_len * 8u;
		alg.auth.alg_trunc_len = xfrm_integ_trunc_bits(sa->integ);
		memcpy(alg.raw + sizeof(alg.auth), sa->integ_key, sa->integ_key_len);
		if (!mnl_attr_put_check(nlh, cap, XFRMA_ALG_AUTH_TRUNC,
		        sizeof(alg.auth) + sa->integ_key_len, &alg)) {
			rc = -EMSGSIZE;
			goto out;
		}
	}

	if (sa->flags & DP_SA_HAS_ENCAP) {
		/* RFC 3948: ports as seen in this SA's direction. */
		memset(&encap, 0, sizeof(encap));
		encap.encap_type = UDP_ENCAP_ESPINUDP;
		encap.encap_sport = htons(in ? sa->encap_remote_port : sa->encap_local_port);
		encap.encap_dport = htons(in ? sa->encap_local_port : sa->encap_remote_port);
		if (!mnl_attr_put_check(nlh, cap, XFRMA_ENCAP, sizeof(encap), &encap)) {
			rc = -EMSGSIZE;
			goto out;
		}
	}
	if (!(sa->flags & DP_SA_COPY_DSCP))
		extra |= XFRM_SA_XFLAG_DONT_ENCAP_DSCP;
	if (extra && !mnl_attr_put_u32_check(nlh, cap, XFRMA_SA_EXTRA_FLAGS, extra)) {
		rc = -EMSGSIZE;
		goto out;
	}
	if (x->if_id && !mnl_attr_put_u32_check(nlh, cap, XFRMA_IF_ID, x->if_id)) {
		rc = -EMSGSIZE;
		goto out;
	}
	if (x->mark_m) {
		struct xfrm_mark m = { .v = x->mark_v, .m = x->mark_m };

		if (!mnl_attr_put_check(nlh, cap, XFRMA_MARK, sizeof(m), &m)) {
			rc = -EMSGSIZE;
			goto out;
		}
	}
	if (x->pcpu) {
		if (in) {
			rc = errbuf_set(
			    err, -EINVAL, "SA %08x: per-CPU SAs are outbound only", sa->spi);
			goto out;
		}
		if (!mnl_attr_put_u8_check(nlh, cap, XFRMA_SA_DIR, XFRM_SA_DIR_OUT) ||
		    !mnl_attr_put_u32_check(nlh, cap, XFRMA_SA_PCPU, x->cpu)) {
			rc = -EMSGSIZE;
			goto out;
		}
	}
	rc = (int)nlh->nlmsg_len;
out:
	explicit_bzero(&alg, sizeof(alg));
	return rc;
}

static struct xfrm_usersa_id *
put_sa_id(uint8_t *buf, uint16_t type, const struct dp_addr *dst, uint32_t spi)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct xfrm_usersa_id *id;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	xfrm_addr_from_dp(&id->daddr, dst);
	id->spi = htonl(spi);
	id->family = dst->family;
	id->proto = IPPROTO_ESP;
	return id;
}

int
xfrm_build_sa_id(uint8_t *buf, size_t cap, uint16_t type, const struct dp_addr *dst, uint32_t spi,
    uint32_t mark_v, uint32_t mark_m)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

	if (cap < XFRM_REQ_MAX)
		return -EMSGSIZE;
	if (dst->family != AF_INET && dst->family != AF_INET6)
		return -EINVAL;
	put_sa_id(buf, type, dst, spi);
	if (mark_m) {
		struct xfrm_mark m = { .v = mark_v, .m = mark_m };

		if (!mnl_attr_put_check(nlh, cap, XFRMA_MARK, sizeof(m), &m))
			return -EMSGSIZE;
	}
	return (int)nlh->nlmsg_len;
}

int
xfrm_build_sa_dump(uint8_t *buf, size_t cap)
{
	struct nlmsghdr *nlh;

	if (cap < XFRM_REQ_MAX)
		return -EMSGSIZE;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_GETSA;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP;
	if (!mnl_attr_put_u8_check(nlh, cap, XFRMA_PROTO, IPPROTO_ESP))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int
xfrm_build_allocspi(uint8_t *buf, size_t cap, const struct dp_addr *local,
    const struct dp_addr *remote, uint32_t reqid, uint32_t lo, uint32_t hi)
{
	struct nlmsghdr *nlh;
	struct xfrm_userspi_info *si;

	if (cap < XFRM_REQ_MAX)
		return -EMSGSIZE;
	if (local->family != remote->family ||
	    (local->family != AF_INET && local->family != AF_INET6) || lo == 0 || lo > hi)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_ALLOCSPI;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	si = mnl_nlmsg_put_extra_header(nlh, sizeof(*si));
	si->info.family = local->family;
	si->info.mode = XFRM_MODE_TUNNEL;
	si->info.reqid = reqid;
	si->info.id.proto = IPPROTO_ESP;
	xfrm_addr_from_dp(&si->info.id.daddr, local); /* inbound: to us */
	xfrm_addr_from_dp(&si->info.saddr, remote);
	lifetime_inf(&si->info.lft);
	si->min = lo;
	si->max = hi;
	return (int)nlh->nlmsg_len;
}

/* ------------------------------------------------------------ parsing */

/* An algorithm attribute: the fixed header copied out, the key's length
 * checked against what follows, the key itself never copied. */
static int
get_alg(const struct rd *a, size_t hdr_len, void *hdr)
{
	return nlp_get(a, hdr, hdr_len) ? 0 : -EBADMSG;
}

static int
check_key(const struct rd *a, size_t hdr_len, uint32_t key_bits)
{
	if (a->left < hdr_len || (a->left - hdr_len) < (key_bits + 7) / 8)
		return -EBADMSG;
	return 0;
}

static int
parse_sa_attrs(struct rd attrs, struct xfrm_sa_info *out)
{
	struct rd tb[XFRMA_CAIRN_MAX];

	if (nlp_attrs(attrs, tb, XFRMA_CAIRN_MAX) < 0)
		return -EBADMSG;
	if (nlp_has(tb, XFRMA_ALG_AEAD)) {
		struct xfrm_algo_aead a;

		if (get_alg(&tb[XFRMA_ALG_AEAD], sizeof(a), &a) < 0 ||
		    check_key(&tb[XFRMA_ALG_AEAD], sizeof(a), a.alg_key_len) < 0)
			return -EBADMSG;
		a.alg_name[sizeof(a.alg_name) - 1] = '\0';
		snprintf(out->aead, sizeof(out->aead), "%s", a.alg_name);
		out->aead_key_bits = a.alg_key_len;
		out->aead_icv_bits = a.alg_icv_len;
	}
	if (nlp_has(tb, XFRMA_ALG_CRYPT)) {
		struct xfrm_algo a;

		if (get_alg(&tb[XFRMA_ALG_CRYPT], sizeof(a), &a) < 0 ||
		    check_key(&tb[XFRMA_ALG_CRYPT], sizeof(a), a.alg_key_len) < 0)
			return -EBADMSG;
		a.alg_name[sizeof(a.alg_name) - 1] = '\0';
		snprintf(out->crypt, sizeof(out->crypt), "%s", a.alg_name);
		out->crypt_key_bits = a.alg_key_len;
	}
	if (nlp_has(tb, XFRMA_ALG_AUTH_TRUNC)) {
		struct xfrm_algo_auth a;

		if (get_alg(&tb[XFRMA_ALG_AUTH_TRUNC], sizeof(a), &a) < 0 ||
		    check_key(&tb[XFRMA_ALG_AUTH_TRUNC], sizeof(a), a.alg_key_len) < 0)
			return -EBADMSG;
		a.alg_name[sizeof(a.alg_name) - 1] = '\0';
		snprintf(out->auth, sizeof(out->auth), "%s", a.alg_name);
		out->auth_key_bits = a.alg_key_len;
		out->auth_trunc_bits = a.alg_trunc_len;
	} else if (nlp_has(tb, XFRMA_ALG_AUTH)) {
		struct xfrm_algo a;

		if (get_alg(&tb[XFRMA_ALG_AUTH], sizeof(a), &a) < 0 ||
		    check_key(&tb[XFRMA_ALG_AUTH], sizeof(a), a.alg_key_len) < 0)
			return -EBADMSG;
		a.alg_name[sizeof(a.alg_name) - 1] = '\0';
		snprintf(out->auth, sizeof(out->auth), "%s", a.alg_name);
		out->auth_key_bits = a.alg_key_len;
	}
	if (nlp_has(tb, XFRMA_ENCAP)) {
		if (!nlp_get(&tb[XFRMA_ENCAP], &out->encap, sizeof(out->encap)))
			return -EBADMSG;
		out->has_encap = true;
	}
	if (nlp_has(tb, XFRMA_REPLAY_ESN_VAL)) {
		struct rd c = tb[XFRMA_REPLAY_ESN_VAL];

		if (!rd_bytes(&c, &out->esn, sizeof(out->esn)) ||
		    out->esn.bmp_len > XFRM_ESN_BMP_WORDS || c.left < out->esn.bmp_len * 4u)
			return -EBADMSG;
		out->has_esn = true;
	}
	if (nlp_has(tb, XFRMA_REPLAY_VAL)) {
		if (!nlp_get(&tb[XFRMA_REPLAY_VAL], &out->replay, sizeof(out->replay)))
			return -EBADMSG;
		out->has_replay = true;
	}
	if (nlp_has(tb, XFRMA_IF_ID)) {
		if (!nlp_u32(&tb[XFRMA_IF_ID], &out->if_id))
			return -EBADMSG;
		out->has_if_id = true;
	}
	if (nlp_has(tb, XFRMA_SA_PCPU)) {
		if (!nlp_u32(&tb[XFRMA_SA_PCPU], &out->pcpu))
			return -EBADMSG;
		out->has_pcpu = true;
	}
	if (nlp_has(tb, XFRMA_SA_DIR)) {
		if (!nlp_u8(&tb[XFRMA_SA_DIR], &out->dir))
			return -EBADMSG;
		out->has_dir = true;
	}
	if (nlp_has(tb, XFRMA_MARK)) {
		if (!nlp_get(&tb[XFRMA_MARK], &out->mark, sizeof(out->mark)))
			return -EBADMSG;
		out->has_mark = true;
	}
	if (nlp_has(tb, XFRMA_SA_EXTRA_FLAGS) &&
	    !nlp_u32(&tb[XFRMA_SA_EXTRA_FLAGS], &out->extra_flags))
		return -EBADMSG;
	if (nlp_has(tb, XFRMA_LASTUSED) && !nlp_get(&tb[XFRMA_LASTUSED], &out->lastused, 8))
		return -EBADMSG;
	return 0;
}

static bool
family_ok(uint16_t f)
{
	return f == AF_INET || f == AF_INET6;
}

int
xfrm_parse_sa(struct rd payload, struct xfrm_sa_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!rd_bytes(&payload, &out->u, sizeof(out->u)))
		return -EBADMSG;
	if (!family_ok(out->u.family))
		return -EBADMSG;
	if (!rd_skip(&payload, NLP_ALIGN(sizeof(out->u)) - sizeof(out->u)))
		return -EBADMSG;
	return parse_sa_attrs(payload, out);
}

bool
xfrm_sa_is_acquire(const struct xfrm_sa_info *sa)
{
	return sa->u.id.spi == 0 && sa->u.seq != 0 && sa->aead[0] == '\0' && sa->crypt[0] == '\0' &&
	       sa->auth[0] == '\0';
}

/* Has at least `limit` seconds passed since `since` (both may be any u64)? */
static bool
secs_passed(uint64_t since, uint64_t limit, uint64_t now)
{
	return since <= now && now - since >= limit;
}

bool
xfrm_sa_soft_passed(const struct xfrm_sa_info *sa, uint64_t now)
{
	const struct xfrm_lifetime_cfg *l = &sa->u.lft;
	const struct xfrm_lifetime_cur *c = &sa->u.curlft;

	if (c->bytes >= l->soft_byte_limit || c->packets >= l->soft_packet_limit)
		return true;
	if (l->soft_add_expires_seconds != 0 &&
	    secs_passed(c->add_time, l->soft_add_expires_seconds, now))
		return true;
	return l->soft_use_expires_seconds != 0 && c->use_time != 0 &&
	       secs_passed(c->use_time, l->soft_use_expires_seconds, now);
}

int
xfrm_parse_expire(struct rd payload, struct xfrm_expire_info *out)
{
	struct xfrm_user_expire e;

	memset(out, 0, sizeof(*out));
	if (!rd_bytes(&payload, &e, sizeof(e)))
		return -EBADMSG;
	if (!family_ok(e.state.family))
		return -EBADMSG;
	out->sa.u = e.state;
	out->hard = e.hard != 0;
	if (!rd_skip(&payload, NLP_ALIGN(sizeof(e)) - sizeof(e)))
		return -EBADMSG;
	return parse_sa_attrs(payload, &out->sa);
}

/* ------------------------------------------------------------- policy */

void
xfrm_tmpl_esp(
    struct xfrm_user_tmpl *t, const struct dp_addr *src, const struct dp_addr *dst, uint32_t reqid)
{
	memset(t, 0, sizeof(*t));
	xfrm_addr_from_dp(&t->id.daddr, dst);
	xfrm_addr_from_dp(&t->saddr, src);
	t->id.proto = IPPROTO_ESP;
	t->family = dst->family;
	t->reqid = reqid;
	t->mode = XFRM_MODE_TUNNEL;
	t->aalgos = t->ealgos = t->calgos = ~0u;
}

static int
put_pol_attrs(struct nlmsghdr *nlh, size_t cap, const struct xfrm_pol *p)
{
	if (p->has_if_id && !mnl_attr_put_u32_check(nlh, cap, XFRMA_IF_ID, p->if_id))
		return -EMSGSIZE;
	if (p->has_mark && !mnl_attr_put_check(nlh, cap, XFRMA_MARK, sizeof(p->mark), &p->mark))
		return -EMSGSIZE;
	return 0;
}

int
xfrm_build_policy(uint8_t *buf, size_t cap, uint16_t type, const struct xfrm_pol *p)
{
	struct nlmsghdr *nlh;
	struct xfrm_userpolicy_info *pi;
	int rc;

	if (cap < XFRM_REQ_MAX)
		return -EMSGSIZE;
	if (p->n_tmpl > XFRM_TMPL_MAX)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	pi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pi));
	*pi = p->u;
	if (pi->lft.soft_byte_limit == 0 && pi->lft.hard_byte_limit == 0)
		lifetime_inf(&pi->lft);
	if (p->n_tmpl &&
	    !mnl_attr_put_check(nlh, cap, XFRMA_TMPL, p->n_tmpl * sizeof(p->tmpl[0]), p->tmpl))
		return -EMSGSIZE;
	if ((rc = put_pol_attrs(nlh, cap, p)) < 0)
		return rc;
	return (int)nlh->nlmsg_len;
}

int
xfrm_build_policy_id(uint8_t *buf, size_t cap, uint16_t type, const struct xfrm_pol *p)
{
	struct nlmsghdr *nlh;
	struct xfrm_userpolicy_id *id;
	int rc;

	if (cap < XFRM_REQ_MAX)
		return -EMSGSIZE;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	id->sel = p->u.sel;
	id->dir = p->u.dir;
	if ((rc = put_pol_attrs(nlh, cap, p)) < 0)
		return rc;
	return (int)nlh->nlmsg_len;
}

int
xfrm_build_policy_dump(uint8_t *buf, size_t cap)
{
	struct nlmsghdr *nlh;

	if (cap < XFRM_REQ_MAX)
		return -EMSGSIZE;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_GETPOLICY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP;
	return (int)nlh->nlmsg_len;
}

static int
get_tmpls(const struct rd *a, struct xfrm_user_tmpl *t, uint32_t *n)
{
	struct rd c = *a;

	if (c.left % sizeof(*t) != 0)
		return -EBADMSG;
	*n = 0;
	while (c.left > 0 && *n < XFRM_TMPL_MAX) {
		if (!rd_bytes(&c, &t[*n], sizeof(*t)))
			return -EBADMSG;
		(*n)++;
	}
	return 0;
}

int
xfrm_parse_policy(struct rd payload, struct xfrm_pol *out)
{
	struct rd tb[XFRMA_CAIRN_MAX];

	memset(out, 0, sizeof(*out));
	if (!rd_bytes(&payload, &out->u, sizeof(out->u)))
		return -EBADMSG;
	if (!rd_skip(&payload, NLP_ALIGN(sizeof(out->u)) - sizeof(out->u)))
		return -EBADMSG;
	if (out->u.dir > XFRM_POLICY_FWD)
		return -EBADMSG;
	if (nlp_attrs(payload, tb, XFRMA_CAIRN_MAX) < 0)
		return -EBADMSG;
	if (nlp_has(tb, XFRMA_TMPL) && get_tmpls(&tb[XFRMA_TMPL], out->tmpl, &out->n_tmpl) < 0)
		return -EBADMSG;
	if (nlp_has(tb, XFRMA_IF_ID)) {
		if (!nlp_u32(&tb[XFRMA_IF_ID], &out->if_id))
			return -EBADMSG;
		out->has_if_id = true;
	}
	if (nlp_has(tb, XFRMA_MARK)) {
		if (!nlp_get(&tb[XFRMA_MARK], &out->mark, sizeof(out->mark)))
			return -EBADMSG;
		out->has_mark = true;
	}
	return 0;
}

int
xfrm_parse_acquire(struct rd payload, struct xfrm_acquire_info *out)
{
	struct rd tb[XFRMA_CAIRN_MAX];

	memset(out, 0, sizeof(*out));
	if (!rd_bytes(&payload, &out->u, sizeof(out->u)))
		return -EBADMSG;
	if (!rd_skip(&payload, NLP_ALIGN(sizeof(out->u)) - sizeof(out->u)))
		return -EBADMSG;
	if (!family_ok(out->u.sel.family) && out->u.sel.family != AF_UNSPEC)
		return -EBADMSG;
	if (nlp_attrs(payload, tb, XFRMA_CAIRN_MAX) < 0)
		return -EBADMSG;
	if (nlp_has(tb, XFRMA_TMPL) && get_tmpls(&tb[XFRMA_TMPL], out->tmpl, &out->n_tmpl) < 0)
		return -EBADMSG;
	if (nlp_has(tb, XFRMA_IF_ID)) {
		if (!nlp_u32(&tb[XFRMA_IF_ID], &out->if_id))
			return -EBADMSG;
		out->has_if_id = true;
	}
	if (nlp_has(tb, XFRMA_SA_PCPU)) {
		if (!nlp_u32(&tb[XFRMA_SA_PCPU], &out->pcpu))
			return -EBADMSG;
		out->has_pcpu = true;
	}
	return 0;
}
