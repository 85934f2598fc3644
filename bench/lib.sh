# shellcheck shell=bash disable=SC2034
# Sourced by the benchmark scripts (after `cd` to the top of the checkout):
# the lab, a work directory and background jobs that end with the script,
# and the small helpers every benchmark needs.
#
#   bench_init NAME     work directory $work, lab and jobs torn down at exit
#   bench_bg PID        a background job to end at exit
#   V NODE ARGS...      vsadm ARGS inside NODE
#   node_of / state_of  where a VS runs / its runtime state, as NODE sees it
#   wait_running NODE SECONDS VS...   every VS running (NODE's view), else 1
#   capture_start FILE  ARP and neighbour advertisements seen by the client,
#   capture_stop        with kernel timestamps (bench/results.py parses them)
#   pull_series FILE N LEFT SETTLE   N cable pulls on n1 (below)
#   rss_kib NODE        VmRSS of NODE's applianced, KiB
APPLAB=images/lab/applab
export APPLAB_BIN=${APPLAB_BIN:-$PWD/build}
OUT=${BENCH_OUT:-bench/results.json}
BENCH_PIDS=()
CAPTURE_PID=

bench_cleanup() {
	set +e
	local p
	for p in "${BENCH_PIDS[@]}" $CAPTURE_PID; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	$APPLAB down >/dev/null 2>&1
	if [ -n "${KEEP_WORK:-}" ]; then echo "work files kept in $work" >&2; else rm -rf "$work"; fi
}

bench_init() {
	work=$(mktemp -d "/tmp/bench-$1.XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_bg() { BENCH_PIDS+=("$1"); }

V() {
	local node=$1
	shift
	$APPLAB exec "$node" vsadm "$@"
}
node_of() { V "$1" vserver show "$2" --json | jq -r .runtime.node; }
state_of() { V "$1" vserver show "$2" --json 2>/dev/null | jq -r .runtime.state; }

wait_running() {
	local node=$1 secs=$2 vs
	shift 2
	for vs in "$@"; do
		for _ in $(seq $((secs * 5))); do
			[ "$(state_of "$node" "$vs")" = running ] && break
			sleep 0.2
		done
		[ "$(state_of "$node" "$vs")" = running ] || { echo "$vs did not start" >&2; return 1; }
	done
}

capture_start() {
	$APPLAB client tcpdump -i eth0 -n -l -tt -U 'arp or (icmp6 and ip6[40] == 136)' \
		>"$1" 2>"$1.err" &
	CAPTURE_PID=$!
	sleep 1
}

capture_stop() {
	sleep 0.5
	kill "$CAPTURE_PID" 2>/dev/null || true
	wait "$CAPTURE_PID" 2>/dev/null || true
	CAPTURE_PID=
}

rss_kib() {
	awk '/^VmRSS:/ {print $2}' "/proc/$(cat "/var/lib/applab/nodes/$1/applianced.pid")/status"
}

# pull_series FILE N LEFT SETTLE: N pulls of n1's port $PULL_PORT (eth1 or eth2,
# alternating: it names the port that carries the VIPs). Each pull sets the
# switch side down, waits (10 s at most) until `LEFT PORT` prints 0 (how many
# VIPs are still on PORT), plugs it back and lets SETTLE seconds pass.
# "t0 from to" per pull in FILE, t0 taken just before ip(8) runs.
PULL_PORT=eth1
pull_series() {
	local other t0
	: >"$1"
	for _ in $(seq "$2"); do
		other=eth2
		[ "$PULL_PORT" = eth2 ] && other=eth1
		t0=$EPOCHREALTIME
		ip link set dev "n1-$PULL_PORT" down
		for _ in $(seq 200); do
			[ "$($3 "$PULL_PORT")" = 0 ] && break
			sleep 0.05
		done
		echo "$t0 $PULL_PORT $other" >>"$1"
		ip link set dev "n1-$PULL_PORT" up
		sleep "$4"
		PULL_PORT=$other
	done
}
