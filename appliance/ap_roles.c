/*
 * ap_roles.c - the role table (see ap_roles.h).
 */
#include "appliance/ap_roles.h"

#include <string.h>

#include "appliance/ap_ctl.h"

static bool in(const char *cmd, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cmd, list[i]) == 0)
			return true;
	return false;
}

bool ap_role_allows(enum vs_role role, const char *cmd)
{
	static const char *const operate[] = {
	    "vserver.start", "vserver.stop",  "vserver.migrate", "vip.migrate",
	    "vip.revert",    "node.evacuate", "node.resume",     "fence.check",
	};
	static const char *const admin_only_reads[] = {"admin.show"};

	if (!cmd)
		return false;
	switch (role) {
	case VS_ROLE_ADMIN:
		return true;
	case VS_ROLE_OPERATOR:
		if (in(cmd, operate, sizeof(operate) / sizeof(operate[0])))
			return true;
		/* fall through */
	case VS_ROLE_READONLY:
		return ap_ctl_reads_only(cmd) &&
		       !in(cmd, admin_only_reads,
		           sizeof(admin_only_reads) / sizeof(admin_only_reads[0]));
	}
	return false;
}
