#!/usr/bin/env bats
# Identity over the lab (DESIGN 7a, issue 11): a VS's users log in to SMB with their password,
# a file a user writes over SMB is that uid's over NFS and the other way round, a wrong password
# and a guest are refused (and a guest share takes guests), a read-only user reads but cannot
# write, and two VSs on one node each have a user alice with its own uid: each VS's servers
# resolve names through that VS's own passwd and group (their own mount namespace).

load lab

NFSID="$BATS_TEST_DIRNAME/nfs-id"
V1=192.0.2.81
V2=192.0.2.82

setup_file() {
	lab_up --nodes 1 --luns 2
	export TMPD=$(mktemp -d /tmp/bats-id.XXXXXX)
	chmod 755 "$TMPD"
	echo "from smb" >"$TMPD/smb.txt"
	local vs vip lun
	for vs in idv1 idv2; do
		[ $vs = idv1 ] && vip=$V1 lun=0 || vip=$V2 lun=1
		vsadm_on n1 vserver create $vs
		vsadm_on n1 vip add $vs $vip/24 --home-port eth1
		vsadm_on n1 fs add $vs data --lun LABEL=lab-lun$lun
		vsadm_on n1 export add $vs /data --fs data
		vsadm_on n1 vserver start $vs
		# The client tree belongs to nobody (the lab's mkfs): its owner makes a directory
		# everyone may write, as an administrator would, over NFS as uid 65534.
		wait_until 30 client "$NFSID" $vip /data 65534 65534 stat /
		client "$NFSID" $vip /data 65534 65534 mkdir /w 777
		[ "$(client "$NFSID" $vip /data 65534 65534 stat /w)" = "65534 65534 777" ]
	done
	printf 'Alice-pw-1\n' | vsadm_on n1 user add idv1 alice --uid 1000 --password-stdin
	printf 'Bob-pw-1\n' | vsadm_on n1 user add idv1 bob --uid 1001 --password-stdin
	printf 'Alice-pw-2\n' | vsadm_on n1 user add idv2 alice --uid 1700 --password-stdin
	vsadm_on n1 share add idv1 data --fs data --path w --write alice --read bob
	vsadm_on n1 share add idv1 pub --fs data --path w --guest
	vsadm_on n1 share add idv2 data --fs data --path w
	wait_until 30 client smbclient //$V1/data -U alice%Alice-pw-1 -c ls
	wait_until 30 client smbclient //$V2/data -U alice%Alice-pw-2 -c ls
}

teardown_file() {
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
}

smb() { # VIP SHARE USER%PASS CMD
	client smbclient "//$1/$2" -U "$3" -c "$4"
}

@test "a user writes over SMB with its password: NFS shows its uid as the owner" {
	smb $V1 data alice%Alice-pw-1 "put $TMPD/smb.txt a.txt"
	run client "$NFSID" $V1 /data 1000 1000 stat /w/a.txt
	[ "$status" -eq 0 ]
	[ "${lines[0]%% *}" = 1000 ] # uid
	run client "$NFSID" $V1 /data 1000 1000 cat /w/a.txt
	[ "$output" = "from smb" ]
}

@test "a user writes over NFS: SMB reads it and names that user as its owner" {
	client "$NFSID" $V1 /data 1000 1000 put /w/n.txt "from nfs"
	run client "$NFSID" $V1 /data 1000 1000 stat /w/n.txt
	[ "${lines[0]%% *}" = 1000 ]
	smb $V1 data alice%Alice-pw-1 "get n.txt $TMPD/n.back"
	[ "$(cat "$TMPD/n.back")" = "from nfs" ]
	run client smbcacls //$V1/data n.txt -U alice%Alice-pw-1
	[ "$status" -eq 0 ]
	[[ $output == *"OWNER:"*"alice"* ]]
	# a uid that is no user of the VS is no name either
	client "$NFSID" $V1 /data 4242 4242 put /w/x.txt "nobody's user"
	run client smbcacls //$V1/data x.txt -U alice%Alice-pw-1
	[[ $output != *"OWNER:"*"alice"* ]]
}

@test "a wrong password is refused, the right one works" {
	run smb $V1 data alice%Wrong-pw-1 ls
	[ "$status" -ne 0 ]
	[[ $output == *NT_STATUS_LOGON_FAILURE* ]]
	run smb $V1 data alice%Alice-pw-1 ls
	[ "$status" -eq 0 ]
	[[ $output == *a.txt* ]]
	# no user of that name: refused too, not made a guest
	run smb $V1 data carol%Alice-pw-1 ls
	[ "$status" -ne 0 ]
}

@test "a guest is refused on a user share, welcome on a guest share" {
	run client smbclient -N //$V1/data -c ls
	[ "$status" -ne 0 ]
	[[ $output == *NT_STATUS_ACCESS_DENIED* ]]
	run client smbclient -N //$V1/pub -c ls
	[ "$status" -eq 0 ]
	[[ $output == *a.txt* ]]
}

@test "a read-only user reads but cannot write; a writer can" {
	run smb $V1 data bob%Bob-pw-1 "get a.txt $TMPD/b.back"
	[ "$status" -eq 0 ]
	[ "$(cat "$TMPD/b.back")" = "from smb" ]
	run smb $V1 data bob%Bob-pw-1 "put $TMPD/smb.txt bob.txt"
	[[ $output == *NT_STATUS_ACCESS_DENIED* ]]
	run client "$NFSID" $V1 /data 1001 1001 stat /w/bob.txt
	[ "$status" -ne 0 ]
	smb $V1 data alice%Alice-pw-1 "put $TMPD/smb.txt alice2.txt"
}

@test "two VSs on one node each have a user alice with its own uid and password" {
	smb $V2 data alice%Alice-pw-2 "put $TMPD/smb.txt a2.txt"
	run client "$NFSID" $V2 /data 1700 1700 stat /w/a2.txt
	[ "$status" -eq 0 ]
	[ "${lines[0]%% *}" = 1700 ]
	# idv1's alice is another user: her password is not idv2's alice's
	run smb $V2 data alice%Alice-pw-1 ls
	[[ $output == *NT_STATUS_LOGON_FAILURE* ]]
	# and idv1's files keep uid 1000
	run client "$NFSID" $V1 /data 1000 1000 stat /w/a.txt
	[ "${lines[0]%% *}" = 1000 ]
	# neither VS's servers see the other's users, nor the node's
	# (each VS's servers: users from its own directory, seen as /var/lib/extrausers, alone)
	run on n1 bash -c 'for p in $(pgrep -x smbd); do grep -h alice /proc/$p/root/var/lib/extrausers/passwd; done | sort -u'
	[[ $output == *"alice:x:1000:"* ]]
	[[ $output == *"alice:x:1700:"* ]]
	run on n1 bash -c 'for p in $(pgrep -x smbd) $(pgrep -x ganesha.nfsd); do grep -h "^passwd:" /proc/$p/root/etc/nsswitch.conf; done | sort -u'
	[ "$output" = "passwd:         extrausers" ]
	run on n1 grep -c '^alice:' /etc/passwd
	[ "$output" = 0 ]
}
