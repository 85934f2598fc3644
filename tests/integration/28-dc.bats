#!/usr/bin/env bats
# The lab's Active Directory DC (applab up --dc; issue 11, directory join): a
# real Samba AD DC in its own namespace on the public switch. From the client
# namespace its KDC gives Administrator a ticket and refuses a wrong
# password; a user made with `applab dc tool` logs in over SMB (NTLMv2) and
# over Kerberos, and a wrong password is refused; `applab dc down` leaves no
# DC process or namespace behind. No test prints a password.

load lab

setup_file() {
	lab_up --nodes 1 --luns 1 --dc
	export TMPD=$(mktemp -d /tmp/bats-dc.XXXXXX)
	"$APPLAB" dc krb5conf >"$TMPD/krb5.conf"
}

teardown_file() {
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
}

DCIP=192.0.2.8

# kinit_as PRINCIPAL CACHE: a ticket for PRINCIPAL from the DC, the password on stdin.
kinit_as() {
	client env KRB5_CONFIG="$TMPD/krb5.conf" KRB5CCNAME="FILE:$TMPD/$2" kinit "$1" >/dev/null 2>"$TMPD/kinit.err"
}

@test "the DC's KDC gives Administrator a ticket and refuses a wrong password" {
	kinit_as Administrator cc.admin </var/lib/applab/dc-password
	run client env KRB5_CONFIG="$TMPD/krb5.conf" KRB5CCNAME="FILE:$TMPD/cc.admin" klist
	[[ $output == *"Default principal: Administrator@LAB.EXAMPLE.ORG"* ]]
	[[ $output == *"krbtgt/LAB.EXAMPLE.ORG@LAB.EXAMPLE.ORG"* ]]
	! echo "not-the-password" | kinit_as Administrator cc.wrong || false
	grep -q "Password incorrect" "$TMPD/kinit.err"
	[ ! -s "$TMPD/cc.wrong" ]
}

@test "a user made on the DC logs in over SMB and Kerberos; a wrong password is refused" {
	"$APPLAB" dc tool user create dcalice 'Alice-Lab-Pass-1' >/dev/null
	run "$APPLAB" dc tool user list
	[[ $output == *dcalice* ]]
	run client smbclient "//$DCIP/netlogon" -U 'LAB\dcalice%Alice-Lab-Pass-1' -c ls
	[ "$status" -eq 0 ]
	run client smbclient "//$DCIP/netlogon" -U 'LAB\dcalice%Wrong-Pass-1' -c ls
	[ "$status" -ne 0 ]
	[[ $output == *NT_STATUS_LOGON_FAILURE* ]]
	echo 'Alice-Lab-Pass-1' | kinit_as dcalice cc.alice
	run client env KRB5_CONFIG="$TMPD/krb5.conf" KRB5CCNAME="FILE:$TMPD/cc.alice" klist
	[[ $output == *"dcalice@LAB.EXAMPLE.ORG"* ]]
}

@test "applab status shows the DC; dc down leaves no DC process or namespace" {
	run "$APPLAB" status
	[[ $output == *"dc dc1  192.0.2.8/24  realm LAB.EXAMPLE.ORG (domain LAB)  samba running"* ]]
	ino=$(stat -L -c %i /run/netns/dc1)
	"$APPLAB" dc down
	[ ! -e /run/netns/dc1 ]
	! ip link show dev dc1-eth0 2>/dev/null || false
	# No process is left in the DC's old network namespace.
	for p in /proc/[0-9]*; do
		[ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" != "$ino" ] || { echo "left: ${p#/proc/}"; false; }
	done
	# And it comes back on the same, already provisioned domain.
	"$APPLAB" dc up
	kinit_as Administrator cc.again </var/lib/applab/dc-password
}
