/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvolmgr: an LVM2-compatible volume manager as a C library.
 *
 * Conventions: every handle is opaque; functions return 0 or a negative
 * errno; constructors return the object through an out-parameter; every
 * *_free() accepts NULL. The library never prints and never prompts: it
 * reports through the context's log callback and asks through its confirm
 * callback. vm_ctx_error() gives a one-line reason for the last failure.
 *
 * Sizes are in bytes unless the name says extents or sectors.
 */
#ifndef VOLMGR_H
#define VOLMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vm_ctx vm_ctx;
typedef struct vm_vg vm_vg;
typedef struct vm_pv vm_pv;
typedef struct vm_lv vm_lv;

/* ---------------------------------------------------------------- context */

enum vm_log_level { VM_LOG_ERROR = 0, VM_LOG_WARN, VM_LOG_INFO, VM_LOG_DEBUG };
typedef void (*vm_log_fn)(int level, const char *msg, void *user);
/* Return true to answer yes. Without a callback every question is answered no. */
typedef bool (*vm_confirm_fn)(const char *question, void *user);

/*
 * A new context. Reads $VOLMGR_SYSTEM_DIR (default /etc/volmgr)/volmgr.conf
 * if present and $VOLMGR_DEVICES (comma-separated device list). When that
 * fails (-errno), *out is still a context, for vm_ctx_error() to say why;
 * free it with vm_ctx_free(). Only -ENOMEM leaves *out unset.
 */
int vm_ctx_new(vm_ctx **out);
void vm_ctx_free(vm_ctx *ctx);
void vm_ctx_set_log(vm_ctx *ctx, vm_log_fn fn, void *user);
void vm_ctx_set_confirm(vm_ctx *ctx, vm_confirm_fn fn, void *user);
/* Restrict every scan to these devices (comma-separated); NULL lifts it. */
int vm_ctx_set_devices(vm_ctx *ctx, const char *list);
/* Recorded as the description of backups ("Created *after* executing ..."). */
int vm_ctx_set_description(vm_ctx *ctx, const char *text);
/* One line saying what failed and where; "" if nothing failed. */
const char *vm_ctx_error(const vm_ctx *ctx);
const char *vm_ctx_system_dir(const vm_ctx *ctx);

/* ---------------------------------------------------------------- sizes */

/*
 * Parse "10", "1.5g", "512K", "+4m", "-1G", "100%FREE", "50%VG", "10%PVS"
 * as lvm2's -L/-l do. Units b s k m g t p e (any case, powers of 1024);
 * @default_unit applies when none is given ('m' for -L, 0 for -l: extents).
 */
enum vm_size_kind { VM_SIZE_BYTES, VM_SIZE_EXTENTS, VM_SIZE_PERCENT_FREE,
		    VM_SIZE_PERCENT_VG, VM_SIZE_PERCENT_PVS, VM_SIZE_PERCENT_ORIGIN };
struct vm_size {
	enum vm_size_kind kind;
	int sign;               /* -1, 0 or +1 as written */
	uint64_t value;         /* bytes, extents, or percent */
};
int vm_size_parse(const char *text, char default_unit, struct vm_size *out);

/* ---------------------------------------------------------------- PVs */

struct vm_pvcreate_params {
	uint64_t metadata_size;     /* 0: default (the area fills up to pe_start = 8 MiB) */
	uint64_t data_alignment;    /* 0: 1 MiB */
	int force;                  /* 1: -f (wipe signatures); 2: -ff (re-create a PV in a VG) */
	bool yes;                   /* answer yes to questions */
};
int vm_pvcreate(vm_ctx *ctx, const char *device, const struct vm_pvcreate_params *p);
int vm_pvremove(vm_ctx *ctx, const char *device, int force, bool yes);

/* pvck: the label and each metadata area of one device, checked. */
struct vm_pv_check {
	uint32_t label_sector;
	uint32_t mda_count;
	uint64_t mda_offset[8], mda_size[8];
	char mda_problem[8][512];      /* "" when the area is sound */
	char mda_vg[128];              /* VG named by the newest text, "" if none */
};
/* 0 with @out filled, or -errno (no label, damaged label: the reason in vm_ctx_error()). */
int vm_pv_check(vm_ctx *ctx, const char *device, struct vm_pv_check *out);

/*
 * Every PV found by a scan, orphans included. Orphan handles and names stay
 * valid until the next scan (vm_vg_open() scans too).
 */
int vm_scan(vm_ctx *ctx);
/* A lighter scan that only names the VGs found (no orphan list). */
int vm_scan_names(vm_ctx *ctx);
size_t vm_orphan_count(vm_ctx *ctx);
vm_pv *vm_orphan_at(vm_ctx *ctx, size_t i);
/* VG names found by the last scan, sorted. */
size_t vm_vg_name_count(vm_ctx *ctx);
const char *vm_vg_name_at(vm_ctx *ctx, size_t i);

const char *vm_pv_device(const vm_pv *pv);     /* path, or "[unknown]" when missing */
void vm_pv_uuid(const vm_pv *pv, char out[39]);
const char *vm_pv_vg_name(const vm_pv *pv);    /* "" for an orphan */
uint64_t vm_pv_dev_size(const vm_pv *pv);
uint64_t vm_pv_size(const vm_pv *pv);          /* usable: pe_count * extent size (orphan: dev - pe_start) */
uint64_t vm_pv_free(const vm_pv *pv);
uint64_t vm_pv_pe_start(const vm_pv *pv);
uint64_t vm_pv_pe_count(const vm_pv *pv);
uint64_t vm_pv_pe_alloc_count(const vm_pv *pv);
uint32_t vm_pv_mda_count(const vm_pv *pv);
uint64_t vm_pv_mda_size(const vm_pv *pv);
uint64_t vm_pv_mda_free(const vm_pv *pv);
bool vm_pv_missing(const vm_pv *pv);
void vm_pv_attr(const vm_pv *pv, char out[4]);
size_t vm_pv_tag_count(const vm_pv *pv);
const char *vm_pv_tag_at(const vm_pv *pv, size_t i);

/* ---------------------------------------------------------------- VGs */

enum { VM_VG_READ = 0, VM_VG_WRITE = 1, VM_VG_PARTIAL = 2 };
/*
 * Lock (shared for reading, exclusive for writing) and read a VG: the copy
 * with the highest seqno wins. -ENOENT if no such VG. The lock is held until
 * vm_vg_free(). A VG with a PV missing is not opened for writing (-ENXIO)
 * unless VM_VG_PARTIAL is added, and then only vm_vg_remove_missing() may
 * change it until the missing PVs are out.
 */
int vm_vg_open(vm_ctx *ctx, const char *name, int mode, vm_vg **out);
/* A new VG over @devs (orphan PVs; blank devices are made PVs). Nothing is written before commit. */
int vm_vg_create(vm_ctx *ctx, const char *name, uint64_t extent_size,
		 const char *const *devs, size_t ndevs, vm_vg **out);
/* Write the changed VG to every metadata area, atomically; then the backup. */
int vm_vg_commit(vm_vg *vg);
void vm_vg_free(vm_vg *vg);

int vm_vg_extend(vm_vg *vg, const char *const *devs, size_t ndevs);
/* All or nothing: fails without change if any PV holds extents. */
int vm_vg_reduce(vm_vg *vg, const char *const *devs, size_t ndevs);
/*
 * Take the missing PVs out of the VG. LVs with extents on them, and what
 * stands on those (snapshots, users), stop the change (-EBUSY) unless @force,
 * which removes them, deactivated first. All or nothing; @lvs_removed (may
 * be NULL) counts the LVs that went. No missing PV: 0, nothing changed.
 */
int vm_vg_remove_missing(vm_vg *vg, bool force, size_t *lvs_removed);
int vm_vg_rename(vm_vg *vg, const char *new_name);
/* Remove the VG (commit writes it away). With @force its LVs go too, else -EBUSY. */
int vm_vg_remove(vm_vg *vg, bool force);
/* Write a backup file of the VG to @path (NULL: the default backup). */
int vm_vg_backup(vm_vg *vg, const char *path);
/* Restore metadata from a backup file onto the PVs it names (found by uuid). */
int vm_vg_restore(vm_ctx *ctx, const char *name, const char *path);
/*
 * Check metadata areas; with @repair rewrite stale or damaged ones, and empty
 * those of outdated PVs (left out of the VG while they were missing).
 * Problems found, or -errno.
 */
int vm_vg_check(vm_ctx *ctx, const char *name, bool repair);

const char *vm_vg_name(const vm_vg *vg);
void vm_vg_uuid(const vm_vg *vg, char out[39]);
uint64_t vm_vg_seqno(const vm_vg *vg);
uint64_t vm_vg_extent_size(const vm_vg *vg);
uint64_t vm_vg_extent_count(const vm_vg *vg);
uint64_t vm_vg_free_count(const vm_vg *vg);
uint64_t vm_vg_size(const vm_vg *vg);
uint64_t vm_vg_free_bytes(const vm_vg *vg);
uint64_t vm_vg_mda_size(const vm_vg *vg);      /* smallest area */
uint64_t vm_vg_mda_free(const vm_vg *vg);      /* room left for the text in it */
uint32_t vm_vg_mda_count(const vm_vg *vg);
void vm_vg_attr(const vm_vg *vg, char out[7]);
size_t vm_vg_pv_count(const vm_vg *vg);
vm_pv *vm_vg_pv_at(vm_vg *vg, size_t i);
size_t vm_vg_lv_count(const vm_vg *vg);        /* visible LVs */
size_t vm_vg_lv_total(const vm_vg *vg);        /* every LV, hidden ones too */
vm_lv *vm_vg_lv_at(vm_vg *vg, size_t i);       /* 0 <= i < vm_vg_lv_total() */
vm_lv *vm_vg_lv_find(vm_vg *vg, const char *name);
size_t vm_vg_tag_count(const vm_vg *vg);
const char *vm_vg_tag_at(const vm_vg *vg, size_t i);

/* ---------------------------------------------------------------- LVs */

enum vm_alloc { VM_ALLOC_INHERIT = 0, VM_ALLOC_NORMAL, VM_ALLOC_CONTIGUOUS, VM_ALLOC_CLING,
		VM_ALLOC_ANYWHERE };
int vm_alloc_parse(const char *name, enum vm_alloc *out);

struct vm_lv_params {
	const char *name;              /* NULL: lvolN */
	uint64_t extents;
	uint32_t stripes;              /* 0 or 1: linear */
	uint64_t stripe_size;          /* bytes; 0: 64 KiB */
	enum vm_alloc alloc;
	const char *const *pvs;        /* allocate only from these devices */
	size_t npvs;
	const char *const *tags;
	size_t ntags;
};

/*
 * Turn a parsed size into extents for @vg (for an LV: @lv, else NULL),
 * rounding bytes up to whole extents. Percentages count free, total or the
 * named PVs' extents. @stripes rounds up to a whole number of stripes.
 */
int vm_vg_size_to_extents(vm_vg *vg, const vm_lv *lv, const struct vm_size *sz,
			  const char *const *pvs, size_t npvs, uint32_t stripes, uint64_t *extents);

int vm_lv_create(vm_vg *vg, const struct vm_lv_params *p, vm_lv **out);
/*
 * The size @lv would have after a resize to @sz as lvm2 reads it: "+" adds,
 * "-" takes away, no sign sets; percentages of @pvs (or the VG); rounded to
 * the stripes of its last segment. -EINVAL if it would reach zero or below.
 */
int vm_lv_resize_target(vm_lv *lv, const struct vm_size *sz, const char *const *pvs, size_t npvs,
			uint64_t *extents);
/* Grow or shrink to @extents; growth allocates with @alloc from @pvs (or any). */
int vm_lv_resize(vm_lv *lv, uint64_t extents, enum vm_alloc alloc,
		 const char *const *pvs, size_t npvs);
int vm_lv_remove(vm_lv *lv);
/* Remove every LV of the VG, users (snapshots, thin volumes) before what they use. */
int vm_vg_remove_lvs(vm_vg *vg);
int vm_lv_rename(vm_lv *lv, const char *new_name);
int vm_lv_add_tag(vm_lv *lv, const char *tag);
int vm_lv_del_tag(vm_lv *lv, const char *tag);

const char *vm_lv_name(const vm_lv *lv);
void vm_lv_uuid(const vm_lv *lv, char out[39]);
vm_vg *vm_lv_vg(const vm_lv *lv);
uint64_t vm_lv_extents(const vm_lv *lv);
uint64_t vm_lv_size(const vm_lv *lv);
bool vm_lv_visible(const vm_lv *lv);
bool vm_lv_known(const vm_lv *lv);             /* false: a segment type volmgr does not handle */
void vm_lv_attr(const vm_lv *lv, char out[11]);
int64_t vm_lv_creation_time(const vm_lv *lv);
const char *vm_lv_creation_host(const vm_lv *lv);
const char *vm_lv_alloc(const vm_lv *lv);      /* "inherit", "contiguous", ... */
size_t vm_lv_tag_count(const vm_lv *lv);
const char *vm_lv_tag_at(const vm_lv *lv, size_t i);

struct vm_seg {
	uint64_t start_extent;
	uint64_t extent_count;
	const char *type;              /* "striped", or the unknown type's name */
	uint32_t stripes;              /* 0 for an unknown type */
	uint64_t stripe_size;          /* bytes; 0 for linear */
};
size_t vm_lv_seg_count(const vm_lv *lv);
int vm_lv_seg(const vm_lv *lv, size_t i, struct vm_seg *out);
/* Stripe @k of segment @i: the PV and its first extent. */
int vm_lv_seg_stripe(vm_lv *lv, size_t i, uint32_t k, vm_pv **pv, uint64_t *pe);

/* ---------------------------------------------------------------- snapshots */

/*
 * Old-style snapshots (dm-snapshot), written as lvm2 writes them. The
 * snapshot is the LV named by the user (its COW store); a hidden LV
 * "snapshotN" joins it to the origin. The COW is an ordinary allocation of
 * @extents; vm_snapshot_cow_extents() sizes one for a percentage of the
 * origin with the exception store's overhead (100: survives a full
 * overwrite of the origin).
 */
struct vm_snapshot_params {
	const char *name;              /* NULL: lvolN */
	uint64_t extents;              /* COW size */
	uint64_t chunk_size;           /* bytes, power of two, 4 KiB to 512 KiB; 0: 4 KiB */
	const char *const *pvs;        /* allocate the COW only from these devices */
	size_t npvs;
};
int vm_lv_snapshot(vm_lv *origin, const struct vm_snapshot_params *p, vm_lv **out);
uint64_t vm_snapshot_cow_extents(const vm_vg *vg, uint64_t origin_bytes, uint64_t chunk, unsigned pct);
const char *vm_lv_origin(const vm_lv *lv);     /* a snapshot's origin; NULL if not a snapshot */
size_t vm_lv_snapshot_count(const vm_lv *lv);  /* snapshots of this origin */
uint64_t vm_lv_snapshot_chunk(const vm_lv *lv);/* bytes; 0 if not a snapshot */
/*
 * After the commit that created snapshot @snap: zero the first chunk of its
 * COW on its PV, so that the kernel takes it as a new, empty store whenever
 * it is activated (vm_lv_activate_new() does it too, through the device).
 */
int vm_lv_snapshot_zero(vm_lv *snap);

/* ---------------------------------------------------------------- activation */

/*
 * LVs as device-mapper devices, named as lvm2 names them: /dev/mapper/VG-LV
 * (a '-' inside either name doubled), dm uuid "LVM-" + VG id + LV id, and
 * the link /dev/VG/LV. Without device-mapper in the kernel every LV is
 * inactive and activating fails with -ENODEV.
 */
bool vm_dm_available(vm_ctx *ctx);
/*
 * 0 when LVs can be activated; -EPERM when volmgr.conf turns activation
 * off (global/activation = 0: every LV stays inactive, nothing asks the
 * kernel); -ENODEV when the kernel has no device-mapper.
 */
int vm_activation_check(vm_ctx *ctx);

struct vm_lv_state {
	bool active;                   /* a dm device with the LV's uuid exists */
	bool suspended;
	bool read_only;
	uint32_t open_count;
	uint32_t read_ahead;           /* sectors, as the kernel has it */
	int32_t major, minor;          /* -1 when inactive */
	char dm_name[128];             /* its name in the kernel, "" when inactive */
};
int vm_lv_state(vm_lv *lv, struct vm_lv_state *out);

enum { VM_ACTIVATE_PARTIAL = 1 };  /* parts on missing PVs become error targets */
/* Activate (nothing to do if active). A failure leaves no device behind. */
int vm_lv_activate(vm_lv *lv, unsigned flags);
/* Deactivate; -EBUSY while it is open. */
int vm_lv_deactivate(vm_lv *lv);
/* Load the table the metadata gives an active LV (suspend, load, resume). */
int vm_lv_refresh(vm_lv *lv);
/*
 * After the commit that created @lv: activate it, wipe the signatures in it
 * (@wipe) and zero its first 4 KiB (@zero). On failure the LV is deactivated,
 * removed and that removal committed.
 */
int vm_lv_activate_new(vm_lv *lv, bool zero, bool wipe);
/* Every visible LV not flagged to skip activation; *@nactive counts those now active. */
int vm_vg_activate(vm_vg *vg, unsigned flags, size_t *nactive);
/* Every LV; none if any is open (-EBUSY). */
int vm_vg_deactivate(vm_vg *vg);
/*
 * Active LVs follow metadata changes by themselves: vm_lv_remove() and
 * vm_vg_remove() deactivate first (-EBUSY when open); vm_vg_commit() gives
 * a reduced LV its smaller table before writing and a grown or renamed LV
 * its new table or name after.
 */

/* An active snapshot's use of its COW, from the kernel (-ENXIO when inactive). */
struct vm_snapshot_usage {
	bool invalid;                  /* the COW filled up: the kernel dropped the snapshot */
	uint64_t used, total;          /* bytes of the COW in use (exception tables included), its size */
	uint64_t metadata;             /* bytes of it that are exception tables */
};
int vm_lv_snapshot_usage(vm_lv *lv, struct vm_snapshot_usage *out);
/* Percent of the COW in use as lvm2 reports it (Snap%): 100 when invalid. */
double vm_snapshot_percent(const struct vm_snapshot_usage *u);

/*
 * Grow the COW of every active snapshot of @vg that is at least @threshold
 * percent full by @percent of its size (at least one extent), in one
 * commit. @threshold 100 or more, or @percent 0: nothing (off). *@extended:
 * how many grew. The settings of volmgr.conf (activation section,
 * snapshot_autoextend_threshold, default 70, snapshot_autoextend_percent,
 * default 20) come from vm_ctx_snapshot_autoextend().
 */
int vm_vg_autoextend_snapshots(vm_ctx *ctx, const char *vgname, unsigned threshold, unsigned percent,
			       size_t *extended);
int vm_ctx_snapshot_autoextend(const vm_ctx *ctx, unsigned *threshold, unsigned *percent);

/*
 * Merge a snapshot back into its origin (snapshot-merge): vm_lv_merge()
 * marks it merging in the metadata (commit after; the origin must have no
 * other snapshot); vm_lv_merge_start() then starts the merge in the kernel
 * if the origin is active and nothing has it or its snapshot open, else
 * *@delayed: it starts when the origin is next activated. The origin reads
 * as the snapshot from the start. vm_vg_finish_merges() (VG open to write)
 * removes the snapshots whose merge the kernel has finished and gives their
 * origins plain tables again; *@merging counts those still merging and
 * *@percent is the least progress among them.
 */
int vm_lv_merge(vm_lv *snap);
int vm_lv_merge_start(vm_lv *snap, bool *delayed);
int vm_vg_finish_merges(vm_vg *vg, size_t *finished, size_t *merging, double *percent);

/* The filesystem in an active LV (-ENXIO when inactive); type "" if none is found. */
struct vm_fs_info {
	char type[32];                 /* blkid's name: "ext4", "xfs", ... */
	uint64_t size;                 /* bytes, from the superblock (ext2/3/4, xfs); 0 if unknown */
	char mountpoint[256];          /* "" when not mounted */
};
int vm_lv_fs_info(vm_lv *lv, struct vm_fs_info *out);
/*
 * Resize the filesystem in an active LV to @new_size: ext2/3/4 with
 * resize2fs (grows mounted or not, shrinks only unmounted; @check runs
 * e2fsck -f first when unmounted), xfs with xfs_growfs (grows, mounted).
 * The tools' output goes to the log.
 */
int vm_lv_fs_resize(vm_lv *lv, uint64_t new_size, bool check);

/* The dm name of VG/LV (with an optional layer such as "real", "cow"). */
int vm_dm_name(const char *vg, const char *lv, const char *layer, char *out, size_t len);
/* The reverse: "" for no layer. -EINVAL if @dm is not such a name. */
int vm_dm_name_split(const char *dm, char *vg, size_t vglen, char *lv, size_t lvlen, char *layer,
		     size_t layerlen);

/* ---------------------------------------------------------------- guests' disks */

/*
 * An LV as a guest's raw disk. Defaults: target vdb, bus virtio, cache none
 * (O_DIRECT), io native (Linux AIO; needs cache none or directsync), serial
 * the LV's uuid without dashes cut to 20 characters. The qemu node name is
 * "lv" + the first 29 characters of that uuid, the device id node + "-dev".
 */
struct vm_disk_params {
	const char *target;            /* vdb, sdc ... */
	const char *bus;               /* virtio, scsi, sata */
	const char *cache;             /* none, writeback, writethrough, directsync, unsafe */
	const char *io;                /* native, threads, io_uring */
	const char *serial;            /* at most 20 of [A-Za-z0-9._-] */
};
enum vm_disk_format { VM_DISK_LIBVIRT, VM_DISK_QEMU, VM_DISK_JSON };
/* The definition as text (libvirt <disk> XML, qemu -blockdev/-device lines, JSON); free() it. */
int vm_lv_disk(vm_lv *lv, const struct vm_disk_params *p, enum vm_disk_format f, char **out);

/*
 * Both attach functions check @p, activate the LV (if it is not), then ask
 * the hypervisor; the LV stays active if the hypervisor refuses.
 */
/* A running qemu's QMP socket: blockdev-add + device_add (undone if the second fails). */
int vm_lv_qmp_attach(vm_lv *lv, const char *socket_path, const struct vm_disk_params *p);
/* device_del, wait for the guest to release it (DEVICE_DELETED), blockdev-del. */
int vm_lv_qmp_detach(vm_lv *lv, const char *socket_path, int timeout_ms);
/* block_resize to the LV's size: after the LV grew (its device resumed). */
int vm_lv_qmp_resize(vm_lv *lv, const char *socket_path);

/* Through libvirt's virsh: attach-device, detach-disk, blockresize. */
enum { VM_ATTACH_LIVE = 1, VM_ATTACH_CONFIG = 2 };
int vm_lv_libvirt_attach(vm_lv *lv, const char *domain, const struct vm_disk_params *p, unsigned flags);
int vm_lv_libvirt_detach(vm_lv *lv, const char *domain, const char *target, unsigned flags);
int vm_lv_libvirt_resize(vm_lv *lv, const char *domain);

#ifdef __cplusplus
}
#endif
#endif
