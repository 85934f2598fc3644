/*
 * ap_msg.c - the cluster's message codec (see ap_msg.h).
 *
 * Decoding is by allow-list: every field is fetched through one of a few
 * readers (name, text, count, sequence...) that refuse the wrong JSON type,
 * a value out of range or a string over its length, so a handler only ever
 * sees values it can use as they are. Encoding builds the same JSON and then
 * decodes it once more: what this node sends is what every node will accept.
 */
#include "appliance/ap_msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_msg_int.h"
#include "vserver/vs_err.h"

static const char *const type_names[AP_MSG_NTYPES] = {
    [AP_MSG_NONE] = "",     [AP_MSG_CFG] = "cfg",       [AP_MSG_SYNC] = "sync",
    [AP_MSG_FULL] = "full", [AP_MSG_REPORT] = "report", [AP_MSG_PLACE] = "place",
    [AP_MSG_EV] = "ev",     [AP_MSG_FENCED] = "fenced", [AP_MSG_EVS] = "evs",
    [AP_MSG_LOAD] = "load",
};

static const enum ap_msg_sender rules[AP_MSG_NTYPES] = {
    [AP_MSG_CFG] = AP_FROM_MEMBER,    [AP_MSG_SYNC] = AP_FROM_SELF,
    [AP_MSG_FULL] = AP_FROM_MEMBER,   [AP_MSG_REPORT] = AP_FROM_SELF,
    [AP_MSG_PLACE] = AP_FROM_MASTER,  [AP_MSG_EV] = AP_FROM_SELF,
    [AP_MSG_FENCED] = AP_FROM_MASTER, [AP_MSG_EVS] = AP_FROM_MEMBER,
    [AP_MSG_LOAD] = AP_FROM_SELF,
};

static const char *const sev_names[] = {"info", "warning", "error"};

const char *ap_msg_type_name(enum ap_msg_type t)
{
	return t > AP_MSG_NONE && t < AP_MSG_NTYPES ? type_names[t] : "?";
}

enum ap_msg_sender ap_msg_sender_rule(enum ap_msg_type t)
{
	if (t <= AP_MSG_NONE || t >= AP_MSG_NTYPES)
		abort(); /* programmer error */
	return rules[t];
}

const char *ap_msg_severity_name(enum ap_msg_severity s)
{
	return (unsigned)s <= AP_SEV_ERROR ? sev_names[s] : "info";
}

int ap_msg_severity_parse(const char *s, enum ap_msg_severity *out)
{
	for (int i = 0; i <= AP_SEV_ERROR; i++)
		if (s && strcmp(s, sev_names[i]) == 0) {
			*out = (enum ap_msg_severity)i;
			return 0;
		}
	return -EINVAL;
}

/* --- parts shared by several types ------------------------------------------- */

static int dec_identity(const struct ap_mf_at *at, json_t *o, struct ap_msg *m)
{
	int rc = ap_mf_str(at, o, "eo", false, MF_NAME_OR_EMPTY, m->eo, VS_NAME_MAX);

	if (rc == 0)
		rc = ap_mf_int(at, o, "es", false, 0, AP_MSG_SEQ_MAX, &m->es);
	if (rc == 0 && (m->eo[0] != '\0') != (m->es > 0))
		rc = vs_fail(-EINVAL, at->err, at->errlen,
		             "A '%s' message carries half an event identity.", at->type);
	return rc;
}

static int dec_map(const struct ap_mf_at *at, json_t *o, const char *key, bool required, int *n,
                   struct vs_place_entry **out)
{
	json_t *arr, *e;
	size_t i;
	int rc = ap_mf_array(at, o, key, required, AP_MSG_MAX_MAP, &arr, n);

	if (rc < 0 || *n == 0)
		return rc;
	*out = ap_mf_alloc(*n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	json_array_foreach(arr, i, e)
	{
		if (!json_is_object(e))
			return vs_fail(-EINVAL, at->err, at->errlen,
			               "An entry of the map of a '%s' message is not an object.",
			               at->type);
		if ((rc = ap_mf_str(at, e, "vs", true, MF_NAME, (*out)[i].vs, VS_NAME_MAX)) < 0 ||
		    (rc = ap_mf_str(at, e, "node", true, MF_NAME, (*out)[i].node, VS_NAME_MAX)) < 0)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp((*out)[j].vs, (*out)[i].vs) == 0)
				return vs_fail(
				    -EINVAL, at->err, at->errlen,
				    "The map of a '%s' message places one virtual server twice.",
				    at->type);
	}
	return 0;
}

static int dec_event(const struct ap_mf_at *at, json_t *e, bool relayed, struct ap_msg_event *ev)
{
	char sev[16];
	int rc;

	if (!json_is_object(e))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "An event of a '%s' message is not an object.", at->type);
	if ((rc = ap_mf_int(at, e, "ts", true, 0, AP_MSG_SEQ_MAX, &ev->ts_usec)) < 0 ||
	    (rc = ap_mf_str(at, e, "node", true, MF_NAME, ev->node, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_str(at, e, "vs", false, MF_NAME_OR_EMPTY, ev->vs, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_str(at, e, "severity", true, MF_WORD, sev, sizeof(sev) - 1)) < 0 ||
	    (rc = ap_mf_str(at, e, "message", true, MF_TEXT, ev->message, AP_MSG_TEXT_MAX)) < 0)
		return rc;
	if (ap_msg_severity_parse(sev, &ev->severity) < 0)
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The severity of an event of a '%s' message is not info, warning or "
		               "error.",
		               at->type);
	if (!relayed)
		return 0;
	if ((rc = ap_mf_str(at, e, "origin", true, MF_NAME, ev->origin, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_int(at, e, "oseq", true, 1, AP_MSG_SEQ_MAX, &ev->oseq)) < 0)
		return rc;
	return 0;
}

/* A configuration document: an object with a version in range. The model's
 * own decoder (vs_config_from_json) validates the rest where it is adopted. */
static int dec_doc(const struct ap_mf_at *at, json_t *o, json_t **doc, uint64_t *version)
{
	json_t *d = NULL;
	int rc = ap_mf_object(at, o, "doc", &d);

	if (rc < 0)
		return rc;
	struct ap_mf_at inner = {.type = at->type, .err = at->err, .errlen = at->errlen};
	rc = ap_mf_u64(&inner, d, "version", true, version);
	if (rc < 0)
		return rc;
	*doc = json_incref(d);
	return 0;
}

/* --- one decoder per type ---------------------------------------------------- */

/* A change: {version, vservers: [...], deleted: [...], fgroups?, fences?}
 * (vs_delta.h); the model validates each part where it is applied. */
static int dec_delta(const struct ap_mf_at *at, json_t *o, json_t **delta, uint64_t *version)
{
	json_t *d = NULL, *arr = NULL;
	int n, rc = ap_mf_object(at, o, "delta", &d);

	if (rc < 0 || (rc = ap_mf_u64(at, d, "version", true, version)) < 0 ||
	    (rc = ap_mf_array(at, d, "vservers", true, AP_MSG_MAX_MAP, &arr, &n)) < 0 ||
	    (rc = ap_mf_array(at, d, "deleted", true, AP_MSG_MAX_MAP, &arr, &n)) < 0 ||
	    (rc = ap_mf_array(at, d, "fgroups", false, VS_MAX_FGROUPS, &arr, &n)) < 0 ||
	    (rc = ap_mf_array(at, d, "fences", false, VS_MAX_FENCES, &arr, &n)) < 0)
		return rc;
	*delta = json_incref(d);
	return 0;
}

static int dec_cfg(const struct ap_mf_at *at, json_t *o, struct ap_msg *m)
{
	uint64_t dv;
	int64_t uid;
	int rc;

	if ((rc = ap_mf_u64(at, o, "base", true, &m->cfg.base)) < 0 ||
	    (rc = ap_mf_str(at, o, "origin", true, MF_NAME, m->cfg.origin, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_u64(at, o, "req", true, &m->cfg.req)) < 0 ||
	    (rc = ap_mf_str(at, o, "vs", false, MF_NAME_OR_EMPTY, m->cfg.vs, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_str(at, o, "what", true, MF_TEXT, m->cfg.what, AP_MSG_WHAT_MAX)) < 0 ||
	    (rc = ap_mf_int(at, o, "uid", true, 0, UINT32_MAX, &uid)) < 0 ||
	    (rc = dec_delta(at, o, &m->cfg.delta, &dv)) < 0)
		return rc;
	m->cfg.uid = (uint32_t)uid;
	m->cfg.version = dv;
	if (dv <= m->cfg.base)
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "A 'cfg' message's change is not newer than its base.");
	return 0;
}

static int dec_sync(const struct ap_mf_at *at, json_t *o, struct ap_msg *m)
{
	json_t *marks;
	int rc;

	if ((rc = ap_mf_str(at, o, "node", true, MF_NAME, m->sync.node, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_u64(at, o, "version", true, &m->sync.version)) < 0 ||
	    (rc = ap_mf_u64(at, o, "epoch", false, &m->sync.epoch)) < 0)
		return rc;
	m->sync.has_map = json_object_get(o, "map") != NULL;
	if (m->sync.has_map && !json_object_get(o, "epoch"))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "A 'sync' message has a map but no epoch.");
	if ((rc = dec_map(at, o, "map", false, &m->sync.n_map, &m->sync.map)) < 0)
		return rc;
	if (json_object_get(o, "moves") &&
	    (rc = ap_msg_dec_moves(at, o, &m->sync.n_moves, &m->sync.moves)) < 0)
		return rc;
	marks = json_object_get(o, "marks");
	if (!marks)
		return 0;
	if (!json_is_object(marks))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The 'marks' of a 'sync' message is not an object.");
	if (json_object_size(marks) > AP_MSG_MAX_MARKS)
		return vs_fail(-E2BIG, at->err, at->errlen,
		               "The 'marks' of a 'sync' message has more than %d origins.",
		               AP_MSG_MAX_MARKS);
	m->sync.marks = ap_mf_alloc((int)json_object_size(marks), sizeof(*m->sync.marks));
	if (json_object_size(marks) && !m->sync.marks)
		return -ENOMEM;
	const char *origin;
	json_t *v;
	json_object_foreach(marks, origin, v)
	{
		struct ap_msg_mark *mk = &m->sync.marks[m->sync.n_marks];
		if (!ap_mf_is_name(origin, VS_NAME_MAX))
			return vs_fail(
			    -EINVAL, at->err, at->errlen,
			    "An origin in the 'marks' of a 'sync' message is not a node name.");
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return vs_fail(-EINVAL, at->err, at->errlen,
			               "A mark of a 'sync' message is not a sequence number.");
		snprintf(mk->origin, sizeof(mk->origin), "%s", origin);
		mk->seq = (int64_t)json_integer_value(v);
		m->sync.n_marks++;
	}
	return 0;
}

static int dec_full(const struct ap_mf_at *at, json_t *o, struct ap_msg *m)
{
	int rc = ap_mf_str(at, o, "by", true, MF_NAME, m->full.by, VS_NAME_MAX);

	if (rc == 0)
		rc = dec_doc(at, o, &m->full.doc, &m->full.version);
	return rc;
}

static int dec_report(const struct ap_mf_at *at, json_t *o, struct ap_msg *m)
{
	struct vs_node_report *r = m->report.report = calloc(1, sizeof(*r));
	json_t *rep = NULL, *arr, *e, *states = NULL;
	char node[VS_NAME_MAX + 1];
	int64_t cap;
	size_t i;
	int n, rc;

	if (!r)
		return -ENOMEM;
	if ((rc = ap_mf_str(at, o, "node", true, MF_NAME, node, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_object(at, o, "report", &rep)) < 0 ||
	    (rc = ap_mf_str(at, rep, "node", true, MF_NAME, r->node, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_int(at, rep, "capacity", true, 1, 4096, &cap)) < 0)
		return rc;
	if (strcmp(node, r->node) != 0)
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "A 'report' message speaks for two nodes (%s and %s).", node,
		               r->node);
	r->capacity = (unsigned)cap;
	if ((rc = ap_mf_array(at, rep, "luns", true, VS_REPORT_MAX_LUNS, &arr, &n)) < 0)
		return rc;
	json_array_foreach(arr, i, e)
	{
		if (!json_is_string(e) || json_string_length(e) >= sizeof(r->luns[0]) ||
		    !ap_mf_str_ok(json_string_value(e), MF_LUN, sizeof(r->luns[0]) - 1))
			return vs_fail(-EINVAL, at->err, at->errlen,
			               "A LUN of a 'report' message is not LABEL=... or UUID=...");
		snprintf(r->luns[r->n_luns++], sizeof(r->luns[0]), "%s", json_string_value(e));
	}
	if ((rc = ap_mf_array(at, rep, "healthy_ports", true, VS_REPORT_MAX_PORTS, &arr, &n)) < 0)
		return rc;
	json_array_foreach(arr, i, e)
	{
		if (!json_is_string(e) || !ap_mf_str_ok(json_string_value(e), MF_PORT, VS_PORT_MAX))
			return vs_fail(-EINVAL, at->err, at->errlen,
			               "A port of a 'report' message is not an interface name.");
		snprintf(r->healthy_ports[r->n_ports++], sizeof(r->healthy_ports[0]), "%s",
		         json_string_value(e));
	}
	if ((rc = ap_mf_object(at, o, "states", &states)) < 0)
		return rc;
	if (json_object_size(states) > AP_MSG_MAX_MAP)
		return vs_fail(-E2BIG, at->err, at->errlen,
		               "The 'states' of a 'report' message has more than %d entries.",
		               AP_MSG_MAX_MAP);
	m->report.states = ap_mf_alloc((int)json_object_size(states), sizeof(*m->report.states));
	if (json_object_size(states) && !m->report.states)
		return -ENOMEM;
	const char *vs;
	json_t *st;
	json_object_foreach(states, vs, st)
	{
		struct ap_msg_state *s = &m->report.states[m->report.n_states];
		if (!ap_mf_is_name(vs, VS_NAME_MAX) || !json_is_string(st) ||
		    !ap_mf_str_ok(json_string_value(st), MF_WORD, AP_MSG_STATE_MAX))
			return vs_fail(
			    -EINVAL, at->err, at->errlen,
			    "A state of a 'report' message is not a virtual server and a word.");
		snprintf(s->vs, sizeof(s->vs), "%s", vs);
		snprintf(s->state, sizeof(s->state), "%s", json_string_value(st));
		m->report.n_states++;
	}
	return 0;
}

static int dec_place(const struct ap_mf_at *at, json_t *o, struct ap_msg *m)
{
	json_t *arr, *e;
	size_t i;
	int rc;

	if ((rc = ap_mf_u64(at, o, "epoch", true, &m->place.epoch)) < 0 ||
	    (rc = ap_mf_str(at, o, "by", true, MF_NAME, m->place.by, VS_NAME_MAX)) < 0 ||
	    (rc = dec_map(at, o, "map", true, &m->place.n_map, &m->place.map)) < 0 ||
	    (rc = ap_mf_array(at, o, "notes", true, AP_MSG_MAX_NOTES, &arr, &m->place.n_notes)) < 0)
		return rc;
	if (m->place.epoch == 0)
		return vs_fail(-EINVAL, at->err, at->errlen, "A 'place' message has epoch 0.");
	m->place.notes = ap_mf_alloc(m->place.n_notes, sizeof(*m->place.notes));
	if (m->place.n_notes && !m->place.notes)
		return -ENOMEM;
	json_array_foreach(arr, i, e)
	{
		struct vs_place_note *nt = &m->place.notes[i];
		if (!json_is_object(e))
			return vs_fail(-EINVAL, at->err, at->errlen,
			               "A note of a 'place' message is not an object.");
		if ((rc = ap_mf_str(at, e, "vs", true, MF_NAME, nt->vs, VS_NAME_MAX)) < 0 ||
		    (rc = ap_mf_str(at, e, "text", true, MF_TEXT, nt->text, sizeof(nt->text) - 1)) <
		        0)
			return rc;
	}
	return ap_msg_dec_moves(at, o, &m->place.n_moves, &m->place.moves);
}

static int dec_fenced(const struct ap_mf_at *at, json_t *o, struct ap_msg *m)
{
	int rc;

	if ((rc = ap_mf_str(at, o, "node", true, MF_NAME, m->fenced.node, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_bool(at, o, "ok", &m->fenced.ok)) < 0 ||
	    (rc = ap_mf_str(at, o, "by", true, MF_NAME, m->fenced.by, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_str(at, o, "detail", true, MF_TEXT, m->fenced.detail, AP_MSG_TEXT_MAX)) <
	        0 ||
	    (rc = ap_mf_u64(at, o, "ms", true, &m->fenced.ms)) < 0)
		return rc;
	return 0;
}

/* "events": 1..AP_MSG_MAX_EVENTS events, relayed (with their own identity)
 * or live (numbered by the message's). */
static int dec_events(const struct ap_mf_at *at, json_t *o, bool relayed, int *n,
                      struct ap_msg_event **out)
{
	json_t *arr, *e;
	size_t i;
	int rc = ap_mf_array(at, o, "events", true, AP_MSG_MAX_EVENTS, &arr, n);

	if (rc < 0)
		return rc;
	if (!relayed && *n == 0)
		return vs_fail(-EINVAL, at->err, at->errlen, "An 'ev' message carries no event.");
	*out = ap_mf_alloc(*n, sizeof(**out));
	if (*n && !*out)
		return -ENOMEM;
	json_array_foreach(arr, i, e)
	{
		if ((rc = dec_event(at, e, relayed, &(*out)[i])) < 0)
			return rc;
	}
	return 0;
}

int ap_msg_decode(const char *data, size_t len, struct ap_msg *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o;
	int rc;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (len > AP_MSG_MAX_BYTES)
		return vs_fail(-E2BIG, err, errlen,
		               "A message of %zu bytes is over the limit of %u.", len,
		               AP_MSG_MAX_BYTES);
	o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return vs_fail(-EINVAL, err, errlen, "A message is not a JSON object.");
	}
	json_t *t = json_object_get(o, "t");
	enum ap_msg_type type = AP_MSG_NONE;
	for (int i = AP_MSG_NONE + 1; i < AP_MSG_NTYPES && json_is_string(t); i++)
		if (strcmp(json_string_value(t), type_names[i]) == 0)
			type = (enum ap_msg_type)i;
	if (type == AP_MSG_NONE) {
		json_decref(o);
		return vs_fail(-EINVAL, err, errlen, "A message is of no known type.");
	}
	struct ap_mf_at at = {.type = type_names[type], .err = err, .errlen = errlen};
	out->type = type;
	rc = dec_identity(&at, o, out);
	if (rc == 0) {
		switch (type) {
		case AP_MSG_CFG:
			rc = dec_cfg(&at, o, out);
			break;
		case AP_MSG_SYNC:
			rc = dec_sync(&at, o, out);
			break;
		case AP_MSG_FULL:
			rc = dec_full(&at, o, out);
			break;
		case AP_MSG_REPORT:
			rc = dec_report(&at, o, out);
			break;
		case AP_MSG_PLACE:
			rc = dec_place(&at, o, out);
			break;
		case AP_MSG_EV:
			rc = dec_events(&at, o, false, &out->ev.n, &out->ev.events);
			if (rc == 0 && out->es > AP_MSG_SEQ_MAX - (out->ev.n - 1))
				rc = vs_fail(-EINVAL, err, errlen,
				             "The events of an 'ev' message are numbered past the "
				             "largest sequence number.");
			break;
		case AP_MSG_FENCED:
			rc = dec_fenced(&at, o, out);
			break;
		case AP_MSG_EVS:
			rc = dec_events(&at, o, true, &out->evs.n, &out->evs.events);
			break;
		case AP_MSG_LOAD:
			rc = ap_msg_dec_load(&at, o, out);
			break;
		default:
			abort();
		}
	}
	json_decref(o);
	if (rc < 0) {
		if (rc == -ENOMEM)
			vs_fail(rc, err, errlen, "Out of memory decoding a '%s' message.", at.type);
		ap_msg_clear(out);
	}
	return rc;
}

void ap_msg_clear(struct ap_msg *m)
{
	if (!m)
		return;
	json_decref(m->cfg.delta);
	json_decref(m->full.doc);
	free(m->sync.map);
	free(m->sync.marks);
	free(m->sync.moves);
	free(m->report.states);
	free(m->report.report);
	free(m->place.map);
	free(m->place.notes);
	free(m->place.moves);
	free(m->evs.events);
	free(m->ev.events);
	free(m->load.vs);
	free(m->load.luns);
	memset(m, 0, sizeof(*m));
}

/* --- encoding ---------------------------------------------------------------- */

static json_t *enc_map(int n, const struct vs_place_entry *e)
{
	json_t *a = json_array();

	for (int i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "vs", e[i].vs, "node", e[i].node));
	return a;
}

static json_t *enc_event(const struct ap_msg_event *ev, bool relayed)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s}", "ts", (json_int_t)ev->ts_usec, "node",
	                      ev->node, "vs", ev->vs, "severity",
	                      ap_msg_severity_name(ev->severity), "message", ev->message);
	if (o && relayed) {
		json_object_set_new(o, "origin", json_string(ev->origin));
		json_object_set_new(o, "oseq", json_integer((json_int_t)ev->oseq));
	}
	return o;
}

static json_t *enc_body(const struct ap_msg *m)
{
	json_t *o = NULL, *a;

	switch (m->type) {
	case AP_MSG_CFG:
		o = json_pack("{s:I, s:O, s:s, s:I, s:s, s:s, s:I}", "base",
		              (json_int_t)m->cfg.base, "delta", m->cfg.delta, "origin",
		              m->cfg.origin, "req", (json_int_t)m->cfg.req, "vs", m->cfg.vs, "what",
		              m->cfg.what, "uid", (json_int_t)m->cfg.uid);
		break;
	case AP_MSG_SYNC:
		o = json_pack("{s:s, s:I, s:I}", "node", m->sync.node, "version",
		              (json_int_t)m->sync.version, "epoch", (json_int_t)m->sync.epoch);
		if (o && m->sync.has_map)
			json_object_set_new(o, "map", enc_map(m->sync.n_map, m->sync.map));
		if (o && m->sync.has_map && m->sync.n_moves)
			json_object_set_new(o, "moves",
			                    ap_msg_moves_json(m->sync.moves, m->sync.n_moves));
		if (o && m->sync.n_marks) {
			json_t *mk = json_object();
			for (int i = 0; mk && i < m->sync.n_marks; i++)
				json_object_set_new(mk, m->sync.marks[i].origin,
				                    json_integer((json_int_t)m->sync.marks[i].seq));
			json_object_set_new(o, "marks", mk);
		}
		break;
	case AP_MSG_FULL:
		o = json_pack("{s:O, s:s}", "doc", m->full.doc, "by", m->full.by);
		break;
	case AP_MSG_REPORT: {
		const struct vs_node_report *r = m->report.report;
		json_t *luns = json_array(), *ports = json_array(), *st = json_object();
		for (int i = 0; i < r->n_luns; i++)
			json_array_append_new(luns, json_string(r->luns[i]));
		for (int i = 0; i < r->n_ports; i++)
			json_array_append_new(ports, json_string(r->healthy_ports[i]));
		for (int i = 0; i < m->report.n_states; i++)
			json_object_set_new(st, m->report.states[i].vs,
			                    json_string(m->report.states[i].state));
		o = json_pack("{s:s, s:{s:s, s:I, s:o, s:o}, s:o}", "node", r->node, "report",
		              "node", r->node, "capacity", (json_int_t)r->capacity, "luns", luns,
		              "healthy_ports", ports, "states", st);
		break;
	}
	case AP_MSG_PLACE:
		a = json_array();
		for (int i = 0; a && i < m->place.n_notes; i++)
			json_array_append_new(a, json_pack("{s:s, s:s}", "vs", m->place.notes[i].vs,
			                                   "text", m->place.notes[i].text));
		o = json_pack("{s:I, s:o, s:o, s:s, s:o}", "epoch", (json_int_t)m->place.epoch,
		              "map", enc_map(m->place.n_map, m->place.map), "notes", a, "by",
		              m->place.by, "moves",
		              ap_msg_moves_json(m->place.moves, m->place.n_moves));
		break;
	case AP_MSG_EV:
		a = json_array();
		for (int i = 0; a && i < m->ev.n; i++)
			json_array_append_new(a, enc_event(&m->ev.events[i], false));
		o = json_pack("{s:o}", "events", a);
		break;
	case AP_MSG_FENCED:
		o = json_pack("{s:s, s:b, s:s, s:s, s:I}", "node", m->fenced.node, "ok",
		              m->fenced.ok, "by", m->fenced.by, "detail", m->fenced.detail, "ms",
		              (json_int_t)m->fenced.ms);
		break;
	case AP_MSG_EVS:
		a = json_array();
		for (int i = 0; a && i < m->evs.n; i++)
			json_array_append_new(a, enc_event(&m->evs.events[i], true));
		o = json_pack("{s:o}", "events", a);
		break;
	case AP_MSG_LOAD:
		o = ap_msg_enc_load(m);
		break;
	default:
		abort(); /* programmer error */
	}
	return o;
}

int ap_msg_encode(const struct ap_msg *m, char **out, size_t *len, char *err, size_t errlen)
{
	struct ap_msg check;
	json_t *o;
	char *text;
	int rc;

	*out = NULL;
	if (m->type <= AP_MSG_NONE || m->type >= AP_MSG_NTYPES ||
	    (m->type == AP_MSG_REPORT && !m->report.report))
		abort(); /* programmer error */
	o = enc_body(m);
	if (!o)
		return vs_fail(-ENOMEM, err, errlen, "Out of memory encoding a '%s' message.",
		               type_names[m->type]);
	json_object_set_new(o, "t", json_string(type_names[m->type]));
	if (m->eo[0]) {
		json_object_set_new(o, "eo", json_string(m->eo));
		json_object_set_new(o, "es", json_integer((json_int_t)m->es));
	}
	text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (!text)
		return vs_fail(-ENOMEM, err, errlen, "Out of memory encoding a '%s' message.",
		               type_names[m->type]);
	/* What is sent must decode: the same rules on both ends. */
	rc = ap_msg_decode(text, strlen(text), &check, err, errlen);
	ap_msg_clear(&check);
	if (rc < 0) {
		free(text);
		return rc;
	}
	*out = text;
	*len = strlen(text);
	return 0;
}

void ap_msg_text_mend(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* --- sender rules ------------------------------------------------------------ */

static bool in_list(const char *name, const char *const *list, int n)
{
	for (int i = 0; list && i < n; i++)
		if (list[i] && strcmp(list[i], name) == 0)
			return true;
	return false;
}

int ap_msg_check_sender(const struct ap_msg *m, const char *sender, const char *master,
                        const char *const *present, int n_present, char *err, size_t errlen)
{
	const char *tn = ap_msg_type_name(m->type);
	const char *self = NULL;

	if (!sender || !*sender)
		return vs_fail(-EPERM, err, errlen,
		               "A '%s' message from a node that is not in the cluster.", tn);
	switch (ap_msg_sender_rule(m->type)) {
	case AP_FROM_MASTER:
		if (!master || strcmp(master, sender) != 0)
			return vs_fail(-EPERM, err, errlen,
			               "A '%s' message from %s, which is not the master (%s).", tn,
			               sender, master && *master ? master : "none");
		break;
	case AP_FROM_SELF:
		self = m->type == AP_MSG_SYNC     ? m->sync.node
		       : m->type == AP_MSG_REPORT ? (m->report.report ? m->report.report->node : "")
		       : m->type == AP_MSG_LOAD   ? m->load.node
		                                  : NULL;
		for (int i = 0; !self && i < m->ev.n; i++)
			if (strcmp(m->ev.events[i].node, sender) != 0)
				self = m->ev.events[i].node;
		if (!self)
			self = sender; /* every event of the batch is the sender's */
		if (strcmp(self, sender) != 0)
			return vs_fail(-EPERM, err, errlen, "A '%s' message from %s speaks for %s.",
			               tn, sender, self);
		break;
	case AP_FROM_MEMBER:
		break;
	}
	/* Fields that name the sender must name it. */
	if (m->type == AP_MSG_CFG && strcmp(m->cfg.origin, sender) != 0)
		return vs_fail(-EPERM, err, errlen,
		               "A 'cfg' message from %s claims to come from %s.", sender,
		               m->cfg.origin);
	if ((m->type == AP_MSG_PLACE && strcmp(m->place.by, sender) != 0) ||
	    (m->type == AP_MSG_FENCED && strcmp(m->fenced.by, sender) != 0) ||
	    (m->type == AP_MSG_FULL && strcmp(m->full.by, sender) != 0))
		return vs_fail(-EPERM, err, errlen,
		               "A '%s' message from %s is signed by another node.", tn, sender);
	if (m->type == AP_MSG_FENCED && strcmp(m->fenced.node, sender) == 0)
		return vs_fail(-EPERM, err, errlen, "A 'fenced' message from %s about itself.",
		               sender);
	if (m->eo[0] && strcmp(m->eo, sender) != 0)
		return vs_fail(-EPERM, err, errlen,
		               "A '%s' message from %s numbers its events as %s's.", tn, sender,
		               m->eo);
	if (m->type == AP_MSG_EVS)
		for (int i = 0; i < m->evs.n; i++) {
			const char *o = m->evs.events[i].origin;
			if (strcmp(o, sender) != 0 && in_list(o, present, n_present))
				return vs_fail(
				    -EPERM, err, errlen,
				    "A catch-up from %s relays events of %s, which is present "
				    "to send its own.",
				    sender, o);
		}
	return 0;
}
