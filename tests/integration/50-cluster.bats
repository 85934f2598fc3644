#!/usr/bin/env bats
# The cluster over three lab nodes: real corosync (CPG, quorum), one
# replicated configuration, the master's placement, node failover by
# priority and load, pinned VSs that wait, catching up after a down time,
# a cut-off node stopping its VSs, fencing through each node's BMC (real
# fence_ipmilan against OpenIPMI's ipmi_sim); the invariant checked after
# every step.

load lab

INV="$BATS_TEST_DIRNAME/invariant"

setup_file() {
	lab_up --nodes 3 --luns 6
	export TMPD=$(mktemp -d /tmp/bats-cluster.XXXXXX)
}

teardown_file() {
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
}

state_of() { # NODE VS -> state
	vsadm_on "$1" vserver show "$2" --json | jq -r .runtime.state
}

node_of() { # NODE VS -> node
	vsadm_on "$1" vserver show "$2" --json | jq -r .runtime.node
}

running_on() { # ASK VS NODE: VS runs on NODE, as ASK sees it
	[ "$(node_of "$1" "$2")" = "$3" ] && [ "$(state_of "$1" "$2")" = running ]
}

@test "three nodes form a quorate cluster with a master" {
	wait_until 20 bash -c "$APPLAB exec n2 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 3'"
	run vsadm_on n2 cluster show --json
	[ "$(echo "$output" | jq -r .quorate)" = true ]
	[ "$(echo "$output" | jq -r .master)" = n1 ]
	run vsadm_on n3 node show
	[[ $output == *"quorate, master n1"* ]]
	"$INV"
}

mgmt_on() { # NODE: the management address is on NODE's eth1
	on "$1" ip -o addr show dev eth1 | grep -q ' 192.0.2.5/24 '
}

@test "the management address answers on the master" {
	wait_until 20 mgmt_on n1
	! mgmt_on n2 || false
	! mgmt_on n3 || false
	# It answers: a TCP connection is refused (nothing listens there yet), not lost.
	run client timeout 3 bash -c 'exec 3<>/dev/tcp/192.0.2.5/80'
	[[ $output == *"Connection refused"* ]]
}

# served_cn ADDR: the CN of the certificate apweb serves on ADDR:8443, from the client (its node).
served_cn() {
	client openssl s_client -connect "$1:8443" </dev/null 2>/dev/null |
		openssl x509 -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p'
}

@test "the lab's apweb on every node: appweb's uid, /metrics on its own address, the master's on 192.0.2.5" {
	local n i pid
	for i in 1 2 3; do
		n=n$i
		pid=$(cat "/var/lib/applab/nodes/$n/apweb.pid")
		[ "$(cat /proc/"$pid"/comm)" = apweb ]
		[ "$(stat -c %U /proc/"$pid")" = appweb ]
		grep -q '^CapEff:[[:space:]]*0000000000000000$' /proc/"$pid"/status
		grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/"$pid"/status
		# Its open ports: one TCP listener, 8443; no UDP socket, no other listener.
		run on "$n" ss -Hlntup
		[ "$(grep -c "pid=$pid," <<<"$output")" = 1 ]
		grep "pid=$pid," <<<"$output" | grep -q '^tcp .*0\.0\.0\.0:8443 '
		wait_until 15 bash -c "$APPLAB client curl -sSk --max-time 5 https://192.0.2.1$i:8443/metrics | grep -qx 'appliance_scrape_ok 1'"
		[ "$(served_cn 192.0.2.1$i)" = "$n" ]
	done
	# The management address is the master's (n1): its apweb answers there.
	[ "$(served_cn 192.0.2.5)" = n1 ]
	client curl -sSk --max-time 5 https://192.0.2.5:8443/metrics | grep -q '^appliance_scrape_ok 1$'
	# And the console's page (the lab gives apweb the built console files).
	client curl -sSk --max-time 5 https://192.0.2.5:8443/ | grep -qi '^<!doctype html>'
}

@test "losing the interconnect alone changes nothing: corosync's second link carries" {
	run vsadm_on n1 cluster show --json
	[ "$(echo "$output" | jq -r '.nodes[] | select(.name == "n3") | .address2')" = 192.0.2.13 ]
	applab port n3 ic0 down
	sleep 5 # longer than corosync's token: a lost node would be gone by now
	run vsadm_on n1 cluster show --json
	[ "$(echo "$output" | jq '[.nodes[] | select(.state == "member")] | length')" = 3 ]
	[ "$(echo "$output" | jq -r .quorate)" = true ]
	run vsadm_on n3 cluster show --json
	[ "$(echo "$output" | jq -r .quorate)" = true ]
	# node show tells which link is down.
	run vsadm_on n1 node show --json
	[ "$(echo "$output" | jq -r '.nodes[] | select(.name == "n3") | .links')" = "ic:down,pub:up" ]
	applab port n3 ic0 up
	wait_until 20 bash -c "$APPLAB exec n1 vsadm node show --json | jq -e '.nodes[] | select(.name == \"n3\") | .links == \"ic:up,pub:up\"'"
}

@test "a change made on any node is the same on every node" {
	vsadm_on n2 vserver create probe1
	for n in n1 n2 n3; do
		vsadm_on $n vserver show probe1 --json | jq -e '.name == "probe1"'
	done
	v1=$(vsadm_on n1 vserver show --json | jq -S 'map(del(.runtime))')
	v3=$(vsadm_on n3 vserver show --json | jq -S 'map(del(.runtime))')
	[ "$v1" = "$v3" ]
	vsadm_on n3 vserver delete probe1
	! vsadm_on n1 vserver show probe1 || false
	# The event log is the same on every node.
	e1=$(vsadm_on n1 event show --vs probe1 --json | jq -c 'map([.node, .message])')
	e3=$(vsadm_on n3 event show --vs probe1 --json | jq -c 'map([.node, .message])')
	[ "$e1" = "$e3" ]
	[[ $e1 == *"virtual server created"*"virtual server deleted"* ]]
}

cfg_version() { vsadm_on "$1" cluster show --json | jq -r .config_version; }

@test "changes made while a node catches up reach it" {
	# n3's applianced is killed (corosync lives on) and a change is made
	# without it; while it starts again and announces how far behind it is,
	# n1 goes on making changes (a loop inside n1, a change every few ms),
	# so some are delivered between n1's announcement and n3's. n3 must end
	# at n1's version each time: it once refused every full copy, each newer
	# than the version n1 had announced, until the next membership change
	# (seen at a lab's start, changes made while n3 joined). Four rounds;
	# each back within the agent grace: no fencing.
	for r in 1 2 3 4; do
		pid=$(cat /var/lib/applab/nodes/n3/applianced.pid)
		kill -9 "$pid"
		wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"
		vsadm_on n1 vserver create cu$r-0
		"$APPLAB" exec n1 sh -c "for k in \$(seq 1 60); do vsadm vserver create cu$r-\$k >/dev/null 2>&1; done" 3>&- &
		loop=$!
		# (--no-fence: the fence devices stay as they are; setting them again
		# would race the loop's changes and be refused)
		applab up --nodes 3 --luns 6 --no-fence # starts n3's applianced again
		wait "$loop" || true
		v1=$(cfg_version n1)
		wait_until 20 bash -c "[ \"\$($APPLAB exec n3 vsadm cluster show --json | jq -r .config_version)\" = $v1 ]" || {
			echo "# round $r: n1 at version $v1, n3 at $(cfg_version n3)" >&2
			false
		}
		echo "round $r: n3 at n1's version $v1"
		vsadm_on n3 vserver show cu$r-0 --json | jq -e ".name == \"cu$r-0\""
	done
	! grep -q 'set power 0' /var/lib/applab/nodes/n3/bmc.log || false
	"$APPLAB" exec n1 sh -c 'for v in $(vsadm vserver show --json | jq -r ".[].name | select(startswith(\"cu\"))"); do vsadm vserver delete $v >/dev/null; done'
	wait_until 30 bash -c "[ \"\$($APPLAB exec n3 vsadm cluster show --json | jq -r .config_version)\" = \"\$($APPLAB exec n1 vsadm cluster show --json | jq -r .config_version)\" ]"
	! vsadm_on n3 vserver show cu1-0 || false
}

fence_all() { # give every node its fence device: its lab BMC
	for n in n1 n2 n3; do
		vsadm_on n2 fence set $n --agent fence_ipmilan --options "$(applab bmc $n)"
	done
}

@test "fence devices: set, shown without secrets, checked, bad input refused" {
	fence_all
	run vsadm_on n3 fence show --json
	[ "$(echo "$output" | jq -r '.[] | select(.node == "n1") | .agent')" = fence_ipmilan ]
	[[ $output == *"password=***"* ]]
	[[ $output != *"$(applab bmc n1 | sed 's/.*password=\([^,]*\).*/\1/')"* ]]
	# The BMC answers from another node: n1 is powered on.
	run vsadm_on n3 fence check n1
	[ "$status" -eq 0 ]
	[[ $output == *"n1 is powered on"* ]]
	v=$(vsadm_on n1 node show --json | jq .config_version)
	run vsadm_on n1 fence set n1 --agent /bin/sh --options "ip=192.0.2.1"
	[ "$status" -eq 1 ]
	[[ $output == *"not the name of a fence-agents program"* ]]
	run vsadm_on n1 fence set n1 --agent fence_ipmilan --options "ip=x,action=on"
	[ "$status" -eq 1 ]
	run vsadm_on n1 fence set n9 --agent fence_ipmilan
	[ "$status" -eq 1 ]
	[[ $output == *"no node named"* ]]
	[ "$(vsadm_on n1 node show --json | jq .config_version)" = "$v" ]
	# A device that does not answer is reported as such, in one sentence.
	vsadm_on n1 fence set n3 --agent fence_ipmilan --options "ip=198.51.100.99,username=a,password=b,lanplus=1,cipher=3,power_timeout=2,login_timeout=2,retry_on=1"
	run vsadm_on n1 fence check n3
	[ "$status" -eq 1 ]
	[[ $output == *"did not answer"* ]]
	fence_all
}

@test "four VSs of a node that dies restart on the two others, spread, highest priority first" {
	for i in 0 1 2 3; do
		vsadm_on n1 vserver create vs$i --priority $((10 + 20 * i)) --home n1
		vsadm_on n1 vip add vs$i 192.0.2.6$i/24 --home-port eth1
		vsadm_on n1 fs add vs$i data --lun LABEL=lab-lun$i
		vsadm_on n1 export add vs$i /data --fs data
		vsadm_on n1 vserver start vs$i
	done
	for i in 0 1 2 3; do
		wait_until 30 running_on n2 vs$i n1
		echo "data of vs$i $RANDOM" >"$TMPD/f$i"
		client nfs-cp "$TMPD/f$i" "nfs://192.0.2.6$i/data/f.txt?version=4"
	done
	on n1 sync
	"$INV"
	last=$(vsadm_on n2 event show --json --last 1 | jq '.[0].id')
	applab node n1 kill
	# corosync notices in about 2 s; n1 is fenced (its BMC confirms it is off), so
	# the survivors reset ext4 MMP instead of waiting about 22 s for it.
	for i in 0 1 2 3; do
		wait_until 90 bash -c "$APPLAB exec n2 vsadm vserver show vs$i --json | jq -e '.runtime.state == \"running\" and .runtime.node != \"n1\"'"
	done
	n2=0
	for i in 0 1 2 3; do
		node=$(node_of n2 vs$i)
		[ "$node" = n2 ] || [ "$node" = n3 ]
		[ "$node" = n2 ] && n2=$((n2 + 1))
	done
	[ "$n2" = 2 ] # spread: two on each survivor
	# Highest priority placed first.
	order=$(vsadm_on n2 event show --json --last 200 | jq -r --argjson l "$last" \
		'[.[] | select(.id > $l and (.message | startswith("moved n1->")))] | map(.vs) | join(" ")')
	[ "$order" = "vs3 vs2 vs1 vs0" ]
	# Fenced before anything moved, and MMP reset rather than waited for.
	run vsadm_on n3 event show --last 300
	echo "$output" | tail -40 # shown if what follows fails
	[[ $output == *"node n1 is powered off (fenced in"* ]]
	# Nothing is acquired on a survivor before n1 is off (its moves may begin
	# earlier: its last report, as its cables went down, said it had no
	# healthy port; then they wait, released to no node, for the fencing).
	fenced_line=$(echo "$output" | grep -n "node n1 is powered off" | head -1 | cut -d: -f1)
	acquiring_line=$(echo "$output" | grep -n "acquiring on n[23]" | head -1 | cut -d: -f1)
	[ "$fenced_line" -lt "$acquiring_line" ]
	[ "$(echo "$output" | grep -c 'multi-mount protection reset on')" -ge 4 ]
	grep -q 'get power' /var/lib/applab/nodes/n1/bmc.log
	# The management address followed the master.
	[ "$(vsadm_on n2 cluster show --json | jq -r .master)" = n2 ]
	wait_until 20 mgmt_on n2
	! mgmt_on n3 || false
	# The client reads what it wrote before, and writes again: no data lost.
	for i in 0 1 2 3; do
		wait_until 60 client nfs-cat "nfs://192.0.2.6$i/data/f.txt?version=4"
		client nfs-cat "nfs://192.0.2.6$i/data/f.txt?version=4" >"$TMPD/back$i"
		cmp "$TMPD/f$i" "$TMPD/back$i"
		echo "after failover $i" >"$TMPD/g$i"
		client nfs-cp "$TMPD/g$i" "nfs://192.0.2.6$i/data/g.txt?version=4"
	done
	"$INV"
}

@test "a pinned VS waits for its node, and a change made meanwhile reaches the node" {
	vsadm_on n2 vserver create pin --pinned --home n1 --priority 90
	vsadm_on n2 vip add pin 192.0.2.69/24 --home-port eth1
	vsadm_on n2 fs add pin data --lun LABEL=lab-lun4
	vsadm_on n2 export add pin /data --fs data
	vsadm_on n2 vserver start pin
	wait_until 10 bash -c "$APPLAB exec n2 vsadm event show --vs pin | grep -q 'pinned to n1.*waits for its node'"
	[ "$(state_of n2 pin)" = unplaced ]
	"$INV"
	applab node n1 start
	# n1 catches up (the VS "pin" was created while it was down) and runs it.
	wait_until 60 bash -c "$APPLAB exec n1 vsadm vserver show pin --json >/dev/null"
	wait_until 60 running_on n1 pin n1
	wait_until 30 client nfs-ls 'nfs://192.0.2.69/data?version=4'
	# The others did not move back: they stay where they run.
	[ "$(node_of n1 vs3)" != n1 ]
	run vsadm_on n1 event show
	[[ $output == *"caught up to configuration version"* ]]
	# n1 was dead while the others logged its fencing and the moves of its
	# VSs: its event log catches them up.
	wait_until 30 bash -c "$APPLAB exec n1 vsadm event show --last 2000 | grep -q 'node n1 is powered off (fenced in'"
	# A move is logged "moved n1->n2: ..." when placed at once, or "moved
	# n1->: ..." then "move 3 n1->n2 (failover): ..." when it began before
	# the fencing (released to no node, as the test before this one says).
	wait_until 30 bash -c "$APPLAB exec n1 vsadm event show --last 2000 | grep -Eq 'moved n1->n|move [0-9]+ n1->n'" || {
		echo "# n1's events of moves, then n2's:" >&2
		for n in n1 n2; do vsadm_on $n event show --last 2000 | grep -E "n1->|move [0-9]+" | tail -12 >&2; done
		false
	}
	"$INV"
}

@test "a node cut off from every network stops its VSs, and they run elsewhere" {
	# vs3 runs on n2 or n3 since n1's fencing, or on n1 again once auto-revert's
	# 30 s hold-down has passed (how long the test before took decides): the
	# node that runs it is cut off, another one is asked.
	wait_until 90 bash -c "[ \"\$($APPLAB exec n2 vsadm vserver show vs3 --json | jq -r .runtime.state)\" = running ]"
	victim=$(node_of n2 vs3)
	[ "$victim" = n1 ] || [ "$victim" = n2 ] || [ "$victim" = n3 ]
	ask=n1
	[ "$victim" = n1 ] && ask=n2
	# Without a fence device the survivors cannot power it off: they wait for
	# MMP, while the cut-off node stops its VSs itself (no quorum).
	vsadm_on $ask fence delete "$victim"
	for p in ic0 eth1 eth2; do applab port "$victim" $p down; done
	# The cut-off node has no quorum: it stops its VSs.
	wait_until 30 bash -c "! $APPLAB exec $victim awk '\$5 ~ \"^/run/appliance/mnt/\"' /proc/self/mountinfo | grep -q ."
	"$INV"
	wait_until 90 bash -c "[ \"\$($APPLAB exec $ask vsadm vserver show vs3 --json | jq -r .runtime.state)\" = running ]"
	[ "$(node_of $ask vs3)" != "$victim" ]
	"$INV"
	wait_until 60 client nfs-cat 'nfs://192.0.2.63/data/f.txt?version=4'
	run vsadm_on "$victim" cluster show --json
	[ "$(echo "$output" | jq -r .quorate)" = false ]
	run vsadm_on "$victim" vserver create nope
	[ "$status" -ne 0 ]
	[[ $output == *"no quorum"* ]]
	for p in ic0 eth1 eth2; do applab port "$victim" $p up; done
	wait_until 30 bash -c "[ \"\$($APPLAB exec $victim vsadm cluster show --json | jq -r .quorate)\" = true ]"
	# What the cut-off node logged alone reaches the others' event logs.
	wait_until 30 bash -c "$APPLAB exec $ask vsadm event show --last 2000 --json | jq -e --arg v $victim 'any(.[]; .node == \$v and (.message | startswith(\"this node lost quorum\")))'"
	"$INV"
}

@test "a node cut off with a fence device is powered off through its BMC, and its VSs move at once" {
	fence_all
	victim=$(node_of n2 vs3)
	ask=n1
	[ "$victim" = n1 ] && ask=n2
	for p in ic0 eth1 eth2; do applab port "$victim" $p down; done
	wait_until 60 bash -c "$APPLAB exec $ask vsadm vserver show vs3 --json | jq -e --arg v $victim '.runtime.state == \"running\" and .runtime.node != \$v'"
	# The BMC was told to power it off, and it is off: no process of it is left.
	grep -q 'set power 0' "/var/lib/applab/nodes/$victim/bmc.log"
	applab status | grep -E "^node $victim +dead"
	run vsadm_on "$ask" event show --last 100
	[[ $output == *"node $victim is powered off (fenced in"* ]]
	"$INV"
	# Counted: the fencing by the node that ran it, the failover moves by the master, and
	# /metrics on the management address (the master's apweb) says so.
	local n fenced=0 m
	for n in n1 n2 n3; do
		[ "$n" = "$victim" ] && continue
		fenced=$((fenced + $(vsadm_on "$n" cluster show --json | jq '.counters.fencing.success')))
	done
	((fenced >= 1))
	m=$(vsadm_on "$ask" cluster show --json | jq -r .master)
	wait_until 15 bash -c "$APPLAB client curl -sSk --max-time 5 https://192.0.2.5:8443/metrics | grep -E '^appliance_moves_total\{node=\"$m\",kind=\"failover\",outcome=\"done\"\} [1-9]'"
	wait_until 60 client nfs-cat 'nfs://192.0.2.63/data/f.txt?version=4'
	applab node "$victim" start
	wait_until 60 bash -c "$APPLAB exec $ask vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 3'"
	"$INV"
}

@test "a VS leaving a live node (its port failed) starts on the peer only once released" {
	victim=$(node_of n1 vs2)
	ask=n1
	[ "$victim" = n1 ] && ask=n2
	last=$(vsadm_on "$ask" event show --json --last 1 | jq '.[0].id')
	applab port "$victim" eth1 down # vs2's only port there: it must move
	wait_until 60 bash -c "$APPLAB exec $ask vsadm vserver show vs2 --json | jq -e --arg v $victim '.runtime.state == \"running\" and .runtime.node != \$v'"
	new=$(node_of "$ask" vs2)
	"$INV"
	run vsadm_on "$ask" event show --json --last 400
	ev=$(echo "$output" | jq --argjson l "$last" '[.[] | select(.id > $l and .vs == "vs2")]')
	echo "$ev" | jq -r '.[] | "\(.node) \(.message)"'
	# The peer waited, the old node stopped it, and only then did the peer mount.
	stopped=$(echo "$ev" | jq --arg v "$victim" '[.[] | select(.node == $v and (.message | startswith("stopped: virtual IPs down")))][0].ts_usec')
	mounting=$(echo "$ev" | jq --arg n "$new" '[.[] | select(.node == $n and (.message | startswith("mounting file system")))][0].ts_usec')
	[ "$stopped" != null ] && [ "$mounting" != null ]
	[ "$stopped" -le "$mounting" ]
	# A journaled move: placed on no node while the old one releases it, on the
	# peer only once released.
	echo "$ev" | jq -e --arg v "$victim" 'any(.[]; .message | test("move [0-9]+ \\(ports\\): releasing on " + $v))'
	echo "$ev" | jq -e --arg v "$victim" --arg n "$new" 'any(.[]; .message | test($v + " released it in [0-9.]+ s; acquiring on " + $n))'
	run vsadm_on "$ask" move show --json
	echo "$output" | jq -e --arg v "$victim" --arg n "$new" 'any(.moves[]; .vs == "vs2" and .kind == "ports" and .from == $v and .to == $n and .state == "done" and ([.steps[].state] == ["planned", "releasing", "released", "acquiring", "done"]))'
	! echo "$ev" | jq -e 'any(.[]; .message | test("mounting .* failed"))' || false
	applab port "$victim" eth1 up
	wait_until 30 client nfs-cat 'nfs://192.0.2.62/data/f.txt?version=4'
	"$INV"
}
