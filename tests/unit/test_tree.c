/*
 * test_tree.c - unit tests of lib_beneath (openat2 resolution inside a
 * hostile tree) and fx_tree (the layout of a VS file system, its
 * conversion from the old layout, the child's output parser, the probe).
 *
 * Every tree is made in a fresh directory under /tmp with an "outside"
 * sibling that planted symlinks point to; each attack then checks that
 * nothing was created outside. Owner checks need root (skipped otherwise).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsexport/fx_probe.h"
#include "fsexport/fx_tree.h"
#include "lib/lib_beneath.h"

struct tree {
	char base[64];    /* /tmp/bntest.XXXXXX */
	char root[96];    /* base/root: the trusted directory */
	char outside[96]; /* base/outside: where planted links point */
	int rootfd;
};

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->base, sizeof(t->base), "/tmp/bntest.XXXXXX");
	assert_non_null(mkdtemp(t->base));
	snprintf(t->root, sizeof(t->root), "%s/root", t->base);
	snprintf(t->outside, sizeof(t->outside), "%s/outside", t->base);
	assert_int_equal(mkdir(t->root, 0755), 0);
	assert_int_equal(mkdir(t->outside, 0755), 0);
	t->rootfd = open(t->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->rootfd >= 0);
	*state = t;
	return 0;
}

static void rm_rf(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *de;

		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				rm_rf(fd, de->d_name);
		closedir(d);
		unlinkat(dfd, name, AT_REMOVEDIR);
	} else {
		unlinkat(dfd, name, 0);
	}
}

static int teardown(void **state)
{
	struct tree *t = *state;

	close(t->rootfd);
	rm_rf(AT_FDCWD, t->base);
	free(t);
	return 0;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static bool is_dir(const char *base, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_link(const char *base, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	return lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
}

static void mk(const char *base, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void link_at(const char *target, const char *base, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	assert_int_equal(symlink(target, p), 0);
}

/* ------------------------------------------------------------------------ */
/* lib_beneath                                                               */

static void test_mkdirs_creates_levels(void **state)
{
	struct tree *t = *state;
	int fd = -1;

	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "a/b/c", &fd), 0);
	assert_true(fd >= 0);
	close(fd);
	assert_true(is_dir(t->root, "a/b/c"));
	/* again: existing is fine */
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "a/b/c", NULL), 0);
	/* "" is the directory itself */
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "", &fd), 0);
	close(fd);
	/* odd but legal names */
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "...", NULL), 0);
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, ".hidden/-x_y.z", NULL), 0);
	assert_true(is_dir(t->root, ".hidden/-x_y.z"));
}

static void test_mkdirs_inherits_owner_and_mode(void **state)
{
	struct tree *t = *state;
	char p[PATH_MAX];
	struct stat st;

	if (geteuid() != 0)
		skip();
	mk(t->root, "client");
	snprintf(p, sizeof(p), "%s/client", t->root);
	assert_int_equal(chown(p, 65534, 65534), 0);
	assert_int_equal(chmod(p, 0775), 0);
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "client/x/y", NULL), 0);
	snprintf(p, sizeof(p), "%s/client/x/y", t->root);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(st.st_mode & 07777, 0775);
}

static void test_mkdirs_refuses_bad_paths(void **state)
{
	struct tree *t = *state;
	static const char *const bad[] = {
	    "/etc", "a/../..", "..", ".", "a/./b", "a//b", "a/", "../outside/x", NULL,
	};
	char longname[NAME_MAX + 2];

	for (int i = 0; bad[i]; i++)
		assert_int_equal(lib_beneath_mkdirs(t->rootfd, bad[i], NULL), -EINVAL);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, longname, NULL), -ENAMETOOLONG);
	assert_int_equal(lib_beneath_mkdirs(-1, "a", NULL), -EINVAL);
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, NULL, NULL), -EINVAL);
	/* a bad path creates nothing, not even its good first part */
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "first/../x", NULL), -EINVAL);
	assert_int_equal(count_entries(t->root), 0);
	assert_int_equal(count_entries(t->outside), 0);
}

static void test_mkdirs_planted_symlinks(void **state)
{
	struct tree *t = *state;

	/* absolute link in the middle */
	link_at(t->outside, t->root, "abs");
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "abs/alpha", NULL), -ELOOP);
	/* relative link climbing out */
	link_at("../outside", t->root, "rel");
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "rel/alpha", NULL), -ELOOP);
	/* a link that stays inside is refused too: no link is ever followed */
	mk(t->root, "real");
	link_at("real", t->root, "inside");
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "inside/alpha", NULL), -ELOOP);
	/* as the last component */
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "abs", NULL), -ELOOP);
	/* a dangling link is not "missing": nothing is made where it points */
	link_at("/tmp/bntest-dangling-never", t->root, "dangling");
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "dangling", NULL), -ELOOP);
	assert_int_equal(access("/tmp/bntest-dangling-never", F_OK), -1);
	/* a file on the way */
	int fd = openat(t->rootfd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "file/x", NULL), -ENOTDIR);
	assert_int_equal(count_entries(t->outside), 0);
	assert_int_equal(count_entries(t->root), 6);
}

static void test_mkdirs_after_rename(void **state)
{
	struct tree *t = *state;
	char from[PATH_MAX], to[PATH_MAX];
	int fd;

	/* The appliance holds a descriptor of a/; a client renames a/ away and
	 * plants a symlink in its place. */
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "a/b", &fd), 0);
	snprintf(from, sizeof(from), "%s/a", t->root);
	snprintf(to, sizeof(to), "%s/a.moved", t->root);
	assert_int_equal(rename(from, to), 0);
	link_at(t->outside, t->root, "a");
	/* by name: refused */
	assert_int_equal(lib_beneath_mkdirs(t->rootfd, "a/b/c", NULL), -ELOOP);
	/* through the descriptor held: still inside, in the renamed directory */
	assert_int_equal(lib_beneath_mkdirs(fd, "c", NULL), 0);
	close(fd);
	assert_true(is_dir(t->root, "a.moved/b/c"));
	assert_int_equal(count_entries(t->outside), 0);
}

static void test_open_beneath(void **state)
{
	struct tree *t = *state;
	int fd;

	mk(t->root, "d");
	assert_int_equal(lib_beneath_open(t->rootfd, "d", O_RDONLY | O_DIRECTORY, 0, &fd), 0);
	close(fd);
	assert_int_equal(lib_beneath_open(t->rootfd, "d/../d", O_RDONLY | O_DIRECTORY, 0, &fd), 0);
	close(fd);
	assert_int_equal(lib_beneath_open(t->rootfd, "d/../..", O_RDONLY, 0, &fd), -EXDEV);
	assert_int_equal(lib_beneath_open(t->rootfd, "/etc", O_RDONLY, 0, &fd), -EINVAL);
	assert_int_equal(lib_beneath_open(t->rootfd, "/proc/self/root", O_RDONLY, 0, &fd), -EINVAL);
	link_at("/etc/passwd", t->root, "pw");
	assert_int_equal(lib_beneath_open(t->rootfd, "pw", O_RDONLY, 0, &fd), -ELOOP);
	/* O_CREAT through a planted link creates nothing outside */
	char target[PATH_MAX];
	snprintf(target, sizeof(target), "%s/created", t->outside);
	link_at(target, t->root, "c");
	assert_int_equal(lib_beneath_open(t->rootfd, "c", O_WRONLY | O_CREAT, 0600, &fd), -ELOOP);
	assert_int_equal(count_entries(t->outside), 0);
	assert_int_equal(lib_beneath_open(t->rootfd, "", O_RDONLY, 0, &fd), -EINVAL);
}

static void test_name_ok(void **state)
{
	assert_true(lib_beneath_name_ok("a", 1));
	assert_true(lib_beneath_name_ok("...", 3));
	assert_false(lib_beneath_name_ok("", 0));
	assert_false(lib_beneath_name_ok(".", 1));
	assert_false(lib_beneath_name_ok("..", 2));
	assert_false(lib_beneath_name_ok("a/b", 3));
}

/* ------------------------------------------------------------------------ */
/* fx_tree                                                                   */

static void test_prepare_fresh_layout(void **state)
{
	struct tree *t = *state;
	const char *subs[] = {"", "a/b", "a/b", "x.y"};
	int rcs[4] = {1, 1, 1, 1};
	char p[PATH_MAX];
	struct stat st;

	if (geteuid() != 0)
		skip();
	/* as mkfs leaves it: root owned by the client owner, lost+found root 0700 */
	mk(t->root, "lost+found");
	assert_int_equal(chmod(t->root, 0777), 0);
	assert_int_equal(chown(t->root, 65534, 65534), 0);
	assert_int_equal(fx_tree_prepare(t->root, false, subs, 4, rcs), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rcs[i], 0);
	assert_int_equal(lstat(t->root, &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	snprintf(p, sizeof(p), "%s/data", t->root);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_mode & 07777, 0777);
	snprintf(p, sizeof(p), "%s/data/a/b", t->root);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	snprintf(p, sizeof(p), "%s/.appliance", t->root);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_true(is_dir(t->root, ".appliance/nfs-recovery"));
	assert_true(is_dir(t->root, "lost+found"));
	assert_int_equal(count_entries(t->root), 3);
	/* idempotent */
	assert_int_equal(fx_tree_prepare(t->root, false, subs, 4, rcs), 0);
	assert_int_equal(count_entries(t->root), 3);
	/* the probe writes in .appliance */
	assert_int_equal(fx_tree_probe(t->root, false), 0);
	assert_true(count_entries(p) == 2);
	/* not a mount point */
	assert_int_equal(fx_tree_prepare(t->root, true, subs, 0, rcs), -ENOTCONN);
	assert_int_equal(fx_tree_probe(t->root, true), -ENOTCONN);
}

/* A client owned the root (old layout): it renamed .appliance, planted a
 * symlink in its place and symlinks in export paths. */
static void test_prepare_hostile_old_layout(void **state)
{
	struct tree *t = *state;
	const char *subs[] = {"ok/sub", "evil/alpha", "inside/x", "file/x"};
	int rcs[4] = {0};
	char p[PATH_MAX], q[PATH_MAX];
	struct stat st;

	if (geteuid() != 0)
		skip();
	mk(t->root, "lost+found");
	mk(t->root, ".appliance");
	snprintf(p, sizeof(p), "%s/.appliance", t->root);
	snprintf(q, sizeof(q), "%s/appliance-renamed", t->root);
	assert_int_equal(rename(p, q), 0);
	link_at(t->outside, t->root, ".appliance");
	link_at(t->outside, t->root, "evil");
	mk(t->root, "real");
	link_at("real", t->root, "inside");
	int fd = openat(t->rootfd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	mk(t->root, "ok");
	assert_int_equal(chown(t->root, 65534, 65534), 0);

	assert_int_equal(fx_tree_prepare(t->root, false, subs, 4, rcs), 0);
	assert_int_equal(rcs[0], 0);
	assert_int_equal(rcs[1], -ELOOP);
	assert_int_equal(rcs[2], -ELOOP);
	assert_int_equal(rcs[3], -ENOTDIR);
	assert_int_equal(count_entries(t->outside), 0);
	/* client content moved into data/, the planted link with it */
	assert_true(is_dir(t->root, "data/ok/sub"));
	assert_true(is_dir(t->root, "data/appliance-renamed"));
	assert_true(is_link(t->root, "data/.appliance"));
	/* the real state directory */
	snprintf(p, sizeof(p), "%s/.appliance", t->root);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(count_entries(t->root), 3); /* lost+found .appliance data */
	assert_int_equal(fx_tree_probe(t->root, false), 0);
	assert_int_equal(count_entries(t->outside), 0);
}

static void test_prepare_client_data_link(void **state)
{
	struct tree *t = *state;
	int rcs[1];
	const char *subs[] = {"x"};
	if (geteuid() != 0)
		skip();
	/* a client planted "data" itself as a link before the conversion */
	link_at(t->outside, t->root, "data");
	assert_int_equal(chown(t->root, 65534, 65534), 0);
	assert_int_equal(fx_tree_prepare(t->root, false, subs, 1, rcs), 0);
	assert_int_equal(rcs[0], 0);
	assert_true(is_dir(t->root, "data"));
	assert_true(is_link(t->root, "data/data.from-root"));
	assert_int_equal(count_entries(t->outside), 0);
}

static void test_probe_refuses_planted_state(void **state)
{
	struct tree *t = *state;

	/* root-owned root (laid out) with .appliance a link: the probe refuses */
	link_at(t->outside, t->root, ".appliance");
	assert_int_equal(fx_tree_probe(t->root, false), -ELOOP);
	assert_int_equal(count_entries(t->outside), 0);
	assert_int_equal(fx_tree_probe(NULL, false), -EINVAL);
	assert_int_equal(fx_tree_probe("relative", false), -EINVAL);
}

static void test_parse(void **state)
{
	int rcs[3];

	assert_int_equal(fx_tree_parse("0\n-40\n-18\n", 3, rcs), 0);
	assert_int_equal(rcs[0], 0);
	assert_int_equal(rcs[1], -ELOOP);
	assert_int_equal(rcs[2], -EXDEV);
	assert_int_equal(fx_tree_parse("", 0, rcs), 0);
	static const char *const bad[] = {
	    "0\n0\n",       /* too few */
	    "0\n0\n0\n0\n", /* too many */
	    "0\n0\n1\n",    /* positive */
	    "0\n0\n-0\n",   /* "-0" */
	    "0\n0\n00\n",   /* leading zero */
	    "0\n0\n-5",     /* no newline */
	    "0\n0\n-99999\n", "0 \n0\n0\n", "x\n0\n0\n", NULL,
	};
	for (int i = 0; bad[i]; i++)
		assert_int_equal(fx_tree_parse(bad[i], 3, rcs), -EPROTO);
	assert_int_equal(fx_tree_parse(NULL, 3, rcs), -EINVAL);
}

static void test_paths(void **state)
{
	char buf[64];

	assert_int_equal(fx_tree_data_path("/m/vs/fs", "", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/m/vs/fs/data");
	assert_int_equal(fx_tree_data_path("/m/vs/fs", "a/b", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/m/vs/fs/data/a/b");
	assert_int_equal(fx_tree_state_path("/m", FX_TREE_RECOVERY, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/m/.appliance/nfs-recovery");
	assert_int_equal(fx_tree_data_path("/m",
	                                   "0123456789012345678901234567890123456789"
	                                   "0123456789012345678901234567890123456789",
	                                   buf, sizeof(buf)),
	                 -ENAMETOOLONG);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_mkdirs_creates_levels),       T(test_mkdirs_inherits_owner_and_mode),
	    T(test_mkdirs_refuses_bad_paths),    T(test_mkdirs_planted_symlinks),
	    T(test_mkdirs_after_rename),         T(test_open_beneath),
	    cmocka_unit_test(test_name_ok),      T(test_prepare_fresh_layout),
	    T(test_prepare_hostile_old_layout),  T(test_prepare_client_data_link),
	    T(test_probe_refuses_planted_state), cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
