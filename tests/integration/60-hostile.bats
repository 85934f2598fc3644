#!/usr/bin/env bats
# Hostile trees (issue 8, item 4): NFS clients write the file system, so they
# try to reach the appliance's own state and to plant symlinks in export
# paths; nothing may be created outside the file system, the VS keeps
# serving, and `.appliance` and `lost+found` are never shown to a client.
# tests/integration/nfs-op makes the NFS calls libnfs-utils has no tool for.

load lab

VIP=192.0.2.71
MNT=/run/appliance/mnt/vs1/data # the file system's root on n1
NFSOP=$BATS_TEST_DIRNAME/nfs-op

setup_file() {
	lab_up --nodes 1 --luns 1
	export TMPD=$(mktemp -d /tmp/bats-hostile.XXXXXX)
	mkdir "$TMPD/outside"
	chmod 0777 "$TMPD/outside"
}

teardown_file() {
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
}

url() { # PATH
	echo "nfs://$VIP$1?version=4"
}

outside_is_empty() {
	[ -z "$(ls -A "$TMPD/outside")" ]
	[ -z "$(on n1 ls -A "$TMPD/outside")" ]
}

@test "a VS starts on a fresh LUN: root-owned root, .appliance 0700, client tree in data/, nosuid,nodev" {
	vsadm_on n1 vserver create vs1
	vsadm_on n1 vip add vs1 $VIP/24 --home-port eth1
	vsadm_on n1 fs add vs1 data --lun LABEL=lab-lun0
	vsadm_on n1 export add vs1 /data --fs data
	vsadm_on n1 export add vs1 /sub --fs data --path a/b
	vsadm_on n1 share add vs1 data --fs data --guest
	run vsadm_on n1 vserver start vs1
	[ "$status" -eq 0 ]
	[ "$(on n1 stat -c '%u %a' $MNT)" = "0 755" ]
	[ "$(on n1 stat -c '%u %a %F' $MNT/.appliance)" = "0 700 directory" ]
	[ "$(on n1 stat -c '%u' $MNT/data)" = 65534 ]
	[ "$(on n1 stat -c '%u' $MNT/data/a/b)" = 65534 ]
	on n1 test -d $MNT/.appliance/nfs-recovery
	on n1 test -d $MNT/lost+found
	opts=$(on n1 awk -v d=$MNT '$5 == d {print $6}' /proc/self/mountinfo)
	[[ ,$opts, == *,nosuid,* ]]
	[[ ,$opts, == *,nodev,* ]]
}

@test "a normal export sub-directory works: written over NFS, read back, lands in data/" {
	echo "hello $RANDOM" >"$TMPD/f.txt"
	wait_until 10 client nfs-ls "$(url /sub)"
	client nfs-cp "$TMPD/f.txt" "$(url /sub/f.txt)"
	client nfs-cat "$(url /sub/f.txt)" >"$TMPD/f.back"
	cmp "$TMPD/f.txt" "$TMPD/f.back"
	on n1 test -f $MNT/data/a/b/f.txt
}

@test ".appliance and lost+found are listed neither by nfs-ls nor by smbclient" {
	run client nfs-ls "$(url /data)"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q "a$"
	[[ $output != *.appliance* ]]
	[[ $output != *lost+found* ]]
	run client smbclient -N //$VIP/data -c ls
	[ "$status" -eq 0 ]
	[[ $output != *.appliance* ]]
	[[ $output != *lost+found* ]]
	# and the probe file is out of reach too
	[[ $output != *appliance-probe* ]]
}

@test "a client cannot rename or replace the appliance's state" {
	# The real .appliance is not in any export: there is nothing to rename.
	run "$APPLAB" client "$NFSOP" $VIP /data rename /.appliance /stolen
	[ "$status" -ne 0 ]
	# A client's own .appliance (and a symlink as the probe's name) is just its content.
	"$APPLAB" client "$NFSOP" $VIP /data mkdir /.appliance
	"$APPLAB" client "$NFSOP" $VIP /data symlink "$TMPD/outside/probe" /.appliance/.appliance-probe
	"$APPLAB" client "$NFSOP" $VIP /data symlink "$TMPD/outside" /lost+found
	[ "$(on n1 stat -c '%u %a %F' $MNT/.appliance)" = "0 700 directory" ]
	outside_is_empty
}

@test "a symlink planted in an export path is never followed: nothing is created outside" {
	# The client moves a/ away and plants a/ -> an absolute path outside.
	"$APPLAB" client "$NFSOP" $VIP /data rename /a /a.old
	"$APPLAB" client "$NFSOP" $VIP /data symlink "$TMPD/outside" /a
	on n1 test -L $MNT/data/a
	# A new export through the link: accepted by the model, refused on the node.
	vsadm_on n1 export add vs1 /alpha --fs data --path a/alpha
	wait_until 10 bash -c "$APPLAB exec n1 vsadm event show --last 50 | grep -q 'export /alpha is not published.*symbolic link'"
	outside_is_empty
	# A relative link climbing out of the file system is refused the same way.
	"$APPLAB" client "$NFSOP" $VIP /data symlink ../../../../../../../../..$TMPD/outside /up
	vsadm_on n1 export add vs1 /up --fs data --path up/x
	wait_until 10 bash -c "$APPLAB exec n1 vsadm event show --last 50 | grep -q 'export /up is not published'"
	outside_is_empty
}

@test "after a restart the VS serves again; the poisoned exports stay unpublished" {
	vsadm_on n1 vserver stop vs1
	run vsadm_on n1 vserver start vs1
	[ "$status" -eq 0 ]
	[[ $output == *running* ]]
	wait_until 15 client nfs-ls "$(url /data)"
	# /sub (a/b) now leads through the planted link: not served.
	wait_until 10 bash -c "$APPLAB exec n1 vsadm event show --last 80 | grep -q 'export /sub is not published.*symbolic link'"
	run client nfs-ls "$(url /sub)"
	[ "$status" -ne 0 ]
	# The renamed directory is still there with its file, inside data/ (opens
	# wait out the NFSv4 grace period of the restart).
	wait_until 30 bash -c "$APPLAB client nfs-cat '$(url /data/a.old/b/f.txt)' >'$TMPD/f.again'"
	cmp "$TMPD/f.txt" "$TMPD/f.again"
	[ "$(on n1 stat -c '%u %a %F' $MNT/.appliance)" = "0 700 directory" ]
	outside_is_empty
	state=$(vsadm_on n1 vserver show vs1 --json | jq -r .runtime.state)
	[ "$state" = running ]
}

@test "a hung LUN path: the VS is reported storage-failed and the agent goes on answering" {
	if ! "$APPLAB" help 2>&1 | grep -q 'storage NODE LUN.*hang'; then
		skip "applab storage ... hang is not in this lab yet"
	fi
	applab storage n1 lun0 hang
	# A change that needs the file system: prepared in a child, never in the loop.
	vsadm_on n1 export add vs1 /late --fs data --path late
	wait_until 60 bash -c "$APPLAB exec n1 vsadm vserver show vs1 --json | jq -e '.runtime.storage_failed == true'"
	# The agent still answers at once.
	start=${EPOCHREALTIME//[!0-9]/}
	vsadm_on n1 vserver show vs1 >/dev/null
	[ $(((${EPOCHREALTIME//[!0-9]/} - start) / 1000)) -lt 2000 ]
	run vsadm_on n1 vserver show vs1 --json
	[[ $(echo "$output" | jq -r .runtime.reason) == "storage failed: "* ]]
	applab storage n1 lun0 restore
	wait_until 90 bash -c "$APPLAB exec n1 vsadm vserver show vs1 --json | jq -e '.runtime.state == \"running\"'"
}
