# direct-boot.sh - qemu boots of the appliance image for the image tests that must act inside the
# guest (test-update, test-watchdog): the image has no shell on its console, so a test boots the
# slot's kernel directly (-kernel/-initrd/-append) and gives systemd the commands to run as
# systemd.run= (run_cmds), then reads their output on the serial console (need).
# Sourced; the caller sets: say, fail (functions), work (a temporary directory holding disk.qcow2),
# LOGS (where serial and qemu logs go), TIMEOUT (seconds per boot), accel (qemu's accelerator
# arguments, an array), TEST_TAG (the prefix of the lines run_cmds prints). boot sets QPID while
# qemu runs (the caller's cleanup stops it), SERIAL and T_READY.

clean() { tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }

# run_cmds: the systemd.run= of a direct boot: once applianced answers, the commands, their
# output on the console. systemd boots into kernel-command-line.target for systemd.run=, so the
# command starts multi-user.target (applianced and the rest) itself. No $ or % (systemd expands them), no " (the kernel's quoting).
run_cmds() {
	local c="exec >/dev/ttyS0 2>&1; systemctl start --no-block multi-user.target; until /usr/sbin/vsadm node show >/dev/null 2>&1; do sleep 1; done; echo $TEST_TAG: applianced answers"
	local x
	for x in "$@"; do c="$c; echo $TEST_TAG: + $x; $x || echo $TEST_TAG: that command failed"; done
	echo "systemd.run=\"/bin/sh -c '$c'\" systemd.run_success_action=none systemd.run_failure_action=none"
}

# boot NAME WAIT_PATTERN [qemu args...]: one qemu run; returns once qemu has exited (the guest
# rebooted) or, when WAIT_PATTERN is not '-', once that line is on the console (then qemu is
# stopped after a few seconds). Sets SERIAL and T_READY (seconds from qemu's start to the
# pattern, or to qemu's exit).
boot() {
	local name=$1 pat=$2 t0 deadline
	shift 2
	SERIAL=$LOGS/$name-serial.log
	: >"$SERIAL"
	say "boot $name (${accel[*]})"
	t0=$(date +%s.%N)
	qemu-system-x86_64 "${accel[@]}" -m 1024 -smp 2 \
		-drive "file=$work/disk.qcow2,if=virtio,format=qcow2" "$@" \
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
		-nographic -monitor none -serial "file:$SERIAL" -no-reboot \
		</dev/null >"$LOGS/$name-qemu.log" 2>&1 &
	QPID=$!
	deadline=$((SECONDS + TIMEOUT))
	while [ $SECONDS -lt $deadline ]; do
		if [ "$pat" != - ] && grep -aq -- "$pat" "$SERIAL"; then
			T_READY=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)")
			sleep 5 # the confirmation's writes settle (they are fsynced)
			kill "$QPID" 2>/dev/null || true
			wait "$QPID" 2>/dev/null || true
			QPID=
			return 0
		fi
		if ! kill -0 "$QPID" 2>/dev/null; then
			wait "$QPID" 2>/dev/null || true
			QPID=
			T_READY=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)")
			[ "$pat" = - ] || fail "qemu exited before '$pat': $(tail -n 3 "$LOGS/$name-qemu.log")"
			return 0
		fi
		sleep 0.5
	done
	fail "boot $name: nothing after $TIMEOUT s"
}
need() { # NAME PATTERN WHAT (the text first: grep -q ends early, and pipefail)
	local text
	text=$(clean "$SERIAL")
	grep -Eq -- "$2" <<<"$text" || fail "boot $1: $3 (no line matching '$2')"
}
ro() { echo "-drive" "file=$1,if=virtio,format=raw,readonly=on"; }

