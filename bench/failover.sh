#!/bin/bash
# Unclean node failover (DESIGN R4): the time from `applab node NODE kill` to
# the first successful NFS read, from the client, of each virtual server that
# ran on the killed node.
#
#   bench/failover.sh [RUNS]        (default 5; writes bench/results.json)
#
# The client is libnfs (a fresh client: it holds no NFSv4 state to reclaim).
# The reclaiming client (a real Linux NFS client in a qemu guest) is measured
# by bench/reclaim.sh. Runs on the optimised build.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
APPLAB=images/lab/applab
export APPLAB_BIN=${APPLAB_BIN:-$PWD/build}
OUT=bench/results.json
work=$(mktemp -d /tmp/bench-failover.XXXXXX)

cleanup() {
	$APPLAB down >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

. bench/lab-two-vs.sh

lab_two_vs
for i in 0 1; do
	echo "vs$i" >"$work/f"
	$APPLAB client nfs-cp "$work/f" "nfs://192.0.2.7$i/data/f.txt?version=4" >/dev/null
done
: >"$work/samples"
for run in $(seq "$RUNS"); do
	victim=$(node_of n2 vs0)
	[ "$victim" = n2 ] && ask=n3 || ask=n2
	vss=()
	for i in 0 1; do [ "$(node_of "$ask" vs$i)" = "$victim" ] && vss+=("$i"); done
	$APPLAB exec "$victim" sync
	t0=$EPOCHREALTIME
	$APPLAB node "$victim" kill >/dev/null
	declare -A done_at=()
	while ((${#done_at[@]} < ${#vss[@]})); do
		for i in "${vss[@]}"; do
			[ -n "${done_at[$i]:-}" ] && continue
			if timeout 2 $APPLAB client nfs-cat "nfs://192.0.2.7$i/data/f.txt?version=4" >/dev/null 2>&1; then
				done_at[$i]=$EPOCHREALTIME
				echo "$run $victim vs$i $(echo "${done_at[$i]} - $t0" | bc)" | tee -a "$work/samples"
			fi
		done
		if (($(echo "$EPOCHREALTIME - $t0 > 180" | bc))); then
			echo "run $run: gave up after 180 s" >&2
			break
		fi
		sleep 0.1
	done
	unset done_at
	# What the cluster did, for a run that stands out.
	$APPLAB exec "$ask" vsadm event show --last 60 >"$work/events.$run" 2>&1 || true
	$APPLAB node "$victim" start >/dev/null
	# Let the node rejoin before the next kill.
	for _ in $(seq 100); do
		[ "$($APPLAB exec "$victim" vsadm cluster show --json 2>/dev/null | jq -r .quorate)" = true ] && break
		sleep 0.2
	done
	sleep 2
done

# Runs more than 3 s above the median: show their event logs.
med=$(cut -d' ' -f4 "$work/samples" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
while read -r run _ vs t; do
	if (($(echo "$t > $med + 3" | bc))); then
		echo "run $run ($vs, $t s, median $med s) stands out; its events:" >&2
		cat "$work/events.$run" >&2
	fi
done <"$work/samples"

python3 - "$work/samples" "$OUT" "$RUNS" <<'EOF'
import os, sys, time
sys.path.insert(0, "bench")
from results import load, percentile, save
samples_f, out_f, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
fencing = os.environ.get("FENCE", "1") == "1"
s = sorted(float(l.split()[3]) for l in open(samples_f) if l.strip())
res = {
    "what": "unclean node failover: applab node kill to the first successful NFS read of each VS of the killed node",
    "method": "lab, 3 nodes (corosync token 1000 ms, knet), ext4 MMP (kernel floor: 2 x 5 s + 1, twice, after an unclean stop), %d kills of the node running vs0; libnfs nfs-cat polled every 0.1 s from the client namespace" % runs,
    "fencing": ("each node's lab BMC (ipmi_sim) as fence device, fence_ipmilan; ext4 MMP reset after the fence"
                if fencing else "none: the takeover waits for ext4 MMP"),
    "fresh_client": {"samples": len(s), "p50_s": percentile(s, 50), "max_s": round(s[-1], 2) if s else None,
                     "min_s": round(s[0], 2) if s else None},
    "reclaiming_client": "see bench/reclaim.sh (make bench-failover runs it after this script)",
    "target_s": 15,
    "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
}
doc = load(out_f)
# Keep what other benchmarks wrote under "failover" (the reclaiming client).
old = doc.get("failover", {})
for k in ("reclaiming_client", "reclaiming_client_without_fencing", "fresh_client_without_fencing"):
    if isinstance(old.get(k), dict):
        res[k] = old[k]
if not fencing:
    # Kept beside the figures with fencing, not in their place.
    res, new = dict(old), res
    res["fresh_client_without_fencing"] = dict(new["fresh_client"], method=new["method"], when=new["when"])
doc["failover"] = res
save(out_f, doc)
print("node failover, fresh client, %d samples: p50 %s s, min %s s, max %s s (target 15 s for a reclaiming client)"
      % (len(s), res["fresh_client"]["p50_s"], res["fresh_client"]["min_s"], res["fresh_client"]["max_s"]))
EOF
