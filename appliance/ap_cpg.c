/*
 * ap_cpg.c - libcpg and libquorum driven by sd-event (see ap_cpg.h).
 *
 * Both libraries hand out a file descriptor; it is watched by the loop and
 * the library's dispatch is called when it is readable. A failed dispatch
 * means corosync went away: the handles are finalised and a timer tries to
 * connect again every 500 ms.
 */
#include "appliance/ap_cpg.h"

#include <corosync/cmap.h>
#include <corosync/cpg.h>
#include <stdio.h>
#include <corosync/quorum.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "lib/lib_log.h"

#define RETRY_USEC (500ULL * 1000)

struct ap_cpg {
	sd_event *ev;
	struct cpg_name group;
	struct ap_cpg_hooks hooks;
	void *arg;
	cpg_handle_t cpg;
	quorum_handle_t q;
	bool up;
	sd_event_source *cpg_src, *q_src, *retry;
};

static void disconnect(struct ap_cpg *c, const char *why);

static void on_deliver(cpg_handle_t h, const struct cpg_name *g, uint32_t nodeid, uint32_t pid,
                       void *msg, size_t len)
{
	struct ap_cpg *c = NULL;

	if (cpg_context_get(h, (void **)&c) != CS_OK || !c)
		return;
	c->hooks.deliver(c->arg, nodeid, msg, len);
}

static void on_confchg(cpg_handle_t h, const struct cpg_name *g, const struct cpg_address *m,
                       size_t n, const struct cpg_address *left, size_t n_left,
                       const struct cpg_address *joined, size_t n_joined)
{
	struct ap_cpg *c = NULL;
	uint32_t ids[64];
	int k = 0;

	if (cpg_context_get(h, (void **)&c) != CS_OK || !c)
		return;
	for (size_t i = 0; i < n && k < 64; i++) {
		bool dup = false;
		for (int j = 0; j < k; j++)
			dup |= ids[j] == m[i].nodeid;
		if (!dup)
			ids[k++] = m[i].nodeid;
	}
	c->hooks.members(c->arg, ids, k);
}

static void on_quorum(quorum_handle_t h, uint32_t quorate, uint64_t seq, uint32_t n, uint32_t *view)
{
	struct ap_cpg *c = NULL;

	if (quorum_context_get(h, (const void **)&c) != CS_OK || !c)
		return;
	c->hooks.quorum(c->arg, quorate != 0, view, (int)n);
}

static int on_cpg_fd(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ap_cpg *c = userdata;
	cs_error_t rc = cpg_dispatch(c->cpg, CS_DISPATCH_ALL);

	if (rc != CS_OK && rc != CS_ERR_TRY_AGAIN)
		disconnect(c, "the process group connection failed");
	return 0;
}

static int on_q_fd(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ap_cpg *c = userdata;
	cs_error_t rc = quorum_dispatch(c->q, CS_DISPATCH_ALL);

	if (rc != CS_OK && rc != CS_ERR_TRY_AGAIN)
		disconnect(c, "the quorum connection failed");
	return 0;
}

static int try_connect(struct ap_cpg *c)
{
	cpg_callbacks_t cb = {.cpg_deliver_fn = on_deliver, .cpg_confchg_fn = on_confchg};
	quorum_callbacks_t qcb = {.quorum_notify_fn = on_quorum};
	uint32_t qtype = 0, local = 0;
	int fd = -1, qfd = -1;

	if (cpg_initialize(&c->cpg, &cb) != CS_OK)
		return -ENOTCONN;
	if (cpg_context_set(c->cpg, c) != CS_OK || cpg_join(c->cpg, &c->group) != CS_OK ||
	    cpg_fd_get(c->cpg, &fd) != CS_OK || cpg_local_get(c->cpg, &local) != CS_OK) {
		cpg_finalize(c->cpg);
		return -ENOTCONN;
	}
	if (quorum_initialize(&c->q, &qcb, &qtype) != CS_OK) {
		cpg_finalize(c->cpg);
		return -ENOTCONN;
	}
	if (quorum_context_set(c->q, c) != CS_OK || quorum_fd_get(c->q, &qfd) != CS_OK ||
	    quorum_trackstart(c->q, CS_TRACK_CHANGES | CS_TRACK_CURRENT) != CS_OK ||
	    sd_event_add_io(c->ev, &c->cpg_src, fd, EPOLLIN, on_cpg_fd, c) < 0 ||
	    sd_event_add_io(c->ev, &c->q_src, qfd, EPOLLIN, on_q_fd, c) < 0) {
		c->cpg_src = sd_event_source_disable_unref(c->cpg_src);
		c->q_src = sd_event_source_disable_unref(c->q_src);
		quorum_finalize(c->q);
		cpg_finalize(c->cpg);
		return -ENOTCONN;
	}
	c->up = true;
	lib_info("cluster: joined process group %s as node id %u", c->group.value, local);
	c->hooks.connected(c->arg, true, local);
	return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cpg *c = userdata;

	if (try_connect(c) == 0) {
		c->retry = sd_event_source_disable_unref(c->retry);
		return 0;
	}
	sd_event_source_set_time_relative(s, RETRY_USEC);
	sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

static void arm_retry(struct ap_cpg *c)
{
	if (!c->retry && sd_event_add_time_relative(c->ev, &c->retry, CLOCK_MONOTONIC, RETRY_USEC,
	                                            0, on_retry, c) < 0)
		lib_err("cluster: cannot arm the reconnection timer");
}

static void disconnect(struct ap_cpg *c, const char *why)
{
	if (!c->up)
		return;
	lib_warn("cluster: lost corosync (%s); reconnecting", why);
	c->cpg_src = sd_event_source_disable_unref(c->cpg_src);
	c->q_src = sd_event_source_disable_unref(c->q_src);
	quorum_finalize(c->q);
	cpg_finalize(c->cpg);
	c->up = false;
	c->hooks.connected(c->arg, false, 0);
	arm_retry(c);
}

int ap_cpg_create(sd_event *ev, const char *group, const struct ap_cpg_hooks *hooks, void *arg,
                  struct ap_cpg **out)
{
	struct ap_cpg *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (strlen(group) >= CPG_MAX_NAME_LENGTH) {
		free(c);
		return -EINVAL;
	}
	c->ev = sd_event_ref(ev);
	c->hooks = *hooks;
	c->arg = arg;
	strcpy(c->group.value, group);
	c->group.length = (uint32_t)strlen(group);
	if (try_connect(c) < 0)
		arm_retry(c);
	*out = c;
	return 0;
}

void ap_cpg_destroy(struct ap_cpg *c)
{
	if (!c)
		return;
	c->retry = sd_event_source_disable_unref(c->retry);
	if (c->up) {
		c->cpg_src = sd_event_source_disable_unref(c->cpg_src);
		c->q_src = sd_event_source_disable_unref(c->q_src);
		cpg_leave(c->cpg, &c->group);
		quorum_finalize(c->q);
		cpg_finalize(c->cpg);
	}
	sd_event_unref(c->ev);
	free(c);
}

int ap_cpg_send(struct ap_cpg *c, const char *data, size_t len)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	cs_error_t rc;

	if (!c || !c->up)
		return -ENOTCONN;
	rc = cpg_mcast_joined(c->cpg, CPG_TYPE_AGREED, &iov, 1);
	if (rc == CS_ERR_TRY_AGAIN)
		return -EAGAIN;
	return rc == CS_OK ? 0 : -EIO;
}

int ap_cpg_link_up(uint32_t nodeid, int link)
{
	cmap_handle_t h;
	char key[96];
	uint8_t up = 0;
	cs_error_t rc;

	if (cmap_initialize_map(&h, CMAP_MAP_STATS) != CS_OK)
		return -ENOTCONN;
	snprintf(key, sizeof(key), "stats.knet.node%u.link%d.connected", nodeid, link);
	rc = cmap_get_uint8(h, key, &up);
	cmap_finalize(h);
	if (rc == CS_ERR_NOT_EXIST)
		return -ENOENT;
	return rc == CS_OK ? up != 0 : -EIO;
}

bool ap_cpg_connected(const struct ap_cpg *c)
{
	return c && c->up;
}

static int tp_open(sd_event *ev, const char *group, const struct ap_cpg_hooks *hooks, void *arg,
                   void **impl)
{
	struct ap_cpg *c = NULL;
	int rc = ap_cpg_create(ev, group, hooks, arg, &c);

	*impl = c;
	return rc;
}

static void tp_close(void *impl)
{
	ap_cpg_destroy(impl);
}

static int tp_send(void *impl, const char *data, size_t len)
{
	return ap_cpg_send(impl, data, len);
}

static bool tp_connected(const void *impl)
{
	return ap_cpg_connected(impl);
}

static int tp_link_up(void *impl, uint32_t nodeid, int link)
{
	return ap_cpg_link_up(nodeid, link);
}

const struct ap_transport ap_cpg_transport = {
    .open = tp_open,
    .close = tp_close,
    .send = tp_send,
    .connected = tp_connected,
    .link_up = tp_link_up,
    .manages_daemons = true,
};
