#!/bin/sh
# shellcheck disable=SC2034,SC2086  # TNAME is for lib.sh; word splitting wanted
# Guest test (tests/vm/run --disks 2 tests/vm/t_udev.sh): volmgr's udev rules
# (udev/57-volmgr.rules, in /opt/volmgr/udev/ with @DMSETUP@ filled in) give the LVs
# volmgr activates their /dev/VG/LV link, with dmsetup's rules alone and next to
# lvm2's (the same link, no error), and give none to layers (VG-LV-real) nor to dm
# devices that are not LVs (a CRYPT- uuid, no uuid).
#
# udevd does not run here: `udevadm test --action=ACTION /sys/class/block/dm-N`
# (systemd 252) runs the rules for one device and prints the resulting properties
# (DEVLINKS, DM_VG_NAME, ...) on stdout and the rule lines that fired ("...rules:23
# LINK 'vg/lv'") on stderr. It runs IMPORT programs, not RUN ones; it does create
# the links and the udev database entry (/run/udev/data/b253:N).
#
# Which event: an activation's uevent is a "change" (the resume) and carries a
# DM_COOKIE whose flags 55-dm.rules imports, DM_UDEV_PRIMARY_SOURCE_FLAG among them;
# `udevadm test` cannot pass the cookie. A later "add" (udevadm trigger at boot, a
# coldplug) is taken by 55-dm.rules only for a device whose database entry has that
# flag; for any other it sets DM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG, and lvm2's rules
# and volmgr's then make no link. So: "change" events; "add" after writing the flag
# into the database entry as udevd would have; and an "add" with no entry: no link.
TNAME=vm_udev
. /test/lib.sh
export VOLMGR_SYSTEM_DIR=/tmp/vm VOLMGR_LOCK_DIR=/tmp/vm/lock VOLMGR_DEVICES="$D1,$D2"
mkdir -p /tmp/vm
RULES=/lib/udev/rules.d
DB=/run/udev/data

# rules SET...: exactly these rule sets in effect (dmsetup, lvm2, volmgr); a fresh
# udev database.
rules() {
	rm -f /etc/udev/rules.d/*.rules "$RULES"/*.rules "$DB"/*
	for _rs in "$@"; do
		case $_rs in
		dmsetup | lvm2) cp /usr/share/vm-udev/$_rs/*.rules "$RULES/" ;;
		volmgr) cp /opt/volmgr/udev/*.rules "$RULES/" ;;
		esac
	done
	RSET=$(echo "$@" | tr ' ' '+')
}

# dmdev NAME: the dm-N kernel name of the dm device NAME.
dmdev() {
	for _sd in /sys/block/dm-*; do
		[ "$(cat "$_sd/dm/name" 2>/dev/null)" = "$1" ] && { echo "${_sd##*/}"; return 0; }
	done
	return 1
}

# utest ACTION NAME: `udevadm test` of dm device NAME; properties in /tmp/u.out, log in
# /tmp/u.err. Fails (with a message) when the device is missing or udevadm fails.
utest() {
	: >/tmp/u.out
	: >/tmp/u.err
	if ! _k=$(dmdev "$2"); then
		failed "[$RSET] $1 $2: no such dm device"
		return 1
	fi
	DMN=$_k
	if ! udevadm test --action="$1" "/sys/class/block/$_k" >/tmp/u.out 2>/tmp/u.err; then
		failed "[$RSET] udevadm test --action=$1 $_k ($2) exited non-zero: $(tail -n 3 /tmp/u.err | tr '\n' '|')"
		return 1
	fi
	return 0
}

prop() { sed -n "s/^$1=//p" /tmp/u.out | head -n 1; }
# links: DEVLINKS, one per line
links() { prop DEVLINKS | tr ' ' '\n' | grep -v '^$'; }
# vglinks: the links that are not /dev/mapper/*, /dev/disk/*, /dev/block/*
vglinks() { links | grep -Ev '^/dev/(mapper|disk|block)/' | tr '\n' ' ' | sed 's/ $//'; }
# problems: log lines that tell of a rule or program that went wrong. (The
# "Conflicting inode '/dev/mapper/X'" and "Failed to create/update device symlink
# '/dev/mapper/X'" lines are expected: without udev, libdevmapper made /dev/mapper/X
# a device node, and udev does not replace it with a link.)
problems() {
	grep -Ei 'invalid|unknown|error|failed|not found|ignoring|timeout|killed' /tmp/u.err |
		grep -Ev "(Conflicting inode|Failed to create/update device symlink) '/dev/mapper/|cgroup|hwdb" |
		head -n 3 | tr '\n' '|'
}

# lv_ok EVENT VG LV: the dm device of VG/LV gets the link VG/LV (once) and the names.
lv_ok() {
	_dm=$(printf '%s' "$2" | sed 's/-/--/g')-$(printf '%s' "$3" | sed 's/-/--/g')
	utest "$1" "$_dm" || return
	_w="[$RSET] $1 $DMN ($_dm)"
	is "$_w: the links beside /dev/mapper and /dev/disk" "$(vglinks)" "/dev/$2/$3"
	case $RSET in *dmsetup*)
		is "$_w: /dev/mapper/$_dm among the links" "$(links | grep -cxF "/dev/mapper/$_dm")" 1 ;;
	esac
	is "$_w: DM_VG_NAME" "$(prop DM_VG_NAME)" "$2"
	is "$_w: DM_LV_NAME" "$(prop DM_LV_NAME)" "$3"
	is "$_w: DM_LV_LAYER" "$(prop DM_LV_LAYER)" ""
	check "$_w: 57-volmgr.rules asked for the link" grep -q "57-volmgr\.rules:[0-9]* LINK '$2/$3'" /tmp/u.err
	is "$_w: no rule or program failed" "$(problems)" ""
}

# no_link EVENT NAME: the dm device NAME gets no link outside /dev/mapper, /dev/disk.
no_link() {
	utest "$1" "$2" || return
	_w="[$RSET] $1 $DMN ($2)"
	is "$_w: no VG/LV link" "$(vglinks)" ""
	check "$_w: 57-volmgr.rules asked for no link" sh -c "! grep -q '57-volmgr\.rules:[0-9]* LINK' /tmp/u.err"
	is "$_w: no rule or program failed" "$(problems)" ""
}

# --- what the rules should see ---------------------------------------------------
ok "udevadm runs ($(udevadm --version 2>&1))" udevadm --version
check "volmgr's rules are in /opt/volmgr/udev" [ -f /opt/volmgr/udev/57-volmgr.rules ]
check "@DMSETUP@ is filled in" sh -c '! grep -q @DMSETUP@ /opt/volmgr/udev/*.rules'
dmsetup_path=$(sed -n 's/.*IMPORT{program}="\([^ "]*\).*/\1/p' /opt/volmgr/udev/57-volmgr.rules | head -n 1)
check "the rules' dmsetup ($dmsetup_path) is there" [ -x "$dmsetup_path" ]

ok "volmgr pvcreate" volmgr pvcreate -q "$D1" "$D2"
ok "volmgr vgcreate vg" volmgr vgcreate -q vg "$D1"
ok "volmgr vgcreate my-vg" volmgr vgcreate -q my-vg "$D2"
ok "volmgr lvcreate vg/lv" volmgr lvcreate -q -y -L 4m -n lv vg
ok "volmgr lvcreate my-vg/my-lv" volmgr lvcreate -q -y -L 4m -n my-lv my-vg
ok "volmgr lvcreate my-vg/b" volmgr lvcreate -q -y -L 4m -n b my-vg
ok "volmgr vgchange -an my-vg" volmgr vgchange -q -an my-vg
check "my--vg-my--lv is inactive" sh -c '! dmsetup info my--vg-my--lv >/dev/null 2>&1'
ok "volmgr vgchange -ay my-vg" volmgr vgchange -q -ay my-vg
ok "volmgr lvchange -an vg/lv" volmgr lvchange -q -an vg/lv
ok "volmgr lvchange -ay vg/lv" volmgr lvchange -q -ay vg/lv
for n in vg-lv my--vg-my--lv my--vg-b; do
	ok "$n is active" dmdev $n
done

# A layer of vg/lv as lvm2 names it (an origin's -real; uuid = the LV's + "-real"),
# a cow of my-vg/b, and two dm devices that are not LVs, named like LVs.
uuid_lv=$(cat "/sys/block/$(dmdev vg-lv)/dm/uuid")
uuid_b=$(cat "/sys/block/$(dmdev my--vg-b)/dm/uuid")
ok "dmsetup create vg-lv-real (uuid $uuid_lv-real)" dmsetup create vg-lv-real -u "$uuid_lv-real" --table "0 8192 zero"
ok "dmsetup create my--vg-b-cow (uuid $uuid_b-cow)" dmsetup create my--vg-b-cow -u "$uuid_b-cow" --table "0 8192 zero"
ok "dmsetup create cr-data (uuid CRYPT-LUKS2-...)" \
	dmsetup create cr-data -u "CRYPT-LUKS2-0123456789abcdef0123456789abcdef-cr-data" --table "0 8192 zero"
ok "dmsetup create plain-dev (no uuid)" dmsetup create plain-dev --table "0 8192 zero"

others() {
	no_link "$1" vg-lv-real
	is "[$RSET] $1 vg-lv-real: DM_LV_LAYER" "$(prop DM_LV_LAYER)" real
	no_link "$1" my--vg-b-cow
	no_link "$1" cr-data
	no_link "$1" plain-dev
}

# --- volmgr's rules alone (no dm rules at all) -----------------------------------
rules volmgr
lv_ok change vg lv
lv_ok add my-vg my-lv
others change

# --- dmsetup's rules + volmgr's ----------------------------------------------------
rules dmsetup volmgr
lv_ok change vg lv
lv_ok change my-vg my-lv
lv_ok change my-vg b
others change
# coldplug: an "add" for devices udevd saw activated (the flag in their db entry)
for n in vg-lv my--vg-my--lv; do
	k=$(dmdev $n) && echo "E:DM_UDEV_PRIMARY_SOURCE_FLAG=1" >>"$DB/b253:${k#dm-}"
done
lv_ok add vg lv
lv_ok add my-vg my-lv
# ... and for one it never saw (no db entry): 55-dm.rules disables the subsystem rules
rm -f "$DB"/*
utest add my--vg-b && {
	is "[$RSET] add $DMN (my--vg-b) with no db entry: no VG/LV link" "$(vglinks)" ""
	is "[$RSET] add $DMN: DM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG" "$(prop DM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG)" 1
}

# --- dmsetup's + lvm2's + volmgr's: the same links, no error ---------------------------
rules dmsetup lvm2 volmgr
lv_ok change vg lv
check "[$RSET] 56-lvm.rules asked for vg/lv too" grep -q "56-lvm\.rules:[0-9]* LINK 'vg/lv'" /tmp/u.err
lv_ok change my-vg my-lv
check "[$RSET] 56-lvm.rules asked for my-vg/my-lv too" grep -q "56-lvm\.rules:[0-9]* LINK 'my-vg/my-lv'" /tmp/u.err
is "[$RSET] dmsetup splitname ran once (lvm2's; volmgr's rule reuses DM_LV_NAME)" \
	"$(grep -c "Starting '.*dmsetup splitname" /tmp/u.err)" 1
others change
k=$(dmdev vg-lv) && echo "E:DM_UDEV_PRIMARY_SOURCE_FLAG=1" >>"$DB/b253:${k#dm-}"
lv_ok add vg lv

# --- dmsetup's + lvm2's only: the reference for the above -------------------------------
rules dmsetup lvm2
utest change my--vg-my--lv && is "[$RSET] change $DMN: lvm2 alone gives the same link" "$(vglinks)" /dev/my-vg/my-lv

# --- and away ------------------------------------------------------------------------------
rules
ok "dmsetup remove the non-LV devices" dmsetup remove vg-lv-real my--vg-b-cow cr-data plain-dev
ok "volmgr vgchange -an vg my-vg" volmgr vgchange -q -an vg my-vg
is "no dm device is left" "$(dmsetup ls 2>&1)" "No devices found"
finish
