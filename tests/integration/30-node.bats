#!/usr/bin/env bats
# A node that dies as a machine dies, and boots again: its virtual servers
# come back from the persisted state; nothing of it answers while it is dead.

load lab

setup_file() {
	lab_up --nodes 1 --luns 1 --demo
	export TMPD=$(mktemp -d /tmp/bats-node.XXXXXX)
}

teardown_file() {
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
}

@test "the demo virtual server serves NFS and SMB" {
	run vsadm_on n1 vserver show demo --json
	[ "$(echo "$output" | jq -r .runtime.state)" = running ]
	echo "before the power cut" >"$TMPD/keep.txt"
	client nfs-cp "$TMPD/keep.txt" 'nfs://192.0.2.50/demo/keep.txt?version=4'
	client smbclient -N //192.0.2.50/demo -c ls
	on n1 sync
}

@test "a killed node answers nothing" {
	applab node n1 kill
	! client timeout 5 nfs-ls 'nfs://192.0.2.50/demo?version=4' || false
	! client timeout 5 smbclient -N //192.0.2.50/demo -c ls || false
	! pgrep -f '/run/appliance/vs/demo/' || false
}

@test "the node boots again and its VS is served again, data intact" {
	applab node n1 start
	# The file system was not unmounted cleanly: the mount waits out MMP.
	wait_until 90 bash -c "[ \"\$($APPLAB exec n1 vsadm vserver show demo --json | jq -r .runtime.state)\" = running ]"
	wait_until 60 client nfs-cat 'nfs://192.0.2.50/demo/keep.txt?version=4'
	client nfs-cat 'nfs://192.0.2.50/demo/keep.txt?version=4' >"$TMPD/back.txt"
	cmp "$TMPD/keep.txt" "$TMPD/back.txt"
	run vsadm_on n1 event show --vs demo
	[[ $output == *"mounted file system data"* ]]
}
