/*
 * test_users.c - the local users and groups of a VS (vs_users.h): every bad
 * input refused with one sentence and the VS unchanged (a table), the
 * changes that pass, the personal group, ids chosen and kept, the JSON
 * round trip, and the masking of the password hashes in what is shown.
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

#include "vserver/vs_json.h"
#include "vserver/vs_model.h"
#include "vserver/vs_users.h"

#define NT "8846F7EAEE8FB117AD06BDD830B7586C" /* MD4("password" in UTF-16LE) */
#define CR "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"

static struct vs_config *world(void)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	char err[VS_ERR_LEN];
	struct vs_vserver *vs;
	const char *staff[] = {"eng"};

	assert_non_null(c);
	assert_int_equal(vs_config_create(c, "vs1", 50, false, "", err, sizeof(err)), 0);
	vs = vs_config_find(c, "vs1");
	assert_int_equal(vs_group_add(vs, "eng", 2000, err, sizeof(err)), 0);
	struct vs_user_spec a = {.name = "alice", .nt_hash = NT, .crypt_hash = CR};
	assert_int_equal(vs_user_add(vs, &a, err, sizeof(err)), 0);
	struct vs_user_spec b = {.name = "bob", .uid = 1500, .groups = staff, .n_groups = 1};
	assert_int_equal(vs_user_add(vs, &b, err, sizeof(err)), 0);
	return c;
}

static void drop(struct vs_config *c)
{
	vs_config_free(c);
	free(c);
}

static void test_changes(void **state)
{
	struct vs_config *c = world();
	struct vs_vserver *vs = vs_config_find(c, "vs1");
	char err[VS_ERR_LEN];

	/* alice: the lowest free id, and a personal group of her name with it. */
	const struct vs_user *a = vs_user_find(vs, "alice");
	assert_non_null(a);
	assert_int_equal(a->uid, 1000);
	assert_string_equal(a->groups[0], "alice");
	assert_int_equal(vs_group_find(vs, "alice")->gid, 1000);
	assert_string_equal(a->nt_hash, NT);
	/* bob: given uid, primary group eng. */
	const struct vs_user *b = vs_user_find(vs, "bob");
	assert_int_equal(b->uid, 1500);
	assert_int_equal(b->n_groups, 1);
	assert_string_equal(b->groups[0], "eng");
	assert_string_equal(b->nt_hash, "");

	/* A lower-case NT hash is kept upper case. */
	char lower[] = NT;
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	assert_int_equal(vs_user_passwd(vs, "bob", lower, CR, err, sizeof(err)), 0);
	assert_string_equal(vs_user_find(vs, "bob")->nt_hash, NT);

	/* Membership. */
	assert_int_equal(vs_group_member(vs, "eng", "alice", true, err, sizeof(err)), 0);
	assert_int_equal(vs_user_find(vs, "alice")->n_groups, 2);
	assert_int_equal(vs_group_member(vs, "eng", "alice", true, err, sizeof(err)), -EEXIST);
	assert_int_equal(vs_group_member(vs, "eng", "bob", false, err, sizeof(err)), -EBUSY);
	/* eng is bob's primary group: it stays; alice's membership goes with
	 * a group that is removed. */
	assert_int_equal(vs_group_remove(vs, "eng", err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "bob"));
	assert_int_equal(vs_group_add(vs, "ops", 0, err, sizeof(err)), 0);
	assert_int_equal(vs_group_find(vs, "ops")->gid, 1001); /* 1000 is alice's */
	assert_int_equal(vs_group_member(vs, "ops", "alice", true, err, sizeof(err)), 0);
	assert_int_equal(vs_group_remove(vs, "ops", err, sizeof(err)), 0);
	assert_int_equal(vs_user_find(vs, "alice")->n_groups, 2);
	assert_string_equal(vs_user_find(vs, "alice")->groups[1], "eng");

	/* A user removed takes its personal group with it; the next user
	 * gets the id back. */
	assert_int_equal(vs_user_remove(vs, "alice", err, sizeof(err)), 0);
	assert_null(vs_user_find(vs, "alice"));
	assert_null(vs_group_find(vs, "alice"));
	struct vs_user_spec cc = {.name = "carol"};
	assert_int_equal(vs_user_add(vs, &cc, err, sizeof(err)), 0);
	assert_int_equal(vs_user_find(vs, "carol")->uid, 1000);

	/* Two VSs: the same name with other ids. */
	assert_int_equal(vs_config_create(c, "vs2", 50, false, "", err, sizeof(err)), 0);
	struct vs_vserver *v2 = vs_config_find(c, "vs2");
	struct vs_user_spec a2 = {.name = "carol", .uid = 4242};
	assert_int_equal(vs_user_add(v2, &a2, err, sizeof(err)), 0);
	assert_int_equal(vs_user_find(v2, "carol")->uid, 4242);
	assert_int_equal(vs_user_find(vs_config_find(c, "vs1"), "carol")->uid, 1000);
	drop(c);
}

/* Each bad change: refused with one sentence, the VS unchanged. */
enum op { ADD, PASSWD, GADD, GREM, MEMBER_ADD, MEMBER_DEL, UREM };
struct bad {
	enum op op;
	const char *name;
	uint32_t id;
	const char *group;
	const char *nt, *crypt;
	int rc;
	const char *says;
};

static const char *const eng[] = {"eng"};
static const char *const twice[] = {"eng", "eng"};
static const char *const ghost[] = {"ghost"};
static const char *const badg[] = {"Eng"};

static void test_bad_input(void **state)
{
	char long_name[64];
	memset(long_name, 'a', 33);
	long_name[33] = '\0';
	const struct bad table[] = {
	    {ADD, "", 0, NULL, NULL, NULL, -EINVAL, "empty"},
	    {ADD, long_name, 0, NULL, NULL, NULL, -EINVAL, "at most 32"},
	    {ADD, "Alice", 0, NULL, NULL, NULL, -EINVAL, "start with a lower-case"},
	    {ADD, "1alice", 0, NULL, NULL, NULL, -EINVAL, "start with"},
	    {ADD, "al ice", 0, NULL, NULL, NULL, -EINVAL, "only lower-case"},
	    {ADD, "al;rm", 0, NULL, NULL, NULL, -EINVAL, "only lower-case"},
	    {ADD, "al/../x", 0, NULL, NULL, NULL, -EINVAL, "only lower-case"},
	    {ADD, "al:x", 0, NULL, NULL, NULL, -EINVAL, "only lower-case"},
	    {ADD, "root", 0, NULL, NULL, NULL, -EINVAL, "system's own"},
	    {ADD, "nobody", 0, NULL, NULL, NULL, -EINVAL, "system's own"},
	    {ADD, "systemd-x", 0, NULL, NULL, NULL, -EINVAL, "systemd-"},
	    {ADD, "alice", 0, NULL, NULL, NULL, -EEXIST, "already"},
	    {ADD, "dave", 999, NULL, NULL, NULL, -EINVAL, "from 1000 to 59999"},
	    {ADD, "dave", 65534, NULL, NULL, NULL, -EINVAL, "from 1000 to 59999"},
	    {ADD, "dave", 1500, NULL, NULL, NULL, -EEXIST, "bob"},
	    {ADD, "dave", 2000, NULL, NULL, NULL, -EEXIST, "gid 2000"},
	    {ADD, "eng", 0, NULL, NULL, NULL, -EEXIST, "group named 'eng'"},
	    {ADD, "dave", 0, "ghost", NULL, NULL, -ENOENT, "no group named 'ghost'"},
	    {ADD, "dave", 0, "twice", NULL, NULL, -EINVAL, "twice"},
	    {ADD, "dave", 0, "Eng", NULL, NULL, -EINVAL, "group name"},
	    {ADD, "dave", 0, NULL, "XYZ", CR, -EINVAL, "32 hexadecimal"},
	    {ADD, "dave", 0, NULL, NT "0", CR, -EINVAL, "32 hexadecimal"},
	    {ADD, "dave", 0, NULL, NT, "$6$salt$hash", -EINVAL, "yescrypt"},
	    {ADD, "dave", 0, NULL, NT, "$y$a b", -EINVAL, "yescrypt"},
	    {ADD, "dave", 0, NULL, NT, NULL, -EINVAL, "both"},
	    {ADD, "dave", 0, NULL, NULL, CR, -EINVAL, "both"},
	    {PASSWD, "ghost", 0, NULL, NT, CR, -ENOENT, "no user named"},
	    {PASSWD, "alice", 0, NULL, NULL, CR, -EINVAL, "both"},
	    {PASSWD, "alice", 0, NULL, "G846F7EAEE8FB117AD06BDD830B7586C", CR, -EINVAL, "hex"},
	    {GADD, "eng", 0, NULL, NULL, NULL, -EEXIST, "already"},
	    {GADD, "ops", 2000, NULL, NULL, NULL, -EEXIST, "'eng''s"},
	    {GADD, "ops", 70000, NULL, NULL, NULL, -EINVAL, "from 1000"},
	    {GADD, "wheel", 0, NULL, NULL, NULL, -EINVAL, "system's own"},
	    {GREM, "ghost", 0, NULL, NULL, NULL, -ENOENT, "no group named"},
	    {GREM, "alice", 0, NULL, NULL, NULL, -EBUSY, "primary group of user 'alice'"},
	    {MEMBER_ADD, "ghost", 0, "eng", NULL, NULL, -ENOENT, "no user named"},
	    {MEMBER_ADD, "alice", 0, "ghost", NULL, NULL, -ENOENT, "no group named"},
	    {MEMBER_ADD, "bob", 0, "eng", NULL, NULL, -EEXIST, "already"},
	    {MEMBER_DEL, "alice", 0, "eng", NULL, NULL, -ENOENT, "not in group"},
	    {MEMBER_DEL, "bob", 0, "eng", NULL, NULL, -EBUSY, "primary"},
	    {UREM, "ghost", 0, NULL, NULL, NULL, -ENOENT, "no user named"},
	};
	int n = (int)(sizeof(table) / sizeof(table[0]));

	assert_true(n >= 20);
	for (int i = 0; i < n; i++) {
		const struct bad *t = &table[i];
		struct vs_config *c = world();
		struct vs_config before = {0};
		struct vs_vserver *vs = vs_config_find(c, "vs1");
		char err[VS_ERR_LEN] = "";
		int rc = 0;
		assert_int_equal(vs_config_copy(&before, c), 0);
		const char *const *gl = NULL;
		int ng = 0;
		if (t->group && t->op == ADD) {
			gl = strcmp(t->group, "ghost") == 0   ? ghost
			     : strcmp(t->group, "twice") == 0 ? twice
			     : strcmp(t->group, "Eng") == 0   ? badg
			                                      : eng;
			ng = gl == twice ? 2 : 1;
		}
		struct vs_user_spec sp = {.name = t->name,
		                          .uid = t->id,
		                          .groups = gl,
		                          .n_groups = ng,
		                          .nt_hash = t->nt,
		                          .crypt_hash = t->crypt};
		switch (t->op) {
		case ADD:
			rc = vs_user_add(vs, &sp, err, sizeof(err));
			break;
		case PASSWD:
			rc = vs_user_passwd(vs, t->name, t->nt, t->crypt, err, sizeof(err));
			break;
		case GADD:
			rc = vs_group_add(vs, t->name, t->id, err, sizeof(err));
			break;
		case GREM:
			rc = vs_group_remove(vs, t->name, err, sizeof(err));
			break;
		case MEMBER_ADD:
		case MEMBER_DEL:
			rc = vs_group_member(vs, t->group, t->name, t->op == MEMBER_ADD, err,
			                     sizeof(err));
			break;
		case UREM:
			rc = vs_user_remove(vs, t->name, err, sizeof(err));
			break;
		}
		if (rc != t->rc || !strstr(err, t->says))
			fail_msg("case %d (%s): rc %d, said '%s'; wanted %d and '%s'", i, t->name,
			         rc, err, t->rc, t->says);
		size_t len = strlen(err);
		assert_true(len > 0 && err[len - 1] == '.');
		/* One sentence, and never a hash quoted back. */
		assert_null(strchr(err, '\n'));
		if (t->nt)
			assert_null(strstr(err, t->nt));
		assert_null(strstr(err, CR));
		assert_true(vs_config_equal(&before, c));
		vs_config_free(&before);
		drop(c);
	}
}

static void test_json(void **state)
{
	struct vs_config *c = world(), back = {0};
	struct vs_vserver *vs = vs_config_find(c, "vs1");
	char err[VS_ERR_LEN];

	assert_int_equal(vs_group_member(vs, "eng", "alice", true, err, sizeof(err)), 0);
	json_t *j = vs_config_to_json(c);
	assert_int_equal(vs_config_from_json(j, &back, err, sizeof(err)), 0);
	assert_true(vs_config_equal(c, &back));
	assert_int_equal(vs_vserver_hash(vs), vs_vserver_hash(vs_config_find(&back, "vs1")));
	json_decref(j);

	/* What is shown has no hash, only whether a password is set. */
	json_t *shown = vs_vserver_to_json(vs);
	vs_json_mask_users(shown);
	char *text = json_dumps(shown, 0);
	assert_null(strstr(text, NT));
	assert_null(strstr(text, "$y$"));
	assert_non_null(strstr(text, "\"password\": \"set\""));
	assert_non_null(strstr(text, "\"password\": \"not set\""));
	free(text);
	json_decref(shown);

	/* A stored document with a bad user is refused as a whole. */
	j = vs_config_to_json(c);
	json_t *u = json_array_get(
	    json_object_get(json_array_get(json_object_get(j, "vservers"), 0), "users"), 0);
	json_object_set_new(u, "uid", json_integer(0));
	struct vs_config bad = {0};
	assert_int_equal(vs_config_from_json(j, &bad, err, sizeof(err)), -EINVAL);
	vs_config_free(&bad);
	json_decref(j);
	vs_config_free(&back);
	drop(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_changes),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
