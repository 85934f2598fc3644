/*
 * ap_system.h - the appliance's A/B root partitions and their updates: the
 * decisions (pure, table-tested in tests/unit/test_system.c).
 *
 * The disk (images/appliance/build, README "Updates"): GPT, p1 GRUB's BIOS
 * boot partition, p2 root slot a (GPT name approot-a), p3 root slot b
 * (approot-b, the same size), p4 the data partition (appdata, mounted on
 * /data: applianced's and apweb's state, GRUB's grub.cfg and grubenv, the
 * update state). An update never touches p1, p4's grub.cfg or the running
 * slot.
 *
 * GRUB reads /data/grub/grubenv, a 1024-byte environment block:
 *   slot_good    a|b   the slot known to come up healthy ("" = a)
 *   slot_try     a|b|"" a slot written by an update, to boot once
 *   try_left     1|0   1: the next boot is that try; GRUB writes 0 before
 *                      booting it (save_env), so a try boots once
 *   rolled_back  a|b|"" set by GRUB when it found a try spent and unconfirmed:
 *                      it boots slot_good again and clears slot_try
 * and boots with appliance.slot=X on the kernel command line. A try is
 * confirmed (slot_good = it) by appliance-slot-confirm.service once
 * applianced answers; appliance-slot-guard.timer reboots a try that has not
 * confirmed AP_SYS_GUARD_S seconds after boot (and the watchdog resets a hung
 * kernel, panic=10 a panicking one): GRUB then falls back.
 *
 * The update file (make image: build/image/appliance-update.img): a header
 * of AP_SYS_HDR_SIZE bytes, a JSON manifest then NUL padding,
 *   {"format": "appliance-update/1", "version": "0.1~git...",
 *    "root_size": BYTES, "root_sha256": "64 hex"}
 * followed by the root file system image (ext4) of exactly root_size bytes.
 * Its sha256 is checked in full before anything is written (and again while
 * writing). It is an integrity check against a damaged or wrong file, not a
 * signature: whoever is root on the node may install what they like.
 *
 * Memory: none (caller's buffers). Errors: 0 or a negative errno, with one
 * sentence in err on a refusal.
 */
#ifndef AP_SYSTEM_H
#define AP_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define AP_SYS_ENV_SIZE 1024
#define AP_SYS_HDR_SIZE 4096
#define AP_SYS_VERSION_MAX 64
#define AP_SYS_ROOT_MAX (64ULL << 30) /* a root image over 64 GiB is refused */
#define AP_SYS_GUARD_S 180            /* appliance-slot-guard.timer's OnBootSec */
#define AP_SYS_FORMAT "appliance-update/1"

#define AP_SYS_DATA_DIR "/data"
#define AP_SYS_GRUBENV AP_SYS_DATA_DIR "/grub/grubenv"
#define AP_SYS_STATE AP_SYS_DATA_DIR "/update/state.json"
#define AP_SYS_RELEASE "/etc/appliance-release" /* APPLIANCE_VERSION=... */

/* The boot loader's environment; a slot is 'a', 'b' or 0 (unset). */
struct ap_sys_env {
	char slot_good, slot_try, rolled_back;
	int try_left; /* 0 or 1 */
};

/* Parse a grubenv block ("# GRUB Environment Block\n", name=value lines,
 * '#' padding); variables other than ours are ignored; a value of ours that
 * is not a slot (or 0/1) is refused. */
int ap_sys_env_parse(const char *buf, size_t len, struct ap_sys_env *e, char *err, size_t errlen);
/* Exactly AP_SYS_ENV_SIZE bytes into out (a file GRUB can rewrite in place). */
void ap_sys_env_format(const struct ap_sys_env *e, char out[AP_SYS_ENV_SIZE]);

/* The slot GRUB boots when there is no try: slot_good, else 'a'. */
char ap_sys_good(const struct ap_sys_env *e);
char ap_sys_other(char slot);
/* A slot from a word ("a", "b"): the letter, or 0. */
char ap_sys_slot_of(const char *word);
/* appliance.slot=X of a kernel command line, or 0. */
char ap_sys_cmdline_slot(const char *cmdline);

enum ap_sys_boot {
	AP_SYS_BOOT_GOOD,  /* running the good slot */
	AP_SYS_BOOT_TRIAL, /* running a try not yet confirmed */
	AP_SYS_BOOT_ODD,   /* running a slot that is neither (booted by hand) */
};
enum ap_sys_boot ap_sys_boot_kind(const struct ap_sys_env *e, char running);
const char *ap_sys_boot_name(enum ap_sys_boot b);

/* What an update from the running slot does to the environment: the slot
 * it writes (*target) and the environment after it (*next). Refused on a
 * trial boot, an odd one, or an unknown running slot. */
int ap_sys_update_plan(const struct ap_sys_env *e, char running, char *target,
                       struct ap_sys_env *next, char *err, size_t errlen);
/* A healthy boot: a trial becomes the good slot (1: *e changed), and a good
 * slot never written down is written (1); else 0. */
int ap_sys_confirm(struct ap_sys_env *e, char running);
/* The guard's question: is this an unconfirmed trial boot (reboot it)? */
bool ap_sys_guard_reboot(const struct ap_sys_env *e, char running);
/* One word for a slot's state: "good", "pending" (boots next), "trial",
 * "failed" (rolled back from), "spare". */
const char *ap_sys_slot_state(const struct ap_sys_env *e, char running, char slot);
/* The last update's outcome in one sentence (version and slot it wrote;
 * version may be ""): "" when there was none. */
void ap_sys_outcome(const struct ap_sys_env *e, char running, const char *version, char slot,
                    char *out, size_t len);

struct ap_sys_manifest {
	char version[AP_SYS_VERSION_MAX + 1];
	uint64_t root_size;
	char sha256[65];
};
/* The header of an update file (len bytes, at most AP_SYS_HDR_SIZE): the
 * manifest, every member by allow-list. */
int ap_sys_manifest_parse(const char *hdr, size_t len, struct ap_sys_manifest *m, char *err,
                          size_t errlen);
/* The manifest as a header of AP_SYS_HDR_SIZE bytes (for make image). */
int ap_sys_manifest_format(const struct ap_sys_manifest *m, char out[AP_SYS_HDR_SIZE]);
/* Does an update file of size bytes (a block device: at least that) carry
 * the manifest's root, and does that fit a slot of part_size bytes? */
int ap_sys_check_sizes(uint64_t size, bool blockdev, const struct ap_sys_manifest *m,
                       uint64_t part_size, char *err, size_t errlen);
/* A version string: 1-64 of [A-Za-z0-9.+~:_-]. */
bool ap_sys_version_ok(const char *v);
/* The path an update is read from, as vsadm sends it: absolute, printable,
 * no "." or ".." component, shorter than PATH_MAX. */
int ap_sys_check_path(const char *path, char *err, size_t errlen);

/* An update file the web process uploaded (PUT /api/v1/system/update), by
 * its lstat: a regular file of the web user's (web_uid) with one link, never
 * a device, a link or another's file. 0, or a negative errno with the
 * sentence. */
int ap_sys_check_web_file(const struct stat *st, uid_t web_uid, char *err, size_t errlen);
/* Who may ask for a system.* request (pure): root through vsadm anything; a
 * console admin (through the web process: as_web) system.update of an
 * uploaded file and system.reboot without force; nobody else. 0, or a
 * negative errno with the sentence. */
int ap_sys_check_asker(const char *cmd, bool root, bool as_web, bool force, char *err,
                       size_t errlen);
/* The reboot gate (`vsadm system reboot`): in a cluster this node must be
 * under maintenance with no VS left running here, unless forced. */
int ap_sys_reboot_check(bool in_cluster, bool in_maint, int running_here, bool force, char *err,
                        size_t errlen);

/* The children applianced runs for these requests (`applianced --system-OP
 * [FILE]`), by allow-list: 0 and *op, or -EINVAL. */
enum ap_sys_op { AP_SYS_OP_SHOW, AP_SYS_OP_WRITE, AP_SYS_OP_CONFIRM, AP_SYS_OP_GUARD };
int ap_sys_parse_child(int argc, char *const *argv, enum ap_sys_op *op, const char **file);

/* The children's mains (ap_syswrite.c: I/O, never in the event loop). */
int ap_sys_child_main(int argc, char **argv);

#endif
