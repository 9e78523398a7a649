#!/bin/sh
# shellcheck disable=SC2034,SC2086,SC2116  # TNAME is for lib.sh; $(echo $x) squashes blanks
# Guest test (tests/vm/run --disks 3 tests/vm/t_activate.sh): volmgr activates LVs
# through device-mapper the way lvm2 does.
#  - bytes written through /dev/VG/LV are on the PV at pe_start + pe * extent_size
#    (linear, three segments over two PVs, striped), read at raw disk offsets;
#  - dm names and uuids, and the tables, are those lvm2 makes for the same metadata:
#    lvm2 is the judge, both ways (volmgr activates and deactivates what lvm2 made and
#    activated, and the other way round);
#  - an open LV is neither removed nor deactivated; a missing PV; lvcreate's zeroing
#    and signature wiping; lvrename / vgrename of active LVs; vgreduce --removemissing -f
#    of active LVs.
TNAME=vm_activate
. /test/lib.sh
export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D1,$D2,$D3"
mkdir -p /tmp/vm
VG=my-vg
DMVG=my--vg

# lvsb ARGS...: volmgr lvs without headings, sizes in bytes, '|' between fields.
lvsb() { volmgr lvs --noheadings --nosuffix --units b --separator '|' "$@" 2>&1 | sed 's/^ *//; s/ *$//'; }
# lvm2 lvs the same way
l2lvsb() { lvs --noheadings --nosuffix --units b --separator '|' "$@" 2>&1 | sed 's/^ *//; s/ *$//'; }
# has TEXT RE: a line of TEXT matches RE (grep)
has() { printf '%s\n' "$1" | grep -q -- "$2"; }
seqno() { volmgr vgs --noheadings -o vg_seqno "$1" 2>&1 | tr -d ' '; }
EXT=1048576   # 1 MiB extents: little data to write and compare under emulation

# placed LV TAG: the LV holds `sectors TAG 0 N`; every segment (every stripe of it) is
# found on its PV at pe_start + pe * extent_size, as volmgr reports the segments.
placed() {
	lvsb -o seg_start_pe,seg_size_pe,stripes,stripe_size,seg_pe_ranges "$VG/$1" >/tmp/segs
	[ -s /tmp/segs ] || failed "$1: no segments reported"
	while IFS='|' read -r start size nstr ssize ranges; do
		k=0
		for r in $ranges; do    # /dev/vdb:2-3
			dev=${r%:*} pe=${r##*:}
			pe=${pe%-*}
			ps=$(volmgr pvs --noheadings --nosuffix --units b -o pe_start "$dev" </dev/null 2>&1 | tr -d ' ')
			per=$((size / nstr))    # extents per stripe
			bytes=$((per * EXT)) chunk=0
			[ "$nstr" -gt 1 ] && chunk=$((ssize / 512))
			want=$(sectors "$2" $((start * EXT / 512)) $((bytes / 512)) "$nstr" $k $chunk | md5)
			got=$(raw "$dev" $((ps + pe * EXT)) $bytes | md5)
			is "$1: LE $start+$size stripe $k of $nstr is at $dev byte $ps + $pe * $EXT" "$got" "$want"
			k=$((k + 1))
		done
	done </tmp/segs
}

# fill LV TAG: write `sectors TAG 0 N` over all of the LV (N: its size), fsync'd.
fill() {
	_b=$(blockdev --getsize64 "/dev/$VG/$1" 2>&1)
	if [ -b "/dev/$VG/$1" ] && sectors "$2" 0 $((_b / 512)) |
		dd of="/dev/$VG/$1" bs=1M iflag=fullblock conv=fsync 2>/dev/null; then
		pass "wrote $_b bytes to /dev/$VG/$1"
	else
		failed "write to /dev/$VG/$1 ($_b bytes)"
	fi
}

# intact DESC DEV TAG SECTORS: DEV reads `sectors TAG 0 SECTORS`.
intact() {
	is "$1" "$(dd if="$2" bs=1M count=$(($4 / 2048)) 2>/dev/null | md5)" "$(sectors "$3" 0 "$4" | md5)"
}

# --- a VG with a linear, a three-segment and a striped LV, made by volmgr -----------
ok "pvcreate $D1 $D2 $D3" volmgr pvcreate "$D1" "$D2" "$D3"
ok "vgcreate -s 1m $VG" volmgr vgcreate -s 1m "$VG" "$D1" "$D2" "$D3"
ok "lvcreate -L 2m -n lin $D1" volmgr lvcreate -L 2m -n lin "$VG" "$D1"
ok "lvcreate -L 1m -n multi-lv $D1" volmgr lvcreate -L 1m -n multi-lv "$VG" "$D1"
ok "lvcreate -L 1m -n gap $D1" volmgr lvcreate -L 1m -n gap "$VG" "$D1"
ok "lvextend -L 2m multi-lv onto $D2" volmgr lvextend -L 2m "$VG/multi-lv" "$D2"
ok "lvextend -L 3m multi-lv onto $D1 again" volmgr lvextend -L 3m "$VG/multi-lv" "$D1"
ok "lvcreate -i 2 -I 64k -L 4m -n str $D2 $D3" volmgr lvcreate -i 2 -I 64k -L 4m -n str "$VG" "$D2" "$D3"
out=$(lvsb -o lv_name,seg_pe_ranges "$VG/multi-lv")
is "multi-lv has three segments: $D1, $D2, $D1" "$(echo $out)" \
	"multi-lv|$D1:2-2 multi-lv|$D2:0-0 multi-lv|$D1:4-4"
is "str: 2 stripes of 64 KiB" "$(lvsb -o stripes,stripe_size "$VG/str")" "2|65536"
# volmgr's reports of where things are, checked against lvm2's (the tests below go by them)
is "pe_start as lvm2 reports it" \
	"$(volmgr pvs --noheadings --nosuffix --units b -o pv_name,pe_start "$D1" "$D2" "$D3" 2>&1 | tr -s ' ')" \
	"$(pvs --noheadings --nosuffix --units b -o pv_name,pe_start "$D1" "$D2" "$D3" 2>&1 | tr -s ' ')"
F='seg_start_pe,seg_size_pe,stripes,stripe_size,seg_pe_ranges'
for lv in lin multi-lv str; do
	is "$lv: segments as lvm2 reports them" "$(lvsb -o "$F" "$VG/$lv")" "$(l2lvsb --segments -o "$F" "$VG/$lv")"
done

# --- and two LVs lvm2 makes in it, inactive --------------------------------------------
ok "lvm2: lvcreate -an -Zn -L 2m -n lvm-lin $D3" lvcreate -q -y -an -Zn -L 2m -n lvm-lin "$VG" "$D3"
ok "lvm2: lvcreate -an -Zn -i 2 -I 128k -L 2m -n lvm-str $D1 $D3" \
	lvcreate -q -y -an -Zn -i 2 -I 128k -L 2m -n lvm-str "$VG" "$D1" "$D3"
check "lvm2 left lvm-lin inactive" sh -c "! dmsetup info $DMVG-lvm--lin >/dev/null 2>&1"

# --- volmgr activates it all ---------------------------------------------------------------
out=$(volmgr vgchange -ay "$VG" 2>&1)
is "vgchange -ay $VG" "$(echo $out)" "6 logical volume(s) in volume group \"$VG\" now active"
LVS="gap lin lvm-lin lvm-str multi-lv str"
for lv in $LVS; do
	check "/dev/$VG/$lv is a block device" [ -b "/dev/$VG/$lv" ]
done
# dm names and uuids: VG-LV with '-' doubled, LVM- + VG id + LV id (as lvm2 reports them)
vgid=$(vgs --noheadings -o vg_uuid "$VG" 2>/dev/null | tr -d ' -')
want=$(lvs --noheadings --separator ' ' -o lv_name,lv_uuid "$VG" 2>/dev/null | while read -r n u; do
	echo "$DMVG-$(echo "$n" | sed 's/-/--/g') LVM-$vgid$(echo "$u" | tr -d -)"
done | sort)
is "dm names and uuids" "$(dm_ids "$DMVG-")" "$want"
check "the dm name of multi-lv is my--vg-multi--lv" has "$(dm_ids)" "^my--vg-multi--lv LVM-"
# lvm2 sees volmgr's activation
out=$(lvs --noheadings -o lv_name,lv_attr,lv_active "$VG" 2>&1)
is "lvm2 lvs: all active" "$(echo $out)" \
	"gap -wi-a----- active lin -wi-a----- active lvm-lin -wi-a----- active lvm-str -wi-a----- active multi-lv -wi-a----- active str -wi-a----- active"
F=lv_name,lv_attr,lv_active,lv_kernel_major,lv_kernel_minor,lv_dm_path,lv_path
is "volmgr lvs -o $F as lvm2's" "$(volmgr lvs -o $F "$VG" 2>&1)" "$(lvs -o $F "$VG" 2>&1)"
mm=$(dmsetup info -c --noheadings --separator : -o major,minor "$DMVG-str" 2>&1)
is "str's kernel major:minor" "$(lvsb -o lv_kernel_major,lv_kernel_minor "$VG/str" | tr '|' :)" "$mm"

# --- where the bytes go ------------------------------------------------------------------
fill lin lin
fill multi-lv multi
fill str str
fill lvm-lin lvmlin
fill lvm-str lvmstr
drop_caches "$D1" "$D2" "$D3"
placed lin lin
placed multi-lv multi
placed str str
placed lvm-lin lvmlin
placed lvm-str lvmstr
# the chunks of str alternate between the PVs: chunk 5 (LV byte 5 * 64 KiB) is the
# third chunk on the second stripe's PV
r2=$(lvsb -o seg_pe_ranges "$VG/str" | cut -d' ' -f2)
d=${r2%:*} pe=${r2##*:}
pe=${pe%-*}
ps=$(volmgr pvs --noheadings --nosuffix --units b -o pe_start "$d" 2>&1 | tr -d ' ')
is "str: LV bytes 320K-384K are at $d byte $ps + $pe * $EXT + 128K" \
	"$(raw "$d" $((ps + pe * EXT + 131072)) 65536 | md5)" "$(sectors str 640 128 | md5)"

TVM=$(dm_tables "$DMVG-")
IVM=$(dm_ids "$DMVG-")
printf '%s\n' "$TVM" | sed 's/^/# /'
check "the tables have striped 2 128 (64 KiB)" has "$TVM" "^$DMVG-str: 0 8192 striped 2 128 vd. [0-9]* vd. [0-9]*\$"
check "... and linear on vdb" has "$TVM" "^$DMVG-multi--lv: 2048 2048 linear vdb [0-9]*\$"

# --- lvm2 is the judge -------------------------------------------------------------------
out=$(volmgr vgchange -an "$VG" 2>&1)
is "vgchange -an $VG" "$(echo $out)" "0 logical volume(s) in volume group \"$VG\" now active"
is "no dm device left" "$(dm_ids "$DMVG-")" ""
check "/dev/$VG is gone" [ ! -e "/dev/$VG" ]
ok "lvm2: vgchange -ay $VG" vgchange -q -ay "$VG"
is "lvm2's tables are volmgr's" "$(dm_tables "$DMVG-")" "$TVM"
is "lvm2's dm names and uuids are volmgr's" "$(dm_ids "$DMVG-")" "$IVM"
intact "str reads back through lvm2's device" "/dev/$VG/str" str 8192
ok "volmgr lvchange -an $VG/lin (activated by lvm2)" volmgr lvchange -an "$VG/lin"
check "$DMVG-lin and /dev/$VG/lin are gone" \
	sh -c "! dmsetup info $DMVG-lin >/dev/null 2>&1 && [ ! -e /dev/$VG/lin ] && [ ! -e /dev/mapper/$DMVG-lin ]"
out=$(volmgr lvs --noheadings -o lv_name,lv_attr "$VG/lin" "$VG/str" 2>&1)
is "volmgr lvs: lin inactive, str active" "$(echo $out)" "lin -wi------- str -wi-a-----"
ok "volmgr vgchange -an $VG (activated by lvm2)" volmgr vgchange -an "$VG"
is "no dm device left" "$(dm_ids "$DMVG-")" ""
check "/dev/$VG is gone" [ ! -e "/dev/$VG" ]
ok "volmgr vgchange -ay $VG" volmgr vgchange -ay "$VG"
ok "lvm2: vgchange -an $VG (activated by volmgr)" vgchange -q -an "$VG"
is "no dm device left" "$(dm_ids "$DMVG-")" ""
check "/dev/$VG is gone" [ ! -e "/dev/$VG" ]
ok "volmgr lvchange -ay $VG/lvm-str $VG/multi-lv" volmgr lvchange -ay "$VG/lvm-str" "$VG/multi-lv"
is "their tables" "$(dm_tables "$DMVG-")" "$(printf '%s\n' "$TVM" | grep -E "^$DMVG-(lvm--str|multi--lv):")"
ok "volmgr vgchange -ay $VG" volmgr vgchange -ay "$VG"
is "the tables again" "$(dm_tables "$DMVG-")" "$TVM"
# --refresh loads the table from the metadata again (here: over a stale, shorter one)
ok "dmsetup: make lin's table stale (1 MiB)" sh -c "dmsetup suspend $DMVG-lin &&
	dmsetup reload $DMVG-lin --table '0 2048 linear $D1 16384' && dmsetup resume $DMVG-lin"
is "lin is 1 MiB" "$(blockdev --getsize64 "/dev/$VG/lin" 2>&1)" 1048576
ok "lvchange --refresh $VG/lin" volmgr lvchange --refresh "$VG/lin"
is "lin's table is back" "$(dm_tables "$DMVG-lin:")" "$(printf '%s\n' "$TVM" | grep "^$DMVG-lin:")"
is "lin is 2 MiB" "$(blockdev --getsize64 "/dev/$VG/lin" 2>&1)" 2097152
ok "vgchange --refresh $VG" volmgr vgchange --refresh "$VG"
is "the tables again" "$(dm_tables "$DMVG-")" "$TVM"

# --- an open LV stays ------------------------------------------------------------------------
s0=$(seqno "$VG")
exec 3<"/dev/$VG/lin"
is "lv_attr of an open LV" "$(lvsb -o lv_attr "$VG/lin")" "-wi-ao----"
check "lvdisplay: # open 1" sh -c "volmgr lvdisplay $VG/lin 2>&1 | grep -Eq '^ *# open +1\$'"
for c in "lvremove -f $VG/lin" "lvchange -an $VG/lin" "vgchange -an $VG"; do
	out=$(volmgr $c 2>&1)
	rc=$?
	is "$c of an open LV: exit 5" $rc 5
	is "$c: one line" "$(printf '%s\n' "$out" | wc -l)" 1
	check "$c: says lin is in use ($out)" has "$out" 'lin.* in use\|in use.*lin'
	is "$c: dm devices unchanged" "$(dm_ids "$DMVG-")" "$IVM"
	is "$c: metadata unchanged" "$(seqno "$VG")" "$s0"
done
exec 3<&-
is "lv_attr once closed" "$(lvsb -o lv_attr "$VG/lin")" "-wi-a-----"
intact "lin intact" "/dev/$VG/lin" lin 4096

# --- a missing PV ($D2) -----------------------------------------------------------------------
# LVs not on $D2: lin, gap (on $D1), lvm-lin (on $D3), lvm-str (on $D1 and $D3)
ok "vgchange -an $VG" volmgr vgchange -an "$VG"
out=$(VOLMGR_DEVICES="$D1,$D3" volmgr lvchange -ay "$VG/multi-lv" 2>&1)
rc=$?
check "without $D2: lvchange -ay multi-lv fails (exit $rc)" [ "$rc" -ne 0 ]
err=$(printf '%s\n' "$out" | grep -v '^ *WARNING: ')
is "... with one line (besides warnings)" "$(printf '%s\n' "$err" | wc -l)" 1
check "... naming multi-lv and $D2 ($err)" has "$err" "multi-lv.*$D2"
is "... and no dm device is left" "$(dm_ids "$DMVG-")" ""
out=$(VOLMGR_DEVICES="$D1,$D3" volmgr vgchange -ay "$VG" 2>&1)
rc=$?
check "without $D2: vgchange -ay fails (exit $rc)" [ "$rc" -ne 0 ]
check "... activating 4 LVs" has "$out" "4 logical volume(s) in volume group \"$VG\" now active"
is "... those not on $D2, with their usual tables" "$(dm_tables "$DMVG-")" \
	"$(printf '%s\n' "$TVM" | grep -E "^$DMVG-(gap|lin|lvm--lin|lvm--str):")"
intact "lin reads back" "/dev/$VG/lin" lin 4096
ok "without $D2: lvchange -ay --activationmode partial multi-lv" \
	env VOLMGR_DEVICES="$D1,$D3" volmgr lvchange -ay --activationmode partial "$VG/multi-lv"
is "multi-lv: its part on $D2 is an error target" "$(dm_tables "$DMVG-multi--lv:")" \
	"$(printf '%s\n' "$TVM" | grep "^$DMVG-multi--lv:" | awk '$5 == "vdb" { $4 = "error"; NF = 4 } { print }')"
intact "multi-lv: its first MiB (on $D1) reads back" "/dev/$VG/multi-lv" multi 2048
check "multi-lv: reading its part on $D2 fails" \
	sh -c "! dd if=/dev/$VG/multi-lv of=/dev/null bs=4096 skip=256 count=1 iflag=direct 2>/dev/null"
is "multi-lv: its last MiB (on $D1) reads back" \
	"$(dd if="/dev/$VG/multi-lv" bs=1M skip=2 count=1 2>/dev/null | md5)" "$(sectors multi 4096 2048 | md5)"
ok "without $D2: vgchange -an" env VOLMGR_DEVICES="$D1,$D3" volmgr vgchange -an "$VG"
is "no dm device left" "$(dm_ids "$DMVG-")" ""
is "activating with a PV missing wrote no metadata" "$(seqno "$VG")" "$s0"
ok "with $D2 back: vgchange -ay" volmgr vgchange -ay "$VG"
is "the tables again" "$(dm_tables "$DMVG-")" "$TVM"

# --- lvcreate zeroes the start of a new LV, wipes signatures -------------------------------
ok "lvcreate -an -Zn -L 1m -n z $D3 (to see where it goes)" volmgr lvcreate -an -Zn -L 1m -n z "$VG" "$D3"
zr=$(lvsb -o seg_pe_ranges "$VG/z")
zpe=${zr##*:}
zpe=${zpe%-*}
zps=$(volmgr pvs --noheadings --nosuffix --units b -o pe_start "$D3" 2>&1 | tr -d ' ')
ZOFF=$((zps + zpe * EXT))
ok "lvremove $VG/z" volmgr lvremove -y "$VG/z"
old() {   # put 8 KiB of old data where z goes
	sectors old 0 16 | dd of="$D3" bs=4096 seek=$((ZOFF / 4096)) conv=notrunc,fsync 2>/dev/null
	drop_caches "$D3"
}
old
ok "lvcreate -L 1m -n z $D3 (active, -Z y by default)" volmgr lvcreate -L 1m -n z "$VG" "$D3"
is "z is where it was" "$(lvsb -o seg_pe_ranges "$VG/z")" "$zr"
drop_caches "/dev/$VG/z" "$D3"
ZERO=$(dd if=/dev/zero bs=4096 count=1 2>/dev/null | md5)
is "z: the first 4 KiB read zeros" "$(dd if="/dev/$VG/z" bs=4096 count=1 2>/dev/null | md5)" "$ZERO"
is "... on the disk too" "$(raw "$D3" $ZOFF 4096 | md5)" "$ZERO"
is "z: the next 4 KiB keep the old data" "$(raw "$D3" $((ZOFF + 4096)) 4096 | md5)" "$(sectors old 8 8 | md5)"
out=$(volmgr lvremove "$VG/z" </dev/null 2>&1)
rc=$?
check "lvremove of the active z without -y, no answer: not removed (exit $rc)" [ $rc -ne 0 ]
check "... z is still active and in the VG" sh -c "dmsetup info $DMVG-z >/dev/null 2>&1 && volmgr lvs $VG/z >/dev/null 2>&1"
ok "lvremove -y $VG/z (active)" volmgr lvremove -y "$VG/z"
old
ok "lvcreate -Zn -L 1m -n z $D3" volmgr lvcreate -Zn -L 1m -n z "$VG" "$D3"
is "z (-Zn): the old data is kept" "$(dd if="/dev/$VG/z" bs=4096 count=2 2>/dev/null | md5)" "$(sectors old 0 16 | md5)"
ok "mkfs.ext4 on z" mkfs.ext4 -q "/dev/$VG/z"
magic() { dd if="$1" bs=1 skip=1080 count=2 2>/dev/null | od -An -tx1 | tr -d ' '; }
is "ext4 magic at 1080" "$(magic "/dev/$VG/z")" 53ef
ok "lvremove -y $VG/z" volmgr lvremove -y "$VG/z"
ok "lvcreate -Zn -Wn -L 1m -n z $D3" volmgr lvcreate -y -Zn -Wn -L 1m -n z "$VG" "$D3"
ok "-Wn: the ext4 is still there" dumpe2fs -h "/dev/$VG/z"
ok "lvremove -y $VG/z" volmgr lvremove -y "$VG/z"
ok "lvcreate -Zn -Wy -L 1m -n z $D3" volmgr lvcreate -y -Zn -Wy -L 1m -n z "$VG" "$D3"
is "z is where it was" "$(lvsb -o seg_pe_ranges "$VG/z")" "$zr"
check "-Wy: no ext4 found" sh -c "! dumpe2fs -h /dev/$VG/z >/dev/null 2>&1"
is "-Wy: no ext4 magic at 1080" "$(magic "/dev/$VG/z")" 0000
ok "mkfs.ext4 on z" mkfs.ext4 -q "/dev/$VG/z"
ok "lvremove -y $VG/z" volmgr lvremove -y "$VG/z"
ok "lvcreate -L 1m -n z $D3 (-Z y, -W y by default)" volmgr lvcreate -y -L 1m -n z "$VG" "$D3"
check "no ext4 found" sh -c "! dumpe2fs -h /dev/$VG/z >/dev/null 2>&1"
ok "lvremove -y $VG/z" volmgr lvremove -y "$VG/z"

# --- renames of active LVs ----------------------------------------------------------------
IVM=$(dm_ids "$DMVG-")
ok "lvrename $VG/lin $VG/lin-2 (active)" volmgr lvrename "$VG/lin" "$VG/lin-2"
is "the dm device is renamed, same uuid" "$(dm_ids "$DMVG-")" \
	"$(printf '%s\n' "$IVM" | sed "s/^$DMVG-lin /$DMVG-lin--2 /" | sort)"
check "/dev/$VG/lin and /dev/mapper/$DMVG-lin are gone" sh -c "[ ! -e /dev/$VG/lin ] && [ ! -e /dev/mapper/$DMVG-lin ]"
check "/dev/$VG/lin-2 is a block device" [ -b "/dev/$VG/lin-2" ]
intact "lin-2 reads what lin held" "/dev/$VG/lin-2" lin 4096
out=$(lvs --noheadings -o lv_name,lv_active "$VG/lin-2" 2>&1)
is "lvm2: lin-2 is active" "$(echo $out)" "lin-2 active"
IVM=$(dm_ids "$DMVG-")
TVM=$(dm_tables "$DMVG-")
ok "vgrename $VG new-vg (active)" volmgr vgrename "$VG" new-vg
is "the dm devices are renamed, same uuids" "$(dm_ids new--vg-)" "$(printf '%s\n' "$IVM" | sed "s/^$DMVG-/new--vg-/")"
is "... same tables" "$(dm_tables new--vg-)" "$(printf '%s\n' "$TVM" | sed "s/^$DMVG-/new--vg-/")"
is "nothing left under the old name" "$(dm_ids "$DMVG-")" ""
check "/dev/$VG is gone" [ ! -e "/dev/$VG" ]
check "/dev/new-vg/lin-2 and /dev/new-vg/str are block devices" sh -c "[ -b /dev/new-vg/lin-2 ] && [ -b /dev/new-vg/str ]"
intact "new-vg/lin-2 reads what lin held" /dev/new-vg/lin-2 lin 4096
intact "new-vg/str reads what str held" /dev/new-vg/str str 8192
VG=new-vg

# --- vgreduce --removemissing -f with LVs active: those on the lost PV go down first ----------
# on $D2: multi-lv, str; the others stay (lin-2, gap on $D1, lvm-lin on $D3, lvm-str on $D1 $D3)
ok "vgchange -ay new-vg" volmgr vgchange -ay new-vg
TVM=$(dm_tables new--vg-)
s0=$(seqno new-vg)
exec 3<"/dev/new-vg/str"
out=$(VOLMGR_DEVICES="$D1,$D3" volmgr vgreduce --removemissing -f new-vg 2>&1)
rc=$?
is "without $D2, str open: vgreduce --removemissing -f fails, exit 5" $rc 5
check "... saying str is in use ($out)" has "$out" "str.* in use\|in use.*str"
is "... no metadata written" "$(seqno new-vg)" "$s0"
check "... str is still active" has "$(dm_ids new--vg-)" "^new--vg-str "
exec 3<&-
ok "without $D2: vgreduce --removemissing -f new-vg" \
	env VOLMGR_DEVICES="$D1,$D3" volmgr vgreduce --removemissing -f new-vg
is "the LVs on $D2 left the VG" "$(VOLMGR_DEVICES="$D1,$D3" volmgr lvs --noheadings -o lv_name new-vg 2>&1 | xargs)" \
	"gap lin-2 lvm-lin lvm-str"
is "... and the kernel: the others keep their tables" "$(dm_tables new--vg-)" \
	"$(printf '%s\n' "$TVM" | grep -Ev "^new--vg-(multi--lv|str):")"
intact "lin-2 still reads what lin held" /dev/new-vg/lin-2 lin 4096
out=$(volmgr vgck new-vg 2>&1)
rc=$?
check "$D2 back: vgck fails (exit $rc)" [ $rc -ne 0 ]
check "... calling $D2 outdated ($out)" has "$out" "$D2: outdated"
ok "vgck --updatemetadata new-vg clears $D2" volmgr vgck --updatemetadata new-vg
ok "volmgr vgck new-vg is clean" volmgr vgck new-vg
is "lvm2 vgck new-vg is clean, $D2 included" "$(vgck new-vg 2>&1)" ""
is "lvm2 lists the same LVs" "$(lvs --noheadings -o lv_name new-vg 2>&1 | xargs)" "gap lin-2 lvm-lin lvm-str"
ok "vgextend new-vg $D2" volmgr vgextend new-vg "$D2"
ok "vgchange -an new-vg" volmgr vgchange -an new-vg
is "no dm device left" "$(dm_ids new--vg-)" ""
finish
