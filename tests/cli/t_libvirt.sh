#!/bin/bash
# LVs as guests' disks (volmgr lvdisk): the libvirt <disk> element validates
# with libvirt's own schema inside a complete <domain> (virt-xml-validate) and
# libvirt's test driver defines and starts a domain holding it and lists the
# disk (define, start, domblklist); the qemu and JSON forms say the same; bad
# parameters are refused with one line and nothing changed. (Attaching and
# resizing through QMP need device-mapper and a running qemu: tests/vm.)
. "$(dirname "$0")/lib.sh"

setup_loops 1 64
ok "vgcreate vd" "$V" vgcreate vd "$D1"
ok "lvcreate -an vd/vm-100-disk-0" "$V" lvcreate -an -Zn -l 2 -n vm-100-disk-0 vd
UUID=$("$V" lvs --noheadings -o lv_uuid vd/vm-100-disk-0 | tr -d ' -')

if ! command -v virt-xml-validate > /dev/null || ! command -v virsh > /dev/null; then
	failed "virt-xml-validate and virsh are needed (libvirt-clients; tests/deps installs it)"
	finish
fi

# domain NAME DISK-XML...: a complete domain for libvirt's test driver.
domain() {
	local name=$1; shift
	printf "<domain type='test'>\n  <name>%s</name>\n  <memory unit='MiB'>128</memory>\n" "$name"
	printf "  <os><type arch='x86_64'>hvm</type></os>\n  <devices>\n"
	printf '%s\n' "$@" | sed 's/^/    /'
	printf "  </devices>\n</domain>\n"
}

# --- the defaults -------------------------------------------------------------------
XML=$("$V" lvdisk vd/vm-100-disk-0)
same "lvdisk: the libvirt disk element, raw, cache none, io native, serial from the uuid" "$XML" \
"<disk type='block' device='disk'>
  <driver name='qemu' type='raw' cache='none' io='native' discard='unmap'/>
  <source dev='/dev/vd/vm-100-disk-0'/>
  <target dev='vdb' bus='virtio'/>
  <serial>${UUID:0:20}</serial>
</disk>"
domain vm100 "$XML" > "$TESTDIR/vm100.xml"
ok "virt-xml-validate accepts a domain holding it" virt-xml-validate "$TESTDIR/vm100.xml" domain
out=$(virsh -q -c test:///default "define $TESTDIR/vm100.xml; start vm100; domblklist vm100; \
	dumpxml vm100" 2>&1)
same "libvirt's test driver: defined, started, the LV as vdb" \
	"$(printf '%s\n' "$out" | awk '$1 == "vdb" { print $1, $2 }')" "vdb /dev/vd/vm-100-disk-0"
same "libvirt keeps cache, io and serial" \
	"$(printf '%s\n' "$out" | grep -c -e "cache='none' io='native'" -e "<serial>${UUID:0:20}</serial>")" 2

# --- other buses and settings -------------------------------------------------------
X2=$("$V" lvdisk --target sdc --bus scsi --cache writeback --io threads --serial disk-7 vd/vm-100-disk-0)
X3=$("$V" lvdisk --target sdd --bus sata --cache directsync --io native vd/vm-100-disk-0)
domain vm101 "$X2" "$X3" "<controller type='scsi' model='virtio-scsi'/>" > "$TESTDIR/vm101.xml"
ok "virt-xml-validate: scsi and sata disks with other cache and io" virt-xml-validate "$TESTDIR/vm101.xml" domain
out=$(virsh -q -c test:///default "define $TESTDIR/vm101.xml; start vm101; domblklist vm101" 2>&1)
same "libvirt's test driver lists sdc and sdd" "$(printf '%s\n' "$out" | awk '$1 ~ /^sd/ { print $1, $2 }')" \
	"sdc /dev/vd/vm-100-disk-0
sdd /dev/vd/vm-100-disk-0"
same "--serial given is used" "$(printf '%s\n' "$X2" | grep -o '<serial>.*</serial>')" "<serial>disk-7</serial>"

# --- qemu and JSON --------------------------------------------------------------------
Q=$("$V" lvdisk --format qemu vd/vm-100-disk-0)
same "qemu: -blockdev host_device with O_DIRECT and native AIO, -device virtio-blk-pci" "$Q" \
"-blockdev driver=host_device,node-name=lv${UUID:0:29},filename=/dev/vd/vm-100-disk-0,cache.direct=on,cache.no-flush=off,aio=native,discard=unmap
-device virtio-blk-pci,drive=lv${UUID:0:29},id=lv${UUID:0:29}-dev,serial=${UUID:0:20},write-cache=on"
J=$("$V" lvdisk --format json --target vdc vd/vm-100-disk-0)
same "json: parses, and says the same" \
	"$(printf '%s' "$J" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["path"], d["target"], d["bus"], d["cache"], d["io"], d["serial"], d["format"], d["size"])')" \
	"/dev/vd/vm-100-disk-0 vdc virtio none native ${UUID:0:20} raw 8388608"

# --- refusals ---------------------------------------------------------------------------
mark
refused "lvdisk --bus ide" "bus ide: expected virtio, scsi or sata" "$V" lvdisk --bus ide vd/vm-100-disk-0
refused "lvdisk --cache bogus" "cache bogus: expected none" "$V" lvdisk --cache bogus vd/vm-100-disk-0
refused "lvdisk --io native --cache writeback" "io native needs cache none or directsync" \
	"$V" lvdisk --io native --cache writeback vd/vm-100-disk-0
refused "lvdisk --serial of 21 characters" "serial 012345678901234567890: at most 20" \
	"$V" lvdisk --serial 012345678901234567890 vd/vm-100-disk-0
refused "lvdisk --serial with a quote" "at most 20 letters" "$V" lvdisk --serial "a'b" vd/vm-100-disk-0
refused "lvdisk --target VDB" "target VDB: expected a device name" "$V" lvdisk --target VDB vd/vm-100-disk-0
refused "lvdisk --format yaml" "--format yaml: expected libvirt, qemu or json" "$V" lvdisk --format yaml vd/vm-100-disk-0
refused "lvdisk of a missing LV" "logical volume vd/nope not found" "$V" lvdisk vd/nope
refused "lvattach with --qmp and --live" "--live and --config are for libvirt" \
	"$V" lvattach --qmp /nonexistent --live vd/vm-100-disk-0
refused "lvattach without a domain" "expected VG/LV DOMAIN" "$V" lvattach vd/vm-100-disk-0
refused "lvattach with activation off" "activation is turned off" "$V" lvattach vd/vm-100-disk-0 vm100
refused "lvextend with --notify and --qmp" "give --notify DOMAIN or --qmp SOCKET, not both" \
	"$V" lvextend -l +1 --notify vm100 --qmp /x vd/vm-100-disk-0
finish
