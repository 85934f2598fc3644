# shellcheck shell=bash
# Helpers for the image's tests that put virtual machines on a network of their own
# (images/appliance/test-nfs, images/appliance/bench-image); sourced, never run.
# Everything lives in one network namespace of the host, so deleting it removes the
# bridges and taps; the caller kills its qemu and ipmi_sim processes first (by pid).
# Documentation address ranges only (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24).
#
#   vm_ns_up NS                        a fresh namespace NS (an old one of that name removed)
#   vm_ns_down NS                      and away again, with what runs in it (idempotent)
#   vm_bridge NS BR ADDR/PREFIX...     a bridge in NS with the host side's addresses
#   vm_tap NS BR TAP                   a tap device in NS plugged into BR (qemu opens it in NS)
#   vm_lun FILE MB LABEL               a raw LUN file: ext4 with multi-mount protection, as the lab's
#   vm_seed_disk IMG DIR               an 8 MB ext4 seed disk labelled APPLSEED holding DIR
#   vm_rest_login NS URL NAME PASS JAR a REST login (cookie jar JAR); prints the CSRF token
#   vm_rest NS JAR CSRF METHOD URL [BODY]  one REST call (not in a subshell): the answer in the
#                                      file $VM_REST_OUT, the HTTP status in $VM_REST_CODE (000:
#                                      no answer); 0 when it is 2xx
#   vm_secret                          16 random hex digits
#   vm_qmp SOCKET COMMAND              one QMP command (e.g. quit) over a qemu monitor socket
#   vm_boot DIR NS N [QEMU ARGS...]    power machine N on in NS, in the background: qemu -m 1024
#                                      -smp 1 with the accelerator arguments of the array
#                                      VM_ACCEL, DIR/disk.qcow2 as its first disk, then QEMU ARGS
#                                      (more disks, a kernel), eth0 on tap ${VM_TAP}${N}i and eth1
#                                      on ${VM_TAP}${N}p (MACs 52:54:00:0b:0N:01/02); its serial
#                                      console in DIR/serial.log (emptied), its pid in
#                                      DIR/qemu.pid, its QMP socket DIR/qmp.sock, its power-on
#                                      time in DIR/t0; -no-reboot (a reboot in the guest ends it)
#   vm_running DIR                     the machine of DIR runs (its qemu, by its pid file)
#   vm_launched DIR                    the qemu vm_boot started has not ended (even before it
#                                      wrote its pid file)
#   vm_ready DIR NAME TIMEOUT          until its console says APPLIANCE READY: prints the seconds
#                                      since its power-on; fails (exit 1) on APPLIANCE NOT READY,
#                                      its qemu's end or TIMEOUT seconds

vm_ns_up() {
	vm_ns_down "$1"
	ip netns add "$1"
	ip -n "$1" link set dev lo up
}

vm_ns_down() {
	local p
	[ -e "/run/netns/$1" ] || return 0
	# What still runs in it was started in it by the caller (qemu, ipmi_sim): ended by pid.
	for p in $(ip netns pids "$1" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in $(ip netns pids "$1" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	ip netns delete "$1" 2>/dev/null || true
}

vm_bridge() {
	local ns=$1 br=$2 a
	shift 2
	ip -n "$ns" link add name "$br" type bridge
	# No STP and no forwarding delay: a port forwards as soon as it is up.
	ip -n "$ns" link set dev "$br" type bridge forward_delay 0 stp_state 0
	ip -n "$ns" link set dev "$br" up
	for a in "$@"; do ip -n "$ns" addr add "$a" dev "$br"; done
}

vm_tap() {
	ip -n "$1" tuntap add dev "$3" mode tap
	ip -n "$1" link set dev "$3" master "$2" up
}

vm_lun() {
	rm -f "$1"
	truncate -s "${2}M" "$1"
	mkfs.ext4 -q -F -O mmp -E mmp_update_interval=1,root_owner=65534:65534,nodiscard -L "$3" "$1"
}

vm_seed_disk() {
	rm -f "$1"
	truncate -s 8M "$1"
	mkfs.ext4 -q -F -L APPLSEED -d "$2" "$1"
}

vm_secret() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }

vm_rest_login() {
	local ns=$1 url=$2 name=$3 pass=$4 jar=$5 body
	body=$(jq -cn --arg n "$name" --arg p "$pass" '{name: $n, password: $p}')
	ip netns exec "$ns" curl -sk --max-time 20 -c "$jar" -H 'Content-Type: application/json' \
		--data-binary @- "$url/api/v1/login" <<<"$body" | jq -er '.csrf'
}

VM_REST_CODE=000
VM_REST_OUT=
vm_rest() {
	local ns=$1 jar=$2 csrf=$3 method=$4 url=$5 body=${6:-}
	[ -n "$VM_REST_OUT" ] || { echo "vm_rest: VM_REST_OUT is not set" >&2; return 1; }
	: >"$VM_REST_OUT"
	VM_REST_CODE=$(ip netns exec "$ns" curl -sk --max-time 30 -b "$jar" -o "$VM_REST_OUT" \
		-w '%{http_code}' -X "$method" -H "X-CSRF-Token: $csrf" \
		${body:+-H 'Content-Type: application/json'} ${body:+--data-binary "$body"} "$url") ||
		VM_REST_CODE=000
	[[ $VM_REST_CODE == 2?? ]]
}

vm_qmp() {
	python3 - "$1" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")
json.loads(f.readline())  # the greeting
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            sys.exit(0)  # quit: qemu closed the socket
        r = json.loads(line)
        if "return" in r:
            break
        if "error" in r:
            sys.exit("qmp %s: %s" % (cmd, r["error"].get("desc")))
PY
}

VM_TAP=
VM_ACCEL=()
vm_boot() {
	local d=$1 ns=$2 n=$3 a boot=,bootindex=0
	shift 3
	# A direct kernel boot's loader takes boot index 0 itself.
	for a in "$@"; do [ "$a" != -kernel ] || boot=; done
	: >"$d/serial.log"
	rm -f "$d/qemu.pid" "$d/qmp.sock"
	date +%s.%N >"$d/t0"
	ip netns exec "$ns" qemu-system-x86_64 "${VM_ACCEL[@]}" -m 1024 -smp 1 \
		-drive "file=$d/disk.qcow2,if=none,id=root,format=qcow2" \
		-device "virtio-blk-pci,drive=root$boot" "$@" \
		-netdev "tap,id=n0,ifname=${VM_TAP}${n}i,script=no,downscript=no" \
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:0b:0$n:01" \
		-netdev "tap,id=n1,ifname=${VM_TAP}${n}p,script=no,downscript=no" \
		-device "virtio-net-pci,netdev=n1,mac=52:54:00:0b:0$n:02" \
		-qmp "unix:$d/qmp.sock,server=on,wait=off" -pidfile "$d/qemu.pid" \
		-nographic -monitor none -serial "file:$d/serial.log" -no-reboot \
		</dev/null >"$d/qemu.log" 2>&1 &
	echo $! >"$d/launch.pid" # ip netns exec execs qemu: the same process
	# (its end is the caller's doing: no job report from bash)
	disown
}

vm_running() {
	local p
	p=$(cat "$1/qemu.pid" 2>/dev/null) || return 1
	[[ $(cat "/proc/$p/comm" 2>/dev/null) == qemu-system-* ]]
}

vm_launched() { kill -0 "$(cat "$1/launch.pid" 2>/dev/null)" 2>/dev/null; }

vm_ready() {
	local d=$1 name=$2 deadline=$((SECONDS + $3))
	while [ $SECONDS -lt $deadline ]; do
		if grep -aq 'APPLIANCE READY' "$d/serial.log"; then
			echo "$(date +%s.%N) - $(cat "$d/t0")" | bc
			return 0
		fi
		if grep -aq 'APPLIANCE NOT READY' "$d/serial.log"; then
			echo "$name: applianced did not answer" >&2
			return 1
		fi
		sleep 0.5
		if ! vm_launched "$d" || { [ -s "$d/qemu.pid" ] && ! vm_running "$d"; }; then
			echo "$name: qemu exited: $(tail -n 3 "$d/qemu.log")" >&2
			return 1
		fi
	done
	tail -n 20 "$d/serial.log" | tr -d '\r' >&2
	echo "$name: not ready within $3 s" >&2
	return 1
}
