/*
 * ap_websess.c - the session table (see ap_websess.h).
 */
#include "appliance/ap_websess.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void ap_sess_init(struct ap_sess_table *t, uint64_t idle_s, uint64_t max_s)
{
	memset(t, 0, sizeof(*t));
	t->idle_s = idle_s;
	t->max_s = max_s;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static bool expired(const struct ap_sess_table *t, const struct ap_sess *s, uint64_t now)
{
	return now < s->last /* a clock gone back: trust nothing */ || now - s->last >= t->idle_s ||
	       now - s->born >= t->max_s;
}

static void wipe(struct ap_sess *s)
{
	explicit_bzero(s, sizeof(*s));
}

int ap_sess_new(struct ap_sess_table *t, const char *name, const char *role,
                const unsigned char rnd[2 * AP_SESS_RAND], uint64_t now, struct ap_sess **out)
{
	struct ap_sess *free_slot = NULL;

	if (!name || !role || strlen(name) > AP_SESS_NAME_MAX || !*name ||
	    strlen(role) >= sizeof(free_slot->role))
		return -EINVAL;
	for (int i = 0; i < AP_SESS_MAX; i++) {
		struct ap_sess *s = &t->s[i];
		if (s->used && expired(t, s, now))
			wipe(s);
		if (!s->used && !free_slot)
			free_slot = s;
	}
	if (!free_slot)
		return -ENOSPC;
	free_slot->used = true;
	hex(rnd, AP_SESS_RAND, free_slot->id);
	hex(rnd + AP_SESS_RAND, AP_SESS_RAND, free_slot->csrf);
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	snprintf(free_slot->role, sizeof(free_slot->role), "%s", role);
	free_slot->born = free_slot->last = now;
	*out = free_slot;
	return 0;
}

/* Equal strings of AP_SESS_HEX characters, in time independent of where
 * they differ. */
static bool same_token(const char *a, const char *b)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < AP_SESS_HEX; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static bool well_formed(const char *id)
{
	size_t n = 0;

	if (!id)
		return false;
	for (; id[n] && n <= AP_SESS_HEX; n++)
		if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
			return false;
	return n == AP_SESS_HEX;
}

struct ap_sess *ap_sess_find(struct ap_sess_table *t, const char *id, uint64_t now)
{
	struct ap_sess *found = NULL;

	if (!well_formed(id))
		return NULL;
	for (int i = 0; i < AP_SESS_MAX; i++) {
		struct ap_sess *s = &t->s[i];
		if (!s->used)
			continue;
		if (expired(t, s, now)) {
			wipe(s);
			continue;
		}
		if (same_token(s->id, id))
			found = s;
	}
	if (found)
		found->last = now;
	return found;
}

bool ap_sess_alive(struct ap_sess_table *t, const char *id, uint64_t now)
{
	if (!well_formed(id))
		return false;
	for (int i = 0; i < AP_SESS_MAX; i++)
		if (t->s[i].used && !expired(t, &t->s[i], now) && same_token(t->s[i].id, id))
			return true;
	return false;
}

void ap_sess_end(struct ap_sess_table *t, struct ap_sess *s)
{
	(void)t;
	if (s)
		wipe(s);
}

bool ap_sess_csrf_ok(const struct ap_sess *s, const char *token)
{
	return s && well_formed(token) && same_token(s->csrf, token);
}

int ap_sess_count(struct ap_sess_table *t, uint64_t now)
{
	int n = 0;

	for (int i = 0; i < AP_SESS_MAX; i++) {
		if (t->s[i].used && expired(t, &t->s[i], now))
			wipe(&t->s[i]);
		n += t->s[i].used;
	}
	return n;
}
