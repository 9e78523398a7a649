#!/bin/bash
# Crash safety. For each command: learn the state before it (old) and after it
# (new) and the number N of its writes to block devices; then, for k = 1..N,
# start again from the old state, let the command crash right after its kth
# device write (crashwrite.so: _exit(99)), and check that volmgr and lvm2 both
# see exactly the old or exactly the new state, that lvm2's vgck accepts the
# VG, and that the next volmgr change succeeds and leaves no stale metadata
# area behind (lvm2's vgck and volmgr's vgck clean).
#
# Variants where the command first pvcreates blank devices (vgcreate, vgextend
# on blank devices) may also stop in between: the blank devices that were
# already labelled are orphan PVs and the VG is unchanged (lvm2 does the same).
# Those states are listed explicitly, counted, and the command must succeed
# when it is run again.
. "$(dirname "$0")/lib.sh"

setup_loops 3 64
crash_shim
HEAD_MB=16          # every metadata write falls in the first 8 MiB (pe_start)

# ------------------------------------------------------------ device snapshots

# snap NAME: save the backing files (sparse) and volmgr's system dir.
snap() {
	local i
	for ((i = 1; i <= ${#LOOPS[@]}; i++)); do
		blockdev --flushbufs "${LOOPS[i - 1]}"
		cp --sparse=always "$TESTDIR/disk$i.img" "$TESTDIR/snap.$1.$i"
		head -c ${HEAD_MB}M "$TESTDIR/snap.$1.$i" | md5sum > "$TESTDIR/snap.$1.$i.md5"
	done
	rm -rf "$TESTDIR/snap.$1.etc"
	mkdir -p "$VOLMGR_SYSTEM_DIR"
	cp -a "$VOLMGR_SYSTEM_DIR" "$TESTDIR/snap.$1.etc"
}

# restore NAME: put the saved contents back under the attached loop devices,
# drop their page cache, and prove that the devices read back as saved.
restore() {
	local i l
	for ((i = 1; i <= ${#LOOPS[@]}; i++)); do
		l=${LOOPS[i - 1]}
		blockdev --flushbufs "$l"        # dirty pages of a crashed run go out first
		cp --sparse=always "$TESTDIR/snap.$1.$i" "$TESTDIR/disk$i.img"
		blockdev --flushbufs "$l"        # then nothing stale stays cached
		if [ "$(head -c ${HEAD_MB}M "$l" | md5sum)" != "$(cat "$TESTDIR/snap.$1.$i.md5")" ]; then
			echo "restore $1: $l does not read back as saved"
			exit 1
		fi
	done
	rm -rf "$VOLMGR_SYSTEM_DIR"
	cp -a "$TESTDIR/snap.$1.etc" "$VOLMGR_SYSTEM_DIR"
}

snap blank

# --------------------------------------------------------------------- reports

norm() { sed -e 's/^ *//' -e 's/ *$//' -e 's/  */ /g' | sort; }

# report TOOL...: the state as TOOL sees it. PV and VG uuids only with IDS=1:
# a new PV's or VG's uuid is random in every run.
report() {
	local ids=${IDS:+,pv_uuid,vg_uuid}
	echo "# pvs"
	"$@" pvs --noheadings -o pv_name,vg_name,pv_size,pv_free,pe_start$ids 2>/dev/null | norm
	echo "# vgs"
	"$@" vgs --noheadings -o vg_name,vg_seqno,pv_count,lv_count,vg_extent_size,vg_size,vg_free${IDS:+,vg_uuid} \
		2>/dev/null | norm
	echo "# lvs"
	"$@" lvs --noheadings -o vg_name,lv_name,lv_size,seg_count,devices,segtype 2>/dev/null | norm
}

vg_exists() { [ -n "$1" ] && "$V" vgs --noheadings -o vg_name "$1" >/dev/null 2>&1; }

# lvm2's vgck: exit 0; with "clean", nothing on stderr but the activation notice.
lvm_vgck() {
	local out rc
	out=$(vgck "$2" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || { echo "lvm2 vgck $2: exit $rc: $out"; return 1; }
	out=$(printf '%s\n' "$out" | grep -v 'Activation disabled')
	[ "$1" != clean ] || [ -z "$out" ] || { echo "lvm2 vgck $2 not clean: $out"; return 1; }
}

# ------------------------------------------------------------------- the driver

TOTAL=0
SUMMARY=""

# crashtest NAME VG SETUP CMD...: SETUP (a function) builds the old state from
# blank devices; VG is the volume group to check ("" for none). PARTIAL_PVS,
# if set, lists blank devices the command pvcreates itself. FOLLOW_NOVG, if
# set, is the next change to make when VG does not exist after the crash.
crashtest() {
	local name=$1 vg=$2 setup=$3
	shift 3
	local cmd=("$@") i k rc err

	restore blank
	if ! err=$($setup 2>&1); then failed "$name: setup: $err"; return; fi
	snap old
	local oldv oldl newv newl
	oldv=$(report "$V")
	oldl=$(report lvm)
	same "$name: volmgr and lvm2 agree on the old state" "$oldv" "$oldl"

	# The states in between that are allowed: some blank devices already PVs.
	local partv=() partl=() subsets=() s
	if [ -n "${PARTIAL_PVS:-}" ]; then
		local p=($PARTIAL_PVS) m j
		for ((m = 1; m < (1 << ${#p[@]}); m++)); do
			s=""
			for ((j = 0; j < ${#p[@]}; j++)); do ((m & (1 << j))) && s="$s ${p[j]}"; done
			restore old
			"$V" pvcreate $s >/dev/null 2>&1 || { failed "$name: pvcreate$s"; return; }
			subsets+=("$s")
			partv+=("$(report "$V")")
			partl+=("$(report lvm)")
		done
	fi

	# The whole command once, counting its device writes.
	restore old
	rm -f "$TESTDIR/wlog"
	if ! err=$(CRASH_LOG=$TESTDIR/wlog LD_PRELOAD=$SHIM "$V" "${cmd[@]}" 2>&1); then
		failed "$name: ${cmd[*]}: $err"
		return
	fi
	local n
	n=$(wc -l < "$TESTDIR/wlog")
	newv=$(report "$V")
	newl=$(report lvm)
	same "$name: volmgr and lvm2 agree on the new state" "$newv" "$newl"
	if [ "$oldv" == "$newv" ]; then failed "$name: the command changed nothing visible"; return; fi
	if [ "$n" -lt 1 ]; then failed "$name: no device write counted"; return; fi
	echo "# $name: ${cmd[*]}: $n device writes:"
	sed 's/^/#   /' "$TESTDIR/wlog"

	local co=0 cn=0 cp=0 cbad=0
	for ((k = 1; k <= n; k++)); do
		restore old
		CRASH_AFTER_WRITES=$k LD_PRELOAD=$SHIM "$V" "${cmd[@]}" >"$TESTDIR/out" 2>&1
		rc=$?
		for l in "${LOOPS[@]}"; do blockdev --flushbufs "$l"; done
		local nowv nowl cv=x cl=x problems=""
		nowv=$(report "$V")
		nowl=$(report lvm)
		[ "$nowv" == "$oldv" ] && cv=o
		[ "$nowv" == "$newv" ] && cv=n
		[ "$nowl" == "$oldl" ] && cl=o
		[ "$nowl" == "$newl" ] && cl=n
		for ((i = 0; i < ${#partv[@]}; i++)); do
			[ "$nowv" == "${partv[i]}" ] && cv="p${subsets[i]}"
			[ "$nowl" == "${partl[i]}" ] && cl="p${subsets[i]}"
		done
		[ $rc -eq 99 ] || problems="$problems; exit $rc, not 99: $(cat "$TESTDIR/out")"
		[ "$cv" != x ] || problems="$problems; volmgr sees neither the old nor the new state:
$(diff <(echo "$oldv") <(echo "$nowv"))"
		[ "$cl" != x ] || problems="$problems; lvm2 sees neither the old nor the new state:
$(diff <(echo "$oldl") <(echo "$nowl"))"
		[ "$cv" == "$cl" ] || problems="$problems; volmgr sees state $cv, lvm2 state $cl"
		if vg_exists "$vg"; then
			err=$(lvm_vgck any "$vg") || problems="$problems; after the crash: $err"
		fi
		case $cv in o) co=$((co + 1)) ;; n) cn=$((cn + 1)) ;; p*) cp=$((cp + 1)) ;; esac

		# The next change: in the VG if it is there, else FOLLOW_NOVG, else
		# the command again (which must then reach the new state).
		if vg_exists "$vg"; then
			err=$("$V" lvcreate -l 1 -n after "$vg" 2>&1) ||
				problems="$problems; next change (lvcreate) failed: $err"
		elif [ -n "${FOLLOW_NOVG:-}" ]; then
			err=$("$V" $FOLLOW_NOVG 2>&1) || problems="$problems; next change ($FOLLOW_NOVG) failed: $err"
		else
			if ! err=$("$V" "${cmd[@]}" 2>&1); then
				problems="$problems; running the command again failed: $err"
			else
				[ "$(report "$V")" == "$newv" ] || problems="$problems; rerun: volmgr does not see the new state"
				[ "$(report lvm)" == "$newl" ] || problems="$problems; rerun: lvm2 does not see the new state"
			fi
		fi
		if vg_exists "$vg"; then
			err=$(lvm_vgck clean "$vg") || problems="$problems; after the next change: $err"
			err=$("$V" vgck "$vg" 2>&1) || problems="$problems; after the next change: volmgr vgck: $err"
		fi
		[ "$(report "$V")" == "$(report lvm)" ] ||
			problems="$problems; after the next change volmgr and lvm2 disagree:
$(diff <(report "$V") <(report lvm))"
		if [ -z "$problems" ]; then
			pass "$name: crash after write $k/$n leaves state $cv, repaired by the next change"
		else
			failed "$name: crash after write $k/$n (${cmd[*]})${problems}"
			cbad=$((cbad + 1))
		fi
	done
	TOTAL=$((TOTAL + n))
	SUMMARY="$SUMMARY
#   $name: $n crash points: $co old, $cn new, $cp orphan-PV-only (as volmgr sees them); $cbad failed"
}

# ---------------------------------------------------------------- old states

s_none() { :; }
s_pvs12() { "$V" pvcreate "$D1" "$D2"; }
s_vg() {
	"$V" vgcreate -s 1m vg "$D1" "$D2" &&
	"$V" lvcreate -l 10 -n lv1 vg &&
	"$V" lvcreate -l 4 -n lv2 vg &&
	"$V" lvcreate -l 60 -n lv3 vg
}
s_vg_pv3() { s_vg && "$V" pvcreate "$D3"; }
s_vg3() { s_vg && "$V" vgextend vg "$D3" && "$V" lvcreate -l 3 -n lv4 vg "$D1"; }
s_pv1() { "$V" pvcreate "$D1"; }
# A small metadata area (--metadatasize 64k: pe_start 1 MiB, a 1020 KiB ring)
# and LVs up to the commit whose text wraps around the end of the ring (it is
# written in two pieces): the old state is just before that commit.
s_wrap() {
	"$V" pvcreate --metadatasize 64k "$D1" "$D2" && "$V" vgcreate -s 1m vg "$D1" "$D2" || return 1
	local i w
	for ((i = 1; i <= 200; i++)); do
		snap prewrap
		rm -f "$TESTDIR/wlog"
		CRASH_LOG=$TESTDIR/wlog LD_PRELOAD=$SHIM "$V" lvcreate -l 1 -n w$i vg || return 1
		w=$(grep -c " $D1 " "$TESTDIR/wlog")
		if [ "$w" -gt 2 ]; then      # text in two pieces + header
			restore prewrap
			echo "wraps at w$i"
			return 0
		fi
	done
	echo "the ring never wrapped"
	return 1
}

PARTIAL_PVS="" crashtest pvcreate "" s_none pvcreate "$D1"
# the shim's other mode: exit before the first write leaves the device blank
restore blank
CRASH_BEFORE_WRITES=1 LD_PRELOAD=$SHIM "$V" pvcreate "$D1" >/dev/null 2>&1
rc=$?
if [ $rc -eq 99 ] && [ -z "$(report "$V" | grep /dev/)" ] && [ "$(devsums | sort -u | wc -l)" -eq 1 ]; then
	pass "crash before the first write of pvcreate: nothing written"
else
	failed "crash before the first write of pvcreate: exit $rc, devices: $(report "$V" | grep /dev/)"
fi

PARTIAL_PVS="" crashtest "vgcreate (PVs)" vg s_pvs12 vgcreate -s 1m vg "$D1" "$D2"
PARTIAL_PVS="$D1 $D2" crashtest "vgcreate (blank devices)" vg s_none vgcreate -s 1m vg "$D1" "$D2"
IDS=1 PARTIAL_PVS="" crashtest "vgextend (PV)" vg s_vg_pv3 vgextend vg "$D3"
PARTIAL_PVS="$D3" crashtest "vgextend (blank device)" vg s_vg vgextend vg "$D3"
IDS=1 PARTIAL_PVS="" crashtest lvcreate vg s_vg lvcreate -l 5 -n lvn vg
IDS=1 PARTIAL_PVS="" crashtest "lvextend (new segment)" vg s_vg lvextend -l +6 vg/lv1
IDS=1 PARTIAL_PVS="" crashtest lvrename vg s_vg lvrename vg lv1 lvr
IDS=1 PARTIAL_PVS="" crashtest lvremove vg s_vg lvremove -f vg/lv2
IDS=1 PARTIAL_PVS="" crashtest vgreduce vg s_vg3 vgreduce vg "$D3"
IDS=1 PARTIAL_PVS="" FOLLOW_NOVG="vgcreate -s 1m vg $D1 $D2" crashtest vgremove vg s_vg3 vgremove -f vg
IDS=1 PARTIAL_PVS="" FOLLOW_NOVG="vgcreate -s 1m vg $D1" crashtest pvremove vg s_pv1 pvremove "$D1"
IDS=1 PARTIAL_PVS="" crashtest "lvcreate (ring wraps)" vg s_wrap lvcreate -l 1 -n wrapped vg

echo "# crash points tested: $TOTAL$SUMMARY"
finish
