#!/bin/sh
# shellcheck disable=SC2034,SC2013  # TNAME is for lib.sh; words of /proc/cmdline
# Guest test (tests/vm/run --qemu --disks 2 tests/vm/t_qemu_smoke.sh): qemu works in
# the test VM on an LV, the way a virtual machine's disk uses it.
#  (a) quick: a paused qemu (-M pc) takes the LV over QMP (blockdev-add host_device,
#      cache.direct, aio=native; device_add virtio-blk-pci), block_resize after
#      lvextend (and not before); qemu-io reads the LV's data and writes to it with
#      cache none / aio native.
#  (b) slow (a nested boot, 70-110 s): a nested guest boots with the LV as its virtio
#      disk (cache.direct, aio=native), reads the LV's data, and sees an lvextend +
#      block_resize in /sys/block/vda/size without a reboot.
# The times of (a) and (b) are printed ("time: ..."). (a) alone:
# VOLMGR_VM_APPEND=qemu_smoke.parts=a tests/vm/run --qemu ...
TNAME=vm_qemu_smoke
. /test/lib.sh
. /test/qemu.sh
MiB=1048576
PARTS=ab
for w in $(cat /proc/cmdline); do
	case $w in qemu_smoke.parts=*) PARTS=${w#qemu_smoke.parts=} ;; esac
done
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# has DESC TEXT PART: TEXT contains PART.
has() { case $2 in *"$3"*) pass "$1" ;; *) failed "$1: got '$2'" ;; esac; }
# qmp_start, nested_boot and qmp_stop set QMP_SOCK/QMP_PID: not in ok's subshell.
run_ok() { _d=$1; shift; if "$@"; then pass "$_d"; else failed "$_d"; fi; }

ok "pvcreate $D1 $D2" pvcreate -q "$D1" "$D2"
ok "vgcreate vg" vgcreate -q vg "$D1" "$D2"
ok "lvcreate -L 8m -n lv vg" lvcreate -q -y -L 8m -n lv vg
check "/dev/vg/lv is a block device" [ -b /dev/vg/lv ]
# The first MiB: text; the second: bytes 0xab (for qemu-io's read -P).
pattern 1 >/tmp/p1
ok "write 1 MiB of text to vg/lv" dd if=/tmp/p1 of=/dev/vg/lv bs=64k conv=fsync
ok "write 1 MiB of 0xab after it" sh -c \
	'head -c 1048576 /dev/zero | tr "\0" "\253" | dd of=/dev/vg/lv bs=64k seek=16 conv=fsync'
want_md5=$(md5 </tmp/p1)

# --- (a) a paused qemu, QMP, qemu-io --------------------------------------------------
ta=$(now)
t=$(now)
run_ok "qemu-system-x86_64 -S -M pc with a QMP socket" qmp_start /tmp/a.qmp -M pc
echo "time: qemu up with QMP: $(since "$t") s"
has "QMP query-status: paused (prelaunch)" "$(qmp '{"execute":"query-status"}')" '"status": "prelaunch"'
ok "QMP blockdev-add host_device /dev/vg/lv (cache.direct, aio=native)" qmp \
	'{"execute":"blockdev-add","arguments":{"driver":"host_device","node-name":"lv0","filename":"/dev/vg/lv","cache":{"direct":true},"aio":"native"}}'
ok "QMP device_add virtio-blk-pci drive=lv0" qmp \
	'{"execute":"device_add","arguments":{"driver":"virtio-blk-pci","id":"vd0","drive":"lv0"}}'
qb=$(qmp '{"execute":"query-block"}')
has "query-block shows lv0 in the device vd0" "$qb" '"qdev": "/machine/peripheral/vd0/virtio-backend"'
is "query-block: virtual-size 8 MiB" "$(echo "$qb" | jnum virtual-size)" $((8 * MiB))
r=$(qmp '{"execute":"block_resize","arguments":{"node-name":"lv0","size":16777216}}')
has "block_resize to 16 MiB before lvextend fails" "$r" 'Cannot grow device files'
ok "lvextend -L 16m vg/lv (held open by qemu)" lvextend -q -L 16m vg/lv
ok "QMP block_resize lv0 to 16 MiB" qmp \
	'{"execute":"block_resize","arguments":{"node-name":"lv0","size":16777216}}'
is "query-block: virtual-size 16 MiB" "$(qmp '{"execute":"query-block"}' | jnum virtual-size)" $((16 * MiB))
run_ok "QMP quit" qmp_stop

t=$(now)
out=$(qemu-io -f raw -t none -n -r /dev/vg/lv -c 'read -v 0 16' -c 'read -P 0xab 1M 1M' 2>&1)
echo "time: qemu-io: $(since "$t") s"
has "qemu-io (cache none, aio native) reads the LV's text at 0" "$out" \
	'00000000:  31 30 30 30 30 30 30 0a 31 30 30 30 30 30 31 0a'
has "qemu-io reads 1 MiB at 1 MiB" "$out" 'read 1048576/1048576 bytes at offset 1048576'
case $out in
*'verification failed'*) failed "qemu-io: the 1 MiB at 1 MiB is all 0xab: $out" ;;
*) pass "qemu-io: the 1 MiB at 1 MiB is all 0xab" ;;
esac
ok "qemu-io writes 64 KiB of 0xcd at 2 MiB" sh -c \
	"qemu-io -f raw -t none -n /dev/vg/lv -c 'write -P 0xcd 2M 64k' 2>&1 | grep -q '^wrote 65536/65536 bytes'"
drop_caches /dev/vg/lv
is "the LV reads back qemu-io's write" "$(dd if=/dev/vg/lv bs=64k skip=32 count=1 2>/dev/null | md5)" \
	"$(head -c 65536 /dev/zero | tr '\0' '\315' | md5)"
echo "time: (a) paused qemu + QMP + qemu-io: $(since "$ta") s"

# --- (b) a nested guest on the LV --------------------------------------------------------
if [ "$PARTS" != a ]; then
	tb=$(now)
	run_ok "nested qemu (microvm) starts on /dev/vg/lv" nested_boot /dev/vg/lv /tmp/nested.log 300
	if l=$(nested_wait '^NESTED-MD5=' 400); then
		pass "the nested guest is up ($(since "$tb") s)"
		echo "time: nested boot to NESTED-MD5: $(since "$tb") s"
		is "the nested guest reads the LV's first MiB" "${l#NESTED-MD5=}" "$want_md5"
		is "the nested guest's disk: 16 MiB" "$(tr -d '\r' </tmp/nested.log | grep -a '^NESTED-SIZE=' | head -n 1)" \
			"NESTED-SIZE=$((16 * 2048))"
		nested_wait '^NESTED-WATCHING' 30 >/dev/null
		ok "lvextend -L 20m vg/lv (the nested guest running)" lvextend -q -L 20m vg/lv
		t=$(now)
		ok "QMP block_resize nested0 to 20 MiB" qmp \
			'{"execute":"block_resize","arguments":{"node-name":"nested0","size":20971520}}'
		if nested_wait "^NESTED-SIZE=$((20 * 2048))\$" 60 >/dev/null; then
			pass "the nested guest sees 20 MiB in /sys/block/vda/size"
		else
			failed "the nested guest sees 20 MiB in /sys/block/vda/size"
		fi
		echo "time: resize seen by the nested guest after $(since "$t") s"
	else
		failed "the nested guest is up: $(tr -d '\r' </tmp/nested.log | tail -n 5 | tr '\n' '|')"
	fi
	run_ok "nested qemu: QMP quit" qmp_stop
	echo "time: (b) nested boot + resize: $(since "$tb") s"
fi

finish
