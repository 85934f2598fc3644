/*
 * vs_store.c - SQLite persistence of configuration, events and node facts
 * (see vs_store.h).
 */
#include "vserver/vs_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/lib_log.h"
#include "vserver/vs_account.h"
#include "vserver/vs_tls.h"
#include "vserver/vs_json.h"

#define EVENTS_KEPT 100000

/* A queued event: the struct and its strings in one allocation. */
struct qev {
	struct vs_event ev;
	struct qev *next;
	char text[];
};

/* What a stored VS row holds, to tell whether a VS changed since. */
struct saved_vs {
	char name[VS_NAME_MAX + 1];
	int64_t pos;
	uint64_t hash; /* vs_vserver_hash of what the row holds */
};

/* Event sequence numbers reserved per write of their mark. */
#define VS_STORE_SEQ_BLOCK 1024

struct vs_store {
	sqlite3 *db;
	struct saved_vs *saved; /* the VS rows, in configuration order */
	int n_saved;
	bool saved_valid; /* false: the rows are unknown (rewrite them all) */
	int rows_written; /* by the last configuration save */
	int64_t inserts;
	int64_t seq;      /* the last event sequence number given out; -1 = not read yet */
	int64_t seq_mark; /* reserved up to here in the store ("event_seq") */
	struct qev *qhead, *qtail;
	int nq;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS config(id INTEGER PRIMARY KEY CHECK (id = 1),"
    " version INTEGER NOT NULL, doc TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS config_vs(name TEXT PRIMARY KEY, pos INTEGER NOT NULL,"
    " doc TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " ts_usec INTEGER NOT NULL, node TEXT NOT NULL, vs TEXT NOT NULL,"
    " severity TEXT NOT NULL, message TEXT NOT NULL, origin TEXT, oseq INTEGER);"
    "CREATE INDEX IF NOT EXISTS events_vs ON events(vs, id);";

/* Stores made before events had an identity get the two columns. */
static const char schema_events_identity[] =
    "CREATE UNIQUE INDEX IF NOT EXISTS events_identity ON events(origin, oseq);";

static int sql_fail(struct vs_store *st, const char *what)
{
	lib_err("state store: %s: %s", what, sqlite3_errmsg(st->db));
	return -EIO;
}

/* The file at path made 0600 whatever the umask (created when `create`);
 * never through a symlink. -ENOENT when absent and not to be created. */
static int own_file(const char *path, bool create)
{
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	struct stat sb;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0)
		rc = -errno;
	else if (!S_ISREG(sb.st_mode))
		rc = -EINVAL;
	else if ((sb.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int vs_store_open(const char *path, struct vs_store **out)
{
	struct vs_store *st;
	char *msg = NULL;
	char side[4096];
	int rc;

	/* The store holds secrets (fence passwords): 0600, and SQLite gives its
	 * -wal and -shm files the database's own mode. Old ones are fixed. */
	rc = own_file(path, true);
	if (rc < 0) {
		lib_err("state store: cannot create %s with mode 0600: %s", path, strerror(-rc));
		return rc == -ELOOP ? -EINVAL : rc;
	}
	for (int i = 0; i < 2; i++) {
		snprintf(side, sizeof(side), "%s%s", path, i ? "-shm" : "-wal");
		rc = own_file(side, false);
		if (rc < 0 && rc != -ENOENT) {
			lib_err("state store: cannot make %s mode 0600: %s", side, strerror(-rc));
			return rc;
		}
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->seq = -1;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		lib_err("state store: cannot open %s: %s", path,
		        st->db ? sqlite3_errmsg(st->db) : "out of memory");
		vs_store_close(st);
		return -EIO;
	}
	sqlite3_busy_timeout(st->db, 2000);
	if (sqlite3_exec(st->db, schema, NULL, NULL, &msg) == SQLITE_OK &&
	    sqlite3_exec(st->db, schema_events_identity, NULL, NULL, NULL) != SQLITE_OK) {
		/* An old store: add the columns (an error here is reported below). */
		sqlite3_exec(st->db, "ALTER TABLE events ADD COLUMN origin TEXT;", NULL, NULL,
		             NULL);
		sqlite3_exec(st->db, "ALTER TABLE events ADD COLUMN oseq INTEGER;", NULL, NULL,
		             NULL);
		sqlite3_exec(st->db, schema_events_identity, NULL, NULL, &msg);
	}
	if (msg) {
		lib_err("state store: cannot initialise %s: %s", path, msg);
		sqlite3_free(msg);
		vs_store_close(st);
		return -EIO;
	}
	*out = st;
	return 0;
}

void vs_store_close(struct vs_store *st)
{
	if (!st)
		return;
	if (st->db && vs_store_event_flush(st) < 0)
		lib_err("state store: %d queued events could not be written", st->nq);
	while (st->qhead) {
		struct qev *e = st->qhead;
		st->qhead = e->next;
		free(e);
	}
	sqlite3_close(st->db);
	free(st->saved);
	free(st);
}

/* --- configuration: a header row and one row per VS ---------------------------- */

/* The configuration is stored as a header (version, failover groups, fence
 * devices: config row 1, a document without "vservers") and one row per VS
 * (config_vs: its document and its position in the list). A save compares
 * each VS with what this store last wrote or read (its hash) and writes
 * only the rows of VSs that changed, appeared or went, with the header, in
 * one synchronous=FULL transaction: one change writes one row, at 1,000
 * VSs as at one. A store of the older single-document form (config row 1
 * with "vservers") is read as such and rewritten in rows by the next save. */

static int begin(struct vs_store *st);
static int end(struct vs_store *st, int rc);

static int find_saved(const struct vs_store *st, const char *name, int hint)
{
	if (hint >= 0 && hint < st->n_saved && strcmp(st->saved[hint].name, name) == 0)
		return hint;
	for (int i = 0; i < st->n_saved; i++)
		if (strcmp(st->saved[i].name, name) == 0)
			return i;
	return -1;
}

/* One statement of the configuration: ?1 a name (when not NULL), ?2 a
 * number, ?3 the document (NULL: none; taken, and -ENOMEM if it is NULL
 * while wanted). */
static int exec_row(struct vs_store *st, const char *sql, const char *name, int64_t n, json_t *doc,
                    bool want_doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	sqlite3_stmt *q = NULL;
	int rc = 0;

	json_decref(doc);
	if (want_doc && !text)
		return -ENOMEM;
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) ||
	    (name && sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC)) ||
	    (want_doc &&
	     (sqlite3_bind_int64(q, 2, n) || sqlite3_bind_text(q, 3, text, -1, SQLITE_STATIC))) ||
	    sqlite3_step(q) != SQLITE_DONE)
		rc = sql_fail(st, "write the configuration");
	sqlite3_finalize(q);
	free(text);
	return rc;
}

/* One VS row: its document at position pos. */
static int put_vs_row(struct vs_store *st, const struct vs_vserver *vs, int64_t pos)
{
	int rc = exec_row(st,
	                  "INSERT INTO config_vs(name, pos, doc) VALUES (?1, ?2, ?3) "
	                  "ON CONFLICT(name) DO UPDATE SET pos = excluded.pos, doc = excluded.doc",
	                  vs->name, pos, vs_vserver_to_json(vs), true);

	st->rows_written += rc == 0;
	return rc;
}

static int exec_name(struct vs_store *st, const char *sql, const char *name)
{
	return exec_row(st, sql, name, 0, NULL, false);
}

static int put_header(struct vs_store *st, const struct vs_config *cfg)
{
	json_t *doc =
	    json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "version", (json_int_t)cfg->version,
	              "fgroups", vs_fgroups_to_json(cfg), "fences", vs_fences_to_json(cfg), "maint",
	              vs_maint_to_json(cfg), "standby", vs_standby_to_json(cfg), "balance",
	              vs_balance_to_json(cfg));

	if (doc && cfg->n_accounts)
		json_object_set_new(doc, "accounts", vs_accounts_to_json(cfg));
	if (doc && cfg->tls_cert)
		json_object_set_new(doc, "tls", vs_tls_to_json(cfg));

	return exec_row(st,
	                "INSERT INTO config(id, version, doc) VALUES (1, ?2, ?3) "
	                "ON CONFLICT(id) DO UPDATE SET version = excluded.version, doc = "
	                "excluded.doc",
	                NULL, (int64_t)cfg->version, doc, true);
}

/* Can the rows be updated in place: the VSs this store holds keep their
 * order, and new ones only follow them (a change adds at the end, deletes,
 * or replaces in place)? Else every row is rewritten. */
static bool in_place(const struct vs_store *st, const struct vs_config *cfg)
{
	int64_t last = 0;
	bool added = false;

	if (!st->saved_valid)
		return false;
	for (int i = 0, k = -1; i < cfg->n_vservers; i++) {
		k = find_saved(st, cfg->vservers[i].name, k + 1);
		if (k < 0) {
			added = true;
			continue;
		}
		if (added || st->saved[k].pos <= last)
			return false;
		last = st->saved[k].pos;
	}
	return true;
}

static int save_rows(struct vs_store *st, const struct vs_config *cfg, struct saved_vs *ns)
{
	bool keep = in_place(st, cfg);
	int64_t next = 1;
	int rc = 0;

	if (!keep) {
		rc = exec_name(st, "DELETE FROM config_vs", NULL);
	} else {
		for (int k = 0; k < st->n_saved; k++)
			if (next <= st->saved[k].pos)
				next = st->saved[k].pos + 1;
		/* Gone: deleted rows count as written. */
		for (int k = 0, i = -1; rc == 0 && k < st->n_saved; k++) {
			bool found = false;
			for (int j = 0; j < cfg->n_vservers && !found; j++) {
				int at = (i + 1 + j) % cfg->n_vservers;
				if (strcmp(cfg->vservers[at].name, st->saved[k].name) == 0) {
					found = true;
					i = at;
				}
			}
			if (!found) {
				rc = exec_name(st, "DELETE FROM config_vs WHERE name = ?",
				               st->saved[k].name);
				st->rows_written += rc == 0;
			}
		}
	}
	for (int i = 0, k = -1; rc == 0 && i < cfg->n_vservers; i++) {
		const struct vs_vserver *vs = &cfg->vservers[i];
		uint64_t h = vs_vserver_hash(vs);
		k = keep ? find_saved(st, vs->name, k + 1) : -1;
		snprintf(ns[i].name, sizeof(ns[i].name), "%s", vs->name);
		ns[i].hash = h;
		if (k >= 0) {
			ns[i].pos = st->saved[k].pos;
			if (st->saved[k].hash == h)
				continue;
		} else {
			ns[i].pos = keep ? next++ : i + 1;
		}
		rc = put_vs_row(st, vs, ns[i].pos);
	}
	return rc;
}

int vs_store_save_config(struct vs_store *st, const struct vs_config *cfg)
{
	struct saved_vs *ns = calloc((size_t)cfg->n_vservers + 1, sizeof(*ns));
	int rc;

	if (!ns)
		return -ENOMEM;
	/* Events before it stay before it; and this commit alone is synced:
	 * an acknowledged change survives a power cut. */
	if (vs_store_event_flush(st) < 0)
		lib_warn("state store: queued events still unwritten before a configuration save");
	if (sqlite3_exec(st->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
		free(ns);
		return sql_fail(st, "sync mode");
	}
	st->rows_written = 0;
	rc = begin(st);
	if (rc == 0) {
		rc = save_rows(st, cfg, ns);
		if (rc == 0)
			rc = put_header(st, cfg);
		rc = end(st, rc);
	}
	if (rc == 0) {
		free(st->saved);
		st->saved = ns;
		st->n_saved = cfg->n_vservers;
		st->saved_valid = true;
	} else {
		free(ns);
	}
	if (sqlite3_exec(st->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK &&
	    rc == 0)
		rc = sql_fail(st, "sync mode");
	return rc;
}

int vs_store_config_rows_written(const struct vs_store *st)
{
	return st->rows_written;
}

/* The rows of the VSs, in order, loaded into cfg through the model's
 * validated loader; what was read becomes what the next save compares to. */
static int load_rows(struct vs_store *st, struct vs_config *cfg)
{
	sqlite3_stmt *q;
	int rc = 0, step;

	if (sqlite3_prepare_v2(st->db, "SELECT pos, doc FROM config_vs ORDER BY pos", -1, &q, NULL))
		return sql_fail(st, "read configuration");
	while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		json_error_t jerr;
		char err[VS_ERR_LEN];
		json_t *doc = json_loads((const char *)sqlite3_column_text(q, 1), 0, &jerr);
		if (!doc) {
			lib_err("state store: a stored virtual server is not JSON (at byte %d)",
			        jerr.position);
			rc = -EINVAL;
			break;
		}
		rc = vs_json_load_vs(doc, cfg, err, sizeof(err));
		json_decref(doc);
		if (rc < 0) {
			lib_err("state store: a stored virtual server is invalid: %s", err);
			break;
		}
		struct saved_vs *s = realloc(st->saved, (size_t)(st->n_saved + 1) * sizeof(*s));
		if (!s) {
			rc = -ENOMEM;
			break;
		}
		st->saved = s;
		s = &st->saved[st->n_saved++];
		const struct vs_vserver *vs = &cfg->vservers[cfg->n_vservers - 1];
		snprintf(s->name, sizeof(s->name), "%s", vs->name);
		s->pos = sqlite3_column_int64(q, 0);
		s->hash = vs_vserver_hash(vs);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = sql_fail(st, "read configuration");
	sqlite3_finalize(q);
	return rc;
}

/* The header document: version, groups, fences, the nodes under maintenance
 * and the standby nodes, the balancing settings, the console accounts and
 * the console's certificate (its VSs come from rows). A header written
 * before standby and balance were kept has neither: the defaults then. */
static int load_header(struct vs_store *st, const json_t *doc, struct vs_config *cfg)
{
	json_int_t version = 0;
	char err[VS_ERR_LEN];
	int rc;

	if (vs_json_int(doc, "version", 0, INT64_MAX, &version) != 0) {
		lib_err("state store: the stored configuration has no valid version");
		return -EINVAL;
	}
	if ((rc = vs_json_load_fgroups(json_object_get(doc, "fgroups"), cfg, err, sizeof(err))) <
	        0 ||
	    (rc = vs_json_load_fences(json_object_get(doc, "fences"), cfg, err, sizeof(err))) < 0 ||
	    (rc = vs_json_load_maint(json_object_get(doc, "maint"), cfg, err, sizeof(err))) < 0 ||
	    (rc = vs_json_load_standby(json_object_get(doc, "standby"), cfg, err, sizeof(err))) <
	        0 ||
	    (rc = vs_json_load_balance(json_object_get(doc, "balance"), cfg, err, sizeof(err))) <
	        0 ||
	    (rc = vs_json_load_accounts(json_object_get(doc, "accounts"), cfg, err, sizeof(err))) <
	        0 ||
	    (rc = vs_json_load_tls(json_object_get(doc, "tls"), cfg, err, sizeof(err))) < 0) {
		lib_err("state store: stored configuration is invalid: %s", err);
		return rc;
	}
	if ((rc = load_rows(st, cfg)) < 0)
		return rc;
	cfg->version = (uint64_t)version;
	return 0;
}

int vs_store_load_config(struct vs_store *st, struct vs_config *cfg)
{
	sqlite3_stmt *q;
	int rc;

	vs_config_free(cfg);
	free(st->saved);
	st->saved = NULL;
	st->n_saved = 0;
	st->saved_valid = false;
	if (sqlite3_prepare_v2(st->db, "SELECT doc FROM config WHERE id = 1", -1, &q, NULL))
		return sql_fail(st, "read configuration");
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		json_error_t jerr;
		char err[VS_ERR_LEN];
		json_t *doc = json_loads((const char *)sqlite3_column_text(q, 0), 0, &jerr);
		if (!doc) {
			/* Position only: jansson's text may quote a fence password. */
			lib_err("state store: stored configuration is not JSON (at byte %d)",
			        jerr.position);
			rc = -EINVAL;
		} else if (json_object_get(doc, "vservers")) {
			/* The single-document form: rewritten in rows by the next save. */
			rc = vs_config_from_json(doc, cfg, err, sizeof(err));
			if (rc < 0)
				lib_err("state store: stored configuration is invalid: %s", err);
		} else {
			rc = load_header(st, doc, cfg);
			st->saved_valid = rc == 0;
		}
		json_decref(doc);
	} else if (rc == SQLITE_DONE) {
		rc = 0;
		st->saved_valid = true; /* nothing saved yet, and no row */
	} else {
		rc = sql_fail(st, "read configuration");
	}
	sqlite3_finalize(q);
	return rc;
}

int vs_store_event_seq(struct vs_store *st, int n, int64_t *first)
{
	char buf[32];
	int rc;

	if (n < 1)
		abort();   /* programmer error */
	if (st->seq < 0) { /* read once: the mark of the last reservation */
		rc = vs_store_meta_get(st, "event_seq", buf, sizeof(buf));
		if (rc < 0 && rc != -ENOENT)
			return rc;
		st->seq = rc == 0 ? atoll(buf) : 0;
		st->seq_mark = st->seq;
	}
	/* Numbers are reserved in blocks: the mark written ahead of use, so a
	 * restart continues past every number ever given (a gap is harmless:
	 * catch-up asks for what lies beyond a mark), and numbering an event
	 * costs no write of its own on the port-failover path. */
	if (st->seq + n > st->seq_mark) {
		long long mark = st->seq + n + VS_STORE_SEQ_BLOCK;
		snprintf(buf, sizeof(buf), "%lld", mark);
		rc = vs_store_meta_set(st, "event_seq", buf);
		if (rc < 0)
			return rc;
		st->seq_mark = mark;
	}
	*first = st->seq + 1;
	st->seq += n;
	return 0;
}

/* Insert one event (numbering a local one, oseq 0 with an origin, from the
 * store): 0 stored, 1 known already. Inside the caller's transaction. */
static int insert_event(struct vs_store *st, const struct vs_event *ev, int64_t *id_out)
{
	sqlite3_stmt *q = NULL;
	int64_t oseq = ev->oseq;
	int rc = 0;

	if (ev->origin && oseq == 0) {
		rc = vs_store_event_seq(st, 1, &oseq);
		if (rc < 0)
			return rc;
	}
	if (sqlite3_prepare_v2(st->db,
	                       "INSERT OR IGNORE INTO events(ts_usec, node, vs, severity, message,"
	                       " origin, oseq) VALUES (?, ?, ?, ?, ?, ?, ?)",
	                       -1, &q, NULL) ||
	    sqlite3_bind_int64(q, 1, ev->ts_usec) ||
	    sqlite3_bind_text(q, 2, ev->node, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(q, 3, ev->vs ? ev->vs : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(q, 4, ev->severity, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(q, 5, ev->message, -1, SQLITE_STATIC) ||
	    (ev->origin ? sqlite3_bind_text(q, 6, ev->origin, -1, SQLITE_STATIC)
	                : sqlite3_bind_null(q, 6)) ||
	    (ev->origin ? sqlite3_bind_int64(q, 7, oseq) : sqlite3_bind_null(q, 7)) ||
	    sqlite3_step(q) != SQLITE_DONE)
		rc = sql_fail(st, "append event");
	sqlite3_finalize(q);
	if (rc < 0)
		return rc;
	if (sqlite3_changes(st->db) == 0)
		return 1; /* known already */
	if (id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	if (++st->inserts % 1000 == 0) {
		char sql[128];
		snprintf(sql, sizeof(sql),
		         "DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - %d",
		         EVENTS_KEPT);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			sql_fail(st, "trim events");
	}
	return 0;
}

static int begin(struct vs_store *st)
{
	return sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0
	                                                                    : sql_fail(st, "begin");
}

/* Commit, or roll back when rc < 0; the numbers given out may be lost then. */
static int end(struct vs_store *st, int rc)
{
	if (sqlite3_exec(st->db, rc >= 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK &&
	    rc >= 0) {
		rc = sql_fail(st, "commit events");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	/* Its mark may not have been kept: write one again at the next use (the
	 * numbers given out stay given, never reused). */
	if (rc < 0 && st->seq >= 0)
		st->seq_mark = st->seq;
	return rc;
}

int vs_store_event_add(struct vs_store *st, const struct vs_event *ev, int64_t *id_out)
{
	int rc = vs_store_event_flush(st); /* what was queued comes first */

	if (rc < 0)
		return rc;
	if ((rc = begin(st)) < 0)
		return rc;
	return end(st, insert_event(st, ev, id_out));
}

int vs_store_event_queue(struct vs_store *st, const struct vs_event *ev)
{
	const char *f[5] = {ev->node ? ev->node : "", ev->vs ? ev->vs : "",
	                    ev->severity ? ev->severity : "", ev->message ? ev->message : "",
	                    ev->origin};
	size_t len[5], total = 0;
	struct qev *e;

	if (st->nq >= VS_STORE_QUEUE_MAX)
		return -ENOBUFS;
	for (int i = 0; i < 5; i++) {
		len[i] = f[i] ? strlen(f[i]) + 1 : 0;
		total += len[i];
	}
	e = malloc(sizeof(*e) + total);
	if (!e)
		return -ENOMEM;
	char *p = e->text, *copy[5];
	for (int i = 0; i < 5; i++) {
		copy[i] = f[i] ? memcpy(p, f[i], len[i]) : NULL;
		p += len[i];
	}
	e->ev = (struct vs_event){.ts_usec = ev->ts_usec,
	                          .node = copy[0],
	                          .vs = copy[1],
	                          .severity = copy[2],
	                          .message = copy[3],
	                          .origin = copy[4],
	                          .oseq = ev->oseq};
	e->next = NULL;
	if (st->qtail)
		st->qtail->next = e;
	else
		st->qhead = e;
	st->qtail = e;
	st->nq++;
	return 0;
}

int vs_store_event_queued(const struct vs_store *st)
{
	return st->nq;
}

int vs_store_event_flush(struct vs_store *st)
{
	int rc;

	if (!st->nq)
		return 0;
	if ((rc = begin(st)) < 0)
		return rc;
	for (struct qev *e = st->qhead; e && rc >= 0; e = e->next)
		rc = insert_event(st, &e->ev, NULL);
	rc = end(st, rc < 0 ? rc : 0);
	if (rc < 0)
		return rc; /* all stay queued, in order, for the next try */
	while (st->qhead) {
		struct qev *e = st->qhead;
		st->qhead = e->next;
		free(e);
	}
	st->qtail = NULL;
	st->nq = 0;
	return 0;
}

/* The end of every reading query: each row added to `into` by row(), q
 * finalized; *out = into, or into freed and -EIO when SQLite failed. A NULL
 * q means preparing or binding failed. */
typedef void (*row_fn)(sqlite3_stmt *q, json_t *into, const void *arg);

static int collect(struct vs_store *st, sqlite3_stmt *q, bool prepared, row_fn row, const void *arg,
                   json_t *into, json_t **out, const char *what)
{
	int rc = SQLITE_ERROR;

	if (!into) {
		sqlite3_finalize(q);
		return -ENOMEM;
	}
	if (prepared)
		while ((rc = sqlite3_step(q)) == SQLITE_ROW)
			row(q, into, arg);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		json_decref(into);
		return sql_fail(st, what);
	}
	*out = into;
	return 0;
}

static void event_row(sqlite3_stmt *q, json_t *into, const void *arg)
{
	json_array_append_new(into, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s}", "id",
	                                      (json_int_t)sqlite3_column_int64(q, 0), "ts_usec",
	                                      (json_int_t)sqlite3_column_int64(q, 1), "node",
	                                      (const char *)sqlite3_column_text(q, 2), "vs",
	                                      (const char *)sqlite3_column_text(q, 3), "severity",
	                                      (const char *)sqlite3_column_text(q, 4), "message",
	                                      (const char *)sqlite3_column_text(q, 5)));
}

static void mark_row(sqlite3_stmt *q, json_t *into, const void *arg)
{
	json_object_set_new(into, (const char *)sqlite3_column_text(q, 0),
	                    json_integer(sqlite3_column_int64(q, 1)));
}

static void origin_row(sqlite3_stmt *q, json_t *into, const void *origin)
{
	json_array_append_new(into, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I}", "ts",
	                                      (json_int_t)sqlite3_column_int64(q, 0), "node",
	                                      (const char *)sqlite3_column_text(q, 1), "vs",
	                                      (const char *)sqlite3_column_text(q, 2), "severity",
	                                      (const char *)sqlite3_column_text(q, 3), "message",
	                                      (const char *)sqlite3_column_text(q, 4), "origin",
	                                      (const char *)origin, "oseq",
	                                      (json_int_t)sqlite3_column_int64(q, 5)));
}

int vs_store_events(struct vs_store *st, int64_t after_id, int limit, const char *vs, json_t **out)
{
	sqlite3_stmt *q = NULL;
	int rc = vs_store_event_flush(st); /* readers see what was just logged */

	if (rc < 0)
		return rc;
	bool ok =
	    !sqlite3_prepare_v2(st->db,
	                        "SELECT id, ts_usec, node, vs, severity, message FROM ("
	                        " SELECT * FROM events WHERE id > ?1 AND (?2 IS NULL OR vs = ?2)"
	                        " ORDER BY id DESC LIMIT ?3) ORDER BY ts_usec, id",
	                        -1, &q, NULL) &&
	    !sqlite3_bind_int64(q, 1, after_id) &&
	    !(vs ? sqlite3_bind_text(q, 2, vs, -1, SQLITE_STATIC) : sqlite3_bind_null(q, 2)) &&
	    !sqlite3_bind_int(q, 3, limit);

	return collect(st, q, ok, event_row, NULL, json_array(), out, "read events");
}

int vs_store_event_marks(struct vs_store *st, json_t **out)
{
	sqlite3_stmt *q = NULL;
	int rc = vs_store_event_flush(st); /* readers see what was just logged */

	if (rc < 0)
		return rc;
	bool ok =
	    !sqlite3_prepare_v2(st->db,
	                        "SELECT origin, MAX(oseq) FROM events WHERE origin IS NOT NULL"
	                        " GROUP BY origin",
	                        -1, &q, NULL);

	return collect(st, q, ok, mark_row, NULL, json_object(), out, "read event marks");
}

int vs_store_events_of(struct vs_store *st, const char *origin, int64_t after, int limit,
                       json_t **out)
{
	sqlite3_stmt *q = NULL;
	int rc = vs_store_event_flush(st); /* readers see what was just logged */

	if (rc < 0)
		return rc;
	bool ok =
	    !sqlite3_prepare_v2(st->db,
	                        "SELECT ts_usec, node, vs, severity, message, oseq FROM events"
	                        " WHERE origin = ?1 AND oseq > ?2 ORDER BY oseq LIMIT ?3",
	                        -1, &q, NULL) &&
	    !sqlite3_bind_text(q, 1, origin, -1, SQLITE_STATIC) &&
	    !sqlite3_bind_int64(q, 2, after) && !sqlite3_bind_int(q, 3, limit);

	return collect(st, q, ok, origin_row, origin, json_array(), out, "read events");
}

int vs_store_meta_get(struct vs_store *st, const char *key, char *val, size_t len)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?", -1, &q, NULL) ||
	    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC)) {
		sqlite3_finalize(q);
		return sql_fail(st, "read meta");
	}
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(val, len, "%s", (const char *)sqlite3_column_text(q, 0));
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : sql_fail(st, "read meta");
	}
	sqlite3_finalize(q);
	return rc;
}

int vs_store_meta_set(struct vs_store *st, const char *key, const char *val)
{
	sqlite3_stmt *q = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(st->db,
	                       "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO "
	                       "UPDATE SET value = excluded.value",
	                       -1, &q, NULL) ||
	    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(q, 2, val, -1, SQLITE_STATIC) || sqlite3_step(q) != SQLITE_DONE)
		rc = sql_fail(st, "write meta");
	sqlite3_finalize(q);
	return rc;
}
