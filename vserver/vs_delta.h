/*
 * vs_delta.h - a configuration change as the change itself (pure, no I/O).
 *
 * The cluster replicates every change to every node (DESIGN section 4). To
 * keep one change as cheap at 1,000 VSs as at one, a change travels as a
 * delta, not as the whole configuration: the documents of the VSs it adds or
 * changes, the names of those it deletes, and the failover groups or fence
 * devices when those changed (they are few and small). Every node applies
 * it, in the same order, to the same base version, through the same
 * validated change functions the model always uses (vs_json's loaders), so
 * a hostile delta can produce nothing the model refuses, and every node ends
 * with the same configuration, in the same order.
 *
 * Delta document:
 *   {"version": V, "vservers": [VS docs to add or replace],
 *    "deleted": ["name", ...], "fgroups": [...]?, "fences": [...]?,
 *    "accounts": [...]? (the console accounts, whole, when they changed),
 *    "tls": {"cert", "key"} | null? (the console's certificate when it
 *    changed, null when reset: vs_tls.h)}
 *
 * Memory: vs_config_delta returns a new reference (json_decref). `out` of
 * vs_config_apply_delta is caller-owned and initialised (vs_config_init); it
 * is replaced by a deep copy of `from` with the change applied, and the
 * caller frees it (vs_config_free) whatever the result.
 * Errors: -EINVAL with one sentence in err (a malformed delta, or a change
 * the model refuses), -ENOMEM; `out` is then unspecified (never adopt it).
 */
#ifndef VS_DELTA_H
#define VS_DELTA_H

#include <jansson.h>

#include "vserver/vs_model.h"

/* What turns `from` into `to` (to->version is carried). NULL: no memory. */
json_t *vs_config_delta(const struct vs_config *from, const struct vs_config *to);

/* from + delta -> out. */
int vs_config_apply_delta(const struct vs_config *from, const json_t *delta, struct vs_config *out,
                          char *err, size_t errlen);

#endif
