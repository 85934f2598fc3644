/*
 * vs_index.c - name -> pointer hash table (see vs_index.h).
 */
#include "vserver/vs_index.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

void vs_index_init(struct vs_index *ix)
{
	memset(ix, 0, sizeof(*ix));
}

void vs_index_free(struct vs_index *ix)
{
	free(ix->slots);
	vs_index_init(ix);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t probe(const struct vs_index *ix, const char *key)
{
	size_t mask = ix->cap - 1, i = hash(key) & mask;

	while (ix->slots[i].key && strcmp(ix->slots[i].key, key) != 0)
		i = (i + 1) & mask;
	return i;
}

static int grow(struct vs_index *ix)
{
	size_t cap = ix->cap ? ix->cap * 2 : 16;
	struct vs_index old = *ix;

	ix->slots = calloc(cap, sizeof(*ix->slots));
	if (!ix->slots) {
		*ix = old;
		return -ENOMEM;
	}
	ix->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			ix->slots[probe(ix, old.slots[i].key)] = old.slots[i];
	free(old.slots);
	return 0;
}

int vs_index_put(struct vs_index *ix, const char *key, void *val)
{
	if (ix->cap && ix->slots[probe(ix, key)].key)
		return -EEXIST;
	if (ix->n >= VS_INDEX_MAX)
		return -E2BIG;
	if (2 * (ix->n + 1) > ix->cap) {
		int rc = grow(ix);
		if (rc < 0)
			return rc;
	}
	size_t i = probe(ix, key);
	ix->slots[i].key = key;
	ix->slots[i].val = val;
	ix->n++;
	return 0;
}

void *vs_index_get(const struct vs_index *ix, const char *key)
{
	if (!ix->cap)
		return NULL;
	size_t i = probe(ix, key);
	return ix->slots[i].key ? ix->slots[i].val : NULL;
}

int vs_index_del(struct vs_index *ix, const char *key)
{
	if (!ix->cap)
		return -ENOENT;
	size_t mask = ix->cap - 1, i = probe(ix, key);
	if (!ix->slots[i].key)
		return -ENOENT;
	/* Shift back every following entry that the hole would cut off from
	 * its home slot. */
	for (size_t j = (i + 1) & mask; ix->slots[j].key; j = (j + 1) & mask) {
		size_t home = hash(ix->slots[j].key) & mask;
		/* j stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		ix->slots[i] = ix->slots[j];
		i = j;
	}
	ix->slots[i].key = NULL;
	ix->slots[i].val = NULL;
	ix->n--;
	return 0;
}
