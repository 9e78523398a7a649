#!/bin/bash
# shellcheck disable=SC2034,SC2013  # TNAME is for lib.sh; /proc/cmdline is words
# Guest benchmark (run by bench/vm-activate; by hand: tests/vm/run --disks 2
# --disk-size 256 --results DIR tests/vm/bench_activate.sh): activation of a VG of
# N LVs, volmgr against lvm2, in one boot.
#
# Builds the VG once (volmgr; lvm2 reads the same metadata), then per round times
# `vgchange -ay VG` and `vgchange -an VG` of each tool, the tools alternating which
# goes first, after one untimed warm-up round. After each -ay all N LVs must be
# active (dmsetup ls), after each -an none; a round that is not is counted as failed
# and its time dropped. Times: bash's $EPOCHREALTIME around the command (µs; the
# guest runs no time sync, so its clock does not jump).
#
# Parameters from the kernel command line (VOLMGR_VM_APPEND on the host):
# bench.lvs=N (default 100), bench.rounds=R (default 5), bench.profile=1 (after the
# timings, one strace -c -f of each tool's -ay and -an, and strace -r -T of each;
# needs /opt/st/strace, which bench/vm-activate --profile puts there).
# Output: /results/times.txt ("TOOL OP ROUND SECONDS ACTIVE-AFTER" per line),
# /results/info.txt, /results/profile-*.txt; ok/not ok lines on the console.
TNAME=vm_bench
. /test/lib.sh
N=100 ROUNDS=5 PROFILE=0
for w in $(cat /proc/cmdline); do
	case $w in
	bench.lvs=*) N=${w#bench.lvs=} ;;
	bench.rounds=*) ROUNDS=${w#bench.rounds=} ;;
	bench.profile=1) PROFILE=1 ;;
	esac
done
export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D1,$D2"
mkdir -p /tmp/vm /results
VG=bench
R=/results

{
	echo "lvs=$N rounds=$ROUNDS"
	echo "kernel=$(uname -r)"
	echo "dm_driver=$(dmsetup version 2>/dev/null | sed -n 's/^Driver version: *//p')"
	echo "lvm2=$(lvm version 2>/dev/null | sed -n 's/^ *LVM version: *//p')"
	echo "volmgr=$(volmgr --version 2>&1 | head -n 1)"
	echo "cpu=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -n 1)"
	echo "cpus=$(grep -c '^processor' /proc/cpuinfo)"
	echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
} >$R/info.txt

# The VG: N one-extent linear LVs over two PVs (created active, then deactivated).
ok "volmgr pvcreate" volmgr pvcreate -q "$D1" "$D2"
ok "volmgr vgcreate $VG" volmgr vgcreate -q "$VG" "$D1" "$D2"
t0=$EPOCHREALTIME
made=0
for ((i = 0; i < N; i++)); do
	volmgr lvcreate -q -y -l 1 -n "lv$i" "$VG" >/tmp/lvc.out 2>&1 && made=$((made + 1))
done
echo "create_seconds=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')" >>$R/info.txt
is "volmgr lvcreate $N LVs" "$made" "$N"
[ "$made" = "$N" ] || cat /tmp/lvc.out
ok "volmgr vgchange -an $VG (after lvcreate)" volmgr vgchange -q -an "$VG"
is "lvm2 reads the VG volmgr made: LV count" "$(vgs --noheadings -o lv_count "$VG" 2>&1 | tr -d ' ')" "$N"
is "volmgr sees the same" "$(volmgr vgs --noheadings -o lv_count "$VG" 2>&1 | tr -d ' ')" "$N"

active() { dmsetup ls 2>/dev/null | grep -c "^$VG-lv[0-9]"; }
is "nothing active before the timings" "$(active)" 0

# one TOOL OP ROUND: time `vgchange -aOP VG` of TOOL; append to times.txt.
one() {
	local tool=$1 op=$2 round=$3 s e n rc want
	case $tool in
	volmgr) s=$EPOCHREALTIME; volmgr vgchange -q -a"$op" "$VG" >/tmp/one.out 2>&1; rc=$?; e=$EPOCHREALTIME ;;
	lvm2) s=$EPOCHREALTIME; vgchange -q -a"$op" "$VG" >/tmp/one.out 2>&1; rc=$?; e=$EPOCHREALTIME ;;
	esac
	n=$(active)
	if [ "$op" = y ]; then want=$N; else want=0; fi
	if [ $rc -ne 0 ] || [ "$n" != "$want" ]; then
		failed "$tool vgchange -a$op round $round: exit $rc, $n of $N LVs active (want $want): $(tail -n 3 /tmp/one.out | tr '\n' '|')"
		# leave a clean state for the next measurement
		volmgr vgchange -q -an "$VG" >/dev/null 2>&1
		return 1
	fi
	[ "$round" = warmup ] && return 0
	echo "$tool a$op $round $(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.6f", b - a }') $n" >>$R/times.txt
	return 0
}

: >$R/times.txt
FAILS=0
for round in warmup $(seq 1 "$ROUNDS"); do
	# odd rounds volmgr first, even rounds lvm2 first
	case $round in
	warmup | *[13579]) order="volmgr lvm2" ;;
	*) order="lvm2 volmgr" ;;
	esac
	for tool in $order; do
		one "$tool" y "$round" || FAILS=$((FAILS + 1))
		one "$tool" n "$round" || FAILS=$((FAILS + 1))
	done
done
is "all timed rounds had all $N LVs active after -ay and none after -an" "$FAILS" 0
is "timings recorded" "$(wc -l <$R/times.txt)" $((ROUNDS * 4))

# The fixed cost: -ay of a VG whose LVs are all active already (scan, read the
# metadata, ask dm about each LV), and a read-only command.
ok "volmgr vgchange -ay (for the no-op timings)" volmgr vgchange -q -ay "$VG"
for tool in volmgr lvm2; do
	for k in 1 2 3; do
		s=$EPOCHREALTIME
		if [ $tool = volmgr ]; then volmgr vgchange -q -ay "$VG" >/dev/null 2>&1; else vgchange -q -ay "$VG" >/dev/null 2>&1; fi
		e=$EPOCHREALTIME
		echo "$tool noop $k $(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.6f", b - a }') $(active)" >>$R/times.txt
		s=$EPOCHREALTIME
		if [ $tool = volmgr ]; then volmgr vgs "$VG" >/dev/null 2>&1; else vgs "$VG" >/dev/null 2>&1; fi
		e=$EPOCHREALTIME
		echo "$tool vgs $k $(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.6f", b - a }') $(active)" >>$R/times.txt
	done
done
# The floor: the same N devices (names, uuids, tables) created by one dmsetup
# process (`dmsetup create --concise`, one after the other) and removed by one
# (`dmsetup remove NAME...`, one after the other): libdevmapper and the kernel only,
# no metadata, no /dev/VG links.
dmsetup table --concise >/tmp/concise 2>/dev/null
names=$(dmsetup ls 2>/dev/null | awk '{ print $1 }' | grep "^$VG-lv[0-9]")
ok "volmgr vgchange -an (after the no-op timings)" volmgr vgchange -q -an "$VG"
for k in 1 2 3; do
	s=$EPOCHREALTIME
	dmsetup create --concise "$(cat /tmp/concise)" >/dev/null 2>&1
	e=$EPOCHREALTIME
	echo "dmsetup create $k $(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.6f", b - a }') $(active)" >>$R/times.txt
	[ "$(active)" = "$N" ] || failed "dmsetup create --concise: $(active) of $N active"
	s=$EPOCHREALTIME
	# shellcheck disable=SC2086
	dmsetup remove $names >/dev/null 2>&1
	e=$EPOCHREALTIME
	echo "dmsetup remove $k $(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.6f", b - a }') $(active)" >>$R/times.txt
	[ "$(active)" = 0 ] || { failed "dmsetup remove: $(active) left"; volmgr vgchange -q -an "$VG" >/dev/null 2>&1; }
done
# The kernel alone: bench/dmfloor (raw DM ioctls), when bench/vm-activate put it here.
if [ -x /opt/dmfloor/dmfloor ]; then
	mm=$(stat -L -c '%t %T' "$D1")
	dev="$((0x${mm% *})):$((0x${mm#* }))"
	for k in 1 2 3; do
		if out=$(/opt/dmfloor/dmfloor "$N" "$dev" 2>&1); then
			echo "$out" | while read -r op t; do echo "raw $op $k $t $(active)" >>$R/times.txt; done
		else
			failed "dmfloor $N $dev: $out"
		fi
	done
fi

if [ "$PROFILE" = 1 ]; then
	if [ -x /opt/st/strace ]; then
		st() { LD_LIBRARY_PATH=/opt/st /opt/st/strace "$@"; }
		# (each -ay from nothing active, each -an from all active)
		st -c -f -o $R/profile-volmgr-ay.txt volmgr vgchange -q -ay "$VG" >/dev/null 2>&1
		st -c -f -o $R/profile-volmgr-an.txt volmgr vgchange -q -an "$VG" >/dev/null 2>&1
		st -c -f -o $R/profile-lvm2-ay.txt vgchange -q -ay "$VG" >/dev/null 2>&1
		st -c -f -o $R/profile-lvm2-an.txt vgchange -q -an "$VG" >/dev/null 2>&1
		# per-call timings of one volmgr -ay and -an, and lvm2's, for where the time goes
		st -f -r -T -o $R/trace-volmgr-ay.txt volmgr vgchange -q -ay "$VG" >/dev/null 2>&1
		st -f -r -T -o $R/trace-volmgr-an.txt volmgr vgchange -q -an "$VG" >/dev/null 2>&1
		st -f -r -T -o $R/trace-lvm2-ay.txt vgchange -q -ay "$VG" >/dev/null 2>&1
		st -f -r -T -o $R/trace-lvm2-an.txt vgchange -q -an "$VG" >/dev/null 2>&1
		pass "strace profiles in /results"
	else
		failed "bench.profile=1 but no /opt/st/strace"
	fi
fi
is "nothing active at the end" "$(active)" 0
finish
