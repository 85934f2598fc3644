/*
 * vs_move.h - a virtual server's move from one node to another, as a
 * transaction (pure: no I/O, the clock is an argument; DESIGN R9, section 5).
 *
 * Every change of the node a VS runs on is a move, journaled on every node
 * (the master sends the journal with each placement) and driven by the
 * master one step at a time:
 *
 *   planned -> releasing (from) -> released -> acquiring (to) -> done
 *
 *   releasing  the VS is placed on no node: `from` takes its VIPs down, stops
 *              its servers and unmounts cleanly (so the target pays no MMP
 *              wait). Confirmed by from's report (stopped), or, when `from`
 *              has left the cluster, by its fencing (or, without a fence
 *              device, by ext4 MMP: the mount waits for it). A source that
 *              cannot release (its stop failed for VS_MOVE_RELEASE_FAILED_USEC,
 *              or no word for VS_MOVE_RELEASE_USEC) is fenced; when it cannot
 *              release because its path to the LUN fails (a storage move),
 *              or it has no fence device, the target's mount is left to ext4
 *              MMP, which refuses it while the source still writes; the
 *              node's other VSs stay. A storage move waits
 *              VS_MOVE_STORAGE_WAIT_USEC for such a source to finish its
 *              stop all the same: when it says stopped, its file systems are
 *              unmounted (`clean`), and the target may reset the MMP block
 *              the dead path left "in use" instead of waiting for it.
 *   released   nothing of the VS runs anywhere: a target is chosen (the one
 *              planned if it can still serve, else the next candidate).
 *   acquiring  the VS is placed on `to`: it mounts, starts the servers and
 *              only then raises the VIPs. Confirmed by to's report (running).
 *   done       the move is over.
 *   stuck      no node can take the VS now: it is placed nowhere and the move
 *              waits for a node that can (re-stepped on every change).
 *
 * When the target fails while acquiring (it leaves the cluster, reports the
 * VS failed, or does not confirm within VS_MOVE_ACQUIRE_USEC), the move
 * goes back to releasing with the failed target as its new `from`: it must
 * stop what it started, or be fenced, before any other node mounts. Then
 * the same target again if it is healthy and untried, else the next
 * candidate. So the VS is served at most once at any time, and once a node
 * can serve it, it ends up served.
 *
 * The caller (the master, appliance/ap_clmove.c) gathers the facts each
 * step needs: for `from` and `to`, membership, fencing and that node's own
 * report of the VS; whether `to` can serve it; the best other candidate.
 * vs_move_step() turns (move, facts, now) into the next move and what to do:
 * where the VS is placed now, whether `from` must be fenced, and one line for
 * the event log when the state changed.
 *
 * Memory: everything is caller-owned, fixed-size; nothing is allocated.
 * Errors: vs_move_step is total; vs_move_state_parse/kind_parse return 0 or
 * -EINVAL.
 */
#ifndef VS_MOVE_H
#define VS_MOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vserver/vs_model.h"

enum vs_move_state {
	VS_MOVE_PLANNED = 0,
	VS_MOVE_RELEASING,
	VS_MOVE_RELEASED,
	VS_MOVE_ACQUIRING,
	VS_MOVE_DONE,
	VS_MOVE_STUCK,
	VS_MOVE_NSTATES
};

/* Why a VS moves. */
enum vs_move_kind {
	VS_MOVE_START = 0, /* first placement (or after a stop): nothing to release */
	VS_MOVE_FAILOVER,  /* its node left the cluster */
	VS_MOVE_PORTS,     /* a VIP has no healthy port on its node (R3) */
	VS_MOVE_STORAGE,   /* its node lost a LUN of it (R5) */
	VS_MOVE_MIGRATE,   /* vsadm vserver migrate */
	VS_MOVE_EVACUATE,  /* vsadm node evacuate */
	VS_MOVE_REVERT,    /* back to its home node after the hold-down */
	VS_MOVE_RECOVER,   /* its servers kept failing on its node (vs_place_ctx.failed) */
	VS_MOVE_BALANCE,   /* the balancer moved it by load (vs_place_ctx.balance) */
	VS_MOVE_NKINDS
};

#define VS_MOVE_MAX_TRIED 8
#define VS_MOVE_REASON_MAX 159
/* Waits before the master acts on a node that does not confirm a step. */
#define VS_MOVE_RELEASE_USEC (60ULL * 1000000)        /* then `from` is fenced */
#define VS_MOVE_RELEASE_FAILED_USEC (15ULL * 1000000) /* a failed stop: the same */
/* A storage move's source whose path failed: how long its stop may take before
 * the target's mount is left to MMP. */
#define VS_MOVE_STORAGE_WAIT_USEC (5ULL * 1000000)
#define VS_MOVE_ACQUIRE_USEC (120ULL * 1000000) /* then the target counts as failed */
#define VS_MOVE_RETRY_USEC (10ULL * 1000000)    /* before a tried target again */

struct vs_move {
	uint64_t id; /* unique in the cluster's journal */
	char vs[VS_NAME_MAX + 1];
	char from[VS_NAME_MAX + 1]; /* "" = nothing to release */
	char to[VS_NAME_MAX + 1];   /* "" = none yet (stuck) */
	enum vs_move_kind kind;
	enum vs_move_state state;
	char reason[VS_MOVE_REASON_MAX + 1]; /* why it moves, for people */
	int attempts;                        /* targets that failed */
	int n_tried;
	char tried[VS_MOVE_MAX_TRIED][VS_NAME_MAX + 1]; /* those targets */
	/* Wall clock (usec) when each state was last entered; 0 = never. */
	uint64_t at[VS_MOVE_NSTATES];
	char by[VS_NAME_MAX + 1]; /* where the last step happened (node) */
	/* `from` said it stopped the VS (its file systems unmounted) in the
	 * last releasing step; false when released by fencing or left to MMP. */
	bool clean;
};

/* What a node says about the VS (its own report). */
enum vs_move_word {
	VS_MOVE_NO_WORD = 0, /* no report from it yet */
	VS_MOVE_W_STOPPED,   /* nothing of it there (or no runtime) */
	VS_MOVE_W_BUSY,      /* starting or stopping */
	VS_MOVE_W_RUNNING,
	VS_MOVE_W_FAILED, /* a step failed there (mount, stop, storage) */
};

struct vs_move_node {
	bool member;    /* in the quorate membership, its agent present */
	bool fenced;    /* powered off since it left (or since it was fenced) */
	bool fenceable; /* it has a fence device and fencing has not failed */
	enum vs_move_word word;
};

struct vs_move_facts {
	struct vs_move_node from, to;
	bool to_can_serve;
	/* The best node, other than `to` and the nodes tried, that can serve the
	 * VS now; NULL or "" when none. */
	const char *next;
	/* The nodes tried may be tried again (nothing else can serve). */
	bool retry_tried;
};

struct vs_move_out {
	char place[VS_NAME_MAX + 1]; /* where the VS is placed now; "" = nowhere */
	bool fence_from;             /* power `from` off before anything else */
	bool changed;                /* the state (or target) changed */
	char text[320];              /* the event line of the change */
};

const char *vs_move_state_name(enum vs_move_state s);
const char *vs_move_kind_name(enum vs_move_kind k);
int vs_move_state_parse(const char *s, enum vs_move_state *out);
int vs_move_kind_parse(const char *s, enum vs_move_kind *out);

/* A new move (state planned) of `vs` from `from` ("" = nothing runs it) to
 * `to`, made at `now`. */
void vs_move_init(struct vs_move *m, uint64_t id, const char *vs, const char *from, const char *to,
                  enum vs_move_kind kind, const char *reason, uint64_t now);

/* One step: m becomes the next move; out says what to do. Several states may
 * be passed in one step (planned -> released -> acquiring when `from` was
 * fenced already). */
void vs_move_step(struct vs_move *m, const struct vs_move_facts *f, uint64_t now,
                  struct vs_move_out *out);

/* Is the move over (done)? A stuck move is not: it waits for a node. */
bool vs_move_over(const struct vs_move *m);

/* Where a move places its VS now (what vs_move_step last said). */
const char *vs_move_place(const struct vs_move *m);

/* The journal's trimming rule, over moves[0..n) in the order made (oldest
 * first): every move under way stays, the `recent` newest done ones stay,
 * and so does the newest move of each VS for which exists(arg, vs) is
 * true (when it last changed node and how: the balancer's cool-down and
 * its no-revert rule read it); every other move is removed, the order
 * kept. Returns the new count; out of memory: the rule without the
 * per-VS part (fewer kept, never more). */
int vs_move_trim(struct vs_move *moves, int n, int recent,
                 bool (*exists)(void *arg, const char *vs), void *arg);

#endif
