#!/bin/bash
# Bad input on the command line: every case must exit non-zero, print exactly
# one error line on stderr, and change no byte on any device nor in the
# volmgr system directory (backups, archives).
. "$(dirname "$0")/lib.sh"

# D1..D3: volume group "vg"; D4: carries an ext4 file system;
# D5: volume group "vgm" on a PV with a small metadata area.
setup_loops 5 64

# Everything a command could write: every byte of every device, read from
# the loop devices' backing files once the command has exited (the kernel
# syncs a block device on its last close), with cksum (a CRC: fast enough to
# run after each case), and every file in the system directory (backup/ and
# archive/) by name and content. The whole batch is also checked with md5 on
# the loop devices themselves (devsums).
state() {
	cksum "$TESTDIR"/disk*.img
	(cd "$VOLMGR_SYSTEM_DIR" && find . -type f | sort | xargs -r md5sum)
}

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

same "the whole batch left every device byte-identical (md5)" "$BEFORE" "$(devsums)"
same "the whole batch left the system directory as it was" "$BEFORE_SYS" "$(state)"
ok "lvm2 vgck vg after the batch" vgck vg
ok "lvm2 vgck vgm after the batch" vgck vgm

# ---------------------------------------------------------------- not bad input
# -l 3 -i 2: lvm2 rounds up to a whole number of stripes (4 extents, "Rounding
# size ... up to stripe boundary size"), so volmgr must too.
ok "lvcreate -l 3 -i 2 rounds up to the stripe boundary" "$V" lvcreate -l 3 -i 2 -n st vg
same "lvcreate -l 3 -i 2: 4 extents" "$("$V" lvs --noheadings -o seg_size_pe vg/st 2>&1 | tr -d ' ')" "4"

# pvcreate -f wipes a file-system signature without asking, as lvm2's does.
ok "pvcreate -f on ext4 (no terminal)" "$V" pvcreate -f "$D4"
same "pvcreate -f wiped ext4" "$(blkid -p -o value -s TYPE "$D4")" "LVM2_member"

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
