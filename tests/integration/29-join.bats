#!/usr/bin/env bats
# Directory join (issue 11 item 5, DESIGN 7a) over the lab's Samba AD DC (applab up --dc):
# `vsadm vserver join` with a wrong administrator password is refused with one sentence and
# changes nothing; with the right one the VS is joined and runs its own winbindd; a user made
# on the DC logs in to the VS's share over SMB and writes a file, whose owner over NFS is the
# rid-mapped uid (1000000 + RID); after a move to the other node the same user logs in again
# with the same uid (the machine secret is on the VS's file system); after `vserver leave` the
# domain user is refused. No test prints a password, and none may appear in the event log.

load lab

NFSID="$BATS_TEST_DIRNAME/nfs-id"
V=192.0.2.86
DCIP=192.0.2.8
REALM=LAB.EXAMPLE.ORG
UPW='Jdom-Pass-word-1'

setup_file() {
	lab_up --nodes 2 --luns 1 --dc
	export TMPD=$(mktemp -d /tmp/bats-join.XXXXXX)
	chmod 755 "$TMPD"
	echo "from a domain user" >"$TMPD/d.txt"
	vsadm_on n1 vserver create jv1 --home n1
	vsadm_on n1 vip add jv1 $V/24 --home-port eth1
	vsadm_on n1 fs add jv1 data --lun LABEL=lab-lun0
	vsadm_on n1 export add jv1 /data --fs data
	vsadm_on n1 vserver start jv1
	wait_until 60 client "$NFSID" $V /data 65534 65534 stat /
	# A directory of this run's own that everyone may write (the LUN keeps earlier runs').
	export W=jw$$
	client "$NFSID" $V /data 65534 65534 mkdir /$W 777
	vsadm_on n1 share add jv1 data --fs data --path $W
	"$APPLAB" dc tool user create jdom "$UPW" >/dev/null
}

teardown_file() {
	lab_down
	rm -rf "$TMPD"
	# No winbindd, smbd or samba-dcerpcd of the lab is left (the lab's processes are gone).
	local left
	left=$(ps -eo pid=,stat=,comm= | awk '$2 !~ /^Z/ && ($3 == "winbindd" || $3 == "samba-dcerpcd" || $3 ~ /^rpcd_/)')
	[ -z "$left" ] || { echo "left behind: $left"; false; }
}

teardown() {
	lab_dump_on_failure
}

node_of() { vsadm_on n1 vserver show jv1 --json | jq -r '.runtime.node + " " + .runtime.state'; }

join_with() { # NODE PASSWORD-FILE-OR-TEXT
	vsadm_on "$1" vserver join jv1 --domain $REALM --dc $DCIP --user Administrator --password-stdin
}

rid_uid() {
	local sid
	sid=$("$APPLAB" dc tool user show jdom | sed -n 's/^objectSid: //p')
	echo $((1000000 + ${sid##*-}))
}

@test "hostile values and a wrong administrator password are refused with one sentence; nothing changes" {
	run bash -c "echo x | $APPLAB exec n1 vsadm vserver join jv1 --domain 'LAB%EXAMPLE.ORG' --user Administrator --password-stdin"
	[ "$status" -ne 0 ]
	[[ $output == *"A realm is a DNS name"* ]]
	run bash -c "echo x | $APPLAB exec n1 vsadm vserver join jv1 --domain $REALM --user '-Uroot' --password-stdin"
	[ "$status" -ne 0 ]
	[[ $output == *"A domain user name"* ]]
	run bash -c "echo 'Not-The-Pw-42' | $APPLAB exec n1 vsadm vserver join jv1 --domain $REALM --dc $DCIP --user Administrator --password-stdin"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"The domain refused the administrator's name or password; the virtual server is not joined."* ]]
	[[ $output != *Not-The-Pw-42* ]]
	[ "$(vsadm_on n1 vserver show jv1 --json | jq -r '.join // "none"')" = none ]
	! vsadm_on n1 event show | grep -q 'Not-The-Pw-42' || false
	# A realm the DC does not serve says so.
	run bash -c "echo x | $APPLAB exec n1 vsadm vserver join jv1 --domain NO.SUCH.ORG --dc $DCIP --user Administrator --password-stdin"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"serves lab.example.org, not the realm NO.SUCH.ORG"* ]]
	# An unreachable DC says so.
	run bash -c "echo x | $APPLAB exec n1 vsadm vserver join jv1 --domain $REALM --dc 192.0.2.9 --user Administrator --password-stdin"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"192.0.2.9"* ]]
}

@test "the right password joins; winbindd serves; a domain user writes over SMB as uid 1000000+RID" {
	t0=$(date +%s.%N)
	run join_with n1 </var/lib/applab/dc-password
	t1=$(date +%s.%N)
	echo "$output"
	echo "join took $(echo "$t1 - $t0" | bc) s" >&3
	[ "$status" -eq 0 ]
	[[ $output == *"joined domain $REALM (LAB) as JV1\$"* ]]
	[ "$(vsadm_on n1 vserver show jv1 --json | jq -r '.join.realm + " " + .join.workgroup')" = "$REALM LAB" ]
	wait_until 30 bash -c "[ \"\$($APPLAB exec n1 vsadm vserver show jv1 --json | jq -r .runtime.servers.winbind.serving)\" = true ]"
	run vsadm_on n1 vserver show jv1
	[[ $output == *"Domain:       $REALM (LAB)"* ]]
	[[ $output == *"Winbind:"*"winbindd pid"*"serving"* ]]
	! vsadm_on n1 event show | grep -qF "$(cat /var/lib/applab/dc-password)" || false
	vsadm_on n1 event show | grep -q "joined domain $REALM (LAB) as JV1\\$"
	wait_until 30 client smbclient //$V/data -U "LAB\\jdom%$UPW" -c ls
	client smbclient //$V/data -U "LAB\\jdom%$UPW" -c "put $TMPD/d.txt d.txt"
	uid=$(rid_uid)
	run client "$NFSID" $V /data 0 0 stat /$W/d.txt
	echo "$output (want uid $uid)"
	[ "${output%% *}" = "$uid" ]
	# A wrong domain password is refused.
	! client smbclient //$V/data -U "LAB\\jdom%Wrong-Pass-1" -c ls || false
}

@test "the VS's winbindd is supervised: after kill -9 it is started again and domain logons work" {
	pid=$(vsadm_on n1 vserver show jv1 --json | jq .runtime.servers.winbind.pid)
	[ "$pid" -gt 1 ]
	[ "$(cat /proc/$pid/comm)" = winbindd ]
	kill -9 "$pid"
	wait_until 20 bash -c "p=\$($APPLAB exec n1 vsadm vserver show jv1 --json | jq -r '.runtime.servers.winbind | select(.serving) | .pid'); [ -n \"\$p\" ] && [ \"\$p\" != $pid ]"
	vsadm_on n1 event show --vs jv1 | grep -q "winbindd killed by signal 9.*restarting it"
	wait_until 30 client smbclient //$V/data -U "LAB\\jdom%$UPW" -c ls
}

@test "after a move to n2 the domain user logs in again with the same uid" {
	vsadm_on n1 vserver migrate jv1 --to n2
	wait_until 90 bash -c "[ \"\$($APPLAB exec n1 vsadm vserver show jv1 --json | jq -r '.runtime.node + \" \" + .runtime.state')\" = 'n2 running' ]"
	t0=$(date +%s.%N)
	wait_until 60 client smbclient //$V/data -U "LAB\\jdom%$UPW" -c ls
	t1=$(date +%s.%N)
	echo "first domain login on n2 $(echo "$t1 - $t0" | bc) s after running" >&3
	client smbclient //$V/data -U "LAB\\jdom%$UPW" -c "put $TMPD/d.txt d2.txt"
	uid=$(rid_uid)
	wait_until 60 client "$NFSID" $V /data 0 0 stat /$W/d2.txt
	[ "$(client "$NFSID" $V /data 0 0 stat /$W/d2.txt | cut -d' ' -f1)" = "$uid" ]
	[ "$(client "$NFSID" $V /data 0 0 stat /$W/d.txt | cut -d' ' -f1)" = "$uid" ]
}

@test "vserver leave: the domain user is refused, winbindd stops" {
	run vsadm_on n2 vserver leave jv1 --user Administrator --password-stdin </var/lib/applab/dc-password
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"left domain $REALM"* ]]
	[ "$(vsadm_on n1 vserver show jv1 --json | jq -r '.join // "none"')" = none ]
	wait_until 30 bash -c "[ \"\$($APPLAB exec n2 vsadm vserver show jv1 --json | jq -r .runtime.servers.winbind.pid)\" = 0 ]"
	wait_until 30 bash -c "! $APPLAB client smbclient //$V/data -U 'LAB\\jdom%$UPW' -c ls"
	! client smbclient //$V/data -U "LAB\\jdom%$UPW" -c ls || false
	run vsadm_on n2 vserver leave jv1
	[ "$status" -ne 0 ]
	[[ $output == *"is not joined"* ]]
}
