#!/bin/bash
# Port failover with many VIPs on the pulled port (issue 8, DESIGN R2): a
# 1-node lab, failover group eth1,eth2, NVS VSs with 8 VIPs each (7 IPv4,
# 1 IPv6) all on one port, a LUN and an NFS export each, NFS read load on m0. Each pull takes the port
# that carries the VIPs down (alternating eth1/eth2 as bench/netfail.sh);
# the client's packet capture gives, per pull, the time from the pull to the
# FIRST and to the LAST VIP's announcement on the new port. Then the same
# with m1's LUN hung on the node (`applab storage n1 lun1 hang`), and
# whether m1 is reported storage-failed.
#
#   bench/netfail-many.sh [PULLS] [NVS]   (defaults 4 and 13; writes
#                                          bench/results.json: netfail_many,
#                                          netfail_many_hung_lun)
#
# The pull instant is taken just before ip(8) sets the switch side of the
# port down (pessimistic by ip's start-up, about 1 ms). Optimised build.
set -euo pipefail
cd "$(dirname "$0")/.."
PULLS=${1:-4}
NVS=${2:-13}
. bench/lib.sh
bench_init netfail-many

# VIP k of VS v: IPv4 192.0.2.(120 + 7v + k) for k < 7, IPv6 2001:db8:1::2:(v+1).
vip_of() { (($2 < 7)) && echo "192.0.2.$((120 + 7 * $1 + $2))/24" || echo "2001:db8:1::2:$(($1 + 1))/64"; }
((NVS >= 2 && 120 + 7 * NVS <= 250)) || { echo "NVS must be 2..18" >&2; exit 2; }

t_setup=$EPOCHREALTIME
$APPLAB down >/dev/null 2>&1 || true
$APPLAB up --nodes 1 --luns "$NVS" >/dev/null
V n1 fgroup create pub --ports eth1,eth2 >/dev/null
vss=()
for v in $(seq 0 $((NVS - 1))); do
	vss+=("m$v")
	V n1 vserver create "m$v" >/dev/null
	for k in $(seq 0 7); do
		V n1 vip add "m$v" "$(vip_of "$v" "$k")" --home-port eth1 --no-auto-revert >/dev/null
	done
	# A VS starts only with a file system: one LUN each.
	V n1 fs add "m$v" data --lun "LABEL=lab-lun$v" >/dev/null
	V n1 export add "m$v" /data --fs data >/dev/null
done
for vs in "${vss[@]}"; do V n1 vserver start "$vs" --no-wait >/dev/null; done
wait_running n1 120 "${vss[@]}"
nvips=$(V n1 vip show --json | jq length)
echo "set up in $(echo "$EPOCHREALTIME - $t_setup" | bc) s: $NVS VSs, $nvips VIPs on eth1" >&2

# Load: the client reads m0's blob over and over (written on the node: libnfs
# 4.0's nfs-cp fails writes of 4 KiB and more).
# The export's root is the file system's data/ (README, VS file systems).
$APPLAB exec n1 sh -c 'f=/run/appliance/mnt/m0/data/data/blob; head -c 4194304 /dev/urandom >"$f" && chmod 644 "$f"'
vip0=$(vip_of 0 0)
(while :; do
	$APPLAB client nfs-cat "nfs://${vip0%/*}/data/blob?version=4" >/dev/null 2>&1 || sleep 0.05
done) &
bench_bg $!
$APPLAB client nfs-cat "nfs://${vip0%/*}/data/blob?version=4" >/dev/null ||
	{ echo "the NFS load cannot read m0's blob" >&2; exit 1; }

# left_on PORT: how many VIPs are still on PORT (bounded: a stalled agent counts as "all").
left_on() { timeout 5 $APPLAB exec n1 vsadm vip show --json | jq --arg p "$1" '[.[] | select(.port == $p)] | length' || echo "$nvips"; }

capture_start "$work/cap.txt"
pull_series "$work/pulls.txt" "$PULLS" left_on 2

# The same with m1's LUN hung on this node.
t_hang=$EPOCHREALTIME
$APPLAB storage n1 lun1 hang >/dev/null
pull_series "$work/pulls-hung.txt" "$PULLS" left_on 2
failed_after=
for _ in $(seq 300); do
	if [ "$(timeout 5 $APPLAB exec n1 vsadm vserver show m1 --json | jq -r .runtime.storage_failed)" = true ]; then
		failed_after=$(echo "$EPOCHREALTIME - $t_hang" | bc)
		break
	fi
	(($(echo "$EPOCHREALTIME - $t_hang > 60" | bc))) && break
	sleep 0.2
done
m1_state=$(timeout 5 $APPLAB exec n1 vsadm vserver show m1 --json | jq -c '.runtime | {state, storage_failed, reason}' || echo null)
$APPLAB storage n1 lun1 restore >/dev/null
capture_stop
$APPLAB exec n1 vsadm event show --last 40 >"$work/events.txt" 2>&1 || true

python3 - "$work" "$OUT" "$NVS" "$nvips" "${failed_after:-}" "$m1_state" <<'EOF'
import json, sys, time
sys.path.insert(0, "bench")
from results import announcements, first_after, load, percentile, save
work, out_f, nvs, nvips, failed_after, m1_state = sys.argv[1:7]
nvips = int(nvips)
events = announcements(work + "/cap.txt")

def series(pulls_f, next_t):
    pulls = [float(l.split()[0]) for l in open(pulls_f) if l.strip()]
    firsts, lasts, missing = [], [], []
    for k, t0 in enumerate(pulls):
        t1 = pulls[k + 1] if k + 1 < len(pulls) else next_t
        got = first_after(events, t0, t1)
        lat = sorted((t - t0) * 1000.0 for t in got.values())
        missing.append(nvips - len(lat))
        if lat:
            firsts.append(round(lat[0], 2))
            lasts.append(round(lat[-1], 2))
    return pulls, firsts, lasts, missing

def figures(firsts, lasts, missing, extra):
    res = {
        "what": "port failover with every VIP of %s VSs on the pulled port: cable pull to the first and to the last VIP's first announcement on the new port, seen by the client" % nvs,
        "method": "lab, 1 node, failover group eth1,eth2, %s VSs x 8 VIPs (7 IPv4, 1 IPv6) = %d VIPs homed on eth1, NFS read load on m0; %d pulls alternating eth1/eth2, 2 s apart; tcpdump -tt in the client namespace; the pull time taken before ip(8) sets the switch side down; first = earliest VIP, last = the latest VIP's first announcement" % (nvs, nvips, len(firsts)),
        "vips": nvips, "pulls": len(firsts),
        "first_ms": {"min": min(firsts, default=None), "max": max(firsts, default=None), "each": firsts},
        "last_ms": {"min": min(lasts, default=None), "max": max(lasts, default=None),
                    "p50": percentile(sorted(lasts), 50), "each": lasts},
        "vips_not_announced": missing,
        "target": {"last_ms": 50},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    res.update(extra)
    return res

hung = [float(l.split()[0]) for l in open(work + "/pulls-hung.txt") if l.strip()]
_, f1, l1, m1 = series(work + "/pulls.txt", hung[0] if hung else float("inf"))
_, f2, l2, m2 = series(work + "/pulls-hung.txt", float("inf"))
doc = load(out_f)
doc["netfail_many"] = figures(f1, l1, m1, {})
doc["netfail_many_hung_lun"] = figures(f2, l2, m2, {
    "hung": "m1's LUN (lab-lun1, an NFS-exported file system) hung on the node by applab storage n1 lun1 hang (SIGSTOP of its bindfs view) just before the first of these pulls, restored after",
    "hung_vs_storage_failed": bool(failed_after),
    "hung_vs_storage_failed_after_s": round(float(failed_after), 2) if failed_after else None,
    "hung_vs_runtime": json.loads(m1_state) if m1_state not in ("", "null") else None,
})
save(out_f, doc)
for name, f, l, m in (("port failover", f1, l1, m1), ("  with m1's LUN hung", f2, l2, m2)):
    print("%s, %d VIPs, %d pulls: first %s ms, last %s ms, not announced %s (target last <= 50 ms)"
          % (name, nvips, len(f), f, l, m))
print("  m1 storage-failed: %s (after %s s), runtime %s" % (bool(failed_after), failed_after or "-", m1_state))
sys.exit(0 if f1 and f2 and not any(m1 + m2) else 1)
EOF
