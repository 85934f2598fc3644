#!/usr/bin/env bats
# Request rates per VS (issue 10): two nodes (loads are a cluster's), one VS.
# Its ganesha's requests/s (GetGlobalOPS over the VS's own D-Bus) and its
# smbd's (smbstatus -P, profiling level count), as `vsadm load show --json`
# gives them: near 0 while no client talks to it, above a small figure while
# one reader (nfs-load) or one smbclient loop does, and shown in the text
# table. Loads averaged over 10 s. And their short history (load show --history).

load lab

setup_file() {
	lab_up --nodes 2 --luns 1
	export TMPD=$(mktemp -d /tmp/bats-rates.XXXXXX)
	wait_until 30 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 2'"
	vsadm_on n1 balance set --mode advise --smoothing 10
	vsadm_on n1 vserver create rt0 --home n1
	vsadm_on n1 vip add rt0 192.0.2.70/24 --home-port eth1
	vsadm_on n1 fs add rt0 data --lun LABEL=lab-lun0
	vsadm_on n1 export add rt0 /data --fs data
	vsadm_on n1 share add rt0 data --fs data --guest
	vsadm_on n1 vserver start rt0
	wait_until 60 bash -c "$APPLAB exec n1 vsadm vserver show rt0 --json | jq -e '.runtime.state == \"running\"'"
}

teardown_file() {
	touch "$TMPD/stop"
	kill $(cat "$TMPD/loop" 2>/dev/null) 2>/dev/null || true
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
}

# rate KEY: rt0's figure, "none" when the node sent none.
rate() { vsadm_on n1 load show --json | jq -r "[.nodes[].vs[] | select(.vs == \"rt0\")][0].$1 // \"none\""; }
is_num() { [[ $1 =~ ^[0-9.e+-]+$ ]]; }
over() { r=$(rate "$1"); is_num "$r" && awk -v r="$r" -v m="$2" 'BEGIN { exit !(r > m) }'; }
under() { r=$(rate "$1"); is_num "$r" && awk -v r="$r" -v m="$2" 'BEGIN { exit !(r < m) }'; }

@test "a VS's NFS requests/s: near 0 idle, above 5 under one nfs-load reader" {
	wait_until 40 under nfs_rps 1
	echo "# nfs_rps idle: $(rate nfs_rps)" >&3
	client timeout 40 "$BATS_TEST_DIRNAME/nfs-load" 192.0.2.70 /data /r1.bin 30 >"$TMPD/nfs.out" 2>&1 &
	echo $! >"$TMPD/loop"
	wait_until 30 over nfs_rps 5
	echo "# nfs_rps under the reader: $(rate nfs_rps)" >&3
	kill $(cat "$TMPD/loop") 2>/dev/null || true
	wait
	vsadm_on n1 load show | grep -E "NFS REQ/s"
}

@test "a VS's SMB requests/s: near 0 idle, above 5 under a client" {
	wait_until 40 under smb_rps 1
	echo "# smb_rps idle: $(rate smb_rps)" >&3
	(
		while [ ! -e "$TMPD/stop" ]; do
			client smbclient -N //192.0.2.70/data -c "ls" >/dev/null 2>&1 || sleep 0.2
		done
	) 3>&- &
	echo $! >"$TMPD/loop"
	wait_until 40 over smb_rps 5
	echo "# smb_rps under the client: $(rate smb_rps)" >&3
	echo "# $(vsadm_on n1 load show | grep -E '^rt0 ')" >&3
	touch "$TMPD/stop"
	kill $(cat "$TMPD/loop") 2>/dev/null || true
}

# The short history (ap_loadhist.h): a point every 30 s, on every node for every node.
hist() { vsadm_on "$1" load show --history --json | jq -r "$2"; }

@test "load show --history: rt0's points every 30 s, oldest first, the same seen from n2" {
	# The plain answer carries no history.
	run vsadm_on n1 load show --json
	[ "$status" -eq 0 ]
	[ "$(jq '[.nodes[] | has("history")] | any' <<<"$output")" = false ]
	wait_until 70 bash -c "[ \"\$($APPLAB exec n1 vsadm load show --history --json | jq '[.nodes[].vs[] | select(.vs == \"rt0\") | .history | length][0] // 0')\" -ge 2 ]"
	q='[.nodes[] | select(.node == "n1")][0]'
	[ "$(hist n1 "$q.history.step_s")" = 30 ]
	# Ages fall from the oldest to the newest point, at least a step apart, the newest within a step.
	ages=$(hist n1 "[$q.vs[] | select(.vs == \"rt0\")][0].history | map(.ago_s) | @tsv")
	echo "# rt0 history ages (s): $ages" >&3
	awk -v a="$ages" 'BEGIN { n = split(a, x, "\t"); if (x[n] > 31) exit 1;
		for (i = 2; i <= n; i++) if (x[i-1] - x[i] < 29) exit 1 }'
	# Every point has the figures; the port and LUN have theirs.
	[ "$(hist n1 "[$q.vs[] | select(.vs == \"rt0\")][0].history | map(has(\"cpu\") and has(\"net_bps\") and has(\"io_bps\")) | all")" = true ]
	[ "$(hist n1 "$q.ports | map(.history | length >= 2) | all")" = true ]
	[ "$(hist n1 "$q.luns | map(.history | length >= 1) | all")" = true ]
	# n2 keeps n1's history from n1's messages: as many points for rt0 (give or take the one due now).
	a=$(hist n1 "[$q.vs[] | select(.vs == \"rt0\")][0].history | length")
	b=$(hist n2 "[$q.vs[] | select(.vs == \"rt0\")][0].history | length")
	[ $((a - b)) -le 1 ] && [ $((b - a)) -le 1 ]
	# The text: a HISTORY section with rt0's bars.
	run vsadm_on n2 load show --history
	[ "$status" -eq 0 ]
	grep -q "^HISTORY: one point every 30 s" <<<"$output"
	grep -E "^rt0 +n1 +[▁▂▃▄▅▆▇█]{2,}" <<<"$output"
}
