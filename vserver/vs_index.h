/*
 * vs_index.h - a name -> pointer index (a hash table, pure, no I/O).
 *
 * What it is for: lookups by VS name that stay O(1) at 1,000 VSs where a
 * scan of a list would make one configuration change O(n^2) (the daemon's
 * runtimes, a placement's entries while the master places). Open
 * addressing with linear probing; deletion shifts back the entries that
 * follow (no tombstones), so a long-lived index never degrades.
 *
 * Memory: the index owns its slot array only. Keys and values are borrowed:
 * a key must stay valid and unchanged while it is in the index (put the
 * name stored inside the value). vs_index_free leaves it empty and usable.
 * Errors: vs_index_put returns -EEXIST when the key is there already
 * (nothing changes), -ENOMEM (nothing changes), -E2BIG past VS_INDEX_MAX
 * entries; vs_index_del returns -ENOENT when the key is absent.
 */
#ifndef VS_INDEX_H
#define VS_INDEX_H

#include <stddef.h>

#define VS_INDEX_MAX (1u << 20)

struct vs_index_slot {
	const char *key; /* NULL: empty */
	void *val;
};

struct vs_index {
	size_t n, cap; /* cap: 0 or a power of two, kept at least 2 * n */
	struct vs_index_slot *slots;
};

/* An empty index (the same as all zeroes). */
void vs_index_init(struct vs_index *ix);
void vs_index_free(struct vs_index *ix);
int vs_index_put(struct vs_index *ix, const char *key, void *val);
/* The value under key, or NULL. */
void *vs_index_get(const struct vs_index *ix, const char *key);
int vs_index_del(struct vs_index *ix, const char *key);

#endif
