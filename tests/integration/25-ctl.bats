#!/usr/bin/env bats
# The control plane's gates over a two-node lab: placement is the only gate
# (a `vserver start` typed on a node that does not run the VS starts nothing
# there), the control socket refuses out-of-range integers, state files are
# 0600 in a 0700 directory, the join bundle is written only to a new file,
# an event just logged is seen at once, and node show warns about a node
# without a fence device.

load lab

INV="$BATS_TEST_DIRNAME/invariant"

setup_file() {
	lab_up --nodes 2 --luns 2
	export TMPD=$(mktemp -d /tmp/bats-ctl.XXXXXX)
}

teardown_file() {
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
}

where() { # ASK VS -> "state node"
	vsadm_on "$1" vserver show "$2" --json | jq -r '.runtime.state + " " + .runtime.node'
}

# NODE VS: nothing of VS on NODE: no namespace, no mount of its file systems.
nothing_on() {
	! on "$1" ip netns list | grep -qw "vs-$2" &&
		! on "$1" grep -q "/vs/$2/" /proc/self/mounts
}

# NODE VS SECONDS: nothing of VS on NODE at any moment for SECONDS (polled every 0.1 s).
never_on() {
	local end=$((SECONDS + $3))
	while ((SECONDS < end)); do
		nothing_on "$1" "$2" || {
			echo "vs $2 appeared on $1:" >&2
			on "$1" ip netns list >&2
			return 1
		}
		sleep 0.1
	done
}

@test "vserver start on a node that does not run the VS starts nothing there" {
	wait_until 30 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 2'"
	vsadm_on n1 vserver create gate --home n1
	vsadm_on n1 vip add gate 192.0.2.70/24 --home-port eth1
	vsadm_on n1 fs add gate data --lun LABEL=lab-lun0
	vsadm_on n1 export add gate /data --fs data
	vsadm_on n1 vserver start gate
	wait_until 30 bash -c "[ \"\$($APPLAB exec n2 vsadm vserver show gate --json | jq -r '.runtime.state + \" \" + .runtime.node')\" = 'running n1' ]"
	wait_until 30 client nfs-ls 'nfs://192.0.2.70/data?version=4'
	[ "$(pgrep -xc ganesha.nfsd)" = 1 ]
	nothing_on n2 gate
	# Event ids are each node's own numbering: the mark comes from n1, which
	# is asked below.
	last=$(vsadm_on n1 event show --json --last 1 | jq '.[0].id')

	# Typed on n2: the configuration already wants it running; n2 starts nothing.
	run vsadm_on n2 vserver start gate
	[ "$status" -eq 0 ]
	[[ $output == *"runs on n1"* ]]
	never_on n2 gate 4
	[ "$(pgrep -xc ganesha.nfsd)" = 1 ]
	run vsadm_on n2 vserver start gate --no-wait
	[ "$status" -eq 0 ]
	never_on n2 gate 2
	# n2 logged nothing about gate (no start, no mount), and its report did not
	# overwrite gate's state: still running on n1, as both nodes see it.
	n=$(vsadm_on n1 event show --json --vs gate --last 200 | jq --argjson l "$last" '[.[] | select(.id > $l and .node == "n2")] | length')
	[ "$n" = 0 ]
	[ "$(where n1 gate)" = "running n1" ]
	[ "$(where n2 gate)" = "running n1" ]
	client nfs-ls 'nfs://192.0.2.70/data?version=4'
	"$INV"
}

@test "stopped, then started from the other node: it runs where the placement puts it" {
	vsadm_on n2 vserver stop gate
	wait_until 30 bash -c "[ \"\$($APPLAB exec n1 vsadm vserver show gate --json | jq -r .runtime.state)\" = stopped ]"
	vsadm_on n2 vserver start gate --no-wait
	# Its home is n1: it comes up there, and never on n2, where it was typed.
	never_on n2 gate 3
	wait_until 30 bash -c "[ \"\$($APPLAB exec n2 vsadm vserver show gate --json | jq -r '.runtime.state + \" \" + .runtime.node')\" = 'running n1' ]"
	nothing_on n2 gate
	[ "$(pgrep -xc ganesha.nfsd)" = 1 ]
	wait_until 30 client nfs-ls 'nfs://192.0.2.70/data?version=4'
	"$INV"
}

# A raw request over the control socket of NODE (vsadm's own checks bypassed).
raw() {
	local node=$1 req=$2
	on "$node" python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/run/appliance/applianced.sock")
s.sendall(sys.argv[1].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    b = s.recv(65536)
    if not b:
        break
    buf += b
print(buf.decode().strip())
' "$req"
}

@test "64-bit integers out of range are refused, not cut" {
	v=$(vsadm_on n1 node show --json | jq .config_version)
	run raw n1 '{"cmd":"vserver.create","args":{"name":"big","priority":4294967346}}'
	[[ $output == *'"ok":false'* ]]
	[[ $output == *"priority must be between 0 and 100"* ]]
	run raw n1 '{"cmd":"event.show","args":{"limit":4294967346}}'
	[[ $output == *'"ok":false'* ]]
	run raw n1 '{"cmd":"fgroup.create","args":{"name":"g","ports":"eth1","hold_down":-8589934592}}'
	[[ $output == *'"ok":false'* ]]
	! vsadm_on n1 vserver show big || false
	[ "$(vsadm_on n1 node show --json | jq .config_version)" = "$v" ]
	# A command name that is not one is refused without being echoed.
	run raw n1 '{"cmd":"password=hunter2"}'
	[[ $output == *'"ok":false'* ]]
	[[ $output != *hunter2* ]]
}

@test "state files are 0600 in a 0700 directory, on every node" {
	for n in n1 n2; do
		[ "$(on $n stat -c %a /var/lib/appliance)" = 700 ]
		for f in state.db state.db-wal state.db-shm cluster/authkey; do
			if on $n test -e /var/lib/appliance/$f; then
				[ "$(on $n stat -c %a /var/lib/appliance/$f)" = 600 ] || {
					echo "$n: /var/lib/appliance/$f is $(on $n stat -c %a /var/lib/appliance/$f)" >&2
					return 1
				}
			fi
		done
		on $n test -e /var/lib/appliance/state.db
	done
}

@test "the join bundle goes only to a new file, 0600; never over a file or through a symlink" {
	on n1 rm -f /tmp/ctl-bundle /tmp/ctl-target /tmp/ctl-link
	on n1 sh -c 'umask 0; vsadm cluster bundle --out /tmp/ctl-bundle'
	[ "$(on n1 stat -c %a /tmp/ctl-bundle)" = 600 ]
	on n1 jq -e .key /tmp/ctl-bundle >/dev/null
	# An existing file is refused, and left as it was.
	on n1 sh -c 'echo old >/tmp/ctl-target; chmod 644 /tmp/ctl-target'
	run vsadm_on n1 cluster bundle --out /tmp/ctl-target
	[ "$status" -eq 1 ]
	[[ $output == *"already exists"* ]]
	[ "$(on n1 cat /tmp/ctl-target)" = old ]
	# A symlink is refused; nothing is written where it points.
	on n1 ln -s /tmp/ctl-elsewhere /tmp/ctl-link
	run vsadm_on n1 cluster bundle --out /tmp/ctl-link
	[ "$status" -eq 1 ]
	! on n1 test -e /tmp/ctl-elsewhere || false
	on n1 rm -f /tmp/ctl-bundle /tmp/ctl-target /tmp/ctl-link
}

@test "an event just logged is seen at once" {
	vsadm_on n2 vserver create seen
	run vsadm_on n2 event show --vs seen --last 5
	[[ $output == *"virtual server created"* ]]
	run vsadm_on n1 event show --vs seen --last 5
	[[ $output == *"virtual server created"* ]]
	vsadm_on n1 vserver delete seen
	run vsadm_on n1 event show --vs seen --last 5
	[[ $output == *"virtual server deleted"* ]]
}

@test "node show warns about a node without a fence device" {
	vsadm_on n1 fence delete n2 || true
	run vsadm_on n1 node show
	[[ $output == *"Warning: node n2 has no fence device: takeover of its virtual servers waits for ext4 multi-mount protection (about 22 s)"* ]]
	run vsadm_on n2 cluster show
	[[ $output == *"Warning: node n2 has no fence device"* ]]
	vsadm_on n1 fence set n2 --agent fence_ipmilan --options "$(applab bmc n2)"
	run vsadm_on n1 node show
	[[ $output != *"node n2 has no fence device"* ]]
	# Each node is warned about by its own state, from the JSON the lead adds.
	for n in n1 n2; do
		fd=$(vsadm_on n1 node show --json | jq -r ".nodes[] | select(.name == \"$n\") | .fence_device")
		run vsadm_on n1 node show
		if [ "$fd" = false ]; then
			[[ $output == *"node $n has no fence device"* ]]
		else
			[[ $output != *"node $n has no fence device"* ]]
		fi
	done
}

@test "users and groups of a VS: a password read from stdin is stored only as hashes, replicated, never shown; bad input changes nothing" {
	vsadm_on n1 vserver create idv
	vsadm_on n1 group add idv eng --gid 2000
	printf 'corr3ct-horse\n' | vsadm_on n1 user add idv alice --group eng --password-stdin
	vsadm_on n1 user add idv bob --uid 1500
	vsadm_on n1 group member add idv eng bob
	# On the other node, as replicated: ids, groups, whether a password is set.
	wait_until 10 bash -c "$APPLAB exec n2 vsadm group show idv --json | jq -e '.[] | select(.name == \"eng\") | .members | length == 2'"
	run vsadm_on n2 user show idv --json
	echo "$output"
	[ "$(echo "$output" | jq -r '.[] | select(.name == "alice") | .password')" = set ]
	[ "$(echo "$output" | jq -r '.[] | select(.name == "alice") | .uid')" = 1000 ]
	[ "$(echo "$output" | jq -r '.[] | select(.name == "bob") | .password')" = "not set" ]
	[ "$(echo "$output" | jq -c '.[] | select(.name == "bob") | .groups')" = '["bob","eng"]' ]
	[ "$(vsadm_on n2 group show idv --json | jq -c '.[] | select(.name == "eng") | .members')" = '["alice","bob"]' ]
	# No hash and no password in any answer or event.
	for out in "$output" "$(vsadm_on n2 vserver show idv --json)" "$(vsadm_on n1 event show --vs idv --last 20)"; do
		[[ $out != *'$y$'* && $out != *corr3ct* ]]
	done
	vsadm_on n2 event show --vs idv --last 20 | grep "user alice added (uid 1000, group eng), with a password"
	# A new password: a new hash.
	printf 'an0ther-pass\n' | vsadm_on n2 user passwd idv alice
	# Refusals: one sentence each, the configuration version unchanged.
	v0=$(vsadm_on n1 cluster show --json | jq .config_version)
	run vsadm_on n1 user add idv Root
	[ "$status" -ne 0 ]
	[[ $output == *"must start with a lower-case letter"* ]]
	run vsadm_on n1 user add idv root
	[[ $output == *"system's own accounts"* ]]
	run vsadm_on n1 user add idv carol --uid 0
	[[ $output == *"from 1000 to 59999"* ]]
	run bash -c "printf 'short\n' | $APPLAB exec n1 vsadm user add idv carol --password-stdin"
	[ "$status" -ne 0 ]
	[[ $output == *"at least 8 characters"* && $output != *short* ]]
	run vsadm_on n1 group remove idv eng
	[[ $output == *"primary group of user 'alice'"* ]]
	run vsadm_on n1 group member frob idv eng bob
	[[ $output == *"Give add or remove"* ]]
	[ "$(vsadm_on n1 cluster show --json | jq .config_version)" = "$v0" ]
	[ "$(vsadm_on n1 user show idv --json | jq length)" = 2 ]
	vsadm_on n1 user remove idv bob
	# bob's own group went with him; eng stays.
	wait_until 10 bash -c "$APPLAB exec n2 vsadm group show idv --json | jq -e '[.[].name] == [\"eng\"]'"
	vsadm_on n1 vserver delete idv
}
