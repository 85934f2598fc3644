/*
 * test_cli.c - the vsadm grammar: requests built from words (planned moves
 * among them: migrate, auto-revert, evacuate, resume, move show), errors in
 * one sentence, the interactive line splitter, completion; and the control
 * socket round trip with a real sd-event loop.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appliance/ap_cli.h"

static json_t *parse_ok(int argc, char **argv, struct ap_cli_flags *flags)
{
	char err[512] = "";
	json_t *req = NULL;

	if (ap_cli_parse(argc, argv, &req, flags, err, sizeof(err)) != 0)
		fail_msg("parse failed: %s", err);
	return req;
}

static void test_create(void **state)
{
	char *argv[] = {"vserver", "create", "vs1", "--priority", "70", "--pinned", "--home=n2"};
	struct ap_cli_flags f;
	json_t *req = parse_ok(7, argv, &f), *args = json_object_get(req, "args");

	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "vserver.create");
	assert_string_equal(json_string_value(json_object_get(args, "name")), "vs1");
	assert_int_equal(json_integer_value(json_object_get(args, "priority")), 70);
	assert_true(json_is_true(json_object_get(args, "pinned")));
	assert_string_equal(json_string_value(json_object_get(args, "home")), "n2");
	json_decref(req);
}

static void test_export_and_flags(void **state)
{
	char *argv[] = {"export", "add", "vs1",       "/data",        "--fs", "data",
	                "--path", "sub", "--clients", "192.0.2.0/24", "--ro"};
	char *show[] = {"vserver", "show", "--json"};
	char *follow[] = {"event", "show", "--follow", "--last", "5"};
	struct ap_cli_flags f;
	json_t *req = parse_ok(11, argv, &f), *args = json_object_get(req, "args");

	assert_string_equal(json_string_value(json_object_get(args, "pseudo")), "/data");
	assert_string_equal(json_string_value(json_object_get(args, "clients")), "192.0.2.0/24");
	assert_true(json_is_true(json_object_get(args, "ro")));
	json_decref(req);
	req = parse_ok(3, show, &f);
	assert_true(f.json);
	assert_null(json_object_get(json_object_get(req, "args"), "name"));
	json_decref(req);
	req = parse_ok(5, follow, &f);
	assert_true(f.follow);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(req, "args"), "limit")),
	                 5);
	json_decref(req);
}

/* Planned moves (R8): migrate, auto-revert, maintenance, the move journal. */
static void test_planned_moves(void **state)
{
	char *to[] = {"vserver", "migrate", "vs1", "--to", "n2"};
	char *home[] = {"vserver", "migrate", "vs1", "--home"};
	char *on[] = {"vserver", "set", "vs1", "--auto-revert", "on"};
	char *off[] = {"vserver", "set", "vs1", "--auto-revert=off"};
	char *timers[] = {"vserver", "set", "vs1", "--nfs-lease", "8", "--nfs-grace=12"};
	char *evac[] = {"node", "evacuate", "n1"};
	char *resume[] = {"node", "resume", "n1"};
	char *moves[] = {"move", "show", "--json"};
	struct ap_cli_flags f;
	json_t *req, *args;

	req = parse_ok(5, to, &f);
	args = json_object_get(req, "args");
	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "vserver.migrate");
	assert_string_equal(json_string_value(json_object_get(args, "name")), "vs1");
	assert_string_equal(json_string_value(json_object_get(args, "to")), "n2");
	assert_null(json_object_get(args, "home"));
	json_decref(req);
	req = parse_ok(4, home, &f);
	args = json_object_get(req, "args");
	assert_true(json_is_true(json_object_get(args, "home")));
	assert_null(json_object_get(args, "to"));
	json_decref(req);
	req = parse_ok(5, on, &f);
	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "vserver.set");
	assert_true(json_is_true(json_object_get(json_object_get(req, "args"), "auto_revert")));
	json_decref(req);
	req = parse_ok(4, off, &f);
	assert_true(json_is_false(json_object_get(json_object_get(req, "args"), "auto_revert")));
	json_decref(req);
	req = parse_ok(6, timers, &f);
	args = json_object_get(req, "args");
	assert_int_equal(json_integer_value(json_object_get(args, "nfs_lease")), 8);
	assert_int_equal(json_integer_value(json_object_get(args, "nfs_grace")), 12);
	assert_null(json_object_get(args, "auto_revert"));
	json_decref(req);
	req = parse_ok(3, evac, &f);
	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "node.evacuate");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(req, "args"), "node")), "n1");
	json_decref(req);
	req = parse_ok(3, resume, &f);
	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "node.resume");
	json_decref(req);
	req = parse_ok(3, moves, &f);
	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "move.show");
	assert_true(f.json);
	json_decref(req);
}

/* Directory join (issue 11 item 5): join and leave, the password never in argv. */
static void test_join(void **state)
{
	char *join[] = {"vserver",         "join",           "vs1",    "--domain",
	                "LAB.EXAMPLE.ORG", "--dc=192.0.2.8", "--user", "Administrator",
	                "--password-stdin"};
	char *leave[] = {"vserver", "leave", "vs1"};
	char *nostdin[] = {"vserver", "join", "vs1", "--domain", "LAB.ORG", "--user", "a"};
	struct ap_cli_flags f;
	json_t *req, *args;

	req = parse_ok(9, join, &f);
	args = json_object_get(req, "args");
	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "vserver.join");
	static const char *const kv[][2] = {{"name", "vs1"},
	                                    {"domain", "LAB.EXAMPLE.ORG"},
	                                    {"dc", "192.0.2.8"},
	                                    {"user", "Administrator"}};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		assert_string_equal(json_string_value(json_object_get(args, kv[i][0])), kv[i][1]);
	assert_true(json_is_true(json_object_get(args, "password_stdin")));
	assert_null(json_object_get(args, "password"));
	json_decref(req);
	req = parse_ok(3, leave, &f);
	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "vserver.leave");
	assert_null(json_object_get(json_object_get(req, "args"), "user"));
	json_decref(req);
	/* The password comes on stdin only: without the flag the join is refused. */
	char err[512] = "";
	req = NULL;
	assert_int_equal(ap_cli_parse(7, nostdin, &req, &f, err, sizeof(err)), -EINVAL);
	assert_null(req);
	assert_non_null(strstr(err, "--password-stdin is required"));
}

static void test_errors(void **state)
{
	struct {
		int argc;
		char *argv[6];
		const char *needle;
	} cases[] = {
	    {1, {"frobnicate"}, "Unknown command"},
	    {1, {"vserver"}, "needs a sub-command"},
	    {2, {"vserver", "create"}, "Missing name"},
	    {4, {"vserver", "create", "a", "b"}, "Unexpected argument"},
	    {4, {"vserver", "create", "a", "--bogus"}, "Unknown option"},
	    {5, {"vserver", "create", "a", "--priority", "high"}, "whole number"},
	    {4, {"vserver", "create", "a", "--priority"}, "needs a value"},
	    {4, {"vip", "add", "vs1", "192.0.2.1/24"}, "--home-port is required"},
	    {4, {"fs", "add", "vs1", "data"}, "--lun is required"},
	    {5, {"vserver", "delete", "a", "--force=yes"}, "takes no value"},
	    {3, {"vserver", "migrate", "vs1"}, "Give either --to or --home"},
	    {6,
	     {"vserver", "migrate", "vs1", "--to", "n2", "--home"},
	     "Give either --to or --home"},
	    {4, {"vserver", "migrate", "vs1", "--to"}, "needs a value"},
	    {4, {"vserver", "migrate", "--to", "n2"}, "Missing name"},
	    {5, {"vserver", "set", "vs1", "--auto-revert", "yes"}, "takes on or off"},
	    {5, {"vserver", "set", "vs1", "--auto-revert", "ON"}, "takes on or off"},
	    {5, {"vserver", "set", "vs1", "--nfs-lease", "4s"}, "needs a whole number"},
	    {2, {"node", "evacuate"}, "Missing node"},
	    {4, {"node", "resume", "n1", "n2"}, "Unexpected argument"},
	    {3, {"move", "show", "vs1"}, "Unexpected argument"},
	    {5, {"vserver", "join", "vs1", "--user", "admin"}, "--domain is required"},
	    {6,
	     {"vserver", "join", "vs1", "--domain", "LAB.ORG", "--password-stdin"},
	     "--user is required"},
	    {6, {"vserver", "join", "vs1", "--domain", "LAB.ORG", "--user"}, "needs a value"},
	    {4, {"vserver", "join", "--domain", "LAB.ORG"}, "Missing name"},
	    {4, {"vserver", "leave", "vs1", "--domain"}, "Unknown option"},
	    {4, {"vserver", "leave", "vs1", "--password-stdin=x"}, "takes no value"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[512] = "";
		struct ap_cli_flags f;
		json_t *req = NULL;
		int rc = ap_cli_parse(cases[i].argc, cases[i].argv, &req, &f, err, sizeof(err));
		if (rc != -EINVAL || req || !strstr(err, cases[i].needle))
			fail_msg("case %zu: rc %d, err '%s' (want '%s')", i, rc, err,
			         cases[i].needle);
	}
}

static void test_split(void **state)
{
	char **w = NULL, *st = NULL;
	int n = ap_cli_split("  vserver create 'a b' \"c\\\"d\" e\\ f ", &w, &st);

	assert_int_equal(n, 5);
	assert_string_equal(w[2], "a b");
	assert_string_equal(w[3], "c\"d");
	assert_string_equal(w[4], "e f");
	assert_null(w[5]);
	free(w);
	free(st);
	assert_int_equal(ap_cli_split("vserver 'oops", &w, &st), -EINVAL);
	n = ap_cli_split("   ", &w, &st);
	assert_int_equal(n, 0);
	free(w);
	free(st);
}

struct seen {
	char words[16][32];
	int n;
};

static void add(const char *word, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		snprintf(s->words[s->n++], 32, "%s", word);
}

static void test_complete(void **state)
{
	struct seen s = {0};
	char *words[] = {"vserver", "create", NULL};

	ap_cli_complete(0, words, "vs", add, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.words[0], "vserver");
	memset(&s, 0, sizeof(s));
	ap_cli_complete(1, words, "st", add, &s);
	assert_int_equal(s.n, 2); /* start, stop */
	memset(&s, 0, sizeof(s));
	ap_cli_complete(3, words, "--p", add, &s);
	assert_int_equal(s.n, 2); /* --priority, --pinned */
	/* The commands of planned moves follow from the table. */
	char *node[] = {"node", NULL}, *migrate[] = {"vserver", "migrate", "vs1", NULL};
	memset(&s, 0, sizeof(s));
	ap_cli_complete(1, node, "", add, &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.words[1], "evacuate");
	assert_string_equal(s.words[2], "resume");
	assert_string_equal(s.words[3], "standby");
	/* Balancing: its two verbs, and every option of set. */
	char *bal[] = {"balance", "set", NULL};
	memset(&s, 0, sizeof(s));
	ap_cli_complete(1, bal, "", add, &s);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	ap_cli_complete(2, bal, "--", add, &s);
	assert_int_equal(s.n, 9);
	memset(&s, 0, sizeof(s));
	ap_cli_complete(0, node, "mo", add, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.words[0], "move");
	memset(&s, 0, sizeof(s));
	ap_cli_complete(1, migrate, "m", add, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.words[0], "migrate");
	memset(&s, 0, sizeof(s));
	ap_cli_complete(3, migrate, "--", add, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.words[0], "--to");
	assert_string_equal(s.words[1], "--home");
	/* A three-word command: its actions, then nothing more of its own. */
	char *member[] = {"group", "member", NULL};
	memset(&s, 0, sizeof(s));
	ap_cli_complete(2, member, "", add, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.words[0], "add");
	assert_string_equal(s.words[1], "remove");
	memset(&s, 0, sizeof(s));
	ap_cli_complete(2, member, "r", add, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.words[0], "remove");
	memset(&s, 0, sizeof(s));
	ap_cli_complete(2, words, "", add, &s); /* vserver create NAME: free */
	assert_int_equal(s.n, 0);
}

static void test_usage_lists_every_command(void **state)
{
	char text[8192];

	ap_cli_usage(text, sizeof(text));
	assert_non_null(
	    strstr(text, "vsadm vserver create NAME [--priority N] [--pinned] [--home NODE]"));
	assert_non_null(strstr(text, "vsadm vip add VS ADDRESS --home-port PORT"));
	assert_non_null(strstr(text, "vsadm export add VS PSEUDO --fs FSNAME"));
	assert_non_null(strstr(text, "vsadm event show"));
	assert_non_null(strstr(text, "vsadm vserver migrate NAME (--to NODE | --home)"));
	assert_non_null(strstr(text, "vsadm vserver set NAME [--auto-revert on|off] [--nfs-lease "
	                             "SECONDS] [--nfs-grace SECONDS]"));
	assert_non_null(strstr(text, "vsadm node evacuate NODE"));
	assert_non_null(strstr(text, "vsadm node resume NODE"));
	assert_non_null(strstr(text, "vsadm move show [--json]"));
	/* All of it fits the 8 KiB vsadm gives it. */
	assert_true(strlen(text) < sizeof(text) - 1);
	assert_non_null(strstr(text, "interactive shell"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create),        cmocka_unit_test(test_export_and_flags),
	    cmocka_unit_test(test_planned_moves), cmocka_unit_test(test_join),
	    cmocka_unit_test(test_errors),        cmocka_unit_test(test_split),
	    cmocka_unit_test(test_complete),      cmocka_unit_test(test_usage_lists_every_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
