#!/bin/sh
# shellcheck disable=SC2034,SC2086  # TNAME is for lib.sh
# Guest test (tests/vm/run --qemu --disks 2 tests/vm/t_guest.sh): LVs as the disks of
# a qemu running inside the test VM.
#  1. a paused qemu: volmgr lvattach --qmp adds the LV (blockdev-add host_device with
#     O_DIRECT and native AIO, device_add virtio-blk-pci with the LV's serial); after
#     lvextend --qmp, qemu's block layer has the new size; qemu-io reads, through
#     the same options, the data written through /dev/VG/LV;
#  1b. a paused qemu with a virtio-scsi controller: lvattach --qmp --bus scsi adds the
#     LV as a scsi-hd (qemu holds it open), lvdetach --qmp takes it away again
#     (device_del, DEVICE_DELETED, blockdev-del: the LV is no longer open);
#  2. with vm.nested=1 on the kernel command line (tests/vm/check, make check-slow): a nested guest
#     boots with the LV as its virtio disk, reads the data written by the host, and
#     after lvextend --qmp sees the new size in /sys/block/vda/size without a reboot
#     and reads the data the host writes into the new part.
TNAME=vm_guest
. /test/lib.sh
. /test/qemu.sh
export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D1,$D2"
mkdir -p /tmp/vm
MiB=1048576
ok "pvcreate, vgcreate gv" sh -c "volmgr pvcreate -q $D1 $D2 && volmgr vgcreate -q -s 1m gv $D1 $D2"
ok "lvcreate -L 16m gv/vm-101-disk-0" volmgr lvcreate -q -L 16m -n vm-101-disk-0 gv
LV=/dev/gv/vm-101-disk-0
head -c $MiB /dev/urandom > /tmp/head
ok "1 MiB written through $LV" dd if=/tmp/head of=$LV bs=1M oflag=direct conv=notrunc
UUID=$(volmgr lvs --noheadings -o lv_uuid gv/vm-101-disk-0 | tr -d ' -')
NODE=lv$(echo "$UUID" | cut -c1-29)

# --- 1. a paused qemu, QMP ------------------------------------------------------------
# (not through ok: qmp_start sets QMP_SOCK and QMP_PID in this shell)
if qmp_start /tmp/q1.qmp; then pass "a paused qemu with a QMP socket"; else failed "a paused qemu with a QMP socket"; fi
ok "lvattach --qmp" volmgr lvattach --qmp "$QMP_SOCK" gv/vm-101-disk-0
blk=$(qmp '{"execute": "query-named-block-nodes"}')
check "qemu has the node $NODE on $LV" sh -c "echo '$blk' | grep -q '\"node-name\": \"$NODE\"' &&
	echo '$blk' | grep -q '\"file\": \"$LV\"'"
check "opened with O_DIRECT (cache.direct)" sh -c "echo '$blk' | grep -q '\"direct\": true'"
# (qemu does not report the AIO mode; it took "aio": "native", which it refuses without O_DIRECT)
is "qemu's size of it: 16 MiB" "$(echo "$blk" | jnum virtual-size)" $((16 * MiB))
dev=$(qmp "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/$NODE-dev\", \"property\": \"serial\"}}")
check "the virtio-blk-pci device carries the LV's serial" sh -c "echo '$dev' | grep -q '$(echo "$UUID" | cut -c1-20)'"
ok "lvextend -L +8m --qmp (the device grows, then qemu is told)" \
	volmgr lvextend -q -L +8m --qmp "$QMP_SOCK" gv/vm-101-disk-0
blk=$(qmp '{"execute": "query-named-block-nodes"}')
is "qemu's size of it after lvextend --qmp: 24 MiB" "$(echo "$blk" | jnum virtual-size)" $((24 * MiB))
out=$(volmgr lvattach --qmp "$QMP_SOCK" gv/vm-101-disk-0 2>&1); rc=$?
check "attaching it twice is refused by qemu, with its reason ($out)" [ "$rc" -ne 0 ]
if qmp_stop; then pass "qemu ends on quit"; else failed "qemu ends on quit"; fi

# --- 1b. SCSI, a bus whose unplug needs no guest: lvattach and lvdetach -----------------
# (virtio-blk-pci's unplug waits for the guest's ACPI eject: a paused qemu never gives it)
if qmp_start /tmp/q2.qmp -device virtio-scsi-pci,id=scsi0; then pass "a paused qemu with a virtio-scsi controller"
else failed "a paused qemu with a virtio-scsi controller"; fi
lv_open() { volmgr lvs --noheadings -o lv_attr gv/vm-101-disk-0 | tr -d ' ' | cut -c6; }
is "before: the LV is not open" "$(lv_open)" -
ok "lvattach --qmp --bus scsi --target sdb" volmgr lvattach --qmp "$QMP_SOCK" --bus scsi --target sdb gv/vm-101-disk-0
dev=$(qmp "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/$NODE-dev\", \"property\": \"type\"}}")
check "qemu has a scsi-hd device $NODE-dev" sh -c "echo '$dev' | grep -q '\"scsi-hd\"'"
is "qemu holds the LV open (lv_attr)" "$(lv_open)" o
out=$(volmgr lvdetach --qmp "$QMP_SOCK" gv/vm-101-disk-0 2>&1); rc=$?
check "lvdetach --qmp: device_del, DEVICE_DELETED, blockdev-del ($out)" [ "$rc" -eq 0 ]
blk=$(qmp '{"execute": "query-named-block-nodes"}')
check "qemu has no node $NODE any more" sh -c "echo '$blk' | grep -q '\"return\"' && ! echo '$blk' | grep -q '$NODE'"
out=$(qmp "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/$NODE-dev\", \"property\": \"type\"}}" 2>&1)
is "nor the device (qom-get: $out)" "$(echo "$out" | grep -c 'not found')" 1
is "qemu let go of the LV (lv_attr)" "$(lv_open)" -
out=$(volmgr lvdetach --qmp "$QMP_SOCK" gv/vm-101-disk-0 2>&1); rc=$?
check "detaching it again fails, with qemu's reason ($out)" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'QMP: '"
ok "lvchange -an of the detached LV" volmgr lvchange -q -an gv/vm-101-disk-0
is "it is inactive (lv_attr)" "$(volmgr lvs --noheadings -o lv_attr gv/vm-101-disk-0 | tr -d ' ' | cut -c5)" -
ok "lvattach --qmp of the inactive LV (lvattach activates it first)" \
	volmgr lvattach --qmp "$QMP_SOCK" --bus scsi --target sdb gv/vm-101-disk-0
is "it is active and open (lv_attr)" "$(volmgr lvs --noheadings -o lv_attr gv/vm-101-disk-0 | tr -d ' ' | cut -c5-6)" ao
if qmp_stop; then pass "qemu ends on quit"; else failed "qemu ends on quit"; fi
is "with qemu gone, the LV is not open" "$(lv_open)" -

# qemu-io, with the options of the disk (cache none, aio native), and the host agree
head -c $MiB /dev/zero | tr '\0' 'Z' > /tmp/zz
ok "the host writes 1 MiB of 0x5a through $LV" dd if=/tmp/zz of=$LV bs=1M seek=2 oflag=direct conv=notrunc
out=$(qemu-io -f raw --cache=none --aio=native -c "read -P 0x5a $((2 * MiB)) $MiB" "$LV" 2>&1); rc=$?
check "qemu-io reads it back, pattern verified ($(echo "$out" | head -n 1))" \
	sh -c "[ $rc -eq 0 ] && ! echo '$out' | grep -q 'verification failed'"
out=$(qemu-io -f raw --cache=none --aio=native -c "read -P 0x5a 0 $MiB" "$LV" 2>&1)
check "qemu-io's pattern check can fail (random data is no 0x5a)" sh -c "echo '$out' | grep -q 'verification failed'"
ok "qemu-io writes 1 MiB of 0xa5 into the new part" \
	qemu-io -f raw --cache=none --aio=native -c "write -P 0xa5 $((20 * MiB)) $MiB" "$LV"
is "the host reads the 0xa5 back" "$(dd if=$LV bs=1M skip=20 count=1 iflag=direct 2>/dev/null | od -An -v -tx1 | tr -s ' \n' ' ' | xargs -n1 | sort -u | xargs)" a5
md5h=$(dd if=$LV bs=1M count=1 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
is "the first MiB is still the host's data" "$md5h" "$(md5sum < /tmp/head | cut -d' ' -f1)"

# --- 2. a nested guest (slow) ----------------------------------------------------------
if grep -q 'vm.nested=1' /proc/cmdline; then
	# the disk as volmgr defines it (its node name is the one lvextend --qmp resizes)
	NESTED_BLOCKDEV=$(volmgr lvdisk --format qemu gv/vm-101-disk-0 | sed -n 's/^-blockdev //p')
	NESTED_NODE=$NODE
	export NESTED_BLOCKDEV NESTED_NODE
	if nested_boot "$LV" /tmp/nested.log 240; then pass "nested boot with the LV as its disk"
	else failed "nested boot with the LV as its disk"; fi
	ok "the nested guest sees its disk" nested_wait '^NESTED-MD5=' 180
	is "it reads the host's data (md5 of the first MiB)" "$(nested_value NESTED-MD5)" "$md5h"
	is "it sees 24 MiB" "$(nested_value NESTED-SIZE)" $((24 * MiB / 512))
	ok "lvextend -L +8m --qmp while the guest runs" volmgr lvextend -q -L +8m --qmp "$QMP_SOCK" gv/vm-101-disk-0
	ok "the guest sees the new size without a reboot" nested_wait "^NESTED-SIZE=$((32 * MiB / 512))\$" 60
	head -c $MiB /dev/urandom > /tmp/tail
	ok "the host writes the new part's last MiB" dd if=/tmp/tail of=$LV bs=1M seek=31 oflag=direct conv=notrunc
	ok "the guest reads it there" nested_wait "^NESTED-TAIL=$(md5sum < /tmp/tail | cut -d' ' -f1)\$" 60
	if qmp_stop; then pass "the nested qemu ends"; else failed "the nested qemu ends"; fi
fi
finish
