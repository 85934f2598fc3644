/*
 * ap_cluster.c - replication, membership, master and placement over
 * corosync (see ap_cluster.h).
 *
 * Messages are JSON text, one per CPG message, with a type "t":
 *   cfg    {base, doc, origin, req, vs, what, uid}  a configuration change
 *   sync   {node, version}                         after a membership change
 *   full   {doc}                                   the newest configuration
 *   report {node, report, states}                  what a node can serve
 *   place  {map: [{vs, node}], notes: [{vs, text}]} the master's placement
 *   ev     {event}                                 an event for every log
   *   fenced {node, ok, by, detail, ms}               a departed node is off (or not known)
 *   evs    {events: [...]}                          events a member missed (catch-up)
 * Every event has an identity (origin node, its sequence number: "eo",
 * "es" in the message that makes it); with it a node stores an event once,
 * whether it hears it live or in a catch-up after it was away.

 * Every node processes them in the same order, so every node's
 * configuration, placement and event log are the same.
 */
#include "appliance/ap_cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appliance/ap_clusterconf.h"
#include "appliance/ap_cpg.h"
#include "appliance/ap_fence.h"
#include "lib/lib_b64.h"
#include "lib/lib_backoff.h"
#include "lib/lib_fs.h"
#include "lib/lib_log.h"
#include "lib/lib_run.h"
#include "vserver/vs_json.h"

#define GROUP "appliance"
#define MAX_NODES VS_PLACE_MAX_NODES
#define KEY_BYTES 256
#define REPORT_TICK_USEC (1000ULL * 1000)
#define MAX_PENDING 64
#define MAX_OUT 256
#define FLUSH_RETRY_USEC (10ULL * 1000)
/* Fencing holds the takeover: past this, MMP (about 22 s) is the faster
 * way, and as safe. */
#define FENCE_TIMEOUT_USEC (20ULL * 1000000)
#define CATCHUP_BATCH 64  /* events per catch-up message */
#define CATCHUP_MAX 10000 /* events of one origin sent to a member that was away */
/* A split pair keeps quorum on both sides (two_node): the node with the
 * higher id waits this long before fencing, so only one of them fences. */
#define FENCE_PAIR_DELAY_USEC (5ULL * 1000000)

/* Fencing of a node that left while holding VSs (DESIGN R4): */
enum fstate {
	F_NONE = 0, /* nothing done (or the node is a member) */
	F_RUNNING,  /* the master runs its fence agent */
	F_SENT,     /* confirmed off; the "fenced" message is on its way */
	F_DONE,     /* delivered: every node knows it is off */
	F_FAILED,   /* no confirmation: takeover waits for MMP instead */
};

struct cnode {
	uint32_t id;
	char name[VS_NAME_MAX + 1];
	char addr[VS_ADDR_MAX + 1];  /* interconnect: corosync link 0 */
	char addr2[VS_ADDR_MAX + 1]; /* public network: link 1, "" = none */
	enum fstate fstate;          /* since it last left the membership */
};

struct ap_cluster;

/* A daemon this module keeps running (corosync, keepalived): when it ends it
 * is started again after a back-off, with the reason in the event log. */
struct keep {
	const char *name;
	struct lib_run *run;
	sd_event_source *restart;
	struct lib_backoff backoff;
	void (*start)(struct ap_cluster *c);
	struct ap_cluster *c;
};

struct pending {
	uint64_t req;
	uint64_t conn;
};

struct ap_cluster {
	sd_event *ev;
	struct ap_cluster_hooks hooks;
	void *arg;
	char *node, *run_dir, *state_dir;
	struct vs_store *store;
	bool enabled;
	char name[VS_NAME_MAX + 1];
	int n_nodes;
	struct cnode nodes[MAX_NODES];
	uint32_t my_id;
	struct keep corosync;
	struct ap_cpg *cpg;
	bool connected, quorate;
	int n_members;
	uint32_t members[MAX_NODES];
	struct vs_placement *placement;
	char *last_place; /* the last map and notes the master sent */
	int n_reports;
	struct vs_node_report reports[MAX_NODES];
	json_t *states; /* vs -> {state, node} as reported */
	char *last_report;
	sd_event_source *tick;
	uint64_t next_req;
	struct pending pend[MAX_PENDING];
	int n_out;
	char *out[MAX_OUT]; /* messages corosync asked us to send again */
	sd_event_source *flush;
	uint64_t pulled;            /* the newer version we last asked for */
	bool force_place;           /* a node (re)joined: the master sends its placement */
	char mgmt[VS_ADDR_MAX + 8]; /* management address with prefix, "" = none */
	char mgmt_port[VS_PORT_MAX + 1];
	char *self_dir; /* where applianced and vsadm are */
	struct keep keepalived;
	int ka_weight;    /* what the track file holds now, -1 = not written */
	bool heard_place; /* a placement was delivered since this daemon started */
	uint64_t epoch;   /* placements delivered in the cluster so far (same on all) */
	/* The version exchange after a process-group change: the master places
	 * only once every member's word (version, placement, then its report)
	 * has arrived, so a node that comes back with an old placement never
	 * imposes it and no VS moves for want of a report. */
	int n_round;
	uint32_t round[MAX_NODES];
	bool round_seen[MAX_NODES];
	struct ap_fence *fence;      /* the master's fencing in flight */
	sd_event_source *fence_wait; /* a pair: the higher id waits first */
	bool fence_waited;
	json_t *takeovers; /* vs -> the fenced node this node takes it over from */
	json_t *held;      /* vs -> a node that left while it reported the VS active */
};

static void cevent(struct ap_cluster *c, const char *vs, const char *severity, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A node-local fact about the cluster, into the (replicated) event log. */
static void cevent(struct ap_cluster *c, const char *vs, const char *severity, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	struct vs_event ev = {.ts_usec = lib_now_usec(),
	                      .node = c->node,
	                      .vs = vs ? vs : "",
	                      .severity = severity,
	                      .message = msg};

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lib_info("cluster: %s%s%s", vs ? vs : "", vs ? ": " : "", msg);
	if (ap_cluster_event(c, &ev) < 0) {
		ev.origin = c->node; /* numbered here */
		c->hooks.store_event(c->arg, &ev);
	}
}

/* n sequence numbers for events this node originates; 0 when the store
 * cannot give any (the events then go without an identity). */
static int64_t new_seqs(struct ap_cluster *c, int n)
{
	int64_t first = 0;

	if (n < 1 || vs_store_event_seq(c->store, n, &first) < 0)
		return 0;
	return first;
}

/* The identity carried by a message: origin and first sequence number. */
static void msg_identity(json_t *m, const char **origin, int64_t *seq)
{
	*seq = (int64_t)json_integer_value(json_object_get(m, "es"));
	*origin = *seq > 0 ? json_string_value(json_object_get(m, "eo")) : NULL;
	if (!*origin)
		*seq = 0;
}

static const char *name_of(const struct ap_cluster *c, uint32_t id)
{
	for (int i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].id == id)
			return c->nodes[i].name;
	return NULL;
}

static struct cnode *cnode_named(struct ap_cluster *c, const char *name)
{
	for (int i = 0; i < c->n_nodes; i++)
		if (strcmp(c->nodes[i].name, name) == 0)
			return &c->nodes[i];
	return NULL;
}

static bool is_member(const struct ap_cluster *c, uint32_t id)
{
	for (int i = 0; i < c->n_members; i++)
		if (c->members[i] == id)
			return true;
	return false;
}

/* Send what waits in the queue, in order; corosync says "try again" while
 * it settles a membership change. */
static int flush_out(struct ap_cluster *c)
{
	while (c->n_out > 0) {
		int rc = ap_cpg_send(c->cpg, c->out[0], strlen(c->out[0]));
		if (rc == -EAGAIN)
			return rc;
		if (rc < 0)
			lib_warn("cluster: a message was lost: %s", strerror(-rc));
		free(c->out[0]);
		memmove(c->out, c->out + 1, (size_t)(c->n_out - 1) * sizeof(c->out[0]));
		c->n_out--;
	}
	return 0;
}

static int on_flush(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cluster *c = userdata;

	if (flush_out(c) == -EAGAIN) {
		sd_event_source_set_time_relative(s, FLUSH_RETRY_USEC);
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	} else {
		c->flush = sd_event_source_disable_unref(c->flush);
	}
	return 0;
}

static int send_json(struct ap_cluster *c, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);

	json_decref(msg);
	if (!text)
		return -ENOMEM;
	if (!ap_cpg_connected(c->cpg)) {
		free(text);
		return -ENOTCONN;
	}
	if (c->n_out >= MAX_OUT) {
		free(text);
		return -ENOBUFS;
	}
	c->out[c->n_out++] = text;
	if (flush_out(c) == -EAGAIN && !c->flush &&
	    sd_event_add_time_relative(c->ev, &c->flush, CLOCK_MONOTONIC, FLUSH_RETRY_USEC, 0,
	                               on_flush, c) < 0)
		lib_err("cluster: cannot arm the send retry");
	return 0;
}

/* --- placement --------------------------------------------------------------- */

static void save_placement(struct ap_cluster *c)
{
	json_t *arr = json_array();
	char *text;

	for (int i = 0; i < c->placement->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "vs", c->placement->e[i].vs,
		                                     "node", c->placement->e[i].node));
	json_t *doc = json_pack("{s:I, s:o}", "epoch", (json_int_t)c->epoch, "map", arr);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text && vs_store_meta_set(c->store, "placement", text) < 0)
		lib_err("cluster: cannot persist the placement");
	free(text);
}

static void load_placement(struct ap_cluster *c, json_t *arr)
{
	size_t i;
	json_t *e;

	c->placement->n = 0;
	json_array_foreach(arr, i, e)
	{
		const char *vs = json_string_value(json_object_get(e, "vs"));
		const char *node = json_string_value(json_object_get(e, "node"));
		if (!vs || !node || c->placement->n >= VS_MAX_VSERVERS)
			continue;
		snprintf(c->placement->e[c->placement->n].vs, sizeof(c->placement->e[0].vs), "%s",
		         vs);
		snprintf(c->placement->e[c->placement->n].node, sizeof(c->placement->e[0].node),
		         "%s", node);
		c->placement->n++;
	}
}

static bool is_master(const struct ap_cluster *c)
{
	uint32_t low = UINT32_MAX;

	if (!c->quorate || !c->connected)
		return false;
	for (int i = 0; i < c->n_members; i++)
		if (c->members[i] < low)
			low = c->members[i];
	return low == c->my_id;
}

/* The master decides; everyone else waits for its message. */
static void update_track(struct ap_cluster *c);

static void forget_place(struct ap_cluster *c)
{
	free(c->last_place);
	c->last_place = NULL;
}

/* --- fencing ------------------------------------------------------------------ */

static void master_place(struct ap_cluster *c);

static bool needs_fence(const char *node, void *arg)
{
	struct ap_cluster *c = arg;
	struct cnode *cn = cnode_named(c, node);

	return cn && cn->fstate != F_DONE && cn->fstate != F_FAILED &&
	       vs_config_find_fence(c->hooks.config(c->arg), node);
}

/* Tell every node how fencing `cn` ended: they all wait for it before a
 * takeover. If even that cannot be sent, this node alone knows. */
static void fence_outcome(struct ap_cluster *c, struct cnode *cn, bool ok, const char *detail,
                          uint64_t usec)
{
	cn->fstate = ok ? F_SENT : F_FAILED;
	if (send_json(c, json_pack("{s:s, s:s, s:b, s:s, s:s, s:I, s:s, s:I}", "t", "fenced",
	                           "node", cn->name, "ok", ok, "by", c->node, "detail", detail,
	                           "ms", (json_int_t)(usec / 1000), "eo", c->node, "es",
	                           (json_int_t)new_seqs(c, 1))) < 0) {
		cn->fstate = F_FAILED;
		cevent(c, NULL, "error",
		       "fencing node %s: its outcome (%s) could not be sent to the cluster; its "
		       "virtual servers are taken over once ext4 multi-mount protection shows "
		       "their file systems idle",
		       cn->name, detail);
	}
}

static void on_fence_done(void *arg, const char *node, enum ap_fence_result result,
                          const char *detail, uint64_t usec)
{
	struct ap_cluster *c = arg;
	struct cnode *cn = cnode_named(c, node);

	c->fence = NULL;
	if (!cn)
		return;
	if (cn->fstate != F_RUNNING) {
		/* It came back meanwhile: its new life is not fenced. */
		cevent(c, NULL, "warning", "fence agent for node %s ended (%s) after it rejoined",
		       node, detail);
	} else {
		fence_outcome(c, cn, result == AP_FENCE_DONE, detail, usec);
	}
	master_place(c);
	c->hooks.placed(c->arg);
}

static int on_fence_wait(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cluster *c = userdata;

	c->fence_wait = sd_event_source_disable_unref(c->fence_wait);
	c->fence_waited = true;
	master_place(c);
	return 0;
}

static void start_fence(struct ap_cluster *c, const char *node)
{
	const struct vs_fence *dev = vs_config_find_fence(c->hooks.config(c->arg), node);
	struct cnode *cn = cnode_named(c, node);
	uint32_t low = UINT32_MAX;
	int rc;

	if (!dev || !cn || cn->fstate != F_NONE || c->fence || c->fence_wait)
		return; /* one at a time; placement runs again when it ends */
	for (int i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].id < low)
			low = c->nodes[i].id;
	if (c->n_nodes == 2 && c->my_id != low && !c->fence_waited) {
		if (sd_event_add_time_relative(c->ev, &c->fence_wait, CLOCK_MONOTONIC,
		                               FENCE_PAIR_DELAY_USEC, 0, on_fence_wait, c) >= 0) {
			cevent(c, NULL, "warning",
			       "node %s left: waiting %llu s before fencing it, as the higher node "
			       "id of a pair (the lower one fences first)",
			       node, FENCE_PAIR_DELAY_USEC / 1000000);
			return;
		}
	}
	c->fence_waited = false;
	cn->fstate = F_RUNNING;
	cevent(c, NULL, "warning",
	       "node %s left the cluster holding virtual servers: powering it off through its "
	       "fence device (%s) before they are taken over",
	       node, dev->agent);
	rc = ap_fence_run(c->ev, dev, "off", FENCE_TIMEOUT_USEC, on_fence_done, c, &c->fence);
	if (rc < 0) {
		char why[160];
		snprintf(why, sizeof(why), "cannot run the fence agent %s: %s", dev->agent,
		         strerror(-rc));
		fence_outcome(c, cn, false, why, 0);
		master_place(c);
	}
}

static void master_place(struct ap_cluster *c)
{
	const char *names[MAX_NODES];
	int n = 0, nn = 0;
	struct vs_place_note notes[64];
	struct vs_placement *next;

	update_track(c);
	if (!is_master(c))
		return;
	for (int i = 0; i < c->n_round; i++)
		if (!c->round_seen[i])
			return; /* not every member has spoken since the last change */
	for (int i = 0; i < c->n_members; i++) {
		const char *nm = name_of(c, c->members[i]);
		if (nm)
			names[n++] = nm;
	}
	next = malloc(sizeof(*next));
	if (!next)
		return;
	vs_place(c->hooks.config(c->arg), names, n, c->reports, c->n_reports, c->placement, next,
	         notes, 64, &nn);
	/* A node that left holding VSs is powered off before they move. */
	const char *victim = vs_place_to_fence(c->placement, next, names, n, needs_fence, c);
	const char *hvs;
	json_t *hnode;
	json_object_foreach(c->held, hvs, hnode)
	{
		if (!victim && needs_fence(json_string_value(hnode) ?: "", c))
			victim = json_string_value(hnode);
	}
	if (victim) {
		start_fence(c, victim);
		free(next);
		return;
	}
	json_t *map = json_array(), *jn = json_array();
	for (int i = 0; i < next->n; i++)
		json_array_append_new(
		    map, json_pack("{s:s, s:s}", "vs", next->e[i].vs, "node", next->e[i].node));
	for (int i = 0; i < nn; i++)
		json_array_append_new(
		    jn, json_pack("{s:s, s:s}", "vs", notes[i].vs, "text", notes[i].text));
	/* What was sent last: the map and the notes (a VS that cannot run changes
	 * no map, only a note). */
	json_t *sig = json_pack("{s:O, s:O}", "map", map, "notes", jn);
	char *text = json_dumps(sig, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(sig);
	bool same_as_sent = text && c->last_place && strcmp(text, c->last_place) == 0;
	bool same_as_now = next->n == c->placement->n;
	for (int i = 0; same_as_now && i < next->n; i++) {
		const char *cur = vs_placement_node(c->placement, next->e[i].vs);
		same_as_now = cur && strcmp(cur, next->e[i].node) == 0;
	}
	bool force = c->force_place;
	c->force_place = false;
	if (!force && ((same_as_now && nn == 0) || same_as_sent)) {
		json_decref(map);
		json_decref(jn);
	} else {
		free(c->last_place);
		c->last_place = text ? strdup(text) : NULL;
		if (send_json(c, json_pack("{s:s, s:I, s:o, s:o, s:s, s:s, s:I}", "t", "place",
		                           "epoch", (json_int_t)(c->epoch + 1), "map", map, "notes",
		                           jn, "by", c->node, "eo", c->node, "es",
		                           (json_int_t)new_seqs(c, nn > 0 ? nn : 1))) < 0)
			forget_place(c);
	}
	free(text);
	free(next);
}

/* --- reports ------------------------------------------------------------------ */

static json_t *report_json(const struct vs_node_report *r);

/* Every node keeps every node's last report (DESIGN R10). */
static void save_reports(struct ap_cluster *c)
{
	json_t *arr = json_array();
	char *text;

	for (int i = 0; i < c->n_reports; i++)
		json_array_append_new(arr, report_json(&c->reports[i]));
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!text || vs_store_meta_set(c->store, "reports", text) < 0)
		lib_err("cluster: cannot persist the node reports");
	free(text);
}

static json_t *report_json(const struct vs_node_report *r)
{
	json_t *luns = json_array(), *ports = json_array();

	for (int i = 0; i < r->n_luns; i++)
		json_array_append_new(luns, json_string(r->luns[i]));
	for (int i = 0; i < r->n_ports; i++)
		json_array_append_new(ports, json_string(r->healthy_ports[i]));
	return json_pack("{s:s, s:i, s:o, s:o}", "node", r->node, "capacity", (int)r->capacity,
	                 "luns", luns, "healthy_ports", ports);
}

static void report_from_json(json_t *j, struct vs_node_report *r)
{
	size_t i;
	json_t *e;

	memset(r, 0, sizeof(*r));
	snprintf(r->node, sizeof(r->node), "%s",
	         json_string_value(json_object_get(j, "node")) ?: "");
	r->capacity = (unsigned)json_integer_value(json_object_get(j, "capacity"));
	json_array_foreach(json_object_get(j, "luns"), i,
	                   e) if (r->n_luns < VS_REPORT_MAX_LUNS && json_is_string(e))
	    snprintf(r->luns[r->n_luns++], sizeof(r->luns[0]), "%s", json_string_value(e));
	json_array_foreach(json_object_get(j, "healthy_ports"), i,
	                   e) if (r->n_ports < VS_REPORT_MAX_PORTS && json_is_string(e))
	    snprintf(r->healthy_ports[r->n_ports++], sizeof(r->healthy_ports[0]), "%s",
	             json_string_value(e));
}

static void send_report(struct ap_cluster *c, bool force)
{
	struct vs_node_report r;
	json_t *states = json_object();

	if (!c->connected)
		return;
	memset(&r, 0, sizeof(r));
	snprintf(r.node, sizeof(r.node), "%s", c->node);
	c->hooks.report(c->arg, &r, states);
	json_t *msg = json_pack("{s:s, s:s, s:o, s:o}", "t", "report", "node", c->node, "report",
	                        report_json(&r), "states", states);
	char *text = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS);
	if (!force && text && c->last_report && strcmp(text, c->last_report) == 0) {
		free(text);
		json_decref(msg);
		return;
	}
	free(c->last_report);
	c->last_report = text;
	if (send_json(c, msg) < 0) {
		free(c->last_report);
		c->last_report = NULL;
	}
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cluster *c = userdata;

	send_report(c, false);
	sd_event_source_set_time_relative(s, REPORT_TICK_USEC);
	sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

/* --- delivery -------------------------------------------------------------------- */

static void reply_pending(struct ap_cluster *c, uint64_t req, json_t *resp)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (c->pend[i].req == req && req) {
			c->hooks.reply(c->arg, c->pend[i].conn, resp);
			c->pend[i].req = 0;
			return;
		}
	json_decref(resp);
}

static int adopt_doc(struct ap_cluster *c, json_t *doc)
{
	struct vs_config *tmp = malloc(sizeof(*tmp));
	char err[VS_ERR_LEN];
	int rc;

	if (!tmp)
		return -ENOMEM;
	rc = vs_config_from_json(doc, tmp, err, sizeof(err));
	if (rc == 0)
		c->hooks.adopt(c->arg, tmp);
	else
		lib_err("cluster: a delivered configuration is invalid: %s", err);
	free(tmp);
	return rc;
}

static void on_cfg(struct ap_cluster *c, json_t *m)
{
	const struct vs_config *cfg = c->hooks.config(c->arg);
	json_int_t base = json_integer_value(json_object_get(m, "base"));
	const char *origin = json_string_value(json_object_get(m, "origin")) ?: "?";
	const char *what = json_string_value(json_object_get(m, "what")) ?: "change";
	const char *vs = json_string_value(json_object_get(m, "vs"));
	json_int_t uid = json_integer_value(json_object_get(m, "uid"));
	uint64_t req = (uint64_t)json_integer_value(json_object_get(m, "req"));
	bool mine = strcmp(origin, c->node) == 0;

	if ((uint64_t)base != cfg->version) {
		if (mine)
			reply_pending(
			    c, req,
			    json_pack("{s:b, s:s}", "ok", 0, "error",
			              "The configuration changed meanwhile on another node; "
			              "nothing was changed: try again."));
		return;
	}
	if (adopt_doc(c, json_object_get(m, "doc")) < 0) {
		if (mine)
			reply_pending(c, req,
			              json_pack("{s:b, s:s}", "ok", 0, "error",
			                        "The change could not be applied."));
		return;
	}
	char msg[700];
	snprintf(msg, sizeof(msg), "%s (by uid %lld on %s, configuration version %llu)", what,
	         (long long)uid, origin, (unsigned long long)c->hooks.config(c->arg)->version);
	struct vs_event ev = {.ts_usec = lib_now_usec(),
	                      .node = origin,
	                      .vs = vs ? vs : "",
	                      .severity = "info",
	                      .message = msg};
	msg_identity(m, &ev.origin, &ev.oseq);
	c->hooks.store_event(c->arg, &ev);
	if (mine)
		reply_pending(c, req, json_pack("{s:b, s:s}", "ok", 1, "message", what));
	master_place(c);
}

/* A member said which events it holds (the highest sequence number of each
 * origin): send it those this node holds beyond, in batches. Every member
 * does so; each event is stored once wherever it arrives twice. */
static void send_missed_events(struct ap_cluster *c, json_t *theirs)
{
	json_t *mine = NULL, *mark;
	const char *origin;

	if (!json_is_object(theirs) || vs_store_event_marks(c->store, &mine) < 0)
		return;
	json_object_foreach(mine, origin, mark)
	{
		int64_t after = json_integer_value(json_object_get(theirs, origin));
		int sent = 0;
		while (json_integer_value(mark) > after && sent < CATCHUP_MAX) {
			json_t *batch = NULL;
			if (vs_store_events_of(c->store, origin, after, CATCHUP_BATCH, &batch) <
			        0 ||
			    json_array_size(batch) == 0) {
				json_decref(batch);
				break;
			}
			after = json_integer_value(json_object_get(
			    json_array_get(batch, json_array_size(batch) - 1), "oseq"));
			sent += (int)json_array_size(batch);
			if (send_json(c, json_pack("{s:s, s:o}", "t", "evs", "events", batch)) < 0)
				break;
		}
	}
	json_decref(mine);
}

static void on_message(void *arg, uint32_t from, const char *data, size_t len)
{
	struct ap_cluster *c = arg;
	json_error_t jerr;
	json_t *m = json_loadb(data, len, 0, &jerr);
	const char *t = m ? json_string_value(json_object_get(m, "t")) : NULL;
	const struct vs_config *cfg = c->hooks.config(c->arg);

	if (!t) {
		lib_warn("cluster: an unreadable message from node %u", from);
		json_decref(m);
		return;
	}
	if (strcmp(t, "cfg") == 0) {
		on_cfg(c, m);
	} else if (strcmp(t, "sync") == 0) {
		json_int_t v = json_integer_value(json_object_get(m, "version"));
		json_int_t ep = json_integer_value(json_object_get(m, "epoch"));
		if (from != c->my_id)
			send_missed_events(c, json_object_get(m, "marks"));

		if ((uint64_t)ep > c->epoch) {
			/* A newer placement than ours: we were away. */
			load_placement(c, json_object_get(m, "map"));
			c->epoch = (uint64_t)ep;
			c->heard_place = true;
			save_placement(c);
			c->hooks.placed(c->arg);
		}
		lib_info("cluster: %s is at configuration version %lld, this node at %llu",
		         json_string_value(json_object_get(m, "node")) ?: "?", (long long)v,
		         (unsigned long long)cfg->version);
		if ((uint64_t)v > cfg->version && (uint64_t)v != c->pulled) {
			/* Behind: say so again, in case our first word was lost. */
			c->pulled = (uint64_t)v;
			send_json(c, json_pack("{s:s, s:s, s:I}", "t", "sync", "node", c->node,
			                       "version", (json_int_t)cfg->version));
		}
		if ((uint64_t)v < cfg->version) {
			json_t *doc = vs_config_to_json(cfg);
			send_json(c, json_pack("{s:s, s:o, s:s}", "t", "full", "doc", doc, "by",
			                       c->node));
		}
	} else if (strcmp(t, "full") == 0) {
		json_t *doc = json_object_get(m, "doc");
		json_int_t v = json_integer_value(json_object_get(doc, "version"));
		if ((uint64_t)v > cfg->version && adopt_doc(c, doc) == 0) {
			cevent(c, NULL, "info", "caught up to configuration version %lld from %s",
			       (long long)v, json_string_value(json_object_get(m, "by")) ?: "?");
			master_place(c);
		}
	} else if (strcmp(t, "report") == 0) {
		struct vs_node_report r;
		report_from_json(json_object_get(m, "report"), &r);
		/* Each member sends its sync, then its report: with the report the
		 * master has its whole word for this round. */
		for (int i = 0; i < c->n_round; i++)
			if (c->round[i] == from)
				c->round_seen[i] = true;
		int i;
		for (i = 0; i < c->n_reports; i++)
			if (strcmp(c->reports[i].node, r.node) == 0)
				break;
		if (i == c->n_reports && c->n_reports < MAX_NODES)
			c->n_reports++;
		if (i < MAX_NODES)
			c->reports[i] = r;
		save_reports(c);
		/* States of the VSs that node runs. */
		const char *vsn;
		json_t *st, *tmp;
		json_object_foreach_safe(
		    c->states, tmp, vsn,
		    st) if (strcmp(json_string_value(json_object_get(st, "node")) ?: "", r.node) ==
		            0) json_object_del(c->states, vsn);
		json_object_foreach(json_object_get(m, "states"), vsn, st) json_object_set_new(
		    c->states, vsn,
		    json_pack("{s:s, s:s}", "node", r.node, "state", json_string_value(st) ?: "?"));
		master_place(c);
		/* A VS another node released may start here now. */
		c->hooks.placed(c->arg);
	} else if (strcmp(t, "place") == 0) {
		size_t i;
		json_t *e;
		/* VSs this node takes over from a fenced node: their MMP may be reset. */
		json_array_foreach(json_object_get(m, "map"), i, e)
		{
			const char *vs = json_string_value(json_object_get(e, "vs"));
			const char *nd = json_string_value(json_object_get(e, "node"));
			const char *old = vs ? vs_placement_node(c->placement, vs) : NULL;
			struct cnode *cn = old ? cnode_named(c, old) : NULL;
			if (nd && strcmp(nd, c->node) == 0 && cn && strcmp(old, c->node) != 0 &&
			    cn->fstate == F_DONE)
				json_object_set_new(c->takeovers, vs, json_string(old));
			const char *hn =
			    vs ? json_string_value(json_object_get(c->held, vs)) : NULL;
			struct cnode *hc = hn ? cnode_named(c, hn) : NULL;
			if (nd && strcmp(nd, c->node) == 0 && hc && hc->fstate == F_DONE)
				json_object_set_new(c->takeovers, vs, json_string(hn));
		}
		load_placement(c, json_object_get(m, "map"));
		c->epoch = (uint64_t)json_integer_value(json_object_get(m, "epoch"));
		save_placement(c);
		c->heard_place = true;
		json_array_foreach(json_object_get(m, "notes"), i, e)
		{
			const char *vs = json_string_value(json_object_get(e, "vs"));
			const char *text = json_string_value(json_object_get(e, "text"));
			struct vs_event ev = {.ts_usec = lib_now_usec(),
			                      .node = json_string_value(json_object_get(m, "by"))
			                                  ?: "?",
			                      .vs = vs ? vs : "",
			                      .severity = "info",
			                      .message = text ? text : ""};
			msg_identity(m, &ev.origin, &ev.oseq);
			if (ev.origin)
				ev.oseq += (int64_t)i;
			c->hooks.store_event(c->arg, &ev);
		}
		c->hooks.placed(c->arg);
	} else if (strcmp(t, "fenced") == 0) {
		const char *node = json_string_value(json_object_get(m, "node")) ?: "";
		struct cnode *cn = cnode_named(c, node);
		char text[400];
		bool ok = json_is_true(json_object_get(m, "ok"));
		if (cn && !is_member(c, cn->id) && !ok) {
			cn->fstate = F_FAILED;
			snprintf(
			    text, sizeof(text),
			    "fencing node %s failed: %s; its virtual servers are taken over once "
			    "ext4 multi-mount protection shows their file systems idle (about 22 "
			    "s)",
			    node, json_string_value(json_object_get(m, "detail")) ?: "");
		} else if (cn && !is_member(c, cn->id)) {
			cn->fstate = F_DONE;
			const char *hvs;
			json_t *hnode;
			json_object_foreach(c->held, hvs, hnode)
			{
				const char *here = vs_placement_node(c->placement, hvs);
				if (strcmp(json_string_value(hnode) ?: "", node) == 0 && here &&
				    strcmp(here, c->node) == 0)
					json_object_set_new(c->takeovers, hvs, json_string(node));
			}
			snprintf(
			    text, sizeof(text),
			    "node %s is powered off (fenced in %lld ms: %s): its file systems are "
			    "taken over without waiting for multi-mount protection",
			    node, (long long)json_integer_value(json_object_get(m, "ms")),
			    json_string_value(json_object_get(m, "detail")) ?: "");
		} else {
			snprintf(text, sizeof(text),
			         "node %s is a member again: the outcome of its fencing (%s) no "
			         "longer applies",
			         node, json_string_value(json_object_get(m, "detail")) ?: "");
		}
		struct vs_event ev = {.ts_usec = lib_now_usec(),
		                      .node = json_string_value(json_object_get(m, "by")) ?: "?",
		                      .vs = "",
		                      .severity = ok ? "warning" : "error",
		                      .message = text};
		msg_identity(m, &ev.origin, &ev.oseq);
		c->hooks.store_event(c->arg, &ev);
		master_place(c);
		c->hooks.placed(c->arg); /* a takeover waiting for this may go on */
	} else if (strcmp(t, "ev") == 0) {
		struct vs_event ev = {
		    .ts_usec = json_integer_value(json_object_get(m, "ts")),
		    .node = json_string_value(json_object_get(m, "node")) ?: "?",
		    .vs = json_string_value(json_object_get(m, "vs")) ?: "",
		    .severity = json_string_value(json_object_get(m, "severity")) ?: "info",
		    .message = json_string_value(json_object_get(m, "message")) ?: ""};
		msg_identity(m, &ev.origin, &ev.oseq);
		c->hooks.store_event(c->arg, &ev);
	} else if (strcmp(t, "evs") == 0) {
		size_t i;
		json_t *e;
		int added = 0;
		json_array_foreach(json_object_get(m, "events"), i, e)
		{
			struct vs_event ev = {
			    .ts_usec = json_integer_value(json_object_get(e, "ts")),
			    .node = json_string_value(json_object_get(e, "node")) ?: "?",
			    .vs = json_string_value(json_object_get(e, "vs")) ?: "",
			    .severity = json_string_value(json_object_get(e, "severity")) ?: "info",
			    .message = json_string_value(json_object_get(e, "message")) ?: "",
			    .origin = json_string_value(json_object_get(e, "origin")),
			    .oseq = json_integer_value(json_object_get(e, "oseq"))};
			if (ev.origin && ev.oseq > 0 &&
			    vs_store_event_add(c->store, &ev, NULL) == 0)
				added++;
		}
		if (added)
			lib_info("cluster: %d missed event(s) caught up from %s", added,
			         name_of(c, from) ?: "?");
	}
	json_decref(m);
}

/* The membership that counts is corosync's (nodes up), not the process
 * group's: a restarting applianced leaves the group for a moment while its
 * node and its VSs stay up. */
static void set_members(struct ap_cluster *c, const uint32_t *ids, int n)
{
	char list[256] = "";
	size_t k = 0;

	c->n_members = n < MAX_NODES ? n : MAX_NODES;
	memcpy(c->members, ids, (size_t)c->n_members * sizeof(ids[0]));
	for (int i = 0; i < c->n_members && k < sizeof(list); i++)
		k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s", i ? " " : "",
		                      name_of(c, ids[i]) ?: "?");
	cevent(c, NULL, "info", "cluster membership: %s", list);
	/* A node that is back lives a new life: not fenced, nothing to take
	 * over from it without MMP's wait. */
	for (int i = 0; i < c->n_nodes; i++)
		if (is_member(c, c->nodes[i].id) && c->nodes[i].fstate != F_RUNNING)
			c->nodes[i].fstate = F_NONE;
	{
		const char *vsn;
		json_t *from, *tmp;
		json_object_foreach_safe(c->takeovers, tmp, vsn, from)
		{
			struct cnode *cn = cnode_named(c, json_string_value(from) ?: "");
			if (!cn || is_member(c, cn->id))
				json_object_del(c->takeovers, vsn);
		}
	}
	/* Forget what nodes that left reported: they serve nothing now. */
	const char *vsn;
	json_t *st, *tmp;
	json_object_foreach_safe(c->states, tmp, vsn, st)
	{
		const char *nd = json_string_value(json_object_get(st, "node")) ?: "";
		const char *state = json_string_value(json_object_get(st, "state")) ?: "";
		bool in = false;
		for (int j = 0; j < c->n_members; j++)
			in |= strcmp(name_of(c, c->members[j]) ?: "", nd) == 0;
		if (in)
			continue;
		/* It may still hold the VS's mounts: fenced first, or MMP. */
		if (strcmp(state, "stopped") != 0)
			json_object_set_new(c->held, vsn, json_string(nd));
		json_object_del(c->states, vsn);
	}
	json_object_foreach_safe(c->held, tmp, vsn, st)
	{
		struct cnode *cn = cnode_named(c, json_string_value(st) ?: "");
		if (!cn || is_member(c, cn->id))
			json_object_del(c->held, vsn);
	}
	for (int i = 0; i < c->n_reports; i++) {
		bool in = false;
		for (int j = 0; j < c->n_members; j++)
			in |= strcmp(name_of(c, c->members[j]) ?: "", c->reports[i].node) == 0;
		if (!in)
			c->reports[i--] = c->reports[--c->n_reports];
	}
}

/* A process group change: someone (re)joined; exchange versions and reports. */
static void on_members(void *arg, const uint32_t *ids, int n)
{
	struct ap_cluster *c = arg;

	lib_info("cluster: %d applianced in the process group", n);
	c->n_round = n < MAX_NODES ? n : MAX_NODES;
	memcpy(c->round, ids, (size_t)c->n_round * sizeof(ids[0]));
	memset(c->round_seen, 0, sizeof(c->round_seen));
	json_t *map = json_array();
	for (int i = 0; i < c->placement->n; i++)
		json_array_append_new(map, json_pack("{s:s, s:s}", "vs", c->placement->e[i].vs,
		                                     "node", c->placement->e[i].node));
	json_t *marks = NULL;
	if (vs_store_event_marks(c->store, &marks) < 0)
		marks = json_object();
	send_json(c, json_pack("{s:s, s:s, s:I, s:I, s:o, s:o}", "t", "sync", "node", c->node,
	                       "version", (json_int_t)c->hooks.config(c->arg)->version, "epoch",
	                       (json_int_t)c->epoch, "map", map, "marks", marks));
	send_report(c, true);
	forget_place(c);
	/* Whoever joined learns the placement now, changed or not. */
	c->force_place = true;
	master_place(c);
}

static void on_quorum(void *arg, bool quorate, const uint32_t *view, int n)
{
	struct ap_cluster *c = arg;
	bool same = n == c->n_members;

	for (int i = 0; same && i < n; i++)
		same = view[i] == c->members[i];
	if (!same)
		set_members(c, view, n);
	if (c->quorate == quorate) {
		if (!same) {
			forget_place(c);
			master_place(c);
			c->hooks.placed(c->arg);
		}
		return;
	}
	c->quorate = quorate;
	cevent(c, NULL, quorate ? "info" : "error", "%s",
	       quorate
	           ? "this node has quorum"
	           : "this node lost quorum: it accepts no change and stops its virtual servers");
	forget_place(c);
	master_place(c);
	c->hooks.placed(c->arg);
}

static void on_keep_end(struct lib_run *run, const struct lib_run_result *res, void *arg);

static void on_connected(void *arg, bool up, uint32_t id)
{
	struct ap_cluster *c = arg;

	c->connected = up;
	if (!up) {
		c->quorate = false;
		c->n_members = 0;
		c->hooks.placed(c->arg);
		/* corosync is gone: start it again (unless ours is still there). */
		if (!c->corosync.run && !c->corosync.restart)
			on_keep_end(NULL, NULL, &c->corosync);
		return;
	}
	if (id != c->my_id)
		lib_warn("cluster: corosync says this node is %u, the cluster definition says %u",
		         id, c->my_id);
}

/* --- corosync -------------------------------------------------------------------- */

static void start_corosync(struct ap_cluster *c);

static int on_keep_restart(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct keep *k = userdata;

	k->restart = sd_event_source_disable_unref(k->restart);
	k->start(k->c);
	return 0;
}

/* res NULL: found not running (no result to tell). */
static void on_keep_end(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct keep *k = arg;
	char how[96] = "is not running";

	if (res)
		lib_run_describe(res, how, sizeof(how));
	k->run = NULL;
	lib_run_destroy(run);
	uint64_t delay = lib_backoff_next(&k->backoff);
	cevent(k->c, NULL, "error", "%s %s; restarting it in %.0f s", k->name, how,
	       (double)delay / 1e6);
	if (sd_event_add_time_relative(k->c->ev, &k->restart, CLOCK_MONOTONIC, delay, 0,
	                               on_keep_restart, k) < 0)
		lib_err("cluster: cannot arm the restart of %s", k->name);
}

static int write_corosync_conf(struct ap_cluster *c, char *conf, size_t len)
{
	struct ap_cc_node nodes[MAX_NODES];
	char dir[PATH_MAX], key[PATH_MAX], state[PATH_MAX], logf[PATH_MAX], *text = NULL;
	int rc;

	snprintf(dir, sizeof(dir), "%s/corosync", c->run_dir);
	snprintf(state, sizeof(state), "%s/corosync", c->state_dir);
	snprintf(key, sizeof(key), "%s/cluster/authkey", c->state_dir);
	snprintf(logf, sizeof(logf), "%s/corosync/corosync.log", c->state_dir);
	snprintf(conf, len, "%s/corosync.conf", dir);
	if ((rc = lib_mkdir_p(dir, 0755)) < 0 || (rc = lib_mkdir_p(state, 0700)) < 0)
		return rc;
	for (int i = 0; i < c->n_nodes; i++)
		nodes[i] = (struct ap_cc_node){.id = c->nodes[i].id,
		                               .name = c->nodes[i].name,
		                               .ring0 = c->nodes[i].addr,
		                               .ring1 = c->nodes[i].addr2};
	struct ap_cc_params p = {.cluster_name = c->name,
	                         .nodes = nodes,
	                         .n_nodes = c->n_nodes,
	                         .state_dir = state,
	                         .log_file = logf,
	                         .token_ms = 1000};
	rc = ap_corosync_conf(&p, key, &text);
	if (rc < 0)
		return rc;
	rc = lib_write_file(conf, text, strlen(text), 0644);
	free(text);
	return rc < 0 ? rc : 0;
}

static void start_corosync(struct ap_cluster *c)
{
	char conf[PATH_MAX];
	int rc = write_corosync_conf(c, conf, sizeof(conf));

	if (rc < 0) {
		cevent(c, NULL, "error", "cannot write corosync's configuration: %s",
		       strerror(-rc));
		return;
	}
	if (ap_cpg_connected(c->cpg)) {
		lib_info("cluster: corosync is already running; using it");
		return;
	}
	const char *argv[] = {"corosync", "-f", "-c", conf, NULL};
	struct lib_run_opts o = {.argv = argv, .netns_fd = -1, .out_fd = -1};
	rc = lib_run_start(c->ev, &o, on_keep_end, &c->corosync, &c->corosync.run);
	if (rc < 0) {
		cevent(c, NULL, "error", "cannot start corosync: %s", strerror(-rc));
		return;
	}
	lib_info("cluster: corosync started (pid %d)", lib_run_pid(c->corosync.run));
}

/* --- the management address (keepalived) ---------------------------------------- */

static void start_keepalived(struct ap_cluster *c);

/* The VRRP priority follows the master: the track file holds the weight. */
static void update_track(struct ap_cluster *c)
{
	char path[PATH_MAX], text[16];
	int w;

	if (!c->mgmt[0])
		return;
	w = ap_ka_track_weight(is_master(c));
	if (w == c->ka_weight)
		return;
	snprintf(path, sizeof(path), "%s/keepalived/master.weight", c->run_dir);
	snprintf(text, sizeof(text), "%d\n", w);
	if (lib_write_file(path, text, strlen(text), 0644) < 0) {
		lib_err("cluster: cannot write %s", path);
		return;
	}
	c->ka_weight = w;
	lib_info("cluster: management address weight %d (%s)", w, w ? "master" : "not master");
}

/* The interface that holds this node's interconnect address. */
static int ring0_ifname(const struct ap_cluster *c, char *buf, size_t len)
{
	struct ifaddrs *ifa = NULL;
	const char *mine = NULL;
	int rc = -ENODEV;

	for (int i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].id == c->my_id)
			mine = c->nodes[i].addr;
	if (!mine || getifaddrs(&ifa) < 0)
		return -ENODEV;
	for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
		char a[INET6_ADDRSTRLEN] = "";
		if (!p->ifa_addr)
			continue;
		if (p->ifa_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr,
			          a, sizeof(a));
		else if (p->ifa_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
			          &((struct sockaddr_in6 *)(void *)p->ifa_addr)->sin6_addr, a,
			          sizeof(a));
		if (strcmp(a, mine) == 0) {
			snprintf(buf, len, "%s", p->ifa_name);
			rc = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return rc;
}

static void start_keepalived(struct ap_cluster *c)
{
	char dir[PATH_MAX], conf[PATH_MAX], track[PATH_MAX], check[PATH_MAX], ifname[16];
	char *text = NULL, **argv = NULL, *pidtext = NULL;
	int rc;

	if (!c->mgmt[0] || c->keepalived.run)
		return;
	snprintf(dir, sizeof(dir), "%s/keepalived", c->run_dir);
	snprintf(conf, sizeof(conf), "%s/keepalived.conf", dir);
	snprintf(track, sizeof(track), "%s/master.weight", dir);
	snprintf(check, sizeof(check), "%s/vsadm", c->self_dir);
	if ((rc = lib_mkdir_p(dir, 0755)) < 0 ||
	    (rc = ring0_ifname(c, ifname, sizeof(ifname))) < 0) {
		cevent(c, NULL, "error", "cannot set up the management address: %s", strerror(-rc));
		return;
	}
	c->ka_weight = -1;
	update_track(c);
	struct ap_ka_params p = {.instance = "appliance",
	                         .interface = ifname,
	                         .vip = c->mgmt,
	                         .vip_dev = c->mgmt_port[0] ? c->mgmt_port : NULL,
	                         .vrid = 51,
	                         .base_priority = 100,
	                         .track_file = track,
	                         .check_argv0 = check,
	                         .check_arg = "ping",
	                         .pid_dir = dir};
	rc = ap_keepalived_conf(&p, &text);
	if (rc == 0)
		rc = lib_write_file(conf, text, strlen(text), 0644);
	free(text);
	if (rc < 0) {
		cevent(c, NULL, "error", "cannot write keepalived's configuration: %s",
		       strerror(-rc));
		return;
	}
	/* A keepalived left running by an earlier applianced carries on. */
	char pidf[PATH_MAX + 16], comm[64];
	snprintf(pidf, sizeof(pidf), "%s/keepalived.pid", dir);
	if (lib_read_file(pidf, &pidtext) == 0) {
		char *cm = NULL;
		snprintf(comm, sizeof(comm), "/proc/%d/comm", atoi(pidtext));
		bool alive = lib_read_file(comm, &cm) == 0 && strncmp(cm, "keepalived", 10) == 0;
		free(cm);
		free(pidtext);
		if (alive) {
			lib_info("cluster: keepalived is already running; using it");
			return;
		}
	}
	rc = ap_keepalived_argv(&p, "keepalived", conf, &argv);
	if (rc == 0) {
		struct lib_run_opts o = {
		    .argv = (const char *const *)argv, .netns_fd = -1, .out_fd = -1};
		rc = lib_run_start(c->ev, &o, on_keep_end, &c->keepalived, &c->keepalived.run);
	}
	free(argv);
	if (rc < 0)
		cevent(c, NULL, "error", "cannot start keepalived: %s", strerror(-rc));
	else
		lib_info("cluster: keepalived started for the management address %s", c->mgmt);
}

/* --- definition ------------------------------------------------------------------ */

/* The node list, as the definition and the bundle both hold it. */
static void nodes_json(const struct ap_cluster *c, json_t *nodes)
{
	for (int i = 0; i < c->n_nodes; i++)
		json_array_append_new(nodes, json_pack("{s:I, s:s, s:s, s:s}", "id",
		                                       (json_int_t)c->nodes[i].id, "name",
		                                       c->nodes[i].name, "addr", c->nodes[i].addr,
		                                       "addr2", c->nodes[i].addr2));
}

static int save_definition(struct ap_cluster *c)
{
	json_t *nodes = json_array();
	char *text;
	int rc;

	nodes_json(c, nodes);
	json_t *d = json_pack("{s:s, s:o, s:s, s:s}", "name", c->name, "nodes", nodes, "mgmt",
	                      c->mgmt, "mgmt_port", c->mgmt_port);
	text = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	if (!text)
		return -ENOMEM;
	rc = vs_store_meta_set(c->store, "cluster", text);
	free(text);
	return rc;
}

static int load_definition(struct ap_cluster *c, json_t *d, char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(d, "name"));
	json_t *nodes = json_object_get(d, "nodes"), *e;
	size_t i;

	if (!name || vs_check_name("cluster", name, VS_NAME_MAX, err, errlen) < 0 ||
	    !json_is_array(nodes) || json_array_size(nodes) == 0 ||
	    json_array_size(nodes) > MAX_NODES) {
		if (!err[0])
			snprintf(err, errlen, "The cluster definition is malformed.");
		return -EINVAL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->mgmt, sizeof(c->mgmt), "%s",
	         json_string_value(json_object_get(d, "mgmt")) ?: "");
	snprintf(c->mgmt_port, sizeof(c->mgmt_port), "%s",
	         json_string_value(json_object_get(d, "mgmt_port")) ?: "");
	c->n_nodes = 0;
	c->my_id = 0;
	json_array_foreach(nodes, i, e)
	{
		struct cnode *n = &c->nodes[c->n_nodes++];
		n->id = (uint32_t)json_integer_value(json_object_get(e, "id"));
		snprintf(n->name, sizeof(n->name), "%s",
		         json_string_value(json_object_get(e, "name")) ?: "");
		snprintf(n->addr, sizeof(n->addr), "%s",
		         json_string_value(json_object_get(e, "addr")) ?: "");
		snprintf(n->addr2, sizeof(n->addr2), "%s",
		         json_string_value(json_object_get(e, "addr2")) ?: "");
		if (strcmp(n->name, c->node) == 0)
			c->my_id = n->id;
	}
	if (!c->my_id) {
		snprintf(err, errlen, "This node (%s) is not one of the cluster's nodes.", c->node);
		return -EINVAL;
	}
	return 0;
}

static int write_key(struct ap_cluster *c, const uint8_t *key, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int rc;

	snprintf(dir, sizeof(dir), "%s/cluster", c->state_dir);
	snprintf(path, sizeof(path), "%s/authkey", dir);
	rc = lib_mkdir_p(dir, 0700);
	if (rc == 0)
		rc = lib_write_file(path, (const char *)key, len, 0600);
	return rc < 0 ? rc : 0;
}

static void enable(struct ap_cluster *c)
{
	struct ap_cpg_hooks h = {.deliver = on_message,
	                         .members = on_members,
	                         .quorum = on_quorum,
	                         .connected = on_connected};

	c->enabled = true;
	start_keepalived(c);
	/* A corosync left running by an earlier applianced is used as it is. */
	if (!c->cpg && ap_cpg_create(c->ev, GROUP, &h, c, &c->cpg) < 0)
		lib_err("cluster: cannot set up the process group");
	start_corosync(c);
	if (!c->tick && sd_event_add_time_relative(c->ev, &c->tick, CLOCK_MONOTONIC,
	                                           REPORT_TICK_USEC, 0, on_tick, c) < 0)
		lib_err("cluster: cannot arm the report timer");
	c->hooks.placed(c->arg);
}

int ap_cluster_setup(struct ap_cluster *c, const char *name, const char *nodes, const char *mgmt,
                     const char *mgmt_port, char *err, size_t errlen)
{
	char list[1024], *save = NULL;
	json_t *arr = json_array();
	uint8_t key[KEY_BYTES];
	uint32_t id = 0;
	int rc;

	if (c->enabled)
		return snprintf(err, errlen, "This node is already in cluster '%s'.", c->name),
		       -EEXIST;
	if (strlen(nodes) >= sizeof(list))
		return snprintf(err, errlen, "The node list is too long."), -EINVAL;
	snprintf(list, sizeof(list), "%s", nodes);
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '='), cidr[64];
		struct vs_vip tmp;
		if (!eq) {
			json_decref(arr);
			return snprintf(err, errlen,
			                "'%s' is not NODE=ADDRESS[+ADDRESS] (e.g. "
			                "n1=198.51.100.1+192.0.2.11: interconnect, then public "
			                "network).",
			                t),
			       -EINVAL;
		}
		*eq = '\0';
		char *plus = strchr(eq + 1, '+');
		struct vs_vip tmp2 = {0};
		if (plus)
			*plus = '\0';
		snprintf(cidr, sizeof(cidr), "%s/%d", eq + 1, strchr(eq + 1, ':') ? 128 : 32);
		if (vs_check_name("node", t, VS_NAME_MAX, err, errlen) < 0 ||
		    vs_parse_vip(cidr, &tmp, err, errlen) < 0) {
			json_decref(arr);
			return -EINVAL;
		}
		if (plus) {
			snprintf(cidr, sizeof(cidr), "%s/%d", plus + 1,
			         strchr(plus + 1, ':') ? 128 : 32);
			if (vs_parse_vip(cidr, &tmp2, err, errlen) < 0) {
				json_decref(arr);
				return -EINVAL;
			}
		}
		json_array_append_new(arr,
		                      json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)++id,
		                                "name", t, "addr", tmp.addr, "addr2", tmp2.addr));
	}
	if (mgmt && *mgmt) {
		struct vs_vip tmp;
		if (vs_parse_vip(mgmt, &tmp, err, errlen) < 0) {
			json_decref(arr);
			return -EINVAL;
		}
		if (!mgmt_port || !*mgmt_port) {
			json_decref(arr);
			return snprintf(err, errlen,
			                "The management address needs the port it goes on "
			                "(--mgmt-port)."),
			       -EINVAL;
		}
	}
	json_t *d = json_pack("{s:s, s:o, s:s, s:s}", "name", name, "nodes", arr, "mgmt",
	                      mgmt ? mgmt : "", "mgmt_port", mgmt_port ? mgmt_port : "");
	err[0] = '\0';
	rc = load_definition(c, d, err, errlen);
	json_decref(d);
	if (rc < 0)
		return rc;
	if (getrandom(key, sizeof(key), 0) != sizeof(key))
		return snprintf(err, errlen, "No randomness for the cluster key."), -EIO;
	rc = write_key(c, key, sizeof(key));
	if (rc == 0)
		rc = save_definition(c);
	if (rc < 0)
		return snprintf(err, errlen, "The cluster definition cannot be saved."), rc;
	cevent(c, NULL, "info", "cluster %s created with %d nodes; this node is %s (id %u)",
	       c->name, c->n_nodes, c->node, c->my_id);
	enable(c);
	return 0;
}

json_t *ap_cluster_bundle(struct ap_cluster *c, char *err, size_t errlen)
{
	char path[PATH_MAX], *b64 = NULL;
	json_t *nodes = json_array();

	if (!c->enabled) {
		json_decref(nodes);
		snprintf(err, errlen, "This node is not in a cluster: create one first.");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/cluster/authkey", c->state_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t buf[KEY_BYTES];
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	if (fd >= 0)
		close(fd);
	if (n != KEY_BYTES || lib_b64_encode(buf, KEY_BYTES, &b64) < 0) {
		json_decref(nodes);
		snprintf(err, errlen, "The cluster key cannot be read.");
		return NULL;
	}
	nodes_json(c, nodes);
	json_t *b = json_pack("{s:s, s:o, s:s, s:s, s:s}", "name", c->name, "nodes", nodes, "key",
	                      b64, "mgmt", c->mgmt, "mgmt_port", c->mgmt_port);
	free(b64);
	return b;
}

int ap_cluster_join(struct ap_cluster *c, json_t *bundle, char *err, size_t errlen)
{
	const char *b64 = json_string_value(json_object_get(bundle, "key"));
	uint8_t *key = NULL;
	size_t len = 0;
	int rc;

	if (c->enabled)
		return snprintf(err, errlen, "This node is already in cluster '%s'.", c->name),
		       -EEXIST;
	if (c->hooks.config(c->arg)->n_vservers > 0)
		return snprintf(err, errlen,
		                "This node has virtual servers of its own: a node joins a cluster "
		                "empty."),
		       -EBUSY;
	if (!b64 || lib_b64_decode(b64, &key, &len) < 0 || len != KEY_BYTES) {
		free(key);
		return snprintf(err, errlen, "The bundle holds no valid cluster key."), -EINVAL;
	}
	err[0] = '\0';
	rc = load_definition(c, bundle, err, errlen);
	if (rc == 0)
		rc = write_key(c, key, len);
	free(key);
	if (rc == 0)
		rc = save_definition(c);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "The cluster definition cannot be saved.");
		return rc;
	}
	cevent(c, NULL, "info", "joined cluster %s as %s (id %u)", c->name, c->node, c->my_id);
	enable(c);
	return 0;
}

/* --- public ---------------------------------------------------------------------- */

int ap_cluster_create(sd_event *ev, const struct ap_cluster_opts *o,
                      const struct ap_cluster_hooks *hooks, void *arg, struct ap_cluster **out)
{
	struct ap_cluster *c = calloc(1, sizeof(*c));
	char text[4096], err[VS_ERR_LEN] = "";

	if (!c)
		return -ENOMEM;
	c->ev = sd_event_ref(ev);
	c->hooks = *hooks;
	c->arg = arg;
	c->store = o->store;
	c->node = strdup(o->node);
	c->run_dir = strdup(o->run_dir);
	c->state_dir = strdup(o->state_dir);
	c->self_dir = strdup(o->self_dir ? o->self_dir : "/usr/sbin");
	c->ka_weight = -1;
	c->corosync = (struct keep){.name = "corosync",
	                            .backoff = {.min = 1000000, .max = 30000000},
	                            .start = start_corosync,
	                            .c = c};
	c->keepalived = (struct keep){.name = "keepalived",
	                              .backoff = {.min = 1000000, .max = 30000000},
	                              .start = start_keepalived,
	                              .c = c};
	c->placement = calloc(1, sizeof(*c->placement));
	c->states = json_object();
	c->takeovers = json_object();
	c->held = json_object();
	if (!c->node || !c->run_dir || !c->state_dir || !c->placement || !c->states ||
	    !c->takeovers || !c->held) {
		ap_cluster_destroy(c);
		return -ENOMEM;
	}
	*out = c;
	if (vs_store_meta_get(c->store, "cluster", text, sizeof(text)) == 0) {
		json_t *d = json_loads(text, 0, NULL);
		int rc = d ? load_definition(c, d, err, sizeof(err)) : -EINVAL;
		json_decref(d);
		if (rc < 0) {
			lib_err("cluster: the stored cluster definition is unusable: %s", err);
			return 0;
		}
		/* The placement last agreed, until the master says otherwise. */
		char ptext[65536];
		if (vs_store_meta_get(c->store, "placement", ptext, sizeof(ptext)) == 0) {
			json_t *p = json_loads(ptext, 0, NULL);
			load_placement(c, json_object_get(p, "map"));
			c->epoch = (uint64_t)json_integer_value(json_object_get(p, "epoch"));
			json_decref(p);
		}
		enable(c);
	}
	return 0;
}

void ap_cluster_destroy(struct ap_cluster *c)
{
	if (!c)
		return;
	ap_cpg_destroy(c->cpg);
	c->flush = sd_event_source_disable_unref(c->flush);
	for (int i = 0; i < c->n_out; i++)
		free(c->out[i]);
	c->corosync.restart = sd_event_source_disable_unref(c->corosync.restart);
	c->tick = sd_event_source_disable_unref(c->tick);
	/* corosync outlives a restart of applianced, as the VSs' servers do: the
	 * node stays a member and its VSs stay where they are. */
	lib_run_detach(c->corosync.run);
	lib_run_detach(c->keepalived.run);
	c->keepalived.restart = sd_event_source_disable_unref(c->keepalived.restart);
	free(c->self_dir);
	for (int i = 0; i < MAX_PENDING; i++)
		if (c->pend[i].req)
			c->hooks.reply(c->arg, c->pend[i].conn,
			               json_pack("{s:b, s:s}", "ok", 0, "error",
			                         "applianced is stopping; the change may not have "
			                         "been applied."));
	ap_fence_cancel(c->fence);
	c->fence_wait = sd_event_source_disable_unref(c->fence_wait);
	json_decref(c->takeovers);
	json_decref(c->held);
	json_decref(c->states);
	free(c->last_report);
	free(c->last_place);
	free(c->placement);
	free(c->node);
	free(c->run_dir);
	free(c->state_dir);
	sd_event_unref(c->ev);
	free(c);
}

bool ap_cluster_enabled(const struct ap_cluster *c)
{
	return c && c->enabled;
}

bool ap_cluster_quorate(const struct ap_cluster *c)
{
	return c && c->connected && c->quorate;
}

const char *ap_cluster_master(const struct ap_cluster *c)
{
	uint32_t low = UINT32_MAX;

	if (!ap_cluster_quorate(c))
		return NULL;
	for (int i = 0; i < c->n_members; i++)
		if (c->members[i] < low)
			low = c->members[i];
	return name_of(c, low);
}

bool ap_cluster_placement_heard(const struct ap_cluster *c)
{
	return c && c->heard_place;
}

const struct vs_placement *ap_cluster_placement(const struct ap_cluster *c)
{
	return c->placement;
}

const char *ap_cluster_vs_state(const struct ap_cluster *c, const char *vs)
{
	return json_string_value(json_object_get(json_object_get(c->states, vs), "state"));
}

int ap_cluster_propose(struct ap_cluster *c, const struct vs_config *next, uint64_t base,
                       uint64_t conn, uid_t uid, const char *vs, const char *what, char *err,
                       size_t errlen)
{
	int slot = -1, rc;

	if (!ap_cluster_quorate(c))
		return snprintf(err, errlen,
		                "This node has no quorum: the cluster accepts no change now."),
		       -ENOLINK;
	for (int i = 0; i < MAX_PENDING; i++)
		if (!c->pend[i].req)
			slot = i;
	if (slot < 0)
		return snprintf(err, errlen, "Too many changes in flight; try again."), -EBUSY;
	c->pend[slot].req = ++c->next_req;
	c->pend[slot].conn = conn;
	rc = send_json(c, json_pack("{s:s, s:I, s:o, s:s, s:I, s:s, s:s, s:I, s:s, s:I}", "t",
	                            "cfg", "base", (json_int_t)base, "doc", vs_config_to_json(next),
	                            "origin", c->node, "req", (json_int_t)c->pend[slot].req, "vs",
	                            vs ? vs : "", "what", what, "uid", (json_int_t)uid, "eo",
	                            c->node, "es", (json_int_t)new_seqs(c, 1)));
	if (rc < 0) {
		c->pend[slot].req = 0;
		return snprintf(err, errlen, "The change could not be sent to the cluster (%s).",
		                strerror(-rc)),
		       rc;
	}
	return 0;
}

int ap_cluster_event(struct ap_cluster *c, const struct vs_event *ev)
{
	if (!c || !c->connected)
		return -ENOTCONN;
	return send_json(c, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I}", "t", "ev", "ts",
	                              (json_int_t)ev->ts_usec, "node", ev->node, "vs", ev->vs ?: "",
	                              "severity", ev->severity, "message", ev->message, "eo",
	                              c->node, "es", (json_int_t)new_seqs(c, 1)));
}

bool ap_cluster_takeover_take(struct ap_cluster *c, const char *vs, char *from, size_t len)
{
	json_t *v = c ? json_object_get(c->takeovers, vs) : NULL;

	if (!v)
		return false;
	snprintf(from, len, "%s", json_string_value(v) ?: "");
	json_object_del(c->takeovers, vs);
	return from[0] != '\0';
}

bool ap_cluster_vs_busy_elsewhere(struct ap_cluster *c, const char *vs, char *who, size_t len)
{
	json_t *st = json_object_get(c->states, vs);
	const char *nd = json_string_value(json_object_get(st, "node"));
	const char *state = json_string_value(json_object_get(st, "state"));

	if (nd && state && strcmp(nd, c->node) != 0 && strcmp(state, "stopped") != 0) {
		snprintf(who, len, "%s", nd);
		return true;
	}
	nd = json_string_value(json_object_get(c->held, vs));
	if (nd && needs_fence(nd, c)) {
		snprintf(who, len, "%s", nd);
		return true;
	}
	return false;
}

bool ap_cluster_has_node(const struct ap_cluster *c, const char *node)
{
	for (int i = 0; c && i < c->n_nodes; i++)
		if (strcmp(c->nodes[i].name, node) == 0)
			return true;
	return false;
}

void ap_cluster_local_changed(struct ap_cluster *c)
{
	if (c && c->enabled)
		send_report(c, false);
}

json_t *ap_cluster_show(struct ap_cluster *c)
{
	json_t *nodes = json_array();

	for (int i = 0; i < c->n_nodes; i++) {
		bool member = false;
		for (int j = 0; j < c->n_members; j++)
			member |= c->members[j] == c->nodes[i].id;
		const char *state = member ? "member" : "away";
		char links[32] = "-";
		if (c->nodes[i].id != c->my_id && c->connected) {
			int l0 = ap_cpg_link_up(c->nodes[i].id, 0);
			int l1 = c->nodes[i].addr2[0] ? ap_cpg_link_up(c->nodes[i].id, 1) : -ENOENT;
			snprintf(links, sizeof(links), "%s%s%s", l0 == 1 ? "ic:up" : "ic:down",
			         l1 == -ENOENT ? "" : ",pub:",
			         l1 == -ENOENT ? ""
			         : l1 == 1     ? "up"
			                       : "down");
		}
		static const char *const fnames[] = {"", "fencing", "fenced", "fenced",
		                                     "fence failed"};
		const struct vs_fence *dev =
		    vs_config_find_fence(c->hooks.config(c->arg), c->nodes[i].name);
		json_array_append_new(nodes,
		                      json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
		                                (json_int_t)c->nodes[i].id, "name",
		                                c->nodes[i].name, "address", c->nodes[i].addr,
		                                "address2", c->nodes[i].addr2, "state", state,
		                                "links", links, "fence", dev ? dev->agent : "none",
		                                "fenced", fnames[c->nodes[i].fstate]));
	}
	return json_pack("{s:b, s:s, s:s, s:b, s:b, s:s, s:o}", "enabled", c->enabled, "cluster",
	                 c->name, "node", c->node, "corosync", c->connected, "quorate",
	                 ap_cluster_quorate(c), "master", ap_cluster_master(c) ?: "", "nodes",
	                 nodes);
}
