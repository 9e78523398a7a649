#!/bin/sh
# shellcheck disable=SC2034  # TNAME is for lib.sh
# The activation half of the demo (tests/demo.sh): VG "demo" exists on the disks
# with LVs vm-100-disk-0 and scratch. Activate, write a guest image's worth of data
# through /dev/demo/vm-100-disk-0, grow it online onto the third PV while a writer
# keeps writing, check the data, list. Runs in the test VM, or on the host itself
# when its kernel has device-mapper (DEMO_VOLMGR, VM_DISKS set by the demo).
TNAME=demo_guest
if [ -f /test/lib.sh ]; then . /test/lib.sh; else . "$(dirname "$0")/guest-lib.sh"; fi
V=${DEMO_VOLMGR:-volmgr}
if [ -z "${VOLMGR_SYSTEM_DIR:-}" ]; then
	export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock
	mkdir -p /tmp/vm
fi
VOLMGR_DEVICES=$(echo "$VM_DISKS" | tr ' ' ',')
export VOLMGR_DEVICES
run() { echo "# volmgr $*"; "$V" "$@"; }
LV=/dev/demo/vm-100-disk-0

run vgchange -ay demo
check "$LV is a block device" [ -b "$LV" ]
# 16 MiB of data, written through device-mapper (O_DIRECT: past the page cache)
head -c $((16 * 1048576)) /dev/urandom > /tmp/data
echo "# dd if=/tmp/data of=$LV bs=1M oflag=direct"
ok "write 16 MiB through $LV" dd if=/tmp/data of="$LV" bs=1M oflag=direct
# A writer busy on the LV while it grows onto the third PV.
(
	n=0
	while [ ! -e /tmp/stop ]; do
		dd if=/tmp/data of="$LV" bs=1M seek=16 oflag=direct conv=notrunc 2>/dev/null ||
			{ echo fail >/tmp/writer; exit 1; }
		n=$((n + 1))
	done
	echo "$n" >/tmp/writer
) &
sleep 1
set -- $VM_DISKS
run lvextend -L +512m demo/vm-100-disk-0 "$3"
touch /tmp/stop
wait
w=$(cat /tmp/writer)
check "the writer saw no I/O error across the online extend ($w rounds)" [ "$w" != fail ]
is "size seen by the kernel" "$(blockdev --getsize64 "$LV")" $((768 * 1048576))
drop_caches "$LV"
check "the first 16 MiB read back intact" sh -c "dd if=$LV bs=1M count=16 iflag=direct 2>/dev/null | cmp -s - /tmp/data"
check "what the writer wrote read back intact" sh -c "dd if=$LV bs=1M skip=16 count=16 iflag=direct 2>/dev/null | cmp -s - /tmp/data"
run lvs -o lv_name,lv_size,lv_attr,lv_active,segtype,devices,lv_dm_path demo
run vgchange -an demo
finish
