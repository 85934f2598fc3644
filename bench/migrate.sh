#!/bin/bash
# Planned migration (issue 9, DESIGN R8): the client-visible gap of
# `vsadm vserver migrate`, and the steps of each move from its journal.
#
#   bench/migrate.sh [RUNS]      (default 10; writes bench/results.json: migrate)
#
# A 3-node lab with fencing, one VS (one LUN, VIP, NFS export); RUNS
# migrations back and forth between n1 and n2. The client polls the VS every
# 10 ms with a small operation: a TCP connection to VIP:2049 then nfs-cat of
# a file (a fresh libnfs NFSv4.0 client each time: it holds no state to
# reclaim, so after a move it waits for the new ganesha's grace when the
# recovery records name clients that may still reclaim). The journal gives
# each step's time (the move
# itself: from planned to done). The gap of a run is the longest time between
# two successful reads, from the last one before the command to the first one
# after the move was done. Optimised build.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
. bench/lib.sh
bench_init migrate
((RUNS >= 1 && RUNS <= 50)) || { echo "RUNS must be 1..50" >&2; exit 2; }
VIP=192.0.2.120

$APPLAB down >/dev/null 2>&1 || true
$APPLAB up --nodes 3 --luns 2 >/dev/null
V n1 vserver create m0 --home n1 >/dev/null
V n1 vip add m0 $VIP/24 --home-port eth1 >/dev/null
V n1 fs add m0 data --lun LABEL=lab-lun0 >/dev/null
V n1 export add m0 /data --fs data >/dev/null
V n1 vserver start m0 >/dev/null
wait_running n1 120 m0
$APPLAB exec n1 sh -c 'echo m0 >/run/appliance/mnt/m0/data/data/f.txt && chmod 644 /run/appliance/mnt/m0/data/data/f.txt'

# The poller: one Python process in the client namespace, a read every 10 ms
# (a TCP connect first, 0.2 s deadline, so a VIP that is not up costs no
# nfs-cat time-out); each success's end time on a line of $work/ok.
POLLER='
import socket, subprocess, sys, time
out = open(sys.argv[1], "w", buffering=1)
ip = sys.argv[2]
while True:
    t = time.time()
    try:
        socket.create_connection((ip, 2049), timeout=0.2).close()
        r = subprocess.run(["nfs-cat", "nfs://%s/data/f.txt?version=4" % ip],
                           capture_output=True, timeout=20)
        if r.returncode == 0 and r.stdout.strip() == b"m0":
            out.write("%.6f\n" % time.time())
    except (OSError, subprocess.TimeoutExpired):
        pass
    time.sleep(max(0, 0.01 - (time.time() - t)))
'
$APPLAB client python3 -c "$POLLER" "$work/ok" "$VIP" &
bench_bg $!
sleep 3

: >"$work/runs"
for run in $(seq "$RUNS"); do
	from=$(node_of n1 m0)
	[ "$from" = n1 ] && to=n2 || to=n1
	sleep 2 # a few reads before
	prev=$(V n3 move show --json | jq '[.moves[] | select(.vs == "m0")][0].id // 0')
	t0=$EPOCHREALTIME
	V n3 vserver migrate m0 --to "$to" >/dev/null
	for _ in $(seq 300); do
		V n3 move show --json | jq -e --argjson p "$prev" '[.moves[] | select(.vs == "m0")][0] | .id > $p and .state == "done"' >/dev/null && break
		sleep 0.1
	done
	# The move is done (journal); the first read after that, within 40 s.
	t_done=$EPOCHREALTIME
	t1=
	for _ in $(seq 400); do
		t1=$(awk -v t="$t_done" '$1 > t {print $1; exit}' "$work/ok")
		[ -n "$t1" ] && break
		sleep 0.1
	done
	before=$(awk -v t="$t0" '$1 <= t {l = $1} END {print l}' "$work/ok")
	# The gap: the longest time between two successful reads from the last
	# one before the command to the first one after the move was done.
	gap=-
	[ -n "$t1" ] && gap=$(awk -v a="$before" -v b="$t1" '$1 >= a && $1 <= b {if (p) {d = $1 - p; if (d > m) m = d} p = $1} END {printf "%.3f", m}' "$work/ok")
	move=$(V n3 move show --json | jq -c '[.moves[] | select(.vs == "m0")][0]')
	echo "$run $from $to $gap ${t1:--} $t0 $move" >>"$work/runs"
	echo "run $run: $from -> $to, gap $gap s" >&2
done

python3 - "$work/runs" "$OUT" <<'EOF'
import json, sys, time
sys.path.insert(0, "bench")
from results import load, percentile, save
rows, out_f = [l.split(" ", 6) for l in open(sys.argv[1]) if l.strip()], sys.argv[2]
gaps, moves, steps = [], [], {}
for run, frm, to, gap, after, t0, move in rows:
    m = json.loads(move)
    if gap != "-":
        gaps.append(float(gap))
    at = {s["state"]: s["at_usec"] for s in m.get("steps", [])}
    if "planned" in at and "done" in at:
        moves.append(round((at["done"] - at["planned"]) / 1e6, 3))
    for a, b in (("releasing", "released"), ("acquiring", "done")):
        if a in at and b in at:
            steps.setdefault("%s_s" % a, []).append(round((at[b] - at[a]) / 1e6, 3))
res = {
    "what": "planned migration (vsadm vserver migrate) of one VS between two nodes: the client-visible gap, and the move from its journal",
    "method": "lab, 3 nodes, fencing on, 1 VS (one LUN, VIP, NFS export); %d migrations n1<->n2; the client polls every 10 ms: TCP connect to VIP:2049 then nfs-cat of a file, a fresh libnfs NFSv4.0 client each time; gap = the longest time between two successful reads from the last one before the command to the first one after the move was done; move = planned to done in the journal (vsadm move show)" % len(rows),
    "runs": len(rows),
    "gap_s": {"each": gaps, "p50": percentile(sorted(gaps), 50), "max": max(gaps) if gaps else None},
    "move_s": {"each": moves, "p50": percentile(sorted(moves), 50), "max": max(moves) if moves else None},
    "release_s": {"p50": percentile(sorted(steps.get("releasing_s", [])), 50), "each": steps.get("releasing_s", [])},
    "acquire_s": {"p50": percentile(sorted(steps.get("acquiring_s", [])), 50), "each": steps.get("acquiring_s", [])},
    "client": "fresh (no state to reclaim): it waits for the new ganesha's grace when the recovery records name earlier clients",
    "target": {"fresh_client_gap_s": "grace + 1 = 16", "reclaiming_client_gap_p50_s": 2},
    "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
}
doc = load(out_f)
doc["migrate"] = res
save(out_f, doc)
print("planned migration, %d runs: gap p50 %s s, max %s s; move p50 %s s (release p50 %s s, acquire p50 %s s)"
      % (len(rows), res["gap_s"]["p50"], res["gap_s"]["max"], res["move_s"]["p50"], res["release_s"]["p50"], res["acquire_s"]["p50"]))
sys.exit(0 if len(gaps) == len(rows) else 1)
EOF
