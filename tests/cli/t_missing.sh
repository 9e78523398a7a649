#!/bin/bash
# A PV of a VG is lost: the VG stays readable, changes are refused,
# vgreduce --removemissing takes the PV out (with -f, the LVs on it too),
# and when the disk comes back its old copy of the VG marks it outdated
# until vgck --updatemetadata clears it. lvm2 judges every step, both ways.
. "$(dirname "$0")/lib.sh"

setup_loops 3 64

# only DEV...: both tools see just these devices (the others are "lost")
only() {
	local l filter=""
	VOLMGR_DEVICES=$(IFS=,; echo "$*")
	for l in "$@"; do filter="$filter\"a|^$l\$|\", "; done
	sed -i "s#global_filter = .*#global_filter = [ $filter\"r|.*|\" ] }#" "$LVM_SYSTEM_DIR/lvm.conf"
}
lvm2_quiet() { "$@" 2>&1 | grep -v 'WARNING: Activation disabled\|leaked on\|Couldn.t find device\|is missing PV'; }
names() { "$V" lvs --noheadings -o lv_name "$1" 2>/dev/null | tr -d ' ' | sort | tr '\n' ' '; }

# --- a volmgr VG over three PVs; D2 will be lost
ok "vgcreate mvg" "$V" vgcreate -s 1m mvg "$D1" "$D2" "$D3"
ok "lvcreate a on D1" "$V" lvcreate -an -l 4 -n a mvg "$D1"
ok "lvcreate b on D2" "$V" lvcreate -an -l 4 -n b mvg "$D2"
ok "lvcreate c striped over D1 and D2" "$V" lvcreate -an -i 2 -I 64k -l 4 -n c mvg "$D1" "$D2"
ok "lvcreate d on D3, extended onto D2" "$V" lvcreate -an -l 2 -n d mvg "$D3"
ok "lvextend d onto D2" "$V" lvextend -l +2 mvg/d "$D2"
ok "lvcreate e on D3" "$V" lvcreate -an -l 3 -n e mvg "$D3"
ok "a snapshot of a (origin kept), COW on D2" "$V" lvcreate -an -s -l 2 -n asnap mvg/a "$D2"
ok "a snapshot of b (origin lost), COW on D1" "$V" lvcreate -an -s -l 2 -n bsnap mvg/b "$D1"
ok "a snapshot of e (both kept), COW on D3" "$V" lvcreate -an -s -l 2 -n esnap mvg/e "$D3"

only "$D1" "$D3"
out=$("$V" vgs --noheadings -o vg_attr mvg 2>/dev/null | tr -d ' ')
same "vgs marks mvg partial" "${out:3:1}" "p"
same "lvs still lists every LV" "$(names mvg)" "a asnap b bsnap c d e esnap "

mark
refused "lvcreate in a VG with a PV missing" "vgreduce --removemissing mvg" "$V" lvcreate -an -l 1 -n x mvg
refused "lvremove in a VG with a PV missing" "is missing" "$V" lvremove -f mvg/e
refused "vgreduce --removemissing without -f, LVs on the lost PV" "--force removes them" \
	"$V" vgreduce --removemissing mvg
refused "vgreduce --removemissing with a device" "no devices" "$V" vgreduce --removemissing mvg "$D1"

ok "vgreduce --removemissing -f" "$V" vgreduce --removemissing -f mvg
same "left: the LVs with no extent on D2, and snapshots whose origin and COW remain" \
	"$(names mvg)" "a e esnap "
same "mvg has two PVs" "$("$V" vgs --noheadings -o pv_count mvg | tr -d ' ')" "2"
out=$("$V" vgs --noheadings -o vg_attr mvg 2>&1 | tr -d ' ')
same "mvg is whole again, no warning" "$out" "wz--n-"
ok "volmgr vgck is clean" "$V" vgck mvg
same "lvm2 vgck is clean (D2 hidden)" "$(lvm2_quiet vgck mvg)" ""
ok "lvm2 pvck D1 and D3 find nothing wrong (exit 0)" pvck "$D1" "$D3"
cols=lv_name,lv_size,seg_start_pe,seg_size,segtype,stripes,devices
same "lvm2 reports the LVs as volmgr does" "$(lvm2_quiet lvs --noheadings -o $cols mvg)" \
	"$("$V" lvs --noheadings -o $cols mvg 2>&1)"
ok "lvcreate works again" "$V" lvcreate -an -l 1 -n f mvg
mark
out=$("$V" vgreduce --removemissing mvg 2>&1); rc=$?
same "a second vgreduce --removemissing: nothing to do, exit 0" "$rc: $out" \
	"0:   Volume group \"mvg\" is already consistent."
same "... and nothing written" "$(state)" "$LAST"

# --- the lost disk comes back with its old copy of mvg
only "$D1" "$D2" "$D3"
err=$("$V" pvs --noheadings -o pv_name 2>&1 >/dev/null)
if [[ $err == *"$D2: outdated physical volume"*"vgck --updatemetadata mvg"* ]]; then pass "pvs warns that D2 is outdated"
else failed "pvs did not warn about D2: $err"; fi
same "volmgr pvs does not offer D2 as an orphan" "$("$V" pvs --noheadings -o pv_name 2>/dev/null | grep -c "^ *$D2 *\$")" "0"
same "lvm2 pvs (default columns) does not list D2 either" "$(pvs --noheadings 2>/dev/null | awk '{print $1}' | grep -c "^$D2\$")" "0"
same "mvg still has the same LVs" "$(names mvg)" "a e esnap f "
mark
refused "vgextend with the outdated PV" "vgck --updatemetadata mvg" "$V" vgextend mvg "$D2"
refused "vgcreate with the outdated PV" "outdated physical volume" "$V" vgcreate other "$D2"
out=$("$V" vgck mvg 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ $out == *outdated* ]]; then pass "vgck reports the outdated PV (exit $rc)"
else failed "vgck: exit $rc: $out"; fi
same "... and changes nothing" "$(state)" "$LAST"
ok "vgck --updatemetadata clears it" "$V" vgck --updatemetadata mvg
ok "volmgr vgck is clean" "$V" vgck mvg
same "volmgr pvs lists D2 as an orphan, no warning" "$("$V" pvs --noheadings -o pv_name,vg_name "$D2" 2>&1 | xargs)" "$D2"
same "lvm2 agrees: D2 is an orphan PV, no warning" "$(pvs --noheadings -o pv_name,vg_name "$D2" 2>&1 | grep -v 'Activation disabled' | xargs)" "$D2"
same "lvm2 vgck mvg is clean" "$(lvm2_quiet vgck mvg)" ""
ok "vgextend mvg with D2 again" "$V" vgextend mvg "$D2"
ok "lvm2 vgck after the vgextend" vgck mvg

# --- lvm2's VG loses a PV; volmgr repairs it, lvm2 agrees
ok "lvm2 vgremove mvg" vgremove -f mvg
ok "lvm2 vgcreate lvg" vgcreate -s 1m lvg "$D1" "$D2" "$D3"
ok "lvm2 lvcreate k on D1" lvcreate -an -Zn -l 4 -n k lvg "$D1"
ok "lvm2 lvcreate m on D3" lvcreate -an -Zn -l 4 -n m lvg "$D3"
ok "lvm2 lvcreate n striped over D2 and D3" lvcreate -an -Zn -i 2 -l 4 -n n lvg "$D2" "$D3"
ok "lvm2 lvcreate o on D2" lvcreate -an -Zn -l 2 -n o lvg "$D2"
only "$D1" "$D3"
ok "lvm2 lvremove o while D2 is missing (it writes a MISSING flag)" lvremove -f lvg/o
mark
refused "volmgr: without -f, n stops it" "lvg/n is on" "$V" vgreduce --removemissing lvg
ok "volmgr vgreduce --removemissing -f lvg" "$V" vgreduce --removemissing -f lvg
same "volmgr: k and m are left" "$(names lvg)" "k m "
same "lvm2 vgck lvg is clean" "$(lvm2_quiet vgck lvg)" ""
same "lvm2 lists what volmgr lists" "$(lvm2_quiet lvs --noheadings -o $cols lvg)" \
	"$("$V" lvs --noheadings -o $cols lvg 2>&1)"
only "$D1" "$D2" "$D3"
err=$(pvs 2>&1 >/dev/null)
if [[ $err == *"outdated PV $D2"* ]]; then pass "lvm2 too sees D2 as outdated when it returns"
else failed "lvm2 did not call D2 outdated: $err"; fi
ok "volmgr vgck --updatemetadata lvg clears D2" "$V" vgck --updatemetadata lvg
same "lvm2 sees no outdated PV any more" "$(pvs 2>&1 >/dev/null | grep -c outdated)" "0"
ok "lvm2 vgextend lvg with D2" vgextend lvg "$D2"
ok "volmgr vgck lvg after lvm2's vgextend" "$V" vgck lvg
finish
