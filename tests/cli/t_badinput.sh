#!/bin/bash
# Bad input on the command line: every case must exit non-zero, print exactly
# one error line on stderr, and change no byte on any device nor in the
# volmgr system directory (backups, archives).
. "$(dirname "$0")/lib.sh"

# D1..D3: volume group "vg"; D4: carries an ext4 file system;
# D5: volume group "vgm" on a PV with a small metadata area;
# D6: volume group "vgo", which the narrower device lists below leave out;
# D7: a blank device; D8: volume group "vsnap", holding an old-style
# snapshot written by hand.
setup_loops 8 64


# bad DESC CMD...: CMD fails with one error line (see `fails`), with no
# terminal on stdin, and changes nothing that state() sees. Cases run back to
# back, so the state after one case is the state before the next.
LAST=
bad() {
	local d=$1 now
	fails "$@" < /dev/null
	now=$(state)
	[ "$LAST" == "$now" ] || failed "$d: changed a device or a file in $VOLMGR_SYSTEM_DIR"
	LAST=$now
}




# noprompt CMD...: run CMD, dropping the echo of a question it could not ask
# ("  Do you really ...? [y/n]: [n]", as lvm2 prints it too when stdin is not
# a terminal): that line is the question, not an error line.
noprompt() {
	local err rc
	err=$("$@" 2>&1 > /dev/null)
	rc=$?
	printf '%s\n' "$err" | grep -v '^  .*? \[y/n\]: \[n\]$' | grep -v '^$' >&2
	return $rc
}

# ---------------------------------------------------------------- set-up
ok "pvcreate D1 D2 D3" "$V" pvcreate "$D1" "$D2" "$D3"
ok "vgcreate vg" "$V" vgcreate vg "$D1" "$D2" "$D3"
ok "lvcreate vg/lv1 on D1" "$V" lvcreate -l 2 -n lv1 vg "$D1"
ok "lvcreate vg/lv2 on D1" "$V" lvcreate -l 1 -n lv2 vg "$D1"
ok "pvcreate D5 with a small metadata area" "$V" pvcreate --metadatasize 64k --dataalignment 64k "$D5"
ok "vgcreate vgm" "$V" vgcreate -s 1m vgm "$D5"
mkfs.ext4 -q -F "$D4" > /dev/null 2>&1 || { echo "mkfs.ext4 failed (apt-get install e2fsprogs)"; exit 1; }
ok "vgcreate vgo on D6" "$V" vgcreate vgo "$D6"
ok "lvcreate vgo/keep" "$V" lvcreate -l 2 -n keep vgo
# Every device but D6: vgo's PV lies outside these lists.
NARROW=$D1,$D2,$D3,$D4,$D5,$D7,$D8

# vsnap: the metadata of an old-style snapshot as lvm2 writes it (see
# lvm2-format.md), by hand, since lvm2 cannot create snapshots without
# device-mapper: "origin", the COW store "cow" (no longer VISIBLE), and the
# hidden "snapshot0" that joins them with one segment of type "snapshot".
handmade vsnap "$D8" "		origin {
			id = \"0rigin-0000-0000-0000-0000-0000-000001\"
			status = [\"READ\", \"WRITE\", \"VISIBLE\"]
			flags = []
			creation_time = 1700000000
			creation_host = \"handmade\"
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 4
				type = \"striped\"
				stripe_count = 1
				stripes = [\"pv0\", 0]
			}
		}
		cow {
			id = \"cowcow-0000-0000-0000-0000-0000-000002\"
			status = [\"READ\", \"WRITE\"]
			flags = []
			creation_time = 1700000000
			creation_host = \"handmade\"
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 2
				type = \"striped\"
				stripe_count = 1
				stripes = [\"pv0\", 4]
			}
		}
		snapshot0 {
			id = \"snapsh-0000-0000-0000-0000-0000-000003\"
			status = [\"READ\", \"WRITE\"]
			flags = []
			creation_time = 1700000000
			creation_host = \"handmade\"
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 4
				type = \"snapshot\"
				chunk_size = 8
				origin = \"origin\"
				cow_store = \"cow\"
			}
		}" 8192
same "lvm2 reads it as a snapshot: origin 'o', COW 's'" "$(lvm2_lvs vsnap)" "cow s
origin o"
PLAIN=$TESTDIR/plain.img
truncate -s 16M "$PLAIN"
LONG=$(printf 'a%.0s' {1..128})

BEFORE=$(devsums)
LAST=$(state)
BEFORE_SYS=$LAST

# ---------------------------------------------------------------- names
bad "vgcreate 'a b'" "$V" vgcreate "a b" "$D4"
bad "vgcreate 'a/b'" "$V" vgcreate "a/b" "$D4"
bad "vgcreate '-x'" "$V" vgcreate -- -x "$D4"
bad "vgcreate '.'" "$V" vgcreate . "$D4"
bad "vgcreate '..'" "$V" vgcreate .. "$D4"
bad "vgcreate with a 128-character name" "$V" vgcreate "$LONG" "$D4"
bad "vgrename to 'a b'" "$V" vgrename vg "a b"
bad "lvcreate -n 'a b'" "$V" lvcreate -l 1 -n "a b" vg
bad "lvcreate -n 'a/b'" "$V" lvcreate -l 1 -n "a/b" vg
bad "lvcreate -n '.'" "$V" lvcreate -l 1 -n . vg
bad "lvcreate with a 128-character name" "$V" lvcreate -l 1 -n "$LONG" vg
bad "lvcreate -n snapshot1 (reserved)" "$V" lvcreate -l 1 -n snapshot1 vg
bad "lvcreate -n pvmove0 (reserved)" "$V" lvcreate -l 1 -n pvmove0 vg
bad "lvcreate -n x_tmeta (reserved)" "$V" lvcreate -l 1 -n x_tmeta vg
bad "lvcreate -n a_rimage_0 (reserved)" "$V" lvcreate -l 1 -n a_rimage_0 vg
bad "lvrename to 'y z'" "$V" lvrename vg lv1 "y z"
bad "lvrename to snapshot2 (reserved)" "$V" lvrename vg lv1 snapshot2
bad "lvcreate --addtag 'bad tag'" "$V" lvcreate -l 1 -n t --addtag "bad tag" vg

# ---------------------------------------------------------------- sizes
bad "lvcreate -L 10x" "$V" lvcreate -L 10x vg
bad "lvcreate -L abc" "$V" lvcreate -L abc vg
bad "lvcreate -L -5m" "$V" lvcreate -L -5m vg
bad "lvcreate -l 0" "$V" lvcreate -l 0 vg
bad "lvcreate -L 0" "$V" lvcreate -L 0 vg
# lvm2 2.03.16 takes 101%FREE as "all the free space"; volmgr refuses a
# percentage above 100, which is the better answer to a typo.
bad "lvcreate -l 101%FREE" "$V" lvcreate -l 101%FREE vg
bad "lvcreate -l 50%XYZ" "$V" lvcreate -l 50%XYZ vg
bad "lvcreate with both -L and -l" "$V" lvcreate -L 4m -l 1 vg
bad "lvcreate with neither -L nor -l" "$V" lvcreate -n x vg
bad "vgcreate -s 3m (not a power of two)" "$V" vgcreate -s 3m vgx "$D4"
bad "vgcreate -s 0" "$V" vgcreate -s 0 vgx "$D4"
bad "lvcreate -i 0" "$V" lvcreate -l 1 -i 0 vg
bad "lvcreate -i 129" "$V" lvcreate -l 129 -i 129 vg

# ---------------------------------------------------------------- missing things
bad "lvcreate in a missing VG" "$V" lvcreate -l 1 nosuchvg
bad "vgextend a missing VG" "$V" vgextend nosuchvg "$D4"
bad "vgremove a missing VG" "$V" vgremove nosuchvg
bad "lvremove a missing LV" "$V" lvremove vg/nosuchlv
bad "lvrename a missing LV" "$V" lvrename vg nosuchlv x
bad "lvextend a missing LV" "$V" lvextend -l +1 vg/nosuchlv
bad "lvchange a missing LV" "$V" lvchange --addtag t vg/nosuchlv
bad "pvcreate /dev/nonexistent" "$V" pvcreate /dev/nonexistent
bad "vgcreate on /dev/nonexistent" "$V" vgcreate vgx /dev/nonexistent
bad "vgextend with /dev/nonexistent" "$V" vgextend vg /dev/nonexistent
bad "pvcreate on a regular file" "$V" pvcreate "$PLAIN"
bad "vgextend with a regular file" "$V" vgextend vg "$PLAIN"
bad "lvcreate on a PV of another VG" "$V" lvcreate -l 1 -n x vg "$D5"
# Outside the device list, the two cases above are refused before the device
# is even opened; inside it, for what they are.
refused "pvcreate on a regular file in the device list" "not a block device" \
	env VOLMGR_DEVICES="$VOLMGR_DEVICES,$PLAIN" "$V" pvcreate "$PLAIN"
refused "pvcreate /dev/nonexistent in the device list" "/dev/nonexistent: cannot open" \
	"$V" pvcreate --devices "$VOLMGR_DEVICES,/dev/nonexistent" /dev/nonexistent

# ---------------------------------------------------------------- conflicts
bad "lvcreate a duplicate LV name" "$V" lvcreate -l 1 -n lv1 vg
bad "lvrename to an existing LV name" "$V" lvrename vg lv1 lv2
bad "lvrename into another VG" "$V" lvrename vg/lv1 vgm/lv1
bad "vgrename to an existing VG name" "$V" vgrename vg vgm
bad "vgcreate an existing VG name" "$V" vgcreate vgm "$D4"
bad "pvcreate on a PV in a VG (no -ff)" "$V" pvcreate "$D2"
bad "vgcreate with a PV of another VG" "$V" vgcreate vgx "$D2"
bad "vgextend with a PV of another VG" "$V" vgextend vgm "$D2"
bad "vgextend with a PV already in the VG" "$V" vgextend vg "$D2"
bad "pvremove a PV in a VG" "$V" pvremove "$D2"
bad "pvcreate on ext4 without -f" "$V" pvcreate "$D4"
bad "vgcreate on ext4 without -f" "$V" vgcreate vgx "$D4"

# ---------------------------------------------------------------- space and resizing
bad "lvcreate larger than the VG" "$V" lvcreate -L 1g -n big vg
err=$("$V" lvcreate -L 1g -n big vg 2>&1 >/dev/null </dev/null)
if printf '%s\n' "$err" | grep -Eq '[a-z][0-9]+$'; then
	failed "no-space message ends in a stray number: $err"
else pass "no-space message is clean"; fi
bad "lvreduce without -f and no terminal" noprompt "$V" lvreduce -l 1 vg/lv1
bad "lvextend to a smaller size" "$V" lvextend -l 1 vg/lv1
bad "lvextend to the same size" "$V" lvextend -l 2 vg/lv1
bad "lvreduce to a larger size" "$V" lvreduce -f -l 5 vg/lv1
bad "lvreduce to zero" "$V" lvreduce -f -l -2 vg/lv1
bad "lvcreate -i 4 with 3 PVs" "$V" lvcreate -l 4 -i 4 vg
bad "lvcreate -I 48k (not a power of two)" "$V" lvcreate -l 2 -i 2 -I 48k vg
bad "lvcreate --alloc bogus" "$V" lvcreate -l 1 --alloc bogus vg
bad "lvextend --alloc bogus" "$V" lvextend -l +1 --alloc bogus vg/lv1
bad "lvcreate --type raid1" "$V" lvcreate -l 1 --type raid1 vg

# ---------------------------------------------------------------- VG membership
bad "vgreduce VG freePV usedPV (all or nothing)" "$V" vgreduce vg "$D2" "$D1"
same "vgreduce all or nothing: D2 still in vg" "$("$V" pvs --noheadings -o vg_name "$D2" | tr -d ' ')" "vg"
bad "vgreduce of a PV holding extents" "$V" vgreduce vg "$D1"
bad "vgreduce of the last PV" "$V" vgreduce vgm "$D5"
bad "vgreduce of a PV not in the VG" "$V" vgreduce vg "$D5"
bad "vgremove a VG with LVs, no -f, no terminal" noprompt "$V" vgremove vg

# ---------------------------------------------------------------- command line
bad "unknown option --bogus" "$V" lvcreate --bogus -l 1 vg
bad "unknown option -X" "$V" vgs -X
bad "unknown command" "$V" bogus
bad "option without its argument" "$V" lvcreate -l
bad "lvcreate without a VG" "$V" lvcreate -l 1
bad "vgcreate without arguments" "$V" vgcreate
bad "vgcreate without a PV" "$V" vgcreate vgx
bad "pvcreate without a device" "$V" pvcreate
bad "lvrename with one argument" "$V" lvrename vg/lv1
bad "vgrename with one argument" "$V" vgrename vg
bad "vgextend without a PV" "$V" vgextend vg
bad "lvremove without an LV" "$V" lvremove
bad "lvs -o bogus" "$V" lvs -o bogus vg
bad "lvs --units x" "$V" lvs --units x vg
refused "vgs -o pv_name (a PV field)" "unrecognised field 'pv_name'" "$V" vgs -o pv_name
refused "vgs -o lv_name (an LV field)" "unrecognised field 'lv_name'" "$V" vgs -o lv_name
refused "lvs -o pv_name (a PV field)" "unrecognised field 'pv_name'" "$V" lvs -o pv_name
refused "lvs -O pv_name (a PV field)" "unrecognised field 'pv_name'" "$V" lvs -O pv_name vg
refused "lvcreate -l 10m (a unit with extents)" "--extents 10m: not a valid" "$V" lvcreate -l 10m vg
refused "lvextend -l +10m (a unit with extents)" "--extents +10m: not a valid" "$V" lvextend -l +10m vg/lv1
refused "lvcreate --type linear -i 2" "--type linear cannot have 2 stripes" "$V" lvcreate --type linear -i 2 -l 2 vg
refused "lvcreate -a an (not an activation mode)" "--activate an:" "$V" lvcreate -a an -l 1 vg
refused "lvchange --activationmode bad" "--activationmode bad: expected" "$V" lvchange -ay --activationmode bad vg/lv1
refused "vgchange -a with --refresh" "give -a or --refresh, not both" "$V" vgchange -ay --refresh vg
refused "lvcreate -an -Zy (zeroing needs an active LV)" "--zero y needs the new logical volume active" \
	"$V" lvcreate -an -Zy -l 1 vg
# With activation on (the default) and no device-mapper in this kernel: refused
# before anything is written, the reason said.
if ! dmsetup version > /dev/null 2>&1; then
	ON="$TESTDIR/etc-activation-on"
	mkdir -p "$ON"
	refused "lvcreate without -an on a kernel without device-mapper" "this kernel has no device-mapper" \
		env VOLMGR_SYSTEM_DIR="$ON" "$V" lvcreate -l 1 -n nodm vg
	same "and no backup was written for it" "$(ls -A "$ON")" ""
	refused "vgchange -ay without device-mapper" "this kernel has no device-mapper" \
		env VOLMGR_SYSTEM_DIR="$ON" "$V" vgchange -ay vg
	refused "lvchange -ay without device-mapper" "this kernel has no device-mapper" \
		env VOLMGR_SYSTEM_DIR="$ON" "$V" lvchange -ay vg/lv1
	refused "lvchange -ay with activation = 0" "activation is turned off" "$V" lvchange -ay vg/lv1
	refused "lvextend -r of an inactive LV" "--resizefs needs vg/lv1 active" "$V" lvextend -r -l +1 vg/lv1
	same "lvs: no LV reports active or a kernel device" \
		"$("$V" lvs --noheadings -o lv_active,lv_kernel_major,lv_kernel_minor vg | sort -u | tr -s ' ')" " -1 -1"
	same "lv_attr positions 5 and 6 say inactive, not open" \
		"$("$V" lvs --noheadings -o lv_attr vg | cut -c 7-8 | sort -u)" "--"
	ok "vgchange -an without device-mapper: nothing is active, nothing to do" \
		env VOLMGR_SYSTEM_DIR="$ON" "$V" vgchange -an vg
	LAST=$(state)
fi
# Options that were accepted and ignored are gone.
refused "vgcreate --addtag" "unrecognised option '--addtag'" "$V" vgcreate --addtag x vgx "$D7"
refused "vgcreate --force" "unrecognised option '--force'" "$V" vgcreate --force vgx "$D7"
refused "vgcreate -f" "unrecognised option '-f'" "$V" vgcreate -f vgx "$D7"
refused "vgcreate --metadatasize" "unrecognised option '--metadatasize" "$V" vgcreate --metadatasize 1m vgx "$D7"
refused "vgcreate --dataalignment" "unrecognised option '--dataalignment" "$V" vgcreate --dataalignment 1m vgx "$D7"
refused "vgextend -f" "unrecognised option '-f'" "$V" vgextend -f vg "$D7"
refused "vgreduce -f without --removemissing" "-f/--force goes with --removemissing" "$V" vgreduce -f vg "$D3"
refused "vgchange --addtag" "unrecognised option '--addtag" "$V" vgchange -an --addtag x vg
refused "vgchange --deltag" "unrecognised option '--deltag" "$V" vgchange -an --deltag x vg
refused "lvextend -i 2" "unrecognised option '-i'" "$V" lvextend -i 2 -l +2 vg/lv1
refused "lvresize -I 64k" "unrecognised option '-I'" "$V" lvresize -I 64k -l +2 vg/lv1
refused "vgs --nameprefixes" "unrecognised option '--nameprefixes'" "$V" vgs --nameprefixes

# ---------------------------------------------------------------- devices outside the scan
# D6 holds vgo's PV. With a device list that leaves D6 out, no command may
# write it: it could be a PV of a VG the command cannot see (as here).
refused "vgcreate on a PV of another VG outside VOLMGR_DEVICES" "$D6: excluded by --devices/VOLMGR_DEVICES" \
	env VOLMGR_DEVICES="$NARROW" "$V" vgcreate vgx "$D6"
refused "vgcreate blank D7 + excluded D6 (checked before D7 is written)" "$D6: excluded by" \
	env VOLMGR_DEVICES="$NARROW" "$V" vgcreate vgx "$D7" "$D6"
refused "vgcreate outside --devices" "$D6: excluded by --devices/VOLMGR_DEVICES" \
	"$V" vgcreate --devices "$NARROW" vgx "$D6"
refused "vgextend with a PV of another VG outside VOLMGR_DEVICES" "$D6: excluded by" \
	env VOLMGR_DEVICES="$NARROW" "$V" vgextend vg "$D6"
refused "vgextend blank D7 + excluded D6" "$D6: excluded by" \
	env VOLMGR_DEVICES="$NARROW" "$V" vgextend vg "$D7" "$D6"
refused "vgextend outside --devices" "$D6: excluded by" "$V" vgextend --devices "$NARROW" vg "$D6"
refused "pvcreate on a PV of another VG outside VOLMGR_DEVICES" "$D6: excluded by" \
	env VOLMGR_DEVICES="$NARROW" "$V" pvcreate "$D6"
refused "pvcreate -ff -y outside VOLMGR_DEVICES" "$D6: excluded by" \
	env VOLMGR_DEVICES="$NARROW" "$V" pvcreate -ff -y "$D6"
refused "pvcreate -ff -y outside --devices" "$D6: excluded by" "$V" pvcreate --devices "$NARROW" -ff -y "$D6"
refused "pvremove on a PV of another VG outside VOLMGR_DEVICES" "$D6: excluded by" \
	env VOLMGR_DEVICES="$NARROW" "$V" pvremove "$D6"
refused "pvremove -ff -y outside VOLMGR_DEVICES" "$D6: excluded by" \
	env VOLMGR_DEVICES="$NARROW" "$V" pvremove -ff -y "$D6"
refused "pvremove -ff -y outside --devices" "$D6: excluded by" "$V" pvremove --devices "$NARROW" -ff -y "$D6"
ok "lvm2 vgck vgo after the refusals" vgck vgo
same "volmgr vgs vgo after the refusals" "$("$V" vgs --noheadings -o vg_name,pv_count,lv_count vgo 2>&1 | xargs)" "vgo 1 1"
blank "vgcreate/vgextend with D7 and an excluded device" "$D7"

# A taken name is found before any device is made a PV.
refused "vgcreate a taken name with a blank device" "volume group vgm already exists" "$V" vgcreate vgm "$D7"
blank "vgcreate a taken name" "$D7"

# ---------------------------------------------------------------- LVs that a snapshot uses
# While a snapshot exists its origin cannot go, be renamed or resized; the
# snapshot (its COW) cannot be renamed or resized yet; snapshot0 is internal.
refused "lvremove a snapshot's origin" "vsnap/origin has 1 snapshot(s); it cannot be removed while they exist" \
	"$V" lvremove vsnap/origin
refused "lvrename a snapshot's origin" "vsnap/origin has 1 snapshot(s); it cannot be renamed" \
	"$V" lvrename vsnap origin origin2
refused "lvreduce a snapshot's origin" "vsnap/origin has 1 snapshot(s); it cannot be reduced" \
	"$V" lvreduce -f -l -1 vsnap/origin
refused "lvrename a snapshot" "vsnap/cow is used by vsnap/snapshot0; it cannot be renamed" \
	"$V" lvrename vsnap/cow vsnap/cow2
refused "lvreduce a snapshot" "vsnap/cow is a snapshot: its COW can grow, not shrink" \
	"$V" lvreduce -f -l -1 vsnap/cow
refused "lvextend a snapshot's origin" "vsnap/origin has 1 snapshot(s); it cannot be extended" \
	"$V" lvextend -l +1 vsnap/origin
refused "lvextend snapshot0 (internal)" "not resized" "$V" lvextend -l +1 vsnap/snapshot0
refused "lvreduce snapshot0" "not resized" "$V" lvreduce -f -l -1 vsnap/snapshot0
refused "lvcreate -s of a snapshot" "snapshots of snapshots are not supported" "$V" lvcreate -an -s -l 2 vsnap/cow
refused "lvcreate -s with a chunk size that is no power of two" "chunk size 12288 must be a power of two" \
	"$V" lvcreate -an -s -c 12k -l 2 vsnap/origin
refused "lvcreate -s with a chunk size over 512 KiB" "must be a power of two from 4 KiB to 512 KiB" \
	"$V" lvcreate -an -s -c 1m -l 2 vsnap/origin
refused "lvcreate -s without an origin" "a snapshot needs its origin as VG/LV" "$V" lvcreate -an -s -l 2 vsnap
refused "lvcreate --chunksize without -s" "--chunksize is for snapshots" "$V" lvcreate -an -c 8k -l 2 vsnap

same "the whole batch left every device byte-identical (md5)" "$BEFORE" "$(devsums)"
same "the whole batch left the system directory as it was" "$BEFORE_SYS" "$(state)"
ok "lvm2 vgck vg after the batch" vgck vg
ok "lvm2 vgck vgm after the batch" vgck vgm
ok "lvm2 vgck vgo after the batch" vgck vgo
ok "lvm2 vgck vsnap after the batch" vgck vsnap
same "lvm2 still reads vsnap's snapshot after the batch" "$(lvm2_lvs vsnap)" "cow s
origin o"

# ---------------------------------------------------------------- not bad input
# -l 3 -i 2: lvm2 rounds up to a whole number of stripes (4 extents, "Rounding
# size ... up to stripe boundary size"), so volmgr must too.
ok "lvcreate -l 3 -i 2 rounds up to the stripe boundary" "$V" lvcreate -l 3 -i 2 -n st vg
same "lvcreate -l 3 -i 2: 4 extents" "$("$V" lvs --noheadings -o seg_size_pe vg/st 2>&1 | tr -d ' ')" "4"

# pvcreate -f wipes a file-system signature without asking, as lvm2's does.
ok "pvcreate -f on ext4 (no terminal)" "$V" pvcreate -f "$D4"
same "pvcreate -f wiped ext4" "$(blkid -p -o value -s TYPE "$D4")" "LVM2_member"
same "pvs -o vg_attr of a PV in no VG: empty" "$("$V" pvs --noheadings -o pv_name,vg_attr "$D4" 2>&1 | xargs)" "$D4"

# -vv: the debug messages go to standard error, never into a report.
same "vgs -vv: standard output holds the report alone" \
	"$("$V" vgs -vv --noheadings -o vg_name --devices "$D5,/dev/nonexistent" 2>/dev/null)" "  vgm"
err=$("$V" vgs -vv --noheadings -o vg_name --devices "$D5,/dev/nonexistent" 2>&1 > /dev/null)
if [[ $err == *"/dev/nonexistent: cannot open"* ]]; then pass "vgs -vv: debug messages on standard error"
else failed "vgs -vv: no debug message on standard error: $err"; fi

# The snapshot itself is an LV of a type volmgr does not handle: volmgr
# removes it by the name of its hidden LV (lvm2 names it by its COW), and
# the hidden COW that only it used goes with it, as with lvm2. After that
# the origin is used by nothing and can be renamed.
same "volmgr lists the snapshot as lvm2 does: origin 'o', the COW as snapshot 's'" \
	"$("$V" lvs --noheadings -o lv_name,lv_attr,origin vsnap 2>&1 | xargs)" "cow swi---s--- origin origin owi---s---"
ok "volmgr lvremove vsnap/cow (the snapshot: snapshot0 and the COW go)" "$V" lvremove -y vsnap/cow
ok "lvm2 vgck vsnap without snapshot0" vgck vsnap
same "lvm2: no snapshot left, and no COW" "$(lvm2_lvs vsnap)" "origin -"
same "volmgr lists the origin only" "$("$V" lvs --noheadings -o lv_name,lv_attr vsnap 2>&1 | xargs)" "origin -wi-------"
ok "volmgr lvrename the former origin" "$V" lvrename vsnap origin origin2
ok "lvm2 vgck vsnap after the rename" vgck vsnap
same "lvm2 sees origin2 alone" "$(lvm2_lvs vsnap)" "origin2 -"
same "the snapshot's extents are free again" "$("$V" vgs --noheadings -o vg_free_count vsnap | tr -d ' ')" \
	"$(($("$V" vgs --noheadings -o vg_extent_count vsnap) - 4))"

# ---------------------------------------------------------------- full metadata area
# Each LV carries 8 tags of 1,000 characters so that a handful fill vgm's
# 124 KiB metadata area; the lvcreate that does not fit must change no byte.
TAGS=()
for k in 1 2 3 4 5 6 7 8; do TAGS+=(--addtag "$(printf "t$k%.0s" {1..500})"); done
n=0
while [ $n -lt 40 ]; do
	LAST=$(state)
	err=$("$V" lvcreate -l 1 -n "m$n" "${TAGS[@]}" vgm 2>&1 > /dev/null < /dev/null) || break
	n=$((n + 1))
done
if [ $n -ge 1 ] && [ $n -lt 40 ]; then pass "vgm's metadata area took $n LVs, then refused one ($err)"
else failed "metadata area: $n LVs created, expected between 1 and 39"; fi
same "the lvcreate that overflowed the metadata area changed nothing" "$LAST" "$(state)"
bad "lvcreate that overflows the metadata area (again)" "$V" lvcreate -l 1 -n "m$n" "${TAGS[@]}" vgm
ok "lvm2 vgck vgm with a full metadata area" vgck vgm
same "lvm2 sees the $n LVs" "$(lvs --noheadings -o lv_name vgm 2>/dev/null | wc -l)" "$n"

finish
