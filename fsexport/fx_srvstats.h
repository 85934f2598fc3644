/*
 * fx_srvstats.h - the request counters of a VS's file servers, read from what
 * they answer (pure: text in, a counter out; no I/O).
 *
 * ganesha: its statistics exist only over D-Bus. `busctl --json=short call
 * <vs>.org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr
 * org.ganesha.nfsd.exportstats GetGlobalOPS` answers (ganesha 4.3, measured)
 *   {"type":"bs(tt)(stststststststst)","data":[true,"OK",[SEC,NSEC],
 *    ["NFSv3",0,"NFSv40",95,"NFSv41",0,"NFSv42",0,"NLM4",0,"MNTv1",0,...]]}
 * one count of requests per protocol since it started; the total of them is
 * the VS's NFS requests. Older and newer ganeshas answer the same pairs as an
 * array of [name, count]; both are taken. A reply whose status is false
 * (statistics disabled) is -ENODATA.
 *
 * smbd: with `smbd profiling level = count` in smb.conf, `smbstatus -s CONF
 * -P` prints its profile, with the line "request_count:   N" (the SMB
 * requests its processes served since the profile began).
 *
 * Errors: 0, -EINVAL (text that is not such an answer, a count that is no
 * 64-bit number, a total that would overflow), -ENODATA (no count in it).
 * *out is 0 on any error.
 */
#ifndef FX_SRVSTATS_H
#define FX_SRVSTATS_H

#include <stddef.h>
#include <stdint.h>

#define FX_SRVSTATS_TEXT_MAX (1024 * 1024) /* longer answers are refused */

int fx_ganstats_total_ops(const char *text, size_t len, uint64_t *out);
int fx_smbprof_requests(const char *text, size_t len, uint64_t *out);

#endif
