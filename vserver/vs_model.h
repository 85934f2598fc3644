/*
 * vs_model.h - the virtual server model and its validation (pure, no I/O).
 *
 * A virtual server (VS) owns VIPs, file systems on shared LUNs, and the NFS
 * exports and SMB shares on them (DESIGN section 1). This header defines the
 * plain data of one VS and of the whole configuration, and the checks that
 * every change must pass before it is applied.
 *
 * Memory: a configuration owns its list of VSs, and a VS owns its lists of
 * VIPs, exports and shares (pointer, count, capacity; grown by doubling), so
 * a configuration of 1,000 VSs costs what it holds, not 1,000 times the
 * largest VS. Failover groups, fence devices and file systems stay fixed
 * arrays (16, 16 and 8: a cluster has at most 16 nodes). An all-zero struct
 * is an empty, valid configuration or VS (vs_config_init); whoever holds
 * one frees it with vs_config_free / vs_vserver_free. A struct vs_config or
 * struct vs_vserver is therefore never copied by assignment or memcpy (that
 * would share its lists): vs_config_copy / vs_vserver_copy make deep copies;
 * moving one (an assignment after which the source is never used or freed)
 * is allowed and is how lists are reordered. Limits (VS_MAX_*) are part of
 * the contract; exceeding one is refused with one sentence, never a
 * truncation.
 *
 * Errors: validation functions return 0 or a negative errno (-EINVAL for a
 * malformed value, -EEXIST for a clash, -ENOENT for a missing reference,
 * -E2BIG for a full table, -EBUSY for a refused state change) and write one
 * clear sentence for the administrator into the caller's buffer `err`.
 */
#ifndef VS_MODEL_H
#define VS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VS_NAME_MAX 31       /* VS, file system and node names */
#define VS_SHARE_MAX 63      /* SMB share names */
#define VS_DOMAIN_MAX 253    /* an NFSv4 ID domain, as a DNS name */
#define VS_PATH_MAX 255      /* pseudo paths and sub-directories */
#define VS_PORT_MAX 15       /* IFNAMSIZ - 1 */
#define VS_LUN_MAX 63        /* the value of LABEL=... or UUID=... */
#define VS_ADDR_MAX 45       /* INET6_ADDRSTRLEN - 1 */
#define VS_MAX_VIPS 64       /* per VS */
#define VS_MAX_FS 8          /* per VS (a fixed array) */
#define VS_MAX_EXPORTS 256   /* per VS */
#define VS_MAX_SHARES 256    /* per VS */
#define VS_MAX_VSERVERS 4096 /* per cluster */
#define VS_MAX_FGROUPS 16
#define VS_FG_MAX_PORTS 8

/* ganesha's Export_Id is 16 bits. A new export takes next_export_id while it
 * is free and at most this, else the lowest id free in its VS. */
#define VS_EXPORT_ID_MAX 65535

#define VS_ERR_LEN 256

enum vs_lun_kind { VS_LUN_LABEL = 0, VS_LUN_UUID = 1 };

struct vs_vip {
	char addr[VS_ADDR_MAX + 1]; /* canonical text form (inet_ntop) */
	int family;                 /* AF_INET or AF_INET6 */
	int prefix;
	char home_port[VS_PORT_MAX + 1];
	char group[VS_NAME_MAX + 1]; /* failover group; "" = the group of the home port */
	bool no_auto_revert;         /* stay where failover put it until `vip revert` */
};

/* A failover group: the ports of a node that reach the same network. A VIP
 * may live on any healthy port of its group. */
struct vs_fgroup {
	char name[VS_NAME_MAX + 1];
	int n_ports;
	char ports[VS_FG_MAX_PORTS][VS_PORT_MAX + 1];
	char probe[VS_ADDR_MAX + 1]; /* probe target, "" = carrier only */
	uint32_t probe_interval_ms;
	uint32_t probe_misses;
	uint32_t hold_down_s; /* a healed home port must stay healthy this long */
	/* The capacity of each of its ports (Mb/s) for spreading VIPs over them
	 * by traffic; 0 = the speed the link reports. */
	uint32_t port_mbps;
};

#define VS_FG_PROBE_INTERVAL_DEFAULT 1000
#define VS_FG_PROBE_MISSES_DEFAULT 3
#define VS_FG_HOLD_DOWN_DEFAULT 30

struct vs_fs {
	char name[VS_NAME_MAX + 1];
	enum vs_lun_kind lun_kind;
	char lun[VS_LUN_MAX + 1];
};

/* How an export maps client ids (vs_nfsid.c): root squashed by default. */
enum vs_squash { VS_SQUASH_ROOT = 0, VS_SQUASH_ALL, VS_SQUASH_NONE };
/* Its security flavour: AUTH_SYS now; krb5 once a VS can join a directory. */
enum vs_sec { VS_SEC_SYS = 0, VS_SEC_KRB5 };
#define VS_ANON_DEFAULT 65534 /* nobody / nogroup */

struct vs_export {
	uint32_t id; /* ganesha Export_Id, 1..VS_EXPORT_ID_MAX, stable while it lives */
	char pseudo[VS_PATH_MAX + 1];
	char fs[VS_NAME_MAX + 1];
	char path[VS_PATH_MAX + 1];    /* relative to the fs root, "" = root */
	char clients[VS_ADDR_MAX + 5]; /* CIDR, "" = everyone */
	bool ro;
	enum vs_squash squash;
	uint32_t anon_uid, anon_gid; /* 1..65534, VS_ANON_DEFAULT when not given */
	enum vs_sec sec;
};

/* How an export is made (vs_config_export_add_opts): squash "root", "all"
 * or "none", sec "sys" (NULL: the defaults); anon ids 0: 65534. */
struct vs_export_opts {
	const char *clients;
	bool ro;
	const char *squash, *sec;
	uint32_t anon_uid, anon_gid;
};

/* Who may use a share (vs_users.h checks the names): users by name, groups
 * as "@name", all of the VS. */
#define VS_SHARE_LIST_MAX 16 /* names in a share's read or write list */
#define VS_PRINCIPAL_MAX 33  /* "@" and a group name */

struct vs_share {
	char name[VS_SHARE_MAX + 1];
	char fs[VS_NAME_MAX + 1];
	char path[VS_PATH_MAX + 1]; /* relative to the fs root, "" = root */
	bool ro;
	bool guest;   /* guests (no password) may use it; off by default */
	bool encrypt; /* SMB3 encryption required on it */
	/* Empty lists: every user of the VS (read-write unless ro). Otherwise
	 * only the users named: read only those in read, read-write those in
	 * write. */
	int n_read, n_write;
	char read[VS_SHARE_LIST_MAX][VS_PRINCIPAL_MAX + 1];
	char write[VS_SHARE_LIST_MAX][VS_PRINCIPAL_MAX + 1];
};

/* How a share is made (vs_config_share_add_opts): read and write are
 * comma-separated names ("alice,@eng"), NULL or "" for none. */
struct vs_share_opts {
	bool ro, guest, encrypt;
	const char *read, *write;
};

/* A local user and group of a VS (vs_users.h has the rules). */
#define VS_USER_NAME_MAX 32   /* user and group names */
#define VS_MAX_USERS 1024     /* per VS */
#define VS_MAX_GROUPS 1024    /* per VS */
#define VS_USER_MAX_GROUPS 16 /* groups of one user, its primary first */
#define VS_ID_MIN 1000        /* uids and gids: Debian's range for accounts */
#define VS_ID_MAX 59999
#define VS_NTHASH_LEN 32 /* hex digits */
#define VS_CRYPT_MAX 127

struct vs_user {
	char name[VS_USER_NAME_MAX + 1];
	uint32_t uid;
	int n_groups; /* >= 1: groups[0] is its primary group */
	char groups[VS_USER_MAX_GROUPS][VS_USER_NAME_MAX + 1];
	char nt_hash[VS_NTHASH_LEN + 1];   /* upper-case hex, "" = no password */
	char crypt_hash[VS_CRYPT_MAX + 1]; /* "$y$...", "" = no password */
};

struct vs_group {
	char name[VS_USER_NAME_MAX + 1];
	uint32_t gid;
};

/* A VS joined to an Active Directory domain (DESIGN 7a, vs_join.c): what
 * the join found, never a password (the machine secret is on the VS's own
 * file system). The idmap range is the domain's RIDs (uid = rid_lo + RID),
 * the same on every node; it never overlaps VS_ID_MIN..VS_ID_MAX. */
#define VS_JOIN_REALM_MAX 128
#define VS_JOIN_WG_MAX 15
#define VS_JOIN_HOST_MAX 253
struct vs_join {
	char realm[VS_JOIN_REALM_MAX + 1];  /* upper case; "" = not joined */
	char workgroup[VS_JOIN_WG_MAX + 1]; /* the short domain, as found */
	char dc_addr[VS_ADDR_MAX + 1];      /* the DC joined through */
	char dc_name[VS_JOIN_HOST_MAX + 1]; /* its DNS name, as it said */
	uint32_t rid_lo, rid_hi;            /* idmap of the domain (rid) */
};

/* What the administrator asked for; the runtime state lives elsewhere. */
enum vs_admin { VS_ADMIN_STOPPED = 0, VS_ADMIN_RUNNING = 1 };

struct vs_vserver {
	char name[VS_NAME_MAX + 1];
	int priority; /* 0..100, higher fails over first */
	bool pinned;
	char home[VS_NAME_MAX + 1]; /* home node, "" = none */
	/* The node the administrator migrated it to (`vserver migrate --to`),
	 * "" = none: placement prefers it over home while it is set. Never set
	 * on a pinned VS. */
	char at[VS_NAME_MAX + 1];
	/* Stay where failover put it instead of going back home once home is
	 * healthy again (JSON "auto_revert", true when absent). */
	bool no_auto_revert;
	/* NFSv4 lease and grace of the VS's ganesha, seconds; 0 = the appliance's
	 * default (FX_GANESHA_LEASE_DEFAULT / _GRACE_DEFAULT). JSON "nfs_lease",
	 * "nfs_grace", absent when 0. Take effect when the VS next starts. */
	int nfs_lease, nfs_grace;
	/* Its NFSv4 ID domain (owners as user@domain), "" = the default, its
	 * name in lower case + ".local" (vs_vserver_nfs_domain). JSON
	 * "nfs_domain", absent when "". Takes effect when the VS next starts. */
	char nfs_domain[VS_DOMAIN_MAX + 1];
	/* Its directory join (vs_join.c), realm "" = none. JSON "join". */
	struct vs_join join;
	enum vs_admin admin;
	uint32_t next_export_id;
	int n_vips, n_fs, n_exports, n_shares;
	int cap_vips, cap_exports, cap_shares; /* allocated entries of the lists */
	struct vs_vip *vips;                   /* owned: n_vips entries */
	struct vs_fs fs[VS_MAX_FS];
	struct vs_export *exports; /* owned: n_exports entries */
	struct vs_share *shares;   /* owned: n_shares entries */
	int n_users, cap_users, n_groups, cap_groups;
	struct vs_user *users;   /* owned: n_users entries (vs_users.h) */
	struct vs_group *groups; /* owned: n_groups entries */
};

/* How to power off (fence) a node: a fence-agents program and its options
 * (vs_fence.h: which agents and options are accepted). The agent is run with
 * "action=off" and the options as "key=value" lines on its stdin (the
 * fence-agents convention), so no secret shows in argv. */
#define VS_MAX_FENCES 16
#define VS_FENCE_OPTS_MAX 511
struct vs_fence {
	char node[VS_NAME_MAX + 1];
	char agent[VS_NAME_MAX + 1];         /* fence_ipmilan, fence_scsi, ... */
	char options[VS_FENCE_OPTS_MAX + 1]; /* "key=value,key=value" */
};

/* Nodes under maintenance (`vsadm node evacuate`): at most one per node of
 * a cluster (VS_PLACE_MAX_NODES). */
#define VS_MAX_MAINT 16

/* How the master balances VSs over the nodes by load (vs_balance.h); each
 * field 0 = the default (vs_bal_defaults). Set with vs_config_set_balance. */
enum vs_balance_mode { VS_BALANCE_DEFAULT = 0, VS_BALANCE_OFF, VS_BALANCE_ADVISE, VS_BALANCE_AUTO };
struct vs_balance_cfg {
	enum vs_balance_mode mode; /* default: auto */
	int max_moves;             /* per round, 1..16 */
	int cooldown_s;            /* after a VS changed node, 1..86400 */
	int min_share_pct;         /* no node is over below this share, 1..100 */
	int trigger_pct;           /* a node is over at ideal + this, 1..100 */
	int high_water_pct;        /* standby nodes take VSs above this, 1..100 */
	int low_water_pct;         /* and are emptied below this, 1..99 */
	int smoothing_s;           /* time constant of every node's load averages, 10..3600 */
	int lun_busy_pct;          /* a LUN this busy is saturated (storage-bound VSs), 1..100 */
};

/* The whole configuration of the node (later: of the cluster). */
/* A console account (vs_account.h): web console and REST API logins. */
#define VS_MAX_ACCOUNTS 64
enum vs_role { VS_ROLE_READONLY, VS_ROLE_OPERATOR, VS_ROLE_ADMIN };
struct vs_account {
	char name[VS_NAME_MAX + 1];
	enum vs_role role;
	char crypt_hash[VS_CRYPT_MAX + 1]; /* yescrypt "$y$..."; never shown */
};

struct vs_config {
	uint64_t version; /* bumped by every accepted change */
	int n_accounts;
	struct vs_account accounts[VS_MAX_ACCOUNTS];
	int n_fgroups;
	struct vs_fgroup fgroups[VS_MAX_FGROUPS];
	int n_fences;
	struct vs_fence fences[VS_MAX_FENCES];
	int n_maint; /* nodes under maintenance: they take no VS */
	char maint[VS_MAX_MAINT][VS_NAME_MAX + 1];
	int n_standby; /* standby nodes: VSs only past the high-water mark */
	char standby[VS_MAX_MAINT][VS_NAME_MAX + 1];
	struct vs_balance_cfg balance;
	int n_vservers, cap_vservers;
	struct vs_vserver *vservers; /* owned: n_vservers entries */
	/* The console's TLS certificate chain and key (vs_tls.h), PEM, owned;
	 * NULL: each node's apweb serves its own self-signed one. The key is
	 * never shown. */
	char *tls_cert, *tls_key;
};

/* --- memory (vs_model_mem.c) ---------------------------------------------- */
/* An empty configuration (the same as all zeroes). */
void vs_config_init(struct vs_config *cfg);
/* Frees what cfg owns and leaves it empty (version 0); NULL is allowed. */
void vs_config_free(struct vs_config *cfg);
/* dst (initialised) becomes a deep copy of src: 0, or -ENOMEM with dst
 * unchanged. */
int vs_config_copy(struct vs_config *dst, const struct vs_config *src);
/* Exchanges two configurations (no copy). */
void vs_config_swap(struct vs_config *a, struct vs_config *b);
void vs_vserver_free(struct vs_vserver *vs);
int vs_vserver_copy(struct vs_vserver *dst, const struct vs_vserver *src);
/* Same values (what is serialised; bytes past a string's end ignored). */
bool vs_vserver_equal(const struct vs_vserver *a, const struct vs_vserver *b);
bool vs_config_equal(const struct vs_config *a, const struct vs_config *b);
/* A 64-bit digest (FNV-1a) of the same values vs_vserver_equal compares:
 * equal VSs have equal digests (the store's test for "changed"). */
uint64_t vs_vserver_hash(const struct vs_vserver *vs);
/* Room for one more entry in a list (doubling, at most max entries):
 * 0, -E2BIG at max, -ENOMEM. */
int vs_grow(void **list, int *cap, int n, size_t size, int max);

/* --- lookup ------------------------------------------------------------ */
struct vs_vserver *vs_config_find(struct vs_config *cfg, const char *name);
/* The same for a change: 0, or -ENOENT with "There is no virtual server
 * named '...'." in err. */
int vs_config_need(struct vs_config *cfg, const char *name, struct vs_vserver **out, char *err,
                   size_t errlen);
const struct vs_fs *vs_vserver_find_fs(const struct vs_vserver *vs, const char *name);
/* The VS (other than `except`, may be NULL) that owns address `addr`, or NULL. */
const struct vs_vserver *vs_config_vip_owner(const struct vs_config *cfg, const char *addr,
                                             const struct vs_vserver *except);

const struct vs_fgroup *vs_config_find_fgroup(const struct vs_config *cfg, const char *name);
/* The group a port belongs to, or NULL. */
const struct vs_fgroup *vs_config_port_fgroup(const struct vs_config *cfg, const char *port);
/* The effective group of a VIP: its own, else its home port's; NULL if none. */
const struct vs_fgroup *vs_vip_fgroup(const struct vs_config *cfg, const struct vs_vip *vip);
/* The VIP of a VS by address (any spelling of the address), or NULL. */
struct vs_vip *vs_vserver_find_vip(struct vs_vserver *vs, const char *addr);

/* --- value checks (pure) ------------------------------------------------- */
/* Names: 1..max chars of [A-Za-z0-9_-], starting with a letter. */
int vs_check_name(const char *what, const char *name, size_t max, char *err, size_t errlen);
/* "ADDR/PREFIX" -> canonical address, family and prefix. */
int vs_parse_vip(const char *text, struct vs_vip *out, char *err, size_t errlen);
/* "LABEL=x" or "UUID=y". */
int vs_parse_lun(const char *text, enum vs_lun_kind *kind, char *value, size_t len, char *err,
                 size_t errlen);
/* A CIDR "ADDR/PREFIX" for export clients, written into `out` in canonical
 * form: the address as inet_ntop writes it and the prefix without leading
 * zeros ("192.0.2.0/0024" -> "192.0.2.0/24", "2001:DB8:0::/48" ->
 * "2001:db8::/48"). A network with host bits set ("192.0.2.5/24") is refused,
 * not rounded: it may have been meant as a single host, and rounding it would
 * open the export to the whole network. */
int vs_canon_cidr(const char *text, char *out, size_t len, char *err, size_t errlen);
/* A sub-directory relative to a file-system root: no "..", no "//", normalised
 * without leading or trailing '/' into `out`. */
int vs_normalise_subdir(const char *text, char *out, size_t len, char *err, size_t errlen);
/* 0 when vs has a file system named fsname, else -ENOENT and the sentence. */
int vs_vserver_need_fs(const struct vs_vserver *vs, const char *fsname, char *err, size_t errlen);
/* A pseudo path: absolute, no "..", not "/" itself. */
int vs_check_pseudo(const char *text, char *err, size_t errlen);

/* --- changes (pure): validate against the whole config, then apply -------- */
/* Each returns 0 and modifies `cfg` (bumping cfg->version) or returns a
 * negative errno with a sentence in err and leaves `cfg` unchanged. */
int vs_config_create(struct vs_config *cfg, const char *name, int priority, bool pinned,
                     const char *home, char *err, size_t errlen);
int vs_config_delete(struct vs_config *cfg, const char *name, bool force, char *err, size_t errlen);
int vs_config_set_admin(struct vs_config *cfg, const char *name, enum vs_admin admin, char *err,
                        size_t errlen);
/* `port_exists` answers whether a port name is known on this node. */
int vs_config_vip_add(struct vs_config *cfg, const char *vs, const char *addr_prefix,
                      const char *home_port, bool (*port_exists)(const char *port, void *arg),
                      void *arg, char *err, size_t errlen);
/* Group and revert behaviour of an existing VIP (group NULL = unchanged). */
int vs_config_vip_set(struct vs_config *cfg, const char *vs, const char *addr, const char *group,
                      bool no_auto_revert, char *err, size_t errlen);
/* "eth1,eth2" -> a group; probe may be NULL or "" (carrier only); zero
 * interval or misses and a negative hold-down mean the defaults. */
int vs_config_fgroup_create(struct vs_config *cfg, const char *name, const char *ports,
                            const char *probe, uint32_t interval_ms, uint32_t misses,
                            int32_t hold_down_s, bool (*port_exists)(const char *port, void *arg),
                            void *arg, char *err, size_t errlen);
int vs_config_fgroup_delete(struct vs_config *cfg, const char *name, char *err, size_t errlen);
/* The capacity of the group's ports, 1..400000 Mb/s (0: as the links say). */
int vs_config_fgroup_set_speed(struct vs_config *cfg, const char *name, int64_t mbps, char *err,
                               size_t errlen);
int vs_config_vip_del(struct vs_config *cfg, const char *vs, const char *addr, char *err,
                      size_t errlen);
int vs_config_fs_add(struct vs_config *cfg, const char *vs, const char *fsname, const char *lun,
                     char *err, size_t errlen);
int vs_config_fs_del(struct vs_config *cfg, const char *vs, const char *fsname, char *err,
                     size_t errlen);
int vs_config_export_add(struct vs_config *cfg, const char *vs, const char *pseudo,
                         const char *fsname, const char *path, const char *clients, bool ro,
                         char *err, size_t errlen);
int vs_config_export_add_opts(struct vs_config *cfg, const char *vs, const char *pseudo,
                              const char *fsname, const char *path, const struct vs_export_opts *o,
                              char *err, size_t errlen);
/* An export's identity options checked and set in ex (vs_nfsid.c). */
int vs_export_identity(const struct vs_export_opts *o, struct vs_export *ex, char *err,
                       size_t errlen);
int vs_config_export_del(struct vs_config *cfg, const char *vs, const char *pseudo, char *err,
                         size_t errlen);
int vs_config_share_add(struct vs_config *cfg, const char *vs, const char *share,
                        const char *fsname, const char *path, bool ro, char *err, size_t errlen);
/* The same with who may use it; a name that is not a user or group of the
 * VS, --guest with a list, or --ro with a write list is refused. */
int vs_config_share_add_opts(struct vs_config *cfg, const char *vs, const char *share,
                             const char *fsname, const char *path, const struct vs_share_opts *o,
                             char *err, size_t errlen);
int vs_config_share_del(struct vs_config *cfg, const char *vs, const char *share, char *err,
                        size_t errlen);

/* A node's fence device (implemented in vs_fence.c, whose header holds the
 * allow-list): the agent and every option must be accepted by
 * vs_fence_check, so nothing the agents could run, read or write is ever
 * stored. Replaces any device the node had. */
int vs_config_fence_set(struct vs_config *cfg, const char *node, const char *agent,
                        const char *options, char *err, size_t errlen);
int vs_config_fence_delete(struct vs_config *cfg, const char *node, char *err, size_t errlen);
const struct vs_fence *vs_config_find_fence(const struct vs_config *cfg, const char *node);

/* Where the administrator wants VSs to run (implemented in vs_place.c, with
 * the placement rules that read them; vs_place.h). Each changes the version
 * only when it changes something. */
/* Migrate `vs` to `node` (it then runs there while that node can serve it);
 * node "" clears it (the VS may go back home: auto-revert). Refuses a pinned
 * VS and a node under maintenance. */
int vs_config_migrate(struct vs_config *cfg, const char *vs, const char *node, char *err,
                      size_t errlen);
/* The same without the maintenance rule, for what a stored or replicated
 * document holds (a node may go under maintenance after a VS was migrated to
 * it: the VS keeps `at`, placement keeps it off that node). */
int vs_config_set_at(struct vs_config *cfg, const char *vs, const char *node, char *err,
                     size_t errlen);
int vs_config_set_auto_revert(struct vs_config *cfg, const char *vs, bool on, char *err,
                              size_t errlen);
/* NFSv4 lease and grace of a VS (DESIGN section 5): each 0 = the default,
 * -1 = unchanged. A shorter lease lets ganesha 4.3 lift grace sooner once
 * every client has reclaimed (it checks every lease/2 s), at the cost of
 * clients that must renew more often. The floor: an idle Linux client renews
 * at most every 5 s (fs/nfs/nfs4renewd.c: max(2/3 lease, 5 s)), so a lease
 * under about 7 s lets an idle client's lease run out between two renewals
 * and ganesha drops its opens and locks. Refused: lease outside
 * VS_NFS_LEASE_MIN..VS_NFS_LEASE_MAX, grace outside lease..VS_NFS_GRACE_MAX. */
#define VS_NFS_LEASE_MIN 7
#define VS_NFS_LEASE_MAX 120
#define VS_NFS_GRACE_MAX 180
int vs_config_set_nfs_timers(struct vs_config *cfg, const char *vs, int lease, int grace, char *err,
                             size_t errlen);
/* The lease and grace a VS's ganesha runs with (its settings or the defaults). */
void vs_vserver_nfs_timers(const struct vs_vserver *vs, int *lease, int *grace);
/* The NFSv4 ID domain (vs_nfsid.c): "" restores the default; a name of
 * [a-z0-9.-] labels (upper case taken as lower) else refused. */
int vs_config_set_nfs_domain(struct vs_config *cfg, const char *vs, const char *domain, char *err,
                             size_t errlen);
/* The check alone: 0 and the domain in lower case in low (VS_DOMAIN_MAX +
 * 2 bytes), or -EINVAL and the sentence. */
int vs_nfs_domain_check(const char *domain, char *low, char *err, size_t errlen);
/* The domain in force: nfs_domain, or the default. */
void vs_vserver_nfs_domain(const struct vs_vserver *vs, char *buf, size_t len);
/* Record (j) or forget (j NULL: left) a VS's directory join (vs_join.c):
 * every field checked by fsexport/fx_join.h's allow-lists, the range
 * against the VS's local ids; -EINVAL and one sentence. */
int vs_config_set_join(struct vs_config *cfg, const char *vs, const struct vs_join *j, char *err,
                       size_t errlen);
int vs_join_check(const struct vs_join *j, char *err, size_t errlen);
/* Put `node` under maintenance (on) or take it out (off; a node that is not
 * under maintenance is no error). */
int vs_config_maint(struct vs_config *cfg, const char *node, bool on, char *err, size_t errlen);
bool vs_config_in_maint(const struct vs_config *cfg, const char *node);

/* Cluster-wide settings (vs_settings.c). A standby node (`vsadm node standby
 * NODE on`) takes VSs only when the active nodes pass the high-water mark,
 * or in a failover when no active node can serve them; it is emptied again
 * below the low-water mark. Balancing settings are checked as a whole (each
 * in range, low under high water) and replace the old ones; a refusal
 * changes nothing. Each changes the version only when it changes something. */
int vs_config_standby(struct vs_config *cfg, const char *node, bool on, char *err, size_t errlen);
bool vs_config_is_standby(const struct vs_config *cfg, const char *node);
int vs_config_set_balance(struct vs_config *cfg, const struct vs_balance_cfg *b, char *err,
                          size_t errlen);
const char *vs_balance_mode_name(enum vs_balance_mode m); /* "auto" for the default */
int vs_balance_mode_parse(const char *s, enum vs_balance_mode *out);

/* Stable locally administered unicast MAC for a VIP of a VS (FNV-1a based). */
void vs_vip_mac(const char *vs, const char *addr, uint8_t mac[6]);

#endif
