#!/usr/bin/env bats
# Request rates per VS (issue 10): two nodes (loads are a cluster's), one VS, its smbd's requests/s in
# `vsadm load show --json` (smbstatus -P of its smbd, profiling level
# count) near 0 while no client talks to it, above a small figure while a
# client lists its share in a loop, and shown in the text table. Its NFS
# rate is not measured (ganesha's statistics need a D-Bus the node does not
# run yet) and so is absent, never a made-up 0. Loads averaged over 10 s.

load lab

setup_file() {
	lab_up --nodes 2 --luns 1
	export TMPD=$(mktemp -d /tmp/bats-rates.XXXXXX)
	wait_until 30 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 2'"
	vsadm_on n1 balance set --mode advise --smoothing 10
	vsadm_on n1 vserver create rt0 --home n1
	vsadm_on n1 vip add rt0 192.0.2.70/24 --home-port eth1
	vsadm_on n1 fs add rt0 data --lun LABEL=lab-lun0
	vsadm_on n1 share add rt0 data --fs data
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

smb_rps() { vsadm_on n1 load show --json | jq -r '[.nodes[].vs[] | select(.vs == "rt0")][0].smb_rps // "none"'; }
# A figure (not "none", not an error) over or under $1.
is_num() { [[ $1 =~ ^[0-9.e+-]+$ ]]; }
smb_over() { r=$(smb_rps); is_num "$r" && awk -v r="$r" -v m="$1" 'BEGIN { exit !(r > m) }'; }
smb_under() { r=$(smb_rps); is_num "$r" && awk -v r="$r" -v m="$1" 'BEGIN { exit !(r < m) }'; }

@test "a VS's SMB requests/s: near 0 idle, above 5 under a client, NFS absent (not measured)" {
	wait_until 40 smb_under 1
	echo "# smb_rps idle: $(smb_rps)" >&3
	[ "$(vsadm_on n1 load show --json | jq -r '[.nodes[].vs[] | select(.vs == "rt0")][0].nfs_rps // "none"')" = none ]
	(
		while [ ! -e "$TMPD/stop" ]; do
			client smbclient -N //192.0.2.70/data -c "ls" >/dev/null 2>&1 || sleep 0.2
		done
	) 3>&- &
	echo $! >"$TMPD/loop"
	wait_until 40 smb_over 5
	echo "# smb_rps under the client: $(smb_rps)" >&3
	vsadm_on n1 load show | grep -E "SMB REQ/s"
	vsadm_on n1 load show | grep -E "^rt0 "
	touch "$TMPD/stop"
	kill $(cat "$TMPD/loop") 2>/dev/null || true
}
