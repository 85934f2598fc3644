#!/bin/bash
# Port failover latency (DESIGN R2): pull the cable of the port that carries a
# VS's VIPs, while a client keeps NFS traffic on them, and measure, from the
# client's side by packet capture, the time from the pull to the first
# announcement (gratuitous ARP / unsolicited NA) of each VIP on its new port.
#
#   bench/netfail.sh [PULLS]        (default 20; writes bench/results.json)
#
# The pull instant is taken just before ip(8) sets the switch side of the
# port down, so each figure also holds ip's own start-up (about 1 ms here):
# the numbers are, if anything, pessimistic. Runs on the optimised build.
set -euo pipefail
cd "$(dirname "$0")/.."
PULLS=${1:-20}
. bench/lib.sh
bench_init netfail
VIPS=(192.0.2.51 192.0.2.52 2001:db8:1::51)
L() { V n1 "$@"; }

$APPLAB down >/dev/null 2>&1 || true
$APPLAB up --nodes 1 --luns 1 >/dev/null
L fgroup create pub --ports eth1,eth2 >/dev/null
L vserver create vs1 >/dev/null
L vip add vs1 192.0.2.51/24 --home-port eth1 --no-auto-revert >/dev/null
L vip add vs1 192.0.2.52/24 --home-port eth1 --no-auto-revert >/dev/null
L vip add vs1 2001:db8:1::51/64 --home-port eth1 --no-auto-revert >/dev/null
L fs add vs1 data --lun LABEL=lab-lun0 >/dev/null
L export add vs1 /data --fs data >/dev/null
L vserver start vs1 >/dev/null
# The blob is written on the node, in the data/ tree the export shows (libnfs 4.0's nfs-cp fails writes of 4 KiB
# and more before sending them; reads are what the load needs).
$APPLAB exec n1 sh -c 'head -c 4194304 /dev/urandom >/run/appliance/mnt/vs1/data/data/blob && chmod 644 /run/appliance/mnt/vs1/data/data/blob'

# Load on the port: the client reads the blob over and over.
(
	while :; do
		$APPLAB client nfs-cat 'nfs://192.0.2.51/data/blob?version=4' >/dev/null 2>&1 || sleep 0.05
	done
) &
bench_bg $!

capture_start "$work/cap.txt"
# Every VIP on the other port before plugging back.
left_on() { L vip show vs1 --json | jq --arg p "$1" '[.[] | select(.port == $p)] | length'; }
PULL_PORT=$(L vip show vs1 --json | jq -r '.[0].port')
pull_series "$work/pulls.txt" "$PULLS" left_on 1
capture_stop

# For each pull and each VIP: the first announcement after the pull.
python3 - "$work/pulls.txt" "$work/cap.txt" "$OUT" "$PULLS" "${VIPS[@]}" <<'EOF'
import sys, time
sys.path.insert(0, "bench")
from results import announcements, load, percentile, save
pulls_f, cap_f, out_f, n_pulls, vips = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
pulls = [float(l.split()[0]) for l in open(pulls_f) if l.strip()]
events = announcements(cap_f)
lat, missing, per = [], 0, {v: [] for v in vips}
for k, t0 in enumerate(pulls):
    t1 = pulls[k + 1] if k + 1 < len(pulls) else float('inf')
    for v in vips:
        firsts = [t for (t, a) in events if a == v and t0 <= t < t1]
        if firsts:
            lat.append((min(firsts) - t0) * 1000.0)
            per[v].append(lat[-1])
        else:
            missing += 1
lat.sort()
res = {
    "what": "port failover: cable pull to the first announcement of each VIP on its new port, seen by the client",
    "method": "lab, 1 node, 3 VIPs (2 IPv4, 1 IPv6) of one VS under NFS read load; %d pulls alternating eth1/eth2; tcpdump -tt in the client namespace; pull time taken before ip(8) sets the switch side down" % n_pulls,
    "samples": len(lat), "missing": missing,
    "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99), "max_ms": round(lat[-1], 2) if lat else None,
    "min_ms": round(lat[0], 2) if lat else None,
    "target": {"p50_ms": 10, "p99_ms": 50},
    "per_vip_median_ms": {v: (round(sorted(x)[len(x) // 2], 2) if x else None) for v, x in per.items()},
    "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
}
doc = load(out_f)
doc["netfail"] = res
save(out_f, doc)
print("port failover, %d samples (%d missing): p50 %s ms, p99 %s ms, max %s ms (target p50 <= 10, p99 <= 50)"
      % (len(lat), missing, res["p50_ms"], res["p99_ms"], res["max_ms"]))
sys.exit(0 if lat and missing == 0 else 1)
EOF
