#!/usr/bin/env bats
# Moves as transactions (issue 9) over three lab nodes with fencing: a planned
# migration with an NFS client writing and verifying through it, evacuation
# and resume, a target that fails while acquiring (the move goes on to the
# next candidate), a LUN path cut on one node (only the VSs on that LUN move),
# a VS no node can take (it stays, reported), the master killed mid-move, the
# source's applianced killed while releasing (the move finishes after its
# restart), an SMB client writing through a move (reconnecting to the same
# name and address), and a VS whose servers keep failing on its node. The invariant (never two
# mounts, never two VIPs) is polled every 0.2 s during each move and checked
# after it; every acknowledged write is read back at the end.

load lab

INV="$BATS_TEST_DIRNAME/invariant"
STATE=/var/lib/applab

setup_file() {
	lab_up --nodes 3 --luns 6
	export TMPD=$(mktemp -d /tmp/bats-moves.XXXXXX)
	wait_until 30 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 3'"
	for i in 0 1 2; do
		vsadm_on n1 vserver create mv$i --home n1 --priority $((10 + i))
		vsadm_on n1 vip add mv$i 192.0.2.7$i/24 --home-port eth1
		vsadm_on n1 fs add mv$i data --lun LABEL=lab-lun$i
		vsadm_on n1 export add mv$i /data --fs data
		vsadm_on n1 vserver start mv$i
	done
	for i in 0 1 2; do
		wait_until 60 running_on n1 mv$i n1
	done
}

teardown_file() {
	stop_watch
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	stop_watch
	lab_dump_on_failure
	# A failed test may leave an applianced killed, a port down or a LUN
	# path cut: start what is missing and mend the rest, so that the next
	# test finds the lab whole.
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		"$APPLAB" up --nodes 3 --luns 6 >/dev/null 2>&1 || true
		for n in n1 n2 n3; do
			for p in eth1 eth2; do "$APPLAB" port "$n" "$p" up >/dev/null 2>&1 || true; done
			for l in 0 1 2 3 4 5; do "$APPLAB" storage "$n" "lun$l" restore >/dev/null 2>&1 || true; done
		done
	fi
}

state_of() { vsadm_on "$1" vserver show "$2" --json | jq -r .runtime.state; }
node_of() { vsadm_on "$1" vserver show "$2" --json | jq -r .runtime.node; }
running_on() { [ "$(node_of "$1" "$2")" = "$3" ] && [ "$(state_of "$1" "$2")" = running ]; }

# The invariant, polled in the background while a move runs: each violation
# is one line in $TMPD/violations.
start_watch() {
	: >"$TMPD/violations"
	(
		while :; do
			"$INV" >"$TMPD/inv.out" 2>&1 || cat "$TMPD/inv.out" >>"$TMPD/violations"
			sleep 0.2
		done
	) 3>&- &
	echo $! >"$TMPD/watch.pid"
}

# Stop polling; fail with what was seen if the invariant was ever violated.
end_watch() {
	stop_watch
	[ ! -s "$TMPD/violations" ] || {
		cat "$TMPD/violations"
		false
	}
}

stop_watch() {
	[ -f "$TMPD/watch.pid" ] || return 0
	kill "$(cat "$TMPD/watch.pid")" 2>/dev/null || true
	rm -f "$TMPD/watch.pid"
}

# A client that writes numbered files through VIP $1 as fast as it can, each
# write acknowledged recorded in $TMPD/acked.$1: acknowledged = committed
# (nfs-op put: create, write, COMMIT; nfs-cp writes UNSTABLE and never commits).
start_writer() {
	: >"$TMPD/acked.$1"
	(
		i=0
		while [ ! -e "$TMPD/stop.$1" ]; do
			i=$((i + 1))
			echo "write $i via $1" >"$TMPD/w.$1"
			if client timeout 5 "$BATS_TEST_DIRNAME/nfs-op" "$1" /data put "/w$i.txt" "write $i via $1"$'\n' >/dev/null 2>&1; then
				echo "$i" >>"$TMPD/acked.$1"
			fi
			sleep 0.05
		done
	) 3>&- &
	echo $! >"$TMPD/writer.$1"
}

# Stop the writer of VIP $1, then read every acknowledged write back.
check_writes() {
	touch "$TMPD/stop.$1"
	wait "$(cat "$TMPD/writer.$1")" 2>/dev/null || true
	rm -f "$TMPD/stop.$1"
	local n=0 i
	for i in $(cat "$TMPD/acked.$1"); do
		client nfs-cat "nfs://$1/data/w$i.txt?version=4" >"$TMPD/r.$1"
		[ "$(cat "$TMPD/r.$1")" = "write $i via $1" ] || {
			echo "write $i via $1 lost or changed: $(cat "$TMPD/r.$1")"
			return 1
		}
		n=$((n + 1))
	done
	echo "$n acknowledged writes via $1 read back"
	[ "$n" -gt 0 ]
}

move_of() { # ASK VS -> the newest move of VS, as JSON
	vsadm_on "$1" move show --json | jq -c --arg v "$2" '[.moves[] | select(.vs == $v)][0]'
}

@test "a planned migration moves a VS as a transaction; the client's writes survive it" {
	start_writer 192.0.2.70
	wait_until 20 bash -c "[ \$(wc -l <$TMPD/acked.192.0.2.70) -ge 3 ]"
	start_watch
	run vsadm_on n2 vserver migrate mv0 --to n3
	[ "$status" -eq 0 ]
	[[ $output == *n3* ]]
	wait_until 60 running_on n2 mv0 n3
	wait_until 20 bash -c "$APPLAB exec n2 vsadm move show --json | jq -e '[.moves[] | select(.vs == \"mv0\" and .kind == \"migrate\")][0].state == \"done\"'"
	end_watch
	m=$(move_of n3 mv0)
	echo "$m"
	[ "$(echo "$m" | jq -r .from)" = n1 ]
	[ "$(echo "$m" | jq -r .to)" = n3 ]
	[ "$(echo "$m" | jq -c '[.steps[].state]')" = '["planned","releasing","released","acquiring","done"]' ]
	# The same journal on every node.
	[ "$(move_of n1 mv0)" = "$m" ]
	# A clean move: released by n1 (unmounted), so no MMP reset and no wait for it.
	run vsadm_on n3 event show --last 200
	! echo "$output" | grep "mv0" | grep -q "multi-mount protection reset" || false
	echo "$output" | grep mv0 | grep -q "n1 released it in"
	# Keeps writing on n3; nothing acknowledged was lost.
	n0=$(wc -l <"$TMPD/acked.192.0.2.70")
	wait_until 20 bash -c "[ \$(wc -l <$TMPD/acked.192.0.2.70) -gt $n0 ]"
	check_writes 192.0.2.70
	"$INV"
	# It stays where the administrator put it (no revert while `at` is set).
	run vsadm_on n1 vserver show mv0 --json
	[ "$(echo "$output" | jq -r '.at // empty')" = n3 ]
}

@test "a migration to a node that cannot take the VS is refused or reported, and nothing moves" {
	run vsadm_on n1 vserver migrate mv1 --to nosuchnode
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -le 2 ]
	run vsadm_on n1 vserver migrate mv1 --to 'n2;id'
	[ "$status" -ne 0 ]
	[[ $output != *"uid="* ]]
	running_on n1 mv1 n1
}

@test "a target that fails while acquiring: the move releases it there and goes on to another node" {
	# n2's mount point of mv1 is a file: its mount fails there.
	on n2 sh -c 'mkdir -p /run/appliance/mnt/mv1 && rm -rf /run/appliance/mnt/mv1/data && : >/run/appliance/mnt/mv1/data'
	start_watch
	vsadm_on n1 vserver migrate mv1 --to n2
	wait_until 90 bash -c "$APPLAB exec n1 vsadm move show --json | jq -e '[.moves[] | select(.vs == \"mv1\")][0] | .state == \"done\" and .attempts == 1'"
	wait_until 30 bash -c "$APPLAB exec n1 vsadm vserver show mv1 --json | jq -e '.runtime.state == \"running\" and .runtime.node != \"n2\"'"
	end_watch
	m=$(move_of n1 mv1)
	echo "$m"
	[ "$(echo "$m" | jq -r '.tried[0]')" = n2 ]
	[ "$(echo "$m" | jq -r .to)" != n2 ]
	[ "$(echo "$m" | jq -c '[.steps[].state] | .[0:4]')" = '["planned","releasing","released","acquiring"]' ]
	run vsadm_on n1 event show --last 300
	echo "$output" | grep mv1 | grep -q "n2 failed to start it (attempt 1): it releases it first"
	# A later placement round (any change) does not send it back to n2 so soon.
	id=$(echo "$m" | jq .id)
	vsadm_on n1 vserver create mvx
	sleep 3
	[ "$(move_of n1 mv1 | jq .id)" = "$id" ]
	! running_on n1 mv1 n2 || false
	on n2 rm -f /run/appliance/mnt/mv1/data
	vsadm_on n1 vserver delete mvx
	client nfs-ls 'nfs://192.0.2.71/data?version=4' >/dev/null
	"$INV"
}

@test "evacuating a node moves its VSs away, a few at a time; resume lets them come home" {
	vsadm_on n1 vserver migrate mv0 --home
	vsadm_on n1 vserver migrate mv1 --home
	wait_until 90 running_on n1 mv0 n1
	wait_until 90 running_on n1 mv1 n1
	start_watch
	run vsadm_on n2 node evacuate n1
	[ "$status" -eq 0 ]
	for i in 0 1 2; do
		wait_until 90 bash -c "$APPLAB exec n2 vsadm vserver show mv$i --json | jq -e '.runtime.state == \"running\" and .runtime.node != \"n1\"'"
	done
	end_watch
	run vsadm_on n2 move show --json
	[ "$(echo "$output" | jq '[.moves[] | select(.kind == "evacuate" and .from == "n1" and .state == "done")] | length')" -ge 3 ]
	run vsadm_on n3 node show
	[[ $output == *maintenance* ]]
	# Nothing is placed on n1 while it is under maintenance.
	vsadm_on n2 vserver create mv5 --home n1
	vsadm_on n2 vip add mv5 192.0.2.75/24 --home-port eth1
	vsadm_on n2 fs add mv5 data --lun LABEL=lab-lun5
	vsadm_on n2 vserver start mv5
	wait_until 60 bash -c "$APPLAB exec n2 vsadm vserver show mv5 --json | jq -e '.runtime.state == \"running\" and .runtime.node != \"n1\"'"
	"$INV"
	vsadm_on n2 node resume n1
	# Back home after the hold-down (30 s by default).
	for i in 0 1 2 5; do
		wait_until 120 running_on n2 mv$i n1
	done
	run vsadm_on n2 move show --json
	[ "$(echo "$output" | jq '[.moves[] | select(.kind == "revert" and .to == "n1" and .state == "done")] | length')" -ge 3 ]
	"$INV"
}

@test "a LUN path cut on a node: the VSs on that LUN move, the others stay" {
	for i in 0 1 2; do running_on n1 mv$i n1; done
	start_watch
	applab storage n1 lun1 cut
	wait_until 90 bash -c "$APPLAB exec n2 vsadm vserver show mv1 --json | jq -e '.runtime.state == \"running\" and .runtime.node != \"n1\"'"
	end_watch
	running_on n2 mv0 n1
	running_on n2 mv2 n1
	m=$(move_of n2 mv1)
	echo "$m"
	[ "$(echo "$m" | jq -r .kind)" = storage ]
	# n1 unmounted it although its path failed: released clean, the target
	# reset the MMP block the dead path left "in use" instead of waiting.
	[ "$(echo "$m" | jq -r .clean)" = true ]
	run vsadm_on n2 event show --last 300
	echo "$output" | grep mv1 | grep -q "multi-mount protection reset on .* because its last holder n1 unmounted it"
	run vsadm_on n2 lun show --json
	echo "$output"
	echo "$output" | jq -e '.' >/dev/null
	applab storage n1 lun1 restore
	"$INV"
}

@test "a VS that no node can take stays where it is, and says why" {
	# mv2's LUN is seen by n1 only; then n1's port fails.
	applab storage n2 lun2 cut
	applab storage n3 lun2 cut
	sleep 8 # a LUN scan on each node (every few seconds)
	# Event ids are each node's own numbering: the mark comes from the
	# node that is asked below.
	last=$(vsadm_on n2 event show --json --last 1 | jq '.[0].id')
	applab port n1 eth1 down
	applab port n1 eth2 down
	wait_until 30 bash -c "$APPLAB exec n2 vsadm event show --json --last 300 | jq -e --argjson l $last 'any(.[]; .id > \$l and .vs == \"mv2\" and (.message | test(\"no other node can serve it|no node can serve it\")))'"
	applab port n1 eth1 up
	applab port n1 eth2 up
	applab storage n2 lun2 restore
	applab storage n3 lun2 restore
	"$INV"
}

@test "the invariant checker itself: a VIP up on two nodes is a violation" {
	"$INV"
	# The VIP of mv0, raised by hand in a namespace of another node.
	where=$(node_of n1 mv0)
	other=n3
	[ "$where" = n3 ] && other=n2
	on "$other" ip netns add vs-fake
	on "$other" ip -n vs-fake link add fk0 type veth peer name fk1
	on "$other" ip -n vs-fake addr add 192.0.2.70/24 dev fk0
	on "$other" ip -n vs-fake link set fk1 up
	on "$other" ip -n vs-fake link set fk0 up
	run "$INV"
	on "$other" ip netns del vs-fake
	[ "$status" -eq 1 ]
	[[ $output == *"VIOLATED: VIP 192.0.2.70 is up on"* ]]
	"$INV"
}

@test "the master dies in the middle of a move: the new master carries it on from the journal" {
	[ "$(vsadm_on n2 cluster show --json | jq -r .master)" = n1 ]
	# mv1 moves n2 or n3 -> the other one; n1 (the master) dies at once.
	from=$(node_of n2 mv1)
	[ "$from" = n1 ] && { vsadm_on n2 vserver migrate mv1 --to n2; wait_until 60 running_on n2 mv1 n2; from=n2; }
	to=n3
	[ "$from" = n3 ] && to=n2
	start_watch
	vsadm_on n2 vserver migrate mv1 --to "$to"
	applab node n1 kill
	wait_until 90 bash -c "$APPLAB exec $to vsadm vserver show mv1 --json | jq -e --arg t $to '.runtime.state == \"running\" and .runtime.node == \$t'"
	end_watch
	# corosync notices n1's death after about 2 s (the move may be over by
	# then): n2 becomes master and closes the move from the journal.
	wait_until 30 bash -c "[ \"\$($APPLAB exec $to vsadm cluster show --json | jq -r .master)\" = n2 ]"
	wait_until 30 bash -c "$APPLAB exec $to vsadm move show --json | jq -e --arg t $to '[.moves[] | select(.vs == \"mv1\")][0] | .state == \"done\" and .to == \$t'"
	move_of "$to" mv1
	# n1's own VSs failed over meanwhile, each served once.
	for i in 0 2; do
		wait_until 90 bash -c "$APPLAB exec n2 vsadm vserver show mv$i --json | jq -e '.runtime.state == \"running\" and .runtime.node != \"n1\"'"
	done
	"$INV"
	applab node n1 start
	wait_until 90 bash -c "$APPLAB exec n2 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 3'"
	"$INV"
}

# No move under way and mv0..mv2 running: the cluster has settled (a revert
# may fall due after the master test's node came back).
settled() {
	vsadm_on n2 move show --json | jq -e '[.moves[] | select(.state != "done")] | length == 0' >/dev/null &&
		for i in 0 1 2; do [ "$(state_of n2 mv$i)" = running ] || return 1; done
}

@test "the source's applianced killed while releasing: the move finishes after its restart" {
	wait_until 150 settled
	from=$(node_of n2 mv0)
	to=n2
	[ "$from" = n2 ] && to=n3
	# Asked through the target: the source's applianced is killed below.
	q=$to
	# Its ganesha stopped (SIGSTOP) holds the release in releasing: ganesha
	# does not exit on SIGTERM until it is continued.
	gpid=$(on "$from" pgrep -f '/mv0/ganesha.conf' | head -1)
	[ -n "$gpid" ]
	kill -STOP "$gpid"
	start_writer 192.0.2.70
	start_watch
	vsadm_on "$q" vserver migrate mv0 --to "$to"
	wait_until 30 bash -c "$APPLAB exec $q vsadm move show --json | jq -e '[.moves[] | select(.vs == \"mv0\")][0].state == \"releasing\"'"
	id=$(move_of "$q" mv0 | jq .id)
	pid=$(cat "$STATE/nodes/$from/applianced.pid")
	kill -9 "$pid"
	wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"
	kill -CONT "$gpid" 2>/dev/null || true
	sleep 2
	# Nothing was acquired on the target while the source had not released.
	[ "$(move_of "$q" mv0 | jq -r .state)" = releasing ]
	! running_on "$q" mv0 "$to" || false
	"$APPLAB" up --nodes 3 --luns 6 # starts the applianced that is missing
	wait_until 90 running_on "$q" mv0 "$to"
	wait_until 30 bash -c "$APPLAB exec $q vsadm move show --json | jq -e --argjson id $id '[.moves[] | select(.id == \$id)][0].state == \"done\"'"
	end_watch
	m=$(vsadm_on "$q" move show --json | jq -c --argjson id "$id" '[.moves[] | select(.id == $id)][0]')
	echo "$m"
	[ "$(echo "$m" | jq -r .to)" = "$to" ]
	[ "$(echo "$m" | jq -c '[.steps[].state]')" = '["planned","releasing","released","acquiring","done"]' ]
	n0=$(wc -l <"$TMPD/acked.192.0.2.70")
	wait_until 30 bash -c "[ \$(wc -l <$TMPD/acked.192.0.2.70) -gt $n0 ]"
	check_writes 192.0.2.70
	"$INV"
}

# An SMB client that writes numbered files through VIP $1 (smbclient put: a
# new connection to the VS's name and address each time), acknowledged ones in
# $TMPD/sacked.$1. smbclient does not flush: its put is acknowledged at close,
# before the data is on disk, which a clean planned move (the source unmounts)
# keeps; a crash need not.
start_smb_writer() {
	: >"$TMPD/sacked.$1"
	(
		i=0
		while [ ! -e "$TMPD/sstop.$1" ]; do
			i=$((i + 1))
			echo "smb write $i via $1" >"$TMPD/sw.$1"
			if client timeout 5 smbclient -N //mv2/data -I "$1" -c "put $TMPD/sw.$1 s$i.txt" >/dev/null 2>&1; then
				echo "$i" >>"$TMPD/sacked.$1"
			fi
			sleep 0.05
		done
	) 3>&- &
	echo $! >"$TMPD/swriter.$1"
}

@test "SMB clients reconnect to the same name and address after a move; their writes survive it" {
	wait_until 150 settled
	vsadm_on n2 share add mv2 data --fs data --guest
	wait_until 30 client smbclient -N //mv2/data -I 192.0.2.72 -c ls
	# A share that does not exist is refused.
	run client smbclient -N //mv2/nosuchshare -I 192.0.2.72 -c ls
	[ "$status" -ne 0 ]
	from=$(node_of n2 mv2)
	to=n2
	[ "$from" = n2 ] && to=n3
	start_smb_writer 192.0.2.72
	wait_until 20 bash -c "[ \$(wc -l <$TMPD/sacked.192.0.2.72) -ge 3 ]"
	start_watch
	vsadm_on n2 vserver migrate mv2 --to "$to"
	wait_until 60 running_on n2 mv2 "$to"
	end_watch
	n0=$(wc -l <"$TMPD/sacked.192.0.2.72")
	wait_until 30 bash -c "[ \$(wc -l <$TMPD/sacked.192.0.2.72) -gt $n0 ]"
	touch "$TMPD/sstop.192.0.2.72"
	wait "$(cat "$TMPD/swriter.192.0.2.72")" 2>/dev/null || true
	# The same name and address answer on the new node, and every write is there.
	n=0
	for i in $(cat "$TMPD/sacked.192.0.2.72"); do
		rm -f "$TMPD/sr"
		client smbclient -N //mv2/data -I 192.0.2.72 -c "get s$i.txt $TMPD/sr" >/dev/null 2>&1 || true
		[ "$(cat "$TMPD/sr" 2>/dev/null)" = "smb write $i via 192.0.2.72" ] || {
			echo "smb write $i lost or changed: $(cat "$TMPD/sr" 2>/dev/null)"
			false
		}
		n=$((n + 1))
	done
	echo "$n acknowledged SMB writes read back after the move"
	[ "$n" -gt "$n0" ]
	"$INV"
}

@test "a VS whose servers keep failing on its node moves to one that can serve it" {
	wait_until 150 settled
	home=$(node_of n2 mv1)
	start_watch
	# Its ganesha killed whenever it is up again: 4 quick ends fail the VS,
	# its retries fail again, and 30 s after the first failure the master
	# moves it.
	t0=$SECONDS
	until [ "$(node_of n2 mv1)" != "$home" ] || [ $((SECONDS - t0)) -gt 120 ]; do
		on "$home" pkill -9 -f '/mv1/ganesha.conf' || true
		sleep 0.5
	done
	wait_until 60 bash -c "$APPLAB exec n2 vsadm vserver show mv1 --json | jq -e --arg h $home '.runtime.state == \"running\" and .runtime.node != \$h'"
	end_watch
	echo "moved $((SECONDS - t0)) s after the first kill"
	m=$(move_of n2 mv1)
	echo "$m"
	[ "$(echo "$m" | jq -r .kind)" = recover ]
	[ "$(echo "$m" | jq -r .from)" = "$home" ]
	run vsadm_on n2 event show --last 400
	echo "$output" | grep mv1 | grep -q "ended 4 times in a row"
	echo "$output" | grep mv1 | grep -q "could not run it (its servers kept failing)"
	client nfs-ls 'nfs://192.0.2.71/data?version=4' >/dev/null
	"$INV"
}
