# shellcheck shell=sh disable=SC2034
# /test/lib.sh inside the test VM (tests/vm/run copies it there): helpers for guest
# test scripts, busybox sh. Set TNAME, source it, assert, end with `finish`.
# The disks under test are in $VM_DISKS (/dev/vdX, in the order the host gave them).
TNAME=${TNAME:-$(basename "$0" .sh)}
PASS=0
FAIL=0
# shellcheck disable=SC2086
set -- ${VM_DISKS:-/dev/vda /dev/vdb}
D1=${1:-} D2=${2:-} D3=${3:-}

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

finish() {
	echo "$TNAME: $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ] && exit 0
	exit 1
}
