#!/bin/bash
# Concurrency. Two writers change one VG at the same time (each alternates
# lvcreate of its next LV and lvremove of its previous one) while a third
# process reads lvs/vgs in a loop: every command succeeds, no update is lost,
# the seqno counts exactly the commits, readers never see it go back, and
# lvm2 agrees with the result. Then: a VG's lock does not block commands on
# another VG, and does block commands on its own VG.
. "$(dirname "$0")/lib.sh"

setup_loops 3 256

fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
flt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

M=110                   # LVs per writer: 2*M-1 = 219 commands each
VG=cvg
OVG=ovg
ok "vgcreate $VG on two PVs" "$V" vgcreate -s 1m $VG "$D1" "$D2"
ok "vgcreate $OVG on a third" "$V" vgcreate -s 1m $OVG "$D3"
seq0=$("$V" vgs --noheadings -o vg_seqno $VG | tr -d ' ')

# writer P: lvcreate P_1; then for i = 2..M: lvremove P_(i-1) after lvcreate P_i.
# One line per command: "rc command LV time | output" (time: when it ended).
writer() {
	local p=$1 i out rc
	for ((i = 1; i <= M; i++)); do
		out=$("$V" lvcreate -l 1 -n "${p}_$i" $VG 2>&1)
		rc=$?
		echo "$rc lvcreate ${p}_$i $EPOCHREALTIME | $(echo $out)"
		[ $i -gt 1 ] || continue
		out=$("$V" lvremove -f "$VG/${p}_$((i - 1))" 2>&1)
		rc=$?
		echo "$rc lvremove ${p}_$((i - 1)) $EPOCHREALTIME | $(echo $out)"
	done > "$TESTDIR/log.$p"
}

# reader: vgs (all VGs) and lvs VG until told to stop; one line per read:
# "vgs_rc lvs_rc seqno lv_count lvs_lines | stderr". Under the VG lock a
# reader sees committed states only: no error and no warning.
reader() {
	local out rc rc2 seq cnt n lvs_out err
	while [ ! -e "$TESTDIR/stop" ]; do
		# all VGs (a scan of every device), then the one VG by name
		out=$("$V" vgs --noheadings -o vg_name,vg_seqno,lv_count 2>"$TESTDIR/rerr1")
		rc=$?
		read -r _ seq cnt <<< "$(printf '%s\n' "$out" | grep " $VG ")"
		lvs_out=$("$V" lvs --noheadings -o lv_name $VG 2>"$TESTDIR/rerr2")
		rc2=$?
		n=$(printf '%s\n' "$lvs_out" | grep -c .)
		err=$(cat "$TESTDIR/rerr1" "$TESTDIR/rerr2")
		echo "$rc $rc2 ${seq:-none} ${cnt:-none} $n |${err:+ $(echo $err)}"
	done > "$TESTDIR/log.reader"
}

t0=$EPOCHREALTIME
reader &
rpid=$!
writer pA &
apid=$!
writer pB &
bpid=$!
wait $apid
wait $bpid
touch "$TESTDIR/stop"
wait $rpid
t1=$EPOCHREALTIME
echo "# writers took $(fsub "$t1" "$t0") s"

ncmd=$(cat "$TESTDIR/log.pA" "$TESTDIR/log.pB" | wc -l)
nfail=$(cat "$TESTDIR/log.pA" "$TESTDIR/log.pB" | grep -vc '^0 ')
nok=$((ncmd - nfail))
if [ "$ncmd" -eq $((2 * (2 * M - 1))) ] && [ "$nfail" -eq 0 ]; then
	pass "$ncmd concurrent lvcreate/lvremove commands all exited 0"
else
	failed "$nfail of $ncmd concurrent commands failed (of $((2 * (2 * M - 1))) expected):
$(grep -hv '^0 ' "$TESTDIR/log.pA" "$TESTDIR/log.pB" | head -20)"
fi

# The writers really ran at the same time: ordered by time, their commands
# alternate between A and B many times.
switches=$(cat "$TESTDIR/log.pA" "$TESTDIR/log.pB" | sort -k4,4n |
	awk '{ w = substr($3, 1, 2); if (NR > 1 && w != last) n++; last = w } END { print n + 0 }')
if [ "$switches" -ge 20 ]; then pass "the writers interleaved ($switches switches between A and B)"
else failed "the writers hardly overlapped: $switches switches between A and B"; fi

# The LVs that the two sequences leave: each writer's last one, minus the
# removals that failed, minus the creations that failed.
expected=$(for p in pA pB; do
	awk '$2 == "lvcreate" && $1 == 0 { have[$3] = 1 }
	     $2 == "lvremove" && $1 == 0 { delete have[$3] }
	     END { for (l in have) print l }' "$TESTDIR/log.$p"
done | sort)
actual=$("$V" lvs --noheadings -o lv_name $VG | tr -d ' ' | sort)
same "the LVs left are exactly those the two sequences imply" "$expected" "$actual"
[ "$expected" == "$(printf '%s\n' pA_$M pB_$M)" ] || failed "expected set is not {pA_$M, pB_$M}: $expected"

seq1=$("$V" vgs --noheadings -o vg_seqno $VG | tr -d ' ')
same "seqno $seq0 + $nok successful commits" "$((seq0 + nok))" "$seq1"
lseq=$(vgs --noheadings -o vg_seqno $VG 2>/dev/null | tr -d ' ')
same "lvm2 reads the same seqno" "$seq1" "$lseq"

# The reader: every read succeeded, the seqno never went back, and at most
# two LVs of each writer existed at any time.
nread=$(wc -l < "$TESTDIR/log.reader")
echo "# reads: $nread, first: $(head -1 "$TESTDIR/log.reader"), last: $(tail -1 "$TESTDIR/log.reader")"
rbad=$(awk '$1 != 0 || $2 != 0 || !/\|$/' "$TESTDIR/log.reader" | head -5)
if [ "$nread" -gt 0 ] && [ -z "$rbad" ]; then pass "$nread concurrent reads (vgs + lvs) all exited 0, no warning"
else failed "concurrent reads: $nread, failures: $rbad"; fi
back=$(awk -v s="$seq0" '$1 == 0 { if ($3 < s) print NR": "$0; s = $3 }' "$TESTDIR/log.reader" | head -5)
[ -z "$back" ] && pass "readers never saw the seqno go back ($seq0 .. $seq1)" ||
	failed "the seqno went back: $back"
toomany=$(awk '$1 == 0 && ($4 > 4 || $5 > 4)' "$TESTDIR/log.reader" | head -5)
[ -z "$toomany" ] && pass "no read saw more than 4 LVs (2 per writer)" ||
	failed "inconsistent reads: $toomany"

out=$(vgck $VG 2>&1)
rc=$?
out=$(printf '%s\n' "$out" | grep -v 'Activation disabled')
if [ $rc -eq 0 ] && [ -z "$out" ]; then pass "lvm2 vgck $VG clean"; else failed "lvm2 vgck $VG: exit $rc: $out"; fi
ok "volmgr vgck $VG" "$V" vgck $VG
F=vg_name,lv_name,lv_size,seg_count,devices,segtype
same "volmgr lvs equals lvm2 lvs" "$("$V" lvs --noheadings -o $F | sort)" "$(lvs --noheadings -o $F 2>/dev/null | sort)"
F=vg_name,vg_seqno,pv_count,lv_count,vg_size,vg_free
same "volmgr vgs equals lvm2 vgs" "$("$V" vgs --noheadings -o $F | sort)" "$(vgs --noheadings -o $F 2>/dev/null | sort)"

# ------------------------------------------------- locks are per VG
mkdir -p "$VOLMGR_LOCK_DIR"
LOCKF=$VOLMGR_LOCK_DIR/V_$VG
flock "$LOCKF" sleep 3 &
hpid=$!
for ((i = 0; i < 100; i++)); do flock -n "$LOCKF" true || break; sleep 0.02; done
if [ $i -eq 100 ]; then failed "could not see the held lock on $LOCKF"; fi
held=$EPOCHREALTIME
s=$EPOCHREALTIME
out=$("$V" lvcreate -l 1 -n other $OVG 2>&1)
rc=$?
e=$EPOCHREALTIME
dt=$(fsub "$e" "$s")
if [ $rc -eq 0 ] && flt "$dt" 1.0; then
	pass "lvcreate on $OVG while $VG is locked: ${dt}s"
else
	failed "lvcreate on $OVG while $VG is locked: exit $rc in ${dt}s: $out"
fi
s=$EPOCHREALTIME
out=$("$V" lvcreate -l 1 -n waited $VG 2>&1)
rc=$?
e=$EPOCHREALTIME
dt=$(fsub "$e" "$s")
waited=$(fsub "$e" "$held")
if [ $rc -eq 0 ] && ! flt "$waited" 2.8; then
	pass "lvcreate on the locked $VG waited for the lock: ${dt}s (${waited}s after the lock was taken)"
else
	failed "lvcreate on the locked $VG: exit $rc after ${dt}s (${waited}s after the lock was taken), expected to wait ~3s: $out"
fi
wait $hpid
# A reader of the locked VG waits too; one of the other VG does not.
flock "$LOCKF" sleep 2 &
hpid=$!
for ((i = 0; i < 100; i++)); do flock -n "$LOCKF" true || break; sleep 0.02; done
s=$EPOCHREALTIME
"$V" lvs $OVG >/dev/null 2>&1
e=$EPOCHREALTIME
dt=$(fsub "$e" "$s")
flt "$dt" 1.0 && pass "lvs $OVG while $VG is locked: ${dt}s" ||
	failed "lvs $OVG while $VG is locked took ${dt}s"
wait $hpid
same "LVs after the lock tests" "$(printf '%s\n' "$VG pA_$M" "$VG pB_$M" "$VG waited" "$OVG other")" \
	"$("$V" lvs --noheadings -o vg_name,lv_name | sed -e 's/^ *//' -e 's/ *$//' -e 's/  */ /g' | sort)"

finish
