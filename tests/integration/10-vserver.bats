#!/usr/bin/env bats
# Virtual servers on one node, served for real: ganesha and smbd in the VS's
# namespace, libnfs and smbclient from the client namespace.

load lab

VIP1=192.0.2.51
VIP2=192.0.2.52
VIP6=2001:db8:1::51
VIPB=192.0.2.61

setup_file() {
	lab_up --nodes 1 --luns 3
	export TMPD=$(mktemp -d /tmp/bats-vs.XXXXXX)
}

teardown_file() {
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
}

nfs_url() { # VIP PATH (libnfs takes an IPv6 address without brackets)
	echo "nfs://$1$2?version=4"
}

@test "a VS with two VIPs, an NFS export and an SMB share starts and serves" {
	vsadm_on n1 vserver create vs1 --priority 70
	vsadm_on n1 vip add vs1 $VIP1/24 --home-port eth1
	vsadm_on n1 vip add vs1 $VIP2/24 --home-port eth2
	vsadm_on n1 vip add vs1 $VIP6/64 --home-port eth1
	vsadm_on n1 fs add vs1 data --lun LABEL=lab-lun0
	vsadm_on n1 export add vs1 /data --fs data
	vsadm_on n1 share add vs1 data --fs data --guest
	run vsadm_on n1 vserver start vs1
	[ "$status" -eq 0 ]
	[[ $output == *running* ]]
	run vsadm_on n1 vserver show vs1 --json
	[ "$status" -eq 0 ]
	state=$(echo "$output" | jq -r .runtime.state)
	[ "$state" = running ]
	# Each VIP is up on its home port, inside the namespace vs-vs1 only.
	on n1 ip netns exec vs-vs1 ip -o addr show | grep -q "$VIP1/24"
	on n1 ip netns exec vs-vs1 ip -o addr show | grep -q "$VIP2/24"
	! on n1 ip -o addr show | grep -q "$VIP1" || false
	# The MAC is stable and locally administered.
	mac=$(on n1 ip netns exec vs-vs1 ip -o link show | grep -o 'link/ether 02:[0-9a-f:]*' | head -1)
	[ -n "$mac" ]
}

@test "a file written over NFS reads back over SMB, and the other way round" {
	echo "written over NFS $RANDOM" >"$TMPD/a.txt"
	client nfs-cp "$TMPD/a.txt" "$(nfs_url $VIP1 /data/a.txt)"
	client smbclient -N //$VIP2/data -c "get a.txt $TMPD/a.back"
	cmp "$TMPD/a.txt" "$TMPD/a.back"

	echo "written over SMB $RANDOM" >"$TMPD/b.txt"
	client smbclient -N //$VIP1/data -c "put $TMPD/b.txt b.txt"
	client nfs-cat "$(nfs_url $VIP2 /data/b.txt)" >"$TMPD/b.back"
	cmp "$TMPD/b.txt" "$TMPD/b.back"
}

@test "the IPv6 VIP serves NFS and SMB" {
	run client nfs-ls "$(nfs_url $VIP6 /data)"
	[ "$status" -eq 0 ]
	[[ $output == *a.txt* ]]
	run client smbclient -N //vs1/data -I $VIP6 -c ls
	[ "$status" -eq 0 ]
	[[ $output == *b.txt* ]]
}

@test "exports and shares are added and removed without restarting the servers" {
	pid_nfs=$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.nfs.pid)
	pid_smb=$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.smb.pid)
	vsadm_on n1 export add vs1 /sub --fs data --path sub/dir --ro
	vsadm_on n1 share add vs1 sub --fs data --path sub/dir --guest
	wait_until 10 client nfs-ls "$(nfs_url $VIP1 /sub)"
	wait_until 10 client smbclient -N //$VIP1/sub -c ls
	# The read-only export refuses a write.
	! client nfs-cp "$TMPD/a.txt" "$(nfs_url $VIP1 /sub/x.txt)" || false
	vsadm_on n1 export remove vs1 /sub
	vsadm_on n1 share remove vs1 sub
	wait_until 10 bash -c "! $APPLAB client nfs-ls '$(nfs_url $VIP1 /sub)'"
	wait_until 10 bash -c "! $APPLAB client smbclient -N //$VIP1/sub -c ls"
	# Still served, by the same processes.
	client nfs-ls "$(nfs_url $VIP1 /data)"
	[ "$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.nfs.pid)" = "$pid_nfs" ]
	[ "$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.smb.pid)" = "$pid_smb" ]
}

@test "an export limited to other clients is not visible to this client" {
	vsadm_on n1 export add vs1 /limited --fs data --path limited --clients 198.51.100.0/24
	sleep 1
	! client nfs-ls "$(nfs_url $VIP1 /limited)" || false
	vsadm_on n1 export remove vs1 /limited
}

@test "a second VS on the same node is isolated from the first" {
	vsadm_on n1 vserver create vs2
	vsadm_on n1 vip add vs2 $VIPB/24 --home-port eth1
	vsadm_on n1 fs add vs2 data --lun LABEL=lab-lun1
	vsadm_on n1 export add vs2 /other --fs data
	vsadm_on n1 share add vs2 other --fs data --guest
	vsadm_on n1 vserver start vs2
	echo "vs2 only" >"$TMPD/c.txt"
	client nfs-cp "$TMPD/c.txt" "$(nfs_url $VIPB /other/c.txt)"
	# vs2's export and share are not reachable through vs1's VIPs ...
	! client nfs-ls "$(nfs_url $VIP1 /other)" || false
	! client smbclient -N //$VIP1/other -c ls || false
	# ... and vs1's are not reachable through vs2's.
	! client nfs-ls "$(nfs_url $VIPB /data)" || false
	! client smbclient -N //$VIPB/data -c ls || false
	# Each smbd has its own server name.
	run client smbclient -N -L //$VIPB
	[[ $output == *other* ]]
	[[ $output != *data* ]]
	# Different namespaces, different ganesha processes.
	p1=$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.nfs.pid)
	p2=$(vsadm_on n1 vserver show vs2 --json | jq .runtime.servers.nfs.pid)
	[ "$p1" != "$p2" ]
}

@test "kill -9 of a VS's ganesha is repaired and the event log says why" {
	pid=$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.nfs.pid)
	[ "$pid" -gt 1 ]
	kill -9 "$pid"
	wait_until 20 bash -c "[ \"\$($APPLAB exec n1 vsadm vserver show vs1 --json | jq .runtime.servers.nfs.serving)\" = true ]"
	new=$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.nfs.pid)
	[ "$new" != "$pid" ]
	[ "$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.nfs.restarts)" -ge 1 ]
	run vsadm_on n1 event show --vs vs1
	[[ $output == *"ganesha.nfsd killed by signal 9"*"restarting"* ]]
	wait_until 30 client nfs-cat "$(nfs_url $VIP1 /data/a.txt)"
}

@test "kill -9 of a VS's smbd is repaired" {
	pid=$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.smb.pid)
	kill -9 "$pid"
	wait_until 20 bash -c "[ \"\$($APPLAB exec n1 vsadm vserver show vs1 --json | jq .runtime.servers.smb.serving)\" = true ]"
	wait_until 10 client smbclient -N //$VIP1/data -c ls
}

# The VS's statistics bus (ganesha's counters): ganesha answers on it.
bus_answers() {
	on n1 busctl --address=unix:path=/run/appliance/vs/vs1/bus.sock --timeout=2 call \
		vs1.org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr org.ganesha.nfsd.exportstats GetGlobalOPS
}

@test "kill -9 of a VS's statistics bus: its ganesha ends with it and both come back on it" {
	bus_answers
	bpid=$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.stats_bus.pid)
	[ "$bpid" -gt 1 ]
	kill -9 "$bpid"
	wait_until 30 bash -c "$APPLAB exec n1 vsadm vserver show vs1 --json | jq -e '.runtime.servers.stats_bus.serving and .runtime.servers.nfs.serving and .runtime.servers.stats_bus.pid != $bpid'"
	run vsadm_on n1 event show --vs vs1
	[[ $output == *"statistics bus (dbus-daemon) killed by signal 9"*"restarting"* ]]
	wait_until 10 bus_answers
	wait_until 30 client nfs-cat "$(nfs_url $VIP1 /data/a.txt)"
}

@test "a restart of applianced keeps the VS served and finds its state again" {
	before=$(vsadm_on n1 vserver show --json | jq -S '[.[] | del(.runtime)]')
	pid=$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.nfs.pid)
	bpid=$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.stats_bus.pid)
	dpid=$(cat /var/lib/applab/nodes/n1/applianced.pid)
	[ "$(cat /proc/$dpid/comm)" = applianced ]
	kill -TERM "$dpid"
	# Gone when its socket is (a zombie would still answer kill -0).
	wait_until 10 bash -c "[ ! -S /var/lib/applab/nodes/n1/run/appliance/applianced.sock ]"
	# ... and its process has ended (the sanitizer build checks for leaks at exit).
	wait_until 30 bash -c "[ ! -d /proc/$dpid ] || grep -q '^State:.*Z' /proc/$dpid/status"
	# While the daemon is away, clients are still served.
	client nfs-cat "$(nfs_url $VIP1 /data/a.txt)"
	applab node n1 start # the node is alive: this starts its applianced again
	wait_until 15 on n1 vsadm node show
	after=$(vsadm_on n1 vserver show --json | jq -S '[.[] | del(.runtime)]')
	[ "$before" = "$after" ]
	wait_until 10 bash -c "[ \"\$($APPLAB exec n1 vsadm vserver show vs1 --json | jq -r .runtime.state)\" = running ]"
	# The same ganesha serves: it was adopted, not restarted.
	[ "$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.nfs.pid)" = "$pid" ]
	# So is its statistics bus, and ganesha is still on it.
	[ "$(vsadm_on n1 vserver show vs1 --json | jq .runtime.servers.stats_bus.pid)" = "$bpid" ]
	bus_answers
	run vsadm_on n1 event show --vs vs1
	[[ $output == *"found running"*"adopted"* ]]
	client nfs-cat "$(nfs_url $VIP1 /data/a.txt)"
}

@test "the storage probe reports a cut path, and the recovery" {
	applab storage n1 lun1 cut
	wait_until 30 bash -c "[ \"\$($APPLAB exec n1 vsadm vserver show vs2 --json | jq -r '.runtime.filesystems[0].probe')\" = failed ]"
	run vsadm_on n1 event show --vs vs2
	[[ $output == *"storage probe of file system data"*failed* ]]
	# A new path: the lost mount is noticed, the fs mounted again (after the MMP
	# wait) and the servers restarted on it.
	applab storage n1 lun1 restore
	wait_until 20 bash -c "$APPLAB exec n1 vsadm event show --vs vs2 | grep -q 'no longer mounted'"
	wait_until 90 bash -c "[ \"\$($APPLAB exec n1 vsadm vserver show vs2 --json | jq -r .runtime.state)\" = running ]"
	[ "$(vsadm_on n1 vserver show vs2 --json | jq -r '.runtime.filesystems[0].probe')" = ok ]
	wait_until 30 client nfs-cat "$(nfs_url $VIPB /other/c.txt)"
}

@test "stop and delete leave no namespace, mount, macvlan or process behind" {
	vsadm_on n1 vserver stop vs2 || true
	run vsadm_on n1 vserver delete vs1
	[ "$status" -eq 1 ]
	[[ $output == *"is running"*"--force"* ]]
	vsadm_on n1 vserver stop vs1
	run vsadm_on n1 vserver show vs1 --json
	[ "$(echo "$output" | jq -r .runtime.state)" = stopped ]
	vsadm_on n1 vserver delete vs1
	vsadm_on n1 vserver delete vs2 --force
	run vsadm_on n1 vserver show
	[[ $output == *"No virtual servers"* ]]
	! on n1 ip netns list | grep -q '^vs-' || false
	! on n1 grep -q ' /run/appliance/mnt/' /proc/self/mountinfo || false
	! on n1 ip -d link show | grep -q macvlan || false
	! pgrep -f '/run/appliance/vs/vs[12]/' || false
	! pgrep -f 'samba/vs[12]' || false
	[ ! -e /var/lib/applab/nodes/n1/run/appliance/vs/vs1 ]
}
