#!/bin/bash
# A damaged copy of the metadata text on one PV of two: reads keep working
# from the good copy, vgck reports the damaged area, vgck --updatemetadata
# rewrites it, and lvm2 agrees at every step.
. "$(dirname "$0")/lib.sh"

setup_loops 2 16
ok "vgcreate dvg on two PVs" "$V" vgcreate -s 1m dvg "$D1" "$D2"
ok "lvcreate dvg/a" "$V" lvcreate -an -l 2 -n a dvg
ok "lvcreate dvg/b" "$V" lvcreate -an -l 3 -n b dvg
before=$("$V" lvs --noheadings -o lv_name,lv_size,devices dvg 2>&1)

# the ring text the header of D2's metadata area points at: damage one byte of it
hdr=$(dd if="$D2" bs=512 skip=8 count=1 2>/dev/null | od -An -tu8 -j40 -N16)
read -r off size <<< "$hdr"
[ -n "$off" ] && [ "$size" -gt 100 ] || { failed "cannot read D2's metadata area header"; finish; exit 1; }
# (byte 20 falls in the random VG id: it may be an 'X' already, 1 time in 62)
was=$(dd if="$D2" bs=1 skip=$((4096 + off + 20)) count=1 2>/dev/null)
new=X
[ "$was" = X ] && new=Y
printf '%s' "$new" | dd of="$D2" bs=1 seek=$((4096 + off + 20)) conv=notrunc,fsync 2>/dev/null
blockdev --flushbufs "$D2"

same "lvs still reads dvg (the copy on D1)" "$("$V" lvs --noheadings -o lv_name,lv_size,devices dvg 2>&1)" "$before"
err=$("$V" vgck dvg 2>&1 >/dev/null); rc=$?
if [ $rc -ne 0 ] && [[ $err == *"$D2"*"damaged"* ]]; then pass "vgck reports the damaged area on D2 (exit $rc)"
else failed "vgck did not report D2's damaged area (exit $rc): $err"; fi
ok "lvm2 still reads dvg from the good copy" vgs dvg
ok "vgck --updatemetadata rewrites it" "$V" vgck --updatemetadata dvg
ok "volmgr vgck is clean afterwards" "$V" vgck dvg
err=$(vgck dvg 2>&1 | grep -v "WARNING: Activation disabled\|leaked on")
same "lvm2 vgck is clean afterwards" "$err" ""
same "the LVs are as before" "$("$V" lvs --noheadings -o lv_name,lv_size,devices dvg 2>&1)" "$before"
finish
