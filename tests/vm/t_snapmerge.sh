#!/bin/sh
# shellcheck disable=SC2034  # TNAME is for lib.sh
# Guest test (tests/vm/run --disks 2): snapshots that grow and merge.
#  - lvextend of an active snapshot grows its COW in the kernel;
#  - volmgr lvmonitor grows a COW before it fills under a steady writer;
#  - lvconvert --merge rolls the origin back byte for byte, at once when the
#    origin is not open, on its next activation when it is; lvm2 agrees
#    with the metadata throughout.
TNAME=vm_snapmerge
. /test/lib.sh
export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D1,$D2"
mkdir -p /tmp/vm
MiB=1048576
ok "pvcreate, vgcreate -s 1m mg" sh -c "volmgr pvcreate -q $D1 $D2 && volmgr vgcreate -q -s 1m mg $D1 $D2"
ok "lvcreate -L 32m mg/o" volmgr lvcreate -q -L 32m -n o mg
head -c $((32 * MiB)) /dev/urandom > /tmp/d1
ok "origin data written" dd if=/tmp/d1 of=/dev/mg/o bs=1M oflag=direct

# --- a COW grows online -------------------------------------------------------------
ok "lvcreate -s -L 4m -n s mg/o" volmgr lvcreate -q -s -L 4m -n s mg/o
ok "a write to the origin (the snapshot takes its first chunks)" \
	dd if=/dev/urandom of=/dev/mg/o bs=1M count=1 oflag=direct conv=notrunc
is "lvdisplay of an origin and its active snapshot: byte for byte lvm2's" \
	"$(volmgr lvdisplay mg/o mg/s 2>&1)" "$(lvdisplay mg/o mg/s 2>/dev/null)"
dd if=/tmp/d1 of=/dev/mg/o bs=1M count=1 oflag=direct conv=notrunc 2>/dev/null
ok "lvextend -L +4m mg/s (the snapshot)" volmgr lvextend -q -L +4m mg/s
is "the -cow device has 8 MiB" "$(blockdev --getsize64 /dev/mapper/mg-s-cow)" $((8 * MiB))
tot=$(dmsetup status mg-s | awk '{ split($4, a, "/"); print a[2] }')
is "the kernel's snapshot counts 8 MiB of COW" "$tot" $((8 * MiB / 512))
out=$(volmgr lvreduce -f -L 4m mg/s 2>&1); rc=$?
check "lvreduce of a snapshot is refused (exit $rc: $out)" [ "$rc" -ne 0 ]
out=$(volmgr lvextend -L +1m mg/o 2>&1); rc=$?
check "lvextend of an origin with snapshots is refused (exit $rc: $out)" [ "$rc" -ne 0 ]
ok "lvm2 vgck after the COW grew" vgck mg
ok "vgchange -an mg" volmgr vgchange -an mg
is "lvdisplay of an inactive origin and snapshot: byte for byte lvm2's" \
	"$(volmgr lvdisplay mg/o mg/s 2>&1)" "$(lvdisplay mg/o mg/s 2>/dev/null)"
ok "vgchange -ay mg" volmgr vgchange -ay mg
ok "lvremove -f mg/s" volmgr lvremove -q -f mg/s

# --- the monitor grows a COW before it fills -------------------------------------
printf 'activation {\nsnapshot_autoextend_threshold = 50\nsnapshot_autoextend_percent = 50\n}\n' \
	> "$VOLMGR_SYSTEM_DIR/volmgr.conf"
ok "lvcreate -s -L 4m -n m mg/o" volmgr lvcreate -q -s -L 4m -n m mg/o
volmgr lvmonitor --interval 0.3 > /tmp/mon.log 2>&1 &
MON=$!
# a steady writer: 24 MiB into a 4 MiB COW, 1 MiB every 0.3 s
i=0 werr=0
while [ $i -lt 24 ]; do
	dd if=/dev/urandom of=/dev/mg/o bs=1M count=1 seek=$i oflag=direct conv=notrunc 2>/dev/null || werr=1
	i=$((i + 1))
	sleep 0.3
done
sleep 1
kill "$MON"
wait "$MON"
mrc=$?
is "the monitor stops on SIGTERM with status 0" "$mrc" 0
is "the writer saw no error" "$werr" 0
grew=$(grep -c 'extending its COW' /tmp/mon.log)
check "the monitor grew the COW ($grew times)" [ "$grew" -ge 2 ]
attr=$(volmgr lvs --noheadings -o lv_attr mg/m | tr -d ' ')
is "the snapshot is still valid (attr $attr)" "$(echo "$attr" | cut -c5)" a
size=$(volmgr lvs --noheadings --units m --nosuffix -o lv_size mg/m | tr -d ' ')
check "its COW grew past the 24 MiB written ($size MiB)" [ "${size%.*}" -ge 24 ]
check "the snapshot still reads the data of before" \
	sh -c 'dd if=/dev/mg/m bs=1M count=32 iflag=direct 2>/dev/null | cmp -s - /tmp/d1'
ok "lvm2 vgck after the monitor" vgck mg
is "lvm2 sees the grown COW" "$(lvs --noheadings --units m --nosuffix -o lv_size mg/m 2>/dev/null | tr -d ' ')" "$size"
rm -f "$VOLMGR_SYSTEM_DIR/volmgr.conf"

# --- merge, at once -------------------------------------------------------------------
ok "lvconvert --merge mg/m (origin not open)" volmgr lvconvert --merge --interval 0.2 mg/m
check "the origin reads the snapshot's data again, byte for byte" \
	sh -c 'dd if=/dev/mg/o bs=1M count=32 iflag=direct 2>/dev/null | cmp -s - /tmp/d1'
is "the origin's table is plain linear again" "$(dmsetup table mg-o | awk '{ print $3 }' | sort -u)" linear
is "the -real and -cow devices are gone" "$(dmsetup ls | grep -c 'mg-o-real\|mg-m-cow')" 0
is "volmgr lists the origin alone" "$(volmgr lvs --noheadings -o lv_name,lv_attr mg | xargs)" "o -wi-a-----"
is "lvm2 lists the origin alone" "$(lvs --noheadings -o lv_name mg 2>/dev/null | xargs)" "o"
ok "lvm2 vgck after the merge" vgck mg

# --- merge, delayed while the origin is open ------------------------------------------
ok "lvcreate -s -l 100%ORIGIN -n d mg/o" volmgr lvcreate -q -s -l 100%ORIGIN -n d mg/o
head -c $((32 * MiB)) /dev/urandom > /tmp/d2
ok "the origin overwritten" dd if=/tmp/d2 of=/dev/mg/o bs=1M oflag=direct
exec 3</dev/mg/o
out=$(volmgr lvconvert --merge mg/d 2>&1)
check "lvconvert --merge while the origin is open is delayed ($(echo "$out" | head -n 1))" \
	sh -c "echo '$out' | grep -q 'Delaying merge'"
is "the origin still shows the new data meanwhile" \
	"$(dd if=/dev/mg/o bs=1M count=32 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)" \
	"$(md5sum < /tmp/d2 | cut -d' ' -f1)"
is "the metadata says merging, as lvm2 writes it (merging_store)" \
	"$(vgcfgbackup -f /tmp/b mg >/dev/null 2>&1; grep -c 'merging_store = "d"' /tmp/b)" 1
is "volmgr shows the origin as merging (O)" "$(volmgr lvs --noheadings -o lv_attr mg/o | tr -d ' ' | cut -c1)" O
exec 3<&-
ok "vgchange -an mg" volmgr vgchange -an mg
ok "vgchange -ay mg: the merge starts" volmgr vgchange -ay mg
is "the origin is snapshot-merge" "$(dmsetup table mg-o | awk '{ print $3 }')" snapshot-merge
ok "lvconvert --merge mg/d waits for the merge under way" volmgr lvconvert --merge --interval 0.2 mg/d
check "after the delayed merge the origin reads the snapshot's data" \
	sh -c 'dd if=/dev/mg/o bs=1M count=32 iflag=direct 2>/dev/null | cmp -s - /tmp/d1'
is "plain linear again" "$(dmsetup table mg-o | awk '{ print $3 }' | sort -u)" linear
ok "lvm2 vgck at the end" vgck mg
finish
