/*
 * vs_store.h - the node's persistent state in SQLite.
 *
 * Holds the configuration (a header row with the version, failover groups
 * and fence devices, and one JSON row per VS; a save writes the header and
 * only the rows of VSs that changed, appeared or went, in one transaction,
 * so a power cut leaves either the old or the new version and one change
 * costs the same at 1,000 VSs as at one; a store of the older one-document
 * form is read and rewritten in rows by the next save), the event log, and
 * small node facts (meta key/values). The database and its
 * -wal/-shm files are mode 0600 whatever the umask (it holds fence
 * passwords); a symlink in their place is refused.
 *
 * Durability: WAL with synchronous=NORMAL, so an ordinary commit does not
 * fsync; a configuration save alone is committed with synchronous=FULL (an
 * acknowledged change survives a power cut). Events logged on the event
 * loop's fast path (a port failover) are queued in memory
 * (vs_store_event_queue: no I/O) and committed together, in order, by
 * vs_store_event_flush, which the daemon calls from a short timer; every
 * reader and every direct write flushes the queue first, so what was logged
 * is seen and the order is kept.
 *
 * Memory: struct vs_store is opaque, created by vs_store_open and freed by
 * vs_store_close. Strings and JSON passed in are borrowed; JSON returned is a
 * new reference owned by the caller.
 * Errors: 0 or a negative errno (-EIO for an SQLite failure, logged with
 * SQLite's message; -EINVAL for a stored document that does not validate).
 */
#ifndef VS_STORE_H
#define VS_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "vserver/vs_model.h"

struct vs_store;

int vs_store_open(const char *path, struct vs_store **out);
void vs_store_close(struct vs_store *st);

/* An empty configuration (version 0) when none was ever saved. */
int vs_store_load_config(struct vs_store *st, struct vs_config *cfg);
int vs_store_save_config(struct vs_store *st, const struct vs_config *cfg);
/* VS rows the last save wrote or deleted (the header row not counted). */
int vs_store_config_rows_written(const struct vs_store *st);

/* An event has an identity in the cluster: the node that numbered it (its
 * origin) and that node's sequence number, so that every node stores it
 * once, however often it hears of it (live, then again in a catch-up). */
struct vs_event {
	long long ts_usec;
	const char *node;
	const char *vs;       /* "" when about the node itself */
	const char *severity; /* "info", "warning", "error" */
	const char *message;
	const char *origin; /* NULL: no identity (a store without a cluster) */
	int64_t oseq;       /* 0 with an origin: number it now, from this store */
};

/* 0 when stored, 1 when an event of the same identity was there already.
 * Flushes the queue first. */
int vs_store_event_add(struct vs_store *st, const struct vs_event *ev, int64_t *id_out);

#define VS_STORE_QUEUE_MAX 4096
/* Queue an event for the next flush (strings copied; a local one is numbered
 * when flushed). -ENOBUFS when VS_STORE_QUEUE_MAX are queued already: the
 * caller flushes and retries, or says loudly that it is lost. */
int vs_store_event_queue(struct vs_store *st, const struct vs_event *ev);
/* Commit every queued event in one transaction, in queue order: 0, or -EIO
 * with every event still queued. */
int vs_store_event_flush(struct vs_store *st);
int vs_store_event_queued(const struct vs_store *st);
/* Reserve n sequence numbers for events this node originates: *first.. */
int vs_store_event_seq(struct vs_store *st, int n, int64_t *first);
/* {origin: highest oseq held} of every origin. */
int vs_store_event_marks(struct vs_store *st, json_t **out);
/* Events of `origin` with oseq > after, by oseq, at most limit: objects
 * {ts, node, vs, severity, message, origin, oseq}. */
int vs_store_events_of(struct vs_store *st, const char *origin, int64_t after, int limit,
                       json_t **out);
/* Events with id > after_id, at most `limit` (the newest ones by id when
 * there are more), in time order; vs may be NULL for all. */
int vs_store_events(struct vs_store *st, int64_t after_id, int limit, const char *vs, json_t **out);

int vs_store_meta_get(struct vs_store *st, const char *key, char *val, size_t len);
int vs_store_meta_set(struct vs_store *st, const char *key, const char *val);

#endif
