/*
 * ap_msgmove.c - the move journal inside a 'place' message (see ap_msg.h):
 * each move decoded by allow-list like every other field, so a journal
 * entry a peer sent is one vs_move_step() can take as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_msg.h"
#include "appliance/ap_msg_int.h"
#include "vserver/vs_err.h"

static int dec_move(const struct ap_mf_at *at, json_t *e, struct vs_move *m)
{
	char kind[16], state[16];
	json_t *tried, *times, *v;
	const char *key;
	int64_t id, attempts;
	int rc, n;

	if (!json_is_object(e))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "A move of a '%s' message is not an object.", at->type);
	memset(m, 0, sizeof(*m));
	if ((rc = ap_mf_int(at, e, "id", true, 1, AP_MSG_SEQ_MAX, &id)) < 0 ||
	    (rc = ap_mf_str(at, e, "vs", true, MF_NAME, m->vs, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_str(at, e, "kind", true, MF_WORD, kind, sizeof(kind) - 1)) < 0 ||
	    (rc = ap_mf_str(at, e, "state", true, MF_WORD, state, sizeof(state) - 1)) < 0 ||
	    (rc = ap_mf_str(at, e, "from", true, MF_NAME_OR_EMPTY, m->from, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_str(at, e, "to", true, MF_NAME_OR_EMPTY, m->to, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_str(at, e, "by", false, MF_NAME_OR_EMPTY, m->by, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_str(at, e, "reason", true, MF_TEXT, m->reason, VS_MOVE_REASON_MAX)) < 0 ||
	    (rc = ap_mf_int(at, e, "attempts", true, 0, 1000000, &attempts)) < 0 ||
	    (rc = ap_mf_array(at, e, "tried", true, VS_MOVE_MAX_TRIED, &tried, &n)) < 0 ||
	    (rc = ap_mf_object(at, e, "at", &times)) < 0)
		return rc;
	/* Optional: journals written before it have none. */
	if (json_object_get(e, "clean") && (rc = ap_mf_bool(at, e, "clean", &m->clean)) < 0)
		return rc;
	m->id = (uint64_t)id;
	m->attempts = (int)attempts;
	if (vs_move_kind_parse(kind, &m->kind) < 0 || vs_move_state_parse(state, &m->state) < 0)
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "A move of a '%s' message has an unknown kind or state.", at->type);
	for (int i = 0; i < n; i++) {
		const char *t = json_string_value(json_array_get(tried, (size_t)i));
		if (!t || !ap_mf_is_name(t, VS_NAME_MAX))
			return vs_fail(-EINVAL, at->err, at->errlen,
			               "A move of a '%s' message names a tried node that is no "
			               "node name.",
			               at->type);
		snprintf(m->tried[m->n_tried++], sizeof(m->tried[0]), "%s", t);
	}
	json_object_foreach(times, key, v)
	{
		enum vs_move_state s;
		if (vs_move_state_parse(key, &s) < 0 || !json_is_integer(v) ||
		    json_integer_value(v) < 0)
			return vs_fail(
			    -EINVAL, at->err, at->errlen,
			    "A move of a '%s' message has a step time that is not a state "
			    "with a time.",
			    at->type);
		m->at[s] = (uint64_t)json_integer_value(v);
	}
	return 0;
}

int ap_msg_dec_moves(const struct ap_mf_at *at, json_t *o, int *n, struct vs_move **out)
{
	json_t *arr, *e;
	size_t i;
	int rc = ap_mf_array(at, o, "moves", true, AP_MSG_MAX_MOVES, &arr, n);

	*out = NULL;
	if (rc < 0)
		return rc;
	*out = ap_mf_alloc(*n, sizeof(**out));
	if (*n && !*out)
		return -ENOMEM;
	json_array_foreach(arr, i, e)
	{
		if ((rc = dec_move(at, e, &(*out)[i])) < 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if ((*out)[k].id == (*out)[i].id)
				return vs_fail(
				    -EINVAL, at->err, at->errlen,
				    "The moves of a '%s' message number two moves alike.",
				    at->type);
	}
	return 0;
}

json_t *ap_msg_move_json(const struct vs_move *m)
{
	json_t *tried = json_array(), *times = json_object();

	for (int i = 0; tried && i < m->n_tried; i++)
		json_array_append_new(tried, json_string(m->tried[i]));
	for (int s = 0; times && s < VS_MOVE_NSTATES; s++)
		if (m->at[s])
			json_object_set_new(times, vs_move_state_name(s),
			                    json_integer((json_int_t)m->at[s]));
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:b}", "id",
	                 (json_int_t)m->id, "vs", m->vs, "kind", vs_move_kind_name(m->kind),
	                 "state", vs_move_state_name(m->state), "from", m->from, "to", m->to, "by",
	                 m->by, "reason", m->reason, "attempts", m->attempts, "tried", tried, "at",
	                 times, "clean", m->clean);
}

json_t *ap_msg_moves_json(const struct vs_move *m, int n)
{
	json_t *a = json_array();

	for (int i = 0; a && i < n; i++)
		json_array_append_new(a, ap_msg_move_json(&m[i]));
	return a;
}
