/*
 * ap_seedsrc.h - finding and reading the first-boot seed (the mechanism
 * around ap_seed.h's pure parser).
 *
 * Where: the file system labelled AP_SEED_LABEL (found with libblkid through
 * fx_lun_walk, floppies skipped, so by label, never by device name; a config partition or a
 * whole disk, ext2/3/4, vfat or iso9660), mounted read-only, nosuid, nodev,
 * noexec, nosymfollow on a private directory under run_dir for as long as it
 * takes to read AP_SEED_FILE (and the bundle file it names), then unmounted;
 * else the file boot_path (/boot/appliance-seed.json), its bundle file next to
 * it. Each file is opened beneath its directory with O_NOFOLLOW, must be a
 * regular file and at most AP_SEED_MAX bytes. Two file systems labelled
 * APPLSEED are refused (which one is meant?).
 *
 * Memory: *seed is filled by ap_seed_parse (the caller clears it with
 * ap_seed_clear); where (a device or a path, for messages) is the caller's.
 * The files' bytes are wiped once parsed (a bundle holds the cluster key).
 * Errors: 0 a valid seed; -ENOENT no seed anywhere (not an error: the node
 * comes up unseeded); -EINVAL / -E2BIG a seed that is refused, -ENOTUNIQ two
 * seed file systems, -EIO etc. a seed that cannot be read: all with one
 * sentence in err, which never quotes the seed.
 */
#ifndef AP_SEEDSRC_H
#define AP_SEEDSRC_H

#include <stddef.h>

#include "appliance/ap_seed.h"

#define AP_SEED_BOOT_PATH "/boot/" AP_SEED_FILE

int ap_seedsrc_load(const char *boot_path, const char *run_dir, struct ap_seed *seed, char *where,
                    size_t wherelen, char *err, size_t errlen);

#endif
