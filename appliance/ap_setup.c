/*
 * ap_setup.c - the setup code, its check, and the plan of a setup from the
 * console (see ap_setup.h). Pure.
 */
#include "appliance/ap_setup.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ap_setup_code_make(struct ap_setup_code *c, const unsigned char rnd[AP_SETUP_CODE_CHARS])
{
	size_t k = 0;

	for (int i = 0; i < AP_SETUP_CODE_CHARS; i++) {
		if (i == AP_SETUP_CODE_CHARS / 2)
			c->code[k++] = '-';
		c->code[k++] = AP_SETUP_ALPHABET[rnd[i] & 31]; /* 256 = 8 x 32: no bias */
	}
	c->code[k] = '\0';
	c->wrong = 0;
}

/* The code's symbols only, upper-cased, into out (at most max, then
 * truncated with *over set): '-' and blanks dropped. */
static size_t symbols(const char *s, char *out, size_t max, bool *over)
{
	size_t n = 0;

	*over = false;
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '-' || ch == ' ' || ch == '\t')
			continue;
		if (n == max) {
			*over = true;
			break;
		}
		out[n++] = (char)toupper(ch);
	}
	return n;
}

bool ap_setup_code_equal(const char *want, const char *given)
{
	char w[AP_SETUP_CODE_CHARS], g[AP_SETUP_CODE_CHARS];
	bool wover, gover;
	size_t wn = symbols(want, w, sizeof(w), &wover), gn;
	unsigned diff = 0;

	memset(g, 0, sizeof(g));
	gn = symbols(given, g, sizeof(g), &gover);
	if (wn != AP_SETUP_CODE_CHARS || wover)
		return false; /* no code kept: nothing matches */
	/* Every symbol is compared, whatever differs first. */
	for (size_t i = 0; i < AP_SETUP_CODE_CHARS; i++)
		diff |= (unsigned)(unsigned char)(w[i] ^ g[i]);
	diff |= (unsigned)(gn ^ wn) | (unsigned)gover;
	return diff == 0;
}

enum ap_setup_verdict ap_setup_code_check(struct ap_setup_code *c, const char *given)
{
	if (ap_setup_code_equal(c->code, given)) {
		c->wrong = 0;
		return AP_SETUP_RIGHT;
	}
	if (++c->wrong >= AP_SETUP_TRIES)
		return AP_SETUP_EXHAUSTED;
	return AP_SETUP_WRONG;
}

static int fail(char *err, size_t errlen, const char *sentence)
{
	snprintf(err, errlen, "%s", sentence);
	return -EINVAL;
}

int ap_setup_plan(const struct ap_seed *s, const char *node_now, struct ap_setup_plan *p, char *err,
                  size_t errlen)
{
	bool same_name = strcmp(s->node, node_now) == 0;

	memset(p, 0, sizeof(*p));
	if (s->role == AP_SEED_JOIN && !s->bundle)
		return fail(err, errlen,
		            "The console takes the join bundle itself (the text of 'vsadm cluster "
		            "bundle'), not the name of a file.");
	if (s->role == AP_SEED_JOIN && s->admin[0])
		return fail(
		    err, errlen,
		    "A node that joins a cluster takes the cluster's console accounts: give "
		    "no first account.");
	if (s->role != AP_SEED_JOIN && !s->admin[0])
		return fail(err, errlen,
		            "Give the first console account (a name and a password): without one "
		            "nobody can log in.");
	p->admin_live = s->admin[0] != '\0';
	p->cluster_live = s->role != AP_SEED_NONE && same_name;
	p->boot_seed = !same_name || s->n_ports > 0;
	p->reboot = p->boot_seed;
	return 0;
}

/* rows[0..n) of width w as the array member key of o (none when n is 0). */
static int strings_json(json_t *o, const char *key, const char *rows, size_t w, int n)
{
	json_t *a;

	if (n == 0)
		return 0;
	if (!(a = json_array()) || json_object_set_new(o, key, a) < 0)
		return -ENOMEM;
	for (int k = 0; k < n; k++)
		if (json_array_append_new(a, json_string(rows + (size_t)k * w)) < 0)
			return -ENOMEM;
	return 0;
}

static int ports_json(const struct ap_seed *s, json_t *root)
{
	json_t *ports = json_object();

	if (!ports || json_object_set_new(root, "ports", ports) < 0)
		return -ENOMEM;
	for (int i = 0; i < s->n_ports; i++) {
		const struct ap_seed_port *sp = &s->ports[i];
		json_t *o = json_object();
		if (!o || json_object_set_new(ports, sp->name, o) < 0 ||
		    (sp->dhcp && json_object_set_new(o, "dhcp", json_true()) < 0) ||
		    strings_json(o, "addresses", sp->addrs[0], sizeof(sp->addrs[0]), sp->n_addrs) <
		        0 ||
		    (sp->gateway[0] &&
		     json_object_set_new(o, "gateway", json_string(sp->gateway)) < 0) ||
		    (sp->gateway6[0] &&
		     json_object_set_new(o, "gateway6", json_string(sp->gateway6)) < 0) ||
		    strings_json(o, "dns", sp->dns[0], sizeof(sp->dns[0]), sp->n_dns) < 0)
			return -ENOMEM;
	}
	return 0;
}

static json_t *cluster_json(const struct ap_seed *s)
{
	json_t *c;

	if (s->role == AP_SEED_JOIN)
		return json_pack("{s:{s:O}}", "join", "bundle", s->bundle);
	c = ap_seed_create_args(s);
	return c ? json_pack("{s:o}", "create", c) : NULL;
}

int ap_setup_boot_seed(const struct ap_seed *s, const struct ap_setup_plan *p, char **text)
{
	json_t *root = json_pack("{s:i, s:s}", "version", 1, "node", s->node);
	int rc = root ? 0 : -ENOMEM;

	*text = NULL;
	if (rc == 0 && s->n_ports)
		rc = ports_json(s, root);
	if (rc == 0 && s->role != AP_SEED_NONE && !p->cluster_live) {
		json_t *c = cluster_json(s);
		rc = c && json_object_set_new(root, "cluster", c) == 0 ? 0 : -ENOMEM;
	}
	if (rc == 0) {
		*text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		rc = *text ? 0 : -ENOMEM;
	}
	json_decref(root);
	return rc;
}

void ap_setup_new_address(const struct ap_seed *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s", "");
	for (int i = 0; i < s->n_ports; i++)
		if (s->ports[i].n_addrs) {
			snprintf(buf, len, "%.*s", (int)strcspn(s->ports[i].addrs[0], "/"),
			         s->ports[i].addrs[0]);
			return;
		}
}
