/*
 * vs_json.h - the VS model in JSON (jansson): the one serialisation used by
 * the state store, the control socket and `vsadm --json`.
 *
 * Memory: *_to_json return a new reference owned by the caller (json_decref).
 * *_from_json fill caller-owned structs and re-validate every value through
 * vs_model.h, so a corrupt or hostile document can never produce a model that
 * the validated change functions could not have produced.
 * Errors: -EINVAL with a sentence in err, -ENOMEM.
 */
#ifndef VS_JSON_H
#define VS_JSON_H

#include <jansson.h>

#include "vserver/vs_model.h"

json_t *vs_vserver_to_json(const struct vs_vserver *vs);
json_t *vs_config_to_json(const struct vs_config *cfg);
int vs_config_from_json(const json_t *j, struct vs_config *cfg, char *err, size_t errlen);

#endif
