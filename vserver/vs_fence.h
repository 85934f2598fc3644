/*
 * vs_fence.h - fence devices: the agents and the agent options the appliance
 * accepts (an allow-list, pure: no I/O, nothing is run here).
 *
 * A fence device (struct vs_fence, declared in vs_model.h because the
 * configuration embeds it; vs_config_fence_set/delete/find there are
 * implemented in vs_fence.c) is a fence-agents program and its options. The
 * master runs the agent as root (appliance/ap_fence) with the options on its
 * stdin, and the configuration is replicated, so the options are a root
 * interface for whoever may change the configuration: fence_ipmilan alone
 * honours password_script (a shell command), ipmitool_path, sudo_path and
 * debug_file. Hence an allow-list, written from the agents' own metadata
 * (`fence_ipmilan -o metadata`, fence-agents 4.12):
 *
 * - Agents: fence_ipmilan and the names it is installed under
 *   (fence_ipmilanplus, fence_idrac, fence_ilo3, fence_ilo4, fence_ilo5,
 *   fence_imm), fence_redfish, fence_apc_snmp, fence_scsi. Any other agent is
 *   refused.
 * - Options: per agent, a table of keys, each with its value syntax (host
 *   name or IP address, port, integer range, boolean, choice, hexadecimal,
 *   URI path, user name, secret) and a secret mark. Both the current and the
 *   deprecated name of an option are accepted when the metadata lists both
 *   (ip and ipaddr, username and login, password and passwd, plug and port);
 *   giving an option twice, under either name, is refused.
 * - Refused: every key outside the agent's table, and by name every key that
 *   makes the agent run, read or write something of the node (a program,
 *   script, file, path, sudo, debug or verbose output: verbose makes
 *   fence_ipmilan print the ipmitool command line), and 'action', which the
 *   appliance chooses.
 * - Values: "key=value" items separated by ',', printable ASCII only. A
 *   secret (password, hexadecimal_kg, community, snmp_priv_passwd) is 1..128
 *   printable characters without ',' or '=' and without a space at either end
 *   (the agents strip those).
 *
 * A refusal is one sentence that names the offending key (or, if the key
 * itself is malformed, its position) and never echoes a value: a value may be
 * a password.
 *
 * Memory: nothing is allocated; every buffer belongs to the caller.
 * Errors: 0 or a negative errno: -EINVAL (with a sentence in err), -ENOSPC
 * (the buffer is too short).
 */
#ifndef VS_FENCE_H
#define VS_FENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "vserver/vs_model.h"

/* The agent is one the appliance accepts. */
bool vs_fence_agent_known(const char *agent);

/* Checks an agent and its option list "key=value,key=value" ("" or NULL =
 * none) against the allow-list. */
int vs_fence_check(const char *agent, const char *options, char *err, size_t errlen);

/* Whether the agent's option `key` holds a secret; unknown agents and keys
 * count as secret, so whatever is not known to be harmless is masked. */
bool vs_fence_option_secret(const char *agent, const char *key);

/* The agent's stdin for `action`: "action=ACTION\nkey=value\n..."; -ENOSPC if
 * it does not fit. */
int vs_fence_stdin(const struct vs_fence *f, const char *action, char *buf, size_t len);

/* The options as shown to people and logs: each secret value (see
 * vs_fence_option_secret) replaced by "***". Cut if buf is too short. */
void vs_fence_options_shown(const struct vs_fence *f, char *buf, size_t len);

#endif
