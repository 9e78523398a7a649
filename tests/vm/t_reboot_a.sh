#!/bin/sh
# shellcheck disable=SC2034,SC2086,SC2116  # TNAME is for lib.sh; $(echo $x) squashes blanks
# Guest test, first boot of two on the same five disks (tests/vm/check runs both):
#  - lvm2 makes a VG on $D1 $D2 with an LV spanning both, data is written through
#    device-mapper, the VG is deactivated;
#  - volmgr makes a VG on $D3 $D4 with a linear, a three-segment and a striped LV
#    (activated by lvcreate), data is written through them, their dm tables (MAJ:MIN
#    as device names) and dm names/uuids are saved at the start of $D5 (not a PV: the
#    way to carry them to the next boot), the VG is deactivated.
# t_reboot_b.sh checks it all after the reboot.
TNAME=vm_reboot_a
. /test/lib.sh
MiB=1048576

ok "pvcreate $D1 $D2" pvcreate -q "$D1" "$D2"
ok "vgcreate rvg" vgcreate -q rvg "$D1" "$D2"
# The disks are 64 MiB: 96 MiB must take extents on both.
ok "lvcreate -L 96m -n data rvg" lvcreate -q -y -L 96m -n data rvg
ok "lvcreate -L 8m -n small rvg" lvcreate -q -y -L 8m -n small rvg
devs=$(lvs --noheadings -o devices rvg/data 2>/dev/null | tr -d ' ' | sed 's/([0-9]*)//g' | tr '\n' ',')
is "rvg/data spans both disks" "$devs" "$D1,$D2,"
check "rvg-data is a block device" [ -b /dev/mapper/rvg-data ]
check "rvg-small is a block device" [ -b /dev/mapper/rvg-small ]

pattern 1 >/tmp/p1
pattern 2 >/tmp/p2
pattern 3 >/tmp/p3
ok "write pattern 1 at 0 of rvg/data" dd if=/tmp/p1 of=/dev/mapper/rvg-data bs=1M conv=fsync
ok "write pattern 2 at 80 MiB of rvg/data (second disk)" \
	dd if=/tmp/p2 of=/dev/mapper/rvg-data bs=1M seek=80 conv=notrunc,fsync
ok "write pattern 3 at 0 of rvg/small" dd if=/tmp/p3 of=/dev/mapper/rvg-small bs=1M conv=fsync
drop_caches /dev/mapper/rvg-data /dev/mapper/rvg-small
ok "pattern 2 reads back" sh -c 'dd if=/dev/mapper/rvg-data bs=1M skip=80 count=1 2>/dev/null | cmp -s - /tmp/p2'

ok "vgchange -an rvg" vgchange -q -an rvg
check "no rvg devices left in device-mapper" sh -c '! dmsetup ls | grep -q "^rvg-"'

# --- volmgr ---------------------------------------------------------------------------
export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D3,$D4"
mkdir -p /tmp/vm
ok "volmgr pvcreate $D3 $D4" volmgr pvcreate "$D3" "$D4"
ok "volmgr vgcreate -s 1m vvg" volmgr vgcreate -s 1m vvg "$D3" "$D4"
ok "volmgr lvcreate -L 2m -n lin vvg $D3" volmgr lvcreate -L 2m -n lin vvg "$D3"
ok "volmgr lvcreate -L 1m -n multi vvg $D3" volmgr lvcreate -L 1m -n multi vvg "$D3"
ok "volmgr lvcreate -L 1m -n gap vvg $D3" volmgr lvcreate -L 1m -n gap vvg "$D3"
ok "volmgr lvextend -L 2m vvg/multi $D4" volmgr lvextend -L 2m vvg/multi "$D4"
ok "volmgr lvextend -L 3m vvg/multi $D3" volmgr lvextend -L 3m vvg/multi "$D3"
ok "volmgr lvcreate -i 2 -I 64k -L 4m -n str vvg" volmgr lvcreate -i 2 -I 64k -L 4m -n str vvg
for lv in lin:4096 multi:6144 str:8192; do
	n=${lv%:*} c=${lv#*:}
	if [ -b "/dev/vvg/$n" ] && sectors "$n" 0 "$c" | dd of="/dev/vvg/$n" bs=1M iflag=fullblock conv=fsync 2>/dev/null; then
		pass "write $c sectors to vvg/$n"
	else
		failed "write $c sectors to vvg/$n"
	fi
done
T=$(dm_tables vvg-)
I=$(dm_ids vvg-)
printf '%s\n' "$T" | sed 's/^/# /'
is "vvg-multi: three table lines" "$(printf '%s\n' "$T" | grep -c '^vvg-multi: ')" 3
is "vvg-str: striped, 2 x 64 KiB" "$(printf '%s\n' "$T" | grep '^vvg-str: ' | cut -d' ' -f2-6)" "0 8192 striped 2 128"
# $D5: "volmgr-reboot" and the tables, a "--" line, the names and uuids, "end"; zeros after
{ echo volmgr-reboot; echo "$T"; echo --; echo "$I"; echo end; } >/tmp/saved
ok "save them to $D5" dd if=/tmp/saved of="$D5" bs=4096 conv=sync,fsync
drop_caches "$D5"
is "they read back from $D5" "$(dd if="$D5" bs=4096 count=1 2>/dev/null | tr -d '\0')" "$(cat /tmp/saved)"
out=$(volmgr vgchange -an vvg 2>&1)
is "volmgr vgchange -an vvg" "$(echo $out)" '0 logical volume(s) in volume group "vvg" now active'
is "no vvg devices left in device-mapper" "$(dm_ids vvg-)" ""
finish
