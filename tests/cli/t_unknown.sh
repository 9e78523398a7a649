#!/bin/bash
# What volmgr does not understand, it keeps: keys it does not know at the top
# level and in VG, PV, LV and segment sections, and LVs of segment types it
# does not handle (here a thin pool and a thin LV, whose sub-LVs are ordinary
# hidden striped LVs). A VG holding them, written by hand, goes through
# volmgr's lvcreate and lvextend of another LV: the metadata on disk must come
# out the same but for the new LV, seqno and time stamps, and lvm2 must still
# accept it. volmgr lists the LVs of unknown type, refuses to resize them, and
# refuses to remove or rename the LVs that they name.
. "$(dirname "$0")/lib.sh"

setup_loops 2 64
ok "vgcreate vu" "$V" vgcreate vu "$D1" "$D2"
VGID=$("$V" vgs --noheadings -o vg_uuid vu | tr -d ' ')
read -r P0 SZ0 START0 COUNT0 <<< "$("$V" pvs --noheadings --units s --nosuffix \
	-o pv_uuid,dev_size,pe_start,pv_pe_count "$D1")"
read -r P1 SZ1 START1 COUNT1 <<< "$("$V" pvs --noheadings --units s --nosuffix \
	-o pv_uuid,dev_size,pe_start,pv_pe_count "$D2")"

# "pool" is a thin pool as lvm2 writes one (data "pool_tdata", metadata
# "pool_tmeta", both hidden striped LVs), with one key lvm2 does not know
# either; "thin1" is a thin LV in it. Every *_future_* key is unknown to both
# tools.
cat > "$TESTDIR/vu.vg" <<VG
vu {
	id = "$VGID"
	seqno = 1
	format = "lvm2"
	status = ["RESIZEABLE", "READ", "WRITE"]
	flags = []
	extent_size = 8192
	max_lv = 0
	max_pv = 0
	metadata_copies = 0
	vg_future_key = "VG level"
	vg_future_section {
		answer = 42
		list = ["x", 1, "y"]
	}
	physical_volumes {
		pv0 {
			id = "$P0"
			device = "$D1"
			status = ["ALLOCATABLE"]
			flags = []
			dev_size = $SZ0
			pe_start = $START0
			pe_count = $COUNT0
			pv_future_key = 7
		}
		pv1 {
			id = "$P1"
			device = "$D2"
			status = ["ALLOCATABLE"]
			flags = []
			dev_size = $SZ1
			pe_start = $START1
			pe_count = $COUNT1
		}
	}
	logical_volumes {
		plain {
			id = "plain0-0000-0000-0000-0000-0000-000001"
			status = ["READ", "WRITE", "VISIBLE"]
			flags = []
			creation_time = 1700000000
			creation_host = "handmade"
			lv_future_key = ["a", "b"]
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 2
				type = "striped"
				stripe_count = 1
				stripes = ["pv0", 0]
				seg_future_key = "segment level"
			}
		}
		pool {
			id = "pool00-0000-0000-0000-0000-0000-000002"
			status = ["READ", "WRITE", "VISIBLE"]
			flags = []
			creation_time = 1700000000
			creation_host = "handmade"
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 4
				type = "thin-pool"
				metadata = "pool_tmeta"
				pool = "pool_tdata"
				transaction_id = 1
				chunk_size = 128
				discards = "passdown"
				zero_new_blocks = 1
				pool_future_key = "kept"
			}
		}
		pool_tmeta {
			id = "tmeta0-0000-0000-0000-0000-0000-000003"
			status = ["READ", "WRITE"]
			flags = []
			creation_time = 1700000000
			creation_host = "handmade"
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 1
				type = "striped"
				stripe_count = 1
				stripes = ["pv1", 0]
			}
		}
		pool_tdata {
			id = "tdata0-0000-0000-0000-0000-0000-000004"
			status = ["READ", "WRITE"]
			flags = []
			creation_time = 1700000000
			creation_host = "handmade"
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 4
				type = "striped"
				stripe_count = 1
				stripes = ["pv1", 1]
			}
		}
		thin1 {
			id = "thin10-0000-0000-0000-0000-0000-000005"
			status = ["READ", "WRITE", "VISIBLE"]
			flags = []
			creation_time = 1700000000
			creation_host = "handmade"
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 8
				type = "thin"
				thin_pool = "pool"
				transaction_id = 0
				device_id = 1
			}
		}
	}
}
contents = "Text Format Volume Group"
version = 1
description = "unknown keys and segment types, by hand"
creation_host = "handmade"
creation_time = 1700000000
top_future_key = "top level"
VG

# lvm2 takes the file (a VG with thin volumes needs --force without
# device-mapper), but drops the keys it does not know as it writes: so the
# file goes on disk with volmgr's vgcfgrestore, which keeps them.
ok "lvm2 vgcfgrestore --force accepts the file" vgcfgrestore --force -f "$TESTDIR/vu.vg" vu
ok "volmgr vgcfgrestore" "$V" vgcfgrestore -f "$TESTDIR/vu.vg" vu
ok "lvm2 vgck vu" vgck vu
same "lvm2 reads the thin pool and the thin LV" \
	"$(lvs -a --noheadings -o lv_name,segtype,pool_lv vu 2>/dev/null | awk '{ print $1, $2, ($3 ? $3 : "-") }')" \
	"plain linear -
pool thin-pool -
[pool_tdata] linear -
[pool_tmeta] linear -
thin1 thin pool"

# drop_extra: the text without the section of LV "extra", indented or not
drop_extra() {
	awk '/^[ \t]*extra \{$/ { skip = 1 }
	     skip { depth += /\{$/; depth -= /^[ \t]*\}$/; if (!depth) skip = 0; next }
	     { print }'
}

# raw: the metadata text on D1 as lvm2 reads it from the disk, less what every
# change rewrites (seqno, the top-level description and time stamps) and the
# LV "extra" that the changes below add.
raw() {
	pvck --dump metadata "$D1" 2>/dev/null | sed '1,/^  ---$/d' |
		grep -Ev '^([[:space:]]*seqno|description|creation_host|creation_time) = ' |
		drop_extra
}
# lvm2's own backup, less its comments and blank lines, the same keys and
# "extra"
lvm2_backup() {
	vgcfgbackup -f "$TESTDIR/lvm2.vg" vu > /dev/null 2>&1
	grep -v '^#' "$TESTDIR/lvm2.vg" | sed 's/[[:space:]]*#.*$//' | grep -v '^[[:space:]]*$' |
		grep -Ev '^([[:space:]]*seqno|description|creation_host|creation_time) = ' |
		drop_extra
}
RAW=$(raw)
LVM2_BACKUP=$(lvm2_backup)
for k in 'top_future_key = "top level"' 'vg_future_key = "VG level"' 'answer = 42' 'pv_future_key = 7' \
	'lv_future_key = \["a", "b"\]' 'seg_future_key = "segment level"' 'type = "thin-pool"' \
	'pool_future_key = "kept"' 'thin_pool = "pool"'; do
	same "on disk before the changes: $k" "$(printf '%s\n' "$RAW" | grep -c "^[[:space:]]*$k$")" 1
done

ok "volmgr lvcreate of another LV" "$V" lvcreate -l 2 -n extra vu
ok "volmgr lvextend of another LV" "$V" lvextend -l +3 vu/extra "$D2"
same "the metadata on disk is the same but for the new LV" "$(raw)" "$RAW"
same "lvm2's backup is the same but for the new LV" "$(lvm2_backup)" "$LVM2_BACKUP"
ok "lvm2 vgck vu after volmgr's changes" vgck vu

# volmgr lists the LVs of unknown type, with their segment type (one row per
# segment: "extra" has two).
same "volmgr lvs lists them" "$("$V" lvs --noheadings -o lv_name,segtype,stripes vu 2>&1 | xargs -n 3)" \
	"extra linear 1
extra linear 1
plain linear 1
pool thin-pool 0
thin1 thin 0"

# They cannot be resized, and what they name can be neither removed nor
# renamed (lvm2 would rename or remove it with them).
fails "lvextend the thin pool" "$V" lvextend -l +1 vu/pool
fails "lvextend the thin LV" "$V" lvextend -l +1 vu/thin1
fails "lvresize the thin pool" "$V" lvresize -f -l -1 vu/pool
fails "lvrename the thin pool (thin1 uses it)" "$V" lvrename vu pool pool2
fails "lvremove the thin pool (thin1 uses it)" "$V" lvremove vu/pool
fails "lvremove the pool's data LV" "$V" lvremove vu/pool_tdata
fails "lvrename the pool's metadata LV" "$V" lvrename vu pool_tmeta other_tm
same "after the refusals, the metadata on disk is unchanged" "$(raw)" "$RAW"

# Removing the LVs of unknown type works, the thin LV first; the pool's
# hidden sub-LVs, used by nothing else, go with the pool (as with lvm2).
ok "volmgr lvremove the thin LV" "$V" lvremove vu/thin1
ok "lvm2 vgck vu without thin1" vgck vu
ok "volmgr lvremove the thin pool" "$V" lvremove vu/pool
ok "lvm2 vgck vu without the pool" vgck vu
same "lvm2: the pool went with its sub-LVs" \
	"$(lvs -a --noheadings -o lv_name,segtype vu 2>/dev/null | xargs -n 2)" \
	"extra linear
extra linear
plain linear"
ok "lvm2 vgck vu at the end" vgck vu
same "the unknown keys are still on disk" \
	"$(pvck --dump metadata "$D1" 2>/dev/null | grep -c '_future_key = ')" 5

# vgremove -f takes every LV, users (the thin LV, then the pool) before what
# they name, and the pool's hidden sub-LVs with the pool.
ok "volmgr vgcfgrestore the thin VG again" "$V" vgcfgrestore -f "$TESTDIR/vu.vg" vu
ok "volmgr vgremove -f, thin pool and thin LV in it" "$V" vgremove -f vu
fails "volmgr: vu is gone" "$V" vgs vu
same "lvm2: vu is gone (vgs exits 5)" "$(vgs vu >/dev/null 2>&1; echo $?)" 5

finish
