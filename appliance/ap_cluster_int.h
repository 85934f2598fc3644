/*
 * ap_cluster_int.h - what the files of the cluster module share (private).
 *
 * ap_cluster is one object split by concept over several files; this header
 * is their common ground and is included by them alone:
 *   ap_cluster.c   lifecycle, delivery (decode, sender check, dispatch),
 *                  membership, quorum, the master, the outgoing queue
 *   ap_clrepl.c    the replicated configuration: changes, versions, catch-up
 *   ap_clevents.c  the replicated event log and its catch-up
 *   ap_clplace.c   node reports and the master's placement
 *   ap_clfence.c   fencing: departed nodes and nodes whose agent is gone
 *   ap_clkeep.c    corosync and keepalived, started and kept running
 *   ap_cldef.c     the cluster's definition: create, bundle, join
 * Every message goes through ap_msg (typed, validated); every handler runs
 * only after ap_msg_check_sender() accepted its sender.
 */
#ifndef AP_CLUSTER_INT_H
#define AP_CLUSTER_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "appliance/ap_cluster.h"
#include "appliance/ap_cpg.h"
#include "appliance/ap_fence.h"
#include "appliance/ap_msg.h"
#include "lib/lib_backoff.h"
#include "lib/lib_run.h"

#define AP_CL_GROUP "appliance"
#define AP_CL_MAX_NODES VS_PLACE_MAX_NODES
#define AP_CL_KEY_BYTES 256
#define AP_CL_REPORT_TICK_USEC (1000ULL * 1000)
#define AP_CL_MAX_PENDING 64
#define AP_CL_MAX_OUT 256
/* How long this node's events wait to go out together (ap_clevents.c). */
/* The move journal (ap_clmove.c): done moves kept, planned ones at once. */
#define AP_CL_RECENT_MOVES 32
#define AP_CL_MAX_PLANNED 4
/* A planned move does not go back to a node its VS failed on for this long. */
#define AP_CL_FAILED_HOLD_USEC (300ULL * 1000000)
/* A VS whose servers fail this long where it is placed moves (ap_clfailing.c). */
#define AP_CL_FAILING_MOVE_USEC (30ULL * 1000000)
#define AP_CL_FAILING_FORGET_USEC (60ULL * 1000000) /* no failure this long: forgotten */
#define AP_CL_MAX_FAILING 64 /* pairs passed to one placement (more are logged) */
/* How often the master runs a balancing round (ap_clbalance.c). */
#define AP_CL_BALANCE_USEC (30ULL * 1000000)
#define AP_CL_EV_BATCH_USEC (10ULL * 1000)
/* How long a change of this node's state waits to go out with others. */
#define AP_CL_REPORT_BATCH_USEC (10ULL * 1000)
#define AP_CL_FLUSH_RETRY_USEC (10ULL * 1000)
/* Fencing holds the takeover: past this, MMP (about 22 s) is the faster
 * way, and as safe. */
#define AP_CL_FENCE_TIMEOUT_USEC (20ULL * 1000000)
#define AP_CL_CATCHUP_BATCH AP_MSG_MAX_EVENTS /* events per catch-up message */
#define AP_CL_CATCHUP_MAX 10000 /* events of one origin sent to a member that was away */
/* A split pair keeps quorum on both sides (two_node): the node with the
 * higher id waits this long before fencing, so only one of them fences. */
#define AP_CL_FENCE_PAIR_DELAY_USEC (5ULL * 1000000)
/* A node in corosync whose applianced is gone this long is fenced. */
#define AP_CL_AGENT_GRACE_DEFAULT_S 10
#define AP_CL_AGENT_GRACE_MAX_S 3600
/* Without word from corosync this long after start, count as inquorate. */
#define AP_CL_QUORUM_WAIT_USEC (10ULL * 1000000)

/* Fencing of a node that left while holding VSs (DESIGN R4): */
enum ap_cl_fstate {
	F_NONE = 0, /* nothing done (or the node is a member) */
	F_RUNNING,  /* the master runs its fence agent */
	F_SENT,     /* confirmed off; the "fenced" message is on its way */
	F_DONE,     /* delivered: every node knows it is off */
	F_FAILED,   /* no confirmation: takeover waits for MMP instead */
};

struct ap_cl_node {
	uint32_t id;
	char name[VS_NAME_MAX + 1];
	char addr[VS_ADDR_MAX + 1];  /* interconnect: corosync link 0 */
	char addr2[VS_ADDR_MAX + 1]; /* public network: link 1, "" = none */
	enum ap_cl_fstate fstate;    /* since it last came into the membership */
	bool in_view;                /* in corosync's quorate membership */
	bool in_group;               /* its applianced is in the process group */
	uint64_t agent_gone_usec;    /* in view without its applianced since; 0 = not */
	uint64_t report_since;       /* its first report since it joined (mono); 0 = none */
	bool agent_warned;           /* its missing agent was reported (no device) */
	uint64_t announced;          /* the configuration version its last sync named */
};

struct ap_cluster;

/* A node's last 'load' message (ap_clload.c): its lists owned here. */
struct ap_cl_load {
	bool have;
	uint64_t at; /* when it came (mono) */
	struct ap_msg m;
	struct ap_loadhist *hist; /* its short history (NULL: none yet) */
};

/* A daemon this module keeps running (corosync, keepalived): when it ends it
 * is started again after a back-off, with the reason in the event log. */
struct ap_cl_keep {
	const char *name;
	struct lib_run *run;
	sd_event_source *restart;
	struct lib_backoff backoff;
	void (*start)(struct ap_cluster *c);
	struct ap_cluster *c;
};

struct ap_cl_pending {
	uint64_t req;
	uint64_t conn;
};

struct ap_cluster {
	sd_event *ev;
	struct ap_cluster_hooks hooks;
	struct ap_stats *stats; /* the daemon's (ap_cluster_opts.stats), may be NULL */
	void *arg;
	char *node, *run_dir, *state_dir;
	struct vs_store *store;
	bool enabled;
	char name[VS_NAME_MAX + 1];
	int n_nodes;
	struct ap_cl_node nodes[AP_CL_MAX_NODES];
	uint32_t my_id;
	const struct ap_transport *tp;
	void *tpi; /* the transport's instance */
	struct ap_cl_keep corosync;
	bool connected, quorate;
	bool quorum_known;            /* see ap_cluster_quorum_known */
	sd_event_source *quorum_wait; /* ends the wait for quorum's first word */
	int n_members;                /* corosync's quorate membership (node ids) */
	uint32_t members[AP_CL_MAX_NODES];
	int n_group; /* applianced instances in the process group */
	uint32_t group[AP_CL_MAX_NODES];
	uint64_t agent_grace_usec;
	uint64_t agent_grace_opt; /* set by the caller: wins over the definition */
	sd_event_source *grace_timer;
	struct vs_placement *placement;
	char *last_place; /* the last map and notes the master sent */
	int n_reports;
	struct vs_node_report reports[AP_CL_MAX_NODES];
	struct ap_cl_load loads[AP_CL_MAX_NODES]; /* by index of nodes[] */
	/* The balancer (ap_clbalance.c): its advice as last said, per VS (or
	 * node), and the figures of its last round. */
	json_t *bal_said;
	uint64_t bal_next; /* mono: the next round */
	struct {
		double ideal, worst, worst_after;
		int n_moves;
		uint64_t at; /* wall clock; 0 = no round yet */
		int mode;    /* enum vs_bal_mode of that round */
	} bal_last;
	/* Auto mode: the moves of the last round, for the next placement. */
	int n_bal_hints;
	struct vs_place_hint bal_hints[16];
	uint64_t bal_hints_at; /* mono: the round that made them (one round's worth) */
	json_t *states;        /* vs -> {state, node} as reported */
	char *last_report;
	sd_event_source *tick;
	uint64_t next_req;
	struct ap_cl_pending pend[AP_CL_MAX_PENDING];
	int n_out;
	char *out[AP_CL_MAX_OUT]; /* messages corosync asked us to send again */
	sd_event_source *flush;
	uint64_t pulled;            /* the newer version we last asked for */
	bool force_place;           /* a node (re)joined: the master sends its placement */
	char mgmt[VS_ADDR_MAX + 8]; /* management address with prefix, "" = none */
	char mgmt_port[VS_PORT_MAX + 1];
	char *self_dir;    /* where applianced and vsadm are */
	bool daemon_units; /* corosync and keepalived are systemd units (ap_clkeep.c) */
	struct ap_cl_keep keepalived;
	int ka_weight;       /* what the track file holds now, -1 = not written */
	bool heard_place;    /* a placement was delivered since this daemon started */
	uint64_t epoch;      /* placements delivered in the cluster so far (same on all) */
	uint64_t sent_epoch; /* the epoch of the last placement this node sent */
	/* The version exchange after a process-group change: the master places
	 * only once every member's word (version, placement, then its report)
	 * has arrived, so a node that comes back with an old placement never
	 * imposes it and no VS moves for want of a report. */
	int n_round;
	uint32_t round[AP_CL_MAX_NODES];
	bool round_seen[AP_CL_MAX_NODES];
	struct ap_fence *fence;      /* the master's fencing in flight */
	sd_event_source *fence_wait; /* a pair: the higher id waits first */
	bool fence_waited;
	json_t *takeovers; /* vs -> the fenced node this node takes it over from */
	/* vs -> the node that unmounted it although its path to the LUN failed
	 * (a storage move released clean): its MMP block may be reset too. */
	json_t *unmounted;
	json_t *held;     /* vs -> a node that left while it reported the VS active */
	uint64_t refused; /* messages refused since start (codec or sender) */
	/* This node's events waiting to go out as one message (ap_clevents.c). */
	int n_ev_out;
	struct ap_msg_event ev_out[AP_MSG_MAX_EVENTS];
	sd_event_source *ev_timer;
	sd_event_source *report_timer; /* ap_cluster_local_changed */
	/* The move journal (ap_clmove.c): as the last placement carried it, and
	 * on the master as it drives it. */
	int n_moves, cap_moves;
	struct vs_move *moves;
	uint64_t next_move_id;
	char move_fence[VS_NAME_MAX + 1];
	json_t *words;                 /* node -> {vs: state} of its last report */
	sd_event_source *revert_timer; /* the master places again when a revert is due */
	json_t *intents;               /* vs -> {at, since}: when the master saw its `at` change */
	json_t *said;    /* vs -> the last note of vs_place about it this master sent */
	json_t *failing; /* vs -> how long it has failed where placed (ap_clfailing.c) */
};

/* ap_cluster.c */
const char *ap_cl_name_of(const struct ap_cluster *c, uint32_t id);
struct ap_cl_node *ap_cl_node_named(struct ap_cluster *c, const char *name);
bool ap_cl_is_member(const struct ap_cluster *c, uint32_t id); /* in the quorum view */
bool ap_cl_in_group(const struct ap_cluster *c, uint32_t id);  /* its agent is there */
/* The master: the lowest id whose applianced is in the process group; 0
 * when there is none. The same on every node at every delivery; whether
 * this node acts as master also needs quorum (ap_cl_is_master). */
uint32_t ap_cl_master_id(const struct ap_cluster *c);
bool ap_cl_is_master(const struct ap_cluster *c);
/* Encode and queue for sending, in order; 0 or a negative errno. */
int ap_cl_send(struct ap_cluster *c, const struct ap_msg *m);
/* ap_clload.c */
void ap_cl_on_load(struct ap_cluster *c, struct ap_msg *m);
/* ap_clbalance.c: one balancing round (the master, on its tick). */
void ap_cl_balance_round(struct ap_cluster *c, uint64_t mono_now, uint64_t wall_now);
/* What placement takes from balancing: the last round's moves (auto), the
 * VSs that run where the balancer put them, the measured loads. Fills ctx's
 * fields from a scratch it allocates (*scratch, free() it after the
 * placement; NULL on no memory: ctx unchanged, VSs counted). */
void ap_cl_balance_ctx(struct ap_cluster *c, const char *const *members, int n,
                       struct vs_place_ctx *ctx, void **scratch);
void ap_cl_loads_free(struct ap_cluster *c);
/* Queue a text ap_msg_encode made (taken over, freed on failure). */
int ap_cl_send_text(struct ap_cluster *c, char *text);
bool ap_cl_connected(const struct ap_cluster *c);
/* n sequence numbers for events this node originates; 0 when none. */
int64_t ap_cl_new_seqs(struct ap_cluster *c, int n);
void ap_cl_identity(struct ap_msg *m, struct ap_cluster *c, int n_events);
/* A node-local fact about the cluster, into the (replicated) event log. */
void ap_cl_event(struct ap_cluster *c, const char *vs, const char *severity, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ap_cl_membership_changed(struct ap_cluster *c);
/* The loop's monotonic clock (what timers use), usec. */
uint64_t ap_cl_mono_now(struct ap_cluster *c);
int ap_cl_open_transport(struct ap_cluster *c);

/* ap_clmove.c */
/* The placement to send from the one vs_place wants (next, changed in
 * place): VSs under way where their moves say; a note per step (in_notes:
 * vs_place's, kept for VSs that do not move). Returns a member that must be
 * fenced before its VS can move, or NULL. */
const char *ap_cl_drive_moves(struct ap_cluster *c, const char *const *members, int n_members,
                              struct vs_placement *next, const struct vs_place_note *in_notes,
                              int n_in, struct vs_place_note *notes, int max_notes, int *nn,
                              int *left_out);
bool ap_cl_moves_active(const struct ap_cluster *c);
/* What `node` said about `vs` in its last report. */
enum vs_move_word ap_cl_word_of(const struct ap_cluster *c, const char *node, const char *vs);
/* Is a move of `vs` under way? */
bool ap_cl_move_of(const struct ap_cluster *c, const char *vs);

/* ap_clfailing.c: the VS -> node pairs (at most max, into out) where a VS's
 * servers have failed for AP_CL_FAILING_MOVE_USEC (vs_place_ctx.failed), at
 * `now` (monotonic); whether a count falls due at `now` (place again). */
int ap_cl_failing(struct ap_cluster *c, uint64_t now, struct vs_place_entry *out, int max);
bool ap_cl_failing_due(const struct ap_cluster *c, uint64_t now);
void ap_cl_adopt_moves(struct ap_cluster *c, const struct vs_move *moves, int n);
void ap_cl_save_moves(struct ap_cluster *c);
void ap_cl_load_moves(struct ap_cluster *c);
void ap_cl_record_words(struct ap_cluster *c, const char *node, const struct ap_msg *m);
void ap_cl_forget_words(struct ap_cluster *c, const char *node);

/* ap_clrepl.c */
void ap_cl_on_cfg(struct ap_cluster *c, const struct ap_msg *m);
void ap_cl_on_sync(struct ap_cluster *c, uint32_t from, const struct ap_msg *m);
void ap_cl_on_full(struct ap_cluster *c, uint32_t from, const struct ap_msg *m);
void ap_cl_send_sync(struct ap_cluster *c);
void ap_cl_reply_pending(struct ap_cluster *c, uint64_t req, json_t *resp);

/* ap_clevents.c */
void ap_cl_on_ev(struct ap_cluster *c, const struct ap_msg *m);
/* Send the events waiting (or store them here if they cannot go). */
void ap_cl_flush_events(struct ap_cluster *c);
/* The same, and stored here at once too (the daemon is stopping). */
void ap_cl_flush_events_here_too(struct ap_cluster *c);
void ap_cl_on_evs(struct ap_cluster *c, uint32_t from, const struct ap_msg *m);
void ap_cl_send_missed_events(struct ap_cluster *c, const struct ap_msg *sync);
void ap_cl_store_event(struct ap_cluster *c, const struct ap_msg *m, int64_t index,
                       const char *node, const char *vs, const char *severity, const char *message);

/* ap_clplace.c */
void ap_cl_master_place(struct ap_cluster *c);
void ap_cl_forget_place(struct ap_cluster *c);
void ap_cl_save_placement(struct ap_cluster *c);
void ap_cl_load_placement(struct ap_cluster *c, const struct vs_place_entry *e, int n);
int ap_cl_load_placement_json(struct ap_cluster *c, const char *text);
void ap_cl_on_report(struct ap_cluster *c, uint32_t from, const struct ap_msg *m);
void ap_cl_on_place(struct ap_cluster *c, const struct ap_msg *m);
void ap_cl_send_report(struct ap_cluster *c, bool force);
void ap_cl_drop_departed(struct ap_cluster *c);
int ap_cl_start_ticks(struct ap_cluster *c);

/* ap_clfence.c */
bool ap_cl_needs_fence(const char *node, void *arg);
void ap_cl_start_fence(struct ap_cluster *c, const char *node, const char *why);
void ap_cl_on_fenced(struct ap_cluster *c, const struct ap_msg *m);
/* Re-evaluate nodes in corosync without their applianced (grace timer). */
void ap_cl_check_agents(struct ap_cluster *c);

/* ap_clkeep.c */
void ap_cl_keep_init(struct ap_cluster *c);
void ap_cl_keep_end(struct lib_run *run, const struct lib_run_result *res, void *arg);
void ap_cl_start_corosync(struct ap_cluster *c);
void ap_cl_start_keepalived(struct ap_cluster *c);
void ap_cl_update_track(struct ap_cluster *c);
void ap_cl_keep_stop(struct ap_cluster *c);

/* ap_cldef.c */
int ap_cl_load_definition(struct ap_cluster *c, json_t *d, char *err, size_t errlen);
void ap_cl_enable(struct ap_cluster *c);

#endif
