# shellcheck shell=bash
# Helpers shared by the qemu images' scripts (images/guest/*, images/appliance/*);
# sourced, never run. Every function leaves no mount behind on failure when its
# caller traps img_chroot_umount.
#
#   img_mirror                   the Debian mirror of this machine's apt configuration
#   img_chroot_mount ROOT        proc, sys, dev, dev/pts in ROOT (idempotent)
#   img_chroot_umount ROOT       and out again (idempotent)
#   img_chroot_apt ROOT LOG ARGS...  apt-get ARGS in ROOT, no daemon started, output to LOG
#   img_accel CACHE KERNEL       prints the qemu acceleration options, one a line

# The Debian mirror this machine uses (deb822 or one-line sources), not security.
# No fallback: a machine with no Debian source configured is an error.
img_mirror() {
	local m
	m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{for (i = 2; i <= NF; i++) print $i}' | grep -v -- '-security' | head -n1 || true)
	if [ -z "$m" ]; then
		m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			grep -v -- '-security' | sed 's/\[[^]]*\]//' | awk '{print $2}' | head -n1 || true)
	fi
	if [ -z "$m" ]; then
		echo "no Debian mirror in this machine's apt configuration" >&2
		return 1
	fi
	echo "$m"
}

img_chroot_mount() {
	local r=$1
	mountpoint -q "$r/proc" || mount -t proc proc "$r/proc"
	mountpoint -q "$r/sys" || mount -t sysfs sysfs "$r/sys"
	mountpoint -q "$r/dev" || mount --bind /dev "$r/dev"
	mountpoint -q "$r/dev/pts" || mount --bind /dev/pts "$r/dev/pts"
}

img_chroot_umount() {
	local r=$1 m
	for m in dev/pts dev sys proc; do
		if [ -d "$r/$m" ] && mountpoint -q "$r/$m"; then umount -l "$r/$m"; fi
	done
}

img_chroot_apt() {
	local r=$1 log=$2 rc=0
	shift 2
	img_chroot_mount "$r"
	# No daemon starts in the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
	chmod 755 "$r/usr/sbin/policy-rc.d"
	chroot "$r" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get "$@" >>"$log" 2>&1 || rc=$?
	rm -f "$r/usr/sbin/policy-rc.d"
	img_chroot_umount "$r"
	if [ "$rc" != 0 ]; then tail -20 "$log" >&2; fi
	return "$rc"
}

# KVM when it works. Nested KVM can be present yet unusable (seen here: the
# kernel hangs right after the BIOS); so in auto mode a first short KVM boot
# (no disk, no network) must print "Linux version" within 20 s, and the
# verdict is cached in CACHE/kvm-verdict. GUEST_ACCEL=kvm|tcg forces one.
img_kvm_works() {
	local v=$1/kvm-verdict kernel=$2 probe p
	if [ ! -s "$v" ]; then
		probe=$(mktemp)
		timeout 20 qemu-system-x86_64 -enable-kvm -m 256 -smp 1 -kernel "$kernel" \
			-append "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1" -nographic -monitor none \
			-serial "file:$probe" -no-reboot </dev/null >/dev/null 2>&1 &
		p=$!
		for _ in $(seq 200); do
			grep -aq 'Linux version' "$probe" && break
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		if grep -aq 'Linux version' "$probe"; then echo yes >"$v"; else echo no >"$v"; fi
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		rm -f "$probe"
	fi
	[ "$(cat "$v")" = yes ]
}

img_accel() {
	local use_kvm=
	case ${GUEST_ACCEL:-auto} in
	kvm) use_kvm=1 ;;
	tcg) use_kvm= ;;
	*) if [ -e /dev/kvm ] && img_kvm_works "$1" "$2"; then use_kvm=1; fi ;;
	esac
	if [ -n "$use_kvm" ]; then echo -enable-kvm; else printf '%s\n' -machine accel=tcg; fi
}
