/*
 * ap_webupload.h - an update file uploaded through the REST API (PUT
 * /api/v1/system/update, issue 13): the body streamed into one spool file
 * in apweb's state directory, then handed to applianced by its path
 * (system.update as the account), which checks it is this process's own
 * regular file (ap_sys_check_web_file), writes the spare root slot from it
 * and removes it once its writer has ended.
 *
 * The directory is given as a descriptor opened before the process left
 * root (its parents need not be searchable by the web user: the lab's are
 * not) and by its path (what applianced is told).
 *
 * One upload at a time per process: the spool name is fixed
 * (AP_WU_NAME), created O_EXCL | O_NOFOLLOW, 0600; a file left there (an
 * update applianced still reads, or one a crash left) makes the next
 * upload refused with -EEXIST until it is gone (apweb removes a leftover
 * when it starts: ap_wu_clean). The length must be announced
 * (Content-Length) and at most AP_WU_MAX, and fit in the directory's free
 * space (-ENOSPC, before a byte is taken); the body must be exactly that
 * long.
 *
 * The event loop never writes the file: a child (`cat`, through lib_run,
 * its stdout the spool file) does, fed through a non-blocking pipe. A write
 * takes what the pipe holds; when it is full the caller stops taking the
 * body (libmicrohttpd: suspend the connection) until ap_wu_wait says the
 * pipe has room. At the end the pipe is closed and the child's exit says
 * whether everything reached the file. Nothing is fsynced here: the writer
 * reads the file whole and checks its sha256 before anything is written.
 *
 * Memory: struct ap_wu is the caller's from ap_wu_begin until ap_wu_abort,
 * a failed ap_wu_finish, or the call of ap_wu_finish's callback (after
 * which it is freed); ap_wu_abort may be called until then.
 * Errors: 0 or a negative errno with one sentence in err (never the data).
 */
#ifndef AP_WEBUPLOAD_H
#define AP_WEBUPLOAD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define AP_WU_NAME "update-upload.img"
#define AP_WU_MAX (8ULL << 30) /* larger than any root slot */

struct ap_wu;

typedef void (*ap_wu_fn)(void *arg);
/* The upload's end: rc 0 and the file's path, or a negative errno and the
 * sentence (the file removed). */
typedef void (*ap_wu_done_fn)(void *arg, int rc, const char *path, const char *err);

/* A new upload of length bytes into AP_WU_NAME in the directory dirfd
 * (whose path is dir), its writer started on ev. */
int ap_wu_begin(sd_event *ev, int dirfd, const char *dir, uint64_t length, struct ap_wu **out,
                char *err, size_t errlen);
/* Up to n more bytes: *taken of them were taken (fewer when the pipe is
 * full; then ap_wu_wait). More than announced: -EFBIG; the writer gone:
 * -EIO. */
int ap_wu_write(struct ap_wu *u, const void *data, size_t n, size_t *taken, char *err,
                size_t errlen);
/* fn(arg) once, when the pipe has room again (or the writer is gone). */
int ap_wu_wait(struct ap_wu *u, ap_wu_fn fn, void *arg);
/* The body has ended. Short: -EIO now, the file removed, u freed, no
 * callback. Else done(arg, ...) once the writer has ended, then u freed. */
int ap_wu_finish(struct ap_wu *u, ap_wu_done_fn done, void *arg, char *err, size_t errlen);
/* Given up (the client went away, an error): the writer killed, the file
 * removed, no callback. Frees u; NULL is fine. */
void ap_wu_abort(struct ap_wu *u);
/* The spool file of dirfd removed (one left at apweb's start, one
 * applianced refused): 0 (also when there was none), or a negative errno. */
int ap_wu_clean(int dirfd);

#endif
