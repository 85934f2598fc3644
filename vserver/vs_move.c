/*
 * vs_move.c - the move state machine (see vs_move.h). Pure: the facts and
 * the clock come in, the next move and what to do go out.
 *
 * One step may pass several states while the facts it was given still speak
 * of the same nodes (planned -> releasing -> released -> acquiring when
 * `from` is already fenced); it stops as soon as `from` or `to` changes,
 * since the facts then speak of another node: the next step has fresh ones.
 */
#include "vserver/vs_move.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const state_names[VS_MOVE_NSTATES] = {
    [VS_MOVE_PLANNED] = "planned",   [VS_MOVE_RELEASING] = "releasing",
    [VS_MOVE_RELEASED] = "released", [VS_MOVE_ACQUIRING] = "acquiring",
    [VS_MOVE_DONE] = "done",         [VS_MOVE_STUCK] = "stuck",
};

static const char *const kind_names[VS_MOVE_NKINDS] = {
    [VS_MOVE_START] = "start",     [VS_MOVE_FAILOVER] = "failover", [VS_MOVE_PORTS] = "ports",
    [VS_MOVE_STORAGE] = "storage", [VS_MOVE_MIGRATE] = "migrate",   [VS_MOVE_EVACUATE] = "evacuate",
    [VS_MOVE_REVERT] = "revert",   [VS_MOVE_RECOVER] = "recover",   [VS_MOVE_BALANCE] = "balance",
};

const char *vs_move_state_name(enum vs_move_state s)
{
	return s >= 0 && s < VS_MOVE_NSTATES ? state_names[s] : "?";
}

const char *vs_move_kind_name(enum vs_move_kind k)
{
	return k >= 0 && k < VS_MOVE_NKINDS ? kind_names[k] : "?";
}

int vs_move_state_parse(const char *s, enum vs_move_state *out)
{
	for (int i = 0; s && i < VS_MOVE_NSTATES; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum vs_move_state)i;
			return 0;
		}
	return -EINVAL;
}

int vs_move_kind_parse(const char *s, enum vs_move_kind *out)
{
	for (int i = 0; s && i < VS_MOVE_NKINDS; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum vs_move_kind)i;
			return 0;
		}
	return -EINVAL;
}

void vs_move_init(struct vs_move *m, uint64_t id, const char *vs, const char *from, const char *to,
                  enum vs_move_kind kind, const char *reason, uint64_t now)
{
	memset(m, 0, sizeof(*m));
	m->id = id;
	snprintf(m->vs, sizeof(m->vs), "%s", vs ? vs : "");
	snprintf(m->from, sizeof(m->from), "%s", from ? from : "");
	snprintf(m->to, sizeof(m->to), "%s", to ? to : "");
	m->kind = kind;
	m->state = VS_MOVE_PLANNED;
	snprintf(m->reason, sizeof(m->reason), "%s", reason ? reason : "");
	m->at[VS_MOVE_PLANNED] = now;
}

bool vs_move_over(const struct vs_move *m)
{
	return m->state == VS_MOVE_DONE;
}

const char *vs_move_place(const struct vs_move *m)
{
	switch (m->state) {
	case VS_MOVE_PLANNED:
		return m->from; /* nothing changed yet */
	case VS_MOVE_ACQUIRING:
	case VS_MOVE_DONE:
		return m->to;
	default:
		return ""; /* releasing, released, stuck: on no node */
	}
}

static void say(struct vs_move_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(struct vs_move_out *out, const char *fmt, ...)
{
	size_t len = strlen(out->text);
	va_list ap;

	if (len + 3 >= sizeof(out->text))
		return;
	if (len) {
		memcpy(out->text + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(out->text + len, sizeof(out->text) - len, fmt, ap);
	va_end(ap);
}

/* Seconds since the state was entered, for the log. */
static double since(const struct vs_move *m, enum vs_move_state s, uint64_t now)
{
	return m->at[s] && now > m->at[s] ? (double)(now - m->at[s]) / 1e6 : 0.0;
}

static void enter(struct vs_move *m, enum vs_move_state s, uint64_t now)
{
	m->state = s;
	m->at[s] = now;
	if (s == VS_MOVE_RELEASING)
		m->clean = false;
}

static bool tried(const struct vs_move *m, const char *node)
{
	for (int i = 0; i < m->n_tried; i++)
		if (strcmp(m->tried[i], node) == 0)
			return true;
	return false;
}

static void add_tried(struct vs_move *m, const char *node)
{
	if (!node[0] || tried(m, node))
		return;
	if (m->n_tried == VS_MOVE_MAX_TRIED) /* the oldest makes room */
		memmove(m->tried[0], m->tried[1], sizeof(m->tried[0]) * (VS_MOVE_MAX_TRIED - 1));
	else
		m->n_tried++;
	snprintf(m->tried[m->n_tried - 1], sizeof(m->tried[0]), "%s", node);
}

/* released or stuck: choose the target; true when the move goes on. */
static bool choose_target(struct vs_move *m, const struct vs_move_facts *f, uint64_t now,
                          struct vs_move_out *out)
{
	bool to_ok = m->to[0] && f->to.member && f->to_can_serve;
	uint64_t waited = now - (m->at[m->state] ? m->at[m->state] : now);

	if (to_ok && !tried(m, m->to)) {
		/* the target planned, or the failed one back and healthy */
	} else if (f->next && f->next[0] && strcmp(f->next, m->to) != 0) {
		if (m->to[0])
			say(out, "%s cannot take it now, %s is the next candidate", m->to, f->next);
		snprintf(m->to, sizeof(m->to), "%s", f->next);
	} else if (to_ok && f->retry_tried && waited >= VS_MOVE_RETRY_USEC) {
		say(out, "%s again: no other node can serve it", m->to);
	} else {
		if (m->state != VS_MOVE_STUCK) {
			enter(m, VS_MOVE_STUCK, now);
			say(out, "no node can serve it now: it waits, placed nowhere");
		}
		return false;
	}
	enter(m, VS_MOVE_ACQUIRING, now);
	say(out, "acquiring on %s", m->to);
	return true;
}

void vs_move_step(struct vs_move *m, const struct vs_move_facts *f, uint64_t now,
                  struct vs_move_out *out)
{
	enum vs_move_state was = m->state;
	char was_to[VS_NAME_MAX + 1];

	memset(out, 0, sizeof(*out));
	snprintf(was_to, sizeof(was_to), "%s", m->to);
	for (int guard = 0; guard < VS_MOVE_NSTATES; guard++) {
		bool again = false;

		switch (m->state) {
		case VS_MOVE_PLANNED:
			if (!m->from[0]) {
				enter(m, VS_MOVE_RELEASED, now);
			} else {
				enter(m, VS_MOVE_RELEASING, now);
				say(out, "releasing on %s", m->from);
			}
			again = true;
			break;
		case VS_MOVE_RELEASING:
			if (f->from.member) {
				uint64_t took = now - m->at[VS_MOVE_RELEASING];
				/* A source whose path failed (a storage move) may
				 * still unmount: a few seconds for that spare the
				 * target the MMP wait. */
				bool failed = m->kind == VS_MOVE_STORAGE
				                  ? took >= VS_MOVE_STORAGE_WAIT_USEC &&
				                        f->from.word != VS_MOVE_W_STOPPED
				                  : f->from.word == VS_MOVE_W_FAILED &&
				                        took >= VS_MOVE_RELEASE_FAILED_USEC;
				if (f->from.word == VS_MOVE_W_STOPPED) {
					say(out, "%s released it in %.1f s", m->from,
					    since(m, VS_MOVE_RELEASING, now));
					enter(m, VS_MOVE_RELEASED, now);
					m->clean = true;
					again = true;
				} else if (failed || took > VS_MOVE_RELEASE_USEC) {
					const char *why = failed ? "a step failed there"
					                         : "no word from it in time";
					if (m->kind != VS_MOVE_STORAGE && f->from.fenceable &&
					    !f->from.fenced) {
						out->fence_from = true;
						say(out,
						    "%s could not release it (%s): it is powered "
						    "off "
						    "first",
						    m->from, why);
					} else {
						/* Its path to the LUN fails (or it cannot be
						 * fenced): ext4 MMP refuses the target's mount
						 * for as long as it still writes. */
						say(out,
						    "%s could not release it (%s): the mount on "
						    "the "
						    "target waits for ext4 multi-mount protection",
						    m->from, why);
						enter(m, VS_MOVE_RELEASED, now);
						again = true;
					}
				}
			} else if (f->from.fenced) {
				say(out, "%s is powered off (fenced): released", m->from);
				enter(m, VS_MOVE_RELEASED, now);
				again = true;
			} else if (f->from.fenceable) {
				out->fence_from = true; /* a departed node: off before anything */
			} else {
				say(out,
				    "%s left the cluster and has no fence device: the mount waits "
				    "for ext4 multi-mount protection",
				    m->from);
				enter(m, VS_MOVE_RELEASED, now);
				again = true;
			}
			break;
		case VS_MOVE_RELEASED:
		case VS_MOVE_STUCK:
			choose_target(m, f, now, out);
			break; /* acquiring: the facts of a new target come next step */
		case VS_MOVE_ACQUIRING:
			if (f->to.member && f->to.word == VS_MOVE_W_RUNNING) {
				enter(m, VS_MOVE_DONE, now);
				say(out, "running on %s after %.1f s (move took %.1f s)", m->to,
				    since(m, VS_MOVE_ACQUIRING, now),
				    since(m, VS_MOVE_PLANNED, now));
			} else if (!f->to.member || f->to.word == VS_MOVE_W_FAILED ||
			           now - m->at[VS_MOVE_ACQUIRING] > VS_MOVE_ACQUIRE_USEC) {
				const char *why = !f->to.member ? "left the cluster"
				                  : f->to.word == VS_MOVE_W_FAILED
				                      ? "failed to start it"
				                      : "did not confirm it in time";
				add_tried(m, m->to);
				m->attempts++;
				say(out, "%s %s (attempt %d): it releases it first", m->to, why,
				    m->attempts);
				snprintf(m->from, sizeof(m->from), "%s", m->to);
				enter(m, VS_MOVE_RELEASING, now);
			}
			break;
		case VS_MOVE_DONE:
		case VS_MOVE_NSTATES:
			break;
		}
		if (!again)
			break;
	}
	snprintf(out->place, sizeof(out->place), "%s", vs_move_place(m));
	out->changed = m->state != was || strcmp(m->to, was_to) != 0;
}

int vs_move_trim(struct vs_move *moves, int n, int recent,
                 bool (*exists)(void *arg, const char *vs), void *arg)
{
	json_t *seen = json_object();
	int done = 0;

	for (int i = n - 1; i >= 0; i--) {
		const char *vs = moves[i].vs;
		bool newest = seen && !json_object_get(seen, vs) && exists(arg, vs) &&
		              json_object_set_new(seen, vs, json_true()) == 0;
		if (!vs_move_over(&moves[i]) || ++done <= recent || newest)
			continue;
		memmove(&moves[i], &moves[i + 1], (size_t)(n - i - 1) * sizeof(moves[0]));
		n--;
	}
	json_decref(seen);
	return n;
}
