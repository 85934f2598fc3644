/*
 * ap_cldef.c - the cluster's definition: create, bundle, join (DESIGN 4).
 *
 * The cluster is defined once (`vsadm cluster create` on one node, which
 * makes the authentication key) and joined from a bundle (`vsadm cluster
 * join`). The definition (name, nodes with ids and addresses, management
 * address, agent grace) is stored in the node's state; a stored or bundled
 * definition is input like any other and is validated before use.
 */
#include "appliance/ap_cluster_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "lib/lib_b64.h"
#include "lib/lib_fs.h"
#include "lib/lib_log.h"
#include "vserver/vs_err.h"

/* The node list, as the definition and the bundle both hold it. */
static void nodes_json(const struct ap_cluster *c, json_t *nodes)
{
	for (int i = 0; i < c->n_nodes; i++)
		json_array_append_new(nodes, json_pack("{s:I, s:s, s:s, s:s}", "id",
		                                       (json_int_t)c->nodes[i].id, "name",
		                                       c->nodes[i].name, "addr", c->nodes[i].addr,
		                                       "addr2", c->nodes[i].addr2));
}

static int save_definition(struct ap_cluster *c)
{
	json_t *nodes = json_array();
	char *text;
	int rc;

	nodes_json(c, nodes);
	json_t *d = json_pack("{s:s, s:o, s:s, s:s, s:I}", "name", c->name, "nodes", nodes, "mgmt",
	                      c->mgmt, "mgmt_port", c->mgmt_port, "agent_grace_s",
	                      (json_int_t)(c->agent_grace_usec / 1000000));
	text = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	if (!text)
		return -ENOMEM;
	rc = vs_store_meta_set(c->store, "cluster", text);
	free(text);
	return rc;
}

static int bad(char *err, size_t errlen, const char *what)
{
	if (!err[0])
		snprintf(err, errlen, "The cluster definition is malformed (%s).", what);
	return -EINVAL;
}

/* An address of the definition: "" allowed where optional. */
static bool addr_ok(const char *a, bool optional)
{
	char cidr[VS_ADDR_MAX + 8];
	struct vs_vip tmp;

	if (!a[0])
		return optional;
	if (strlen(a) > VS_ADDR_MAX)
		return false;
	snprintf(cidr, sizeof(cidr), "%s/%d", a, strchr(a, ':') ? 128 : 32);
	return vs_parse_vip(cidr, &tmp, NULL, 0) == 0;
}

static int get_text(json_t *d, const char *key, char *buf, size_t size)
{
	json_t *v = json_object_get(d, key);

	buf[0] = '\0';
	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= size)
		return -EINVAL;
	snprintf(buf, size, "%s", json_string_value(v));
	return 0;
}

/* Validates the whole definition first; nothing changes when it is refused. */
int ap_cl_load_definition(struct ap_cluster *c, json_t *d, char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(d, "name"));
	json_t *nodes = json_object_get(d, "nodes"), *e, *g;
	struct ap_cl_node tmp[AP_CL_MAX_NODES];
	char mgmt[sizeof(c->mgmt)], mgmt_port[sizeof(c->mgmt_port)];
	uint32_t my_id = 0;
	uint64_t grace = AP_CL_AGENT_GRACE_DEFAULT_S;
	size_t i;

	if (!name || vs_check_name("cluster", name, VS_NAME_MAX, err, errlen) < 0)
		return bad(err, errlen, "name");
	if (!json_is_array(nodes) || json_array_size(nodes) == 0 ||
	    json_array_size(nodes) > AP_CL_MAX_NODES)
		return bad(err, errlen, "node list");
	if (get_text(d, "mgmt", mgmt, sizeof(mgmt)) < 0 ||
	    get_text(d, "mgmt_port", mgmt_port, sizeof(mgmt_port)) < 0)
		return bad(err, errlen, "management address");
	if (mgmt[0]) {
		struct vs_vip v;
		if (vs_parse_vip(mgmt, &v, NULL, 0) < 0 ||
		    vs_check_name("port", mgmt_port, VS_PORT_MAX, NULL, 0) < 0)
			return bad(err, errlen, "management address");
	}
	g = json_object_get(d, "agent_grace_s");
	if (g) {
		if (!json_is_integer(g) || json_integer_value(g) < 1 ||
		    json_integer_value(g) > AP_CL_AGENT_GRACE_MAX_S)
			return bad(err, errlen, "agent grace");
		grace = (uint64_t)json_integer_value(g);
	}
	memset(tmp, 0, sizeof(tmp));
	json_array_foreach(nodes, i, e)
	{
		struct ap_cl_node *n = &tmp[i];
		json_t *id = json_object_get(e, "id");
		if (!json_is_integer(id) || json_integer_value(id) < 1 ||
		    json_integer_value(id) > (json_int_t)INT32_MAX)
			return bad(err, errlen, "node id");
		n->id = (uint32_t)json_integer_value(id);
		if (get_text(e, "name", n->name, sizeof(n->name)) < 0 ||
		    vs_check_name("node", n->name, VS_NAME_MAX, NULL, 0) < 0)
			return bad(err, errlen, "node name");
		if (get_text(e, "addr", n->addr, sizeof(n->addr)) < 0 || !addr_ok(n->addr, false) ||
		    get_text(e, "addr2", n->addr2, sizeof(n->addr2)) < 0 ||
		    !addr_ok(n->addr2, true))
			return bad(err, errlen, "node address");
		for (size_t j = 0; j < i; j++)
			if (tmp[j].id == n->id || strcmp(tmp[j].name, n->name) == 0)
				return bad(err, errlen, "a node twice");
		if (strcmp(n->name, c->node) == 0)
			my_id = n->id;
	}
	if (!my_id) {
		snprintf(err, errlen, "This node (%s) is not one of the cluster's nodes.", c->node);
		return -EINVAL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->mgmt, sizeof(c->mgmt), "%s", mgmt);
	snprintf(c->mgmt_port, sizeof(c->mgmt_port), "%s", mgmt_port);
	c->n_nodes = (int)json_array_size(nodes);
	memcpy(c->nodes, tmp, sizeof(tmp));
	c->my_id = my_id;
	c->agent_grace_usec = c->agent_grace_opt ? c->agent_grace_opt : grace * 1000000ULL;
	return 0;
}

static int write_key(struct ap_cluster *c, const uint8_t *key, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int rc;

	snprintf(dir, sizeof(dir), "%s/cluster", c->state_dir);
	snprintf(path, sizeof(path), "%s/authkey", dir);
	rc = lib_mkdir_p(dir, 0700);
	if (rc == 0)
		rc = lib_write_file(path, (const char *)key, len, 0600);
	return rc < 0 ? rc : 0;
}

void ap_cl_enable(struct ap_cluster *c)
{
	c->enabled = true;
	if (c->tp->manages_daemons)
		ap_cl_start_keepalived(c);
	/* A corosync left running by an earlier applianced is used as it is. */
	if (ap_cl_open_transport(c) < 0)
		lib_err("cluster: cannot set up the process group");
	if (c->tp->manages_daemons)
		ap_cl_start_corosync(c);
	if (ap_cl_start_ticks(c) < 0)
		lib_err("cluster: cannot arm the report timer");
	c->hooks.placed(c->arg);
}

/* The definition `vsadm cluster create` asks for, as a new JSON object (not yet
 * checked against this node: ap_cl_load_definition does that); NULL with the
 * sentence in err. */
static json_t *create_definition(const char *name, const char *nodes, const char *mgmt,
                                 const char *mgmt_port, int agent_grace_s, char *err, size_t errlen)
{
	char list[1024], *save = NULL;
	json_t *arr = json_array();
	uint32_t id = 0;

	if (!arr)
		return snprintf(err, errlen, "Out of memory."), NULL;
	if (strlen(nodes) >= sizeof(list)) {
		json_decref(arr);
		return snprintf(err, errlen, "The node list is too long."), NULL;
	}
	snprintf(list, sizeof(list), "%s", nodes);
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '='), cidr[64];
		struct vs_vip tmp;
		if (!eq) {
			char shown[48];
			json_decref(arr);
			return snprintf(err, errlen,
			                "'%s' is not NODE=ADDRESS[+ADDRESS] (e.g. "
			                "n1=198.51.100.1+192.0.2.11: interconnect, then public "
			                "network).",
			                vs_shown(t, shown, sizeof(shown))),
			       NULL;
		}
		*eq = '\0';
		char *plus = strchr(eq + 1, '+');
		struct vs_vip tmp2 = {0};
		if (plus)
			*plus = '\0';
		snprintf(cidr, sizeof(cidr), "%s/%d", eq + 1, strchr(eq + 1, ':') ? 128 : 32);
		if (vs_check_name("node", t, VS_NAME_MAX, err, errlen) < 0 ||
		    vs_parse_vip(cidr, &tmp, err, errlen) < 0) {
			json_decref(arr);
			return NULL;
		}
		if (plus) {
			snprintf(cidr, sizeof(cidr), "%s/%d", plus + 1,
			         strchr(plus + 1, ':') ? 128 : 32);
			if (vs_parse_vip(cidr, &tmp2, err, errlen) < 0) {
				json_decref(arr);
				return NULL;
			}
		}
		json_array_append_new(arr,
		                      json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)++id,
		                                "name", t, "addr", tmp.addr, "addr2", tmp2.addr));
	}
	if (mgmt && *mgmt) {
		struct vs_vip tmp;
		if (vs_parse_vip(mgmt, &tmp, err, errlen) < 0) {
			json_decref(arr);
			return NULL;
		}
		if (!mgmt_port || !*mgmt_port) {
			json_decref(arr);
			return snprintf(err, errlen,
			                "The management address needs the port it goes on "
			                "(--mgmt-port)."),
			       NULL;
		}
	}
	json_t *d = json_pack("{s:s, s:o, s:s, s:s}", "name", name, "nodes", arr, "mgmt",
	                      mgmt ? mgmt : "", "mgmt_port", mgmt_port ? mgmt_port : "");
	if (!d)
		return snprintf(err, errlen, "Out of memory."), NULL;
	if (agent_grace_s)
		json_object_set_new(d, "agent_grace_s", json_integer(agent_grace_s));
	return d;
}

int ap_cluster_setup(struct ap_cluster *c, const char *name, const char *nodes, const char *mgmt,
                     const char *mgmt_port, int agent_grace_s, char *err, size_t errlen)
{
	uint8_t key[AP_CL_KEY_BYTES];
	int rc;

	if (c->enabled)
		return snprintf(err, errlen, "This node is already in cluster '%s'.", c->name),
		       -EEXIST;
	json_t *d = create_definition(name, nodes, mgmt, mgmt_port, agent_grace_s, err, errlen);
	if (!d)
		return -EINVAL;
	err[0] = '\0';
	rc = ap_cl_load_definition(c, d, err, errlen);
	json_decref(d);
	if (rc < 0)
		return rc;
	if (getrandom(key, sizeof(key), 0) != sizeof(key))
		return snprintf(err, errlen, "No randomness for the cluster key."), -EIO;
	rc = write_key(c, key, sizeof(key));
	if (rc == 0)
		rc = save_definition(c);
	if (rc < 0)
		return snprintf(err, errlen, "The cluster definition cannot be saved."), rc;
	ap_cl_event(c, NULL, "info", "cluster %s created with %d nodes; this node is %s (id %u)",
	            c->name, c->n_nodes, c->node, c->my_id);
	ap_cl_enable(c);
	return 0;
}

/* The definition d loaded into a scratch cluster that calls itself node. */
static int check_definition(const char *node, json_t *d, char *err, size_t errlen)
{
	struct ap_cluster *c = calloc(1, sizeof(*c));
	char me[VS_NAME_MAX + 1];
	int rc;

	if (!c)
		return snprintf(err, errlen, "Out of memory."), -ENOMEM;
	snprintf(me, sizeof(me), "%s", node);
	c->node = me;
	err[0] = '\0';
	rc = ap_cl_load_definition(c, d, err, errlen);
	free(c);
	return rc;
}

int ap_cluster_check_create(const char *node, const char *name, const char *nodes, const char *mgmt,
                            const char *mgmt_port, int agent_grace_s, char *err, size_t errlen)
{
	json_t *d = create_definition(name, nodes, mgmt, mgmt_port, agent_grace_s, err, errlen);
	int rc;

	if (!d)
		return -EINVAL;
	rc = check_definition(node, d, err, errlen);
	json_decref(d);
	return rc;
}

/* The bundle's key: base64 of AP_CL_KEY_BYTES bytes, decoded into *key. */
static int bundle_key(json_t *bundle, uint8_t **key, size_t *len, char *err, size_t errlen)
{
	const char *b64 = json_string_value(json_object_get(bundle, "key"));

	*key = NULL;
	*len = 0;
	if (!b64 || lib_b64_decode(b64, key, len) < 0 || *len != AP_CL_KEY_BYTES) {
		free(*key);
		*key = NULL;
		return snprintf(err, errlen, "The bundle holds no valid cluster key."), -EINVAL;
	}
	return 0;
}

int ap_cluster_check_bundle(const char *node, json_t *bundle, char *err, size_t errlen)
{
	uint8_t *key;
	size_t len;
	int rc = bundle_key(bundle, &key, &len, err, errlen);

	if (rc < 0)
		return rc;
	explicit_bzero(key, len);
	free(key);
	return check_definition(node, bundle, err, errlen);
}

json_t *ap_cluster_bundle(struct ap_cluster *c, char *err, size_t errlen)
{
	char path[PATH_MAX], *b64 = NULL;
	json_t *nodes = json_array();

	if (!c->enabled) {
		json_decref(nodes);
		snprintf(err, errlen, "This node is not in a cluster: create one first.");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/cluster/authkey", c->state_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t buf[AP_CL_KEY_BYTES];
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	if (fd >= 0)
		close(fd);
	if (n != AP_CL_KEY_BYTES || lib_b64_encode(buf, AP_CL_KEY_BYTES, &b64) < 0) {
		explicit_bzero(buf, sizeof(buf));
		json_decref(nodes);
		snprintf(err, errlen, "The cluster key cannot be read.");
		return NULL;
	}
	nodes_json(c, nodes);
	json_t *b = json_pack("{s:s, s:o, s:s, s:s, s:s, s:I}", "name", c->name, "nodes", nodes,
	                      "key", b64, "mgmt", c->mgmt, "mgmt_port", c->mgmt_port,
	                      "agent_grace_s", (json_int_t)(c->agent_grace_usec / 1000000));
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(b64, strlen(b64));
	free(b64);
	return b;
}

int ap_cluster_join(struct ap_cluster *c, json_t *bundle, char *err, size_t errlen)
{
	uint8_t *key = NULL;
	size_t len = 0;
	int rc;

	if (c->enabled)
		return snprintf(err, errlen, "This node is already in cluster '%s'.", c->name),
		       -EEXIST;
	if (c->hooks.config(c->arg)->n_vservers > 0)
		return snprintf(err, errlen,
		                "This node has virtual servers of its own: a node joins a cluster "
		                "empty."),
		       -EBUSY;
	rc = bundle_key(bundle, &key, &len, err, errlen);
	if (rc < 0)
		return rc;
	err[0] = '\0';
	rc = ap_cl_load_definition(c, bundle, err, errlen);
	if (rc == 0)
		rc = write_key(c, key, len);
	explicit_bzero(key, len);
	free(key);
	if (rc == 0)
		rc = save_definition(c);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "The cluster definition cannot be saved.");
		return rc;
	}
	ap_cl_event(c, NULL, "info", "joined cluster %s as %s (id %u)", c->name, c->node, c->my_id);
	ap_cl_enable(c);
	return 0;
}
