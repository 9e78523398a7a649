#!/bin/bash
# Regressions for the fixes of "Checks before writes in vgcreate/vgextend;
# filters judge the device a link names; removals take what only they used":
# - vgcreate/vgextend check every blank device before writing any of them;
# - a new VG needs one metadata area among all its PVs, not on the last one;
# - the device filter in volmgr.conf judges the device a link names;
# - a setting (discards = "passdown") is not a reference to an LV;
# - LVs of a type volmgr does not handle cannot be renamed or tagged;
# - an LV that a snapshot uses cannot shrink (but can grow);
# - lvremove VG removes users before what they use, and removing a snapshot
#   or a pool takes the hidden LVs only it used.
# Every refusal: non-zero exit, one error line, no byte changed anywhere.
. "$(dirname "$0")/lib.sh"

# D1: blank; D2: ext4; D3: VG "ve" (vgextend target);
# D4: blank; D5, D6: lvm2 PVs without a metadata area;
# D7, D8: blank, pvcreate'd through symlinks under a filter in volmgr.conf;
# D9: VG "vs", an old-style snapshot; D10: VG "vt", a thin pool with a thin LV
# and an LV named "passdown"; D11: VG "vp", a thin pool with no thin LV.
# 16 MiB each (the state is read after every refusal), 1 MiB extents.
setup_loops 11 16

LAST=



# all_free VG: lvm2 says every extent of VG is free
all_free() {
	same "$1: every extent is free (lvm2 vgs)" \
		"$(vgs --noheadings -o vg_free_count "$1" 2>/dev/null | tr -d ' ')" \
		"$(vgs --noheadings -o vg_extent_count "$1" 2>/dev/null | tr -d ' ')"
}

# ---------------------------------------------------------------- hand-made VGs
# lv NAME VISIBLE(0/1) SEGMENT-BODY [EXTRA-LV-KEYS]: one LV section, one
# segment; its id is made from its name
lv() {
	local status='"READ", "WRITE"' h
	h=$(printf '%s' "$1" | md5sum)
	[ "$2" = 1 ] && status="$status, \"VISIBLE\""
	printf '\t\t%s {\n\t\t\tid = "%s-%s-%s-%s-%s-%s-%s"\n' "$1" "${h:0:6}" "${h:6:4}" "${h:10:4}" \
		"${h:14:4}" "${h:18:4}" "${h:22:4}" "${h:26:6}"
	printf '\t\t\tstatus = [%s]\n\t\t\tflags = []\n' "$status"
	[ -n "${4:-}" ] && printf '\t\t\t%s\n' "$4"
	printf '\t\t\tcreation_time = 1700000000\n\t\t\tcreation_host = "handmade"\n\t\t\tsegment_count = 1\n'
	printf '\t\t\tsegment1 {\n\t\t\t\tstart_extent = 0\n'
	printf '%s\n' "$3" | sed 's/^/\t\t\t\t/'
	printf '\t\t\t}\n\t\t}\n'
}
# linear NAME VISIBLE COUNT PE [EXTRA-LV-KEYS]
linear() {
	lv "$1" "$2" "extent_count = $3
type = \"striped\"
stripe_count = 1
stripes = [\"pv0\", $4]" "${5:-}"
}

# a thin pool "pool" (tmeta at PE 0-1, tdata at PE 2-3) whose discards
# setting is "passdown"
POOL=$(lv pool 1 'extent_count = 2
type = "thin-pool"
metadata = "pool_tmeta"
pool = "pool_tdata"
transaction_id = 1
chunk_size = 128
discards = "passdown"
zero_new_blocks = 1'
linear pool_tmeta 0 2 0
linear pool_tdata 0 2 2)
THIN=$(lv thin1 1 'extent_count = 4
type = "thin"
thin_pool = "pool"
transaction_id = 0
device_id = 1')

# vs: origin (PE 0-1), its COW (PE 2-3), snapshot0 joining them (tagged "t"),
# and an ordinary LV "plain" (PE 4)
handmade vs "$D9" "$(linear origin 1 2 0)
$(linear cow 0 2 2)
$(lv snapshot0 0 'extent_count = 2
type = "snapshot"
chunk_size = 8
origin = "origin"
cow_store = "cow"' 'tags = ["t"]')
$(linear plain 1 1 4)"
same "vs: lvm2 reads an origin 'o' and its snapshot 's'" "$(lvm2_lvs vs)" "cow s
origin o
plain -"
# vt: the pool, a thin LV in it, an LV named like the pool's discards
# setting (PE 4) and one more (PE 5)
handmade vt "$D10" "$POOL
$THIN
$(linear passdown 1 1 4)
$(linear plain 1 1 5)"
same "vt: lvm2 reads the pool, its sub-LVs, the thin LV and the others" "$(lvm2_lvs vt)" "passdown -
plain -
pool t
[pool_tdata] T
[pool_tmeta] e
thin1 V"
# vp: the pool alone and an ordinary LV (PE 4)
handmade vp "$D11" "$POOL
$(linear plain 1 1 4)"

ok "vgcreate ve on D3" "$V" vgcreate ve "$D3"
mkfs.ext4 -q -F "$D2" > /dev/null 2>&1 || { echo "mkfs.ext4 failed (apt-get install e2fsprogs)"; exit 1; }
ok "lvm2 pvcreate --metadatacopies 0 D5 D6" pvcreate -q --metadatacopies 0 "$D5" "$D6"
same "lvm2: D5 has no metadata area" "$(pvs --noheadings -o pv_mda_count "$D5" 2>/dev/null | tr -d ' ')" 0

# ---------------------------------------------------------------- 1. every device checked before any is written
mark
BEFORE=$(devsums)
refused "vgcreate BLANK EXT4: refused for the ext4 device" "$D2: ext4 signature" "$V" vgcreate vgC "$D1" "$D2"
blank "vgcreate BLANK EXT4" "$D1"
refused "vgextend ve BLANK EXT4: refused for the ext4 device" "$D2: ext4 signature" "$V" vgextend ve "$D1" "$D2"
blank "vgextend ve BLANK EXT4" "$D1"
same "vgextend ve BLANK EXT4: ve still has one PV" \
	"$(vgs --noheadings -o pv_count ve 2>/dev/null | tr -d ' ')" 1
same "D2 is still ext4" "$(blkid -p -o value -s TYPE "$D2")" "ext4"

# ---------------------------------------------------------------- 2. one metadata area among all the PVs
refused "vgcreate with only a PV without a metadata area" "metadata area" "$V" vgcreate vb "$D6"
same "D6 is still an orphan PV for lvm2" "$(pvs --noheadings -o vg_name "$D6" 2>/dev/null | tr -d ' ')" ""
same "the refusals above left every device byte-identical (md5)" "$(devsums)" "$BEFORE"
ok "vgcreate va BLANK NOMDA (the blank PV holds the metadata)" "$V" vgcreate va "$D4" "$D5"
ok "lvm2 vgck va" vgck va
same "lvm2: va has both PVs, one metadata area" \
	"$(vgs --noheadings -o pv_count,vg_mda_count va 2>/dev/null | xargs)" "2 1"
same "lvm2: D5 is in va" "$(pvs --noheadings -o vg_name "$D5" 2>/dev/null | tr -d ' ')" "va"

# ---------------------------------------------------------------- 3. the filter judges the device a link names
# No device list here: volmgr scans /proc/partitions through the filter, so
# the filter accepts nothing but this test's own devices (and, in the first
# case, the links' own paths: without the fix, the link itself would pass).
ln -s "$D7" "$TESTDIR/link7"
ln -s "$D8" "$TESTDIR/link8"
mkdir -p "$VOLMGR_SYSTEM_DIR"
cat > "$VOLMGR_SYSTEM_DIR/volmgr.conf" <<CONF
$BASECONF
devices { filter = [ "r|^$D7\$|", "a|^$D8\$|", "a|^$TESTDIR/|", "r|.*|" ] }
CONF
mark
BEFORE=$(devsums)
# With strace, the test also proves that the command opened no block device
# but the test's own.
TRACE=()
# (LeakSanitizer cannot run under ptrace: a sanitizer build is traced without it)
command -v strace > /dev/null && TRACE=(env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e "trace=open,openat" -o "$TESTDIR/trace")
refused "pvcreate through a link to a device the filter rejects" "excluded by the device filter" \
	"${TRACE[@]}" env -u VOLMGR_DEVICES "$V" pvcreate "$TESTDIR/link7"
blank "pvcreate through a link to a rejected device" "$D7"
if [ ${#TRACE[@]} -gt 0 ]; then
	others=$(grep -o '"/dev/[^"]*"' "$TESTDIR/trace" | tr -d '"' | sort -u | while read -r p; do
		[ -b "$p" ] || continue
		r=$(readlink -f "$p")
		[[ " ${LOOPS[*]} " == *" $r "* ]] || echo "$p"
	done)
	same "with the filter, no block device outside the test was opened" "$others" ""
	same "the trace saw the scan open D8, the one device the filter accepts" \
		"$(grep -c "\"$D8\"" "$TESTDIR/trace" | awk '{ print ($1 > 0) }')" 1
fi
refused "pvcreate on the rejected device itself" "excluded by the device filter" \
	env -u VOLMGR_DEVICES "$V" pvcreate "$D7"
same "the filter refusals left every device byte-identical (md5)" "$(devsums)" "$BEFORE"
cat > "$VOLMGR_SYSTEM_DIR/volmgr.conf" <<CONF
$BASECONF
devices { filter = [ "a|^$D8\$|", "r|.*|" ] }
CONF
ok "pvcreate through a link to the one device the filter accepts" \
	env -u VOLMGR_DEVICES "$V" pvcreate "$TESTDIR/link8"
same "D8 is a PV" "$(blkid -p -o value -s TYPE "$D8")" "LVM2_member"
same "lvm2 pvs lists D8" "$(pvs --noheadings -o pv_name "$D8" 2>/dev/null | tr -d ' ')" "$D8"
echo "$BASECONF" > "$VOLMGR_SYSTEM_DIR/volmgr.conf"

# ---------------------------------------------------------------- 4. a setting is not a reference
ok "lvremove vt/passdown (the pool's discards setting is no reference)" "$V" lvremove vt/passdown
ok "lvm2 vgck vt without passdown" vgck vt
same "lvm2: passdown is gone, the pool stays" "$(lvm2_lvs vt)" "plain -
pool t
[pool_tdata] T
[pool_tmeta] e
thin1 V"
same "lvm2: the pool still discards with passdown" \
	"$(lvs --noheadings -o discards vt/pool 2>/dev/null | tr -d ' ')" "passdown"

# ---------------------------------------------------------------- 5. LVs of a type volmgr does not handle
mark
BEFORE=$(devsums)
refused "lvrename the snapshot" "vs/snapshot0 has a segment type volmgr does not handle" \
	"$V" lvrename vs snapshot0 x
refused "lvchange --addtag on the snapshot" "vs/snapshot0 has a segment type volmgr does not handle" \
	"$V" lvchange --addtag t2 vs/snapshot0
refused "lvchange --deltag on the snapshot (it has the tag)" "vs/snapshot0 has a segment type volmgr does not handle" \
	"$V" lvchange --deltag t vs/snapshot0
refused "lvrename the pool that thin1 uses" "vt/pool" "$V" lvrename vt pool p2
refused "lvrename the pool with no thin LV" "vp/pool has a segment type volmgr does not handle" \
	"$V" lvrename vp pool p2
refused "lvrename the thin LV" "vt/thin1 has a segment type volmgr does not handle" "$V" lvrename vt thin1 t2
refused "lvchange --addtag on the pool" "vp/pool has a segment type volmgr does not handle" \
	"$V" lvchange --addtag t vp/pool

# ---------------------------------------------------------------- 6. a snapshot's origin
refused "lvreduce the snapshot's origin" "vs/origin has 1 snapshot(s); it cannot be reduced" \
	"$V" lvreduce -f -l -1 vs/origin
refused "lvreduce the snapshot (its COW cannot shrink)" "vs/cow is a snapshot: its COW can grow, not shrink" \
	"$V" lvreduce -f -l -1 vs/cow
refused "lvextend the snapshot's origin" "vs/origin has 1 snapshot(s); it cannot be extended" \
	"$V" lvextend -l +1 vs/origin
same "the refusals of 5 and 6 left every device byte-identical (md5)" "$(devsums)" "$BEFORE"
same "on disk, snapshot0 still has its tag and no other" \
	"$(pvck --dump metadata "$D9" 2>/dev/null | awk '/^\t*snapshot0 \{/, /segment1/' | grep -o 'tags = .*')" \
	'tags = ["t"]'
ok "lvextend the snapshot (its COW grows)" "$V" lvextend -l +1 vs/cow
ok "lvm2 vgck vs after the COW grew" vgck vs
same "lvm2: origin 'o' and its snapshot 's' still" "$(lvm2_lvs vs)" "cow s
origin o
plain -"
same "lvm2: the snapshot's origin is origin" "$(lvs --noheadings -o origin vs/cow 2>/dev/null | tr -d ' ')" "origin"
same "lvm2: the COW grew to 3 extents" "$(lvs --noheadings --units m --nosuffix -o lv_size vs/cow 2>/dev/null | tr -d ' ')" \
	"3.00"
same "on disk, snapshot0 keeps its tag through the COW's growth" \
	"$(pvck --dump metadata "$D9" 2>/dev/null | awk '/^\t*snapshot0 \{/, /segment1/' | grep -o 'tags = .*')" \
	'tags = ["t"]'

# ---------------------------------------------------------------- 7. lvremove VG
ok "lvremove vs (origin, snapshot, ordinary LV)" "$V" lvremove vs
ok "lvm2 vgck vs after lvremove vs" vgck vs
same "lvm2: no LV left in vs" "$(lvs -a --noheadings vs 2>/dev/null)" ""
same "volmgr: no LV left in vs" "$("$V" lvs --noheadings vs 2>&1)" ""
all_free vs
ok "lvremove vt (thin LV, pool, ordinary LV)" "$V" lvremove vt
ok "lvm2 vgck vt after lvremove vt" vgck vt
same "lvm2: no LV left in vt" "$(lvs -a --noheadings vt 2>/dev/null)" ""
all_free vt

# ---------------------------------------------------------------- 8. the pool alone
ok "lvremove vp/pool (no thin LV)" "$V" lvremove vp/pool
ok "lvm2 vgck vp without the pool" vgck vp
same "lvm2: the pool's _tdata and _tmeta went with it" "$(lvm2_lvs vp)" "plain -"
same "vp: only plain's extent is in use" \
	"$(vgs --noheadings -o vg_extent_count,vg_free_count vp 2>/dev/null | awk '{ print $1 - $2 }')" 1

# ---------------------------------------------------------------- 9. small report rules
fails "pvdisplay of a path that is no PV" "$V" pvdisplay /dev/nonexistent
mark
refused "lvreduce by every extent the LV has" "cannot reduce by 1" "$V" lvreduce -f -l -1 vp/plain
same "-o given twice adds its fields (as lvm2)" "$("$V" lvs -o lv_name -o +lv_size vp 2>&1)" \
	"$("$V" lvs -o lv_name,lv_size vp 2>&1)"

finish
