/*
 * lib_mntns.c - a program in a mount namespace of its own (lib_mntns.h).
 */
#include "lib/lib_mntns.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/lib_fs.h"

/* Whether something is mounted beneath dir (5th field of mountinfo). */
static int mounted_beneath(const char *dir)
{
	char *info = NULL, *line, *save = NULL;
	size_t n = strlen(dir);
	int rc = lib_read_file("/proc/self/mountinfo", &info), found = 0;

	if (rc < 0)
		return rc;
	for (line = strtok_r(info, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f = line;
		for (int k = 0; k < 4 && f; k++)
			f = strchr(f, ' ') ? strchr(f, ' ') + 1 : NULL;
		found = f && strncmp(f, dir, n) == 0 && f[n] == '/';
	}
	free(info);
	return found;
}

int lib_mntns_share(const char *dir)
{
	int rc;

	if (!dir || dir[0] != '/')
		return -EINVAL;
	if (mount(NULL, dir, NULL, MS_SHARED, NULL) == 0)
		return 0; /* a mount point already */
	if (errno != EINVAL)
		return -errno;
	/* Binding it onto itself now would leave what is mounted beneath it
	 * hidden under the bind, still mounted, after an unmount of the copy. */
	if ((rc = mounted_beneath(dir)) != 0)
		return rc < 0 ? rc : -EBUSY;
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (mount(NULL, dir, NULL, MS_SHARED, NULL) < 0)
		return -errno;
	return 0;
}

int lib_mntns_argv(const char *self, const char *const (*binds)[2], int n_binds,
                   const char *const *first, const char *const *cmd, const char **argv_out,
                   int n_out)
{
	static const char *const counts[LIB_MNTNS_FIRST_MAX + 1] = {
	    "0", "1",  "2",  "3",  "4",  "5",  "6",  "7", "8",
	    "9", "10", "11", "12", "13", "14", "15", "16"};
	int n = 0, need = 3 + 3 * n_binds, n_first = 0;

	if (!self || n_binds < 0 || n_binds > LIB_MNTNS_MAX_BINDS || !cmd || !cmd[0])
		return -EINVAL;
	if (first) {
		while (first[n_first])
			n_first++;
		if (n_first == 0 || n_first > LIB_MNTNS_FIRST_MAX)
			return -EINVAL;
		need += 2 + n_first;
	}
	for (int i = 0; i < n_binds; i++)
		if (!binds[i][0] || !binds[i][1] || binds[i][0][0] != '/' || binds[i][1][0] != '/')
			return -EINVAL;
	for (int i = 0; cmd[i]; i++)
		need++;
	if (need + 1 > n_out)
		return -E2BIG;
	argv_out[n++] = self;
	argv_out[n++] = LIB_MNTNS_EXEC_FLAG;
	for (int i = 0; i < n_binds; i++) {
		argv_out[n++] = "--bind";
		argv_out[n++] = binds[i][0];
		argv_out[n++] = binds[i][1];
	}
	if (first) {
		argv_out[n++] = "--first";
		argv_out[n++] = counts[n_first];
		for (int i = 0; i < n_first; i++)
			argv_out[n++] = first[i];
	}
	argv_out[n++] = "--";
	for (int i = 0; cmd[i]; i++)
		argv_out[n++] = cmd[i];
	argv_out[n] = NULL;
	return 0;
}

/* Run argv to its end; 0 when it exited 0, else 127 with one sentence. */
static int run_first(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		return 127;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "cannot wait for %s: %s\n", argv[0], strerror(errno));
			return 127;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "%s failed (%s %d): the server is not started\n", argv[0],
	        WIFEXITED(status) ? "exit status" : "signal",
	        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 127;
}

int lib_mntns_exec_main(int argc, char **argv)
{
	int i = 0, n_binds, first = -1, n_first = 0;

	/* Everything is checked before anything changes. */
	while (i < argc && strcmp(argv[i], "--bind") == 0) {
		if (i + 2 >= argc || argv[i + 1][0] != '/' || argv[i + 2][0] != '/')
			goto usage;
		i += 3;
	}
	n_binds = i;
	if (i + 1 < argc && strcmp(argv[i], "--first") == 0) {
		char *end;
		long k = strtol(argv[i + 1], &end, 10);
		if (*end || k < 1 || k > LIB_MNTNS_FIRST_MAX || i + 2 + k >= argc)
			goto usage;
		first = i + 2;
		n_first = (int)k;
		i += 2 + n_first;
	}
	if (i >= argc - 1 || strcmp(argv[i], "--") != 0)
		goto usage;
	if (unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr, "cannot make a mount namespace: %s\n", strerror(errno));
		return 127;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		fprintf(stderr, "cannot make the mounts slaves: %s\n", strerror(errno));
		return 127;
	}
	for (int k = 0; k < n_binds; k += 3)
		if (mount(argv[k + 1], argv[k + 2], NULL, MS_BIND, NULL) < 0) {
			fprintf(stderr, "cannot bind %s onto %s: %s\n", argv[k + 1], argv[k + 2],
			        strerror(errno));
			return 127;
		}
	if (first >= 0) {
		char *fargv[LIB_MNTNS_FIRST_MAX + 1];
		for (int k = 0; k < n_first; k++)
			fargv[k] = argv[first + k];
		fargv[n_first] = NULL;
		if (run_first(fargv) != 0)
			return 127;
	}
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "cannot run %s: %s\n", argv[i + 1], strerror(errno));
	return 127;
usage:
	fprintf(stderr, "usage: %s [--bind SRC DST]... [--first N WORD...] -- CMD [ARG]...\n",
	        LIB_MNTNS_EXEC_FLAG);
	return 2;
}
