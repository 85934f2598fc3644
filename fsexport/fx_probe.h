/*
 * fx_probe.h - the storage probe of a mounted file system.
 *
 * Writes a small heartbeat file in `dir` and fsyncs it. This blocks when the
 * storage path hangs, so the daemon never calls it in its event loop: it runs
 * it in a child process with a deadline (see lib_run.h), whose exit status is
 * the verdict.
 *
 * Errors: 0 healthy, otherwise the negative errno of the first failing call.
 */
#ifndef FX_PROBE_H
#define FX_PROBE_H

#define FX_PROBE_FILE ".appliance-probe"

int fx_probe_storage(const char *dir);
/* The same in the directory open on dfd (borrowed, not closed). */
int fx_probe_storage_fd(int dfd);

#endif
