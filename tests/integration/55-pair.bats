#!/usr/bin/env bats
# A pair (two nodes): corosync's two_node mode keeps the survivor quorate
# when its peer dies; the survivor fences the peer through its BMC and takes
# its VS over at once. When both could fence each other (a split), the node
# with the higher id waits 5 s first, so only one fences.

load lab

INV="$BATS_TEST_DIRNAME/invariant"

setup_file() {
	lab_up --nodes 2 --luns 2
	export TMPD=$(mktemp -d /tmp/bats-pair.XXXXXX)
}

teardown_file() {
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
}

node_of() { # NODE VS -> node
	vsadm_on "$1" vserver show "$2" --json | jq -r .runtime.node
}

@test "a pair: the survivor keeps quorum, fences its peer and takes the VS over" {
	wait_until 20 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 2'"
	for n in n1 n2; do
		vsadm_on n1 fence set $n --agent fence_ipmilan --options "$(applab bmc $n)"
	done
	vsadm_on n1 vserver create p0 --home n2
	vsadm_on n1 vip add p0 192.0.2.80/24 --home-port eth1
	vsadm_on n1 fs add p0 data --lun LABEL=lab-lun0
	vsadm_on n1 export add p0 /data --fs data
	vsadm_on n1 vserver start p0
	wait_until 30 bash -c "[ \"\$($APPLAB exec n1 vsadm vserver show p0 --json | jq -r '.runtime.state + \" \" + .runtime.node')\" = 'running n2' ]"
	echo "pair data" >"$TMPD/f"
	client nfs-cp "$TMPD/f" 'nfs://192.0.2.80/data/f.txt?version=4'
	on n2 sync
	"$INV"
	applab node n2 kill
	# two_node: n1 alone keeps quorum, fences n2 (lower id: no wait), runs p0.
	wait_until 60 bash -c "[ \"\$($APPLAB exec n1 vsadm vserver show p0 --json | jq -r '.runtime.state + \" \" + .runtime.node')\" = 'running n1' ]"
	[ "$(vsadm_on n1 cluster show --json | jq -r .quorate)" = true ]
	run vsadm_on n1 event show --last 100
	[[ $output == *"node n2 is powered off (fenced in"* ]]
	[[ $output != *"waiting 5 s before fencing"* ]]
	[[ $output == *"multi-mount protection reset on"* ]]
	"$INV"
	wait_until 30 client nfs-cat 'nfs://192.0.2.80/data/f.txt?version=4'
	client nfs-cat 'nfs://192.0.2.80/data/f.txt?version=4' >"$TMPD/back"
	cmp "$TMPD/f" "$TMPD/back"
}

@test "a pair: the node with the higher id waits before fencing the lower" {
	applab node n2 start
	wait_until 60 bash -c "$APPLAB exec n2 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 2'"
	# p0 runs on n1 now; n1 dies, n2 is the survivor with the higher id.
	[ "$(node_of n2 p0)" = n1 ]
	on n1 sync
	applab node n1 kill
	wait_until 60 bash -c "[ \"\$($APPLAB exec n2 vsadm vserver show p0 --json | jq -r '.runtime.state + \" \" + .runtime.node')\" = 'running n2' ]"
	run vsadm_on n2 event show --last 100
	[[ $output == *"waiting 5 s before fencing it"* ]]
	[[ $output == *"node n1 is powered off (fenced in"* ]]
	"$INV"
	wait_until 30 client nfs-cat 'nfs://192.0.2.80/data/f.txt?version=4'
}
