#!/bin/bash
# Devices of 4096-byte logical blocks. Metadata I/O is direct (O_DIRECT), so
# every read and write must cover whole 4 KiB blocks: texts that start on a
# 512-byte boundary of the ring, and the label in sector 1, are written by
# reading the block they share first. Here, on loop devices of 4 KiB sectors:
# - volmgr's VG (linear, striped, extended, renamed, tagged, removed) passes
#   lvm2's vgck and pvck, and both tools print it alike;
# - a small metadata area whose ring wraps many times stays readable by both,
#   with every copy checked (vgck);
# - a VG lvm2 made on such devices is changed by volmgr and still passes vgck;
# - what volmgr wrote in the blocks it shares is what lvm2 reads back: the
#   labels and headers are found by lvm2's pvck;
# - a crash after the new texts, before the headers, leaves the old VG: the
#   blocks shared with the current copy were written back unchanged.
. "$(dirname "$0")/lib.sh"

LOOP_SECTOR=4096 setup_loops 4 64
for d in "$D1" "$D2" "$D3" "$D4"; do
	if [ "$(blockdev --getss "$d")" != 4096 ]; then
		echo "losetup --sector-size 4096 did not give 4096-byte sectors on $d"
		exit 1
	fi
done

LVF=lv_name,lv_size,seg_start_pe,seg_size,segtype,stripes,stripe_size,devices,lv_tags

# same_lvs DESC VG: lvm2 and volmgr print the same segments of VG
same_lvs() {
	same "$1: lvs -o $LVF $2 (lvm2 = volmgr)" "$(lvs -o "$LVF" "$2" 2>/dev/null)" "$("$V" lvs -o "$LVF" "$2" 2>&1)"
}
# judged VG DESC: lvm2's vgck and pvck of every PV of VG pass, volmgr's vgck too
judged() {
	local pv
	ok "$2: lvm2 vgck $1" vgck "$1"
	for pv in $(pvs --noheadings -o pv_name,vg_name 2>/dev/null | awk -v vg="$1" '$2 == vg { print $1 }'); do
		ok "$2: lvm2 pvck $pv" pvck "$pv"
	done
	ok "$2: volmgr vgck $1 (every copy read)" "$V" vgck "$1"
}

# ---------------------------------------------------------------- volmgr's VG
ok "pvcreate on 4 KiB-sector devices" "$V" pvcreate "$D1" "$D2"
ok "vgcreate v4" "$V" vgcreate -s 1m v4 "$D1" "$D2"
ok "lvcreate -L 8m -n lin" "$V" lvcreate -L 8m -n lin v4
ok "lvcreate -i 2 -I 64k -L 8m -n str" "$V" lvcreate -i 2 -I 64k -L 8m -n str v4
ok "lvcreate -L 2m -n tmp" "$V" lvcreate -L 2m -n tmp v4
ok "lvextend -L +4m lin (a second segment)" "$V" lvextend -L +4m v4/lin
ok "lvrename lin li-n.+_" "$V" lvrename v4 lin li-n.+_
ok "lvchange --addtag" "$V" lvchange --addtag backup v4/str
ok "lvremove tmp" "$V" lvremove -f v4/tmp
judged v4 "volmgr's VG"
same_lvs "volmgr's VG" v4
same "lvm2 sees the second segment" "$(lvs --noheadings -o seg_count v4/li-n.+_ 2>/dev/null | tr -d ' ')" 2

# ---------------------------------------------------------------- a ring that wraps
ok "pvcreate --metadatasize 64k --dataalignment 128k $D3" "$V" pvcreate --metadatasize 64k --dataalignment 128k "$D3"
ok "vgcreate vw" "$V" vgcreate -s 1m vw "$D3"
mda0=$(pvs --noheadings --units b --nosuffix -o pv_mda_size "$D3" 2>/dev/null | tr -d ' ')
wraps=0 prev=0 bad=""
for ((i = 0; i < 60; i++)); do
	"$V" lvcreate -q -l 1 -n "w$i" vw >/dev/null 2>&1 || { bad="lvcreate w$i failed"; break; }
	if ((i % 3 == 2)); then "$V" lvremove -q -f "vw/w$((i - 1))" >/dev/null 2>&1 || { bad="lvremove failed"; break; }; fi
	# where the text starts (the header's first slot), to count the wraps
	off=$(od -An -j $((4096 + 40)) -N 8 -t u8 "$D3" | tr -d ' ')
	((off < prev)) && wraps=$((wraps + 1))
	prev=$off
done
same "60 lvcreate and 20 lvremove in a ring of ${mda0:-?} bytes went through${bad:+ ($bad)}" "$bad" ""
if ((wraps >= 3)); then pass "the ring wrapped $wraps times"; else failed "the ring wrapped only $wraps times"; fi
judged vw "a wrapped ring"
same_lvs "a wrapped ring" vw

# ---------------------------------------------------------------- a crash between text and headers
# The new text's first block may hold the end of the current copy: it is read,
# and written back with those bytes unchanged. Stopped right after the texts
# (writes 1 and 2, one per PV), before any header: both tools read the old VG.
crash_shim
before=$(lvs -o "$LVF" v4 2>/dev/null)
for k in 1 2; do
	CRASH_AFTER_WRITES=$k LD_PRELOAD=$SHIM "$V" lvcreate -l 1 -n crashed v4 >/dev/null 2>&1
	same "lvcreate stopped after write $k of 4: exit 99" "$?" 99
	judged v4 "after the crash at write $k"
	same "after the crash at write $k: lvm2 reads the old VG" "$(lvs -o "$LVF" v4 2>/dev/null)" "$before"
	same_lvs "after the crash at write $k" v4
done

# ---------------------------------------------------------------- lvm2's VG
ok "lvm2: pvcreate, vgcreate lv4 on $D4" sh -c "pvcreate -q $D4 && vgcreate -q -s 1m lv4 $D4"
ok "lvm2: lvcreate -L 4m -n mine" lvcreate -q -an -Zn -L 4m -n mine lv4
ok "volmgr lvcreate in lvm2's VG" "$V" lvcreate -L 6m -n ours lv4
ok "volmgr lvextend of lvm2's LV" "$V" lvextend -L +2m lv4/mine
ok "volmgr lvrename of lvm2's LV" "$V" lvrename lv4 mine theirs
judged lv4 "lvm2's VG after volmgr"
same_lvs "lvm2's VG after volmgr" lv4
ok "lvm2 changes it again (lvremove ours)" lvremove -q -f lv4/ours
same_lvs "after lvm2's change" lv4

finish
