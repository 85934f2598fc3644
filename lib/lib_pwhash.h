/*
 * lib_pwhash.h - the two hashes a password is kept as (DESIGN 7a): the NT
 * hash SMB's NTLM needs (MD4 of the UTF-16LE password, 32 hex digits) and a
 * yescrypt crypt hash ("$y$...", libxcrypt, with a fresh random salt).
 *
 * What it is for: vsadm (and the web process) hash a password the
 * administrator types before anything is sent, so the password itself
 * never reaches applianced, the configuration or a log; applianced checks
 * the forms only (vs_users.h). The password policy lives here too.
 *
 * Memory: the caller's buffers; the password's copies made here (UTF-16)
 * are wiped before return. Errors: 0, -EINVAL with a sentence in err for a
 * password the policy refuses (never quoting it), -EIO when libxcrypt
 * cannot make a salt or a hash (entropy).
 */
#ifndef LIB_PWHASH_H
#define LIB_PWHASH_H

#include <stddef.h>

#define LIB_PW_MIN 8   /* characters (bytes) a password has at least */
#define LIB_PW_MAX 256 /* and at most */
#define LIB_NTHASH_LEN 32
#define LIB_CRYPT_MAX 127

/* The policy: LIB_PW_MIN..LIB_PW_MAX bytes of valid UTF-8 without control
 * characters. */
int lib_pw_check(const char *pw, char *err, size_t errlen);
/* nt: LIB_NTHASH_LEN + 1 bytes (upper-case hex); crypt: LIB_CRYPT_MAX + 1. */
int lib_pw_hash(const char *pw, char *nt, char *crypt, char *err, size_t errlen);
/* Does pw match crypt (a yescrypt hash)? 1 yes, 0 no, -EINVAL bad hash. */
int lib_pw_verify(const char *pw, const char *crypt);

#endif
