/* SPDX-License-Identifier: MIT */
/*
 * ike-setup-inproc: IKE+CHILD SA setup cost, two engines in one process on
 * the in-process network of tests/unit/ike_harness.c (no sockets, no
 * dataplane work: the mock records SAs). N dial-up spokes (PSK, ECP256,
 * AES-GCM-128 for IKE and ESP) on one side each bring up one tunnel to one
 * dial-up gateway on the other. Prints the responder's and the initiator's
 * CPU time per IKE+CHILD SA, the time to bring all up, and the heap used
 * per tunnel on the responder (engine and configuration; the mock
 * dataplane's own copies excluded). Not a test: a benchmark.
 *
 *   ike-setup-inproc [N] [--mock-log]         (N: default 1000)
 *
 * The mock dataplanes do not log their calls (dp_mock_log_calls): a log
 * entry is about 1.2 KB written for every call, some 12% of the CPU the
 * engines were charged per SA. --mock-log keeps the log, as figures
 * measured before 2026-11-27 had it.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike_harness.h"

static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
heap(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

int
main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000, i;
	bool mock_log = argc > 2 && strcmp(argv[2], "--mock-log") == 0;
	struct net *net = net_new();
	struct peer *hub, *spokes;
	struct pcfg h = { .establish = IKE_EST_RESPONDER_ONLY,
		.dynamic = true,
		.dyn_kind = IKE_IDK_HOSTNAME,
		.dyn_id = ".bench.example",
		.user_type = IKE_USER_GROUP_IKE_ID,
		.ts_local = "172.16.0.0/12",
		.ts_remote = "10.0.0.0/8",
		.esp_life = 3600,
		.ike_life = 28800 };
	struct ike_engine_stats st;
	size_t h0, h1, mock;
	double t0, t1;
	unsigned up;

	if (n == 0)
		n = 1;
	/* The hub is created first so that its heap is measured apart. */
	hub = net_peer(net, "hub", "198.51.100.1", 1, NULL);
	spokes = net_peer(net, "spokes", "192.0.2.1", 2, NULL);
	dp_mock_log_calls(hub->dp, mock_log);
	dp_mock_log_calls(spokes->dp, mock_log);
	if (peer_configure(hub, &h) < 0)
		return 1;
	/* One spoke gateway and VPN per tunnel, each with its own IKE-ID. */
	for (i = 0; i < n; i++) {
		char gw[32], vpn[32], id[64], ts[32];
		struct pcfg c = { .establish = IKE_EST_ON_TRAFFIC,
			.peer_addr = "198.51.100.1",
			.local_id_kind = IKE_IDK_HOSTNAME,
			.ts_remote = "172.16.0.0/12" };

		snprintf(gw, sizeof(gw), "g%u", i);
		snprintf(vpn, sizeof(vpn), "v%u", i);
		snprintf(id, sizeof(id), "s%u.bench.example", i);
		snprintf(ts, sizeof(ts), "10.%u.%u.0/24", (i >> 8) & 0xff, i & 0xff);
		c.gw = gw;
		c.vpn = vpn;
		c.local_id = id;
		c.ts_local = ts;
		/* Build the configuration mirror; apply it once at the end. */
		{
			struct ike_conf_ike_proposal *ip =
			    ike_conf_add_ike_proposal(spokes->conf, gw);
			struct ike_conf_ike_policy *pol = ike_conf_add_ike_policy(spokes->conf, gw);
			struct ike_conf_gateway *g = ike_conf_add_gateway(spokes->conf, gw);
			struct ike_conf_ipsec_proposal *ep =
			    ike_conf_add_ipsec_proposal(spokes->conf, vpn);
			struct ike_conf_ipsec_policy *ipol =
			    ike_conf_add_ipsec_policy(spokes->conf, vpn);
			struct ike_conf_vpn *v = ike_conf_add_vpn(spokes->conf, vpn);
			struct ike_conf_ts *t;

			ip->dh_group = 19;
			ip->enc = IKE_CE_AES128_GCM;
			snprintf(pol->proposals[0], sizeof(pol->proposals[0]), "%s", gw);
			pol->n_proposals = 1;
			ike_conf_set_key(&pol->psk, false, "s3cret");
			snprintf(g->ike_policy, sizeof(g->ike_policy), "%s", gw);
			ike_conf_gateway_add_address(g, c.peer_addr);
			ike_conf_set_str(&g->local_address, "192.0.2.1");
			ike_conf_set_id(&g->local_id, IKE_IDK_HOSTNAME, id);
			ep->enc = IKE_CE_AES128_GCM;
			snprintf(ipol->proposals[0], sizeof(ipol->proposals[0]), "%s", vpn);
			ipol->n_proposals = 1;
			ike_conf_set_str(&v->bind_interface, "st0.0");
			snprintf(v->gateway, sizeof(v->gateway), "%s", gw);
			snprintf(v->ipsec_policy, sizeof(v->ipsec_policy), "%s", vpn);
			v->establish = IKE_EST_ON_TRAFFIC;
			v->install_interval = 0;
			t = ike_conf_vpn_add_ts(v, "t");
			ike_conf_set_str(&t->local_ip, ts);
			ike_conf_set_str(&t->remote_ip, "172.16.0.0/12");
		}
	}
	h0 = heap();
	t0 = wall();
	if (peer_reconfigure(spokes) < 0)
		return 1;
	t1 = wall();
	printf("configure %u spoke gateways/VPNs: %.3f s\n", n, t1 - t0);
	hub->cpu_ns = spokes->cpu_ns = 0;
	t0 = wall();
	for (i = 0; i < n; i++) {
		char vpn[32];

		snprintf(vpn, sizeof(vpn), "v%u", i);
		ike_engine_initiate(spokes->e, vpn);
	}
	net_run(net);
	t1 = wall();
	up = peer_tunnels_up(hub);
	ike_engine_stats(hub->e, &st);
	h1 = heap();
	mock = dp_mock_mem(hub->dp) + dp_mock_mem(spokes->dp);
	printf("tunnels up: hub %u, spokes %u of %u (IKE SAs up on the hub: %u)\n", up,
	    peer_tunnels_up(spokes), n, st.ike_sas_up);
	printf("all up in %.3f s wall (both engines on one core): %.0f IKE+CHILD SAs/s\n", t1 - t0,
	    n / (t1 - t0));
	printf("responder CPU per IKE+CHILD SA: %.3f ms\n", hub->cpu_ns / 1e6 / n);
	printf("initiator CPU per IKE+CHILD SA: %.3f ms\n", spokes->cpu_ns / 1e6 / n);
	printf("heap per tunnel, both engines with the spokes' resolved configuration, mock "
	       "dataplane excluded: %.0f bytes (%.0f per side)\n",
	    ((double)h1 - (double)h0 - (double)mock) / n,
	    ((double)h1 - (double)h0 - (double)mock) / n / 2);
	net_free(net);
	return up == n ? 0 : 1;
}
