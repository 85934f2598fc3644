/*
 * test_identity.c - the per-VS user files (fx_identity.h): passwd, group and
 * smbpasswd generated exactly (golden texts), every bad value refused with
 * nothing returned (a table), and the VS model's users turned into them
 * (vs_users_files) with a user without password disabled; who may use a
 * share (vs_config_share_add_opts): bad lists refused with one sentence and
 * the configuration unchanged, good ones kept through JSON, and a user or
 * group a share names kept from removal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsexport/fx_identity.h"
#include "lib/lib_mntns.h"
#include "vserver/vs_json.h"
#include "vserver/vs_model.h"
#include "vserver/vs_users.h"

#define NT "8846F7EAEE8FB117AD06BDD830B7586C" /* MD4("password" in UTF-16LE) */
#define CR "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"
#define XS "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"

static const char *const alice_sup[] = {"eng", "ops"};
static const struct fx_id_group groups[] = {{"alice", 1000}, {"eng", 2000}, {"ops", 2001}};
static const struct fx_id_user users[] = {
    {.name = "alice", .uid = 1000, .gid = 1000, .groups = alice_sup, .n_groups = 2, .nt_hash = NT},
    {.name = "bob", .uid = 1500, .gid = 2000, .nt_hash = ""},
    {.name = "carol_2", .uid = 1501, .gid = 2000, .groups = alice_sup + 1, .n_groups = 1}};
static const struct fx_identity_params good = {
    .users = users, .n_users = 3, .groups = groups, .n_groups = 3};

static void test_golden(void **state)
{
	char *out = NULL;

	assert_int_equal(fx_identity_passwd(&good, &out), 0);
	assert_string_equal(out, "root:x:0:0:root:/root:/usr/sbin/nologin\n"
	                         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	                         "alice:x:1000:1000:alice:/nonexistent:/usr/sbin/nologin\n"
	                         "bob:x:1500:2000:bob:/nonexistent:/usr/sbin/nologin\n"
	                         "carol_2:x:1501:2000:carol_2:/nonexistent:/usr/sbin/nologin\n");
	free(out);
	assert_int_equal(fx_identity_group(&good, &out), 0);
	assert_string_equal(out, "root:x:0:\n"
	                         "nogroup:x:65534:\n"
	                         "alice:x:1000:\n"
	                         "eng:x:2000:alice\n"
	                         "ops:x:2001:alice,carol_2\n");
	free(out);
	assert_int_equal(fx_identity_smbpasswd(&good, &out), 0);
	assert_string_equal(out, "alice:1000:" XS ":" NT ":[U          ]:LCT-60000000:\n"
	                         "bob:1500:" XS ":" XS ":[DU         ]:LCT-60000000:\n"
	                         "carol_2:1501:" XS ":" XS ":[DU         ]:LCT-60000000:\n");
	free(out);
	/* nobody at all: the servers' own lines only, an empty smbpasswd */
	struct fx_identity_params none = {0};
	assert_int_equal(fx_identity_passwd(&none, &out), 0);
	assert_string_equal(out, "root:x:0:0:root:/root:/usr/sbin/nologin\n"
	                         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
	free(out);
	assert_int_equal(fx_identity_smbpasswd(&none, &out), 0);
	assert_string_equal(out, "");
	free(out);
}

/* One field of a good set broken per row: every generator refuses it. */
static void test_rejects(void **state)
{
	static const char *const nosuch[] = {"wheel"};
	static const char *const nullname[] = {NULL};
	static const struct {
		const char *why;
		int user; /* which user to replace, -1: a group */
		struct fx_id_user u;
		struct fx_id_group g;
	} bad[] = {
	    {.why = "name with a colon", .user = 1, .u = {.name = "b:b", .uid = 1500, .gid = 2000}},
	    {.why = "name with a newline",
	     .user = 1,
	     .u = {.name = "bob\nroot", .uid = 1500, .gid = 2000}},
	    {.why = "upper case", .user = 1, .u = {.name = "Bob", .uid = 1500, .gid = 2000}},
	    {.why = "starts with a digit",
	     .user = 1,
	     .u = {.name = "1bob", .uid = 1500, .gid = 2000}},
	    {.why = "empty name", .user = 1, .u = {.name = "", .uid = 1500, .gid = 2000}},
	    {.why = "no name", .user = 1, .u = {.name = NULL, .uid = 1500, .gid = 2000}},
	    {.why = "too long",
	     .user = 1,
	     .u = {.name = "abcdefghijabcdefghijabcdefghijabc", .uid = 1500, .gid = 2000}},
	    {.why = "root's name", .user = 1, .u = {.name = "root", .uid = 1500, .gid = 2000}},
	    {.why = "nobody's name", .user = 1, .u = {.name = "nobody", .uid = 1500, .gid = 2000}},
	    {.why = "uid 0", .user = 1, .u = {.name = "bob", .uid = 0, .gid = 2000}},
	    {.why = "uid of nobody", .user = 1, .u = {.name = "bob", .uid = 65534, .gid = 2000}},
	    {.why = "uid -1", .user = 1, .u = {.name = "bob", .uid = 4294967295u, .gid = 2000}},
	    {.why = "same uid as alice", .user = 1, .u = {.name = "bob", .uid = 1000, .gid = 2000}},
	    {.why = "same name as alice",
	     .user = 1,
	     .u = {.name = "alice", .uid = 1500, .gid = 2000}},
	    {.why = "unknown primary gid",
	     .user = 1,
	     .u = {.name = "bob", .uid = 1500, .gid = 3000}},
	    {.why = "unknown group",
	     .user = 1,
	     .u = {.name = "bob", .uid = 1500, .gid = 2000, .groups = nosuch, .n_groups = 1}},
	    {.why = "null group",
	     .user = 1,
	     .u = {.name = "bob", .uid = 1500, .gid = 2000, .groups = nullname, .n_groups = 1}},
	    {.why = "groups count without list",
	     .user = 1,
	     .u = {.name = "bob", .uid = 1500, .gid = 2000, .n_groups = 1}},
	    {.why = "short hash",
	     .user = 1,
	     .u = {.name = "bob", .uid = 1500, .gid = 2000, .nt_hash = "8846F7EA"}},
	    {.why = "lower-case hash",
	     .user = 1,
	     .u = {.name = "bob",
	           .uid = 1500,
	           .gid = 2000,
	           .nt_hash = "8846f7eaee8fb117ad06bdd830b7586c"}},
	    {.why = "hash with a colon",
	     .user = 1,
	     .u = {.name = "bob",
	           .uid = 1500,
	           .gid = 2000,
	           .nt_hash = "8846F7EAEE8FB117AD06BDD830B758:C"}},
	    {.why = "group name with a comma", .user = -1, .g = {"eng,root", 2000}},
	    {.why = "group gid 0", .user = -1, .g = {"eng", 0}},
	    {.why = "group gid of nogroup", .user = -1, .g = {"eng", 65534}},
	    {.why = "group named nogroup", .user = -1, .g = {"nogroup", 2000}},
	    {.why = "group gid clash", .user = -1, .g = {"eng", 1000}},
	};
	int (*gen[])(const struct fx_identity_params *,
	             char **) = {fx_identity_passwd, fx_identity_group, fx_identity_smbpasswd};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fx_id_user us[3];
		struct fx_id_group gs[3];
		memcpy(us, users, sizeof(us));
		memcpy(gs, groups, sizeof(gs));
		if (bad[i].user >= 0)
			us[bad[i].user] = bad[i].u;
		else
			gs[1] = bad[i].g; /* eng */
		struct fx_identity_params p = {
		    .users = us, .n_users = 3, .groups = gs, .n_groups = 3};
		for (size_t k = 0; k < 3; k++) {
			char *out = (char *)"untouched";
			int rc = gen[k](&p, &out);
			if (rc != -EINVAL)
				fail_msg("%s: generator %zu gave %d", bad[i].why, k, rc);
			assert_string_equal(out, "untouched");
		}
	}
	char *out = NULL;
	assert_int_equal(fx_identity_passwd(NULL, &out), -EINVAL);
	assert_int_equal(fx_identity_passwd(&good, NULL), -EINVAL);
	struct fx_identity_params neg = {.n_users = -1};
	assert_int_equal(fx_identity_group(&neg, &out), -EINVAL);
	struct fx_identity_params nolist = {.n_users = 1};
	assert_int_equal(fx_identity_smbpasswd(&nolist, &out), -EINVAL);
}

/* The model's users, as applianced writes them for a VS. */
static void test_from_model(void **state)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	char err[VS_ERR_LEN];
	const char *eng[] = {"eng"};
	struct vs_users_files f;

	assert_non_null(c);
	assert_int_equal(vs_config_create(c, "vs1", 50, false, "", err, sizeof(err)), 0);
	struct vs_vserver *vs = vs_config_find(c, "vs1");
	assert_int_equal(vs_group_add(vs, "eng", 2000, err, sizeof(err)), 0);
	struct vs_user_spec a = {.name = "alice", .nt_hash = NT, .crypt_hash = CR};
	assert_int_equal(vs_user_add(vs, &a, err, sizeof(err)), 0);
	struct vs_user_spec b = {.name = "bob", .uid = 1500, .groups = eng, .n_groups = 1};
	assert_int_equal(vs_user_add(vs, &b, err, sizeof(err)), 0);
	assert_int_equal(vs_group_member(vs, "eng", "alice", true, err, sizeof(err)), 0);

	assert_int_equal(vs_users_files(vs, &f), 0);
	assert_non_null(strstr(f.passwd, "\nalice:x:1000:1000:alice:"));
	assert_non_null(strstr(f.passwd, "\nbob:x:1500:2000:bob:"));
	assert_non_null(strstr(f.group, "\nalice:x:1000:\n"));
	assert_non_null(strstr(f.group, "\neng:x:2000:alice\n"));
	assert_non_null(strstr(f.smbpasswd, "alice:1000:" XS ":" NT ":[U          ]:"));
	assert_non_null(strstr(f.smbpasswd, "bob:1500:" XS ":" XS ":[DU         ]:"));
	/* the crypt hash is not for these files */
	assert_null(strstr(f.passwd, "$y$"));
	vs_users_files_free(&f);
	assert_null(f.passwd);
	vs_config_free(c);
	free(c);
}

/* A VS with users alice (with a password), bob, group eng, file system data. */
static struct vs_config *share_world(void)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	char err[VS_ERR_LEN];

	assert_non_null(c);
	assert_int_equal(vs_config_create(c, "vs1", 50, false, "", err, sizeof(err)), 0);
	assert_int_equal(vs_config_fs_add(c, "vs1", "data", "LABEL=d", err, sizeof(err)), 0);
	struct vs_vserver *vs = vs_config_find(c, "vs1");
	assert_int_equal(vs_group_add(vs, "eng", 2000, err, sizeof(err)), 0);
	struct vs_user_spec a = {.name = "alice", .nt_hash = NT, .crypt_hash = CR};
	assert_int_equal(vs_user_add(vs, &a, err, sizeof(err)), 0);
	struct vs_user_spec b = {.name = "bob"};
	assert_int_equal(vs_user_add(vs, &b, err, sizeof(err)), 0);
	return c;
}

static char *dump(const struct vs_config *c)
{
	json_t *j = vs_config_to_json(c);
	char *t = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);
	assert_non_null(t);
	return t;
}

static void test_share_access(void **state)
{
	static const struct {
		struct vs_share_opts o;
		const char *says;
	} bad[] = {
	    {{.read = "carol"}, "has no user named 'carol'"},
	    {{.write = "@ops"}, "has no group named 'ops'"},
	    {{.read = "alice,"}, "separated by commas"},
	    {{.read = ",alice"}, "separated by commas"},
	    {{.read = "alice,,bob"}, "separated by commas"},
	    {{.read = "alice bob"}, "--read"},
	    {{.read = "Alice"}, "--read"},
	    {{.write = "alice\n[global]"}, "--write"},
	    {{.write = "@"}, "--write"},
	    {{.read = "alice,alice"}, "names 'alice' twice"},
	    {{.read = "alice", .write = "alice"}, "in both --read and --write"},
	    {{.guest = true, .read = "alice"}, "guest share"},
	    {{.ro = true, .write = "@eng"}, "--ro goes without --write"},
	    {{.read = "root"}, "--read"},
	    {{.read = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q"}, "at most 16"},
	};
	struct vs_config *c = share_world();
	char err[VS_ERR_LEN];
	char *before = dump(c);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		int rc = vs_config_share_add_opts(c, "vs1", "s", "data", "", &bad[i].o, err,
		                                  sizeof(err));
		if (rc >= 0 || !strstr(err, bad[i].says))
			fail_msg("row %zu: rc %d, said \"%s\", wanted \"%s\"", i, rc, err,
			         bad[i].says);
		/* one sentence: ends with a full stop, no newline */
		assert_null(strchr(err, '\n'));
		assert_int_equal(err[strlen(err) - 1], '.');
		char *after = dump(c);
		assert_string_equal(before, after);
		free(after);
	}
	free(before);

	/* What passes: kept as given, through JSON and back. */
	struct vs_share_opts ok = {.read = "bob", .write = "alice,@eng", .encrypt = true};
	assert_int_equal(
	    vs_config_share_add_opts(c, "vs1", "eng", "data", "", &ok, err, sizeof(err)), 0);
	struct vs_share_opts pub = {.guest = true};
	assert_int_equal(
	    vs_config_share_add_opts(c, "vs1", "pub", "data", "", &pub, err, sizeof(err)), 0);
	const struct vs_share *sh = &vs_config_find(c, "vs1")->shares[0];
	assert_int_equal(sh->n_read, 1);
	assert_string_equal(sh->read[0], "bob");
	assert_int_equal(sh->n_write, 2);
	assert_string_equal(sh->write[1], "@eng");
	assert_true(sh->encrypt);
	assert_false(sh->guest);
	char text[VS_SHARE_LIST_TEXT];
	vs_share_list_text(sh->write, sh->n_write, ' ', text, sizeof(text));
	assert_string_equal(text, "alice @eng");

	struct vs_config back = {0};
	json_t *j = vs_config_to_json(c);
	assert_int_equal(vs_config_from_json(j, &back, err, sizeof(err)), 0);
	json_decref(j);
	assert_true(vs_config_equal(c, &back));
	assert_true(vs_config_find(&back, "vs1")->shares[1].guest);
	assert_int_equal(vs_vserver_hash(vs_config_find(c, "vs1")),
	                 vs_vserver_hash(vs_config_find(&back, "vs1")));
	/* the hash sees who may use a share: a change restarts nothing unseen */
	vs_config_find(&back, "vs1")->shares[0].n_read = 0;
	assert_int_not_equal(vs_vserver_hash(vs_config_find(c, "vs1")),
	                     vs_vserver_hash(vs_config_find(&back, "vs1")));
	assert_false(vs_config_equal(c, &back));
	vs_config_free(&back);

	/* Named by a share: neither alice nor eng nor bob can go. */
	struct vs_vserver *vs = vs_config_find(c, "vs1");
	assert_int_equal(vs_user_remove(vs, "alice", err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "Share 'eng' names user 'alice'"));
	assert_int_equal(vs_group_remove(vs, "eng", err, sizeof(err)), -EBUSY);
	assert_int_equal(vs_user_remove(vs, "bob", err, sizeof(err)), -EBUSY);
	assert_non_null(vs_user_find(vs, "alice"));
	assert_int_equal(vs_config_share_del(c, "vs1", "eng", err, sizeof(err)), 0);
	assert_int_equal(vs_user_remove(vs, "alice", err, sizeof(err)), 0);
	assert_int_equal(vs_group_remove(vs, "eng", err, sizeof(err)), 0);
	vs_config_free(c);
	free(c);
}

/* Exports' identity and the VS's NFSv4 ID domain in the model. */
static void test_nfs_identity(void **state)
{
	static const struct {
		struct vs_export_opts o;
		int rc;
		const char *says;
	} bad[] = {
	    {{.squash = "root_squash"}, -EINVAL, "--squash is root, all or none"},
	    {{.squash = ""}, -EINVAL, "--squash is root"},
	    {{.sec = "krb5"}, -EOPNOTSUPP, "joined to a directory"},
	    {{.sec = "krb5p"}, -EOPNOTSUPP, "use --sec sys"},
	    {{.sec = "none"}, -EINVAL, "--sec is sys"},
	    {{.anon_uid = 65535}, -EINVAL, "--anon-uid takes an id"},
	    {{.anon_gid = 100000}, -EINVAL, "--anon-gid takes an id"},
	};
	struct vs_config *c = share_world();
	char err[VS_ERR_LEN];
	char *before = dump(c);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		int rc = vs_config_export_add_opts(c, "vs1", "/x", "data", "", &bad[i].o, err,
		                                   sizeof(err));
		if (rc != bad[i].rc || !strstr(err, bad[i].says))
			fail_msg("row %zu: rc %d, said \"%s\"", i, rc, err);
		assert_int_equal(err[strlen(err) - 1], '.');
		char *after = dump(c);
		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	struct vs_export_opts all = {
	    .squash = "all", .anon_uid = 1500, .anon_gid = 2000, .sec = "sys"};
	assert_int_equal(
	    vs_config_export_add_opts(c, "vs1", "/all", "data", "", &all, err, sizeof(err)), 0);
	assert_int_equal(
	    vs_config_export_add(c, "vs1", "/plain", "data", "", NULL, false, err, sizeof(err)), 0);
	struct vs_vserver *vs = vs_config_find(c, "vs1");
	assert_int_equal(vs->exports[0].squash, VS_SQUASH_ALL);
	assert_int_equal(vs->exports[0].anon_uid, 1500);
	assert_int_equal(vs->exports[1].squash, VS_SQUASH_ROOT);
	assert_int_equal(vs->exports[1].anon_uid, VS_ANON_DEFAULT);
	assert_int_equal(vs->exports[1].anon_gid, VS_ANON_DEFAULT);

	/* the domain: the default, a set one (lower case), bad ones refused */
	char dom[VS_DOMAIN_MAX + 1];
	vs_vserver_nfs_domain(vs, dom, sizeof(dom));
	assert_string_equal(dom, "vs1.local");
	assert_int_equal(vs_config_set_nfs_domain(c, "vs1", "Corp.Example.COM", err, sizeof(err)),
	                 0);
	vs_vserver_nfs_domain(vs, dom, sizeof(dom));
	assert_string_equal(dom, "corp.example.com");
	static const char *const bad_dom[] = {"a..b", "-a.b", "a-.b",         "a b",
	                                      "a_b",  "a.b.", "x\n[General]", "a;b"};
	for (size_t i = 0; i < sizeof(bad_dom) / sizeof(bad_dom[0]); i++) {
		assert_int_equal(vs_config_set_nfs_domain(c, "vs1", bad_dom[i], err, sizeof(err)),
		                 -EINVAL);
		assert_non_null(strstr(err, "is not a domain name"));
		assert_string_equal(vs->nfs_domain, "corp.example.com");
	}
	/* JSON and the hash keep all of it */
	struct vs_config back = {0};
	json_t *j = vs_config_to_json(c);
	char *text = json_dumps(j, 0);
	assert_non_null(strstr(text, "\"nfs_domain\": \"corp.example.com\""));
	assert_non_null(strstr(text, "\"squash\": \"all\""));
	free(text);
	assert_int_equal(vs_config_from_json(j, &back, err, sizeof(err)), 0);
	json_decref(j);
	assert_true(vs_config_equal(c, &back));
	assert_int_equal(vs_vserver_hash(vs), vs_vserver_hash(vs_config_find(&back, "vs1")));
	vs_config_find(&back, "vs1")->exports[0].anon_gid = 2001;
	assert_int_not_equal(vs_vserver_hash(vs), vs_vserver_hash(vs_config_find(&back, "vs1")));
	vs_config_free(&back);
	/* "" restores the default; a VS name with '_' or a trailing '-' still makes a domain */
	assert_int_equal(vs_config_set_nfs_domain(c, "vs1", "", err, sizeof(err)), 0);
	vs_vserver_nfs_domain(vs, dom, sizeof(dom));
	assert_string_equal(dom, "vs1.local");
	assert_int_equal(vs_config_create(c, "Big_Vs-", 50, false, "", err, sizeof(err)), 0);
	vs_vserver_nfs_domain(vs_config_find(c, "Big_Vs-"), dom, sizeof(dom));
	assert_string_equal(dom, "big-vs.local");
	vs_config_free(c);
	free(c);
}

/* The servers' mount namespace: the argv that runs a command in it, and
 * for real (root only): the command sees the bound passwd, the test
 * process still sees the node's. */
/* The servers' nsswitch.conf: users and groups from the VS's directory
 * (extrausers) alone, never the node's files. */
static void test_nsswitch(void **state)
{
	const char *t = fx_identity_nsswitch();

	(void)state;
	assert_non_null(strstr(t, "\npasswd:         extrausers\n"));
	assert_non_null(strstr(t, "\ngroup:          extrausers\n"));
	assert_non_null(strstr(t, "\nshadow:         extrausers\n"));
	assert_null(strstr(t, "passwd:         files"));
	assert_null(strstr(t, "compat"));
	assert_string_equal(FX_ID_NSS_DIR, "/var/lib/extrausers");
}

/* lib_mntns_exec_main(argc, args) in a child (it changes its mount
 * namespace and execs); its stdout into out; returns its exit status. */
static int exec_main_in_child(int argc, char **args, char *out, size_t len)
{
	int fds[2], st;
	ssize_t n = 0, r;

	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		_exit(lib_mntns_exec_main(argc, args));
	}
	close(fds[1]);
	memset(out, 0, len);
	while ((r = read(fds[0], out + n, len - 1 - (size_t)n)) > 0)
		n += r;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_mntns(void **state)
{
	const char *const binds[][2] = {{"/run/x/passwd", "/etc/passwd"},
	                                {"/run/x/group", "/etc/group"}};
	const char *const cmd[] = {"smbd", "-s", "/run/x/smb.conf", NULL};
	const char *argv[16];

	assert_int_equal(lib_mntns_argv("/usr/sbin/applianced", binds, 2, NULL, cmd, argv, 16), 0);
	const char *want[] = {"/usr/sbin/applianced",
	                      "--mntns-exec",
	                      "--bind",
	                      "/run/x/passwd",
	                      "/etc/passwd",
	                      "--bind",
	                      "/run/x/group",
	                      "/etc/group",
	                      "--",
	                      "smbd",
	                      "-s",
	                      "/run/x/smb.conf",
	                      NULL};
	for (int i = 0; want[i]; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[12]);
	assert_int_equal(lib_mntns_argv("/a", binds, 2, NULL, cmd, argv, 12), -E2BIG);
	const char *const rel[][2] = {{"passwd", "/etc/passwd"}};
	assert_int_equal(lib_mntns_argv("/a", rel, 1, NULL, cmd, argv, 16), -EINVAL);
	const char *const none[] = {NULL};
	assert_int_equal(lib_mntns_argv("/a", binds, 2, NULL, none, argv, 16), -EINVAL);
	/* a first command: its words counted, before "--" */
	const char *const first[] = {"net", "setlocalsid", "S-1-5-21-1-2-3", NULL};
	assert_int_equal(lib_mntns_argv("/a", binds, 0, first, cmd, argv, 16), 0);
	const char *want2[] = {"/a",   "--mntns-exec", "--first",         "3",
	                       "net",  "setlocalsid",  "S-1-5-21-1-2-3",  "--",
	                       "smbd", "-s",           "/run/x/smb.conf", NULL};
	for (int i = 0; want2[i]; i++)
		assert_string_equal(argv[i], want2[i]);
	assert_null(argv[11]);
	assert_int_equal(lib_mntns_argv("/a", binds, 0, none, cmd, argv, 16), -EINVAL);
	assert_int_equal(lib_mntns_argv("/a", binds, 0, first, cmd, argv, 11), -E2BIG);
	/* bad helper arguments: refused before anything changes */
	char *bad1[] = {"--bind", "/a", NULL};
	char *bad2[] = {"--bind", "a", "/etc/passwd", "--", "true", NULL};
	char *bad3[] = {"--", NULL};
	assert_int_equal(lib_mntns_exec_main(2, bad1), 2);
	assert_int_equal(lib_mntns_exec_main(5, bad2), 2);
	assert_int_equal(lib_mntns_exec_main(1, bad3), 2);
	char *bad4[] = {"--first", "2", "true", "--", "true", NULL};  /* count past "--" */
	char *bad5[] = {"--first", "x", "true", "--", "true", NULL};  /* not a count */
	char *bad6[] = {"--first", "17", "true", "--", "true", NULL}; /* over the limit */
	assert_int_equal(lib_mntns_exec_main(5, bad4), 2);
	assert_int_equal(lib_mntns_exec_main(5, bad5), 2);
	assert_int_equal(lib_mntns_exec_main(5, bad6), 2);

	if (geteuid() != 0) {
		skip();
		return;
	}
	char file[] = "/tmp/test_identity.XXXXXX";
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	const char line[] = "zed:x:4242:4242:zed:/nonexistent:/usr/sbin/nologin\n";
	assert_int_equal(write(fd, line, sizeof(line) - 1), (ssize_t)(sizeof(line) - 1));
	close(fd);
	char got[256];
	char *args[] = {"--bind", file, "/etc/passwd", "--", "getent", "passwd", "4242", NULL};
	assert_int_equal(exec_main_in_child(7, args, got, sizeof(got)), 0);
	assert_string_equal(got, line);
	/* A first command that fails stops the start (127); one that works
	 * runs before the command (its output first). */
	char *fail[] = {"--first", "1", "false", "--", "echo", "served", NULL};
	char *ok[] = {"--first", "2", "echo", "prepared", "--", "echo", "served", NULL};
	assert_int_equal(exec_main_in_child(6, fail, got, sizeof(got)), 127);
	assert_string_equal(got, "");
	assert_int_equal(exec_main_in_child(7, ok, got, sizeof(got)), 0);
	assert_string_equal(got, "prepared\nserved\n");
	/* here, the node's passwd: no zed */
	FILE *p = popen("getent passwd 4242", "r");
	assert_non_null(p);
	assert_null(fgets(got, sizeof(got), p));
	pclose(p);
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden),       cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_from_model),   cmocka_unit_test(test_share_access),
	    cmocka_unit_test(test_nfs_identity), cmocka_unit_test(test_mntns),
	    cmocka_unit_test(test_nsswitch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
