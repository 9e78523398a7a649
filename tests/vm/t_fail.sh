#!/bin/sh
# shellcheck disable=SC2034
# Guest test (tests/vm/run --disks 1): a failed activation leaves no half-made device behind, and a device
# that is not volmgr's is never touched.
TNAME=vm_fail
. /test/lib.sh
export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D1"
mkdir -p /tmp/vm
ok "pvcreate, vgcreate fvg" sh -c "volmgr pvcreate -q $D1 && volmgr vgcreate -q fvg $D1"

# 1. The dm name is taken by a device of someone else's.
ok "a foreign device named fvg-x (zero target, no uuid)" dmsetup create fvg-x --table "0 8 zero"
out=$(volmgr lvcreate -L 8m -n x fvg 2>&1); rc=$?
check "lvcreate -n x fails: $(echo "$out" | head -n 1)" [ "$rc" -ne 0 ]
is "the new LV was removed again" "$(volmgr lvs --noheadings -o lv_name fvg 2>&1 | tr -d ' ')" ""
is "the foreign device is untouched" "$(dmsetup table fvg-x 2>&1)" "0 8 zero "
check "no /dev/fvg/x link" [ ! -e /dev/fvg/x ]
ok "remove the foreign device" dmsetup remove fvg-x

# 2. The kernel refuses the table: the LV's extents lie beyond the end of its PV.
truncate -s 64M /tmp/loop.img
L=$(losetup -f)
losetup "$L" /tmp/loop.img
export VOLMGR_DEVICES="$D1,$L"
ok "pvcreate $L, vgextend fvg" sh -c "volmgr pvcreate -q $L && volmgr vgextend -q fvg $L"
ok "lvcreate -an -l 10 fvg/y on $L" volmgr lvcreate -q -an -l 10 -n y fvg "$L"
losetup -d "$L"
truncate -s 16M /tmp/loop.img
losetup "$L" /tmp/loop.img
out=$(volmgr lvchange -ay fvg/y 2>&1); rc=$?
check "lvchange -ay of an LV past the end of its device fails: $(echo "$out" | tail -n 1)" [ "$rc" -ne 0 ]
is "no device-mapper device is left behind" "$(dmsetup ls 2>&1)" "No devices found"
check "no /dev/fvg/y link" [ ! -e /dev/fvg/y ]
losetup -d "$L"
finish
