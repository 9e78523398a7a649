#!/bin/sh
# shellcheck disable=SC2034,SC2086,SC2116  # TNAME is for lib.sh; $(echo $x) squashes blanks
# Guest test (tests/vm/run --disks 3 tests/vm/t_snapshot.sh): volmgr's snapshots
# through device-mapper, the way lvm2 makes them.
#  - point in time: a snapshot taken while a writer keeps rewriting the origin is the
#    origin's state after one write of the writer's sequence (no write that completed
#    before lvcreate began is missing, none that began after lvcreate returned is in
#    it), and it never changes afterwards; writes into the snapshot stay out of the
#    origin; -l 100%ORIGIN (as lvm2 sizes it) survives a full overwrite of the origin;
#  - lvm2 is the judge: dm tables (devices by name), names and uuids of the stacks with
#    one, two and three snapshots (chunks of 4k, 64k and lvm2's) equal lvm2's for the
#    same metadata, both ways; lvs/vgs agree; vgck passes; volmgr activates and removes
#    a snapshot lvm2 made;
#  - several snapshots: removing one (also with the origin open) keeps the others,
#    vgchange -an/-ay brings back the same tables and contents, an open snapshot or
#    origin stays; vgrename renames the whole stack; the origin cannot be removed,
#    renamed or resized, a snapshot not resized;
#  - overflow: a 2 MiB COW under 16 MiB of writes is invalidated by the kernel ('I'),
#    the origin's data is intact, lvremove -f of the invalid snapshot leaves the
#    origin a plain linear device.
TNAME=vm_snapshot
. /test/lib.sh
export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D1,$D2,$D3"
mkdir -p /tmp/vm
# libuuid waits ~1 s per id for the kernel's random pool unless it is ready: make it so.
timeout 30 dd if=/dev/random of=/dev/null bs=1 count=1 2>/dev/null
VG=snap-vg
DMVG=snap--vg
MiB=1048576

# tables [PREFIX]: "name: table" of each dm device whose name starts with PREFIX,
# sorted, the MAJ:MIN in a table replaced by the device's name (dm name, or vda):
# comparable across activations by different tools (whose dm minors differ).
tables() {
	dmsetup table 2>/dev/null | awk -v p="${1:-}" '
		(p != "" && index($0, p) != 1) || $0 == "No devices found" { next }
		{
			sub(/ +$/, "")
			for (i = 3; i <= NF; i++) {
				if ($i !~ /^[0-9]+:[0-9]+$/) continue
				n = ""
				f = "/sys/dev/block/" $i "/dm/name"
				if ((getline l < f) > 0) n = l
				close(f)
				f = "/sys/dev/block/" $i "/uevent"
				while (n == "" && (getline l < f) > 0) if (l ~ /^DEVNAME=/) n = substr(l, 9)
				close(f)
				if (n != "") $i = n
			}
			print
		}' | sort -s -t: -k1,1
}
# ids [PREFIX]: "name uuid" of each dm device whose name starts with PREFIX, sorted.
ids() {
	dmsetup info -c --noheadings --separator ' ' -o name,uuid 2>/dev/null |
		awk -v p="${1:-}" '(p == "" || index($0, p) == 1) && $0 != "No devices found"' | sort
}
md5() { md5sum | cut -d' ' -f1; }
# has TEXT RE: a line of TEXT matches RE (grep)
has() { printf '%s\n' "$1" | grep -q -- "$2"; }
show() { printf '%s\n' "$1" | sed 's/^/# /'; }
seqno() { volmgr vgs --noheadings -o vg_seqno "$VG" 2>&1 | tr -d ' '; }
# lvs of both tools without headings, one line per LV, blanks squashed
vlvs() { volmgr lvs --noheadings "$@" 2>&1 | sed 's/^ *//; s/ *$//' | tr -s ' '; }
llvs() { lvs --noheadings "$@" 2>&1 | sed 's/^ *//; s/ *$//' | tr -s ' '; }
attr() { vlvs -o lv_attr "$VG/$1"; }
# lvmeta: each LV of the VG in the metadata (lvm2's vgcfgbackup): name, status, the
# type of its first segment, and for a snapshot segment its chunk_size, origin, cow_store
lvmeta() {
	vgcfgbackup -f /tmp/meta "$VG" >/dev/null 2>&1
	awk '/^\tlogical_volumes \{/ { in_lv = 1; next }
		in_lv && /^\t\}/ { in_lv = 0 }
		!in_lv { next }
		/^\t\t[^\t].* \{$/ { if (line != "") print line; line = $1; seg = 0; next }
		/^\t\t\tstatus = / { v = $0; sub(/.*= /, "", v); gsub(/[" ]/, "", v)
			gsub(/\[/, "", v); gsub(/\]/, "", v); line = line " " v }
		/^\t\t\tsegment1 \{/ { seg = 1 }
		/^\t\t\tsegment[0-9]+ \{/ && !/segment1 / { seg = 0 }
		seg && /^\t\t\t\ttype = / { v = $3; gsub(/"/, "", v); line = line " " v }
		seg && /^\t\t\t\t(chunk_size|origin|cow_store) = / { v = $3; gsub(/"/, "", v); line = line " " $1 "=" v }
		END { if (line != "") print line }' /tmp/meta
}
# sect NAME: when a section starts (VM uptime)
sect() { echo "# $(cut -d' ' -f1 /proc/uptime) s: $1"; }
# sum LV: md5 of all of /dev/VG/LV
sum() { dd if="/dev/$VG/$1" bs=1M 2>/dev/null | md5; }
# put FILE LV [SEEK]: FILE onto /dev/VG/LV at MiB SEEK, O_DIRECT
put() { dd if="$1" of="/dev/$VG/$2" bs=1M seek="${3:-0}" oflag=direct conv=notrunc 2>/dev/null; }
# refused DESC CMD...: CMD fails and changes neither the metadata nor the dm devices
refused() {
	_rd=$1
	shift
	_rs=$(seqno) _ri=$(ids "$DMVG-")
	_ro=$("$@" 2>&1)
	_rr=$?
	check "$_rd: refused (exit $_rr: $(printf '%s' "$_ro" | tr '\n' '|'))" [ "$_rr" -ne 0 ]
	is "$_rd: metadata unchanged" "$(seqno)" "$_rs"
	is "$_rd: dm devices unchanged" "$(ids "$DMVG-")" "$_ri"
}

ok "pvcreate $D1 $D2 $D3" volmgr pvcreate "$D1" "$D2" "$D3"
ok "vgcreate -s 1m $VG" volmgr vgcreate -s 1m "$VG" "$D1" "$D2" "$D3"
NB=8          # MiB (blocks) of base
BS=$((NB * 2048))   # its sectors
ok "lvcreate -L ${NB}m -n base" volmgr lvcreate -L ${NB}m -n base "$VG"
T0=$(tables "$DMVG-")
check "base is one linear table ($T0)" has "$T0" "^$DMVG-base: 0 $BS linear vd[a-c] [0-9]*\$"
sect "point in time"
# --- point in time: a snapshot under a writer --------------------------------------------
# Every write is told apart: write i puts 1 MiB of /tmp/F from byte 8 * i (/tmp/F: the
# numbers from 1000000 on, one per 8-byte line) at block i % NB of base, so each block
# starts with the number 1000000 + i of the write it holds, and its md5 says whether it
# holds all of it. Write 0, everywhere, is the initial data. The writer logs the start
# and the end of each write (with /proc/uptime) in /tmp/wlog; lvcreate's start and end
# go to the same log, whose order is the order of these events.
NW=1000
seq 1000000 $((1000000 + MiB / 8 + NW + 64)) >/tmp/F
# win I: the 1 MiB of write I; blocks FIRST N: N MiB, windows FIRST.. (other data
# than the writer's for FIRST > NW)
win() { dd if=/tmp/F bs=1M count=1 skip=$((8 * $1)) iflag=skip_bytes 2>/dev/null; }
blocks() { _k=0; while [ $_k -lt "$2" ]; do win $(($1 + _k)); _k=$((_k + 1)); done; }
for b in $(seq 1 $NB); do win 0; done >/tmp/init
ok "write the initial data (write 0) to base" put /tmp/init base
rm -f /tmp/stop
: >/tmp/wlog
writer() {
	i=0
	while [ ! -e /tmp/stop ] && [ $i -lt $NW ]; do
		i=$((i + 1))
		b=$((i % NB))
		read -r up _ </proc/uptime
		echo "start $i b$b $up" >>/tmp/wlog
		dd if=/tmp/F of="/dev/$VG/base" bs=1M count=1 seek=$b skip=$((8 * i)) iflag=skip_bytes \
			oflag=direct conv=notrunc 2>/dev/null || echo "fail $i b$b" >>/tmp/wlog
		read -r up _ </proc/uptime
		echo "done $i b$b $up" >>/tmp/wlog
	done
}
dones() { grep -c '^done ' /tmp/wlog; }
# waitfor N: until the writer has done N writes (at most ~30 s)
waitfor() {
	_n=0
	while [ "$(dones)" -lt "$1" ] && [ $_n -lt 300 ]; do sleep 0.1; _n=$((_n + 1)); done
}
writer &
WPID=$!
waitfor 5
echo "lvcreate-start" >>/tmp/wlog
ok "lvcreate -s -l 100%ORIGIN -n pit $VG/base (while base is being written)" \
	volmgr lvcreate -s -l 100%ORIGIN -n pit "$VG/base"
echo "lvcreate-end" >>/tmp/wlog
check "/dev/$VG/pit is a block device" [ -b "/dev/$VG/pit" ]
P=$(sum pit)
waitfor $(($(dones) + 20))     # every block rewritten after the snapshot
touch /tmp/stop
wait $WPID
show "$(grep -n -B3 -A3 '^lvcreate-' /tmp/wlog)"
is "the writer's writes all succeeded" "$(grep -c '^fail' /tmp/wlog)" 0
check "the writer went on: 20 writes done after lvcreate returned" \
	[ "$(awk '/^lvcreate-end/ { e = 1 } e && /^done/ { n++ } END { print n + 0 }' /tmp/wlog)" -ge 20 ]
is "pit did not change while base was rewritten" "$(sum pit)" "$P"
# which write each block of pit holds (its first line), and whether it holds all of it
st=$(for b in $(seq 0 $((NB - 1))); do
	dd if="/dev/$VG/pit" of=/tmp/blk bs=1M skip=$b count=1 2>/dev/null
	n=$(($(head -n 1 /tmp/blk) - 1000000))
	[ "$(md5 </tmp/blk)" = "$(win $n | md5)" ] || echo "$b torn"
	echo "$b $n"
done)
torn=$(printf '%s\n' "$st" | awk '$2 == "torn" { printf " %s", $1 }')
st=$(printf '%s\n' "$st" | grep -v torn)
M=$(printf '%s\n' "$st" | awk '$2 > m { m = $2 } END { print m + 0 }')
echo "# pit holds writes up to $M"
# base after write M: block b holds the last write to it up to M, or write 0
want=$(awk -v m="$M" -v nb=$NB 'BEGIN { for (b = 0; b < nb; b++) {
	e = m - ((m - b) % nb + nb) % nb
	print b, (e > 0 ? e : 0) } }')
is "pit = base after write $M: each block holds the last write to it up to $M" "$st" "$want"
is "every block of pit holds all of one write (none is torn)" "$torn" ""
D=$(awk '/^lvcreate-start/ { exit } /^done/ { n = $2 } END { print n + 0 }' /tmp/wlog)
check "pit has every write done before lvcreate began (up to $D; it has up to $M)" [ "$D" -le "$M" ]
check "... and the writer had done some before ($D >= 5)" [ "$D" -ge 5 ]
S=$(awk -v m="$M" '/^lvcreate-end/ { print "after"; exit } $1 == "start" && $2 == m { print "before"; exit }' /tmp/wlog)
is "pit has no write begun after lvcreate returned (write $M began before)" "$S" before
# and base is all of the writer's writes
last=$(awk '/^done/ { n = $2 } END { print n }' /tmp/wlog)
want=$(for b in $(seq 0 $((NB - 1))); do win $((last - ((last - b) % NB + NB) % NB)); done | md5)
is "base holds the writer's last writes (up to $last)" "$(sum base)" "$want"

# the origin overwritten in full: pit (-l 100%ORIGIN) stays valid and the same
blocks $((NW + 1)) $NB >/tmp/o1
ok "overwrite all of base" put /tmp/o1 base
O1=$(md5 </tmp/o1)
drop_caches "/dev/$VG/base" "/dev/$VG/pit"
is "base reads what was written" "$(sum base)" "$O1"
is "pit is still the point in time" "$(sum pit)" "$P"
is "pit: valid, active (volmgr lvs)" "$(attr pit)" "swi-a-s---"
is "pit: valid, active (lvm2 lvs)" "$(llvs -o lv_attr "$VG/pit")" "swi-a-s---"
pct=$(vlvs -o snap_percent "$VG/pit")
check "pit: Snap% below 100 ($pct)" awk -v p="$pct" 'BEGIN { exit !(p + 0 > 80 && p + 0 < 100) }'
# Snap% as lvm2 reports it: the COW's use, its exception tables included, of the COW
want=$(dmsetup status "$DMVG-pit" 2>&1 | awk '{ split($4, u, "/"); printf "%.2f", u[1] * 100 / u[2] }')
is "pit: Snap% equals lvm2's" "$pct" "$(llvs -o snap_percent "$VG/pit")"
is "pit: Snap% from the kernel's status, used / size" "$pct" "$want"
# writes into the snapshot stay there
win $((NW + 17)) >/tmp/sw
ok "write 1 MiB into pit (at MiB 3)" put /tmp/sw pit 3
drop_caches "/dev/$VG/base" "/dev/$VG/pit"
is "base did not change" "$(sum base)" "$O1"
is "pit reads it back" "$(dd if="/dev/$VG/pit" bs=1M skip=3 count=1 2>/dev/null | md5)" "$(md5 </tmp/sw)"
P=$(sum pit)

sect "lvm2: one snapshot"
# --- lvm2 is the judge: one snapshot ---------------------------------------------------------
vgid=$(vgs --noheadings -o vg_uuid "$VG" 2>/dev/null | tr -d ' -')
lvid() { lvs -a --noheadings -o lv_uuid "$VG/$1" 2>/dev/null | tr -d ' -'; }
out=$(lvmeta)
show "$out"
is "metadata (lvm2's vgcfgbackup): the COW LV pit without VISIBLE, snapshot0 its snapshot of base" \
	"$out" "$(printf '%s\n' "base READ,WRITE,VISIBLE striped" "pit READ,WRITE striped" \
		"snapshot0 READ,WRITE,VISIBLE snapshot chunk_size=8 origin=base cow_store=pit")"
T1=$(tables "$DMVG-")
I1=$(ids "$DMVG-")
show "$T1"
is "names and uuids (O = snapshot-origin, O-real, S = snapshot with the COW LV's id, S-cow)" "$I1" \
	"$(printf '%s\n' "$DMVG-base LVM-$vgid$(lvid base)" "$DMVG-base-real LVM-$vgid$(lvid base)-real" \
		"$DMVG-pit LVM-$vgid$(lvid pit)" "$DMVG-pit-cow LVM-$vgid$(lvid pit)-cow")"
check "base: snapshot-origin over base-real" has "$T1" "^$DMVG-base: 0 $BS snapshot-origin $DMVG-base-real\$"
check "pit: snapshot of base-real in pit-cow, persistent, 4 KiB chunks" has "$T1" \
	"^$DMVG-pit: 0 $BS snapshot $DMVG-base-real $DMVG-pit-cow P 8\$"
is "base-real maps what base mapped" "$(printf '%s\n' "$T1" | grep "^$DMVG-base-real:" | sed 's/-real:/:/')" "$T0"
# -l 100%ORIGIN is lvm2's size (lvm2's own lvcreate is compared below)
is "pit: $((NB + 1)) MiB ($NB MiB and the exception store)" "$(vlvs --units b --nosuffix -o lv_size "$VG/pit")" $(((NB + 1) * MiB))
out=$(volmgr vgchange -an "$VG" 2>&1)
is "vgchange -an $VG" "$(echo $out)" "0 logical volume(s) in volume group \"$VG\" now active"
is "no dm device left" "$(ids "$DMVG-")" ""
check "/dev/$VG is gone" [ ! -e "/dev/$VG" ]
ok "lvm2: vgchange -ay $VG" vgchange -q -ay "$VG"
is "lvm2's tables are volmgr's (one snapshot)" "$(tables "$DMVG-")" "$T1"
is "lvm2's names and uuids are volmgr's" "$(ids "$DMVG-")" "$I1"
is "pit through lvm2's devices" "$(sum pit)" "$P"
ok "lvm2: vgchange -an $VG" vgchange -q -an "$VG"
out=$(volmgr vgchange -ay "$VG" 2>&1)
is "vgchange -ay $VG (activated by lvm2 before)" "$(echo $out)" "2 logical volume(s) in volume group \"$VG\" now active"
is "volmgr's tables again" "$(tables "$DMVG-")" "$T1"

sect "two snapshots"
# --- two snapshots -------------------------------------------------------------------------
ok "lvcreate -s -c 64k -L 4m -n s-2 $VG/base" volmgr lvcreate -s -c 64k -L 4m -n s-2 "$VG/base"
blocks $((NW + 18)) 2 >/tmp/o2
ok "write 2 MiB into base (at MiB 5)" dd if=/tmp/o2 of="/dev/$VG/base" bs=1M count=2 seek=5 oflag=direct conv=notrunc
O2=$(sum base)
is "s-2 is base before that write" "$(sum s-2)" "$O1"
is "pit is still the same" "$(sum pit)" "$P"
T2=$(tables "$DMVG-")
I2=$(ids "$DMVG-")
show "$T2"
check "s-2: 64 KiB chunks, in s--2-cow" has "$T2" "^$DMVG-s--2: 0 $BS snapshot $DMVG-base-real $DMVG-s--2-cow P 128\$"
F=lv_name,lv_attr,origin
is "volmgr lvs -o $F as lvm2's" "$(volmgr lvs -o $F "$VG" 2>&1)" "$(lvs -o $F "$VG" 2>&1)"
is "... base, pit and s-2" "$(vlvs -o $F "$VG" | tr '\n' '|')" "base owi-a-s---|pit swi-a-s--- base|s-2 swi-a-s--- base|"
F=vg_name,lv_count,snap_count
is "volmgr vgs -o $F as lvm2's" "$(volmgr vgs -o $F "$VG" 2>&1)" "$(vgs -o $F "$VG" 2>&1)"
is "#SN 2" "$(volmgr vgs --noheadings -o snap_count "$VG" 2>&1 | tr -d ' ')" 2
ok "lvm2: vgck $VG" vgck "$VG"
ok "volmgr vgchange -an $VG" volmgr vgchange -an "$VG"
ok "lvm2: vgchange -ay $VG" vgchange -q -ay "$VG"
is "lvm2's tables are volmgr's (two snapshots)" "$(tables "$DMVG-")" "$T2"
is "lvm2's names and uuids are volmgr's" "$(ids "$DMVG-")" "$I2"
is "s-2 through lvm2's devices" "$(sum s-2)" "$O1"

sect "lvm2 snapshot"
# --- a snapshot lvm2 makes (on the stack lvm2 activated) --------------------------------
ok "lvm2: lvcreate -s -l 100%ORIGIN -n l3 $VG/base" lvcreate -q -y -s -l 100%ORIGIN -n l3 "$VG/base"
out=$(lvmeta | grep "^snapshot2 ")
is "lvm2's snapshot is in the metadata as volmgr's" "$out" \
	"snapshot2 READ,WRITE,VISIBLE snapshot chunk_size=8 origin=base cow_store=l3"
is "lvm2's -l 100%ORIGIN is volmgr's: size, chunk" \
	"$(llvs --units b --nosuffix -o lv_size,chunk_size "$VG/l3")" "$(llvs --units b --nosuffix -o lv_size,chunk_size "$VG/pit")"
is "l3 is base now" "$(sum l3)" "$O2"
T3=$(tables "$DMVG-")
I3=$(ids "$DMVG-")
ok "lvm2: vgchange -an $VG" vgchange -q -an "$VG"
out=$(volmgr vgchange -ay "$VG" 2>&1)
is "volmgr vgchange -ay $VG (with lvm2's snapshot)" "$(echo $out)" "4 logical volume(s) in volume group \"$VG\" now active"
is "volmgr's tables are lvm2's (three snapshots, one made by lvm2)" "$(tables "$DMVG-")" "$T3"
is "volmgr's names and uuids are lvm2's" "$(ids "$DMVG-")" "$I3"
is "volmgr lvs: l3" "$(vlvs -o lv_name,lv_attr,origin "$VG/l3")" "l3 swi-a-s--- base"
is "l3 through volmgr's devices" "$(sum l3)" "$O2"
ok "volmgr lvremove -f $VG/l3 (made by lvm2)" volmgr lvremove -f "$VG/l3"
is "the tables left are lvm2's with two snapshots" "$(tables "$DMVG-")" "$T2"
is "... names and uuids too" "$(ids "$DMVG-")" "$I2"
check "/dev/$VG/l3 is gone" [ ! -e "/dev/$VG/l3" ]
out=$(lvs -a --noheadings -o lv_name "$VG" 2>&1)
is "lvm2 lvs -a: l3 is gone" "$(echo $out)" "base pit s-2"
is "... and its snapshot2" "$(lvmeta | cut -d' ' -f1 | tr '\n' ' ')" "base pit s-2 snapshot0 snapshot1 "
ok "lvm2: vgck $VG" vgck "$VG"
is "pit is the same" "$(sum pit)" "$P"
is "s-2 is the same" "$(sum s-2)" "$O1"

sect "open"
# --- open snapshot, open origin --------------------------------------------------------
exec 3<"/dev/$VG/s-2"
is "s-2 open: lv_attr" "$(attr s-2)" "swi-aos---"
refused "lvremove -f $VG/s-2 (open)" volmgr lvremove -f "$VG/s-2"
refused "vgchange -an $VG (s-2 open)" volmgr vgchange -an "$VG"
refused "lvchange -an $VG/base (s-2 open)" volmgr lvchange -an "$VG/base"
exec 3<&-
exec 3<"/dev/$VG/base"
is "base open: lv_attr" "$(attr base)" "owi-aos---"
refused "lvremove -f $VG/base (open)" volmgr lvremove -f "$VG/base"
refused "vgchange -an $VG (base open)" volmgr vgchange -an "$VG"
refused "lvchange -an $VG/base (base open)" volmgr lvchange -an "$VG/base"
exec 3<&-
is "the tables are unchanged" "$(tables "$DMVG-")" "$T2"

sect "-an -ay"
# --- deactivate, activate, remove one by one ----------------------------------------------
ok "vgchange -an $VG" volmgr vgchange -an "$VG"
is "no dm device left" "$(ids "$DMVG-")" ""
ok "vgchange -ay $VG" volmgr vgchange -ay "$VG"
is "the same tables" "$(tables "$DMVG-")" "$T2"
is "the same names and uuids" "$(ids "$DMVG-")" "$I2"
is "base is the same" "$(sum base)" "$O2"
is "pit is the same" "$(sum pit)" "$P"
is "s-2 is the same" "$(sum s-2)" "$O1"
# snapshots of an origin in use (a mounted filesystem, say) are removed all the same
exec 3<"/dev/$VG/base"
ok "lvremove -f $VG/s-2 (base open)" volmgr lvremove -f "$VG/s-2"
is "the tables are those of one snapshot (lvm2's)" "$(tables "$DMVG-")" "$T1"
is "pit is the same" "$(sum pit)" "$P"
is "base is the same" "$(sum base)" "$O2"
is "#SN 1" "$(volmgr vgs --noheadings -o snap_count "$VG" 2>&1 | tr -d ' ')" 1
ok "lvremove -f $VG/pit (the last one, base open)" volmgr lvremove -f "$VG/pit"
is "base is a plain linear device again, no base-real" "$(tables "$DMVG-")" "$T0"
is "base: still open" "$(attr base)" "-wi-ao----"
exec 3<&-
is "base is the same" "$(sum base)" "$O2"
is "lvm2 lvs: base alone, a plain LV" "$(llvs -a -o lv_name,lv_attr,origin "$VG")" "base -wi-a-----"
is "volmgr lvs: the same" "$(vlvs -o lv_name,lv_attr,origin "$VG")" "base -wi-a-----"

sect "overflow"
# --- overflow ---------------------------------------------------------------------------------
ok "lvcreate -L 16m -n ov" volmgr lvcreate -L 16m -n ov "$VG"
TOV=$(tables "$DMVG-ov")
ok "lvcreate -s -L 2m -c 4k -n small $VG/ov" volmgr lvcreate -s -L 2m -c 4k -n small "$VG/ov"
is "small: valid" "$(attr small)" "swi-a-s---"
blocks $((NW + 20)) 16 >/tmp/o3
ok "write 16 MiB into ov (the COW holds 2 MiB)" put /tmp/o3 ov
drop_caches "/dev/$VG/ov"
is "ov holds what was written" "$(sum ov)" "$(md5 </tmp/o3)"
show "$(dmsetup status "$DMVG-small" 2>&1)"
is "small: invalid, attr 5 'I' (volmgr lvs)" "$(attr small)" "swi-I-s---"
is "small: invalid, attr 5 'I' (lvm2 lvs)" "$(llvs -o lv_attr "$VG/small")" "swi-I-s---"
is "small: Snap% 100.00 (volmgr lvs)" "$(vlvs -o snap_percent "$VG/small")" "100.00"
ok "lvremove -f $VG/small (invalid)" volmgr lvremove -f "$VG/small"
is "ov is a plain linear device again" "$(tables "$DMVG-ov")" "$TOV"
is "no ov-real, no small left" "$(ids "$DMVG-" | cut -d' ' -f1 | tr '\n' ' ')" "$DMVG-base $DMVG-ov "
is "ov holds what was written" "$(sum ov)" "$(md5 </tmp/o3)"
is "#SN 0" "$(volmgr vgs --noheadings -o snap_count "$VG" 2>&1 | tr -d ' ')" 0
ok "lvm2: vgck $VG" vgck "$VG"

# --- vgrename with a snapshot stack active ----------------------------------------------------
sect "vgrename"
ok "lvcreate -s -L 4m -n last $VG/base" volmgr lvcreate -s -L 4m -n last "$VG/base"
T4=$(tables "$DMVG-")
I4=$(ids "$DMVG-")
ok "vgrename $VG snap-vg2 (base, last active)" volmgr vgrename "$VG" snap-vg2
VG=snap-vg2
is "the dm devices are renamed, the layers too, same uuids" "$(ids snap--vg2-)" \
	"$(printf '%s\n' "$I4" | sed "s/^$DMVG-/snap--vg2-/")"
is "... same tables" "$(tables snap--vg2-)" "$(printf '%s\n' "$T4" | sed "s/$DMVG-/snap--vg2-/g")"
is "nothing left under the old name" "$(ids "$DMVG-")" ""
is "last reads the same" "$(sum last)" "$O2"
is "lvm2 lvs: base and last as before" "$(llvs -o lv_name,lv_attr,origin "$VG")" "base owi-a-s---
last swi-a-s--- base
ov -wi-a-----"
DMVG=snap--vg2
T4=$(printf '%s\n' "$T4" | sed "s/snap--vg-/$DMVG-/g")
ok "vgchange -an $VG" volmgr vgchange -an "$VG"
is "no dm device left" "$(ids snap--vg)" ""
ok "vgchange -ay $VG" volmgr vgchange -ay "$VG"
is "the tables of before, renamed" "$(tables "$DMVG-")" "$T4"
is "last reads the same" "$(sum last)" "$O2"

# --- what an origin with snapshots and a snapshot cannot do (last: a bug here breaks the stack)
sect "refusals"
refused "lvremove -f $VG/base (it has snapshots)" volmgr lvremove -f "$VG/base"
refused "lvrename $VG/base (it has snapshots)" volmgr lvrename "$VG/base" "$VG/other"
refused "lvreduce -f -L -1m $VG/last (a snapshot's COW cannot shrink)" volmgr lvreduce -f -L -1m "$VG/last"
refused "lvextend -L +1m $VG/base (it has snapshots)" volmgr lvextend -L +1m "$VG/base"
is "the tables are unchanged" "$(tables "$DMVG-")" "$T4"
ok "write 1 MiB into base (at MiB 0)" put /tmp/sw base
drop_caches "/dev/$VG/last"
is "last is still base before that write" "$(sum last)" "$O2"
ok "vgchange -an $VG" volmgr vgchange -an "$VG"
is "no dm device left" "$(ids "$DMVG-")" ""
sect end
finish
