#!/usr/bin/env bats
# A node whose applianced dies while its corosync (and its kernel: VIPs up,
# file systems mounted) lives on: a new master among the live agents within
# seconds; an applianced back within the grace keeps its VSs; past the grace
# the master powers the node off through its BMC and its VSs serve elsewhere.
# A LUN path hung on one node does not stop cluster messages. The invariant is
# checked after every step.

load lab

INV="$BATS_TEST_DIRNAME/invariant"
STATE=/var/lib/applab

setup_file() {
	lab_up --nodes 3 --luns 2
	export TMPD=$(mktemp -d /tmp/bats-agent.XXXXXX)
}

teardown_file() {
	"$APPLAB" storage n3 lun1 restore >/dev/null 2>&1 || true # nothing left blocked
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
}

node_of() { # ASK VS -> node
	vsadm_on "$1" vserver show "$2" --json | jq -r .runtime.node
}

running_on() { # ASK VS NODE
	vsadm_on "$1" vserver show "$2" --json | jq -e --arg n "$3" '.runtime.node == $n and .runtime.state == "running"'
}

agent_kill() { # NODE: applianced killed as a crash kills it; corosync lives on
	local pid
	pid=$(cat "$STATE/nodes/$1/applianced.pid")
	kill -9 "$pid"
	wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"
}

@test "a cluster of three with fence devices by default and a VS on each of n1 and n2" {
	wait_until 30 bash -c "$APPLAB exec n2 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 3'"
	# applab up set every node's BMC as its fence device: nothing by hand.
	for n in n1 n2 n3; do
		vsadm_on n1 fence show --json | jq -e --arg n $n 'any(.[]; .node == $n and .agent == "fence_ipmilan")'
	done
	for i in 1 2; do
		vsadm_on n1 vserver create a$i --home n$i
		vsadm_on n1 vip add a$i 192.0.2.7$i/24 --home-port eth1
		vsadm_on n1 fs add a$i data --lun LABEL=lab-lun$((i - 1))
		vsadm_on n1 export add a$i /data --fs data
		vsadm_on n1 vserver start a$i
	done
	wait_until 30 running_on n3 a1 n1
	wait_until 30 running_on n3 a2 n2
	for i in 1 2; do
		echo "data of a$i $RANDOM" >"$TMPD/f$i"
		client nfs-cp "$TMPD/f$i" "nfs://192.0.2.7$i/data/f.txt?version=4"
	done
	"$INV"
}

@test "an applianced back within the grace keeps its VSs and nothing is fenced" {
	agent_kill n2
	# Seen by the others as a node without its agent.
	wait_until 10 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '.nodes[] | select(.name == \"n2\") | .state == \"no agent\"'"
	# Its VS keeps serving meanwhile: the kernel still has its VIP and mount.
	client nfs-cat 'nfs://192.0.2.72/data/f.txt?version=4' >"$TMPD/b2"
	cmp "$TMPD/f2" "$TMPD/b2"
	applab up --nodes 3 --luns 2 # starts the missing applianced again
	wait_until 15 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '.nodes[] | select(.name == \"n2\") | .state == \"member\"'"
	sleep 12 # past the grace: nothing may happen now
	running_on n1 a2 n2
	! grep -q 'set power 0' "$STATE/nodes/n2/bmc.log" || false
	run vsadm_on n1 event show --last 200
	[[ $output != *"node n2 is in the cluster but its applianced"* ]]
	"$INV"
}

@test "the master's applianced dies: a new master at once, the node fenced after the grace, its VS served elsewhere" {
	[ "$(vsadm_on n2 cluster show --json | jq -r .master)" = n1 ]
	agent_kill n1
	t0=${EPOCHREALTIME//[!0-9]/}
	# The lowest id among the live agents is the master now.
	wait_until 5 bash -c "[ \"\$($APPLAB exec n2 vsadm cluster show --json | jq -r .master)\" = n2 ]"
	t1=${EPOCHREALTIME//[!0-9]/}
	echo "new master after $(((t1 - t0) / 1000)) ms"
	# After the grace (10 s) n1 is powered off through its BMC and a1 moves.
	wait_until 60 bash -c "$APPLAB exec n2 vsadm vserver show a1 --json | jq -e '.runtime.state == \"running\" and .runtime.node != \"n1\"'"
	t2=${EPOCHREALTIME//[!0-9]/}
	echo "a1 serving elsewhere after $(((t2 - t0) / 1000)) ms"
	grep -q 'set power 0' "$STATE/nodes/n1/bmc.log"
	wait_until 10 bash -c "applab() { $APPLAB \"\$@\"; }; $APPLAB status | grep -E '^node n1 +dead'"
	run vsadm_on n2 event show --last 300
	echo "$output" | tail -30
	[[ $output == *"node n1 is in the cluster but its applianced has been gone for"*"powering it off"* ]]
	[[ $output == *"node n1 is powered off (fenced in"* ]]
	"$INV"
	wait_until 60 client nfs-cat 'nfs://192.0.2.71/data/f.txt?version=4'
	client nfs-cat 'nfs://192.0.2.71/data/f.txt?version=4' >"$TMPD/b1"
	cmp "$TMPD/f1" "$TMPD/b1"
	# a2 never moved.
	running_on n2 a2 n2
	"$INV"
}

lun_state_on() { # NODE LABEL -> its state in NODE's lun show (ok, hung; empty when not listed)
	vsadm_on "$1" lun show --json | jq -r --arg l "$2" '.[] | select(.label == $l) | .state'
}

@test "a LUN path hung on one node: cluster messages flow, the node answers, the LUN is reported hung there only" {
	running_on n2 a2 n2 # a2 (lab-lun1) runs on n2; n3 only sees lab-lun1
	applab storage n3 lun1 hang
	wait_until 30 bash -c "[ \"\$($APPLAB exec n3 vsadm lun show --json | jq -r '.[] | select(.label == \"lab-lun1\") | .state')\" = hung ]"
	[ "$(lun_state_on n2 lab-lun1)" = ok ]
	# A change made on n2 reaches n3 while its path hangs, and n3 answers at once.
	t0=${EPOCHREALTIME//[!0-9]/}
	vsadm_on n2 vserver create probe1
	wait_until 5 vsadm_on n3 vserver show probe1 --json
	t1=${EPOCHREALTIME//[!0-9]/}
	echo "# a change on n2 seen on n3 after $(((t1 - t0) / 1000)) ms while n3's lun1 path hangs" >&3
	[ "$(vsadm_on n3 cluster show --json | jq -r .quorate)" = true ]
	vsadm_on n3 vserver delete probe1
	running_on n3 a2 n2
	"$INV"
	applab storage n3 lun1 restore
	wait_until 30 bash -c "[ \"\$($APPLAB exec n3 vsadm lun show --json | jq -r '.[] | select(.label == \"lab-lun1\") | .state')\" = ok ]"
}
