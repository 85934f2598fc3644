#!/usr/bin/env bats
# Fence options by allow-list (vserver/vs_fence.h): the root command execution
# of issue 8 (`password_script` run by fence_ipmilan as root) is refused and
# nothing runs; a refused value is never echoed; secrets are masked; and a lab
# of two or more nodes has every node's BMC as its fence device from `up`.

load lab

setup_file() {
	lab_up --nodes 2 --luns 1
}

teardown_file() {
	lab_down
}

teardown() {
	lab_dump_on_failure
}

MARK=/tmp/applab-fence-attack

@test "applab up sets every node's BMC as its fence device" {
	run vsadm_on n2 fence show --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '[.[].node] | sort | join(",")')" = n1,n2 ]
	[ "$(echo "$output" | jq -r '.[] | select(.node == "n2") | .options')" = \
		"ip=198.51.100.102,username=admin,password=***,lanplus=1,cipher=3,power_wait=0" ]
	run vsadm_on n1 fence check n2
	[ "$status" -eq 0 ]
	[[ $output == *"n2 is powered on"* ]]
}

@test "the password_script attack is refused, changes nothing and runs nothing" {
	rm -f "$MARK"
	on n1 rm -f "$MARK"
	v=$(vsadm_on n1 node show --json | jq .config_version)
	run vsadm_on n1 fence set n2 --agent fence_ipmilan \
		--options "ip=198.51.100.102,username=admin,password_script=touch $MARK; echo pw"
	[ "$status" -eq 1 ]
	[[ $output == *"'password_script' is refused"* ]]
	[[ $output != *"touch"* && $output != *"$MARK"* ]]
	for key in ipmitool_path sudo_path debug_file verbose; do
		run vsadm_on n1 fence set n2 --agent fence_ipmilan --options "ip=198.51.100.102,$key=$MARK"
		[ "$status" -eq 1 ]
		[[ $output == *"'$key' is refused"* ]]
		[[ $output != *"$MARK"* ]]
	done
	run vsadm_on n1 fence set n2 --agent fence_virsh --options "ip=198.51.100.102"
	[ "$status" -eq 1 ]
	[ "$(vsadm_on n1 node show --json | jq .config_version)" = "$v" ]
	# The device in place is still the BMC: a check runs it, and nothing else.
	run vsadm_on n1 fence check n2
	[ "$status" -eq 0 ]
	[ ! -e "$MARK" ]
	run on n1 test -e "$MARK"
	[ "$status" -ne 0 ]
}

@test "a refused value is never echoed; secrets are masked in fence show" {
	run vsadm_on n1 fence set n2 --agent fence_ipmilan \
		--options "ip=198.51.100.102,username=admin,password=Leak=Me1"
	[ "$status" -eq 1 ]
	[[ $output == *"'password'"* && $output != *"Leak"* ]]
	run vsadm_on n1 fence set n2 --agent fence_ipmilan \
		--options "ip=198.51.100.102,username=admin,password=pw,ab=Leak2,cd"
	[ "$status" -eq 1 ]
	[[ $output != *"Leak2"* ]]
	vsadm_on n1 fence set n2 --agent fence_ipmilan \
		--options "ip=198.51.100.102,username=admin,password=Hidden3,hexadecimal_kg=00ff11"
	run vsadm_on n2 fence show
	[[ $output == *"password=***,hexadecimal_kg=***"* ]]
	[[ $output != *"Hidden3"* && $output != *"00ff11"* ]]
	for n in n1 n2; do
		run grep -c -e Leak -e Hidden3 -e 00ff11 "/var/lib/applab/nodes/$n/log/applianced.log"
		[ "$output" = 0 ]
	done
	vsadm_on n1 fence set n2 --agent fence_ipmilan --options "$(applab bmc n2)"
}
