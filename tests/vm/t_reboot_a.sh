#!/bin/sh
# shellcheck disable=SC2034,SC2086,SC2116  # TNAME is for lib.sh; $(echo $x) squashes blanks
# Guest test, first boot of two on the same disks (tests/vm/check runs both): lvm2
# makes a VG with an LV spanning both disks, data is written through device-mapper,
# the VG is deactivated. t_reboot_b.sh checks it all after the reboot.
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
finish
