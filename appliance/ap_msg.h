/*
 * ap_msg.h - the cluster's message codec and its sender rules (pure, no I/O).
 *
 * Every message between nodes goes through this one module (DESIGN section
 * 4, Trust): a peer's message is input like any other. ap_msg_decode() turns
 * the bytes corosync delivered into a typed struct, or refuses them whole
 * with one sentence: unknown type, not JSON, a missing or mistyped field, an
 * integer out of range (a negative or overflowing version, epoch or
 * sequence), a name that is not a name, a string or list too long. What is
 * refused changes nothing; the caller logs it once with its sender.
 * ap_msg_encode() is the only way a message is made, so what one node sends
 * is what every node decodes.
 *
 * The wire form is one compact JSON object per CPG message, "t" naming the
 * type:
 *   cfg    a configuration change, based on a version   (any member);
 *          it carries the change itself (vs_delta), not the whole copy
 *   sync   a member's versions after a membership change (that member)
 *   full   the whole configuration, for a member behind  (any member: an
 *          answer during catch-up, accepted only if newer than the
 *          receiver's and announced by the sender's own sync)
 *   report what a node can serve and its VSs' states   (that node)
 *   place  the placement and the move journal            (the master)
 *   ev     events for every log, 1..AP_MSG_MAX_EVENTS, batched (their
 *          origin: every event's node is the sender; the i-th is es + i)
 *   fenced a departed node is off, or could not be      (the master)
 *   evs    events a member missed (catch-up)            (any member)
 *   load   a node's measured loads, smoothed            (that node)
 * ap_msg_check_sender() applies these rules, given the name corosync
 * delivered the message from and the current master.
 *
 * Event identity: every live message that makes events carries (eo, es):
 * the origin node and its first sequence number. A live identity must name
 * the sender itself. Catch-up (evs) relays other nodes' events; see
 * ap_msg_check_sender() for what a relay may carry.
 *
 * Memory: struct ap_msg is caller-owned (stack or heap); decode fills it and
 * allocates its lists, documents and report, ap_msg_clear() frees them (safe
 * on a zeroed or cleared struct). Strings inside are fixed arrays. Documents
 * (cfg.delta, full.doc) are jansson references owned by the message.
 * Errors: 0, or a negative errno with one sentence in err: -EINVAL
 * malformed, -E2BIG a length or count over its limit, -ENOMEM, -EPERM (the
 * sender may not send this).
 */
#ifndef AP_MSG_H
#define AP_MSG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vserver/vs_model.h"
#include "vserver/vs_move.h"
#include "vserver/vs_place.h"

/* Limits of the wire form. */
#define AP_MSG_MAX_BYTES (4u << 20) /* one CPG message */
#define AP_MSG_TEXT_MAX 511         /* event messages, notes, details */
#define AP_MSG_WHAT_MAX 255         /* what a configuration change did */
#define AP_MSG_STATE_MAX 15         /* a VS state word: running, failed... */
#define AP_MSG_MAX_MAP VS_MAX_VSERVERS
#define AP_MSG_MAX_NOTES 256
#define AP_MSG_MAX_MARKS 64 /* event origins */
#define AP_MSG_MAX_EVENTS 64
#define AP_MSG_MAX_MOVES (VS_MAX_VSERVERS + 64) /* in progress + recent */
#define AP_MSG_MAX_LOAD_VS 1024                 /* VSs one node measures */
#define AP_MSG_MAX_LOAD_LUNS 1024               /* LUNs one node measures */
#define AP_MSG_LOAD_MAX 1e15                    /* any load figure: cores, bytes/s, I/Os per s */
/* Sequence numbers, versions and epochs travel as JSON integers: 0..2^63-1. */
#define AP_MSG_SEQ_MAX INT64_MAX

enum ap_msg_type {
	AP_MSG_NONE = 0,
	AP_MSG_CFG,
	AP_MSG_SYNC,
	AP_MSG_FULL,
	AP_MSG_REPORT,
	AP_MSG_PLACE,
	AP_MSG_EV,
	AP_MSG_FENCED,
	AP_MSG_EVS,
	AP_MSG_LOAD,
	AP_MSG_NTYPES
};

enum ap_msg_severity { AP_SEV_INFO = 0, AP_SEV_WARNING, AP_SEV_ERROR };

/* Who may send a type. */
enum ap_msg_sender {
	AP_FROM_MEMBER, /* any member of the group */
	AP_FROM_SELF,   /* the node the message speaks for (its "node" field) */
	AP_FROM_MASTER, /* the current master */
};

struct ap_msg_event {
	int64_t ts_usec;
	char node[VS_NAME_MAX + 1]; /* where it happened */
	char vs[VS_NAME_MAX + 1];   /* "" = about the node */
	enum ap_msg_severity severity;
	char message[AP_MSG_TEXT_MAX + 1];
	char origin[VS_NAME_MAX + 1]; /* relayed (evs) only: live ev uses the msg's */
	int64_t oseq;
};

struct ap_msg_mark {
	char origin[VS_NAME_MAX + 1];
	int64_t seq; /* highest sequence number held */
};

struct ap_msg_state {
	char vs[VS_NAME_MAX + 1];
	char state[AP_MSG_STATE_MAX + 1];
};

/* Loads as a node measures them, smoothed (vs_load.h); trends of the
 * smoothed value (enum vs_load_trend). */
struct ap_load_vs {
	char vs[VS_NAME_MAX + 1];
	double cpu;               /* cores its servers use */
	double net_bps;           /* bytes/s in and out of its VIPs */
	double net_pps;           /* packets/s */
	double io_bps;            /* bytes/s read and written on its LUNs */
	int cpu_trend, net_trend; /* enum vs_load_trend */
	/* Requests/s its ganesha and its smbd served (their own counters:
	 * fx_srvstats.h); optional in the message ("nfs_rps", "smb_rps"): a
	 * node that does not measure them (yet) leaves them out. */
	bool has_nfs, has_smb;
	double nfs_rps, smb_rps;
};

struct ap_load_port {
	char port[VS_PORT_MAX + 1];
	double rx_bps, tx_bps; /* bytes/s */
	double speed_bps;      /* bytes/s it can carry each way */
	int trend;             /* of rx + tx */
};

struct ap_load_lun {
	char lun[VS_LUN_MAX + 8]; /* LABEL=x (or UUID=y) */
	double util;              /* share of the time busy, 0..1 */
	double read_bps, write_bps, iops;
	int trend; /* of util */
};

struct ap_msg {
	enum ap_msg_type type;
	/* Event identity (cfg, place, ev, fenced): "" / 0 = none. */
	char eo[VS_NAME_MAX + 1];
	int64_t es;
	struct {
		uint64_t base;
		json_t *delta;    /* the change itself (vs_delta.h) */
		uint64_t version; /* the version it makes: delta's "version" */
		char origin[VS_NAME_MAX + 1];
		uint64_t req; /* the origin's request number */
		char vs[VS_NAME_MAX + 1];
		char what[AP_MSG_WHAT_MAX + 1];
		uint32_t uid;
	} cfg;
	struct {
		char node[VS_NAME_MAX + 1];
		uint64_t version;
		uint64_t epoch;
		bool has_map; /* the placement it holds (with epoch) */
		int n_map;
		struct vs_place_entry *map;
		/* The move journal that came with that placement (optional): a
		 * member that was away adopts it with a newer placement, so it
		 * never drives moves from an old journal (tests/model/move.pml,
		 * STALE_MASTER). */
		int n_moves;
		struct vs_move *moves;
		int n_marks;
		struct ap_msg_mark *marks;
	} sync;
	struct {
		json_t *doc;
		uint64_t version; /* doc's "version" */
		char by[VS_NAME_MAX + 1];
	} full;
	struct {
		/* report->node names the sender. A pointer (decode allocates it,
		 * ap_msg_clear frees it): a report of 1,000 LUNs is 145 KB, and
		 * every other message stays small. */
		struct vs_node_report *report;
		int n_states;
		struct ap_msg_state *states;
	} report;
	struct {
		uint64_t epoch;
		int n_map;
		struct vs_place_entry *map;
		int n_notes;
		struct vs_place_note *notes;
		char by[VS_NAME_MAX + 1];
		/* The move journal (vs_move.h): moves in progress and recent ones. */
		int n_moves;
		struct vs_move *moves;
	} place;
	struct {
		/* The node's own live events, numbered es, es + 1, ... (their
		 * origin fields unused): one message for what a burst made. */
		int n;
		struct ap_msg_event *events;
	} ev;
	struct {
		char node[VS_NAME_MAX + 1]; /* the node fenced */
		bool ok;
		char by[VS_NAME_MAX + 1];
		char detail[AP_MSG_TEXT_MAX + 1];
		uint64_t ms;
	} fenced;
	struct {
		int n;
		struct ap_msg_event *events;
	} evs;
	struct {
		char node[VS_NAME_MAX + 1]; /* the sender */
		int cores;                  /* its capacity */
		double cpu;                 /* cores its VSs use together */
		uint64_t period_ms;         /* between its samples */
		int n_vs;
		struct ap_load_vs *vs; /* decode allocates them */
		int n_ports;
		struct ap_load_port ports[VS_REPORT_MAX_PORTS];
		int n_luns;
		struct ap_load_lun *luns;
	} load;
};

const char *ap_msg_type_name(enum ap_msg_type t);
enum ap_msg_sender ap_msg_sender_rule(enum ap_msg_type t);
const char *ap_msg_severity_name(enum ap_msg_severity s);
/* "info", "warning", "error" -> 0; else -EINVAL. */
int ap_msg_severity_parse(const char *s, enum ap_msg_severity *out);

/* Control characters (which decode refuses in a text) made spaces, in
 * place: for text this node makes from its own or stored words. */
void ap_msg_text_mend(char *s);

/* Bytes -> message. On error `out` is left cleared. */
int ap_msg_decode(const char *data, size_t len, struct ap_msg *out, char *err, size_t errlen);
/* Message -> a new NUL-terminated text (malloc'd, *out); *len its length.
 * Refuses (-EINVAL/-E2BIG) what decode would refuse. */
int ap_msg_encode(const struct ap_msg *m, char **out, size_t *len, char *err, size_t errlen);
void ap_msg_clear(struct ap_msg *m);

/* One journal entry as the wire (and `vsadm move show --json`) has it. */
json_t *ap_msg_move_json(const struct vs_move *m);
/* n of them as a JSON list. */
json_t *ap_msg_moves_json(const struct vs_move *m, int n);

/* May `sender` (the node name corosync delivered it from) send `m`, with
 * `master` the current master ("" or NULL: none)? Checks the type's rule,
 * that a live event identity names the sender, and for relayed events
 * (evs) that each carries an identity and that none claims to come from a
 * node in `present` other than the sender (a member sends its own events
 * itself). present may be NULL. -EPERM with a sentence when not. */
int ap_msg_check_sender(const struct ap_msg *m, const char *sender, const char *master,
                        const char *const *present, int n_present, char *err, size_t errlen);

#endif
