#!/bin/bash
# shellcheck disable=SC2034,SC2013,SC2086  # TNAME is for lib.sh; /proc/cmdline, $CHUNKS
# and dmsetup's status are words
# Guest benchmark (run by bench/vm-snapshot; by hand, without the random writes,
# which need the helper bench/vm-snapshot builds: tests/vm/run --disks 3
# --disk-size 192 --timeout 900 --results DIR tests/vm/bench_snapshot.sh): what
# old-style snapshots (dm-snapshot) cost the writes to their origin, with 0, 1 and
# 2 snapshots at several chunk sizes, in one boot.
#
# Setup: the three disks are first overwritten with zeros (so that no timed write
# is the first one to a block of the host's sparse image file), then a VG over
# them, an origin LV of bench.size MiB on the first disk; the snapshots' COWs are
# -l 100%ORIGIN (they never overflow), the first on the second disk, the second on
# the third. Two source files of random data (A and B, bench.size MiB each) are
# made in RAM (tmpfs) beforehand; the origin always holds one of them completely
# before a measurement.
#
# Per round, per chunk size (the order rotates from round to round), per number of
# snapshots N = 0, 1, 2:
#   seq:  N fresh snapshots of the origin (volmgr lvcreate -s -c CHUNK), then
#         `dd if=SRC of=/dev/VG/origin bs=1M oflag=direct` of the other source over
#         the whole origin ("seq1": every chunk is written for the first time since
#         the snapshots were taken, so each costs a copy into every COW), and the
#         same dd again ("seq2": already copied, no COW work). In round 1 each
#         snapshot is then compared (cmp) with the source the origin held when it
#         was taken. The COW use after seq1 is read from the kernel's status. The
#         snapshots are removed.
#   rand: N fresh snapshots, then /opt/bench/randw (bench/vm-snapshot puts it
#         there): bench.random 4 KiB writes, O_DIRECT, one at a time, to distinct
#         4 KiB blocks of the origin in a fixed shuffled order (the same in every
#         measurement), then fsync; COW use after it; snapshots removed; the origin
#         is rewritten (untimed) with the source it held.
#   sparse: the same with one 4 KiB write in each 512 KiB region of the origin
#         (bench.size * 2 writes, the regions in a fixed shuffled order, a fixed
#         random block in each): every write is the first to its chunk at every
#         chunk size, as scattered writes to a large disk are.
# N = 0 runs the same steps without snapshots, next to the others: the ratios
# compare measurements of the same boot and the same stretch of time.
# Times: bash's $EPOCHREALTIME around dd (µs); randw reports its own loop time
# (CLOCK_MONOTONIC, after its set-up). The guest runs no time sync.
#
# Kernel command line (VOLMGR_VM_APPEND on the host): bench.size=MiB (default
# 128), bench.rounds=R (3), bench.chunks=4,64,512 (KiB), bench.random=N (4 KiB
# writes per random measurement; default origin blocks / 8; 0 = no random and no
# sparse writes).
# Output: /results/times.txt ("KIND CHUNK_KIB NSNAP ROUND SECONDS" per line, KIND
# seq1 seq2 rand sparse), /results/cow.txt ("KIND CHUNK_KIB NSNAP ROUND SNAP
# ALLOCATED_SECTORS TOTAL_SECTORS METADATA_SECTORS"), /results/ops.txt (each
# snapshot lvcreate and lvremove, "create|remove CHUNK_KIB SNAP SECONDS"),
# /results/info.txt; ok/not ok lines on the console.
TNAME=vm_bench_snapshot
. /test/lib.sh
SIZE=128 ROUNDS=3 CHUNKS=4,64,512 NRAND=''
for w in $(cat /proc/cmdline); do
	case $w in
	bench.size=*) SIZE=${w#bench.size=} ;;
	bench.rounds=*) ROUNDS=${w#bench.rounds=} ;;
	bench.chunks=*) CHUNKS=${w#bench.chunks=} ;;
	bench.random=*) NRAND=${w#bench.random=} ;;
	esac
done
CHUNKS=${CHUNKS//,/ }
RANDW=/opt/bench/randw
if [ -z "$NRAND" ]; then
	NRAND=$((SIZE * 256 / 8))
	[ -x $RANDW ] || { echo "$TNAME: no $RANDW (see bench/vm-snapshot): no random writes"; NRAND=0; }
elif [ "$NRAND" -gt 0 ] && ! [ -x $RANDW ]; then
	failed "bench.random=$NRAND but no $RANDW: random writes skipped"
	NRAND=0
fi
export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D1,$D2,$D3"
mkdir -p /tmp/vm /results
VG=bench
ORIGIN=/dev/$VG/origin
R=/results
: >$R/times.txt
: >$R/cow.txt
: >$R/ops.txt

{
	echo "size=$SIZE rounds=$ROUNDS chunks=$CHUNKS random=$NRAND"
	echo "kernel=$(uname -r)"
	echo "dm_driver=$(dmsetup version 2>/dev/null | sed -n 's/^Driver version: *//p')"
	echo "snapshot_target=$(dmsetup targets 2>/dev/null | awk '$1 == "snapshot" { print $2 }')"
	echo "volmgr=$(volmgr --version 2>&1 | head -n 1)"
	echo "cpu=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -n 1)"
	echo "cpus=$(grep -c '^processor' /proc/cpuinfo)"
	echo "mem_mib=$(awk '/^MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
	echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
} >$R/info.txt

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

# Every block of the disks written once before anything is timed: the host's image
# files are sparse, and a first write there costs the host an allocation.
t0=$EPOCHREALTIME
for d in "$D1" "$D2" "$D3"; do
	dd if=/dev/zero of="$d" bs=1M oflag=direct 2>/dev/null
done
echo "prefill_seconds=$(secs "$t0" "$EPOCHREALTIME")" >>$R/info.txt
ok "pvcreate" volmgr pvcreate -q "$D1" "$D2" "$D3"
ok "vgcreate $VG" volmgr vgcreate -q "$VG" "$D1" "$D2" "$D3"
ok "lvcreate origin (${SIZE} MiB on $D1)" volmgr lvcreate -q -y -L "${SIZE}M" -n origin "$VG" "$D1"
check "the origin is a block device" [ -b $ORIGIN ]
is "origin size" "$(blockdev --getsize64 $ORIGIN 2>&1)" $((SIZE * 1048576))
[ -b $ORIGIN ] || finish

t0=$EPOCHREALTIME
dd if=/dev/urandom of=/tmp/srcA bs=1M count="$SIZE" 2>/dev/null
dd if=/dev/urandom of=/tmp/srcB bs=1M count="$SIZE" 2>/dev/null
echo "source_seconds=$(secs "$t0" "$EPOCHREALTIME")" >>$R/info.txt
is "source A in RAM" "$(wc -c </tmp/srcA)" $((SIZE * 1048576))
is "source B in RAM" "$(wc -c </tmp/srcB)" $((SIZE * 1048576))
# The origin holds source $HOLD (written untimed, which also warms up the path).
HOLD=A
dd if=/tmp/srcA of=$ORIGIN bs=1M oflag=direct 2>/dev/null
ok "origin holds source A" cmp /tmp/srcA $ORIGIN
other() { if [ "$1" = A ]; then echo B; else echo A; fi; }

FAILS=0
# snaps N CHUNK: N fresh snapshots s1..sN of the origin, COW k on disk k+1 (each
# lvcreate's time into ops.txt: "create CHUNK_KIB SNAP SECONDS").
snaps() {
	local i pv s rc
	for ((i = 1; i <= $1; i++)); do
		if [ $i = 1 ]; then pv=$D2; else pv=$D3; fi
		s=$EPOCHREALTIME
		volmgr lvcreate -q -y -s -l 100%ORIGIN -c "$2K" -n "s$i" "$VG/origin" "$pv" >/tmp/lvc.out 2>&1
		rc=$?
		echo "create $2 s$i $(secs "$s" "$EPOCHREALTIME")" >>$R/ops.txt
		if [ $rc != 0 ]; then
			failed "lvcreate -s -c $2K s$i: $(tail -n 3 /tmp/lvc.out | tr '\n' '|')"
			return 1
		fi
	done
	return 0
}
# unsnaps N: remove s1..sN ("remove CHUNK_KIB SNAP SECONDS" into ops.txt); the origin
# must be a plain linear device again.
unsnaps() {
	local i s
	for ((i = 1; i <= $1; i++)); do
		s=$EPOCHREALTIME
		volmgr lvremove -q -y "$VG/s$i" >/tmp/lvr.out 2>&1 ||
			failed "lvremove s$i: $(tail -n 3 /tmp/lvr.out | tr '\n' '|')"
		echo "remove ${2:-} s$i $(secs "$s" "$EPOCHREALTIME")" >>$R/ops.txt
	done
	if [ "$(dmsetup ls 2>/dev/null | grep -c "^$VG-")" != 1 ] ||
		! dmsetup table "$VG-origin" 2>/dev/null | grep -q ' linear '; then
		failed "after lvremove: $(dmsetup table 2>&1 | tr '\n' '|')"
		FAILS=$((FAILS + 1))
	fi
}
# cow KIND CHUNK N ROUND: the kernel's status of each snapshot into cow.txt
# ("ALLOCATED/TOTAL METADATA" sectors; "Invalid" if it overflowed).
cow() {
	local kind=$1 c=$2 n=$3 r=$4 i st
	for ((i = 1; i <= n; i++)); do
		# "0 SECTORS snapshot ALLOCATED/TOTAL METADATA"
		st=$(dmsetup status "$VG-s$i" 2>&1)
		if set -- $st && [ "$3" = snapshot ] && [[ $4 == */* ]] && [ -n "${5:-}" ]; then
			echo "$kind $c $n $r s$i ${4%/*} ${4#*/} $5" >>$R/cow.txt
		else
			failed "$kind chunk ${c}K N=$n round $r: s$i status '$st'"
			FAILS=$((FAILS + 1))
		fi
	done
}

# seq CHUNK N ROUND
seq_one() {
	local c=$1 n=$2 r=$3 src s e i
	snaps "$n" "$c" || { FAILS=$((FAILS + 1)); unsnaps "$n" "$c"; return; }
	src=$(other "$HOLD")
	s=$EPOCHREALTIME
	dd if=/tmp/src"$src" of=$ORIGIN bs=1M oflag=direct 2>/tmp/dd.out
	e=$EPOCHREALTIME
	grep -q "^$SIZE+0 records out" /tmp/dd.out || { failed "seq1 $c $n $r: $(tr '\n' '|' </tmp/dd.out)"; FAILS=$((FAILS + 1)); }
	echo "seq1 $c $n $r $(secs "$s" "$e")" >>$R/times.txt
	cow seq1 "$c" "$n" "$r"
	s=$EPOCHREALTIME
	dd if=/tmp/src"$src" of=$ORIGIN bs=1M oflag=direct 2>/tmp/dd.out
	e=$EPOCHREALTIME
	grep -q "^$SIZE+0 records out" /tmp/dd.out || { failed "seq2 $c $n $r: $(tr '\n' '|' </tmp/dd.out)"; FAILS=$((FAILS + 1)); }
	echo "seq2 $c $n $r $(secs "$s" "$e")" >>$R/times.txt
	if [ "$r" = 1 ]; then
		for ((i = 1; i <= n; i++)); do
			ok "chunk ${c}K, $n snapshot(s): s$i still reads the origin's old data (source $HOLD)" \
				cmp "/tmp/src$HOLD" "/dev/$VG/s$i"
		done
		[ "$n" -gt 0 ] && drop_caches
	fi
	unsnaps "$n" "$c"
	HOLD=$src
}

# rand KIND CHUNK N ROUND (KIND rand or sparse)
rand_one() {
	local kind=$1 c=$2 n=$3 r=$4 t args
	if [ "$kind" = rand ]; then
		args="$((SIZE * 256)) $NRAND 42 1"       # distinct random 4 KiB blocks
	else
		args="$((SIZE * 256)) $((SIZE * 2)) 42 128"   # one block per 512 KiB region
	fi
	snaps "$n" "$c" || { FAILS=$((FAILS + 1)); unsnaps "$n" "$c"; return; }
	if t=$($RANDW $ORIGIN $args 2>/tmp/randw.out); then
		echo "$kind $c $n $r $t" >>$R/times.txt
	else
		failed "randw $kind $c $n $r: $(tr '\n' '|' </tmp/randw.out)"
		FAILS=$((FAILS + 1))
	fi
	cow "$kind" "$c" "$n" "$r"
	unsnaps "$n" "$c"
	dd if="/tmp/src$HOLD" of=$ORIGIN bs=1M oflag=direct 2>/dev/null
}

set -- $CHUNKS
NCH=$#
T0=$EPOCHREALTIME
for ((r = 1; r <= ROUNDS; r++)); do
	# rotate the order of the chunk sizes from round to round
	set -- $CHUNKS
	k=$(((r - 1) % NCH))
	order="${*:k+1} ${*:1:k}"
	for c in $order; do
		for n in 0 1 2; do
			seq_one "$c" "$n" "$r"
			if [ "$NRAND" -gt 0 ]; then
				rand_one rand "$c" "$n" "$r"
				rand_one sparse "$c" "$n" "$r"
			fi
		done
	done
	echo "bench_snapshot: round $r of $ROUNDS done ($(secs "$T0" "$EPOCHREALTIME") s)"
done
{
	echo "bench_seconds=$(secs "$T0" "$EPOCHREALTIME")"
	echo "clocksource_end=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
} >>$R/info.txt
dmesg | grep -i clocksource >$R/dmesg-clocksource.txt
per=$((2 + 2 * (NRAND > 0)))   # seq1 seq2 [rand sparse] per chunk size and N
is "timings recorded" "$(wc -l <$R/times.txt)" $((ROUNDS * NCH * 3 * per))
is "no failed measurement" "$FAILS" 0
ok "the origin holds the last source written (source $HOLD)" cmp "/tmp/src$HOLD" $ORIGIN
finish
