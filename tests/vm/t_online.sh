#!/bin/sh
# shellcheck disable=SC2034,SC2086,SC2116  # TNAME is for lib.sh; $(echo $x) squashes blanks
# Guest test (tests/vm/run --disks 3 tests/vm/t_online.sh): volmgr resizes active LVs
# under load and their file systems with them.
#  - lvextend onto another PV while a writer writes to the LV with O_DIRECT: no write
#    fails or is lost, the new size is seen at once, the new part is on the new PV;
#  - lvextend -r of a mounted ext4 while files are written to it, and of an unmounted
#    one: df grows, e2fsck -fn is clean, the files are intact;
#  - lvreduce of an LV holding a file system larger than the new size: refused without
#    -r or -f (nothing changes); -r shrinks an unmounted ext4 first; -r refuses a
#    mounted one; -f goes ahead; a file system that fits needs neither.
#  - xfs (when the image has xfsprogs): lvextend -r of a mounted xfs (xfs_growfs);
#    lvreduce refused, with -r too (xfs cannot shrink), also right after a grow.
TNAME=vm_online
. /test/lib.sh
export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D1,$D2,$D3"
mkdir -p /tmp/vm /mnt
MiB=1048576
EXT=$((4 * MiB))
VG=ovg

has() { printf '%s\n' "$1" | grep -q -- "$2"; }
seqno() { volmgr vgs --noheadings -o vg_seqno "$VG" 2>&1 | tr -d ' '; }
size() { blockdev --getsize64 "/dev/$VG/$1" 2>&1; }
lvsize() { volmgr lvs --noheadings --nosuffix --units b -o lv_size "$VG/$1" 2>&1 | tr -d ' '; }
# fsbytes LV: the size of the ext4 in the LV (block count * block size)
fsbytes() {
	dumpe2fs -h "/dev/$VG/$1" 2>/dev/null |
		awk -F: '/^Block count/ { c = $2 } /^Block size/ { s = $2 } END { print c * s }'
}
dfk() { df -Pk /mnt | awk 'NR == 2 { print $2 }'; }
# nwritten FILE: lines in FILE (the writer's exit codes so far)
nwritten() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
# wait_for FILE N: until FILE has N lines (at most ~10 s)
wait_for() {
	_i=0
	while [ "$(nwritten "$1")" -lt "$2" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
}

ok "pvcreate $D1 $D2 $D3" volmgr pvcreate "$D1" "$D2" "$D3"
ok "vgcreate $VG" volmgr vgcreate -s 4m "$VG" "$D1" "$D2" "$D3"

# --- lvextend onto another PV under a writer ------------------------------------------
ok "lvcreate -L 8m -n raw $D1" volmgr lvcreate -L 8m -n raw "$VG" "$D1"
sectors old 0 16384 | dd of="/dev/$VG/raw" bs=1M iflag=fullblock conv=fsync 2>/dev/null
sectors raw 0 16384 >/tmp/w
# One pass over the LV, 64 KiB at a time with O_DIRECT, slowly enough (~3 s) that the
# lvextend happens in the middle; each dd's exit status goes to /tmp/wrc.
writer() {
	j=0
	while [ $j -lt 128 ]; do
		dd if=/tmp/w of="/dev/$VG/raw" bs=64k skip=$j seek=$j count=1 conv=notrunc oflag=direct 2>/dev/null
		echo $? >>/tmp/wrc
		j=$((j + 1))
		sleep 0.02
	done
}
rm -f /tmp/wrc
writer &
wpid=$!
wait_for /tmp/wrc 8
n0=$(nwritten /tmp/wrc)
ok "lvextend -L +8m $VG/raw $D2 while it is written to" volmgr lvextend -L +8m "$VG/raw" "$D2"
n1=$(nwritten /tmp/wrc)
check "the writer was writing before ($n0 writes) and is still writing after ($n1)" \
	sh -c "[ $n0 -ge 8 ] && [ $n1 -lt 128 ] && kill -0 $wpid"
is "the new size is seen at once" "$(size raw)" $((16 * MiB))
wait $wpid
is "the writer wrote 128 times, all with exit 0" "$(sort /tmp/wrc | uniq -c | tr -s ' ')" " 128 0"
drop_caches "/dev/$VG/raw"
is "all it wrote is there" "$(dd if="/dev/$VG/raw" bs=1M count=8 iflag=direct 2>/dev/null | md5)" "$(md5 </tmp/w)"
r=$(volmgr lvs --noheadings -o seg_pe_ranges "$VG/raw" 2>&1 | tr -d ' ' | tr '\n' ' ')
check "raw: a second segment on $D2 ($r)" has "$r" "^$D1:0-1 $D2:0-1 \$"
if sectors raw 16384 16384 | dd of="/dev/$VG/raw" bs=1M seek=8 iflag=fullblock conv=fsync 2>/dev/null; then
	pass "wrote 8 MiB to the new part"
else
	failed "write 8 MiB to the new part"
fi
drop_caches "$D2"
ps=$(volmgr pvs --noheadings --nosuffix --units b -o pe_start "$D2" 2>&1 | tr -d ' ')
is "the new part is at $D2 byte pe_start $ps" "$(raw "$D2" "$ps" $((8 * MiB)) | md5)" "$(sectors raw 16384 16384 | md5)"
tbl=$(dm_tables "$VG-raw:")
check "the table: vda, then vdb ($(echo $tbl))" has "$(echo $tbl)" "^$VG-raw: 0 16384 linear vda [0-9]* $VG-raw: 16384 16384 linear vdb $((ps / 512))\$"
ok "lvresize -L 20m $VG/raw $D2" volmgr lvresize -L 20m "$VG/raw" "$D2"
is "the new size is seen at once" "$(size raw)" $((20 * MiB))
ok "lvreduce -y -L 12m $VG/raw (no file system in it)" volmgr lvreduce -y -L 12m "$VG/raw"
is "the new size is seen at once" "$(size raw)" $((12 * MiB))
tbl=$(dm_tables "$VG-raw:")
check "the table: 8 MiB on vda, 4 MiB on vdb ($(echo $tbl))" has "$(echo $tbl)" "^$VG-raw: 0 16384 linear vda [0-9]* $VG-raw: 16384 8192 linear vdb $((ps / 512))\$"
drop_caches "/dev/$VG/raw"
is "the data is still there" "$(dd if="/dev/$VG/raw" bs=1M count=12 2>/dev/null | md5)" "$( (cat /tmp/w; sectors raw 16384 8192) | md5)"

# --- lvextend -r of a mounted ext4 under a writer ------------------------------------------
ok "vm-modprobe ext4" vm-modprobe ext4
ok "lvcreate -L 16m -n fs $D1" volmgr lvcreate -L 16m -n fs "$VG" "$D1"
ok "mkfs.ext4" mkfs.ext4 -q "/dev/$VG/fs"
ok "mount" mount -t ext4 "/dev/$VG/fs" /mnt
dd if=/dev/urandom of=/tmp/keep bs=1M count=2 2>/dev/null
ok "a 2 MiB file" cp /tmp/keep /mnt/keep
KEEP=$(md5 </tmp/keep)
df0=$(dfk)
# 64 writes of 64 KiB, fsync'd, over 16 files (w.K gets chunk 48+K last), ~3 s
fswriter() {
	j=0
	while [ $j -lt 64 ]; do
		dd if=/tmp/w of=/mnt/w.$((j % 16)) bs=64k skip=$j count=1 conv=fsync 2>/dev/null
		echo $? >>/tmp/frc
		j=$((j + 1))
		sleep 0.04
	done
}
rm -f /tmp/frc
fswriter &
wpid=$!
wait_for /tmp/frc 4
n0=$(nwritten /tmp/frc)
ok "lvextend -r -L +16m $VG/fs $D2 (mounted, while written to)" volmgr lvextend -r -L +16m "$VG/fs" "$D2"
n1=$(nwritten /tmp/frc)
check "the writer was writing before ($n0 writes) and is still writing after ($n1)" \
	sh -c "[ $n0 -ge 4 ] && [ $n1 -lt 64 ] && kill -0 $wpid"
is "LV size" "$(size fs)" $((32 * MiB))
df1=$(dfk)
check "df: the file system grew by ~16 MiB ($df0 -> $df1 KiB)" [ $((df1 - df0)) -ge 15000 ]
wait $wpid
out=$(volmgr lvreduce -y -L 16m "$VG/fs" 2>&1)
rc=$?
check "lvreduce -L 16m of the mounted ext4 just grown is refused (exit $rc)" [ $rc -ne 0 ]
is "... size unchanged" "$(size fs)" $((32 * MiB))
is "the writer's 64 writes all exited 0" "$(sort /tmp/frc | uniq -c | tr -s ' ')" " 64 0"
ok "umount" umount /mnt
ok "e2fsck -fn: clean" e2fsck -fn "/dev/$VG/fs"
ok "mount again" mount -t ext4 -o ro "/dev/$VG/fs" /mnt
is "the 2 MiB file is intact" "$(md5 </mnt/keep)" "$KEEP"
bad=
for k in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
	[ "$(md5 </mnt/w.$k)" = "$(dd if=/tmp/w bs=64k skip=$((48 + k)) count=1 2>/dev/null | md5)" ] || bad="$bad w.$k"
done
is "the writer's files hold their last write" "$bad" ""
ok "umount" umount /mnt

# --- lvextend -r of an unmounted ext4 -------------------------------------------------------
ok "lvextend -r -L +8m $VG/fs (not mounted)" volmgr lvextend -r -L +8m "$VG/fs"
is "LV size" "$(size fs)" $((40 * MiB))
is "the ext4 fills it" "$(fsbytes fs)" $((40 * MiB))
ok "e2fsck -fn: clean" e2fsck -fn "/dev/$VG/fs"

# --- lvreduce -------------------------------------------------------------------------------
s0=$(seqno)
t0=$(dm_tables "$VG-fs:")
out=$(volmgr lvreduce -y -L 24m "$VG/fs" 2>&1)
rc=$?
check "lvreduce -L 24m of a 40 MiB ext4 is refused (exit $rc)" [ $rc -ne 0 ]
check "... saying why ($out)" has "$out" "file system\|filesystem\|-r\|resizefs"
is "... size unchanged" "$(size fs) $(lvsize fs)" "$((40 * MiB)) $((40 * MiB))"
is "... table unchanged" "$(dm_tables "$VG-fs:")" "$t0"
is "... metadata unchanged" "$(seqno)" "$s0"
ok "lvreduce -r -L 24m (not mounted)" volmgr lvreduce -y -r -L 24m "$VG/fs"
is "LV size" "$(size fs) $(lvsize fs)" "$((24 * MiB)) $((24 * MiB))"
fsb=$(fsbytes fs)
check "the ext4 shrank first: $fsb bytes, at most 24 MiB" sh -c "[ '$fsb' -gt 0 ] && [ '$fsb' -le $((24 * MiB)) ]"
ok "e2fsck -fn: clean" e2fsck -fn "/dev/$VG/fs"
ok "mount" mount -t ext4 "/dev/$VG/fs" /mnt
is "the 2 MiB file is intact" "$(md5 </mnt/keep)" "$KEEP"
is "w.15 is intact" "$(md5 </mnt/w.15)" "$(dd if=/tmp/w bs=64k skip=63 count=1 2>/dev/null | md5)"
s0=$(seqno)
for r in "-r " ""; do
	out=$(volmgr lvreduce -y $r-L 16m "$VG/fs" 2>&1)
	rc=$?
	check "lvreduce ${r}-L 16m of the mounted ext4 is refused (exit $rc)" [ $rc -ne 0 ]
	check "... with one line ($out)" [ "$(printf '%s\n' "$out" | wc -l)" = 1 ]
	is "... size unchanged" "$(size fs) $(lvsize fs)" "$((24 * MiB)) $((24 * MiB))"
	is "... metadata unchanged" "$(seqno)" "$s0"
done
check "still mounted, the file readable" sh -c "grep -q ' /mnt ext4 ' /proc/mounts && cat /mnt/keep >/dev/null"
ok "umount" umount /mnt
ok "lvreduce -f -L 20m (the ext4 is larger: forced)" volmgr lvreduce -y -f -L 20m "$VG/fs"
is "LV size" "$(size fs) $(lvsize fs)" "$((20 * MiB)) $((20 * MiB))"
# a file system that fits in the new size needs neither -r nor -f
ok "lvcreate -L 16m -n small" volmgr lvcreate -L 16m -n small "$VG"
ok "mkfs.ext4 of 8 MiB in it" mkfs.ext4 -q "/dev/$VG/small" 8M
ok "lvreduce -L 12m (the 8 MiB ext4 fits)" volmgr lvreduce -y -L 12m "$VG/small"
is "LV size" "$(size small)" $((12 * MiB))
ok "e2fsck -fn: clean" e2fsck -fn "/dev/$VG/small"

# --- xfs -------------------------------------------------------------------------------------
# (skipped without xfsprogs in the image; lib.sh has no "skip" result)
if command -v mkfs.xfs >/dev/null 2>&1; then
	ok "vm-modprobe xfs" vm-modprobe xfs
	ok "lvcreate -L 32m -n x" volmgr lvcreate -L 32m -n x "$VG"
	# mkfs.xfs refuses file systems under 300 MiB unless it believes it runs under xfstests
	ok "mkfs.xfs" env TEST_DIR=/mnt TEST_DEV="/dev/$VG/x" QA_CHECK_FS=1 mkfs.xfs -q "/dev/$VG/x"
	ok "mount" mount -t xfs "/dev/$VG/x" /mnt
	ok "a 2 MiB file" cp /tmp/keep /mnt/keep
	df0=$(dfk)
	ok "lvextend -r -L +32m $VG/x (mounted xfs)" volmgr lvextend -r -L +32m "$VG/x"
	is "LV size" "$(size x)" $((64 * MiB))
	df1=$(dfk)
	check "df: the xfs grew by ~32 MiB ($df0 -> $df1 KiB)" [ $((df1 - df0)) -ge 30000 ]
	ok "umount" umount /mnt
	ok "xfs_repair -n: clean" xfs_repair -n "/dev/$VG/x"
	ok "mount" mount -t xfs "/dev/$VG/x" /mnt
	is "the 2 MiB file is intact" "$(md5 </mnt/keep)" "$KEEP"
	s0=$(seqno)
	for r in "-r " ""; do
		out=$(volmgr lvreduce -y $r-L 32m "$VG/x" 2>&1)
		rc=$?
		check "lvreduce ${r}-L 32m of the mounted 64 MiB xfs is refused (exit $rc: $out)" [ $rc -ne 0 ]
		is "... size unchanged" "$(size x) $(lvsize x)" "$((64 * MiB)) $((64 * MiB))"
	done
	is "... metadata unchanged" "$(seqno)" "$s0"
	# Right after an online grow the xfs's primary superblock on the disk still has
	# the old size (the change is in the log until a checkpoint or umount): the size
	# that counts is the mounted file system's.
	ok "lvextend -r -L +8m $VG/x (mounted xfs, again)" volmgr lvextend -r -L +8m "$VG/x"
	check "df: the xfs grew again" [ "$(dfk)" -gt "$df1" ]
	s0=$(seqno)
	out=$(volmgr lvreduce -y -L 64m "$VG/x" 2>&1)
	rc=$?
	check "lvreduce -L 64m of the mounted 72 MiB xfs just grown is refused (exit $rc: $(echo $out))" [ $rc -ne 0 ]
	is "... size unchanged" "$(size x) $(lvsize x)" "$((72 * MiB)) $((72 * MiB))"
	is "... metadata unchanged" "$(seqno)" "$s0"
	ok "umount" umount /mnt
fi

ok "vgchange -an $VG" volmgr vgchange -an "$VG"
is "no dm device left" "$(dm_ids "$VG-")" ""
finish
