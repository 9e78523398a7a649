#!/bin/bash
# lvm2 as the judge, both ways: (a) VGs that volmgr builds, lvm2 checks and
# prints; (b) VGs that lvm2 builds, volmgr prints and changes, lvm2 checks
# and changes again; (c) metadata backups restored across the two tools.
# After each stage lvm2's vgck and pvck pass and both tools print exactly the
# same reports, including the ones libvirt, Proxmox and Cinder parse.
. "$(dirname "$0")/lib.sh"

# D1..D4: part (a); D5..D7: part (b), D8 a PV lvm2 made, D9 a blank device;
# D10: a PV with a small metadata area.
setup_loops 10 64

# lvm2 keeps a list of the devices that hold PVs in /run/lvm/hints, shared
# with every other lvm2 command on the machine (and other tests). Scan every
# device here so that results do not depend on it; the hints themselves are
# tested on their own below.
grep -q 'hints = "none"' "$LVM_SYSTEM_DIR/lvm.conf" || { echo "cannot set devices/hints"; exit 1; }

LVF=lv_name,lv_size,seg_start_pe,seg_size,segtype,stripes,stripe_size,devices,lv_tags
VGF=vg_name,vg_size,vg_free,lv_count,vg_extent_size,vg_extent_count,vg_free_count,pv_count
PVF=pv_name,vg_name,pv_size,pv_free,pe_start
LIBVIRT_LVS=(lvs --separator '#' --noheadings --units b --unbuffered --nosuffix
	--options lv_name,origin,uuid,devices,segtype,stripes,seg_size,vg_extent_size,size,lv_attr)
LIBVIRT_VGS=(vgs --separator : --noheadings --units b --unbuffered --nosuffix --options vg_size,vg_free)
LIBVIRT_PVS=(pvs --noheadings -o pv_name,vg_name)
PVE_VGS=(vgs --separator : --noheadings --units b --unbuffered --nosuffix --options vg_name,vg_size,vg_free,lv_count)
PVE_LVS=(lvs --separator : --noheadings --units b --unbuffered --nosuffix --config 'report/time_format="%s"'
	--options vg_name,lv_name,lv_size,lv_attr,pool_lv,data_percent,metadata_percent,snap_percent,uuid,tags,metadata_size,time)
CINDER_VGS=(vgs --noheadings --unit=g -o name,size,free,lv_count,uuid --separator : --nosuffix)
CINDER_LVS=(lvs --noheadings --unit=g -o vg_name,name,size --nosuffix --readonly)

# lv_attr characters 5 and 6 (state, open) differ legitimately: lvm2 with
# activation=0 cannot ask device-mapper and prints 'XX'; volmgr knows that
# nothing is active and prints '--'. Each report masks them to '..' in the
# column where lv_attr sits.
mask_col2() { sed -E 's/^(  [^ ]+ +[^ ]{4})[^ ]{2}/\1../'; }                      # aligned, lv_attr 2nd
mask_last() { sed -E 's/^(.*#[^#]{4})..([^#]{4})$/\1..\2/'; }                      # '#'-separated, last
mask_4th() { sed -E 's/^([^:]*:[^:]*:[^:]*:[^:]{4})..([^:]{4}:)/\1..\2/'; }     # ':'-separated, 4th
# Proxmox's reports name every VG with --unbuffered: each tool prints rows in
# metadata order, but lvm2 takes VGs in its internal scan order and volmgr
# by name. Consumers key rows by VG name, so only the order within a VG counts.
by_vg() { sort -s -t: -k1,1; }
mask_4th_by_vg() { mask_4th | by_vg; }

# same_report DESC MASK ARGS...: lvm2's and volmgr's output of ARGS through
# MASK (a filter, or cat) are equal. lvm2's stderr is dropped (activation
# warnings); volmgr's is kept: a clean report has nothing to say there.
same_report() {
	local d=$1 m=$2; shift 2
	same "$d: $*" "$("$@" 2>/dev/null | $m)" "$("$V" "$@" 2>&1 | $m)"
}

# check STAGE VG: lvm2 finds VG consistent, and both tools print it alike.
check() {
	local s=$1 vg=$2 pv
	ok "$s: lvm2 vgck $vg" vgck "$vg"
	for pv in $(pvs --noheadings -o pv_name,vg_name 2>/dev/null | awk -v vg="$vg" '$2 == vg { print $1 }'); do
		ok "$s: lvm2 pvck $pv" pvck "$pv"
	done
	same_report "$s" cat lvs -o "$LVF" "$vg"
	same_report "$s" mask_col2 lvs -o lv_name,lv_attr,lv_allocation_policy,seg_count "$vg"
	same_report "$s" cat vgs -o "$VGF" "$vg"
	same_report "$s (sorted by a column not shown)" cat lvs -o lv_name -O -lv_size,lv_name "$vg"
	same_report "$s" cat pvs -o "$PVF"
	same_report "$s (libvirt)" mask_last "${LIBVIRT_LVS[@]}" "$vg"
	same_report "$s (libvirt)" cat "${LIBVIRT_VGS[@]}" "$vg"
	same_report "$s (libvirt)" cat "${LIBVIRT_PVS[@]}"
	same_report "$s (Proxmox)" by_vg "${PVE_VGS[@]}"
	same_report "$s (Proxmox)" mask_4th_by_vg "${PVE_LVS[@]}"
	same_report "$s (Cinder)" cat "${CINDER_VGS[@]}"
	same_report "$s (Cinder)" cat "${CINDER_LVS[@]}" "$vg"
}

# segs VG/LV: the number of segments lvm2 sees (to prove a set-up did what it meant)
segs() { lvs --noheadings -o seg_count "$1" 2>/dev/null | tr -d ' '; }

# lvm2 commands that change things: quiet, but their exit status counts.
lvm2() { ok "lvm2 $*" "$@"; }

# ================================================================ (a) volmgr builds
A=vg-1.a_b+c
LA=lv-x.y_z+w
ok "a: volmgr pvcreate" "$V" pvcreate "$D1" "$D2" "$D3"
ok "a: volmgr vgcreate $A" "$V" vgcreate "$A" "$D1" "$D2" "$D3"
check "a1 empty VG" "$A"

ok "a: linear $LA" "$V" lvcreate -n "$LA" -l 2 --addtag t1 "$A"
ok "a: striped -i 2 -I 64k" "$V" lvcreate -n st2 -l 4 -i 2 -I 64k "$A"
ok "a: striped -i 3" "$V" lvcreate -n st3 -l 3 -i 3 "$A"
ok "a: gap1" "$V" lvcreate -n gap1 -l 1 "$A" "$D1"
ok "a: lvextend $LA" "$V" lvextend -l +2 "$A/$LA" "$D2"
ok "a: gap2" "$V" lvcreate -n gap2 -l 1 "$A" "$D2"
ok "a: lvextend $LA again" "$V" lvextend -l +2 "$A/$LA" "$D3"
ok "a: lvextend st2 (-i 2)" "$V" lvextend -l +2 "$A/st2"
same "a: $LA has 3 segments" "$(segs "$A/$LA")" 3
check "a2 linear, striped, multi-segment" "$A"
# Ids volmgr generates use lvm2's 62 characters, never '!' or '#' (with 11
# ids of 32 characters, a 64-character alphabet would show one almost surely).
IDS=$("$V" pvs --noheadings -o pv_uuid "$D1" "$D2" "$D3"; "$V" vgs --noheadings -o vg_uuid "$A"
	"$V" lvs --noheadings -o lv_uuid "$A")
same "a: volmgr's ids use [0-9a-zA-Z] only" \
	"$(printf '%s\n' $IDS | grep -Evc '^[0-9a-zA-Z]{6}(-[0-9a-zA-Z]{4}){5}-[0-9a-zA-Z]{6}$')" 0

ok "a: lvchange --addtag" "$V" lvchange --addtag t2 --addtag a+b.c_d-e "$A/$LA"
ok "a: lvchange --addtag on st3" "$V" lvchange --addtag z/y=x "$A/st3"
ok "a: lvchange --deltag" "$V" lvchange --deltag t1 "$A/$LA"
check "a3 tags" "$A"

ok "a: lvrename" "$V" lvrename "$A" "$LA" lv+renamed-1.0_
ok "a: lvrename VG/LV form" "$V" lvrename "$A/gap2" "$A/gap-2.b"
ok "a: lvremove" "$V" lvremove "$A/gap1"
check "a4 rename, remove" "$A"

ok "a: vgextend with a blank device" "$V" vgextend "$A" "$D4"
ok "a: lvcreate on the new PV" "$V" lvcreate -n onD4 -l 3 "$A" "$D4"
check "a5 vgextend" "$A"
ok "a: lvremove onD4" "$V" lvremove "$A/onD4"
ok "a: vgreduce of the empty PV" "$V" vgreduce "$A" "$D4"
check "a6 vgreduce" "$A"

# lvm2 must be able to change what volmgr wrote, and volmgr read it back.
lvm2 lvcreate -an -Zn -n bylvm2 -l 2 "$A"
lvm2 lvextend -l +1 "$A/st3"
lvm2 lvremove -f "$A/gap-2.b"
check "a7 after lvm2 changed it" "$A"

# A small metadata area: its size and free space as lvm2 counts them.
MDF=pv_name,pv_mda_count,pv_mda_size,pv_mda_free,pe_start
ok "volmgr pvcreate --metadatasize 64k" "$V" pvcreate --metadatasize 64k --dataalignment 64k "$D10"
same_report "small mda, orphan PV" cat pvs -o "$MDF" "$D10"
ok "volmgr vgcreate on the small-mda PV" "$V" vgcreate -s 1m smallmda "$D10"
ok "volmgr lvcreate in smallmda" "$V" lvcreate -n x -l 2 smallmda
same_report "small mda, in a VG" cat pvs -o "$MDF" "$D10"
same_report "small mda, in a VG" cat vgs -o vg_name,vg_mda_count,vg_mda_size,vg_mda_free smallmda
check "small mda" smallmda

# ================================================================ (b) lvm2 builds
B=lvm_vg+1.x-y
LB=a.b-c+d_e
lvm2 pvcreate "$D5" "$D6" "$D7" "$D8"
lvm2 vgcreate "$B" "$D5" "$D6" "$D7"
lvm2 lvcreate -an -Zn -n "$LB" -l 3 --addtag zz --addtag aa "$B"
lvm2 lvcreate -an -Zn -n str -l 4 -i 2 -I 128k "$B"
lvm2 lvcreate -an -Zn -n str3 -l 3 -i 3 "$B"
lvm2 lvcreate -an -Zn -n cont -l 2 --alloc contiguous "$B"
lvm2 lvcreate -an -Zn -n g1 -l 1 "$B"
lvm2 lvextend -l +3 "$B/$LB"
lvm2 lvcreate -an -Zn -n g2 -l 1 "$B"
lvm2 lvextend -l +1 "$B/$LB"
lvm2 lvextend -l +2 "$B/str"
same "b: $LB has 3 segments" "$(segs "$B/$LB")" 3
check "b1 as lvm2 built it" "$B"

# The VG's allocation policy in vg_attr (5th character: 'l' for cling), and
# an explicit --alloc recorded in the LV, "normal" too, as lvm2 does.
for pol in cling contiguous anywhere normal; do
	lvm2 vgchange --alloc "$pol" "$B"
	same_report "b: VG policy $pol" cat vgs -o vg_name,vg_attr "$B"
done
ok "b: volmgr lvcreate --alloc normal" "$V" lvcreate -n alloc-n -l 1 --alloc normal "$B"
lvm2 lvcreate -an -Zn -n alloc-n2 -l 1 --alloc normal "$B"
same "b: volmgr records --alloc normal as lvm2 does" \
	"$(lvs --noheadings -o lv_name,lv_allocation_policy "$B/alloc-n" "$B/alloc-n2" 2>/dev/null | xargs)" \
	"alloc-n normal alloc-n2 normal"
same_report "b: --alloc normal" mask_col2 lvs -o lv_name,lv_attr,lv_allocation_policy "$B/alloc-n" "$B/alloc-n2"
lvm2 lvremove -f "$B/alloc-n" "$B/alloc-n2"

ok "b: volmgr lvcreate" "$V" lvcreate -n new-1 -l 2 --addtag n+1 "$B"
check "b2 volmgr lvcreate" "$B"
ok "b: volmgr lvextend striped" "$V" lvextend -l +2 "$B/str"
ok "b: volmgr lvextend linear" "$V" lvextend -L +8m "$B/$LB"
check "b3 volmgr lvextend" "$B"
ok "b: volmgr lvreduce -f" "$V" lvreduce -f -l -2 "$B/$LB"
ok "b: volmgr lvreduce -f striped" "$V" lvreduce -f -l -2 "$B/str"
check "b4 volmgr lvreduce" "$B"
ok "b: volmgr lvrename" "$V" lvrename "$B" g1 g1.renamed+x
check "b5 volmgr lvrename" "$B"
ok "b: volmgr lvremove" "$V" lvremove "$B/g2"
check "b6 volmgr lvremove" "$B"
ok "b: volmgr vgextend (a PV lvm2 made, a blank device)" "$V" vgextend "$B" "$D8" "$D9"
check "b7 volmgr vgextend" "$B"
ok "b: volmgr vgreduce" "$V" vgreduce "$B" "$D8"
check "b8 volmgr vgreduce" "$B"
lvm2 lvcreate -an -Zn -n bylvm2 -l 3 "$B" "$D9"
lvm2 lvextend -l +1 "$B/new-1"
lvm2 lvremove -f "$B/cont"
check "b9 lvm2 changes what volmgr changed" "$B"
ok "b: volmgr lvremove what lvm2 made" "$V" lvremove "$B/bylvm2"
check "b10 volmgr again" "$B"

# ================================================================ (c) backups across
# volmgr's backup, restored by lvm2: both tools then print what lvm2 printed
# when the backup was made.
ok "c: volmgr vgcfgbackup -f" "$V" vgcfgbackup -f "$TESTDIR/a.vg" "$A"
SAVED=$(lvs -o "$LVF" "$A" 2>/dev/null)
ok "c: volmgr changes $A" "$V" lvremove "$A/st2"
ok "c: volmgr lvcreate in $A" "$V" lvcreate -n after-backup -l 1 "$A"
lvm2 vgcfgrestore -f "$TESTDIR/a.vg" "$A"
same "c1: lvm2 restored volmgr's backup (lvm2 reads it)" "$(lvs -o "$LVF" "$A" 2>/dev/null)" "$SAVED"
same "c1: lvm2 restored volmgr's backup (volmgr reads it)" "$("$V" lvs -o "$LVF" "$A" 2>&1)" "$SAVED"
check "c1 after lvm2 vgcfgrestore" "$A"

# lvm2's backup, restored by volmgr.
lvm2 vgcfgbackup -f "$TESTDIR/b.vg" "$B"
SAVED=$(lvs -o "$LVF" "$B" 2>/dev/null)
lvm2 lvremove -f "$B/str"
lvm2 lvcreate -an -Zn -n after-backup -l 2 "$B"
ok "c: volmgr vgcfgrestore -f lvm2's backup" "$V" vgcfgrestore -f "$TESTDIR/b.vg" "$B"
same "c2: volmgr restored lvm2's backup (lvm2 reads it)" "$(lvs -o "$LVF" "$B" 2>/dev/null)" "$SAVED"
same "c2: volmgr restored lvm2's backup (volmgr reads it)" "$("$V" lvs -o "$LVF" "$B" 2>&1)" "$SAVED"
check "c2 after volmgr vgcfgrestore" "$B"

# ================================================================ removal
ok "volmgr vgremove -f $A" "$V" vgremove -f "$A"
ok "volmgr vgremove -f $B" "$V" vgremove -f "$B"
ok "volmgr vgremove -f smallmda" "$V" vgremove -f smallmda
same_report "after vgremove" cat pvs -o "$PVF"
same_report "after vgremove (no VG, no LV: no heading either)" cat lvs
same_report "after vgremove (no VG, no LV: no heading either)" cat vgs
same "lvm2 sees no VG left" "$(vgs --noheadings -o vg_name 2>/dev/null)" ""

# ================================================================ lvm2's device hints
# With lvm2's default devices/hints="all", lvm2 scans only the devices its
# hints file lists, unless told that PVs changed (its pvcreate, vgcreate,
# vgextend, pvremove touch /run/lvm/newhints). A PV that volmgr creates must
# be visible to the next lvm2 command all the same.
H='devices/hints="all"'
ok "hints: volmgr pvremove D9" "$V" pvremove "$D9"
pvs --config "$H" > /dev/null 2>&1        # lvm2 writes fresh hints: D1..D8 are PVs
ok "hints: volmgr pvcreate D9" "$V" pvcreate "$D9"
same "hints: lvm2 (hints=all) sees the PV volmgr created" \
	"$(pvs --config "$H" --noheadings -o pv_name "$D9" 2>/dev/null | tr -d ' ')" "$D9"
ok "hints: lvm2 vgcreate on it" vgcreate --config "$H" hvg "$D9"
ok "hints: volmgr pvremove D1" "$V" pvremove "$D1"
pvs --config "$H" > /dev/null 2>&1        # fresh hints again: D2..D9 are PVs
ok "hints: volmgr vgextend hvg with a blank device" "$V" vgextend hvg "$D1"
same "hints: lvm2 (hints=all) sees hvg's new PV" \
	"$(pvs --config "$H" --noheadings -o pv_name,vg_name "$D1" 2>/dev/null | awk '{print $1, $2}')" "$D1 hvg"

finish
