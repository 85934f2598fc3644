#!/usr/bin/env bats
# Bad input gets one clear sentence, a non-zero status, and changes nothing:
# the configuration version and the whole configuration stay as they were.

load lab

setup_file() {
	lab_up --nodes 1 --luns 3
	# lun2 loses its multi-mount protection (it is mounted nowhere).
	tune2fs -O ^mmp /var/lib/applab/luns/lun2.d/lun2 >/dev/null 2>&1
	vsadm_on n1 vserver create vs1
	vsadm_on n1 vip add vs1 192.0.2.71/24 --home-port eth1
	vsadm_on n1 fs add vs1 data --lun LABEL=lab-lun0
	vsadm_on n1 export add vs1 /data --fs data
	vsadm_on n1 share add vs1 data --fs data
	vsadm_on n1 vserver start vs1
	vsadm_on n1 vserver create vs2
	vsadm_on n1 vip add vs2 192.0.2.72/24 --home-port eth2
	rm -f /tmp/applab-pwned
}

teardown_file() {
	lab_down
	rm -f /tmp/applab-pwned
}

teardown() {
	lab_dump_on_failure
}

config() {
	vsadm_on n1 vserver show --json | jq -S 'map(del(.runtime))'
}

# refused NEEDLE VSADM-ARGS...: the command fails with one line containing
# NEEDLE, and the configuration is unchanged.
refused() {
	local needle=$1
	shift
	local before after
	before=$(config)
	run vsadm_on n1 "$@"
	after=$(config)
	echo "status=$status output=$output" >&2
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == vsadm:* ]]
	[[ $output == *"$needle"* ]]
	[ "$before" = "$after" ]
	[ ! -e /tmp/applab-pwned ]
}

@test "duplicate VS name" { refused "already exists" vserver create vs1; }
@test "VIP already used by another VS" { refused "already used by the virtual server 'vs1'" vip add vs2 192.0.2.71/24 --home-port eth1; }
@test "malformed address" { refused "not a valid IPv4 or IPv6 address" vip add vs2 192.0.2.300/24 --home-port eth1; }
@test "malformed prefix" { refused "prefix length" vip add vs2 192.0.2.80/33 --home-port eth1; }
@test "address without prefix" { refused "ADDR/PREFIX" vip add vs2 192.0.2.80 --home-port eth1; }
@test "unknown port" { refused "no port named 'eth9'" vip add vs2 192.0.2.80/24 --home-port eth9; }
@test "loopback is not a port" { refused "no port named 'lo'" vip add vs2 192.0.2.80/24 --home-port lo; }
@test "unknown LUN" { refused "No LUN with LABEL=nope is visible" fs add vs2 data --lun LABEL=nope; }
@test "LUN without multi-mount protection" { refused "tune2fs -O mmp" fs add vs2 data --lun LABEL=lab-lun2; }
@test "LUN named by device" { refused "LABEL=<label> or UUID=<uuid>" fs add vs2 data --lun /dev/loop0; }
@test "LUN already used by another VS" { refused "already used by file system 'data' of 'vs1'" fs add vs2 data --lun LABEL=lab-lun0; }
@test "export path outside the file system" { refused "'..'" export add vs1 /etc --fs data --path ../../etc; }
@test "relative export path" { refused "must be absolute" export add vs1 data2 --fs data; }
@test "export of an unknown file system" { refused "no file system named 'nofs'" export add vs1 /x --fs nofs; }
@test "export nested in another" { refused "nest" export add vs1 /data/sub --fs data --path sub; }
@test "bad client network" { refused "prefix length" export add vs1 /x --fs data --clients 192.0.2.0/99; }
@test "share name clash, ignoring case" { refused "already has a share named 'data'" share add vs1 DATA --fs data; }
@test "reserved share name" { refused "reserved" share add vs1 global --fs data; }
@test "deleting a running VS without --force" { refused "stop it first" vserver delete vs1; }
@test "name with shell metacharacters" { refused "may contain only" vserver create 'x;touch /tmp/applab-pwned'; }
@test "name with command substitution" { refused "may contain only" vserver create 'x$(touch /tmp/applab-pwned)'; }
@test "over-long name" { refused "too long" vserver create averyveryveryveryverylongvirtualservername; }
@test "unknown virtual server" { refused "no virtual server named 'nope'" vip add nope 192.0.2.81/24 --home-port eth1; }
@test "unknown command" { refused "Unknown command" frobnicate; }
@test "unknown option" { refused "Unknown option '--colour'" vserver show --colour; }
@test "missing required option" { refused "--home-port is required" vip add vs2 192.0.2.82/24; }
@test "priority that is not a number" { refused "whole number" vserver create vs3 --priority high; }
@test "priority out of range" { refused "between 0 and 100" vserver create vs3 --priority 200; }
@test "starting a VS without a file system" { refused "no file system" vserver start vs2; }
@test "removing a file system that is still exported" { refused "still exported" fs remove vs1 data; }
@test "removing the last VIP of a running VS" { refused "last virtual IP" vip remove vs1 192.0.2.71; }

@test "vsadm refuses a client that is not root" {
	run on n1 setpriv --reuid=65534 --regid=65534 --clear-groups vsadm vserver show
	[ "$status" -ne 0 ]
	[[ $output == *"Permission denied"* ]]
}

@test "the interactive shell runs commands and reports errors" {
	run on n1 bash -c 'printf "vserver show\nvserver create vs1\nhelp\nquit\n" | HOME=/tmp vsadm'
	[[ $output == *"vs1"*"running"* ]]
	[[ $output == *"already exists"* ]]
	[[ $output == *"vsadm vserver create NAME"* ]]
}
