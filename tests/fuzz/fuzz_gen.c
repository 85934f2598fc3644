/*
 * fuzz_gen.c - libFuzzer target: the configuration generators.
 *
 * The input is a JSON document read two ways, so one corpus and dictionary
 * serve both:
 *  - raw: the strings and numbers of "vservers" (name, vips[].address,
 *    exports[], shares[]) and of an optional "cluster" object (name, nodes,
 *    paths, token, the keepalived fields) go straight into fx_ganesha_conf,
 *    fx_samba_conf, ap_corosync_conf, ap_keepalived_conf and
 *    ap_keepalived_argv, as if the model had let anything through: each
 *    generator is the last line against an injection and must refuse what
 *    would break its file;
 *  - model: the document decoded by vs_config_from_json; every VS that could
 *    start (a VIP and a file system) is mapped to generator inputs as the
 *    runtime does, and the node names it mentions (fence devices, homes) make
 *    a cluster. What the model accepted, the ganesha and samba generators
 *    must write (DESIGN: model and generators agree); FUZZ_AGREE=0 in the
 *    environment turns that one check off.
 * Whatever a generator writes is checked: printable text, balanced braces
 * with no newline, brace or semicolon inside a quoted value, one block or
 * section per export, share, node; and no accepted value held a newline.
 *
 * Memory: everything per input, freed before returning, except the decoded
 * configuration (allocated once: libFuzzer gives the target no context).
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_clusterconf.h"
#include "fsexport/fx_ganesha.h"
#include "fsexport/fx_samba.h"
#include "tests/fuzz/common.h"
#include "vserver/vs_json.h"

#define MAX_ITEMS 300 /* entries taken from one raw list: above every generator's table */
#define MAX_NODES (AP_CC_MAX_NODES + 2)
#define ROOT "/run/appliance/vs"

/* --- checks of what a generator wrote ------------------------------------------ */

static void no_newline(const char *value)
{
	fz_require(!value || !strpbrk(value, "\r\n"),
	           "a generator accepted a value with a newline");
}

static void check_ganesha(const char *text, const struct fx_ganesha_params *p)
{
	fz_require(fz_text_clean(text), "ganesha.conf with a control character");
	fz_require(fz_braces_ok(text), "ganesha.conf with unbalanced braces or a broken quote");
	fz_require(fz_count_lines(text, "EXPORT {") == p->n_exports,
	           "ganesha.conf without one EXPORT block per export");
	no_newline(p->name);
	no_newline(p->recovery_root);
	for (int i = 0; i < p->n_exports; i++) {
		no_newline(p->exports[i].path);
		no_newline(p->exports[i].pseudo);
		no_newline(p->exports[i].clients);
	}
}

static void check_samba(const char *text, const struct fx_samba_params *p)
{
	int sections = 0;

	fz_require(fz_text_clean(text), "smb.conf with a control character");
	fz_require(fz_smb_ok(text, &sections), "smb.conf with a line that is not key = value");
	fz_require(sections == 1 + p->n_shares, "smb.conf without one section per share");
	no_newline(p->netbios_name);
	no_newline(p->state_dir);
	no_newline(p->run_dir);
	for (int i = 0; i < p->n_addresses; i++)
		no_newline(p->addresses[i]);
	for (int i = 0; i < p->n_shares; i++) {
		no_newline(p->shares[i].name);
		no_newline(p->shares[i].path);
	}
}

static void check_corosync(const char *text, const struct ap_cc_params *p)
{
	fz_require(fz_text_clean(text), "corosync.conf with a control character");
	fz_require(fz_corosync_ok(text), "corosync.conf with a line that is not one directive");
	fz_require(fz_count_lines(text, "node {") == p->n_nodes,
	           "corosync.conf without one node block per node");
}

static void check_keepalived(const char *text, const struct ap_ka_params *p)
{
	fz_require(fz_text_clean(text), "keepalived.conf with a control character");
	fz_require(fz_braces_ok(text), "keepalived.conf with unbalanced braces or a broken quote");
	fz_require(fz_count_lines(text, "vrrp_instance ") == 1,
	           "keepalived.conf without exactly one VRRP instance");
	no_newline(p->interface);
	no_newline(p->vip);
	no_newline(p->check_arg);
}

/* Runs every generator on the given inputs; returns the ganesha and samba results. */
static void run_vs(const struct fx_ganesha_params *gp, const struct fx_samba_params *sp, int *grc,
                   int *src)
{
	char *text = NULL;

	*grc = fx_ganesha_conf(gp, &text);
	fz_require(*grc == 0 || *grc == -EINVAL || *grc == -ENOMEM,
	           "fx_ganesha_conf: an unexpected result");
	fz_note("ganesha.conf: %d", *grc);
	if (*grc == 0)
		check_ganesha(text, gp);
	free(text);
	text = NULL;
	*src = fx_samba_conf(sp, &text);
	fz_require(*src == 0 || *src == -EINVAL || *src == -ENOMEM,
	           "fx_samba_conf: an unexpected result");
	fz_note("smb.conf: %d", *src);
	if (*src == 0)
		check_samba(text, sp);
	free(text);
}

static void run_cluster(const struct ap_cc_params *cp, const char *keyfile,
                        const struct ap_ka_params *kp)
{
	char *text = NULL, **argv = NULL;
	int rc = ap_corosync_conf(cp, keyfile, &text);

	fz_require(rc == 0 || rc == -EINVAL || rc == -ENOMEM, "ap_corosync_conf: unexpected");
	fz_note("corosync.conf: %d", rc);
	if (rc == 0)
		check_corosync(text, cp);
	free(text);
	text = NULL;
	rc = ap_keepalived_conf(kp, &text);
	fz_require(rc == 0 || rc == -EINVAL || rc == -ENOMEM, "ap_keepalived_conf: unexpected");
	fz_note("keepalived.conf: %d", rc);
	if (rc == 0)
		check_keepalived(text, kp);
	free(text);
	rc = ap_keepalived_argv(kp, NULL, "/run/appliance/keepalived.conf", &argv);
	if (rc == 0) {
		int n = 0;
		while (argv[n])
			n++;
		fz_require(n == 12, "ap_keepalived_argv: not the documented argv");
	}
	free(argv);
}

/* --- raw: the document's values straight into the generators ------------------- */

static const char *str(const json_t *o, const char *key, const char *dflt)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

static long long num(const json_t *o, const char *key, long long dflt)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static size_t items(const json_t *arr)
{
	size_t n = json_array_size(arr);

	return n > MAX_ITEMS ? MAX_ITEMS : n;
}

static void raw_vs(const json_t *vs, struct fx_nfs_export *ex, struct fx_smb_share *sh,
                   const char **addrs)
{
	const json_t *exps = json_object_get(vs, "exports"),
	             *shares = json_object_get(vs, "shares");
	const json_t *vips = json_object_get(vs, "vips");
	int n_ex = (int)items(exps), n_sh = (int)items(shares), n_ad = (int)items(vips);
	int grc, src;

	for (int i = 0; i < n_ex; i++) {
		const json_t *e = json_array_get(exps, (size_t)i);
		ex[i] = (struct fx_nfs_export){.id = (uint32_t)num(e, "id", i + 1),
		                               .path = str(e, "path", "/srv/data"),
		                               .pseudo = str(e, "pseudo", "/data"),
		                               .clients = str(e, "clients", NULL),
		                               .ro = json_is_true(json_object_get(e, "ro"))};
	}
	for (int i = 0; i < n_sh; i++) {
		const json_t *s = json_array_get(shares, (size_t)i);
		sh[i] = (struct fx_smb_share){.name = str(s, "name", "data"),
		                              .path = str(s, "path", "/srv/data"),
		                              .ro = json_is_true(json_object_get(s, "ro"))};
	}
	for (int i = 0; i < n_ad; i++)
		addrs[i] = str(json_array_get(vips, (size_t)i), "address", "192.0.2.10");
	struct fx_ganesha_params gp = {.name = str(vs, "name", NULL),
	                               .recovery_root = str(vs, "recovery", ROOT "/r"),
	                               .lease_lifetime = (int)num(vs, "lease", 0),
	                               .grace_period = (int)num(vs, "grace", 0),
	                               .exports = ex,
	                               .n_exports = n_ex};
	struct fx_samba_params sp = {.netbios_name = str(vs, "name", "VS"),
	                             .addresses = addrs,
	                             .n_addresses = n_ad,
	                             .state_dir = str(vs, "state_dir", ROOT "/smb"),
	                             .run_dir = str(vs, "run_dir", ROOT "/smb-run"),
	                             .shares = sh,
	                             .n_shares = n_sh,
	                             .passdb = ROOT "/smbpasswd"};
	run_vs(&gp, &sp, &grc, &src);
}

static void raw_cluster(const json_t *c)
{
	const json_t *nodes = json_object_get(c, "nodes");
	struct ap_cc_node nd[MAX_NODES];
	int n = (int)json_array_size(nodes);

	if (n > MAX_NODES)
		n = MAX_NODES;
	for (int i = 0; i < n; i++) {
		const json_t *e = json_array_get(nodes, (size_t)i);
		nd[i] = (struct ap_cc_node){.id = (uint32_t)num(e, "id", i + 1),
		                            .name = str(e, "name", "n1"),
		                            .ring0 = str(e, "ring0", "198.51.100.1"),
		                            .ring1 = str(e, "ring1", NULL)};
	}
	struct ap_cc_params cp = {.cluster_name = str(c, "name", "lab"),
	                          .nodes = nd,
	                          .n_nodes = n,
	                          .state_dir = str(c, "state_dir", "/var/lib/corosync"),
	                          .log_file = str(c, "log_file", "/var/log/corosync.log"),
	                          .token_ms = (uint32_t)num(c, "token", 0)};
	struct ap_ka_params kp = {.instance = str(c, "instance", "appliance"),
	                          .interface = str(c, "interface", "ic0"),
	                          .vip = str(c, "mgmt", "192.0.2.5/24"),
	                          .vip_dev = str(c, "mgmt_port", NULL),
	                          .vrid = (uint8_t)num(c, "vrid", 51),
	                          .base_priority = (uint8_t)num(c, "priority", 100),
	                          .track_file = str(c, "track_file", "/run/appliance/w"),
	                          .check_argv0 = str(c, "check", "/usr/sbin/vsadm"),
	                          .check_arg = str(c, "check_arg", "ping"),
	                          .pid_dir = str(c, "pid_dir", "/run/appliance")};
	run_cluster(&cp, str(c, "keyfile", NULL), &kp);
}

static void raw(const json_t *doc)
{
	const json_t *vss = json_object_get(doc, "vservers");
	struct fx_nfs_export *ex = calloc(MAX_ITEMS, sizeof(*ex));
	struct fx_smb_share *sh = calloc(MAX_ITEMS, sizeof(*sh));
	const char **addrs = calloc(MAX_ITEMS, sizeof(*addrs));

	if (!ex || !sh || !addrs)
		abort();
	for (size_t i = 0; i < json_array_size(vss) && i < 16; i++)
		raw_vs(json_array_get(vss, i), ex, sh, addrs);
	if (json_is_object(json_object_get(doc, "cluster")))
		raw_cluster(json_object_get(doc, "cluster"));
	free(ex);
	free(sh);
	free(addrs);
}

/* --- model: the decoded configuration, mapped as the runtime maps it ------------- */

struct vs_paths {
	char recovery[512];
	char state_dir[512];
	char ex[VS_MAX_EXPORTS][512];
	char sh[VS_MAX_SHARES][512];
};

/* Where the runtime publishes fs/sub: the file system's mount point, then sub. */
static void publish_path(const struct vs_vserver *vs, const char *fs, const char *sub, char *out,
                         size_t len)
{
	snprintf(out, len, ROOT "/%s/mnt/%s%s%s", vs->name, fs, sub[0] ? "/" : "", sub);
}

static void model_vs(const struct vs_vserver *vs, struct vs_paths *pt, bool agree)
{
	struct fx_nfs_export ex[VS_MAX_EXPORTS];
	struct fx_smb_share sh[VS_MAX_SHARES];
	const char *addrs[VS_MAX_VIPS];
	char netbios[16];
	int grc, src;

	for (int i = 0; i < vs->n_exports; i++) {
		const struct vs_export *e = &vs->exports[i];
		publish_path(vs, e->fs, e->path, pt->ex[i], sizeof(pt->ex[i]));
		ex[i] = (struct fx_nfs_export){.id = e->id,
		                               .path = pt->ex[i],
		                               .pseudo = e->pseudo,
		                               .clients = e->clients,
		                               .ro = e->ro};
	}
	for (int i = 0; i < vs->n_shares; i++) {
		const struct vs_share *s = &vs->shares[i];
		publish_path(vs, s->fs, s->path, pt->sh[i], sizeof(pt->sh[i]));
		sh[i] = (struct fx_smb_share){.name = s->name, .path = pt->sh[i], .ro = s->ro};
	}
	for (int i = 0; i < vs->n_vips; i++)
		addrs[i] = vs->vips[i].addr;
	publish_path(vs, vs->fs[0].name, ".appliance/nfs-recovery", pt->recovery,
	             sizeof(pt->recovery));
	snprintf(pt->state_dir, sizeof(pt->state_dir), ROOT "/%s/smb", vs->name);
	snprintf(netbios, sizeof(netbios), "%.15s", vs->name);
	struct fx_ganesha_params gp = {.name = vs->name,
	                               .recovery_root = pt->recovery,
	                               .exports = ex,
	                               .n_exports = vs->n_exports};
	struct fx_samba_params sp = {.netbios_name = netbios,
	                             .addresses = addrs,
	                             .n_addresses = vs->n_vips,
	                             .state_dir = pt->state_dir,
	                             .run_dir = ROOT "/smb-run",
	                             .shares = sh,
	                             .n_shares = vs->n_shares,
	                             .passdb = ROOT "/smbpasswd"};
	run_vs(&gp, &sp, &grc, &src);
	if (agree && (grc != 0 || src != 0)) {
		char *doc = json_dumps(vs_vserver_to_json(vs), JSON_COMPACT);
		fprintf(stderr, "the model accepted, %s refused: %s\n",
		        grc != 0 ? "fx_ganesha_conf" : "fx_samba_conf", doc ? doc : "?");
		fz_fail("the model and a generator disagree", __FILE__, __LINE__);
	}
}

static void model_cluster(const struct vs_config *cfg)
{
	struct ap_cc_node nd[AP_CC_MAX_NODES];
	char ring0[AP_CC_MAX_NODES][32], ring1[AP_CC_MAX_NODES][32], vip[VS_ADDR_MAX + 8];
	const char *names[VS_MAX_FENCES + VS_MAX_VSERVERS];
	int n_names = 0, n = 0;

	for (int i = 0; i < cfg->n_fences; i++)
		names[n_names++] = cfg->fences[i].node;
	for (int i = 0; i < cfg->n_vservers; i++)
		if (cfg->vservers[i].home[0])
			names[n_names++] = cfg->vservers[i].home;
	for (int i = 0; i < n_names && n < AP_CC_MAX_NODES; i++) {
		bool seen = false;
		for (int k = 0; k < n; k++)
			seen = seen || strcmp(nd[k].name, names[i]) == 0;
		if (seen)
			continue;
		snprintf(ring0[n], sizeof(ring0[n]), "198.51.100.%d", n + 1);
		snprintf(ring1[n], sizeof(ring1[n]), "2001:db8::%x", n + 1);
		nd[n] = (struct ap_cc_node){
		    .id = (uint32_t)n + 1, .name = names[i], .ring0 = ring0[n], .ring1 = ring1[n]};
		n++;
	}
	if (n == 0 || cfg->n_vservers == 0 || cfg->vservers[0].n_vips == 0)
		return;
	const struct vs_vip *v = &cfg->vservers[0].vips[0];
	snprintf(vip, sizeof(vip), "%s/%d", v->addr, v->prefix);
	struct ap_cc_params cp = {.cluster_name = cfg->vservers[0].name,
	                          .nodes = nd,
	                          .n_nodes = n,
	                          .state_dir = "/var/lib/appliance/corosync",
	                          .log_file = "/var/lib/appliance/corosync/corosync.log",
	                          .token_ms = 1000};
	struct ap_ka_params kp = {.instance = "appliance",
	                          .interface = v->home_port,
	                          .vip = vip,
	                          .vrid = 51,
	                          .base_priority = 100,
	                          .track_file = "/run/appliance/keepalived/master.weight",
	                          .check_argv0 = "/usr/sbin/vsadm",
	                          .check_arg = "ping",
	                          .pid_dir = "/run/appliance/keepalived"};
	run_cluster(&cp, "/var/lib/appliance/cluster/authkey", &kp);
}

static void model(const json_t *doc)
{
	static struct vs_config *cfg; /* large: allocated once */
	const char *agree_env = getenv("FUZZ_AGREE");
	bool agree = !agree_env || strcmp(agree_env, "0") != 0;
	struct vs_paths *pt;
	char err[VS_ERR_LEN];

	if (!cfg && !(cfg = calloc(1, sizeof(*cfg))))
		abort();
	if (vs_config_from_json(doc, cfg, err, sizeof(err)) != 0)
		return;
	pt = malloc(sizeof(*pt));
	if (!pt)
		abort();
	for (int i = 0; i < cfg->n_vservers; i++)
		if (cfg->vservers[i].n_vips > 0 && cfg->vservers[i].n_fs > 0)
			model_vs(&cfg->vservers[i], pt, agree);
	free(pt);
	model_cluster(cfg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_selftest();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *doc = json_loadb((const char *)data, size, 0, &jerr);

	if (!doc)
		return 0;
	raw(doc);
	model(doc);
	json_decref(doc);
	return 0;
}
