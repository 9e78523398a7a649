# Shared helpers for the CLI tests: sparse files on loop devices, a private
# volmgr system dir and lock dir, and lvm2 (the oracle) confined to the same
# loop devices with activation off. Source it, call setup_loops, assert, finish.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
V="$TOP/tools/volmgr"
TNAME=$(basename "$0" .sh)
PASS=0
FAIL=0
LOOPS=()

TESTDIR=$(mktemp -d /tmp/volmgr-test.XXXXXX)
export VOLMGR_SYSTEM_DIR="$TESTDIR/etc" VOLMGR_LOCK_DIR="$TESTDIR/lock"
export LVM_SYSTEM_DIR="$TESTDIR/lvm" LVM_SUPPRESS_FD_WARNINGS=1 LC_ALL=C
# The host has no device-mapper: volmgr, like lvm2 here, runs with activation off
# (LVs are created inactive). BASECONF is the volmgr.conf line every test keeps.
BASECONF='global { activation = 0 }'
mkdir -p "$VOLMGR_SYSTEM_DIR"
echo "$BASECONF" > "$VOLMGR_SYSTEM_DIR/volmgr.conf"

cleanup() {
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -rf "$TESTDIR"
}
trap cleanup EXIT

# setup_loops N [SIZE_MB]: D1..DN are fresh loop devices over sparse files
# ($LOOP_SECTOR: their logical block size, default 512).
setup_loops() {
	local n=$1 size=${2:-256} i filter=""
	for ((i = 1; i <= n; i++)); do
		truncate -s "${size}M" "$TESTDIR/disk$i.img"
		local l
		l=$(losetup -f --show ${LOOP_SECTOR:+--sector-size "$LOOP_SECTOR"} "$TESTDIR/disk$i.img") ||
			{ echo "losetup failed"; exit 1; }
		LOOPS+=("$l")
		eval "D$i=$l"
		filter="$filter\"a|^$l\$|\", "
	done
	VOLMGR_DEVICES=$(IFS=,; echo "${LOOPS[*]}")
	export VOLMGR_DEVICES
	mkdir -p "$LVM_SYSTEM_DIR"
	cat > "$LVM_SYSTEM_DIR/lvm.conf" <<CONF
global { activation = 0 use_aio = 0 }
backup { backup = 0 archive = 0 }
devices { use_devicesfile = 0 obtain_device_list_from_udev = 0 scan_lvs = 0 hints = "none"
          global_filter = [ $filter"r|.*|" ] }
activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
CONF
}

# crash_shim: SHIM = tests/cli/crashwrite.c built into the test folder, for
# LD_PRELOAD. A sanitizer build wants its runtime first among preloads; the
# shim only forwards calls, so it may come first.
crash_shim() {
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	SHIM=$TESTDIR/crashwrite.so
	cc -shared -fPIC -O2 -o "$SHIM" "$TOP/tests/cli/crashwrite.c" -ldl ||
		{ echo "cannot build crashwrite.so"; exit 1; }
}

pass() { PASS=$((PASS + 1)); echo "ok - $TNAME: $1"; }
failed() { FAIL=$((FAIL + 1)); echo "not ok - $TNAME: $1"; }

# ok DESC CMD...: CMD must succeed.
ok() {
	local d=$1; shift
	local out
	if out=$("$@" 2>&1); then pass "$d"; else failed "$d (exit $?): $out"; fi
}

# fails DESC CMD...: CMD must exit non-zero with exactly one line on stderr.
fails() {
	local d=$1; shift
	local err rc
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	err=$(printf '%s\n' "$err" | grep -v '^  WARNING:' )
	if [ $rc -eq 0 ]; then failed "$d: exit 0"
	elif [ -z "$err" ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then failed "$d: expected one line of error, got: $err"
	else pass "$d ($err)"; fi
}

# same DESC A B: the two strings are equal.
same() {
	if [ "$2" == "$3" ]; then pass "$1"; else failed "$1"; diff <(echo "$2") <(echo "$3") | head -20; fi
}

# Refusals that must leave every byte as it was.

# Every byte of every device (from the backing files, once the command has
# exited) and every file in the volmgr system directory.
state() {
	cksum "$TESTDIR"/disk*.img
	(cd "$VOLMGR_SYSTEM_DIR" 2>/dev/null && find . -type f | sort | xargs -r md5sum)
}

mark() { LAST=$(state); }

# refused DESC PATTERN CMD...: CMD exits non-zero with one error line that
# contains PATTERN, and changes nothing that state() sees.
refused() {
	local d=$1 pat=$2 err rc now
	shift 2
	err=$("$@" 2>&1 > /dev/null < /dev/null)
	rc=$?
	err=$(printf '%s\n' "$err" | grep -v '^  WARNING:')
	if [ $rc -eq 0 ]; then failed "$d: exit 0"
	elif [ -z "$err" ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then failed "$d: expected one line of error, got: $err"
	elif [[ "$err" != *"$pat"* ]]; then failed "$d: expected an error saying '$pat', got: $err"
	else pass "$d ($err)"; fi
	now=$(state)
	if [ "$LAST" == "$now" ]; then pass "$d: nothing written"
	else failed "$d: changed a device or a file in $VOLMGR_SYSTEM_DIR"; fi
	LAST=$now
}

# blank DESC DEV: DEV holds no signature and is no PV, for blkid and both tools.
blank() {
	same "$1: blkid finds nothing on $2" "$(blkid -p "$2" 2>&1)" ""
	same "$1: volmgr pvs does not list $2" "$("$V" pvs --noheadings -o pv_name 2>&1 | grep -c -- "$2 *\$")" "0"
	same "$1: lvm2 pvs does not list $2" "$(pvs --noheadings -o pv_name 2>/dev/null | grep -c -- "$2 *\$")" "0"
}

# lvm2_lvs VG: "name attr[0]" of every LV lvm2 shows, hidden ones in brackets
lvm2_lvs() { lvs -a --noheadings -o lv_name,lv_attr "$1" 2>/dev/null | awk '{ print $1, substr($2, 1, 1) }'; }

# handmade VG DEV LV-SECTIONS [EXTENT-SECTORS]: VG on DEV (extents of 1 MiB
# unless given), created by volmgr, then given the LVs (metadata text, as
# lvm2 writes it) by volmgr vgcfgrestore; lvm2 must accept it. For LVs that
# neither tool can create without device-mapper: snapshots, thin pools.
handmade() {
	local vg=$1 dev=$2 ext=${4:-2048} vgid pvid sz start count
	ok "vgcreate $vg" "$V" vgcreate -s "$((ext / 2))k" "$vg" "$dev"
	vgid=$("$V" vgs --noheadings -o vg_uuid "$vg" | tr -d ' ')
	read -r pvid sz start count <<< "$("$V" pvs --noheadings --units s --nosuffix \
		-o pv_uuid,dev_size,pe_start,pv_pe_count "$dev")"
	cat > "$TESTDIR/$vg.vg" <<VG
$vg {
	id = "$vgid"
	seqno = 1
	format = "lvm2"
	status = ["RESIZEABLE", "READ", "WRITE"]
	flags = []
	extent_size = $ext
	max_lv = 0
	max_pv = 0
	metadata_copies = 0
	physical_volumes {
		pv0 {
			id = "$pvid"
			device = "$dev"
			status = ["ALLOCATABLE"]
			flags = []
			dev_size = $sz
			pe_start = $start
			pe_count = $count
		}
	}
	logical_volumes {
$3
	}
}
contents = "Text Format Volume Group"
version = 1
description = "by hand"
VG
	ok "volmgr vgcfgrestore $vg" "$V" vgcfgrestore -f "$TESTDIR/$vg.vg" "$vg"
	ok "lvm2 vgck $vg as written" vgck "$vg"
}

# checksum of every test device, to prove nothing was written
devsums() { for l in "${LOOPS[@]}"; do md5sum < "$l"; done; }

finish() {
	echo "$TNAME: $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: $TNAME needs root (loop devices)"
	trap - EXIT
	rm -rf "$TESTDIR"
	exit 77
fi
command -v lvs >/dev/null || { echo "lvm2 is not installed (apt-get install lvm2)"; exit 1; }

# Run a private copy of the build: a rebuild during the test must not hit it.
mkdir -p "$TESTDIR/build/tools"
cp "$V" "$TESTDIR/build/tools/" || { echo "cannot copy the build"; exit 1; }
V=$TESTDIR/build/tools/volmgr

