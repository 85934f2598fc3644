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
APPLAB=images/lab/applab
export APPLAB_BIN=${APPLAB_BIN:-$PWD/build}
OUT=bench/results.json
VIPS=(192.0.2.51 192.0.2.52 2001:db8:1::51)
work=$(mktemp -d /tmp/bench-netfail.XXXXXX)
tcpdump_pid= load_pid=

cleanup() {
	[ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
	[ -n "$tcpdump_pid" ] && kill "$tcpdump_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	$APPLAB down >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

L() { $APPLAB exec n1 vsadm "$@"; }

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
# The blob is written on the node (libnfs 4.0's nfs-cp fails writes of 4 KiB
# and more before sending them; reads are what the load needs).
$APPLAB exec n1 sh -c 'head -c 4194304 /dev/urandom >/run/appliance/mnt/vs1/data/blob && chmod 644 /run/appliance/mnt/vs1/data/blob'

# Load on the port: the client reads the blob over and over.
(
	while :; do
		$APPLAB client nfs-cat 'nfs://192.0.2.51/data/blob?version=4' >/dev/null 2>&1 || sleep 0.05
	done
) &
load_pid=$!

# Capture every ARP and neighbour advertisement the client sees, with kernel timestamps.
$APPLAB client tcpdump -i eth0 -n -l -tt -U 'arp or (icmp6 and ip6[40] == 136)' \
	>"$work/cap.txt" 2>"$work/tcpdump.err" &
tcpdump_pid=$!
sleep 1

where() { L vip show vs1 --json | jq -r '.[0].port'; }
port=$(where)
: >"$work/pulls.txt"
for i in $(seq "$PULLS"); do
	other=eth2
	[ "$port" = eth2 ] && other=eth1
	t0=$EPOCHREALTIME
	ip link set dev "n1-$port" down
	# Wait until every VIP is on the other port (bounded), then plug back.
	for _ in $(seq 100); do
		[ "$(L vip show vs1 --json | jq -r --arg p "$other" '[.[] | select(.port != $p)] | length')" = 0 ] && break
		sleep 0.05
	done
	echo "$t0 $port $other" >>"$work/pulls.txt"
	ip link set dev "n1-$port" up
	sleep 1
	port=$other
done
sleep 0.5
kill "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=

# For each pull and each VIP: the first announcement after the pull.
python3 - "$work/pulls.txt" "$work/cap.txt" "$OUT" "$PULLS" "${VIPS[@]}" <<'EOF'
import re, sys, time
sys.path.insert(0, "bench")
from results import load, percentile, save
pulls_f, cap_f, out_f, n_pulls, vips = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
pulls = [float(l.split()[0]) for l in open(pulls_f) if l.strip()]
events = []  # (time, vip)
for line in open(cap_f):
    m = re.match(r'(\d+\.\d+) ', line)
    if not m:
        continue
    t = float(m.group(1))
    g = re.search(r'Request who-has (\S+) tell (\S+),', line)
    if g and g.group(1) == g.group(2):
        events.append((t, g.group(1)))
        continue
    g = re.search(r'neighbor advertisement, tgt is (\S+),', line)
    if g:
        events.append((t, g.group(1)))
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
