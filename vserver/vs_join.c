/*
 * vs_join.c - a VS's directory join in the model (vs_model.h, struct
 * vs_join): checked by fsexport/fx_join.h's allow-lists, recorded or
 * forgotten, and its JSON form ("join" of a VS: realm, workgroup, dc,
 * dc_name, idmap_lo, idmap_hi). Never a password: there is none to keep.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "fsexport/fx_join.h"
#include "vserver/vs_json.h"
#include "vserver/vs_model.h"

static bool addr_ok(const char *s)
{
	unsigned char bin[16];

	return inet_pton(AF_INET, s, bin) == 1 || inet_pton(AF_INET6, s, bin) == 1;
}

int vs_join_check(const struct vs_join *j, char *err, size_t errlen)
{
	char up[VS_JOIN_REALM_MAX + 1];

	if (fx_join_realm_upper(j->realm, up, sizeof(up)) < 0 || strcmp(up, j->realm) != 0)
		return snprintf(err, errlen,
		                "A realm is a DNS name in upper case of letters, digits, '-' and "
		                "dots, at least two labels."),
		       -EINVAL;
	if (!fx_join_workgroup_ok(j->workgroup))
		return snprintf(err, errlen,
		                "A domain's short name has 1 to 15 letters, digits, '_' or '-'."),
		       -EINVAL;
	if (!addr_ok(j->dc_addr) || !fx_join_host_ok(j->dc_name))
		return snprintf(err, errlen,
		                "A domain controller is an address and a DNS name of letters, "
		                "digits, '-' and dots."),
		       -EINVAL;
	if (!fx_join_ranges_ok(j->rid_lo, j->rid_hi, FX_JOIN_STAR_LO, FX_JOIN_STAR_HI, VS_ID_MIN,
	                       VS_ID_MAX) ||
	    j->rid_lo == 0)
		return snprintf(err, errlen,
		                "The domain's id range %u-%u overlaps the virtual server's own ids "
		                "(%d-%d) or the other domains' range (%u-%u).",
		                j->rid_lo, j->rid_hi, VS_ID_MIN, VS_ID_MAX, FX_JOIN_STAR_LO,
		                FX_JOIN_STAR_HI),
		       -EINVAL;
	return 0;
}

int vs_config_set_join(struct vs_config *cfg, const char *name, const struct vs_join *j, char *err,
                       size_t errlen)
{
	struct vs_vserver *vs;
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0 || (j && (rc = vs_join_check(j, err, errlen)) < 0))
		return rc;
	if (!j) {
		if (vs->join.realm[0]) {
			memset(&vs->join, 0, sizeof(vs->join));
			cfg->version++;
		}
		return 0;
	}
	if (memcmp(&vs->join, j, sizeof(*j)) != 0) {
		vs->join = *j;
		cfg->version++;
	}
	return 0;
}

json_t *vs_join_to_json(const struct vs_join *j)
{
	if (!j->realm[0])
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "realm", j->realm, "workgroup",
	                 j->workgroup, "dc", j->dc_addr, "dc_name", j->dc_name, "idmap_lo",
	                 (json_int_t)j->rid_lo, "idmap_hi", (json_int_t)j->rid_hi);
}

static int copy(char *dst, size_t len, const char *src)
{
	return src && strlen(src) < len ? (snprintf(dst, len, "%s", src), 0) : -EINVAL;
}

int vs_join_from_json(const json_t *o, struct vs_join *j, char *err, size_t errlen)
{
	const char *realm = NULL, *wg = NULL, *dc = NULL, *dcn = NULL;
	json_int_t lo = 0, hi = 0;
	json_error_t jerr;

	memset(j, 0, sizeof(*j));
	if (!o)
		return 0;
	if (json_unpack_ex((json_t *)o, &jerr, JSON_STRICT, "{s:s, s:s, s:s, s:s, s:I, s:I}",
	                   "realm", &realm, "workgroup", &wg, "dc", &dc, "dc_name", &dcn,
	                   "idmap_lo", &lo, "idmap_hi", &hi) < 0 ||
	    lo < 0 || hi < 0 || lo > UINT32_MAX || hi > UINT32_MAX ||
	    copy(j->realm, sizeof(j->realm), realm) < 0 ||
	    copy(j->workgroup, sizeof(j->workgroup), wg) < 0 ||
	    copy(j->dc_addr, sizeof(j->dc_addr), dc) < 0 ||
	    copy(j->dc_name, sizeof(j->dc_name), dcn) < 0)
		return snprintf(err, errlen, "A virtual server's directory join is malformed."),
		       -EINVAL;
	j->rid_lo = (uint32_t)lo;
	j->rid_hi = (uint32_t)hi;
	return vs_join_check(j, err, errlen);
}
