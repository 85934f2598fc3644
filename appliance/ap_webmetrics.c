/*
 * ap_webmetrics.c - GET /metrics's text from applianced's answers (see
 * ap_webmetrics.h for the names, units and bounds chosen).
 */
#include "appliance/ap_webmetrics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/lib_buf.h"

#define MAX_LABELS 4

/* One family being written: its header goes out before its first sample. */
struct fam {
	const char *name, *type, *help;
	bool started;
};

struct label {
	const char *name, *value; /* value NULL: the sample is skipped */
};

void ap_wm_escape(const char *v, char *dst, size_t len)
{
	size_t o = 0, n = strnlen(v, AP_WM_LABEL_MAX);

	if (!len)
		return;
	/* Cut on a UTF-8 boundary: never in the middle of a character. */
	if (v[n] != '\0')
		while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--;
	for (size_t i = 0; i < n && o + 3 < len; i++) {
		char c = v[i];
		if (c == '\\' || c == '"') {
			dst[o++] = '\\';
			dst[o++] = c;
		} else if (c == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else {
			dst[o++] = c;
		}
	}
	dst[o] = '\0';
}

static void sample(struct lib_buf *b, struct fam *f, const struct label *l, int n, double value)
{
	char esc[2 * AP_WM_LABEL_MAX + 4];

	if (!isfinite(value))
		return;
	for (int i = 0; i < n; i++)
		if (!l[i].value)
			return;
	if (!f->started) {
		lib_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
		               f->type);
		f->started = true;
	}
	lib_buf_printf(b, "%s", f->name);
	for (int i = 0; i < n; i++) {
		ap_wm_escape(l[i].value, esc, sizeof(esc));
		lib_buf_printf(b, "%s%s=\"%s\"", i ? "," : "{", l[i].name, esc);
	}
	lib_buf_printf(b, "%s %.15g\n", n ? "}" : "", value);
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A number field, or NAN when missing or not a number (the sample is skipped). */
static double num(json_t *o, const char *k, double scale)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) * scale : NAN;
}

static double flag(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_boolean(v) ? (json_is_true(v) ? 1 : 0) : NAN;
}

static size_t count(json_t *arr)
{
	size_t n = json_array_size(arr);

	return n > AP_WM_ENTRIES_MAX ? AP_WM_ENTRIES_MAX : n;
}

/* The load figures: a list inside each node of load.show ("" is the node itself). */
struct load_fig {
	const char *list, *label, *key, *name, *help;
	double scale;
};

static const struct load_fig load_figs[] = {
    {"", NULL, "cores", "appliance_node_cpu_cores", "CPU cores of the node.", 1},
    {"", NULL, "cpu", "appliance_node_vs_cpu_cores",
     "CPU in use by the node's virtual servers, in cores.", 1},
    {"", NULL, "age_ms", "appliance_node_load_age_seconds",
     "Seconds since the node's last load sample was received.", 1e-3},
    {"vs", "vs", "cpu", "appliance_vs_cpu_cores", "CPU in use by the virtual server, in cores.", 1},
    {"vs", "vs", "net_bps", "appliance_vs_network_bytes_per_second",
     "Network bytes per second of the virtual server (received and sent).", 1},
    {"vs", "vs", "net_pps", "appliance_vs_network_packets_per_second",
     "Network packets per second of the virtual server.", 1},
    {"vs", "vs", "io_bps", "appliance_vs_io_bytes_per_second",
     "Storage bytes per second read and written by the virtual server.", 1},
    {"vs", "vs", "nfs_rps", "appliance_vs_nfs_requests_per_second",
     "NFS requests per second served by the virtual server.", 1},
    {"vs", "vs", "smb_rps", "appliance_vs_smb_requests_per_second",
     "SMB requests per second served by the virtual server.", 1},
    {"ports", "port", "rx_bps", "appliance_port_receive_bytes_per_second",
     "Bytes per second received on the port.", 1},
    {"ports", "port", "tx_bps", "appliance_port_transmit_bytes_per_second",
     "Bytes per second sent on the port.", 1},
    {"ports", "port", "speed_bps", "appliance_port_speed_bytes_per_second",
     "Link speed of the port in bytes per second.", 1},
    {"luns", "lun", "util", "appliance_lun_utilization_ratio",
     "Share of time the LUN was busy (0 to 1).", 1},
    {"luns", "lun", "read_bps", "appliance_lun_read_bytes_per_second",
     "Bytes per second read from the LUN.", 1},
    {"luns", "lun", "write_bps", "appliance_lun_write_bytes_per_second",
     "Bytes per second written to the LUN.", 1},
    {"luns", "lun", "iops", "appliance_lun_io_operations_per_second",
     "I/O operations per second of the LUN.", 1},
};

static void loads(struct lib_buf *b, json_t *load)
{
	json_t *nodes = json_object_get(load, "nodes"), *n, *e;

	for (size_t f = 0; f < sizeof(load_figs) / sizeof(load_figs[0]); f++) {
		const struct load_fig *lf = &load_figs[f];
		struct fam fam = {lf->name, "gauge", lf->help, false};
		for (size_t i = 0; i < count(nodes); i++) {
			n = json_array_get(nodes, i);
			if (!lf->list[0]) {
				struct label l[] = {{"node", str(n, "node")}};
				sample(b, &fam, l, 1, num(n, lf->key, lf->scale));
				continue;
			}
			json_t *list = json_object_get(n, lf->list);
			for (size_t k = 0; k < count(list); k++) {
				e = json_array_get(list, k);
				struct label l[] = {{lf->label, str(e, lf->label)},
				                    {"node", str(n, "node")}};
				sample(b, &fam, l, 2, num(e, lf->key, lf->scale));
			}
		}
	}
}

/* Per node of cluster.show: a 0/1 flag, membership (state "member"), or the state as a label. */
enum node_how { NODE_FLAG, NODE_MEMBER, NODE_STATE };

static const struct node_fig {
	const char *name, *help, *key;
	enum node_how how;
} node_figs[] = {
    {"appliance_node_member", "1 when the node is a member of the cluster now, else 0.", "state",
     NODE_MEMBER},
    {"appliance_node_state", "The node's state in the cluster (value 1).", "state", NODE_STATE},
    {"appliance_node_maintenance", "1 when the node is in maintenance, else 0.", "maintenance",
     NODE_FLAG},
    {"appliance_node_fence_device", "1 when the node has a fence device, else 0.", "fence_device",
     NODE_FLAG},
};

static void cluster(struct lib_buf *b, json_t *c, json_t *node)
{
	json_t *nodes = json_object_get(c, "nodes"), *n;
	struct fam quorate = {"appliance_cluster_quorate", "gauge",
	                      "1 when the cluster has quorum, else 0.", false};
	struct fam coro = {"appliance_cluster_corosync_connected", "gauge",
	                   "1 when this node's applianced is connected to corosync.", false};
	struct fam info = {"appliance_cluster_info", "gauge",
	                   "The cluster's name, this node and the master (value 1).", false};
	struct fam refused = {"appliance_cluster_refused_messages_total", "counter",
	                      "Cluster messages this node refused since applianced started.",
	                      false};
	struct fam cfgv = {"appliance_config_version", "gauge",
	                   "Version of the replicated configuration.", false};
	struct fam up = {"appliance_node_uptime_seconds", "gauge",
	                 "Seconds since applianced started on the node.", false};

	if (c && json_is_false(json_object_get(c, "enabled")))
		c = NULL; /* no cluster: only this node's own figures */
	sample(b, &quorate, NULL, 0, flag(c, "quorate"));
	sample(b, &coro, NULL, 0, flag(c, "corosync"));
	struct label il[] = {
	    {"cluster", str(c, "cluster")}, {"node", str(c, "node")}, {"master", str(c, "master")}};
	sample(b, &info, il, 3, c ? 1 : NAN);
	sample(b, &refused, NULL, 0, num(c, "refused_messages", 1));
	sample(b, &cfgv, NULL, 0, num(c ? c : node, "config_version", 1));
	for (size_t f = 0; c && f < sizeof(node_figs) / sizeof(node_figs[0]); f++) {
		const struct node_fig *nf = &node_figs[f];
		struct fam fam = {nf->name, "gauge", nf->help, false};
		for (size_t i = 0; i < count(nodes); i++) {
			n = json_array_get(nodes, i);
			const char *st = str(n, nf->key);
			struct label l[] = {{"node", str(n, "name")}, {"state", st}};
			if (nf->how == NODE_FLAG)
				sample(b, &fam, l, 1, flag(n, nf->key));
			else if (nf->how == NODE_MEMBER)
				sample(b, &fam, l, 1, st ? strcmp(st, "member") == 0 : NAN);
			else
				sample(b, &fam, l, 2, 1);
		}
	}
	struct label ul[] = {{"node", str(node, "name")}};
	sample(b, &up, ul, 1, num(node, "uptime_s", 1));
}

static void vservers(struct lib_buf *b, json_t *all)
{
	static const char *const servers[] = {"nfs", "smb", "stats_bus"};
	struct fam state = {"appliance_vs_state", "gauge",
	                    "The virtual server's state and the node it is on (value 1).", false};
	struct fam vip = {"appliance_vip_up", "gauge",
	                  "1 when the VIP is up on its port on this node, else 0.", false};
	struct fam srv = {"appliance_vs_server_serving", "gauge",
	                  "1 when the server of the virtual server serves, else 0.", false};
	struct fam rst = {"appliance_vs_server_restarts_total", "counter",
	                  "Restarts of the server since applianced started it.", false};
	json_t *v, *rt, *e;

	if (!json_is_array(all))
		return;
	for (size_t i = 0; i < count(all); i++) {
		v = json_array_get(all, i);
		rt = json_object_get(v, "runtime");
		struct label l[] = {
		    {"vs", str(v, "name")}, {"state", str(rt, "state")}, {"node", str(rt, "node")}};
		sample(b, &state, l, 3, 1);
	}
	for (size_t i = 0; i < count(all); i++) {
		v = json_array_get(all, i);
		rt = json_object_get(v, "runtime");
		json_t *vips = json_object_get(rt, "vips");
		for (size_t k = 0; k < count(vips); k++) {
			e = json_array_get(vips, k);
			struct label l[] = {{"vs", str(v, "name")},
			                    {"address", str(e, "address")},
			                    {"port", str(e, "port")},
			                    {"node", str(rt, "node")}};
			sample(b, &vip, l, 4, flag(e, "up"));
		}
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < count(all); i++) {
			v = json_array_get(all, i);
			json_t *srvs = json_object_get(json_object_get(v, "runtime"), "servers");
			for (size_t k = 0; k < sizeof(servers) / sizeof(servers[0]); k++) {
				e = json_object_get(srvs, servers[k]);
				struct label l[] = {{"vs", str(v, "name")}, {"server", servers[k]}};
				if (pass == 0)
					sample(b, &srv, l, 2, flag(e, "serving"));
				else
					sample(b, &rst, l, 2, num(e, "restarts", 1));
			}
		}
}

/* Moves in the journal by kind and state: counted here, in first-seen order. */
static void moves(struct lib_buf *b, json_t *mv)
{
	struct key {
		const char *kind, *state;
		int n;
	} keys[64];
	int nk = 0;
	json_t *list = json_object_get(mv, "moves");
	struct fam fam = {"appliance_moves", "gauge",
	                  "Moves in the move journal (the recent ones) by kind and state.", false};

	for (size_t i = 0; i < count(list); i++) {
		json_t *m = json_array_get(list, i);
		const char *kind = str(m, "kind"), *state = str(m, "state");
		int k;
		if (!kind || !state)
			continue;
		for (k = 0; k < nk; k++)
			if (strcmp(keys[k].kind, kind) == 0 && strcmp(keys[k].state, state) == 0)
				break;
		if (k == nk) {
			if (nk == (int)(sizeof(keys) / sizeof(keys[0])))
				continue; /* more distinct pairs than any journal has: skipped */
			keys[nk++] = (struct key){kind, state, 0};
		}
		keys[k].n++;
	}
	for (int k = 0; k < nk; k++) {
		struct label l[] = {{"kind", keys[k].kind}, {"state", keys[k].state}};
		sample(b, &fam, l, 2, keys[k].n);
	}
}

/* A histogram ({"count", "sum", "buckets": [[le, cumulative]...]}) as the
 * family's _bucket, _sum and _count samples, labels l plus le. */
static void histogram(struct lib_buf *b, struct fam *f, const struct label *l, int n, json_t *h)
{
	char name[96], le[32];
	struct label ll[MAX_LABELS + 1];
	json_t *buckets = json_object_get(h, "buckets");

	if (!json_is_object(h) || n > MAX_LABELS || !json_is_array(buckets))
		return;
	for (int i = 0; i < n; i++)
		if (!l[i].value)
			return;
	if (!f->started) {
		lib_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", f->name, f->help, f->name);
		f->started = true;
	}
	memcpy(ll, l, (size_t)n * sizeof(*l));
	snprintf(name, sizeof(name), "%s_bucket", f->name);
	struct fam part = {name, "histogram", f->help, true};
	for (size_t i = 0; i < count(buckets) && i < 64; i++) {
		json_t *e = json_array_get(buckets, i), *bound = json_array_get(e, 0);
		if (json_is_number(bound))
			snprintf(le, sizeof(le), "%.15g", json_number_value(bound));
		else if (json_is_string(bound) && strcmp(json_string_value(bound), "+Inf") == 0)
			snprintf(le, sizeof(le), "+Inf");
		else
			continue;
		ll[n] = (struct label){"le", le};
		json_t *cum = json_array_get(e, 1);
		sample(b, &part, ll, n + 1,
		       json_is_integer(cum) ? (double)json_integer_value(cum) : NAN);
	}
	snprintf(name, sizeof(name), "%s_sum", f->name);
	sample(b, &part, l, n, num(h, "sum", 1));
	snprintf(name, sizeof(name), "%s_count", f->name);
	sample(b, &part, l, n, num(h, "count", 1));
}

/* This node's counters since applianced started (ap_stats.h): moves it
 * stepped as master, fencing it ran, VIP moves between its ports. */
static void counters(struct lib_buf *b, json_t *node, const char *who)
{
	static const char *const ends[] = {"done", "stuck", "ended"};
	static const char *const reasons[] = {"failover", "revert", "spread", "failed"};
	json_t *c = json_object_get(node, "counters"), *list = json_object_get(c, "moves"), *m;
	json_t *fen = json_object_get(c, "fencing"), *vips = json_object_get(c, "vip_moves");
	struct fam moves = {
	    "appliance_moves_total", "counter",
	    "Moves this node stepped as master since applianced started, by kind "
	    "and how they ended (done; stuck: no node could take the VS; ended: the "
	    "VS was stopped or deleted).",
	    false};
	struct fam dur = {"appliance_move_duration_seconds", "histogram",
	                  "Time from planned to done of the moves this node stepped as master.",
	                  false};
	struct fam fence = {
	    "appliance_fencing_total", "counter",
	    "Fencing operations this node ran since applianced started, by outcome.", false};
	struct fam fdur = {"appliance_fencing_duration_seconds", "histogram",
	                   "Time the fence agent took, of the fencing this node ran.", false};
	struct fam vip = {
	    "appliance_vip_port_moves_total", "counter",
	    "VIP moves between this node's ports since applianced started, by reason.", false};

	if (!json_is_object(c) || !who)
		return;
	for (size_t e = 0; e < sizeof(ends) / sizeof(ends[0]); e++)
		for (size_t i = 0; i < count(list); i++) {
			m = json_array_get(list, i);
			struct label l[] = {
			    {"node", who}, {"kind", str(m, "kind")}, {"outcome", ends[e]}};
			sample(b, &moves, l, 3, num(m, ends[e], 1));
		}
	for (size_t i = 0; i < count(list); i++) {
		m = json_array_get(list, i);
		struct label l[] = {{"node", who}, {"kind", str(m, "kind")}};
		histogram(b, &dur, l, 2, json_object_get(m, "duration_s"));
	}
	struct label ok[] = {{"node", who}, {"outcome", "success"}};
	struct label bad[] = {{"node", who}, {"outcome", "failure"}};
	sample(b, &fence, ok, 2, num(fen, "success", 1));
	sample(b, &fence, bad, 2, num(fen, "failure", 1));
	struct label nl[] = {{"node", who}};
	histogram(b, &fdur, nl, 1, json_object_get(fen, "duration_s"));
	for (size_t r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++) {
		struct label l[] = {{"node", who}, {"reason", reasons[r]}};
		sample(b, &vip, l, 2, num(vips, reasons[r], 1));
	}
}

int ap_wm_render(const struct ap_wm_input *in, char **out)
{
	struct lib_buf b = {0};
	struct fam ok = {"appliance_scrape_ok", "gauge",
	                 "1 when apweb's last refresh from applianced worked, else 0.", false};
	struct fam age = {"appliance_scrape_age_seconds", "gauge",
	                  "Seconds since the figures shown were read from applianced.", false};

	sample(&b, &ok, NULL, 0, in->scrape_ok ? 1 : 0);
	sample(&b, &age, NULL, 0, in->age_s);
	cluster(&b, in->cluster, in->node);
	loads(&b, in->load);
	vservers(&b, in->vservers);
	moves(&b, in->moves);
	/* node.show is cluster.show's answer in a cluster ("node"), else "name". */
	counters(&b, in->node, str(in->node, "node") ?: str(in->node, "name"));
	return lib_buf_finish(&b, out) < 0 ? -ENOMEM : 0;
}
