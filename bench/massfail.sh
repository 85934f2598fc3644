#!/bin/bash
# Mass failover (issue 8, DESIGN R4): a 3-node lab with fencing (every
# node's BMC as its fence device, as applab up sets it), NVS VSs homed and
# running on n1 (one LUN, VIP and NFS export each, a file written on each);
# `applab node n1 kill`; the time from the kill until each VS serves a fresh
# libnfs client again (nfs-cat of its file) on a peer: first, last, and how
# they spread over n2/n3; and, by packet capture, when each VIP was
# announced on its new node.
#
#   bench/massfail.sh [NVS]   (default 30; writes bench/results.json: massfail)
#
# Each VS has its own poller from the client, started right after the kill
# returns (threads of one process, below); a VS's time is the end of its
# first successful nfs-cat. The kill instant is taken before `applab node n1
# kill` starts. Optimised build.
set -euo pipefail
cd "$(dirname "$0")/.."
NVS=${1:-30}
. bench/lib.sh
bench_init massfail
((NVS >= 1 && NVS <= 60)) || { echo "NVS must be 1..60" >&2; exit 2; }
vip() { echo "192.0.2.$((120 + $1))"; }

t_setup=$EPOCHREALTIME
$APPLAB down >/dev/null 2>&1 || true
$APPLAB up --nodes 3 --luns "$NVS" >/dev/null
fenced=$(V n2 cluster show --json | jq '[.nodes[] | select(.fence_device)] | length')
vss=()
for i in $(seq 0 $((NVS - 1))); do
	vss+=("f$i")
	V n2 vserver create "f$i" --home n1 >/dev/null
	V n2 vip add "f$i" "$(vip "$i")/24" --home-port eth1 >/dev/null
	V n2 fs add "f$i" data --lun "LABEL=lab-lun$i" >/dev/null
	V n2 export add "f$i" /data --fs data >/dev/null
done
for vs in "${vss[@]}"; do V n2 vserver start "$vs" --no-wait >/dev/null; done
wait_running n2 300 "${vss[@]}"
# The files are written on the node, in the data/ tree the export shows: an NFS
# client before the kill would be in the recovery records, and ganesha would
# then hold every fresh client for the whole grace period (15 s) after the
# takeover, waiting for that client to reclaim.
for i in $(seq 0 $((NVS - 1))); do
	[ "$(node_of n2 "f$i")" = n1 ] || { echo "f$i runs on $(node_of n2 "f$i"), not n1" >&2; exit 1; }
	$APPLAB exec n1 sh -c 'echo "$1" >"/run/appliance/mnt/$1/data/data/f.txt" && chmod 644 "/run/appliance/mnt/$1/data/data/f.txt"' _ "f$i"
done
echo "set up in $(echo "$EPOCHREALTIME - $t_setup" | bc) s: $NVS VSs on n1, $fenced nodes with a fence device" >&2

# The pollers: one thread per VS in one Python process in the client namespace
# (30 shell loops forking every 0.1 s would load the 2 cores the takeover
# runs on). Each: a TCP connect to VIP:2049 (0.2 s deadline) every 0.05 s,
# and once it connects, nfs-cat of its file (5 s deadline); the end of the
# first read that returns the file's content is the VS's time ("I time").
POLLER='
import socket, subprocess, sys, threading, time
out, lock = open(sys.argv[1], "w"), threading.Lock()
def poll(i, ip):
    end = time.time() + 120
    while time.time() < end:
        try:
            socket.create_connection((ip, 2049), timeout=0.2).close()
            r = subprocess.run(["nfs-cat", "nfs://%s/data/f.txt?version=4" % ip],
                               capture_output=True, timeout=5)
            if r.returncode == 0 and r.stdout.strip() == b"f%d" % i:
                with lock:
                    out.write("%d %.6f\n" % (i, time.time()))
                    out.flush()
                return
        except (OSError, subprocess.TimeoutExpired):
            pass
        time.sleep(0.05)
ts = [threading.Thread(target=poll, args=(i, ip)) for i, ip in enumerate(sys.argv[2:])]
for t in ts:
    t.start()
for t in ts:
    t.join()
'

capture_start "$work/cap.txt"
$APPLAB exec n1 sync
t0=$EPOCHREALTIME
$APPLAB node n1 kill >/dev/null
t_killed=$EPOCHREALTIME
ip netns exec c1 python3 -c "$POLLER" "$work/done" $(for i in $(seq 0 $((NVS - 1))); do vip "$i"; done)
: >"$work/samples"
for i in $(seq 0 $((NVS - 1))); do
	t=$(awk -v i="$i" '$1 == i {print $2}' "$work/done")
	[ -n "$t" ] && t=$(echo "$t - $t0" | bc) || t=-
	echo "f$i $t $(node_of n2 "f$i")" >>"$work/samples"
done
capture_stop
V n2 event show --last 400 >"$work/events.txt" 2>&1 || true

python3 - "$work" "$OUT" "$NVS" "$(echo "$t_killed - $t0" | bc)" "$fenced" "$t0" <<'EOF'
import collections, sys, time
sys.path.insert(0, "bench")
from results import announcements, first_after, load, percentile, save
work, out_f, nvs, kill_s, fenced, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
rows = [l.split() for l in open(work + "/samples") if l.strip()]
vips = ["192.0.2.%d" % (120 + i) for i in range(nvs)]
up = first_after(announcements(work + "/cap.txt"), t0, float("inf"))
ann = sorted((up[v] - t0) for v in vips if v in up)
t = sorted(float(r[1]) for r in rows if r[1] != "-")
spread = collections.Counter(r[2] for r in rows)
res = {
    "what": "mass failover: a node running %d VSs killed; time from the kill until each serves a fresh libnfs client on a peer" % nvs,
    "method": "lab, 3 nodes, fencing through each node's lab BMC (%d nodes with a fence device), %d VSs on n1, one LUN (ext4 MMP), VIP and NFS export each; applab node n1 kill; one poller per VS from the client in parallel (threads of one process): TCP connect to VIP:2049 (0.2 s deadline, every 0.05 s), then nfs-cat of its file (5 s deadline); a VS's time is the end of its first successful read; the kill time taken before applab node kill starts (which itself took %.2f s)" % (fenced, nvs, kill_s),
    "vservers": nvs, "served": len(t),
    "first_s": round(t[0], 2) if t else None, "last_s": round(t[-1], 2) if t else None,
    "p50_s": percentile(t, 50),
    "spread": dict(sorted(spread.items())),
    "vip_announced_s": {"first": round(ann[0], 2) if ann else None, "last": round(ann[-1], 2) if ann else None,
                        "count": len(ann),
                        "how": "first gratuitous ARP of each VIP after the kill, seen by tcpdump in the client namespace"},
    "files": "written on n1 before the kill (no NFS client before it, so no client to wait for in grace)",
    "each_s": {r[0]: (float(r[1]) if r[1] != "-" else None) for r in rows},
    "target": {"last_s": 5},
    "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
}
doc = load(out_f)
doc["massfail"] = res
save(out_f, doc)
print("mass failover, %d VSs: served %d, first %s s, p50 %s s, last %s s, spread %s (target last <= 5 s); VIPs announced %s..%s s"
      % (nvs, len(t), res["first_s"], res["p50_s"], res["last_s"], res["spread"],
         res["vip_announced_s"]["first"], res["vip_announced_s"]["last"]))
sys.exit(0 if len(t) == nvs else 1)
EOF
