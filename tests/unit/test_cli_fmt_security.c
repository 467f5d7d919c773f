/* SPDX-License-Identifier: MIT */
/*
 * test_cli_fmt_security: the Junos layouts of cairn-iked's replies
 * (cli/fmt_security.c) against the device captures of reference §3: the
 * replies are canned JSON carrying the values of those captures, parsed
 * and validated as the shell receives them, and the text must match the
 * capture line for line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libyang/libyang.h>

#include "buf.h"
#include "cfg.h"
#include "fmt_security.h"
#include "ipc_msg.h"

static struct cfg_schema *schema;

static struct lyd_node *
reply(const char *json)
{
	struct lyd_node *op = NULL;
	struct errbuf err = { .msg = "" };

	errbuf_clear(&err);
	if (ipc_msg_parse(cfg_schema_ctx(schema), IPC_REPLY, (const uint8_t *)json, strlen(json),
	        NULL, NULL, &op, &err) != 0)
		fail_msg("reply: %s\n%s", err.msg, json);
	return op;
}

static void
check(int (*fn)(const struct lyd_node *, unsigned, struct buf *), unsigned flags, const char *json,
    const char *want)
{
	struct lyd_node *r = reply(json);
	struct buf b = BUF_INIT;

	assert_int_equal(fn(r, flags, &b), 0);
	if (strcmp(buf_str(&b) ? buf_str(&b) : "", want) != 0)
		fail_msg("got:\n%s\nwant:\n%s", buf_str(&b) ? buf_str(&b) : "", want);
	buf_free(&b);
	lyd_free_all(r);
	/* the long lists' JSON readers (no libyang tree) write the same text */
	if ((fn == secfmt_ike_sa && !(flags & SECFMT_DETAIL)) ||
	    (fn == secfmt_tunnel_dist && !(flags & SECFMT_SUMMARY))) {
		int (*jfn)(const char *, size_t, unsigned, struct buf *) =
		    fn == secfmt_ike_sa ? secfmt_ike_sa_json : secfmt_tunnel_dist_json;

		assert_int_equal(jfn(json, strlen(json), flags, &b), 0);
		if (strcmp(buf_str(&b) ? buf_str(&b) : "", want) != 0)
			fail_msg("JSON reader got:\n%s\nwant:\n%s", buf_str(&b) ? buf_str(&b) : "",
			    want);
		buf_free(&b);
	}
}

#define SECST "cairn-security-state:"

/* The JSON readers: escapes, members they skip, and what they refuse. */
static void
test_json_rows(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"{\"" SECST
		"get-ipsec-tunnel-distribution\":{\"ipsec-tunnel-distribution-block\":[{",
		"{\"" SECST
		"get-ipsec-tunnel-distribution\":{\"ipsec-tunnel-distribution-block\":[1]}}",
		"{\"" SECST "get-ipsec-tunnel-distribution\":{}} trailing",
		"{\"" SECST "get-ipsec-tunnel-distribution\":{\"x\":\"\\q\"}}",
		"{\"" SECST "get-ipsec-tunnel-distribution\":{\"x\":\"\\u12\"}}",
		"{\"" SECST
		"get-ipsec-tunnel-distribution\":{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		"[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}",
		NULL,
	};
	static const char doc[] =
	    "{\"" SECST "get-ipsec-tunnel-distribution\":{\"other\":{\"a\":[1,{\"b\":null}]},"
	    "\"ipsec-tunnel-distribution-block\":[{\"sa-tunnel-id\":131073,\"ipsec-spu\":\"-\","
	    "\"sa-tunnel-state\":\"down\",\"extra\":[true,false],\"sa-vpn-name\":"
	    "\"v\\u00e9\\ud83d\\ude00\\\"x\\\\\",\"sa-gateway-name\":\"g\\/1\","
	    "\"sa-remote-gateway\":\"192.0.2.2\",\"sa-tunnel-type\":\"site-to-site\"}]}}";
	struct buf b = BUF_INIT;
	const char *const *p;

	(void)state;
	for (p = bad; *p; p++) {
		assert_int_equal(secfmt_tunnel_dist_json(*p, strlen(*p), 0, &b), -EBADMSG);
		assert_int_equal(b.len, 0);
	}
	/* escapes decoded, unknown members (nested too) skipped */
	assert_int_equal(secfmt_tunnel_dist_json(doc, strlen(doc), 0, &b), 0);
	assert_string_equal(buf_str(&b),
	    "Tunnel ID   SPU   State  Type          Remote Gateway     Gateway Name      VPN\n"
	    "131073      -     down   site-to-site  192.0.2.2          g/1               "
	    "v\xc3\xa9\xf0\x9f\x98\x80\"x\\\n");
	buf_free(&b);
}

static void
test_ike_sa(void **state)
{
	(void)state;
	/* reference §3.1 (vSRX capture) */
	check(secfmt_ike_sa, 0,
	    "{\"" SECST
	    "get-ike-security-associations-information\":{\"ike-security-associations\":["
	    "{\"ike-sa-index\":3126079,\"ike-sa-state\":\"UP\",\"ike-sa-initiator-cookie\":"
	    "\"acc688c41a029562\",\"ike-sa-responder-cookie\":\"6c4de2ff1014f7e1\","
	    "\"ike-sa-exchange-type\":\"IKEv2\",\"ike-sa-remote-address\":\"10.10.10.102\"},"
	    "{\"ike-sa-index\":3126078,\"ike-sa-state\":\"UP\",\"ike-sa-initiator-cookie\":"
	    "\"e4ba2d43cfadf3c2\",\"ike-sa-responder-cookie\":\"185a67bf1af52101\","
	    "\"ike-sa-exchange-type\":\"IKEv2\",\"ike-sa-remote-address\":\"10.10.10.101\"}]}}",
	    "Index   State  Initiator cookie  Responder cookie  Mode           Remote Address\n"
	    "3126079 UP     acc688c41a029562  6c4de2ff1014f7e1  IKEv2          10.10.10.102\n"
	    "3126078 UP     e4ba2d43cfadf3c2  185a67bf1af52101  IKEv2          10.10.10.101\n");
	/* no IKE SA: nothing, as Junos */
	check(secfmt_ike_sa, 0, "{\"" SECST "get-ike-security-associations-information\":{}}", "");
}

static void
test_ipsec_sa(void **state)
{
	(void)state;
	/* reference §3.3 (iked, vSRX 23.4) */
	check(secfmt_ipsec_sa, 0,
	    "{\"" SECST "get-security-associations-information\":{\"total-active-tunnels\":1,"
	    "\"total-ipsec-sas\":1,\"ipsec-security-associations-block\":[{\"sa-tunnel-index\":"
	    "17277221,\"ipsec-security-associations\":["
	    "{\"sa-direction\":\"inbound\",\"sa-tunnel-index\":17277221,\"sa-spi\":\"b438b7dc\","
	    "\"sa-protocol\":\"ESP\",\"sa-esp-encryption-algorithm\":\"aes-gcm-256\","
	    "\"sa-hmac-algorithm\":\"aes256-gcm\",\"sa-hard-lifetime\":\"3213\","
	    "\"sa-lifesize-remaining\":\"unlim\",\"sa-vpn-monitoring-state\":\"-\","
	    "\"sa-virtual-system\":\"root\",\"sa-port\":500,\"sa-remote-gateway\":\"100.64.50.21\"}"
	    ","
	    "{\"sa-direction\":\"outbound\",\"sa-tunnel-index\":17277221,\"sa-spi\":\"c1ada161\","
	    "\"sa-protocol\":\"ESP\",\"sa-esp-encryption-algorithm\":\"aes-gcm-256\","
	    "\"sa-hmac-algorithm\":\"aes256-gcm\",\"sa-hard-lifetime\":\"28565\","
	    "\"sa-lifesize-remaining\":\"unlim\",\"sa-vpn-monitoring-state\":\"-\","
	    "\"sa-virtual-system\":\"root\",\"sa-port\":500,\"sa-remote-gateway\":\"100.64.50.21\"}"
	    "]}]}}",
	    "  Total active tunnels: 1     Total IPsec sas: 1\n"
	    "  ID      Algorithm       SPI      Life:sec/kb  Mon lsys Port  Gateway\n"
	    "  <17277221 ESP:aes-gcm-256/aes256-gcm 0xb438b7dc 3213/ unlim - root 500 "
	    "100.64.50.21\n"
	    "  >17277221 ESP:aes-gcm-256/aes256-gcm 0xc1ada161 28565/unlim - root 500 "
	    "100.64.50.21\n");
	check(secfmt_ipsec_sa, 0,
	    "{\"" SECST "get-security-associations-information\":{\"total-active-tunnels\":0,"
	    "\"total-ipsec-sas\":0}}",
	    "  Total active tunnels: 0     Total IPsec sas: 0\n");
}

/* Cairn's detail layout (Junos's fields) with the per-SA dataplane counters:
 * packets and bytes both ways, selector drops on the inbound SA only. */
static void
test_ipsec_sa_detail(void **state)
{
	(void)state;
	check(secfmt_ipsec_sa, SECFMT_DETAIL,
	    "{\"" SECST "get-security-associations-information\":{\"total-active-tunnels\":1,"
	    "\"total-ipsec-sas\":1,\"ipsec-security-associations-block\":[{"
	    "\"sa-tunnel-index\":65537,\"sa-block-state\":\"up\",\"sa-virtual-system\":\"root\","
	    "\"sa-vpn-name\":\"m1\",\"sa-local-gateway\":\"192.0.2.1\","
	    "\"sa-remote-gateway\":\"192.0.2.2\",\"sa-port\":500,"
	    "\"sa-local-identity\":\"ipv4_subnet(any:0,[0..7]=0.0.0.0/0)\","
	    "\"sa-remote-identity\":\"ipv4_subnet(any:0,[0..7]=0.0.0.0/0)\","
	    "\"sa-ts-type\":\"proxy-id\",\"sa-ike-version\":\"Manual\",\"sa-pfs-group\":\"N/A\","
	    "\"sa-packet-encapsulation\":\"None\",\"sa-df-bit\":\"clear\","
	    "\"sa-copy-outer-dscp\":\"Disabled\",\"sa-bind-interface\":\"st0.0\","
	    "\"sa-tunnel-establishment\":\"N/A\",\"sa-nego-count\":0,\"sa-fail-count\":0,"
	    "\"sa-def-del-count\":0,\"sa-pair-spu\":1,\"ipsec-security-associations\":[{"
	    "\"sa-direction\":\"inbound\",\"sa-spi\":\"0000012c\",\"sa-aux-spi\":0,"
	    "\"sa-vpn-monitoring-state\":\"-\",\"sa-hard-lifetime\":\"unlim\","
	    "\"sa-soft-lifetime\":\"unlim\",\"sa-lifesize-remaining\":\"unlim\","
	    "\"sa-type\":\"manual\",\"sa-state\":\"installed\",\"sa-protocol\":\"ESP\","
	    "\"sa-hmac-algorithm\":\"hmac-sha256-128\",\"sa-esp-encryption-algorithm\":"
	    "\"aes-cbc-256\",\"sa-encryption-key-bits\":256,\"sa-anti-replay-service\":"
	    "\"disabled\",\"sa-esn\":\"Disabled\",\"sa-ike-sa-index\":0,\"sa-packets\":\"40\","
	    "\"sa-bytes\":\"3360\",\"sa-selector-drops\":\"2\"},{"
	    "\"sa-direction\":\"outbound\",\"sa-spi\":\"0000012c\",\"sa-aux-spi\":0,"
	    "\"sa-vpn-monitoring-state\":\"-\",\"sa-hard-lifetime\":\"28000\","
	    "\"sa-soft-lifetime\":\"27000\",\"sa-lifesize-remaining\":\"1000\","
	    "\"sa-type\":\"manual\",\"sa-state\":\"installed\",\"sa-protocol\":\"ESP\","
	    "\"sa-hmac-algorithm\":\"hmac-sha256-128\",\"sa-esp-encryption-algorithm\":"
	    "\"aes-cbc-256\",\"sa-encryption-key-bits\":256,\"sa-anti-replay-service\":"
	    "\"disabled\",\"sa-esn\":\"Disabled\",\"sa-ike-sa-index\":0,\"sa-packets\":\"41\","
	    "\"sa-bytes\":\"3444\"}]}]}}",
	    "ID: 65537 Virtual-system: root, VPN Name: m1\n"
	    "  Local Gateway: 192.0.2.1, Remote Gateway: 192.0.2.2\n"
	    "  Local Identity: ipv4_subnet(any:0,[0..7]=0.0.0.0/0)\n"
	    "  Remote Identity: ipv4_subnet(any:0,[0..7]=0.0.0.0/0)\n"
	    "  TS Type: proxy-id\n"
	    "  Version: Manual\n"
	    "  PFS group: N/A, Packet Encapsulation: None, Dest port: 0\n"
	    "  DF-bit: clear, Copy-Outer-DSCP: Disabled, Bind-interface: st0.0\n"
	    "  Port: 500, Nego#: 0, Fail#: 0, Def-Del#: 0 Flag: 0\n"
	    "  Location: SPU 1\n"
	    "  Direction: inbound, SPI: 0x0000012c, AUX-SPI: 0\n"
	    "                              , VPN Monitoring: -\n"
	    "    Hard lifetime: Unlimited\n"
	    "    Lifesize Remaining:  Unlimited\n"
	    "    Soft lifetime: Unlimited\n"
	    "    Mode: Tunnel(0 0), Type: manual, State: installed\n"
	    "    Protocol: ESP, Authentication: hmac-sha256-128, Encryption: aes-cbc (256 bits)\n"
	    "    Anti-replay service: disabled\n"
	    "    Extended-Sequence-Number: Disabled\n"
	    "    tunnel-establishment: N/A\n"
	    "    IKE SA Index: 0\n"
	    "    Packets: 40, Bytes: 3360\n"
	    "    Selector drops: 2\n"
	    "  Direction: outbound, SPI: 0x0000012c, AUX-SPI: 0\n"
	    "                              , VPN Monitoring: -\n"
	    "    Hard lifetime: Expires in 28000 seconds\n"
	    "    Lifesize Remaining:  1000 kilobytes\n"
	    "    Soft lifetime: Expires in 27000 seconds\n"
	    "    Mode: Tunnel(0 0), Type: manual, State: installed\n"
	    "    Protocol: ESP, Authentication: hmac-sha256-128, Encryption: aes-cbc (256 bits)\n"
	    "    Anti-replay service: disabled\n"
	    "    Extended-Sequence-Number: Disabled\n"
	    "    tunnel-establishment: N/A\n"
	    "    IKE SA Index: 0\n"
	    "    Packets: 41, Bytes: 3444\n");
}

static void
test_stats(void **state)
{
	(void)state;
	/* reference §3.5 (MX capture) */
	check(secfmt_ipsec_stats, 0,
	    "{\"" SECST "get-ipsec-statistics-information\":{\"esp-encrypted-bytes\":\"19718998\","
	    "\"esp-decrypted-bytes\":\"0\",\"esp-encrypted-packets\":\"39917\","
	    "\"esp-decrypted-packets\":\"0\",\"ah-input-bytes\":\"0\",\"ah-output-bytes\":\"0\","
	    "\"ah-input-packets\":\"0\",\"ah-output-packets\":\"0\","
	    "\"ah-authentication-failures\":\"0\",\"replay-errors\":\"0\","
	    "\"esp-authentication-failures\":\"0\",\"esp-decryption-failures\":\"0\","
	    "\"bad-headers\":\"0\",\"bad-trailers\":\"0\"}}",
	    "ESP Statistics:\n"
	    "  Encrypted bytes:         19718998\n"
	    "  Decrypted bytes:                0\n"
	    "  Encrypted packets:          39917\n"
	    "  Decrypted packets:              0\n"
	    "AH Statistics:\n"
	    "  Input bytes:                    0\n"
	    "  Output bytes:                   0\n"
	    "  Input packets:                  0\n"
	    "  Output packets:                 0\n"
	    "Errors:\n"
	    "  AH authentication failures: 0, Replay errors: 0\n"
	    "  ESP authentication failures: 0, ESP decryption failures: 0\n"
	    "  Bad headers: 0, Bad trailers: 0\n");
	/* the whole dataplane's view: the SPUs' own drop counters follow */
	check(secfmt_ipsec_stats, 0,
	    "{\"" SECST "get-ipsec-statistics-information\":{\"esp-encrypted-bytes\":\"0\","
	    "\"replay-errors\":\"2\",\"unknown-spi\":\"3\",\"no-sa-drops\":\"11\","
	    "\"no-route-drops\":\"12\",\"mtu-drops\":\"300\",\"other-drops\":\"14\","
	    "\"frag-drops\":\"2\",\"frag-resent\":\"20\",\"selector-drops\":\"5\",\"icmp-"
	    "suppressed\":\"250\",\"event-drops\":\"7\"}}",
	    "ESP Statistics:\n"
	    "  Encrypted bytes:                0\n"
	    "  Decrypted bytes:                0\n"
	    "  Encrypted packets:              0\n"
	    "  Decrypted packets:              0\n"
	    "AH Statistics:\n"
	    "  Input bytes:                    0\n"
	    "  Output bytes:                   0\n"
	    "  Input packets:                  0\n"
	    "  Output packets:                 0\n"
	    "Errors:\n"
	    "  AH authentication failures: 0, Replay errors: 2\n"
	    "  ESP authentication failures: 0, ESP decryption failures: 0\n"
	    "  Bad headers: 0, Bad trailers: 0\n"
	    "Dataplane:\n"
	    "  Unknown SPI:                    3\n"
	    "  No SA drops:                   11\n"
	    "  No route drops:                12\n"
	    "  MTU drops:                    300\n"
	    "  Other drops:                   14\n"
	    "  Fragment drops:                 2\n"
	    "  Fragments sent in clear:       20\n"
	    "  Selector drops:                 5\n"
	    "  ICMP errors suppressed:       250\n"
	    "  Event drops:                    7\n");
	/* one tunnel's view (index N): its SAs' selector drops, no SPU counter */
	check(secfmt_ipsec_stats, 0,
	    "{\"" SECST "get-ipsec-statistics-information\":{\"esp-encrypted-bytes\":\"0\","
	    "\"unknown-spi\":\"0\",\"selector-drops\":\"9\"}}",
	    "ESP Statistics:\n"
	    "  Encrypted bytes:                0\n"
	    "  Decrypted bytes:                0\n"
	    "  Encrypted packets:              0\n"
	    "  Decrypted packets:              0\n"
	    "AH Statistics:\n"
	    "  Input bytes:                    0\n"
	    "  Output bytes:                   0\n"
	    "  Input packets:                  0\n"
	    "  Output packets:                 0\n"
	    "Errors:\n"
	    "  AH authentication failures: 0, Replay errors: 0\n"
	    "  ESP authentication failures: 0, ESP decryption failures: 0\n"
	    "  Bad headers: 0, Bad trailers: 0\n"
	    "Dataplane:\n"
	    "  Selector drops:                 9\n");
}

static void
test_inactive(void **state)
{
	(void)state;
	/* reference §3.10 (vSRX capture) */
	check(secfmt_inactive, 0,
	    "{\"" SECST "get-ipsec-inactive-tunnels\":{\"total-inactive-tunnels\":1,"
	    "\"total-inactive-tunnels-establish-immediately\":1,\"ipsec-inactive-tunnel\":[{"
	    "\"sa-tunnel-index\":131073,\"sa-port\":500,\"sa-remote-gateway\":\"128.168.104.229\","
	    "\"sa-pending-sas\":1,\"sa-tunnel-down-reason\":\"No response from peer. Negotiation "
	    "failed\",\"sa-tunnel-down-count\":130}]}}",
	    "  Total inactive tunnels: 1\n"
	    "  Total inactive tunnels with establish immediately: 1\n"
	    "  ID           Port   Gateway          Pending SAs   Tunnel Down Reason\n"
	    "  131073       500    128.168.104.229  1             No response from peer. "
	    "Negotiation "
	    "failed (130 times)\n");
	check(secfmt_inactive, 0,
	    "{\"" SECST "get-ipsec-inactive-tunnels\":{\"total-inactive-tunnels\":0,"
	    "\"total-inactive-tunnels-establish-immediately\":0}}",
	    "  Total inactive tunnels: 0\n"
	    "  Total inactive tunnels with establish immediately: 0\n");
}

static void
test_next_hop_tunnels(void **state)
{
	(void)state;
	/* reference §3.13 (Junos 9.3 command reference); Cairn has no Auto */
	check(secfmt_next_hop_tunnels, 0,
	    "{\"" SECST "get-ipsec-next-hop-tunnels\":{\"ipsec-next-hop-tunnel\":[{"
	    "\"interface-name\":\"st0.0\",\"next-hop-gateway\":\"11.1.1.2\","
	    "\"ipsec-vpn-name\":\"autokey\",\"flag\":\"Static\",\"tunnels-up\":1},{"
	    "\"interface-name\":\"st0.12\",\"next-hop-gateway\":\"2001:db8::1:2\","
	    "\"ipsec-vpn-name\":\"v6-spoke\",\"flag\":\"Static\",\"tunnels-up\":0}]}}",
	    "Next-hop gateway  interface   IPsec VPN name                    Flag\n"
	    "11.1.1.2          st0.0       autokey                           Static\n"
	    "2001:db8::1:2     st0.12      v6-spoke                          Static\n");
	/* no multipoint unit: the heading alone */
	check(secfmt_next_hop_tunnels, 0, "{\"" SECST "get-ipsec-next-hop-tunnels\":{}}",
	    "Next-hop gateway  interface   IPsec VPN name                    Flag\n");
}

static void
test_terse_route_peer(void **state)
{
	(void)state;
	/* reference §3.9 */
	check(secfmt_interfaces, SECFMT_TERSE | SECFMT_DETAIL,
	    "{\"" SECST "get-interface-information\":{\"physical-interface\":[{\"name\":\"st0\","
	    "\"admin-status\":\"up\",\"oper-status\":\"up\",\"logical-interface\":[{\"name\":"
	    "\"st0.0\",\"admin-status\":\"up\",\"oper-status\":\"up\",\"address-family\":[{"
	    "\"address-family-name\":\"inet\",\"ifa-local\":[\"10.255.255.2/30\"]}]}]}]}}",
	    "Interface               Admin Link Proto    Local                 Remote\n"
	    "st0.0                   up    up   inet     10.255.255.2/30\n");
	/* reference §3.13 */
	check(secfmt_route, 0,
	    "{\"" SECST "get-route-information\":{\"route-table\":[{\"table-name\":\"inet.0\","
	    "\"destination-count\":1,\"total-route-count\":1,\"active-route-count\":1,\"rt\":[{"
	    "\"rt-destination\":\"172.16.0.1/32\",\"rt-entry\":[{\"active-tag\":\"*\","
	    "\"protocol-name\":\"ARI-TS\",\"preference\":5,\"metric\":5,\"age\":543,"
	    "\"via\":\"st0.0\"}]}]}]}}",
	    "inet.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)\n"
	    "+ = Active Route, - = Last Active, * = Both\n\n"
	    "172.16.0.1/32      *[ARI-TS/5] 00:09:03, metric 5\n"
	    "                    >  via st0.0\n");
	/* reference §3.11 (vSRX 23.4 with iked) */
	check(secfmt_active_peer, 0,
	    "{\"" SECST "get-ike-active-peer-information\":{\"ike-active-peer\":[{"
	    "\"ike-sa-remote-address\":\"100.64.50.21\",\"ike-sa-remote-port\":500,\"ike-ike-id\":"
	    "\"spoke-01.autovpn-01.domain\"}]}}",
	    "Remote Address                      Port     Peer IKE-ID\n"
	    "100.64.50.21                        500      spoke-01.autovpn-01.domain\n");
}

static void
test_cairn_layouts(void **state)
{
	(void)state;
	/* docs/iked.md §12.1: Cairn's own layouts */
	check(secfmt_tunnel_map, 0,
	    "{\"" SECST "get-ike-tunnel-map-information\":{\"iked-tunnel-map\":[{\"gateway-id\":1,"
	    "\"gateway-name\":\"gw-vpn1\",\"gateway-type\":\"site-to-site\",\"spu-id\":\"0\","
	    "\"ike-sa-count\":1,\"tunnel-count\":1}]}}",
	    "Gateway ID  Gateway Name                      Type          SPU   IKE SAs  Tunnels\n"
	    "1           gw-vpn1                           site-to-site  0     1        1\n");
	check(secfmt_tunnel_map, SECFMT_SUMMARY,
	    "{\"" SECST "get-ike-tunnel-map-information\":{\"iked-tunnel-map-summary\":[{"
	    "\"spu-id\":0,\"spu-tunnels\":3,\"spu-flow-threads\":2,\"spu-load\":\"1.5\","
	    "\"spu-gateways\":2}]}}",
	    "SPU   Flow threads  Tunnels   Load      Gateways\n"
	    "0     2             3         1.5       2\n");
	check(secfmt_tunnel_dist, 0,
	    "{\"" SECST "get-ipsec-tunnel-distribution\":{\"ipsec-tunnel-distribution-block\":[{"
	    "\"sa-tunnel-id\":65537,\"ipsec-spu\":\"1\",\"sa-tunnel-state\":\"up\","
	    "\"sa-vpn-name\":\"m1\",\"sa-gateway-name\":\"\",\"sa-remote-gateway\":\"192.0.2.3\","
	    "\"sa-tunnel-type\":\"manual\"}]}}",
	    "Tunnel ID   SPU   State  Type          Remote Gateway     Gateway Name      VPN\n"
	    "65537       1     up     manual        192.0.2.3          -                 m1\n");
	check(secfmt_tunnel_dist, SECFMT_SUMMARY,
	    "{\"" SECST
	    "get-ipsec-tunnel-distribution\":{\"ipsec-tunnel-distribution-summary-block\":"
	    "[{\"ipsec-spu\":0,\"ipsec-spu-number-of-tunnels\":3,\"ipsec-spu-flow-threads\":1,"
	    "\"ipsec-spu-load\":\"3.0\",\"ipsec-spu-encrypted-packets\":\"1200\","
	    "\"ipsec-spu-decrypted-packets\":\"1100\",\"ipsec-spu-handoffs\":\"7\","
	    "\"ipsec-spu-key-misses\":\"5\",\"ipsec-spu-key-evictions\":\"2\","
	    "\"ipsec-spu-keys-held\":3}]}}",
	    "SPU   Flow threads  Tunnels   Load      Encrypted pkts    Decrypted pkts    Handoffs\n"
	    "0     1             3         3.0       1200              1100              7\n"
	    "\n"
	    "SPU   Keys held  Key misses        Key evictions\n"
	    "0     3          5                 2\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ike_sa),
		cmocka_unit_test(test_ipsec_sa),
		cmocka_unit_test(test_ipsec_sa_detail),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_inactive),
		cmocka_unit_test(test_next_hop_tunnels),
		cmocka_unit_test(test_terse_route_peer),
		cmocka_unit_test(test_cairn_layouts),
		cmocka_unit_test(test_json_rows),
	};
	const char *dir = getenv("CAIRN_YANG_DIR");
	struct errbuf err = { .msg = "" };
	int rc;

	errbuf_clear(&err);
	schema = cfg_schema_load(dir && *dir ? dir : "yang", &err);
	if (!schema) {
		fprintf(stderr, "schema: %s\n", err.msg);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	cfg_schema_free(schema);
	return rc;
}
