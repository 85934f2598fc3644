/*
 * ap_weblimit.c - login rate limit and lock-out (see ap_weblimit.h).
 */
#include "appliance/ap_weblimit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void ap_lim_init(struct ap_lim *l, const struct ap_lim_cfg *cfg)
{
	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
}

static bool locked(const struct ap_lim_entry *e, uint64_t now)
{
	return e->used && e->until > now;
}

/* The entry of key, or a place for it (the one idle the longest, never a
 * locked one when keep_locked); NULL when there is none. */
static struct ap_lim_entry *slot(struct ap_lim_entry *tab, const char *key, uint64_t now,
                                 bool keep_locked)
{
	struct ap_lim_entry *victim = NULL;
	char k[AP_LIM_KEY_MAX + 1];

	snprintf(k, sizeof(k), "%s", key ? key : "");
	for (int i = 0; i < AP_LIM_SLOTS; i++) {
		struct ap_lim_entry *e = &tab[i];
		if (e->used && strcmp(e->key, k) == 0)
			return e;
		if (keep_locked && locked(e, now))
			continue;
		if (!e->used) {
			if (!victim || victim->used)
				victim = e; /* a free place before any used one */
		} else if (!victim || (victim->used && e->seen < victim->seen)) {
			victim = e;
		}
	}
	if (!victim)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	snprintf(victim->key, sizeof(victim->key), "%s", k);
	victim->start = victim->seen = now;
	return victim;
}

int ap_lim_check(struct ap_lim *l, const char *addr, const char *name, uint64_t now,
                 uint64_t *retry_s)
{
	struct ap_lim_entry *a = slot(l->addr, addr, now, false);
	struct ap_lim_entry *n = slot(l->name, name, now, true);

	*retry_s = 0;
	if (!n) {
		*retry_s = l->cfg.lock_s;
		return -EBUSY;
	}
	if (now < a->start || now - a->start >= l->cfg.addr_window_s) {
		a->start = now;
		a->count = 0;
	}
	a->seen = now;
	if (a->count >= l->cfg.addr_max) {
		*retry_s = a->start + l->cfg.addr_window_s - now;
		return -EAGAIN;
	}
	a->count++;
	n->seen = now;
	if (locked(n, now)) {
		*retry_s = n->until - now;
		return -EACCES;
	}
	return 0;
}

void ap_lim_result(struct ap_lim *l, const char *name, bool ok, uint64_t now)
{
	struct ap_lim_entry *n = slot(l->name, name, now, true);

	if (!n)
		return;
	n->seen = now;
	if (ok) {
		n->count = 0;
		n->until = 0;
		return;
	}
	if (n->until && n->until <= now) /* a lock-out that ended starts a new count */
		n->until = 0;
	if (++n->count >= l->cfg.fails_max) {
		n->until = now + l->cfg.lock_s;
		n->count = 0;
	}
}
