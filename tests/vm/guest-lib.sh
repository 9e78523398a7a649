# shellcheck shell=sh disable=SC2034
# /test/lib.sh inside the test VM (tests/vm/run copies it there): helpers for guest
# test scripts, busybox sh. Set TNAME, source it, assert, end with `finish`.
# The disks under test are in $VM_DISKS (/dev/vdX, in the order the host gave them).
TNAME=${TNAME:-$(basename "$0" .sh)}
PASS=0
FAIL=0
# shellcheck disable=SC2086
set -- ${VM_DISKS:-/dev/vda /dev/vdb}
D1=${1:-} D2=${2:-} D3=${3:-} D4=${4:-} D5=${5:-}

# The kernel's random pool is not ready this early in a VM with no RNG device:
# libuuid (volmgr's ids) then retries getrandom(GRND_NONBLOCK) for ~1 s per id before
# falling back to /dev/urandom. One blocking read of /dev/random makes the kernel
# gather jitter entropy (~1 s, once per boot; at once when the pool is ready).
timeout 30 dd if=/dev/random of=/dev/null bs=1 count=1 2>/dev/null

pass() { PASS=$((PASS + 1)); echo "ok - $TNAME: $1"; }
failed() { FAIL=$((FAIL + 1)); echo "not ok - $TNAME: $1"; }

# ok DESC CMD...: CMD must succeed (its output is shown only when it fails).
ok() {
	_d=$1
	shift
	if _out=$("$@" 2>&1); then
		pass "$_d"
	else
		_r=$?
		failed "$_d (exit $_r): $(printf '%s\n' "$_out" | tail -n 5 | tr '\n' '|')"
	fi
}

# check DESC CMD...: like ok, for test expressions ([ -b x ], grep -q ...): no output.
check() {
	_d=$1
	shift
	if "$@"; then pass "$_d"; else failed "$_d"; fi
}

# is DESC GOT WANT: GOT must equal WANT.
is() {
	if [ "$2" = "$3" ]; then pass "$1"; else failed "$1: got '$2', want '$3'"; fi
}

# Flush a device's cached pages so the next read comes from the disk.
drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for _b in "$@"; do blockdev --flushbufs "$_b" 2>/dev/null; done
}

# pattern N: 1 MiB of data that depends on N and is the same at every boot (for
# checks across a reboot): the decimal numbers from N*1000000 on, one per line.
pattern() {
	seq $(($1 * 1000000)) $(($1 * 1000000 + 150000)) | head -c 1048576
}

# sectors TAG FIRST COUNT [STRIPES K CHUNK]: COUNT sectors (512 bytes) of text that
# tell where they belong: sector s reads "TAG" and s (FIRST..FIRST+COUNT-1), so data
# written as `sectors TAG 0 N >LV` can be looked for at raw disk offsets. With
# STRIPES K CHUNK (sectors): the sectors of stripe K of a striped area that starts at
# LV sector FIRST, in the order that stripe holds them on its PV (chunk K, K+STRIPES,
# ...). TAG: at most 8 characters.
sectors() {
	awk -v t="$1" -v f="$2" -v c="$3" -v n="${4:-1}" -v k="${5:-0}" -v cs="${6:-0}" 'BEGIN {
		if (cs == 0) cs = c
		for (i = 0; i < c; i++)
			printf "%-8s%503d\n", t, f + (int(i / cs) * n + k) * cs + i % cs
	}'
}

# md5: the md5 of stdin (busybox md5sum is much faster than cmp under emulation).
md5() { md5sum | cut -d' ' -f1; }

# raw DEV BYTE COUNT: COUNT bytes of DEV from byte offset BYTE (multiples of 4 KiB).
raw() { dd if="$1" bs=4096 skip=$(($2 / 4096)) count=$(($3 / 4096)) 2>/dev/null; }

# dm_tables [PREFIX]: "name: table" of each dm device (whose name starts with PREFIX),
# sorted by name, the MAJ:MIN of the devices under it replaced by their names (vda):
# comparable across activations by different tools and across boots.
dm_tables() {
	dmsetup table 2>/dev/null | awk -v p="${1:-}" '
		(p != "" && index($0, p) != 1) || $0 == "No devices found" { next }
		{
			sub(/ +$/, "")
			for (i = 3; i <= NF; i++) {
				if ($i !~ /^[0-9]+:[0-9]+$/) continue
				f = "/sys/dev/block/" $i "/uevent"
				while ((getline l < f) > 0) if (l ~ /^DEVNAME=/) $i = substr(l, 9)
				close(f)
			}
			print
		}' | sort -s -t: -k1,1
}

# dm_ids [PREFIX]: "name uuid" of each dm device (whose name starts with PREFIX), sorted.
dm_ids() {
	dmsetup info -c --noheadings --separator ' ' -o name,uuid 2>/dev/null |
		awk -v p="${1:-}" '(p == "" || index($0, p) == 1) && $0 != "No devices found"' | sort
}

finish() {
	echo "$TNAME: $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ] && exit 0
	exit 1
}
