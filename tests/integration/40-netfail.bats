#!/usr/bin/env bats
# Port failover on one node: VIPs move between the ports of their failover
# group when a port loses its carrier or stops passing traffic, come back
# after the hold-down, and a flapping port is damped.

load lab

V1=192.0.2.51
V2=192.0.2.52
V6=2001:db8:1::51

setup_file() {
	lab_up --nodes 1 --luns 1
	export TMPD=$(mktemp -d /tmp/bats-netfail.XXXXXX)
	vsadm_on n1 fgroup create pub --ports eth1,eth2 --probe 192.0.2.100 \
		--probe-interval 200 --probe-misses 3 --hold-down 5
	vsadm_on n1 vserver create vs1
	vsadm_on n1 vip add vs1 $V1/24 --home-port eth1
	vsadm_on n1 vip add vs1 $V2/24 --home-port eth1
	vsadm_on n1 vip add vs1 $V6/64 --home-port eth1
	vsadm_on n1 fs add vs1 data --lun LABEL=lab-lun0
	vsadm_on n1 export add vs1 /data --fs data
	vsadm_on n1 vserver start vs1
	echo "netfail $RANDOM" >"$TMPD/f.txt"
	client nfs-cp "$TMPD/f.txt" "nfs://$V1/data/f.txt?version=4"
}

teardown_file() {
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
}

# where ADDR: the port the VIP is on now.
where() {
	vsadm_on n1 vip show vs1 --json | jq -r --arg a "$1" '.[] | select(.address == $a) | .port'
}

# all_on PORT: every VIP of vs1 is on PORT.
all_on() {
	[ "$(vsadm_on n1 vip show vs1 --json | jq -r --arg p "$1" '[.[] | select(.port != $p)] | length')" = 0 ]
}

marks() {
	vsadm_on n1 vserver show vs1 --json | jq -r '.runtime.no_healthy_port | join(",")'
}

@test "ports, groups and VIPs are shown at home" {
	run vsadm_on n1 port show
	[[ $output == *eth1*pub*healthy* ]]
	run vsadm_on n1 port show --json
	[ "$(echo "$output" | jq -r '.[] | select(.name == "eth1") | .probe')" = passing ]
	run vsadm_on n1 fgroup show
	[[ $output == *pub*eth1,eth2*192.0.2.100* ]]
	all_on eth1
	run vsadm_on n1 vip show
	[[ $output == *"$V1/24"*eth1*pub*eth1*home* ]]
}

@test "pulling eth1 moves every VIP to eth2 and NFS goes on" {
	applab port n1 eth1 down
	wait_until 5 all_on eth2
	client nfs-cat "nfs://$V1/data/f.txt?version=4" >"$TMPD/back1"
	cmp "$TMPD/f.txt" "$TMPD/back1"
	client nfs-cat "nfs://$V2/data/f.txt?version=4" >/dev/null
	client nfs-cat "nfs://$V6/data/f.txt?version=4" >/dev/null
	run vsadm_on n1 event show --vs vs1
	[[ $output == *"virtual IP $V1 moved eth1 -> eth2: port eth1 is down"* ]]
	[[ $output == *"virtual IP $V6 moved eth1 -> eth2"* ]]
	run vsadm_on n1 vip show vs1
	[[ $output == *away*"eth1 is down"* ]]
	[ -z "$(marks)" ]
	# Counted for /metrics (appliance_vip_port_moves_total): the three VIPs, none failed.
	run vsadm_on n1 node show --json
	[ "$(jq '.counters.vip_moves.failover' <<<"$output")" = 3 ]
	[ "$(jq '.counters.vip_moves.failed' <<<"$output")" = 0 ]
}

@test "pulling eth2 too marks the VS no-healthy-port, naming the VIPs" {
	applab port n1 eth2 down
	wait_until 5 bash -c "[ -n \"\$($APPLAB exec n1 vsadm vserver show vs1 --json | jq -r '.runtime.no_healthy_port | join(\",\")')\" ]"
	m=$(marks)
	[[ $m == *$V1* && $m == *$V2* && $m == *$V6* ]]
	run vsadm_on n1 vserver show
	[[ $output == *vs1*no-healthy-port* ]]
	run vsadm_on n1 vserver show vs1
	[[ $output == *"no-healthy-port for"*$V1* ]]
	run vsadm_on n1 event show --vs vs1
	[[ $output == *"no healthy port for virtual IP $V1: no healthy port in its group (eth1 down, eth2 down)"* ]]
}

@test "plugging eth2 back clears the mark at once" {
	applab port n1 eth2 up
	wait_until 5 bash -c "[ -z \"\$($APPLAB exec n1 vsadm vserver show vs1 --json | jq -r '.runtime.no_healthy_port | join(\",\")')\" ]"
	all_on eth2
	wait_until 10 client nfs-cat "nfs://$V1/data/f.txt?version=4"
}

@test "plugging eth1 back brings the VIPs home after the hold-down" {
	applab port n1 eth1 up
	sleep 1
	all_on eth2 # still held down (5 s)
	run vsadm_on n1 vip show vs1
	[[ $output == *"waiting to return home"* ]]
	wait_until 20 all_on eth1
	run vsadm_on n1 event show --vs vs1
	[[ $output == *"virtual IP $V1 returned home eth2 -> eth1: home port eth1 healthy again"* ]]
	[ "$(vsadm_on n1 node show --json | jq '.counters.vip_moves.revert')" -ge 3 ]
	client nfs-cat "nfs://$V2/data/f.txt?version=4" >/dev/null
}

@test "a port whose carrier stays up but passes nothing is failed by its probe" {
	applab port n1 eth1 blackhole
	run vsadm_on n1 port show --json
	[ "$(echo "$output" | jq -r '.[] | select(.name == "eth1") | .carrier')" = true ]
	wait_until 10 all_on eth2
	run vsadm_on n1 port show --json
	[ "$(echo "$output" | jq -r '.[] | select(.name == "eth1") | .probe')" = failing ]
	[ "$(echo "$output" | jq -r '.[] | select(.name == "eth1") | .carrier')" = true ]
	run vsadm_on n1 event show
	[[ $output == *"port eth1 unhealthy: probe target not answering"* ]]
	client nfs-cat "nfs://$V1/data/f.txt?version=4" >/dev/null
	applab port n1 eth1 up
	wait_until 20 all_on eth1
}

@test "a port flapping 50 times in 10 s moves each VIP at most away and back" {
	# Count only what happens from now on.
	last=$(vsadm_on n1 event show --json --last 1 | jq '.[0].id')
	# The switch side of n1's eth1, straight through ip(8): 50 pulls in 10 s.
	for i in $(seq 50); do
		ip link set dev n1-eth1 down
		sleep 0.1
		ip link set dev n1-eth1 up
		sleep 0.1
	done
	sleep 2
	moves=$(vsadm_on n1 event show --json --last 2000 | jq --argjson l "$last" \
		'[.[] | select(.id > $l and .vs == "vs1" and (.message | test("moved|returned home")))] | length')
	echo "moves during flapping: $moves" >&2
	# Three VIPs: at most one move away each during the flapping.
	[ "$moves" -le 3 ]
	run vsadm_on n1 event show
	[[ $output == *"port eth1 damped"* ]]
	run vsadm_on n1 port show --json
	[ "$(echo "$output" | jq -r '.[] | select(.name == "eth1") | .damped')" = true ]
	# Still served meanwhile.
	client nfs-cat "nfs://$V1/data/f.txt?version=4" >/dev/null
}

@test "a manual migration sticks until reverted by hand" {
	# Wait for the damped port to calm down and the VIPs to come home.
	wait_until 120 all_on eth1
	vsadm_on n1 vip migrate vs1 $V2 --port eth2
	[ "$(where $V2)" = eth2 ]
	sleep 7 # longer than the hold-down: no auto-revert of a manual move
	[ "$(where $V2)" = eth2 ]
	run vsadm_on n1 vip show vs1
	[[ $output == *"moved by an administrator"* ]]
	vsadm_on n1 vip revert vs1 $V2
	[ "$(where $V2)" = eth1 ]
	client nfs-cat "nfs://$V2/data/f.txt?version=4" >/dev/null
}

@test "failover settings are validated" {
	run vsadm_on n1 fgroup create other --ports eth9
	[ "$status" -ne 0 ]
	[[ $output == *"no port named 'eth9'"* ]]
	run vsadm_on n1 fgroup create other --ports eth1
	[[ $output == *"already belongs to the failover group 'pub'"* ]]
	run vsadm_on n1 fgroup create other --ports ic0 --probe 198.51.100.0/24
	[[ $output == *"without a prefix"* ]]
	run vsadm_on n1 vip migrate vs1 $V1 --port ic0
	[[ $output == *"not in the failover group"* ]]
	run vsadm_on n1 vip add vs1 192.0.2.53/24 --home-port eth1 --group nope
	[[ $output == *"no failover group named 'nope'"* ]]
	[ -z "$(vsadm_on n1 vip show vs1 --json | jq -r '.[] | select(.address == "192.0.2.53") | .address')" ]
	run vsadm_on n1 fgroup delete pub
	[ "$status" -eq 0 ] # no VIP names it explicitly: they fall back to their home port
	vsadm_on n1 fgroup create pub --ports eth1,eth2 --probe 192.0.2.100 --hold-down 5
}
