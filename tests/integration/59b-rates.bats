#!/usr/bin/env bats
# Request rates per VS (issue 10): two nodes (loads are a cluster's), one VS.
# Its ganesha's requests/s (GetGlobalOPS over the VS's own D-Bus) and its
# smbd's (smbstatus -P, profiling level count), as `vsadm load show --json`
# gives them: near 0 while no client talks to it, above a small figure while
# one reader (nfs-load) or one smbclient loop does, and shown in the text
# table. Loads averaged over 10 s.

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
