/*
 * lib_b64.h - base64 (RFC 4648, with padding) for small binary blobs in JSON.
 *
 * Memory: *out is malloc'd, NUL-terminated, owned by the caller.
 * Errors: -EINVAL malformed input, -ENOMEM.
 */
#ifndef LIB_B64_H
#define LIB_B64_H

#include <stddef.h>
#include <stdint.h>

int lib_b64_encode(const uint8_t *in, size_t len, char **out);
int lib_b64_decode(const char *in, uint8_t **out, size_t *len);

#endif
