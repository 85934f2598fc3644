/*
 * ap_msgload.c - the body of a 'load' message (see ap_msg.h): what one node
 * measured, smoothed, for `vsadm load show` on every node and for the
 * master's balancer. Decoded by allow-list like every other message: names
 * are names, every figure a finite number in range, trends one of the four
 * words, lists within their limits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "appliance/ap_msg.h"
#include "appliance/ap_msg_int.h"
#include "vserver/vs_err.h"
#include "vserver/vs_load.h"

static int dec_trend(const struct ap_mf_at *at, json_t *o, const char *key, int *out)
{
	char w[16];
	enum vs_load_trend t;
	int rc = ap_mf_str(at, o, key, true, MF_WORD, w, sizeof(w) - 1);

	if (rc < 0)
		return rc;
	if (vs_load_trend_parse(w, &t) < 0)
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The '%s' of a '%s' message is not a trend.", key, at->type);
	*out = (int)t;
	return 0;
}

/* An optional request rate: absent (an older node, or not measured) is no
 * figure; present, it must be a finite number in range. */
static int dec_opt_rate(const struct ap_mf_at *at, json_t *o, const char *key, bool *has,
                        double *out)
{
	*has = false;
	*out = 0;
	if (!json_object_get(o, key))
		return 0;
	int rc = ap_mf_num(at, o, key, 0, AP_MSG_LOAD_MAX, out);
	if (rc == 0)
		*has = true;
	return rc;
}

static int dec_vs(const struct ap_mf_at *at, json_t *e, struct ap_load_vs *v)
{
	int rc;

	if (!json_is_object(e))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "A VS load of a '%s' message is not an object.", at->type);
	if ((rc = ap_mf_str(at, e, "vs", true, MF_NAME, v->vs, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_num(at, e, "cpu", 0, AP_MSG_LOAD_MAX, &v->cpu)) < 0 ||
	    (rc = ap_mf_num(at, e, "net_bps", 0, AP_MSG_LOAD_MAX, &v->net_bps)) < 0 ||
	    (rc = ap_mf_num(at, e, "net_pps", 0, AP_MSG_LOAD_MAX, &v->net_pps)) < 0 ||
	    (rc = ap_mf_num(at, e, "io_bps", 0, AP_MSG_LOAD_MAX, &v->io_bps)) < 0 ||
	    (rc = dec_trend(at, e, "cpu_trend", &v->cpu_trend)) < 0 ||
	    (rc = dec_trend(at, e, "net_trend", &v->net_trend)) < 0 ||
	    (rc = dec_opt_rate(at, e, "nfs_rps", &v->has_nfs, &v->nfs_rps)) < 0 ||
	    (rc = dec_opt_rate(at, e, "smb_rps", &v->has_smb, &v->smb_rps)) < 0)
		return rc;
	return 0;
}

static int dec_port(const struct ap_mf_at *at, json_t *e, struct ap_load_port *p)
{
	int rc;

	if (!json_is_object(e))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "A port load of a '%s' message is not an object.", at->type);
	if ((rc = ap_mf_str(at, e, "port", true, MF_PORT, p->port, VS_PORT_MAX)) < 0 ||
	    (rc = ap_mf_num(at, e, "rx_bps", 0, AP_MSG_LOAD_MAX, &p->rx_bps)) < 0 ||
	    (rc = ap_mf_num(at, e, "tx_bps", 0, AP_MSG_LOAD_MAX, &p->tx_bps)) < 0 ||
	    (rc = ap_mf_num(at, e, "speed_bps", 0, AP_MSG_LOAD_MAX, &p->speed_bps)) < 0 ||
	    (rc = dec_trend(at, e, "trend", &p->trend)) < 0)
		return rc;
	return 0;
}

static int dec_lun(const struct ap_mf_at *at, json_t *e, struct ap_load_lun *l)
{
	int rc;

	if (!json_is_object(e))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "A LUN load of a '%s' message is not an object.", at->type);
	if ((rc = ap_mf_str(at, e, "lun", true, MF_LUN, l->lun, sizeof(l->lun) - 1)) < 0 ||
	    (rc = ap_mf_num(at, e, "util", 0, 1, &l->util)) < 0 ||
	    (rc = ap_mf_num(at, e, "read_bps", 0, AP_MSG_LOAD_MAX, &l->read_bps)) < 0 ||
	    (rc = ap_mf_num(at, e, "write_bps", 0, AP_MSG_LOAD_MAX, &l->write_bps)) < 0 ||
	    (rc = ap_mf_num(at, e, "iops", 0, AP_MSG_LOAD_MAX, &l->iops)) < 0 ||
	    (rc = dec_trend(at, e, "trend", &l->trend)) < 0)
		return rc;
	return 0;
}

int ap_msg_dec_load(const struct ap_mf_at *at, json_t *o, struct ap_msg *m)
{
	json_t *vs, *ports, *luns, *e;
	int64_t cores, period;
	size_t i;
	int rc;

	if ((rc = ap_mf_str(at, o, "node", true, MF_NAME, m->load.node, VS_NAME_MAX)) < 0 ||
	    (rc = ap_mf_int(at, o, "cores", true, 1, 4096, &cores)) < 0 ||
	    (rc = ap_mf_num(at, o, "cpu", 0, AP_MSG_LOAD_MAX, &m->load.cpu)) < 0 ||
	    (rc = ap_mf_int(at, o, "period_ms", true, 100, 600000, &period)) < 0 ||
	    (rc = ap_mf_array(at, o, "vs", true, AP_MSG_MAX_LOAD_VS, &vs, &m->load.n_vs)) < 0 ||
	    (rc = ap_mf_array(at, o, "ports", true, VS_REPORT_MAX_PORTS, &ports,
	                      &m->load.n_ports)) < 0 ||
	    (rc = ap_mf_array(at, o, "luns", true, AP_MSG_MAX_LOAD_LUNS, &luns, &m->load.n_luns)) <
	        0)
		return rc;
	m->load.cores = (int)cores;
	m->load.period_ms = (uint64_t)period;
	m->load.vs = ap_mf_alloc(m->load.n_vs, sizeof(*m->load.vs));
	m->load.luns = ap_mf_alloc(m->load.n_luns, sizeof(*m->load.luns));
	if ((m->load.n_vs && !m->load.vs) || (m->load.n_luns && !m->load.luns))
		return -ENOMEM;
	json_array_foreach(vs, i, e)
	{
		if ((rc = dec_vs(at, e, &m->load.vs[i])) < 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (strcmp(m->load.vs[k].vs, m->load.vs[i].vs) == 0)
				return vs_fail(-EINVAL, at->err, at->errlen,
				               "A '%s' message names a VS twice.", at->type);
	}
	json_array_foreach(ports, i, e)
	{
		if ((rc = dec_port(at, e, &m->load.ports[i])) < 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (strcmp(m->load.ports[k].port, m->load.ports[i].port) == 0)
				return vs_fail(-EINVAL, at->err, at->errlen,
				               "A '%s' message names a port twice.", at->type);
	}
	json_array_foreach(luns, i, e)
	{
		if ((rc = dec_lun(at, e, &m->load.luns[i])) < 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (strcmp(m->load.luns[k].lun, m->load.luns[i].lun) == 0)
				return vs_fail(-EINVAL, at->err, at->errlen,
				               "A '%s' message names a LUN twice.", at->type);
	}
	return 0;
}

json_t *ap_msg_enc_load(const struct ap_msg *m)
{
	json_t *vs = json_array(), *ports = json_array(), *luns = json_array();

	for (int i = 0; vs && i < m->load.n_vs; i++) {
		const struct ap_load_vs *v = &m->load.vs[i];
		json_t *e =
		    json_pack("{s:s, s:f, s:f, s:f, s:f, s:s, s:s}", "vs", v->vs, "cpu", v->cpu,
		              "net_bps", v->net_bps, "net_pps", v->net_pps, "io_bps", v->io_bps,
		              "cpu_trend", vs_load_trend_name(v->cpu_trend), "net_trend",
		              vs_load_trend_name(v->net_trend));
		if (e && v->has_nfs)
			json_object_set_new(e, "nfs_rps", json_real(v->nfs_rps));
		if (e && v->has_smb)
			json_object_set_new(e, "smb_rps", json_real(v->smb_rps));
		json_array_append_new(vs, e);
	}
	for (int i = 0; ports && i < m->load.n_ports; i++) {
		const struct ap_load_port *p = &m->load.ports[i];
		json_array_append_new(ports, json_pack("{s:s, s:f, s:f, s:f, s:s}", "port", p->port,
		                                       "rx_bps", p->rx_bps, "tx_bps", p->tx_bps,
		                                       "speed_bps", p->speed_bps, "trend",
		                                       vs_load_trend_name(p->trend)));
	}
	for (int i = 0; luns && i < m->load.n_luns; i++) {
		const struct ap_load_lun *l = &m->load.luns[i];
		json_array_append_new(
		    luns, json_pack("{s:s, s:f, s:f, s:f, s:f, s:s}", "lun", l->lun, "util",
		                    l->util, "read_bps", l->read_bps, "write_bps", l->write_bps,
		                    "iops", l->iops, "trend", vs_load_trend_name(l->trend)));
	}
	return json_pack("{s:s, s:i, s:f, s:I, s:o, s:o, s:o}", "node", m->load.node, "cores",
	                 m->load.cores, "cpu", m->load.cpu, "period_ms",
	                 (json_int_t)m->load.period_ms, "vs", vs, "ports", ports, "luns", luns);
}
