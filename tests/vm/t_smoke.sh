#!/bin/sh
# shellcheck disable=SC2034,SC2086,SC2116  # TNAME is for lib.sh; $(echo $x) squashes blanks
# Guest test (tests/vm/run --disks 2 tests/vm/t_smoke.sh): the VM has a real
# device-mapper, lvm2 activates LVs in it (activation on, no udev), and volmgr runs in
# it and reads what lvm2 wrote.
TNAME=vm_smoke
. /test/lib.sh
MiB=1048576

# --- device-mapper ------------------------------------------------------------
v=$(dmsetup version 2>&1)
drv=$(printf '%s\n' "$v" | sed -n 's/^Driver version: *\([0-9][0-9.]*\).*/\1/p')
if [ -n "$drv" ]; then pass "dmsetup version: driver $drv"; else failed "dmsetup version: no driver version: $v"; fi
check "dm targets include linear, striped, snapshot, thin-pool, zero" \
	sh -c 'dmsetup targets | grep -q "^linear" && dmsetup targets | grep -q "^striped" &&
		dmsetup targets | grep -q "^snapshot " && dmsetup targets | grep -q "^thin-pool" &&
		dmsetup targets | grep -q "^zero"'

# --- lvm2 with activation --------------------------------------------------------
ok "pvcreate $D1 $D2" pvcreate -q "$D1" "$D2"
ok "vgcreate vg" vgcreate -q vg "$D1" "$D2"
ok "lvcreate -L 8m -n a vg" lvcreate -q -y -L 8m -n a vg
check "/dev/mapper/vg-a is a block device" [ -b /dev/mapper/vg-a ]
check "/dev/vg/a leads to a block device" [ -b /dev/vg/a ]
tbl=$(dmsetup table vg-a 2>&1)
check "dmsetup table vg-a is one linear segment ($tbl)" sh -c "echo '$tbl' | grep -Eq '^0 16384 linear [0-9]+:[0-9]+ [0-9]+$'"
is "vg-a size" "$(blockdev --getsize64 /dev/mapper/vg-a 2>&1)" $((8 * MiB))

# 1 MiB of random data through dm, fsync'd, read back past the page cache.
dd if=/dev/urandom of=/tmp/pattern bs=1M count=1 2>/dev/null
ok "write 1 MiB to vg-a (conv=fsync)" dd if=/tmp/pattern of=/dev/mapper/vg-a bs=1M count=1 conv=fsync
drop_caches /dev/mapper/vg-a "$D1" "$D2"
ok "read it back through vg-a" sh -c 'dd if=/dev/mapper/vg-a bs=1M count=1 2>/dev/null | cmp -s - /tmp/pattern'
# ... and it is on the PV the LV maps to, at its first extent.
pe_start=$(pvs --noheadings --units b --nosuffix -o pe_start "$D1" 2>/dev/null | tr -d ' ')
pvdev=$(lvs --noheadings -o devices vg/a 2>/dev/null | tr -d ' ' | sed 's/(.*//')
if [ -n "$pe_start" ] && [ -b "$pvdev" ]; then
	ok "the data is on $pvdev at pe_start $pe_start" \
		sh -c "dd if=$pvdev bs=512 skip=$((pe_start / 512)) count=2048 2>/dev/null | cmp -s - /tmp/pattern"
else
	failed "where vg/a lives: pe_start '$pe_start', device '$pvdev'"
fi

# Grow while the LV is held open.
exec 3</dev/mapper/vg-a
ok "lvextend -L 16m vg/a while open" lvextend -q -L 16m vg/a
is "vg-a size after lvextend" "$(blockdev --getsize64 /dev/mapper/vg-a 2>&1)" $((16 * MiB))
drop_caches /dev/mapper/vg-a
ok "data kept across the online extend" sh -c 'dd if=/dev/mapper/vg-a bs=1M count=1 2>/dev/null | cmp -s - /tmp/pattern'
exec 3<&-

# --- volmgr in the guest -----------------------------------------------------------
export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D1,$D2"
mkdir -p /tmp/vm
vv=$(volmgr --version 2>&1)
check "volmgr --version ($vv)" sh -c "echo '$vv' | grep -q '^volmgr [0-9]'"
out=$(volmgr lvs --noheadings -o lv_name,vg_name,lv_size 2>&1)
is "volmgr lvs reads the VG lvm2 made" "$(echo $out)" "a vg 16.00m"
out=$(volmgr vgs --noheadings -o vg_name,pv_count,lv_count 2>&1)
is "volmgr vgs" "$(echo $out)" "vg 2 1"

# --- and away ------------------------------------------------------------------------
ok "lvremove vg/a" lvremove -q -y vg/a
check "vg-a is gone from device-mapper" sh -c '! dmsetup info vg-a >/dev/null 2>&1'
check "/dev/mapper/vg-a is gone" [ ! -e /dev/mapper/vg-a ]
ok "vgremove vg" vgremove -q -y vg
finish
