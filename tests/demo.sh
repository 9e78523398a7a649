#!/bin/bash
# The main job end to end on an embedded default. Three sparse files behind loop
# devices become PVs and a VG; a guest disk and a striped scratch LV are made; data
# is written through /dev/VG/LV; the disk grows onto another PV while a writer is
# busy with it; lvs shows the result; lvm2 checks and reads the same metadata.
#
# Activation needs device-mapper. Where this kernel has none (the build machines),
# the metadata is made here on the loop devices, and the same three files then
# become the disks of the test VM (tests/vm: Debian's kernel under qemu), where
# volmgr activates, writes, extends online and lists. Cleans up after itself.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
V="$TOP/tools/volmgr"
[ "$(id -u)" -eq 0 ] || { echo "the demo needs root (loop devices)"; exit 1; }
W=$(mktemp -d /tmp/volmgr-demo.XXXXXX)
LOOPS=()
detach() { for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done; LOOPS=(); }
cleanup() { detach; rm -rf "$W"; }
trap cleanup EXIT
export VOLMGR_SYSTEM_DIR="$W/etc" VOLMGR_LOCK_DIR="$W/lock"
mkdir -p "$W/disks" "$VOLMGR_SYSTEM_DIR"
attach() {
	for i in 0 1 2; do
		[ -f "$W/disks/disk$i.img" ] || truncate -s 1G "$W/disks/disk$i.img"
		LOOPS+=("$(losetup -f --show "$W/disks/disk$i.img")")
	done
	VOLMGR_DEVICES=$(IFS=,; echo "${LOOPS[*]}")
	export VOLMGR_DEVICES
}
run() { echo "# volmgr $*"; "$V" "$@"; }
lvm2_reads() {
	export LVM_SYSTEM_DIR="$W/lvm" LVM_SUPPRESS_FD_WARNINGS=1
	mkdir -p "$LVM_SYSTEM_DIR"
	local filter
	filter=$(printf '"a|^%s$|", ' "${LOOPS[@]}")
	printf 'global { activation = 0 }\nbackup { backup = 0 archive = 0 }\ndevices { use_devicesfile = 0 obtain_device_list_from_udev = 0 hints = "none" global_filter = [ %s"r|.*|" ] }\n' "$filter" > "$LVM_SYSTEM_DIR/lvm.conf"
	echo "# lvm2: vgck demo && lvs demo"
	vgck demo 2>/dev/null && lvs -o lv_name,lv_size,segtype,stripes,devices,lv_tags demo 2>/dev/null
}

attach
if dmsetup version >/dev/null 2>&1; then
	# This kernel has device-mapper: everything here.
	run pvcreate "${LOOPS[@]}"
	run vgcreate demo "${LOOPS[0]}" "${LOOPS[1]}"
	run lvcreate -L 256m -n vm-100-disk-0 --addtag pve-vm-100 demo
	run lvcreate -L 128m -i 2 -n scratch demo
	run vgextend demo "${LOOPS[2]}"
	VM_DISKS="${LOOPS[*]}" DEMO_VOLMGR="$V" sh "$TOP/tests/vm/demo_guest.sh"
	lvm2_reads
	run vgchange -an demo
	run vgremove -f demo
	echo "demo: done"
	exit 0
fi

echo "# this kernel has no device-mapper: metadata here, activation in the test VM"
echo 'global { activation = 0 }' > "$VOLMGR_SYSTEM_DIR/volmgr.conf"
run pvcreate "${LOOPS[@]}"
run vgcreate demo "${LOOPS[0]}" "${LOOPS[1]}"
run lvcreate -an -L 256m -n vm-100-disk-0 --addtag pve-vm-100 demo
run lvcreate -an -L 128m -i 2 -n scratch demo
run vgextend demo "${LOOPS[2]}"
detach
echo "# tests/vm/run: the three files as the VM's disks; tests/vm/demo_guest.sh in it"
"$TOP/tests/vm/run" --quiet --log "$W/console.log" --keep-disks "$W/disks" --timeout 300 \
	"$TOP/tests/vm/demo_guest.sh" || { tr -d '\r' < "$W/console.log" | tail -n 40; echo "demo: the VM part failed"; exit 1; }
tr -d '\r' < "$W/console.log" | sed -n '/^# /,/^demo_guest: /p'
attach
lvm2_reads
run lvs -o lv_name,lv_size,segtype,stripes,devices,lv_tags demo
run lvremove -y demo
run vgremove demo
echo "demo: done"
