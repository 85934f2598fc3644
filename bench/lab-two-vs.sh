# Sourced by the failover benchmarks: a 3-node lab with two VSs (vs0, vs1,
# VIPs 192.0.2.70-71, LUNs lab-lun0-1, home n1), both running when it returns.
# Needs APPLAB set. FENCE=1 (default): every node gets its lab BMC as fence
# device, so a killed node is confirmed off and its file systems are taken
# over without waiting for ext4 MMP; FENCE=0 measures the MMP wait instead.

L() { $APPLAB exec n2 vsadm "$@"; }
node_of() { $APPLAB exec "$1" vsadm vserver show "$2" --json | jq -r .runtime.node; }
state_of() { $APPLAB exec "$1" vsadm vserver show "$2" --json 2>/dev/null | jq -r .runtime.state; }

lab_two_vs() {
	$APPLAB down >/dev/null 2>&1 || true
	$APPLAB up --nodes 3 --luns 2 >/dev/null
	if [ "${FENCE:-1}" = 1 ]; then
		for n in n1 n2 n3; do
			L fence set $n --agent fence_ipmilan --options "$($APPLAB bmc $n)" >/dev/null
		done
	fi
	for i in 0 1; do
		L vserver create vs$i --home n1 >/dev/null
		L vip add vs$i 192.0.2.7$i/24 --home-port eth1 >/dev/null
		L fs add vs$i data --lun LABEL=lab-lun$i >/dev/null
		L export add vs$i /data --fs data >/dev/null
		L vserver start vs$i >/dev/null
	done
	for i in 0 1; do
		for _ in $(seq 150); do
			[ "$(state_of n2 vs$i)" = running ] && break
			sleep 0.2
		done
		[ "$(state_of n2 vs$i)" = running ] || { echo "vs$i did not start" >&2; return 1; }
	done
}
