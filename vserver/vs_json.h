/*
 * vs_json.h - the VS model in JSON (jansson): the one serialisation used by
 * the state store, the control socket and `vsadm --json`.
 *
 * Memory: *_to_json return a new reference owned by the caller (json_decref).
 * *_from_json fill caller-owned, initialised structs (vs_config_init; what
 * they held is freed first; the caller frees them with vs_config_free
 * whatever the result) and re-validate every value through
 * vs_model.h, so a corrupt or hostile document can never produce a model that
 * the validated change functions could not have produced.
 * Integers are range-checked before they are narrowed (vs_json_int): a
 * 64-bit value such as 2^32+50 is refused, never cut to 50.
 * Errors: -EINVAL with a sentence in err, -ENOMEM.
 */
#ifndef VS_JSON_H
#define VS_JSON_H

#include <jansson.h>

#include "vserver/vs_model.h"

json_t *vs_vserver_to_json(const struct vs_vserver *vs);
/* A VS's directory join (vs_join.c): NULL when it is not joined; back from
 * JSON (o NULL: not joined), checked as vs_join_check does. */
json_t *vs_join_to_json(const struct vs_join *j);
int vs_join_from_json(const json_t *o, struct vs_join *j, char *err, size_t errlen);
json_t *vs_config_to_json(const struct vs_config *cfg);
int vs_config_from_json(const json_t *j, struct vs_config *cfg, char *err, size_t errlen);

/* Parts, for a change that travels as itself (vs_delta) and for the store's
 * header: the failover groups, the fence devices and the nodes under
 * maintenance ("maint": ["n1", ...]) as JSON arrays; one VS's document, the
 * failover groups, the fence devices or the nodes under maintenance loaded
 * into cfg through the model's validated change functions (a VS is added:
 * its name must be free). */
json_t *vs_fgroups_to_json(const struct vs_config *cfg);
json_t *vs_fences_to_json(const struct vs_config *cfg);
json_t *vs_maint_to_json(const struct vs_config *cfg);
json_t *vs_standby_to_json(const struct vs_config *cfg);
json_t *vs_balance_to_json(const struct vs_config *cfg);
int vs_json_load_vs(const json_t *j, struct vs_config *cfg, char *err, size_t errlen);
/* A VS's JSON (vs_vserver_to_json) made fit to show: each user's password
 * hashes replaced by "password": "set" / "not set". */
void vs_json_mask_users(json_t *vsj);
int vs_json_load_fgroups(const json_t *groups, struct vs_config *cfg, char *err, size_t errlen);
int vs_json_load_fences(const json_t *arr, struct vs_config *cfg, char *err, size_t errlen);
int vs_json_load_maint(const json_t *arr, struct vs_config *cfg, char *err, size_t errlen);
/* The standby nodes (an array) and the balancing settings (an object; NULL:
 * the defaults) from JSON into cfg, validated as vsadm's are. */
int vs_json_load_standby(const json_t *arr, struct vs_config *cfg, char *err, size_t errlen);
int vs_json_load_balance(const json_t *o, struct vs_config *cfg, char *err, size_t errlen);

/* The integer member `key` of object `obj`, if it lies in [min, max]: 0 and
 * *out set; 1 when the member is absent or null (*out unchanged); -EINVAL
 * when it is not an integer or out of range (*out unchanged). Every request
 * and stored document takes its integers through this before narrowing. */
int vs_json_int(const json_t *obj, const char *key, json_int_t min, json_int_t max,
                json_int_t *out);

#endif
