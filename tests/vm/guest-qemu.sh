# shellcheck shell=sh disable=SC2034
# /test/qemu.sh inside the test VM (tests/vm/run copies it there): a qemu (TCG) in
# the guest, for tests of LVs used as virtual machines' disks. Needs `run --qemu`
# (the qemu image; vm-qemu-setup mounts it at /opt/qemu and runs its programs:
# qemu-system-x86_64, qemu-io, qemu-img, socat). Source it after /test/lib.sh; it
# reports "not ok" and finishes the test when the VM has no qemu image.
#
#   qmp_start SOCKET [QEMU-ARGS...]   a paused qemu (-S -M pc -m 64 -nodefaults
#                                     -display none -accel tcg; later -M/-m in ARGS
#                                     win) with a QMP socket; waits for the socket.
#                                     Sets QMP_SOCK, QMP_PID; log in SOCKET.log
#   qmp JSON                          sends qmp_capabilities and JSON (one command)
#                                     to $QMP_SOCK; prints the answer (one line);
#                                     status 0 for {"return"...}, 1 for {"error"...}
#                                     or no answer (30 s)
#   qmp_stop                          "quit" to $QMP_SOCK, waits for $QMP_PID (kill
#                                     -9 after 20 s); status 0 if it ended on quit
#   jnum KEY                          the first number after "KEY": in stdin
#                                     (qmp '{"execute":"query-block"}' | jnum virtual-size)
#   nested_initrd FILE                a tiny initramfs (uncompressed cpio: static
#                                     busybox, virtio_mmio/virtio_blk modules, an init;
#                                     see below) for nested_boot
#   nested_boot DEV LOG [SECS] [QEMU-ARGS...]
#                                     boots a nested guest (microvm, the VM's own
#                                     kernel, 128 MiB) whose virtio disk is DEV
#                                     (-blockdev host_device, node-name "nested0",
#                                     cache.direct=on, aio=native): console and
#                                     qemu's messages in LOG, QMP on /tmp/nested.qmp
#                                     (sets QMP_SOCK and QMP_PID: qmp, qmp_stop work
#                                     on it); returns once QMP is up, not waiting for
#                                     the boot. The nested guest powers off after
#                                     SECS (default 300) seconds of watching
#   nested_wait REGEX [TIMEOUT]       waits (default 120 s) for a line of LOG
#                                     matching REGEX (grep -E) and prints the last
#                                     such line; fails if the nested qemu ended or
#                                     the time ran out (and shows LOG's tail)
#   nested_value KEY                  the value of the last "KEY=value" line of LOG
#   (NESTED_BLOCKDEV and NESTED_NODE, when set, replace nested_boot's -blockdev
#   options and node name: e.g. what `volmgr lvdisk --format qemu` prints)
# $NESTED_APPEND: more arguments for the nested kernel. qmp_start, nested_boot and
# qmp_stop set QMP_SOCK/QMP_PID: call them directly, not through lib.sh's ok (a
# subshell); for two qemus at once, save and restore QMP_SOCK and QMP_PID.
#
# The nested guest's console (LOG) says, in this order:
#   NESTED-UP <uptime>                its init runs
#   NESTED-SIZE=<sectors>             /sys/block/vda/size
#   NESTED-MD5=<md5>                  md5 of the first MiB of /dev/vda
#   NESTED-WATCHING                   then once per second, only when it changed:
#   NESTED-SIZE=<sectors>             (an online resize, block_resize over QMP)
#   NESTED-TAIL=<md5>                 md5 of the disk's last MiB (read past the cache)
#   NESTED-END                        after SECS seconds; then it powers off
#
# Times seen (2-core host, another VM running): qemu-system-x86_64 -S up with QMP
# 0.5-1.6 s; a qmp call 0.1-0.3 s; qemu-io 0.2 s; a nested boot (TCG in TCG) to
# NESTED-MD5 70-110 s, more on a busy host: give nested_wait minutes, not seconds.

# The TSC frequency for the nested kernel (its TSC calibration may hang without).
QEMU_KHZ=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
# The nested kernel's command line. Under TCG in TCG its boot takes minutes;
# without the crypto self-tests, the Spectre mitigations, the LSMs and audit, ~15%
# less (nothing the tests look at needs them). $NESTED_APPEND adds arguments.
NESTED_CMDLINE="console=ttyS0 quiet panic=-1 tsc_early_khz=$QEMU_KHZ tsc=reliable"
NESTED_CMDLINE="$NESTED_CMDLINE cryptomgr.notests mitigations=off lsm=capability audit=0"
QMP_SOCK='' QMP_PID='' NESTED_LOG=''

if ! vm-qemu-setup; then
	failed "the qemu image is there (boot with tests/vm/run --qemu)"
	finish
fi

# The QMP dialog, run by socat with the socket on stdin/stdout: the greeting,
# qmp_capabilities, then the command; events (lines that are no answer) are skipped.
cat >/tmp/.qmp-dialog <<'EOF'
answer() {
	while read -r line; do
		case $line in '{"return"'*|'{"error"'*) return 0 ;; esac
	done
	return 1
}
read -r line || exit 1
echo '{"execute":"qmp_capabilities"}'
answer || exit 1
printf '%s\n' "$QMP_CMD"
answer || exit 1
printf '%s\n' "$line" >"$QMP_OUT"
EOF

# _qemu_up SOCKET LOG: wait (60 s) for qemu $QMP_PID to open its QMP socket.
_qemu_up() {
	_qi=0
	while ! [ -S "$1" ]; do
		if ! kill -0 "$QMP_PID" 2>/dev/null; then
			echo "qemu ended before its QMP socket was up:" >&2
			tail -n 20 "$2" >&2
			QMP_PID=''
			return 1
		fi
		_qi=$((_qi + 1))
		if [ "$_qi" -ge 600 ]; then
			echo "no QMP socket $1 after 60 s" >&2
			return 1
		fi
		sleep 0.1
	done
}

qmp_start() {
	QMP_SOCK=$1
	shift
	rm -f "$QMP_SOCK"
	qemu-system-x86_64 -S -M pc -m 64 -nodefaults -display none -accel tcg \
		-qmp "unix:$QMP_SOCK,server=on,wait=off" "$@" </dev/null >"$QMP_SOCK.log" 2>&1 &
	QMP_PID=$!
	_qemu_up "$QMP_SOCK" "$QMP_SOCK.log"
}

qmp() {
	[ -S "${QMP_SOCK:-}" ] || { echo "qmp: no QMP socket '${QMP_SOCK:-}'" >&2; return 1; }
	rm -f /tmp/.qmp-out
	QMP_CMD=$1 QMP_OUT=/tmp/.qmp-out timeout 30 socat -t 0.1 "UNIX-CONNECT:$QMP_SOCK" \
		EXEC:"/bin/sh /tmp/.qmp-dialog"
	[ -s /tmp/.qmp-out ] || { echo "qmp: no answer to $1" >&2; return 1; }
	tr -d '\r' </tmp/.qmp-out
	grep -q '^{"return"' /tmp/.qmp-out
}

qmp_stop() {
	[ -n "${QMP_PID:-}" ] || return 0
	_qr=0
	qmp '{"execute":"quit"}' >/dev/null || _qr=1
	_qi=0
	while kill -0 "$QMP_PID" 2>/dev/null; do
		_qi=$((_qi + 1))
		if [ "$_qi" -ge 200 ]; then
			kill -9 "$QMP_PID" 2>/dev/null
			_qr=1
			break
		fi
		sleep 0.1
	done
	wait "$QMP_PID" 2>/dev/null
	rm -f "$QMP_SOCK"
	QMP_PID=''
	return $_qr
}

jnum() { grep -o "\"$1\": *-\{0,1\}[0-9]*" | head -n 1 | grep -o -- '-\{0,1\}[0-9]*$'; }

nested_initrd() {
	_qd=/tmp/.nested-root
	rm -rf "$_qd"
	mkdir -p "$_qd/bin" "$_qd/dev" "$_qd/proc" "$_qd/sys" "$_qd/lib/modules"
	cp /usr/bin/busybox "$_qd/bin/busybox" || return 1
	for _qm in virtio_ring virtio virtio_mmio virtio_blk; do
		cp "/lib/modules/vm/$_qm.ko" "$_qd/lib/modules/" || return 1
	done
	mknod -m 600 "$_qd/dev/console" c 5 1
	cat >"$_qd/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
export PATH=/bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
SECS=300
for w in $(cat /proc/cmdline); do
	case $w in nested.secs=*) SECS=${w#nested.secs=} ;; esac
done
off() { echo NESTED-END; sync; poweroff -f; reboot -f; }
for m in virtio_ring virtio virtio_mmio virtio_blk; do insmod /lib/modules/$m.ko; done
echo "NESTED-UP $(cut -d' ' -f1 /proc/uptime)"
i=0
until [ -b /dev/vda ]; do
	i=$((i + 1))
	[ $i -ge 100 ] && { echo NESTED-NODISK; off; }
	sleep 0.1
done
read -r size </sys/block/vda/size
echo "NESTED-SIZE=$size"
echo "NESTED-MD5=$(dd if=/dev/vda bs=65536 count=16 2>/dev/null | md5sum | cut -d' ' -f1)"
echo NESTED-WATCHING
end=$(($(cut -d. -f1 /proc/uptime) + SECS))
while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
	read -r s </sys/block/vda/size
	[ "$s" != "$size" ] && { size=$s; echo "NESTED-SIZE=$size"; }
	t=$(dd if=/dev/vda bs=65536 skip=$((size / 128 - 16)) count=16 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
	[ "$t" != "${tail:-}" ] && { tail=$t; echo "NESTED-TAIL=$tail"; }
	sleep 1
done
off
EOF
	chmod 755 "$_qd/init"
	(cd "$_qd" && find . | cpio -o -H newc -R 0:0 2>/dev/null) >"$1" || return 1
	rm -rf "$_qd"
}

nested_boot() {
	_qdev=$1 NESTED_LOG=$2 _qsecs=${3:-300}
	shift 2
	[ $# -gt 0 ] && shift
	[ -b "$_qdev" ] || { echo "nested_boot: $_qdev is not a block device" >&2; return 1; }
	[ -s /tmp/.nested.cpio ] || nested_initrd /tmp/.nested.cpio || return 1
	QMP_SOCK=/tmp/nested.qmp
	rm -f "$QMP_SOCK"
	qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=on -accel tcg -smp 1 -m 128 \
		-no-reboot -nodefaults -display none -serial stdio \
		-kernel /opt/qemu/boot/vmlinux -initrd /tmp/.nested.cpio \
		-append "$NESTED_CMDLINE nested.secs=$_qsecs${NESTED_APPEND:+ $NESTED_APPEND}" \
		-blockdev "${NESTED_BLOCKDEV:-driver=host_device,node-name=nested0,filename=$_qdev,cache.direct=on,aio=native}" \
		-device "virtio-blk-device,drive=${NESTED_NODE:-nested0},serial=nested" \
		-qmp "unix:$QMP_SOCK,server=on,wait=off" "$@" </dev/null >"$NESTED_LOG" 2>&1 &
	QMP_PID=$!
	_qemu_up "$QMP_SOCK" "$NESTED_LOG"
}

nested_wait() {
	_qn=$((${2:-120} * 5))
	while :; do
		_ql=$(tr -d '\r' <"$NESTED_LOG" | grep -aE -- "$1" | tail -n 1)
		[ -n "$_ql" ] && { echo "$_ql"; return 0; }
		if [ -z "${QMP_PID:-}" ] || ! kill -0 "$QMP_PID" 2>/dev/null; then
			echo "nested_wait '$1': the nested qemu ended; $NESTED_LOG:" >&2
			tr -d '\r' <"$NESTED_LOG" | tail -n 20 >&2
			return 1
		fi
		_qn=$((_qn - 1))
		if [ "$_qn" -le 0 ]; then
			echo "nested_wait '$1': not seen after ${2:-120} s; $NESTED_LOG:" >&2
			tr -d '\r' <"$NESTED_LOG" | tail -n 20 >&2
			return 1
		fi
		sleep 0.2
	done
}

nested_value() { tr -d '\r' <"$NESTED_LOG" | grep -a "^$1=" | tail -n 1 | cut -d= -f2-; }
