/*
 * vs_err.h - the sentences the model writes for an administrator.
 *
 * Every validation in vserver/ refuses with a negative errno and one clear
 * sentence in the caller's buffer. These two helpers are shared by the model
 * (vs_model.c) and the fence-device allow-list (vs_fence.c), so every refusal
 * is written and quoted the same way.
 *
 * Memory: nothing is allocated; `err` and `buf` belong to the caller.
 * Errors: vs_fail returns its `rc` argument unchanged.
 */
#ifndef VS_ERR_H
#define VS_ERR_H

#include <stddef.h>

/* Writes the sentence (printf format) into err (NULL or errlen 0: none) and
 * returns rc, so a check reads `return vs_fail(-EINVAL, err, errlen, ...)`. */
int vs_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A user string quoted for a message: printable ASCII only ('?' for the
 * rest), cut with "..." when longer than the buffer. Never pass a value that
 * may be a secret. Returns buf. */
const char *vs_shown(const char *s, char *buf, size_t len);

#endif
