/*
 * ap_clevents.c - the replicated event log (DESIGN R10, R11).
 *
 * Every event has an identity: the node that numbered it (its origin) and
 * that node's sequence number, carried by the message that makes it (eo, es;
 * a message making n events numbers them es..es+n-1). With it every node
 * stores an event once, whether it hears it live or in a catch-up after it
 * was away. A live identity must be the sender's own (ap_msg_check_sender),
 * so no node can number events as another's.
 *
 * A node's own events go out in batches: those made within
 * AP_CL_EV_BATCH_USEC (or AP_MSG_MAX_EVENTS of them) as one 'ev' message.
 * A takeover of 15 VSs makes about a hundred events on one node; one CPG
 * message each kept corosync busy on a 2-core machine while the VSs were
 * starting.
 *
 * Catch-up: on every process-group change each member sends its marks (the
 * highest number it holds of each origin, in its sync); every member sends
 * another what it holds beyond, in batches. A relay may carry events of
 * origins that are not present (a present node sends its own).
 */
#include "appliance/ap_cluster_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_log.h"

void ap_cl_store_event(struct ap_cluster *c, const struct ap_msg *m, int64_t index,
                       const char *node, const char *vs, const char *severity, const char *message)
{
	struct vs_event ev = {.ts_usec = lib_now_usec(),
	                      .node = node,
	                      .vs = vs ? vs : "",
	                      .severity = severity,
	                      .message = message};

	if (m->eo[0] && m->es > 0 && m->es <= AP_MSG_SEQ_MAX - index) {
		ev.origin = m->eo;
		ev.oseq = m->es + index;
	}
	c->hooks.store_event(c->arg, &ev);
}

/* The batch is sent as one 'ev' message (numbered es..es+n-1 now, so its
 * numbers follow the order the events were made in); if it cannot be sent,
 * each is stored here, numbered by this node, and the others catch it up.
 * `here_too`: also stored here at once, with the identity it went with (the
 * daemon is stopping and will not hear it delivered). */
static void flush_events(struct ap_cluster *c, bool here_too)
{
	struct ap_msg m = {.type = AP_MSG_EV};
	int n = c->n_ev_out;
	bool sent = false;

	c->ev_timer = sd_event_source_disable_unref(c->ev_timer);
	if (n == 0)
		return;
	c->n_ev_out = 0; /* first: ap_cl_identity below flushes too */
	m.ev.n = n;
	m.ev.events = c->ev_out;
	if (ap_cl_connected(c)) {
		ap_cl_identity(&m, c, n);
		sent = ap_cl_send(c, &m) == 0;
		if (sent && !here_too)
			return;
	}
	for (int i = 0; i < n; i++) {
		const struct ap_msg_event *e = &c->ev_out[i];
		struct vs_event ev = {.ts_usec = e->ts_usec,
		                      .node = e->node,
		                      .vs = e->vs,
		                      .severity = ap_msg_severity_name(e->severity),
		                      .message = e->message,
		                      .origin = c->node};
		if (sent && m.es > 0)
			ev.oseq = m.es + i;
		c->hooks.store_event(c->arg, &ev);
	}
}

void ap_cl_flush_events(struct ap_cluster *c)
{
	flush_events(c, false);
}

void ap_cl_flush_events_here_too(struct ap_cluster *c)
{
	flush_events(c, true);
}

static int on_ev_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	ap_cl_flush_events(userdata);
	return 0;
}

int ap_cluster_event(struct ap_cluster *c, const struct vs_event *ev)
{
	struct ap_msg_event *e;

	if (!c || !ap_cl_connected(c))
		return -ENOTCONN;
	if (c->n_ev_out == AP_MSG_MAX_EVENTS)
		ap_cl_flush_events(c);
	e = &c->ev_out[c->n_ev_out++];
	memset(e, 0, sizeof(*e));
	e->ts_usec = ev->ts_usec;
	snprintf(e->node, sizeof(e->node), "%s", ev->node);
	snprintf(e->vs, sizeof(e->vs), "%s", ev->vs ? ev->vs : "");
	if (ap_msg_severity_parse(ev->severity, &e->severity) < 0)
		e->severity = AP_SEV_INFO;
	snprintf(e->message, sizeof(e->message), "%s", ev->message);
	/* Control characters never leave the node: the codec refuses them. */
	ap_msg_text_mend(e->message);
	if (c->n_ev_out == AP_MSG_MAX_EVENTS) {
		ap_cl_flush_events(c);
	} else if (!c->ev_timer &&
	           sd_event_add_time_relative(c->ev, &c->ev_timer, CLOCK_MONOTONIC,
	                                      AP_CL_EV_BATCH_USEC, 0, on_ev_timer, c) < 0) {
		lib_err("cluster: cannot arm the event batch timer; sending at once");
		ap_cl_flush_events(c);
	}
	return 0;
}

void ap_cl_on_ev(struct ap_cluster *c, const struct ap_msg *m)
{
	for (int i = 0; i < m->ev.n; i++) {
		const struct ap_msg_event *e = &m->ev.events[i];
		struct vs_event ev = {.ts_usec = e->ts_usec,
		                      .node = e->node,
		                      .vs = e->vs,
		                      .severity = ap_msg_severity_name(e->severity),
		                      .message = e->message};

		if (m->eo[0] && m->es > 0) {
			ev.origin = m->eo;
			ev.oseq = m->es + i;
		}
		c->hooks.store_event(c->arg, &ev);
	}
}

void ap_cl_on_evs(struct ap_cluster *c, uint32_t from, const struct ap_msg *m)
{
	int added = 0;

	for (int i = 0; i < m->evs.n; i++) {
		const struct ap_msg_event *e = &m->evs.events[i];
		struct vs_event ev = {.ts_usec = e->ts_usec,
		                      .node = e->node,
		                      .vs = e->vs,
		                      .severity = ap_msg_severity_name(e->severity),
		                      .message = e->message,
		                      .origin = e->origin,
		                      .oseq = e->oseq};
		if (vs_store_event_add(c->store, &ev, NULL) == 0)
			added++;
	}
	if (added)
		lib_info("cluster: %d missed event(s) caught up from %s", added,
		         ap_cl_name_of(c, from) ?: "?");
}

static int64_t mark_of(const struct ap_msg *sync, const char *origin)
{
	for (int i = 0; i < sync->sync.n_marks; i++)
		if (strcmp(sync->sync.marks[i].origin, origin) == 0)
			return sync->sync.marks[i].seq;
	return 0;
}

/* A member said which events it holds (the highest sequence number of each
 * origin): send it those this node holds beyond, in batches. Every member
 * does so; each event is stored once wherever it arrives twice. */
void ap_cl_send_missed_events(struct ap_cluster *c, const struct ap_msg *sync)
{
	json_t *mine = NULL, *mark;
	const char *origin;

	if (vs_store_event_marks(c->store, &mine) < 0)
		return;
	json_object_foreach(mine, origin, mark)
	{
		struct ap_cl_node *on = ap_cl_node_named(c, origin);
		/* A present node sends its own events itself; an origin that is
		 * no node name (an old store's) cannot travel. */
		if ((strcmp(origin, c->node) != 0 && on && ap_cl_in_group(c, on->id)) ||
		    vs_check_name("node", origin, VS_NAME_MAX, NULL, 0) < 0)
			continue;
		int64_t after = mark_of(sync, origin);
		int sent = 0;
		while (json_integer_value(mark) > after && sent < AP_CL_CATCHUP_MAX) {
			json_t *batch = NULL, *e;
			size_t i;
			if (vs_store_events_of(c->store, origin, after, AP_CL_CATCHUP_BATCH,
			                       &batch) < 0 ||
			    json_array_size(batch) == 0) {
				json_decref(batch);
				break;
			}
			struct ap_msg m = {.type = AP_MSG_EVS};
			m.evs.events = calloc(json_array_size(batch), sizeof(*m.evs.events));
			if (!m.evs.events) {
				json_decref(batch);
				break;
			}
			json_array_foreach(batch, i, e)
			{
				struct ap_msg_event *o = &m.evs.events[m.evs.n];
				o->ts_usec = json_integer_value(json_object_get(e, "ts"));
				snprintf(o->node, sizeof(o->node), "%s",
				         json_string_value(json_object_get(e, "node")) ?: "");
				snprintf(o->vs, sizeof(o->vs), "%s",
				         json_string_value(json_object_get(e, "vs")) ?: "");
				if (ap_msg_severity_parse(
				        json_string_value(json_object_get(e, "severity")),
				        &o->severity) < 0)
					o->severity = AP_SEV_INFO;
				snprintf(o->message, sizeof(o->message), "%s",
				         json_string_value(json_object_get(e, "message")) ?: "");
				snprintf(o->origin, sizeof(o->origin), "%s", origin);
				o->oseq = json_integer_value(json_object_get(e, "oseq"));
				/* What the codec would refuse is mended, not let stop the
				 * catch-up of this origin: a node that is no name (an old
				 * "?") becomes the origin; a VS name likewise "". */
				if (vs_check_name("node", o->node, VS_NAME_MAX, NULL, 0) < 0)
					snprintf(o->node, sizeof(o->node), "%s", origin);
				if (o->vs[0] && vs_check_name("virtual server", o->vs, VS_NAME_MAX,
				                              NULL, 0) < 0)
					o->vs[0] = '\0';
				ap_msg_text_mend(o->message);
				after = o->oseq;
				m.evs.n++;
			}
			sent += m.evs.n;
			json_decref(batch);
			int rc = ap_cl_send(c, &m);
			free(m.evs.events);
			if (rc < 0)
				break;
		}
	}
	json_decref(mine);
}
