#!/bin/bash
# Unclean node failover as seen by a client that reclaims its NFSv4 state
# (DESIGN section 11): a qemu guest running Debian's kernel NFS client
# (images/guest) mounts vs0's export with NFSv4.1 (hard), and every 0.2 s
# reads a file and appends + fsyncs a line to a file it keeps open. Each run
# kills the node running vs0 (`applab node NODE kill`) and measures, on the
# host clock, the time from the kill to the end of the first write+fsync that
# the guest started after the kill and that succeeded (the gap the client
# sees; a hard mount blocks rather than fails). The killed node is started
# again and the cluster left to settle before the next run.
#
#   bench/reclaim.sh [RUNS]        (default 5; merges into bench/results.json
#                                   under failover.reclaiming_client)
#   MODE=migrate bench/reclaim.sh [RUNS]
#                                   a planned migration of vs0 to another node
#                                   (vsadm vserver migrate) instead of the kill;
#                                   under migrate.reclaiming_client
#
# Needs root, /dev/kvm for a quick boot (else ~40 s of software emulation),
# and the guest image (images/guest/build, built here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
MODE=${MODE:-kill}
case $MODE in kill | migrate) ;; *) echo "MODE must be kill or migrate" >&2; exit 2 ;; esac
APPLAB=images/lab/applab
export APPLAB_BIN=${APPLAB_BIN:-$PWD/build}
OUT=bench/results.json
TAP=${GUEST_TAP:-gtap0}
GUEST_IP=192.0.2.150/24
VIP=192.0.2.70
work=$(mktemp -d /tmp/bench-reclaim.XXXXXX)
stamper=

cleanup() {
	set +e
	images/guest/stop "$TAP" >/dev/null 2>&1
	if [ -n "$stamper" ]; then
		pkill -P "$stamper" 2>/dev/null
		kill "$stamper" 2>/dev/null
	fi
	$APPLAB down >/dev/null 2>&1
	if [ -n "${KEEP_WORK:-}" ]; then echo "work files kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. bench/lab-two-vs.sh
now() { echo "$EPOCHREALTIME"; }
since() { echo "$EPOCHREALTIME - $1" | bc; }

images/guest/build >/dev/null

lab_two_vs

# The guest. Its serial log is stamped on arrival with the host clock, so
# every time below is on one clock (the kill time is the host's).
log=$work/guest.log
ts=$work/guest.ts
t_qemu=$(now)
qpid=$(images/guest/run "$TAP" "$GUEST_IP" "$VIP" /data "$log")
accel=$(cat /run/appliance-guest/$TAP.accel)
case $accel in *kvm*) accel=KVM ;; *) accel="software emulation (TCG)" ;; esac
echo "guest: qemu pid $qpid, $accel" >&2
: >"$ts"
(tail -n +1 -F "$log" 2>/dev/null | while IFS= read -r l; do
	printf '%s %s\n' "$EPOCHREALTIME" "${l%$'\r'}"
done >>"$ts") &
stamper=$!

# Wait for the mount and for probes to succeed.
for _ in $(seq 1800); do
	grep -q ' PROBE [0-9.]* ok [0-9]* write' "$ts" && break
	kill -0 "$qpid" 2>/dev/null || { echo "qemu died:" >&2; cat "$log.qemu" "$log" >&2; exit 1; }
	sleep 0.1
done
grep -q ' PROBE [0-9.]* ok [0-9]* write' "$ts" || { echo "the guest never probed ok:" >&2; tail -30 "$log" >&2; exit 1; }
t_boot=$(awk '/NFSCLIENT boot done/ {print $1; exit}' "$ts")
t_mount=$(awk '/NFSCLIENT mounted/ {print $1; exit}' "$ts")
t_ok=$(awk '/ PROBE [0-9.]* ok [0-9]* write/ {print $1; exit}' "$ts")
boot_s=$(echo "$t_boot - $t_qemu" | bc)
mount_s=$(echo "$t_mount - $t_qemu" | bc)
firstok_s=$(echo "$t_ok - $t_qemu" | bc)
printf 'guest: probe service started %.1f s after qemu, mounted at %.1f s, first ok write at %.1f s\n' \
	"$boot_s" "$mount_s" "$firstok_s" >&2

# healthy N: the last N write probes each took under 500 ms, the newest under 1 s old.
healthy() {
	awk -v n="$1" -v now="$EPOCHREALTIME" '
		/ PROBE / && $NF == "write" { i++; t[i] = $1; ok[i] = ($4 == "ok" && $5 < 500) }
		END {
			if (i < n || now - t[i] > 1) exit 1
			for (k = i - n + 1; k <= i; k++) if (!ok[k]) exit 1
		}' "$ts"
}

# settle: every node quorate, both VSs running, the guest probing fine.
settle() {
	local deadline=$((SECONDS + 240)) n i good
	while ((SECONDS < deadline)); do
		good=1
		for n in n1 n2 n3; do
			[ "$($APPLAB exec $n vsadm cluster show --json 2>/dev/null | jq -r .quorate)" = true ] || good=
		done
		for i in 0 1; do [ "$(state_of n2 vs$i)" = running ] || good=; done
		healthy 10 || good=
		[ -n "$good" ] && return 0
		sleep 0.5
	done
	return 1
}

settle || { echo "the cluster did not settle before the first run" >&2; exit 1; }
sleep 3
settle

: >"$work/samples"
for run in $(seq "$RUNS"); do
	victim=$(node_of n2 vs0)
	[ "$victim" = n2 ] && ask=n3 || ask=n2
	healthy 5 || { echo "run $run: guest not healthy before the kill" >&2; exit 1; }
	$APPLAB exec "$victim" sync
	if [ "$MODE" = migrate ]; then
		for target in n1 n2 n3; do [ "$target" != "$victim" ] && break; done
		t0=$(now)
		$APPLAB exec "$ask" vsadm vserver migrate vs0 --to "$target" >/dev/null
	else
		t0=$(now)
		$APPLAB node "$victim" kill >/dev/null
	fi
	# First successful write+fsync started after the kill (host clock:
	# arrival of its line minus its duration).
	res=
	while :; do
		res=$(awk -v t0="$t0" '
			/ PROBE / {
				start = $1 - $5 / 1000
				if ($1 > t0 && $4 == "fail" && !ff) ff = $1
				if ($1 > t0 && $5 >= 1000 && !fs) fs = start
				if ($4 == "ok" && start >= t0) {
					if ($NF == "read" && !rd) rd = $1
					if ($NF == "write") { printf "%.3f %.3f %.3f %.3f\n", $1 - t0, (fs ? fs - t0 : -1), (ff ? ff - t0 : -1), (rd ? rd - t0 : -1); exit }
				}
			}' "$ts")
		[ -n "$res" ] && break
		if (($(echo "$(since "$t0") > 240" | bc))); then
			echo "run $run: no successful write 240 s after the kill" >&2
			break
		fi
		sleep 0.1
	done
	new=$(node_of "$ask" vs0 2>/dev/null || echo '?')
	if [ -n "$res" ]; then
		read -r gap stall fail rd <<<"$res"
		echo "$run $victim $new $gap $stall $fail $rd" >>"$work/samples"
		printf 'run %d: killed %s, vs0 now on %s: write gap %.2f s (stall began %+.2f s, first read ok %.2f s, first fail %s)\n' \
			"$run" "$victim" "$new" "$gap" "$stall" "$rd" "$([ "$fail" = -1.000 ] && echo none || echo "$fail s")" >&2
	fi
	[ "$MODE" = migrate ] || $APPLAB node "$victim" start >/dev/null
	settle || { echo "run $run: the cluster did not settle after restarting $victim" >&2; exit 1; }
	# A failback of vs0 to its home, if the placement does one, happens here:
	# wait until vs0 stays put for 5 s with the cluster settled.
	for _ in $(seq 10); do
		before=$(node_of n2 vs0)
		sleep 5
		settle || { echo "run $run: the cluster did not settle after restarting $victim" >&2; exit 1; }
		[ "$(node_of n2 vs0)" = "$before" ] && break
	done
done
cp "$ts" "$work/guest.ts.keep" 2>/dev/null || true

python3 - "$work/samples" "$OUT" "$RUNS" "$boot_s" "$mount_s" "$accel" "$MODE" <<'EOF'
import os, sys, time
sys.path.insert(0, "bench")
from results import load, percentile, save
samples_f, out_f, runs, boot_s, mount_s, accel, mode = sys.argv[1:8]
fencing = os.environ.get("FENCE", "1") == "1"
rows = [l.split() for l in open(samples_f) if l.strip()]
s = sorted(float(r[3]) for r in rows)
res = {
    "samples": len(s),
    "p50_s": percentile(s, 50),
    "max_s": round(s[-1], 2) if s else None,
    "min_s": round(s[0], 2) if s else None,
    "fencing": ("each node's lab BMC (ipmi_sim) as fence device, fence_ipmilan; ext4 MMP reset after the fence"
                if fencing else "none: the takeover waits for ext4 MMP"),
    "runs": [{"run": int(r[0]), "killed": r[1], "vs0_to": r[2], "gap_s": round(float(r[3]), 2)} for r in rows],
    "method": ("lab, 3 nodes; %s of %s runs: " + ("vsadm vserver migrate vs0 to another node" if mode == "migrate" else "applab node kill of the node running vs0") + "; the client is a qemu "
               "guest (%s, Debian bookworm kernel NFS client, NFSv4.1 hard mount of 192.0.2.70:/data from "
               "192.0.2.150 on alpub) reading a file and appending+fsyncing a line to a file it keeps open, "
               "every 0.2 s; gap = end of the first successful write+fsync the guest started after the " + mode + ", "
               "minus its start time, both on the host clock (guest serial lines stamped on arrival); guest "
               "probe service up %.1f s and mount done %.1f s after qemu started")
              % (len(s), runs, accel, float(boot_s), float(mount_s)),
    "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
}
doc = load(out_f)
key = "migrate" if mode == "migrate" else "failover"
f = doc.get(key)
if not isinstance(f, dict):
    f = {}
f["reclaiming_client" if fencing or mode == "migrate" else "reclaiming_client_without_fencing"] = res
doc[key] = f
save(out_f, doc)
print("%s, reclaiming client (qemu guest), %d samples: p50 %s s, min %s s, max %s s"
      % ("planned migration" if mode == "migrate" else "node failover", len(s), res["p50_s"], res["min_s"], res["max_s"]))
EOF
