#!/bin/bash
# The main job end to end on an embedded default: three sparse files behind
# loop devices become PVs, a VG, linear and striped LVs; the LVs grow and
# are listed; lvm2 checks and reads the result. Cleans up after itself.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
V="$TOP/tools/volmgr"
[ "$(id -u)" -eq 0 ] || { echo "the demo needs root (loop devices)"; exit 1; }
W=$(mktemp -d /tmp/volmgr-demo.XXXXXX)
LOOPS=()
cleanup() { for l in "${LOOPS[@]}"; do losetup -d "$l"; done; rm -rf "$W"; }
trap cleanup EXIT
export VOLMGR_SYSTEM_DIR="$W/etc" VOLMGR_LOCK_DIR="$W/lock"
for i in 1 2 3; do
	truncate -s 1G "$W/disk$i.img"
	LOOPS+=("$(losetup -f --show "$W/disk$i.img")")
done
export VOLMGR_DEVICES=$(IFS=,; echo "${LOOPS[*]}")
run() { echo "# volmgr $*"; "$V" "$@"; }
run pvcreate "${LOOPS[@]}"
run vgcreate demo "${LOOPS[0]}" "${LOOPS[1]}"
run lvcreate -an -L 256m -n vm-100-disk-0 --addtag pve-vm-100 demo
run lvcreate -an -L 128m -i 2 -n scratch demo
run vgextend demo "${LOOPS[2]}"
run lvextend -L +512m demo/vm-100-disk-0 "${LOOPS[2]}"
run lvs -o lv_name,lv_size,segtype,stripes,devices,lv_tags demo
run vgs demo
# lvm2 reads the same metadata
export LVM_SYSTEM_DIR="$W/lvm" LVM_SUPPRESS_FD_WARNINGS=1
mkdir -p "$LVM_SYSTEM_DIR"
filter=$(printf '"a|^%s$|", ' "${LOOPS[@]}")
printf 'global { activation = 0 }\nbackup { backup = 0 archive = 0 }\ndevices { use_devicesfile = 0 obtain_device_list_from_udev = 0 global_filter = [ %s"r|.*|" ] }\n' "$filter" > "$LVM_SYSTEM_DIR/lvm.conf"
echo "# lvm2: vgck demo && lvs demo"
vgck demo 2>/dev/null && lvs -o lv_name,lv_size,segtype,stripes,devices,lv_tags demo 2>/dev/null
run lvremove -y demo
run vgremove demo
echo "demo: done"
