/*
 * ap_loadhist.c - a ring of a node's load points (see ap_loadhist.h).
 *
 * A point copies the lists of the message it came from (VSs, ports, LUNs);
 * the JSON walks the points oldest first and finds each entity of the
 * current message in them by name, trying the same position first, since a
 * node lists its VSs, ports and LUNs in a stable order.
 */
#include "appliance/ap_loadhist.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct point {
	uint64_t at; /* monotonic usec */
	double cpu;
	int n_vs;
	struct ap_load_vs *vs;
	int n_ports;
	struct ap_load_port ports[VS_REPORT_MAX_PORTS];
	int n_luns;
	struct ap_load_lun *luns;
};

struct ap_loadhist {
	struct point p[AP_LOADHIST_POINTS];
	int head; /* the slot the next point goes to */
	int n;    /* points kept */
};

int ap_loadhist_create(struct ap_loadhist **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void point_free(struct point *p)
{
	free(p->vs);
	free(p->luns);
	memset(p, 0, sizeof(*p));
}

void ap_loadhist_destroy(struct ap_loadhist *h)
{
	if (!h)
		return;
	for (int i = 0; i < AP_LOADHIST_POINTS; i++)
		point_free(&h->p[i]);
	free(h);
}

int ap_loadhist_count(const struct ap_loadhist *h)
{
	return h->n;
}

/* n elements of size sz copied (NULL for none); *ok false when out of memory. */
static void *dup_list(const void *src, int n, size_t sz, bool *ok)
{
	if (n <= 0 || !src)
		return NULL;
	void *d = malloc((size_t)n * sz);
	if (!d) {
		*ok = false;
		return NULL;
	}
	memcpy(d, src, (size_t)n * sz);
	return d;
}

int ap_loadhist_add(struct ap_loadhist *h, const struct ap_msg *m, uint64_t now_usec)
{
	if (h->n > 0) {
		const struct point *newest =
		    &h->p[(h->head + AP_LOADHIST_POINTS - 1) % AP_LOADHIST_POINTS];
		if (now_usec < newest->at || now_usec - newest->at < AP_LOADHIST_STEP_USEC)
			return 0;
	}
	bool ok = true;
	struct ap_load_vs *vs = dup_list(m->load.vs, m->load.n_vs, sizeof(*vs), &ok);
	struct ap_load_lun *luns = dup_list(m->load.luns, m->load.n_luns, sizeof(*luns), &ok);
	if (!ok) {
		free(vs);
		free(luns);
		return -ENOMEM;
	}
	struct point *p = &h->p[h->head];
	point_free(p);
	p->at = now_usec;
	p->cpu = m->load.cpu;
	p->n_vs = vs ? m->load.n_vs : 0;
	p->vs = vs;
	p->n_luns = luns ? m->load.n_luns : 0;
	p->luns = luns;
	p->n_ports = m->load.n_ports < 0                     ? 0
	             : m->load.n_ports > VS_REPORT_MAX_PORTS ? VS_REPORT_MAX_PORTS
	                                                     : m->load.n_ports;
	memcpy(p->ports, m->load.ports, (size_t)p->n_ports * sizeof(p->ports[0]));
	h->head = (h->head + 1) % AP_LOADHIST_POINTS;
	if (h->n < AP_LOADHIST_POINTS)
		h->n++;
	return 1;
}

/* The element of arr (n of size sz, each with its name at name_off) named
 * name, trying index hint first; NULL if none. */
static const void *find(const void *arr, int n, size_t sz, size_t name_off, const char *name,
                        int hint)
{
	const char *base = arr;

	if (hint >= 0 && hint < n && strcmp(base + (size_t)hint * sz + name_off, name) == 0)
		return base + (size_t)hint * sz;
	for (int i = 0; i < n; i++)
		if (strcmp(base + (size_t)i * sz + name_off, name) == 0)
			return base + (size_t)i * sz;
	return NULL;
}

static json_int_t ago_s(const struct point *p, uint64_t now)
{
	return (json_int_t)(now > p->at ? (now - p->at) / 1000000 : 0);
}

/* The figures of one entity at one point, or NULL (not there then). */
typedef json_t *(*fig_fn)(const struct point *p, const char *name, int hint, uint64_t now);

static json_t *vs_fig(const struct point *p, const char *name, int hint, uint64_t now)
{
	const struct ap_load_vs *v =
	    find(p->vs, p->n_vs, sizeof(*v), offsetof(struct ap_load_vs, vs), name, hint);
	if (!v)
		return NULL;
	json_t *o = json_pack("{s:I, s:f, s:f, s:f}", "ago_s", ago_s(p, now), "cpu", v->cpu,
	                      "net_bps", v->net_bps, "io_bps", v->io_bps);
	if (o && v->has_nfs)
		json_object_set_new(o, "nfs_rps", json_real(v->nfs_rps));
	if (o && v->has_smb)
		json_object_set_new(o, "smb_rps", json_real(v->smb_rps));
	return o;
}

static json_t *port_fig(const struct point *p, const char *name, int hint, uint64_t now)
{
	const struct ap_load_port *e =
	    find(p->ports, p->n_ports, sizeof(*e), offsetof(struct ap_load_port, port), name, hint);
	return e ? json_pack("{s:I, s:f, s:f}", "ago_s", ago_s(p, now), "rx_bps", e->rx_bps,
	                     "tx_bps", e->tx_bps)
	         : NULL;
}

static json_t *lun_fig(const struct point *p, const char *name, int hint, uint64_t now)
{
	const struct ap_load_lun *e =
	    find(p->luns, p->n_luns, sizeof(*e), offsetof(struct ap_load_lun, lun), name, hint);
	return e ? json_pack("{s:I, s:f, s:f}", "ago_s", ago_s(p, now), "util", e->util, "iops",
	                     e->iops)
	         : NULL;
}

static const struct point *nth_oldest(const struct ap_loadhist *h, int i)
{
	return &h->p[(h->head + AP_LOADHIST_POINTS - h->n + i) % AP_LOADHIST_POINTS];
}

/* A "history" list in every element of o[list], each named by o[list][k][key]. */
static int entity_histories(const struct ap_loadhist *h, json_t *o, const char *list,
                            const char *key, fig_fn fig, uint64_t now)
{
	json_t *arr = json_object_get(o, list), *e;
	size_t k;

	json_array_foreach(arr, k, e)
	{
		const char *name = json_string_value(json_object_get(e, key));
		json_t *hist = json_array();
		if (!hist || json_object_set_new(e, "history", hist) < 0)
			return -ENOMEM;
		for (int i = 0; name && i < h->n; i++) {
			json_t *f = fig(nth_oldest(h, i), name, (int)k, now);
			if (f && json_array_append_new(hist, f) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

int ap_loadhist_json(const struct ap_loadhist *h, json_t *o, uint64_t now_usec)
{
	json_t *pts = json_array();
	json_t *hist = pts ? json_pack("{s:I, s:o}", "step_s",
	                               (json_int_t)(AP_LOADHIST_STEP_USEC / 1000000), "points", pts)
	                   : NULL;

	if (!hist || json_object_set_new(o, "history", hist) < 0)
		return -ENOMEM;
	for (int i = 0; i < h->n; i++) {
		const struct point *p = nth_oldest(h, i);
		if (json_array_append_new(pts, json_pack("{s:I, s:f}", "ago_s", ago_s(p, now_usec),
		                                         "cpu", p->cpu)) < 0)
			return -ENOMEM;
	}
	int rc = entity_histories(h, o, "vs", "vs", vs_fig, now_usec);
	if (rc == 0)
		rc = entity_histories(h, o, "ports", "port", port_fig, now_usec);
	if (rc == 0)
		rc = entity_histories(h, o, "luns", "lun", lun_fig, now_usec);
	return rc;
}
