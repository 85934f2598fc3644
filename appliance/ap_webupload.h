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
 * (Content-Length) and at most AP_WU_MAX; the body must be exactly that
 * long. Writes go to the page cache (the root file system, never a VS's);
 * nothing is fsynced here: the writer reads the file whole and checks its
 * sha256 before anything is written.
 *
 * Memory: struct ap_wu is the caller's from ap_wu_begin to ap_wu_finish
 * or ap_wu_abort (each frees it).
 * Errors: 0 or a negative errno with one sentence in err (never the data).
 */
#ifndef AP_WEBUPLOAD_H
#define AP_WEBUPLOAD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define AP_WU_NAME "update-upload.img"
#define AP_WU_MAX (8ULL << 30) /* larger than any root slot */

struct ap_wu;

/* A new upload of length bytes into AP_WU_NAME in the directory dirfd
 * (whose path is dir). */
int ap_wu_begin(int dirfd, const char *dir, uint64_t length, struct ap_wu **out, char *err,
                size_t errlen);
/* The next n bytes; more than announced: -EFBIG. */
int ap_wu_write(struct ap_wu *u, const void *data, size_t n, char *err, size_t errlen);
/* The body has ended: closed, its path into path (PATH_MAX bytes) when it is
 * as long as announced; else removed, -EIO. Frees u. */
int ap_wu_finish(struct ap_wu *u, char *path, size_t pathlen, char *err, size_t errlen);
/* Given up (the client went away, an error): closed and removed. Frees u. */
void ap_wu_abort(struct ap_wu *u);
/* The spool file of dirfd removed (one left at apweb's start, one
 * applianced refused): 0 (also when there was none), or a negative errno. */
int ap_wu_clean(int dirfd);

#endif
