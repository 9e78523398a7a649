#!/bin/sh
# shellcheck disable=SC2034,SC2086,SC2116  # TNAME is for lib.sh; $(echo $x) squashes blanks
# Guest test, second boot on the disks t_reboot_a.sh wrote: lvm2's VG is there, lvm2
# activates it, the data written before the reboot reads back, volmgr sees the VG;
# volmgr's VG: volmgr vgchange -ay makes the very dm tables, names and uuids of the
# first boot (saved on $D5), and the data reads back.
TNAME=vm_reboot_b
. /test/lib.sh

check "nothing is active at boot" sh -c '! dmsetup ls | grep -q "^rvg-\|^vvg-"'
out=$(vgs --noheadings -o vg_name,pv_count,lv_count rvg 2>&1)
is "lvm2 finds rvg after the reboot" "$(echo $out)" "rvg 2 2"
ok "vgchange -ay rvg" vgchange -q -ay rvg
check "rvg-data is a block device" [ -b /dev/mapper/rvg-data ]
check "rvg-small is a block device" [ -b /dev/mapper/rvg-small ]
is "rvg-data size" "$(blockdev --getsize64 /dev/mapper/rvg-data 2>&1)" $((96 * 1048576))

pattern 1 >/tmp/p1
pattern 2 >/tmp/p2
pattern 3 >/tmp/p3
ok "pattern 1 at 0 of rvg/data survived" sh -c 'dd if=/dev/mapper/rvg-data bs=1M count=1 2>/dev/null | cmp -s - /tmp/p1'
ok "pattern 2 at 80 MiB of rvg/data survived" sh -c 'dd if=/dev/mapper/rvg-data bs=1M skip=80 count=1 2>/dev/null | cmp -s - /tmp/p2'
ok "pattern 3 at 0 of rvg/small survived" sh -c 'dd if=/dev/mapper/rvg-small bs=1M count=1 2>/dev/null | cmp -s - /tmp/p3'

export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D1,$D2"
mkdir -p /tmp/vm
out=$(volmgr lvs --noheadings -o lv_name,lv_size rvg 2>&1)
is "volmgr lvs rvg" "$(echo $out)" "data 96.00m small 8.00m"

ok "vgchange -an rvg" vgchange -q -an rvg
check "no rvg devices left in device-mapper" sh -c '! dmsetup ls | grep -q "^rvg-"'

# --- volmgr's VG ------------------------------------------------------------------------
saved=$(dd if="$D5" bs=4096 count=1 2>/dev/null | tr -d '\0')
is "the first boot's tables are on $D5" "$(printf '%s\n' "$saved" | sed -n '1p;$p' | tr '\n' ' ')" "volmgr-reboot end "
T=$(printf '%s\n' "$saved" | sed '1d' | sed '/^--$/,$d')
I=$(printf '%s\n' "$saved" | sed '1,/^--$/d' | sed '$d')
export VOLMGR_DEVICES="$D3,$D4"
out=$(volmgr vgchange -ay vvg 2>&1)
is "volmgr vgchange -ay vvg" "$(echo $out)" '4 logical volume(s) in volume group "vvg" now active'
is "the dm tables are the first boot's" "$(dm_tables vvg-)" "$T"
is "the dm names and uuids are the first boot's" "$(dm_ids vvg-)" "$I"
for lv in lin:4096 multi:6144 str:8192; do
	n=${lv%:*} c=${lv#*:}
	is "vvg/$n reads what was written before the reboot" \
		"$(dd if="/dev/vvg/$n" bs=1M 2>/dev/null | md5)" "$(sectors "$n" 0 "$c" | md5)"
done
out=$(lvs --noheadings -o lv_name,lv_attr vvg 2>&1)
is "lvm2 sees them active" "$(echo $out)" "gap -wi-a----- lin -wi-a----- multi -wi-a----- str -wi-a-----"
out=$(volmgr vgchange -an vvg 2>&1)
is "volmgr vgchange -an vvg" "$(echo $out)" '0 logical volume(s) in volume group "vvg" now active'
is "no vvg devices left in device-mapper" "$(dm_ids vvg-)" ""
finish
