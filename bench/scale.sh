#!/bin/bash
# Scale of the configuration (issue 8, item 7): on a 3-node lab, define up to
# N VSs (each a VIP; a file system on its own LUN and an NFS export for the
# first LUNS of them: a LUN belongs to one VS, and the lab has LUNS), none
# started; then make CHANGES more changes (`vip add` of a second VIP) on n2
# and measure, for each, the time until every node shows it, and the bytes
# n2 sent through corosync for it; applianced's RSS on each node before and
# with the VSs defined; and the cost of each definition step as it grows.
#
#   bench/scale.sh [N] [CHANGES] [LUNS]   (defaults 1000, 20, 30; N is cut to
#                                          what the model accepts; writes
#                                          bench/results.json: scale)
#
# How: the definitions run in one shell inside n2 (vsadm per step, timed
# there). For a change, a poller in n1 and one in n3 (vsadm vip show VS
# --json until the new VIP is in it, 2 ms apart; poll_ms says what one poll
# costs) start first; n2 times
# `vsadm vip add` itself (it returns once n2 applied the change). One clock:
# the lab's namespaces share the host's CLOCK_REALTIME. Bytes: the sum of
# n2's knet tx_data_bytes (corosync-cmapctl -m stats) over the change, less
# the idle rate over the same time; beside it the size of the configuration
# document (what a "cfg" message carried before changes travelled as deltas).
# Optimised build.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
CHANGES=${2:-20}
LUNS=${3:-30}
. bench/lib.sh
bench_init scale
((N >= CHANGES && CHANGES >= 1 && LUNS >= 1 && LUNS <= 64)) || { echo "need N >= CHANGES >= 1, LUNS 1..64" >&2; exit 2; }
((LUNS <= N)) || LUNS=$N

# n2's knet bytes sent, all peers and links.
tx_bytes() {
	$APPLAB exec n2 corosync-cmapctl -m stats 2>/dev/null |
		awk -F' = ' '/^stats\.knet\.node[0-9]+\.link[0-9]+\.tx_data_bytes / {s += $2} END {printf "%d\n", s}'
}
# The whole configuration as stored: the header row and one row per VS.
config_bytes() { sqlite3 /var/lib/applab/nodes/n2/lib/state.db 'select (select coalesce(sum(length(doc)), 0) from config) + (select coalesce(sum(length(doc)), 0) from config_vs)'; }

$APPLAB down >/dev/null 2>&1 || true
$APPLAB up --nodes 3 --luns "$LUNS" >/dev/null
for n in n1 n2 n3; do rss_kib $n; done >"$work/rss0"

# The definitions, in one shell in n2: "i create_us vip_us fs_us export_us" per VS;
# the first refusal ends them ("refused i message" on stderr).
t_def=$EPOCHREALTIME
$APPLAB exec n2 bash -c '
	N=$1 LUNS=$2
	us() { local t=${EPOCHREALTIME/./}; echo $((t - $1)); }
	step() { local t=${EPOCHREALTIME/./} e; e=$(vsadm "$@" 2>&1 >/dev/null) || { echo "$e" >&2; return 1; }; us $t; }
	for ((i = 0; i < N; i++)); do
		c=$(step vserver create s$i) || { echo "refused $i" >&2; break; }
		v=$(step vip add s$i 2001:db8:1::3:$i/64 --home-port eth1) || { echo "refused $i" >&2; break; }
		f=0 x=0
		if ((i < LUNS)); then
			f=$(step fs add s$i data --lun LABEL=lab-lun$i) || { echo "refused $i" >&2; break; }
			x=$(step export add s$i /data --fs data) || { echo "refused $i" >&2; break; }
		fi
		echo "$i $c $v $f $x"
	done' _ "$N" "$LUNS" >"$work/define" 2>"$work/define.err" || true
t_def=$(echo "$EPOCHREALTIME - $t_def" | bc)
defined=$(wc -l <"$work/define")
echo "defined $defined VSs in $t_def s" >&2
((defined >= CHANGES)) || { echo "only $defined VSs defined:" >&2; cat "$work/define.err" >&2; exit 1; }
sleep 2
for n in n1 n2 n3; do rss_kib $n; done >"$work/rss1"
config_bytes >"$work/config_bytes"

# Idle corosync traffic from n2, bytes per second over 5 s.
b0=$(tx_bytes) s0=$EPOCHREALTIME
sleep 5
idle=$(echo "($(tx_bytes) - $b0) / ($EPOCHREALTIME - $s0)" | bc)

: >"$work/changes"
for k in $(seq 0 $((CHANGES - 1))); do
	addr=2001:db8:1::4:$k
	for n in n1 n3; do
		timeout 30 $APPLAB exec $n bash -c 'until vsadm vip show "$1" --json | grep -q "\"$2\""; do sleep 0.002; done; echo $EPOCHREALTIME' \
			_ "s$k" "$addr" >"$work/seen.$n" &
		bench_bg $!
	done
	sleep 0.5
	b0=$(tx_bytes) s0=$EPOCHREALTIME
	read -r t0 t2 < <($APPLAB exec n2 bash -c 't=$EPOCHREALTIME; vsadm vip add "$1" "$2/64" --home-port eth1 >/dev/null && echo $t $EPOCHREALTIME' _ "s$k" "$addr")
	[ -n "${t2:-}" ] || { echo "change $k on n2 failed" >&2; exit 1; }
	wait "${BENCH_PIDS[@]: -2}" || { echo "change $k: not seen on every node within 30 s" >&2; exit 1; }
	sleep 0.2
	b=$(echo "$(tx_bytes) - $b0 - $idle * ($EPOCHREALTIME - $s0)" | bc)
	echo "$t0 $t2 $(cat "$work/seen.n1") $(cat "$work/seen.n3") $b" >>"$work/changes"
done
for n in n1 n2 n3; do rss_kib $n; done >"$work/rss2"
# What one poll costs (the pollers' resolution): 10 of them on n1.
$APPLAB exec n1 bash -c 't=${EPOCHREALTIME/./}; for i in 1 2 3 4 5 6 7 8 9 10; do vsadm vip show s0 --json >/dev/null; done; echo $(((${EPOCHREALTIME/./} - t) / 10))' >"$work/poll_us"

python3 - "$work" "$OUT" "$N" "$LUNS" "$t_def" "$idle" <<'EOF'
import sys, time
sys.path.insert(0, "bench")
from results import load, percentile, save
work, out_f, asked, luns, t_def, idle = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
define = [list(map(int, l.split())) for l in open(work + "/define") if l.strip()]
refusal = open(work + "/define.err").read().strip()
rss0 = [int(x) for x in open(work + "/rss0").read().split()]
rss1 = [int(x) for x in open(work + "/rss1").read().split()]
rss2 = [int(x) for x in open(work + "/rss2").read().split()]
changes = [list(map(float, l.split())) for l in open(work + "/changes") if l.strip()]
lat = sorted((max(c[1], c[2], c[3]) - c[0]) * 1000.0 for c in changes)
per_node = {n: sorted((c[i] - c[0]) * 1000.0 for c in changes) for n, i in (("n2", 1), ("n1", 2), ("n3", 3))}
bts = sorted(c[4] for c in changes)

def step_ms(rows, col):
    """Median cost of one step (ms) over each tenth of the definitions."""
    out, n = [], len(rows)
    for d in range(10):
        part = sorted(r[col] for r in rows[d * n // 10:(d + 1) * n // 10] if r[col])
        if part:
            out.append({"vservers_before": rows[d * n // 10][0], "p50_ms": round(part[len(part) // 2] / 1000.0, 2)})
    return out

res = {
    "what": "one configuration change at N VSs applied on all three nodes; applianced RSS with N VSs defined; the cost of defining them",
    "method": "lab, 3 nodes; N VSs defined through vsadm on n2 (each: vserver create, vip add IPv6 on eth1; the first %d also fs add on their own LUN and export add), none started; then %d changes (vip add of a second VIP to s0..s%d) on n2: time from issuing it on n2 until vip show on n1 and n3 lists it (pollers in the nodes, vsadm every 2 ms) and vsadm on n2 returned; bytes: n2's knet tx_data_bytes over the change minus the idle rate (%d B/s) times its duration (sent to 2 peers); config_doc_bytes: length of the stored configuration document, what one cfg message carries today; RSS: VmRSS of applianced from /proc" % (luns, len(changes), len(changes) - 1, idle),
    "vservers_asked": asked, "vservers_defined": len(define), "vservers_with_fs": min(luns, len(define)),
    "refusal": refusal or None,
    "definition_s": round(t_def, 1),
    "definition_step_ms": {"vserver_create": step_ms(define, 1), "vip_add": step_ms(define, 2)},
    "change_ms": {"p50": percentile(lat, 50), "max": round(lat[-1], 2) if lat else None,
                  "per_node_p50": {n: percentile(v, 50) for n, v in per_node.items()}},
    "poll_ms": round(int(open(work + "/poll_us").read()) / 1000.0, 2),
    "change_bytes": percentile(bts, 50),
    "change_bytes_range": [round(bts[0]), round(bts[-1])] if bts else None,
    "config_doc_bytes": int(open(work + "/config_bytes").read().strip() or 0),
    "rss_kib": {"empty": dict(zip(("n1", "n2", "n3"), rss0)), "defined": dict(zip(("n1", "n2", "n3"), rss1)),
                "after_changes": dict(zip(("n1", "n2", "n3"), rss2)), "max": max(rss1 + rss2)},
    "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
}
doc = load(out_f)
doc["scale"] = res
save(out_f, doc)
print("configuration scale: %d VSs defined in %.1f s (%s); one change on 3 nodes: p50 %s ms, max %s ms, %s bytes sent (config document %d bytes); RSS KiB %s"
      % (len(define), t_def, refusal.splitlines()[0] if refusal else "all accepted", res["change_ms"]["p50"], res["change_ms"]["max"],
         res["change_bytes"], res["config_doc_bytes"], res["rss_kib"]["defined"]))
EOF
