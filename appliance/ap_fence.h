/*
 * ap_fence.h - powering a node off (fencing) through its fence device.
 *
 * A fence device is a fence-agents program (fence_ipmilan, fence_scsi, ...)
 * with its options (vs_fence in the configuration). It is run through
 * lib_run with argv = { agent } only; the action and the options go to its
 * stdin as "key=value" lines, the fence-agents convention, so a password
 * never shows in a process listing. Exit status, as fence-agents define it:
 * 0 = done (for "status": powered on), 2 = "status": powered off, anything
 * else = failure.
 *
 * Fencing is what lets a survivor take over a dead node's file systems at
 * once: once the device confirms the node is off, it can no longer write, so
 * ext4's multi-mount protection need not be waited for. Without a device (or
 * when fencing fails) the appliance still takes over, after MMP has shown the
 * file system idle: fencing only saves time, MMP keeps the data safe.
 *
 * Memory: struct ap_fence is owned by the caller until the done callback,
 * after which ap_fence frees itself; ap_fence_cancel() kills the agent and
 * frees it without a callback. Strings passed to the callback are valid only
 * during it.
 * Nothing outside the allow-list of vs_fence.h is ever run: ap_fence_run
 * checks the device again (whatever path it came by) and refuses with -EINVAL
 * before anything is started.
 *
 * Errors: ap_fence_run returns 0 or a negative errno (-ENOENT: no such agent,
 * -EINVAL: the device is not one the allow-list accepts).
 */
#ifndef AP_FENCE_H
#define AP_FENCE_H

#include <stdint.h>
#include <systemd/sd-event.h>

#include "vserver/vs_fence.h"

enum ap_fence_result {
	AP_FENCE_DONE = 0, /* "off": the node is powered off; "status": powered on */
	AP_FENCE_OFF,      /* "status": powered off */
	AP_FENCE_FAILED,   /* the agent failed or timed out: nothing is known */
};

struct ap_fence;

/* detail: the agent's last line of output, or how it ended. */
typedef void (*ap_fence_done_fn)(void *arg, const char *node, enum ap_fence_result result,
                                 const char *detail, uint64_t elapsed_usec);

/* action: "off" or "status". */
int ap_fence_run(sd_event *ev, const struct vs_fence *dev, const char *action,
                 uint64_t timeout_usec, ap_fence_done_fn done, void *arg, struct ap_fence **out);
void ap_fence_cancel(struct ap_fence *f);

#endif
