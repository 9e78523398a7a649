/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Activation: LVs as device-mapper devices. Every libdevmapper call of
 * libvolmgr is in this file.
 *
 * Names and uuids are lvm2's, so that lvm2, its udev rules and volmgr know
 * each other's devices: the dm name is VG-LV with every '-' inside either
 * name doubled, the dm uuid "LVM-" + VG id + LV id (raw, no dashes).
 *
 * /dev/mapper/NAME is made by udev when udevd runs (through the cookie), and
 * by libdevmapper itself when it does not. /dev/VG/LV is made by udev rules
 * (volmgr's or lvm2's) and, where no rule made it, by volmgr.
 *
 * Metadata changes of active LVs: a shrinking LV gets its smaller table
 * before the metadata frees its extents; a growing or renamed one gets its
 * new table or name after the commit (vm_vg_commit calls act_after_commit).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libdevmapper.h>
#include <linux/dm-ioctl.h>            /* DM_NAME_LEN, DM_UUID_LEN */

#include "internal.h"

#define DEV_DIR "/dev"

/* ---------------------------------------------------------------- names */

static size_t put_escaped(char *out, size_t at, size_t len, const char *s)
{
	for (; *s; s++) {
		if (*s == '-' && at + 1 < len)
			out[at++] = '-';
		if (at + 1 < len)
			out[at++] = *s;
	}
	return at;
}

int vm_dm_name(const char *vg, const char *lv, const char *layer, char *out, size_t len)
{
	if (!vg || !lv || !out || len < 2)
		return -EINVAL;
	size_t need = 2 + strlen(vg) * 2 + strlen(lv) * 2 + (layer ? strlen(layer) * 2 + 1 : 0);
	if (need > len || need > DM_NAME_LEN)
		return -ENAMETOOLONG;
	size_t at = put_escaped(out, 0, len, vg);
	out[at++] = '-';
	at = put_escaped(out, at, len, lv);
	if (layer && *layer) {
		out[at++] = '-';
		at = put_escaped(out, at, len, layer);
	}
	out[at] = 0;
	return 0;
}

/* One part of a dm name: up to a single '-' (a doubled one is a dash of the name). */
static const char *take_part(const char *s, char *out, size_t len, int *r)
{
	size_t at = 0;
	for (; *s; s++) {
		if (*s == '-') {
			if (s[1] != '-')
				break;
			s++;
		}
		if (at + 1 >= len) {
			*r = -ENAMETOOLONG;
			return s;
		}
		out[at++] = *s;
	}
	out[at] = 0;
	return *s == '-' ? s + 1 : s;
}

int vm_dm_name_split(const char *dm, char *vg, size_t vglen, char *lv, size_t lvlen, char *layer,
		     size_t layerlen)
{
	int r = 0;
	if (!dm || !vg || !lv || !layer || !vglen || !lvlen || !layerlen)
		return -EINVAL;
	const char *s = take_part(dm, vg, vglen, &r);
	s = take_part(s, lv, lvlen, &r);
	s = take_part(s, layer, layerlen, &r);
	if (!r && (*s || !vg[0] || !lv[0]))
		r = -EINVAL;
	return r;
}

static int lv_names(const vm_lv *lv, char *name, size_t nlen, char uuid[DM_UUID_LEN])
{
	const struct vmf_vg *md = lv->vg->md;
	if (uuid)
		snprintf(uuid, DM_UUID_LEN, "LVM-%.32s%.32s", md->id, lv->md->id);
	return name ? vm_dm_name(md->name, lv->md->name, NULL, name, nlen) : 0;
}

/* The dm name and uuid of a layer of an LV ("real", "cow"), as lvm2 makes them. */
static int layer_names(const vm_lv *lv, const char *layer, char *name, char uuid[DM_UUID_LEN])
{
	const struct vmf_vg *md = lv->vg->md;
	snprintf(uuid, DM_UUID_LEN, "LVM-%.32s%.32s-%s", md->id, lv->md->id, layer);
	return vm_dm_name(md->name, lv->md->name, layer, name, DM_NAME_LEN);
}

/* ---------------------------------------------------------------- libdevmapper */

/*
 * libdevmapper is loaded when activation is first needed, not at start:
 * commands that only touch metadata do not pay for it and its libraries
 * (libselinux, libudev, ...) at every start.
 */
#define DM_FUNCS(X) \
	X(dm_task_create) X(dm_task_destroy) X(dm_task_set_name) X(dm_task_set_uuid) \
	X(dm_task_set_newname) X(dm_task_set_cookie) X(dm_task_retry_remove) X(dm_task_add_target) \
	X(dm_task_run) X(dm_task_get_info) X(dm_task_get_name) X(dm_udev_wait) \
	X(dm_udev_get_sync_support) X(dm_driver_version) X(dm_log_with_errno_init) X(dm_task_set_ro) \
	X(dm_get_next_target)
#define DM_PTR(f) static __typeof__(f) *p_##f;
DM_FUNCS(DM_PTR)
#define DM_LIB "libdevmapper.so.1.02.1"

static bool dm_load(vm_ctx *ctx)
{
	static int state;                       /* 0 not tried, 1 loaded, -1 failed */
	if (!state) {
		void *h = dlopen(DM_LIB, RTLD_NOW | RTLD_LOCAL);
		state = h ? 1 : -1;
#define DM_SYM(f) if (h && !(p_##f = (__typeof__(f) *)dlsym(h, #f))) state = -1;
		DM_FUNCS(DM_SYM)
		if (state < 0)
			vm_log(ctx, VM_LOG_DEBUG, "cannot load %s: %s", DM_LIB, h ? "symbols missing" : dlerror());
	}
	return state > 0;
}
/* From here on every dm_* call goes through the loaded library. */
#define dm_task_create p_dm_task_create
#define dm_task_destroy p_dm_task_destroy
#define dm_task_set_name p_dm_task_set_name
#define dm_task_set_uuid p_dm_task_set_uuid
#define dm_task_set_newname p_dm_task_set_newname
#define dm_task_set_cookie p_dm_task_set_cookie
#define dm_task_retry_remove p_dm_task_retry_remove
#define dm_task_add_target p_dm_task_add_target
#define dm_task_run p_dm_task_run
#define dm_task_get_info p_dm_task_get_info
#define dm_task_get_name p_dm_task_get_name
#define dm_udev_wait p_dm_udev_wait
#define dm_udev_get_sync_support p_dm_udev_get_sync_support
#define dm_driver_version p_dm_driver_version
#define dm_log_with_errno_init p_dm_log_with_errno_init
#define dm_task_set_ro p_dm_task_set_ro
#define dm_get_next_target p_dm_get_next_target

/* libdevmapper logs through one global function: the context of the call under way. */
static __thread vm_ctx *dm_ctx;
static __thread char dm_last[512];

__attribute__((format(printf, 5, 6)))
static void dm_logger(int level, const char *file, int line, int dm_errno, const char *f, ...)
{
	(void)file;
	(void)line;
	(void)dm_errno;
	char msg[512];
	va_list ap;
	va_start(ap, f);
	vsnprintf(msg, sizeof(msg), f, ap);
	va_end(ap);
	if (level <= 3 /* _LOG_ERR */)
		snprintf(dm_last, sizeof(dm_last), "%s", msg);
	if (dm_ctx)
		vm_log(dm_ctx, VM_LOG_DEBUG, "libdevmapper: %s", msg);
}

static void dm_enter(vm_ctx *ctx)
{
	static bool once;
	if (!once) {
		dm_log_with_errno_init(dm_logger);
		once = true;
	}
	dm_ctx = ctx;
	dm_last[0] = 0;
}

bool vm_dm_available(vm_ctx *ctx)
{
	if (!ctx->activation)
		return false;
	if (!ctx->dm_checked) {
		ctx->dm_checked = true;
		/* Without a misc device or a control node that opens, libdevmapper cannot work;
		 * asking it anyway would have it make /dev/mapper on a host that has no
		 * device-mapper at all, and loading it costs more than a command without dm
		 * takes. Opening the node also loads dm-mod where it is a module. */
		if (access("/sys/class/misc/device-mapper", F_OK)) {
			int fd = open(DEV_DIR "/mapper/control", O_RDWR | O_CLOEXEC);
			if (fd < 0)
				return false;
			close(fd);
		}
		if (!dm_load(ctx))
			return false;
		char v[64];
		dm_enter(ctx);
		ctx->dm_ok = dm_driver_version(v, sizeof(v)) == 1;
		dm_ctx = NULL;
	}
	return ctx->dm_ok;
}

static int need_dm(vm_ctx *ctx, const char *what)
{
	if (!ctx->activation)
		return vm_err(ctx, -EPERM, "cannot %s: activation is turned off (global/activation = 0 in "
			      "%s/volmgr.conf)", what, ctx->system_dir);
	if (!vm_dm_available(ctx))
		return vm_err(ctx, -ENODEV, "cannot %s: this kernel has no device-mapper (dm-mod is not loaded)",
			      what);
	dm_enter(ctx);
	return 0;
}

int vm_activation_check(vm_ctx *ctx)
{
	int r = need_dm(ctx, "activate logical volumes");
	dm_ctx = NULL;
	return r;
}

/* A task for the device with @uuid (or @name when @uuid is NULL). */
static struct dm_task *task(int type, const char *uuid, const char *name)
{
	struct dm_task *t = dm_task_create(type);
	if (!t)
		return NULL;
	if ((uuid && !dm_task_set_uuid(t, uuid)) || (!uuid && name && !dm_task_set_name(t, name))) {
		dm_task_destroy(t);
		return NULL;
	}
	return t;
}

/* Run @t; with @cookie the udev cookie, waited for (node work included). */
static int run(vm_ctx *ctx, struct dm_task *t, bool cookie, const char *what, const char *name)
{
	uint32_t c = 0;
	int ok = 1;
	if (cookie) {
		uint16_t flags = dm_udev_get_sync_support() ? DM_UDEV_DISABLE_LIBRARY_FALLBACK : 0;
		ok = dm_task_set_cookie(t, &c, flags);
	}
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ok)
		ok = dm_task_run(t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (cookie)
		dm_udev_wait(c);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	vm_log(ctx, VM_LOG_DEBUG, "%s %s: %.3f ms, udev/nodes %.3f ms", what, name,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
	       (t2.tv_sec - t1.tv_sec) * 1e3 + (t2.tv_nsec - t1.tv_nsec) / 1e6);
	if (ok)
		return 0;
	int e = errno ? errno : EIO;
	return vm_err(ctx, -e, "%s %s failed: %s", what, name, dm_last[0] ? dm_last : strerror(e));
}

/* The kernel's read-ahead of a block device, in sectors (sysfs has it in KiB). */
static uint32_t read_ahead_of(uint32_t maj, uint32_t min)
{
	char path[96];
	unsigned kb = 0;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/read_ahead_kb", maj, min);
	FILE *f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%u", &kb) != 1)
			kb = 0;
		fclose(f);
	}
	return kb * 2;
}

static int query(vm_ctx *ctx, const char *uuid, struct vm_lv_state *out)
{
	memset(out, 0, sizeof(*out));
	out->major = out->minor = -1;
	struct dm_task *t = task(DM_DEVICE_INFO, uuid, NULL);
	struct dm_info info;
	if (!t)
		return -ENOMEM;
	int r = run(ctx, t, false, "device-mapper info of", uuid);
	if (!r && !dm_task_get_info(t, &info))
		r = vm_err(ctx, -EIO, "device-mapper info of %s: no answer", uuid);
	if (!r && info.exists) {
		const char *n = dm_task_get_name(t);
		out->active = true;
		out->suspended = info.suspended;
		out->read_only = info.read_only;
		out->open_count = info.open_count > 0 ? (uint32_t)info.open_count : 0;
		out->major = (int32_t)info.major;
		out->minor = (int32_t)info.minor;
		snprintf(out->dm_name, sizeof(out->dm_name), "%s", n ? n : "");
	}
	dm_task_destroy(t);
	return r;
}

int vm_lv_state(vm_lv *lv, struct vm_lv_state *out)
{
	vm_ctx *ctx = lv->vg->ctx;
	char uuid[DM_UUID_LEN];
	if (!lv->md)
		return -ENOENT;
	if (!vm_dm_available(ctx)) {
		memset(out, 0, sizeof(*out));
		out->major = out->minor = -1;
		return 0;
	}
	dm_enter(ctx);
	lv_names(lv, NULL, 0, uuid);
	int r = query(ctx, uuid, out);
	if (!r && out->active)
		out->read_ahead = read_ahead_of((uint32_t)out->major, (uint32_t)out->minor);
	dm_ctx = NULL;
	return r;
}

/* ---------------------------------------------------------------- tables */

/* Add the LV's segments to @t. Missing PVs: refused, or the error target with @partial. */
static int add_table(vm_lv *lv, struct dm_task *t, bool partial)
{
	vm_vg *vg = lv->vg;
	vm_ctx *ctx = vg->ctx;
	const struct vmf_vg *md = vg->md;
	const struct vmf_lv *m = lv->md;
	const uint64_t es = md->extent_size;
	char params[4096];
	if (m->unknown || !m->nseg)
		return vm_err(ctx, -EOPNOTSUPP, "cannot activate %s/%s: its segment type is not supported",
			      md->name, m->name);
	for (uint32_t s = 0; s < m->nseg; s++) {
		const struct vmf_seg *g = &m->segs[s];
		size_t at = 0;
		bool missing = false;
		if (g->stripe_count > 1)
			at += (size_t)snprintf(params, sizeof(params), "%u %u", g->stripe_count, g->stripe_size);
		for (uint32_t k = 0; k < g->stripe_count; k++) {
			uint32_t idx = g->stripes[k].pv;
			struct vm_dev *d = vg->pvs[idx].dev;
			if (!d) {
				char id[39];
				vmf_id_format(md->pvs[idx].id, id);
				if (!partial)
					return vm_err(ctx, -ENXIO, "cannot activate %s/%s: PV %s (last seen on %s) "
						      "is missing (--activationmode partial maps its part to an "
						      "error target)", md->name, m->name, id,
						      md->pvs[idx].device ? md->pvs[idx].device : "an unknown device");
				missing = true;
				break;
			}
			if (!major(d->rdev) && !minor(d->rdev))
				return vm_err(ctx, -ENOTBLK, "cannot activate %s/%s: %s is not a block device",
					      md->name, m->name, d->path);
			uint64_t off = md->pvs[idx].pe_start + g->stripes[k].pe * es;
			at += (size_t)snprintf(params + at, sizeof(params) - at, "%s%u:%u %" PRIu64,
					       at ? " " : "", major(d->rdev), minor(d->rdev), off);
			if (at >= sizeof(params))
				return vm_err(ctx, -E2BIG, "%s/%s: too many stripes", md->name, m->name);
		}
		const char *type = missing ? "error" : g->stripe_count > 1 ? "striped" : "linear";
		if (!dm_task_add_target(t, g->start_extent * es, g->extent_count * es, type,
					missing ? "" : params))
			return -ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------------- /dev/VG/LV */

/* /dev/VG/LV -> ../mapper/NAME, unless a udev rule made it already. */
static void add_link(vm_ctx *ctx, const char *vgname, const char *lvname, const char *dmname)
{
	char dir[NAME_MAX + 8], path[2 * NAME_MAX + 16], target[PATH_MAX];
	struct stat st;
	snprintf(dir, sizeof(dir), DEV_DIR "/%s", vgname);
	snprintf(path, sizeof(path), "%s/%s", dir, lvname);
	snprintf(target, sizeof(target), "../mapper/%s", dmname);
	if (!stat(path, &st) && S_ISBLK(st.st_mode))
		return;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		vm_log(ctx, VM_LOG_WARN, "WARNING: cannot create %s: %s", dir, strerror(errno));
		return;
	}
	unlink(path);
	if (symlink(target, path))
		vm_log(ctx, VM_LOG_WARN, "WARNING: cannot create %s: %s", path, strerror(errno));
}

/* Remove /dev/VG/LV if it no longer leads to a device, and /dev/VG once empty. */
static void del_link(const char *vgname, const char *lvname)
{
	char dir[NAME_MAX + 8], path[2 * NAME_MAX + 16];
	struct stat st, lst;
	snprintf(dir, sizeof(dir), DEV_DIR "/%s", vgname);
	snprintf(path, sizeof(path), "%s/%s", dir, lvname);
	if (!lstat(path, &lst) && S_ISLNK(lst.st_mode) && stat(path, &st))
		unlink(path);
	rmdir(dir);
}

/* ---------------------------------------------------------------- operations */

/* Snapshot stacks (below). */
static bool in_stack(vm_lv *lv, vm_lv **origin);
static int stack_activate(vm_lv *origin, unsigned flags, const vm_lv *fresh);
static int stack_deactivate(vm_lv *origin);
static int snapshot_deactivate(vm_lv *cow);
static int cow_reload(vm_lv *cow);

/* A new device @name/@uuid whose table @fill adds; libdevmapper removes it again if loading fails. */
static int create_dev(vm_lv *lv, const char *name, const char *uuid,
		      int (*fill)(vm_lv *lv, struct dm_task *t, const void *arg), const void *arg)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct dm_task *t = task(DM_DEVICE_CREATE, NULL, name);
	int r;
	if (!t || !dm_task_set_uuid(t, uuid) ||
	    /* an LV without write permission is a read-only device */
	    (!vmf_strlist_has(&lv->md->status, "WRITE") && !dm_task_set_ro(t))) {
		dm_task_destroy(t);
		return -ENOMEM;
	}
	if (!(r = fill(lv, t, arg)))
		r = run(ctx, t, true, "activating", name);
	dm_task_destroy(t);
	return r;
}

static int fill_segments(vm_lv *lv, struct dm_task *t, const void *arg)
{
	return add_table(lv, t, *(const unsigned *)arg & VM_ACTIVATE_PARTIAL);
}

static int create(vm_lv *lv, unsigned flags)
{
	vm_ctx *ctx = lv->vg->ctx;
	char name[DM_NAME_LEN], uuid[DM_UUID_LEN];
	int r = lv_names(lv, name, sizeof(name), uuid);
	if (r)
		return vm_err(ctx, r, "%s/%s: the device-mapper name would be too long", lv->vg->md->name,
			      lv->md->name);
	if (!(r = create_dev(lv, name, uuid, fill_segments, &flags)))
		add_link(ctx, lv->vg->md->name, lv->md->name, name);
	return r;
}

int vm_lv_activate(vm_lv *lv, unsigned flags)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct vm_lv_state st;
	int r;
	if (!lv->md)
		return -ENOENT;
	if (!vm_lv_visible(lv))
		return vm_err(ctx, -EPERM, "%s/%s is a hidden logical volume: it is activated with the LV that "
			      "uses it", lv->vg->md->name, lv->md->name);
	if ((r = need_dm(ctx, "activate logical volumes")))
		return r;
	char uuid[DM_UUID_LEN], name[DM_NAME_LEN];
	vm_lv *origin;
	if (in_stack(lv, &origin)) {
		r = stack_activate(origin, flags, NULL);
		dm_ctx = NULL;
		return r;
	}
	lv_names(lv, NULL, 0, uuid);
	if (!(r = query(ctx, uuid, &st))) {
		if (!st.active)
			r = create(lv, flags);
		else if (!lv_names(lv, name, sizeof(name), NULL))
			add_link(ctx, lv->vg->md->name, lv->md->name, name);   /* already active */
	}
	dm_ctx = NULL;
	return r;
}

static int remove_dev(vm_lv *lv, const struct vm_lv_state *st)
{
	vm_ctx *ctx = lv->vg->ctx;
	const char *vgn = lv->vg->md->name, *lvn = lv->md->name;
	if (st->open_count)
		return vm_err(ctx, -EBUSY, "logical volume %s/%s is in use (open %u time%s): close it first",
			      vgn, lvn, st->open_count, st->open_count > 1 ? "s" : "");
	struct dm_task *t = task(DM_DEVICE_REMOVE, NULL, st->dm_name);
	if (!t)
		return -ENOMEM;
	dm_task_retry_remove(t);
	int r = run(ctx, t, true, "deactivating", st->dm_name);
	dm_task_destroy(t);
	if (!r)
		del_link(vgn, lvn);
	return r;
}

int vm_lv_deactivate(vm_lv *lv)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct vm_lv_state st;
	char uuid[DM_UUID_LEN];
	if (!lv->md)
		return -ENOENT;
	if (!vm_dm_available(ctx))
		return 0;                       /* nothing can be active */
	dm_enter(ctx);
	vm_lv *origin;
	int r;
	if (in_stack(lv, &origin))
		r = origin == lv ? stack_deactivate(lv) : snapshot_deactivate(lv);
	else if (lv_names(lv, NULL, 0, uuid), !(r = query(ctx, uuid, &st)) && st.active)
		r = remove_dev(lv, &st);
	dm_ctx = NULL;
	return r;
}

/* Load the LV's table from the model into its active device: load, suspend, resume. */
static int reload(vm_lv *lv, const struct vm_lv_state *st)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct dm_task *t = task(DM_DEVICE_RELOAD, NULL, st->dm_name);
	int r;
	if (!t)
		return -ENOMEM;
	if (!(r = add_table(lv, t, false)))
		r = run(ctx, t, false, "loading the new table of", st->dm_name);
	dm_task_destroy(t);
	if (r)
		return r;
	/* the suspend waits for the I/O in flight; the resume swaps in the new table */
	if (!(t = task(DM_DEVICE_SUSPEND, NULL, st->dm_name)))
		return -ENOMEM;
	r = run(ctx, t, false, "suspending", st->dm_name);
	dm_task_destroy(t);
	if (!(t = task(DM_DEVICE_RESUME, NULL, st->dm_name)))
		return -ENOMEM;
	int r2 = run(ctx, t, true, "resuming", st->dm_name);
	dm_task_destroy(t);
	return r ? r : r2;
}

int vm_lv_refresh(vm_lv *lv)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct vm_lv_state st;
	char uuid[DM_UUID_LEN];
	int r;
	if (!lv->md)
		return -ENOENT;
	if ((r = need_dm(ctx, "refresh logical volumes")))
		return r;
	vm_lv *origin;
	if (in_stack(lv, &origin)) {
		char ouuid[DM_UUID_LEN];
		lv_names(origin, NULL, 0, ouuid);
		r = query(ctx, ouuid, &st);
		dm_ctx = NULL;
		if (r || !st.active)
			return r;                       /* nothing active: nothing to refresh */
		return vm_err(ctx, -EOPNOTSUPP, "%s/%s is part of an active snapshot stack: deactivate and "
			      "activate it instead of --refresh", lv->vg->md->name, lv->md->name);
	}
	lv_names(lv, NULL, 0, uuid);
	if (!(r = query(ctx, uuid, &st)) && st.active)
		r = reload(lv, &st);
	dm_ctx = NULL;
	return r;
}

static int rename_dev(vm_lv *lv, const struct vm_lv_state *st, const char *to)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct dm_task *t = task(DM_DEVICE_RENAME, NULL, st->dm_name);
	if (!t || !dm_task_set_newname(t, to)) {
		dm_task_destroy(t);
		return -ENOMEM;
	}
	int r = run(ctx, t, true, "renaming", st->dm_name);
	dm_task_destroy(t);
	return r;
}

/* ---------------------------------------------------------------- snapshots */

/*
 * An origin O with snapshots is a stack, as lvm2 builds it: O-real holds O's
 * segments, O is "snapshot-origin O-real"; each snapshot S (named as its COW
 * LV C) is "snapshot O-real S-cow P chunk" over S-cow, which holds C's
 * segments. The layers have no /dev/VG links.
 */
struct snapdev {
	vm_lv *cow;                       /* the snapshot as users name it */
	uint64_t chunk;                   /* sectors */
	bool merging;                     /* merging into the origin: no S device */
	char name[DM_NAME_LEN], uuid[DM_UUID_LEN];           /* S */
	char cname[DM_NAME_LEN], cuuid[DM_UUID_LEN];         /* S-cow */
	struct vm_lv_state st, cst;
};

struct stack {
	vm_lv *origin;
	char name[DM_NAME_LEN], uuid[DM_UUID_LEN];           /* O */
	char rname[DM_NAME_LEN], ruuid[DM_UUID_LEN];         /* O-real */
	struct vm_lv_state st, rst;
	size_t n;
	struct snapdev *snaps;
};

static void stack_free(struct stack *k)
{
	free(k->snaps);
	k->snaps = NULL;
}

/* The stack of @origin with its kernel state (every snapshot in the metadata). */
static int stack_get(vm_lv *origin, struct stack *k)
{
	vm_vg *vg = origin->vg;
	vm_ctx *ctx = vg->ctx;
	memset(k, 0, sizeof(*k));
	k->origin = origin;
	size_t n = snap_list(vg->md, origin->md, NULL, 0);
	struct vmf_lv **sn = calloc(n + 1, sizeof(*sn));
	k->snaps = calloc(n + 1, sizeof(*k->snaps));
	int r = sn && k->snaps ? 0 : -ENOMEM;
	if (!r)
		snap_list(vg->md, origin->md, sn, n);
	if (!r && (lv_names(origin, k->name, sizeof(k->name), k->uuid) ||
		   layer_names(origin, "real", k->rname, k->ruuid)))
		r = vm_err(ctx, -ENAMETOOLONG, "%s/%s: the device-mapper name would be too long", vg->md->name,
			   origin->md->name);
	if (!r && !(r = query(ctx, k->uuid, &k->st)))
		r = query(ctx, k->ruuid, &k->rst);
	for (size_t i = 0; i < n && !r; i++) {
		struct snapdev *d = &k->snaps[k->n];
		struct vmf_lv *c = snap_cow_md(vg->md, sn[i]);
		int64_t chunk = 0;
		vmt_get_int(snap_seg(sn[i]), "chunk_size", &chunk);
		if (!c || chunk <= 0 || !(d->cow = vg_lv_handle(vg, c))) {
			r = vm_err(ctx, -EINVAL, "%s/%s: its snapshot segment names no COW or no chunk size",
				   vg->md->name, sn[i]->name);
			break;
		}
		d->chunk = (uint64_t)chunk;
		d->merging = snap_merging(sn[i]);
		if (lv_names(d->cow, d->name, sizeof(d->name), d->uuid) ||
		    layer_names(d->cow, "cow", d->cname, d->cuuid))
			r = vm_err(ctx, -ENAMETOOLONG, "%s/%s: the device-mapper name would be too long",
				   vg->md->name, c->name);
		if (!r && !(r = query(ctx, d->uuid, &d->st)))
			r = query(ctx, d->cuuid, &d->cst);
		k->n++;
	}
	free(sn);
	if (r)
		stack_free(k);
	return r;
}

struct devnos { int32_t a_maj, a_min, b_maj, b_min; uint64_t chunk, sectors; };

static int fill_origin(vm_lv *lv, struct dm_task *t, const void *arg)
{
	const struct devnos *d = arg;
	char p[64];
	snprintf(p, sizeof(p), "%d:%d", d->a_maj, d->a_min);
	return dm_task_add_target(t, 0, vm_lv_extents(lv) * lv->vg->md->extent_size, "snapshot-origin", p)
	       ? 0 : -ENOMEM;
}

/* The snapshot's size is its origin's (d->sectors); @lv is the snapshot, whose permission counts. */
static int fill_snapshot(vm_lv *lv, struct dm_task *t, const void *arg)
{
	const struct devnos *d = arg;
	char p[96];
	(void)lv;
	snprintf(p, sizeof(p), "%d:%d %d:%d P %" PRIu64, d->a_maj, d->a_min, d->b_maj, d->b_min, d->chunk);
	return dm_task_add_target(t, 0, d->sectors, "snapshot", p) ? 0 : -ENOMEM;
}

static int fill_merge(vm_lv *lv, struct dm_task *t, const void *arg)
{
	const struct devnos *d = arg;
	char p[96];
	snprintf(p, sizeof(p), "%d:%d %d:%d P %" PRIu64, d->a_maj, d->a_min, d->b_maj, d->b_min, d->chunk);
	return dm_task_add_target(t, 0, vm_lv_extents(lv) * lv->vg->md->extent_size, "snapshot-merge", p)
	       ? 0 : -ENOMEM;
}

/* A device of a layer: @st refreshed. */
static int ensure_layer(vm_lv *lv, const char *name, const char *uuid, unsigned flags, struct vm_lv_state *st)
{
	int r = 0;
	if (!st->active && !(r = create_dev(lv, name, uuid, fill_segments, &flags)))
		r = query(lv->vg->ctx, uuid, st);
	return r;
}

/* Zero the first chunk of a new COW: the kernel takes an all-zero header as a new, empty store. */
static int zero_cow(vm_ctx *ctx, const char *cname, uint64_t chunk)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), DEV_DIR "/mapper/%s", cname);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return vm_err(ctx, -errno, "%s: %s", path, strerror(errno));
	void *z = calloc(1, chunk * VMF_SECTOR);
	int r = z ? dev_pwrite(ctx, fd, path, z, chunk * VMF_SECTOR, 0) : -ENOMEM;
	if (!r)
		r = dev_sync(ctx, fd, path);
	free(z);
	close(fd);
	return r;
}

/*
 * Activate @origin's stack. Snapshots missing from the kernel are added at
 * one instant: with the origin suspended (no write in flight, none taken),
 * each new snapshot is loaded and resumed, then the origin resumes as
 * snapshot-origin. @fresh: the COW of a snapshot just created, zeroed first.
 */
static int stack_activate(vm_lv *origin, unsigned flags, const vm_lv *fresh)
{
	vm_vg *vg = origin->vg;
	vm_ctx *ctx = vg->ctx;
	struct stack k;
	int r = stack_get(origin, &k);
	if (r)
		return r;
	bool missing = false;
	struct snapdev *merge = NULL;
	if (!(r = ensure_layer(origin, k.rname, k.ruuid, flags, &k.rst)))
		for (size_t i = 0; i < k.n && !r; i++) {
			struct snapdev *d = &k.snaps[i];
			if (d->st.active)
				continue;
			if (d->merging) {
				merge = d;
				r = ensure_layer(d->cow, d->cname, d->cuuid, flags, &d->cst);
				continue;
			}
			missing = true;
			bool was = d->cst.active;
			if (!(r = ensure_layer(d->cow, d->cname, d->cuuid, flags, &d->cst)) && !was &&
			    d->cow == fresh)
				r = zero_cow(ctx, d->cname, d->chunk);
		}
	struct devnos o = { k.rst.major, k.rst.minor, 0, 0, 0, 0 };
	if (!r && k.st.active && missing) {
		struct dm_task *t = task(DM_DEVICE_RELOAD, NULL, k.name);
		if (!t)
			r = -ENOMEM;
		else if (!(r = fill_origin(origin, t, &o)))
			r = run(ctx, t, false, "loading the origin table of", k.name);
		dm_task_destroy(t);
		if (!r && (t = task(DM_DEVICE_SUSPEND, NULL, k.name))) {
			r = run(ctx, t, false, "suspending", k.name);
			dm_task_destroy(t);
		}
	}
	for (size_t i = 0; i < k.n && !r; i++) {
		struct snapdev *d = &k.snaps[i];
		struct devnos s = { k.rst.major, k.rst.minor, d->cst.major, d->cst.minor, d->chunk,
				    vm_lv_extents(origin) * vg->md->extent_size };
		if (!d->st.active && !d->merging && !(r = create_dev(d->cow, d->name, d->uuid, fill_snapshot, &s)))
			add_link(ctx, vg->md->name, d->cow->md->name, d->name);
	}
	if (k.st.active && missing) {
		/* resumed whatever happened: an origin is never left suspended */
		struct dm_task *t = task(DM_DEVICE_RESUME, NULL, k.name);
		int r2 = t ? run(ctx, t, true, "resuming", k.name) : -ENOMEM;
		dm_task_destroy(t);
		if (!r)
			r = r2;
	} else if (!r && !k.st.active) {
		/* a merging snapshot: the origin merges it back as it comes up */
		struct devnos m = { k.rst.major, k.rst.minor, merge ? merge->cst.major : 0,
				    merge ? merge->cst.minor : 0, merge ? merge->chunk : 0, 0 };
		if (!(r = create_dev(origin, k.name, k.uuid, merge ? fill_merge : fill_origin, merge ? &m : &o)))
			add_link(ctx, vg->md->name, origin->md->name, k.name);
	}
	stack_free(&k);
	return r;
}

static int remove_named(vm_ctx *ctx, const char *name)
{
	struct dm_task *t = task(DM_DEVICE_REMOVE, NULL, name);
	if (!t)
		return -ENOMEM;
	dm_task_retry_remove(t);
	int r = run(ctx, t, true, "deactivating", name);
	dm_task_destroy(t);
	return r;
}

static int busy(vm_ctx *ctx, const char *vgn, const char *lvn, const struct vm_lv_state *st)
{
	return vm_err(ctx, -EBUSY, "logical volume %s/%s is in use (open %u time%s): close it first", vgn, lvn,
		      st->open_count, st->open_count > 1 ? "s" : "");
}

/* The whole stack of @origin goes; nothing if the origin or a snapshot is open. */
static int stack_deactivate(vm_lv *origin)
{
	vm_vg *vg = origin->vg;
	vm_ctx *ctx = vg->ctx;
	struct stack k;
	int r = stack_get(origin, &k);
	if (r)
		return r;
	if (k.st.open_count)
		r = busy(ctx, vg->md->name, origin->md->name, &k.st);
	for (size_t i = 0; i < k.n && !r; i++)
		if (k.snaps[i].st.open_count)
			r = busy(ctx, vg->md->name, k.snaps[i].cow->md->name, &k.snaps[i].st);
	if (!r && k.st.active && !(r = remove_named(ctx, k.st.dm_name)))
		del_link(vg->md->name, origin->md->name);
	for (size_t i = 0; i < k.n && !r; i++) {
		struct snapdev *d = &k.snaps[i];
		if (d->st.active && !(r = remove_named(ctx, d->st.dm_name)))
			del_link(vg->md->name, d->cow->md->name);
		if (!r && d->cst.active)
			r = remove_named(ctx, d->cst.dm_name);
	}
	if (!r && k.rst.active)
		r = remove_named(ctx, k.rst.dm_name);
	stack_free(&k);
	return r;
}

/* One snapshot goes; the last one takes the origin back to a plain table. */
static int snapshot_deactivate(vm_lv *cow)
{
	vm_vg *vg = cow->vg;
	vm_ctx *ctx = vg->ctx;
	struct vmf_lv *sn = snap_of_cow(vg->md, cow->md), *om = sn ? snap_origin_md(vg->md, sn) : NULL;
	vm_lv *origin = om ? vg_lv_handle(vg, om) : NULL;
	struct stack k;
	if (!origin)
		return vm_err(ctx, -EINVAL, "%s/%s: its snapshot names no origin", vg->md->name, cow->md->name);
	int r = stack_get(origin, &k);
	if (r)
		return r;
	size_t others = 0;
	struct snapdev *d = NULL;
	for (size_t i = 0; i < k.n; i++)
		if (k.snaps[i].cow == cow)
			d = &k.snaps[i];
		else
			others += k.snaps[i].st.active;
	if (d && d->st.open_count)
		r = busy(ctx, vg->md->name, cow->md->name, &d->st);
	if (!r && d && d->st.active && !(r = remove_named(ctx, d->st.dm_name)))
		del_link(vg->md->name, cow->md->name);
	if (!r && d && d->cst.active)
		r = remove_named(ctx, d->cst.dm_name);
	if (!r && !others && k.st.active) {
		/* the origin maps its segments again; O-real can go */
		struct vm_lv_state st = k.st;
		if (!(r = reload(origin, &st)) && k.rst.active)
			r = remove_named(ctx, k.rst.dm_name);
	}
	stack_free(&k);
	return r;
}

/* A member of a stack whose VG was renamed: its device and its @layer device follow. */
static int stack_rename(vm_lv *lv, const char *layer)
{
	vm_ctx *ctx = lv->vg->ctx;
	char name[DM_NAME_LEN], uuid[DM_UUID_LEN], lname[DM_NAME_LEN], luuid[DM_UUID_LEN];
	char ovg[DM_NAME_LEN], olv[DM_NAME_LEN], lay[DM_NAME_LEN];
	struct vm_lv_state st, lst;
	int r;
	if (lv_names(lv, name, sizeof(name), uuid) || layer_names(lv, layer, lname, luuid))
		return -ENAMETOOLONG;
	if (!(r = query(ctx, uuid, &st)) && st.active && strcmp(st.dm_name, name) &&
	    !(r = rename_dev(lv, &st, name))) {
		if (!vm_dm_name_split(st.dm_name, ovg, sizeof(ovg), olv, sizeof(olv), lay, sizeof(lay)))
			del_link(ovg, olv);
		add_link(ctx, lv->vg->md->name, lv->md->name, name);
	}
	if (!r && !(r = query(ctx, luuid, &lst)) && lst.active && strcmp(lst.dm_name, lname))
		r = rename_dev(lv, &lst, lname);
	return r;
}

/* The -cow device of a snapshot gets the COW LV's segments: load, suspend, resume. */
static int cow_reload(vm_lv *cow)
{
	vm_ctx *ctx = cow->vg->ctx;
	char name[DM_NAME_LEN], uuid[DM_UUID_LEN];
	struct vm_lv_state st;
	int r;
	if (layer_names(cow, "cow", name, uuid))
		return -ENAMETOOLONG;
	if ((r = query(ctx, uuid, &st)) || !st.active)
		return r;
	return reload(cow, &st);
}

static bool in_stack(vm_lv *lv, vm_lv **origin)
{
	vm_vg *vg = lv->vg;
	if (!vg_has_snapshots(vg))
		return false;
	struct vmf_lv *sn = snap_of_cow(vg->md, lv->md);
	struct vmf_lv *om = sn ? snap_origin_md(vg->md, sn) : lv->md;
	if (!om || (!sn && !snap_list(vg->md, om, NULL, 0)))
		return false;
	*origin = vg_lv_handle(vg, om);
	return *origin != NULL;
}

int vm_lv_snapshot_usage(vm_lv *lv, struct vm_snapshot_usage *out)
{
	vm_ctx *ctx = lv->vg->ctx;
	char uuid[DM_UUID_LEN];
	memset(out, 0, sizeof(*out));
	if (!lv->md || !vm_lv_origin(lv))
		return -EINVAL;
	if (!vm_dm_available(ctx))
		return -ENXIO;
	dm_enter(ctx);
	lv_names(lv, NULL, 0, uuid);
	struct dm_task *t = task(DM_DEVICE_STATUS, uuid, NULL);
	struct dm_info info;
	int r = t ? run(ctx, t, false, "device-mapper status of", uuid) : -ENOMEM;
	if (!r && (!dm_task_get_info(t, &info) || !info.exists))
		r = -ENXIO;
	if (!r) {
		uint64_t start, len;
		char *type = NULL, *params = NULL;
		dm_get_next_target(t, NULL, &start, &len, &type, &params);
		unsigned long long used, total, meta = 0;
		if (!type || strcmp(type, "snapshot") || !params)
			r = vm_err(ctx, -EIO, "%s/%s: its device is not a snapshot", lv->vg->md->name, lv->md->name);
		else if (!strncmp(params, "Invalid", 7) || !strncmp(params, "Overflow", 8))
			out->invalid = true;
		else if (sscanf(params, "%llu/%llu %llu", &used, &total, &meta) >= 2 && total) {
			out->used = used * VMF_SECTOR;
			out->total = total * VMF_SECTOR;
			out->metadata = meta * VMF_SECTOR;
		} else
			r = vm_err(ctx, -EIO, "%s/%s: unexpected snapshot status '%s'", lv->vg->md->name,
				   lv->md->name, params);
	}
	dm_task_destroy(t);
	dm_ctx = NULL;
	return r;
}

/* ---------------------------------------------------------------- merging */

/* The status of the device @uuid whose target must be @type ("snapshot", "snapshot-merge"). */
static int status_of(vm_ctx *ctx, const char *uuid, const char *type, struct vm_snapshot_usage *out)
{
	struct dm_task *t = task(DM_DEVICE_STATUS, uuid, NULL);
	struct dm_info info;
	memset(out, 0, sizeof(*out));
	int r = t ? run(ctx, t, false, "device-mapper status of", uuid) : -ENOMEM;
	if (!r && (!dm_task_get_info(t, &info) || !info.exists))
		r = -ENXIO;
	if (!r) {
		uint64_t start, len;
		char *ty = NULL, *params = NULL;
		unsigned long long used, total, meta = 0;
		dm_get_next_target(t, NULL, &start, &len, &ty, &params);
		if (!ty || strcmp(ty, type) || !params)
			r = -EMEDIUMTYPE;
		else if (!strncmp(params, "Invalid", 7) || !strncmp(params, "Overflow", 8) ||
			 !strncmp(params, "Merge failed", 12))
			out->invalid = true;
		else if (sscanf(params, "%llu/%llu %llu", &used, &total, &meta) >= 2 && total) {
			out->used = used * VMF_SECTOR;
			out->total = total * VMF_SECTOR;
			out->metadata = meta * VMF_SECTOR;
		} else
			r = -EIO;
	}
	dm_task_destroy(t);
	return r;
}

int vm_lv_merge_start(vm_lv *snap, bool *delayed)
{
	vm_vg *vg = snap->vg;
	vm_ctx *ctx = vg->ctx;
	vm_lv *origin;
	struct stack k;
	int r;
	*delayed = true;
	if (!vm_dm_available(ctx) || !in_stack(snap, &origin) || origin == snap)
		return 0;
	dm_enter(ctx);
	if ((r = stack_get(origin, &k))) {
		dm_ctx = NULL;
		return r;
	}
	bool open = k.st.open_count > 0;
	for (size_t i = 0; i < k.n; i++)
		open |= k.snaps[i].st.open_count > 0;
	bool active = k.st.active;
	stack_free(&k);
	/* the origin's table changes to snapshot-merge only while nobody has it open */
	if (active && !open && !(r = stack_deactivate(origin)) && !(r = stack_activate(origin, 0, NULL)))
		*delayed = false;
	dm_ctx = NULL;
	return r;
}

int vm_vg_finish_merges(vm_vg *vg, size_t *finished, size_t *merging, double *percent)
{
	vm_ctx *ctx = vg->ctx;
	struct vmf_vg *md = vg->md;
	size_t done = 0, busy = 0;
	double pct = 100;
	int r = 0;
	*finished = *merging = 0;
	*percent = 100;
	if (!vg_has_snapshots(vg) || !vm_dm_available(ctx))
		return 0;
	dm_enter(ctx);
	for (uint32_t l = 0; l < md->nlv && !r; l++) {
		struct vmf_lv *sn = md->lvs[l];
		if (!sn->unknown || !snap_merging(sn))
			continue;
		struct vmf_lv *om = snap_origin_md(md, sn), *cm = snap_cow_md(md, sn);
		vm_lv *origin = om ? vg_lv_handle(vg, om) : NULL, *cow = cm ? vg_lv_handle(vg, cm) : NULL;
		char uuid[DM_UUID_LEN], cname[DM_NAME_LEN], cuuid[DM_UUID_LEN], rname[DM_NAME_LEN], ruuid[DM_UUID_LEN];
		struct vm_snapshot_usage u;
		if (!origin || !cow || layer_names(cow, "cow", cname, cuuid) || layer_names(origin, "real", rname, ruuid))
			continue;
		lv_names(origin, NULL, 0, uuid);
		if (status_of(ctx, uuid, "snapshot-merge", &u))
			continue;                       /* not merging in the kernel (yet) */
		if (u.invalid) {
			r = vm_err(ctx, -EIO, "merging %s/%s into %s/%s failed in the kernel", md->name, cm->name,
				   md->name, om->name);
			break;
		}
		if (u.used > u.metadata) {
			busy++;
			double left = u.total > u.metadata ? (double)(u.used - u.metadata) * 100 /
							     (double)(u.total - u.metadata) : 0;
			if (100 - left < pct)
				pct = 100 - left;
			continue;
		}
		if (vg->mode != VM_VG_WRITE) {
			busy++;                         /* done in the kernel: a writer finishes it */
			continue;
		}
		/* merged: the snapshot leaves the metadata, then the origin becomes plain again */
		lv_remove_snapshot_md(cow);
		if ((r = vm_vg_commit(vg)))
			break;
		struct vm_lv_state st, cst, rst;
		if (!(r = query(ctx, uuid, &st)) && st.active)
			r = reload(origin, &st);
		if (!r && !(r = query(ctx, cuuid, &cst)) && cst.active)
			r = remove_named(ctx, cst.dm_name);
		if (!r && !(r = query(ctx, ruuid, &rst)) && rst.active)
			r = remove_named(ctx, rst.dm_name);
		done++;
		l = UINT32_MAX;                         /* the LV list changed: from the start (l++ wraps) */
	}
	dm_ctx = NULL;
	*finished = done;
	*merging = busy;
	*percent = busy ? pct : 100;
	return r;
}

/* ---------------------------------------------------------------- new LVs */

static int init_data(vm_lv *lv, bool zero, bool wipe)
{
	vm_ctx *ctx = lv->vg->ctx;
	char name[DM_NAME_LEN], path[PATH_MAX];
	lv_names(lv, name, sizeof(name), NULL);
	snprintf(path, sizeof(path), DEV_DIR "/mapper/%s", name);
	int fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);       /* blkid reads what it wipes */
	if (fd < 0)
		return vm_err(ctx, -errno, "%s: cannot open the new logical volume: %s", path, strerror(errno));
	int r = 0;
	if (wipe)
		r = dev_wipe_signatures(ctx, fd, path, true, true);
	if (!r && zero) {
		static const char zeros[4096];
		uint64_t size = vm_lv_size(lv);
		r = dev_pwrite(ctx, fd, path, zeros, size < sizeof(zeros) ? size : sizeof(zeros), 0);
	}
	if (!r)
		r = dev_sync(ctx, fd, path);
	close(fd);
	return r;
}

int vm_lv_activate_new(vm_lv *lv, bool zero, bool wipe)
{
	vm_vg *vg = lv->vg;
	vm_ctx *ctx = vg->ctx;
	vm_lv *origin;
	int r;
	if (in_stack(lv, &origin) && origin != lv) {
		/* a new snapshot: its COW is zeroed; its content is the origin's */
		if (!(r = need_dm(ctx, "activate logical volumes")))
			r = stack_activate(origin, 0, lv);
		dm_ctx = NULL;
	} else if (!(r = vm_lv_activate(lv, 0)) && (zero || wipe))
		r = init_data(lv, zero, wipe);
	if (!r)
		return 0;
	/* Undo: no half-made device, and no LV that was never usable. */
	char why[VM_ERRLEN];
	snprintf(why, sizeof(why), "%s", ctx->err);
	vm_lv_deactivate(lv);
	if (vg->mode == VM_VG_WRITE && !vm_lv_remove(lv))
		vm_vg_commit(vg);
	return vm_err(ctx, r, "%s (the new logical volume was removed again)", why);
}

/* ---------------------------------------------------------------- VGs */

/*
 * One operation over many LVs. Removing a dm device costs the kernel mostly
 * waiting (RCU grace periods, about 20 ms per removal), so a VG's LVs are
 * handed to up to 16 worker processes that wait side by side. Creating one
 * costs mostly CPU: one worker per CPU (none with one CPU, where forking
 * only adds to it; measured in the test VM).
 * Processes, not threads: libdevmapper keeps its pending /dev/mapper node
 * work in unlocked globals. The workers report failures through a pipe.
 */
struct job {
	vm_lv *lv;
	struct vm_lv_state st;
};
typedef int (*job_fn)(struct job *j, unsigned flags);

#define MAX_WORKERS 16

static int run_jobs(vm_vg *vg, struct job *jobs, size_t n, job_fn fn, unsigned flags, size_t max,
		    size_t *nfail)
{
	vm_ctx *ctx = vg->ctx;
	int rc = 0;
	size_t k = n / 4 < max ? n / 4 : max, started = 0;
	int pfd[2] = { -1, -1 };
	pid_t pid[MAX_WORKERS];
	*nfail = 0;
	if (k > 1 && !pipe2(pfd, O_CLOEXEC)) {
		fflush(NULL);                           /* nothing buffered is written twice */
		for (; started < k; started++) {
			if ((pid[started] = fork()) < 0)
				break;
			if (pid[started])
				continue;
			close(pfd[0]);
			for (size_t i = started; i < n; i += k)
				if (jobs[i].lv && fn(&jobs[i], flags))
					dprintf(pfd[1], "%s\n", ctx->err);
			fflush(NULL);
			_exit(0);
		}
		close(pfd[1]);
	}
	/* the share of workers that could not be started is done here */
	for (size_t w = started; w < (k > 1 ? k : 1); w++)
		for (size_t i = w; i < n; i += (k > 1 ? k : 1))
			if (jobs[i].lv && fn(&jobs[i], flags)) {
				vm_log(ctx, VM_LOG_ERROR, "%s", ctx->err);
				(*nfail)++;
				rc = -EIO;
			}
	if (started) {
		FILE *f = fdopen(pfd[0], "r");
		char line[VM_ERRLEN + 2];
		while (f && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			vm_log(ctx, VM_LOG_ERROR, "%s", line);
			(*nfail)++;
			rc = -EIO;
		}
		if (f)
			fclose(f);
		else
			close(pfd[0]);
		for (size_t w = 0; w < started; w++) {
			int status;
			while (waitpid(pid[w], &status, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				rc = -EIO;
				(*nfail)++;
			}
		}
	}
	return rc;
}

static int job_activate(struct job *j, unsigned flags)
{
	return j->st.active ? 0 : create(j->lv, flags);
}

static int job_remove(struct job *j, unsigned flags)
{
	(void)flags;
	return j->st.active ? remove_dev(j->lv, &j->st) : 0;
}

/* Jobs for the LVs of @vg (@all: hidden ones too), each with its kernel state. */
static int make_jobs(vm_vg *vg, bool all, struct job **out, size_t *n)
{
	vm_ctx *ctx = vg->ctx;
	const struct vmf_vg *md = vg->md;
	struct job *jobs = calloc(md->nlv + 1, sizeof(*jobs));
	int r = jobs ? 0 : -ENOMEM;
	size_t k = 0;
	for (uint32_t l = 0; l < md->nlv && !r; l++) {
		vm_lv *lv = vg_lv_handle(vg, md->lvs[l]);
		char uuid[DM_UUID_LEN];
		if (!lv) {
			r = -ENOMEM;
			break;
		}
		if (!all && (!vm_lv_visible(lv) || vmf_strlist_has(&lv->md->flags, "ACTIVATION_SKIP")))
			continue;
		lv_names(lv, NULL, 0, uuid);
		jobs[k].lv = lv;
		r = query(ctx, uuid, &jobs[k++].st);
	}
	if (r) {
		free(jobs);
		return r;
	}
	*out = jobs;
	*n = k;
	return 0;
}

int vm_vg_activate(vm_vg *vg, unsigned flags, size_t *nactive)
{
	vm_ctx *ctx = vg->ctx;
	struct job *jobs;
	size_t n, nfail = 0;
	int r;
	if ((r = need_dm(ctx, "activate logical volumes")))
		return r;
	if (!(r = make_jobs(vg, false, &jobs, &n))) {
		/* snapshot stacks one by one, as a whole, after the plain LVs */
		size_t nstack = 0;
		vm_lv *origin;
		for (size_t i = 0; i < n; i++)
			if (in_stack(jobs[i].lv, &origin)) {
				nstack += origin == jobs[i].lv;
				jobs[i].lv = origin == jobs[i].lv ? NULL : jobs[i].lv;   /* keep COWs: counted */
			}
		for (size_t i = 0; i < n; i++)
			if (jobs[i].lv && in_stack(jobs[i].lv, &origin))
				jobs[i].lv = NULL;
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		r = run_jobs(vg, jobs, n, job_activate, flags,
			     cpus > 1 ? (cpus < MAX_WORKERS ? (size_t)cpus : MAX_WORKERS) : 1, &nfail);
		for (uint32_t l = 0; l < vg->md->nlv && nstack; l++) {
			vm_lv *lv = vg_lv_handle(vg, vg->md->lvs[l]);
			int r2;
			if (!lv || !in_stack(lv, &origin) || origin != lv || !vm_lv_visible(lv) ||
			    vmf_strlist_has(&lv->md->flags, "ACTIVATION_SKIP"))
				continue;
			if ((r2 = stack_activate(lv, flags, NULL))) {
				vm_log(ctx, VM_LOG_ERROR, "%s", ctx->err);
				nfail += 1 + snap_list(vg->md, lv->md, NULL, 0);
				r = -EIO;
			}
		}
		free(jobs);
	}
	if (nactive)
		*nactive = n > nfail ? n - nfail : 0;
	dm_ctx = NULL;
	if (r == -EIO && nfail)
		return vm_err(ctx, r, "volume group %s: %zu logical volume(s) could not be activated",
			      vg->md->name, nfail);
	return r;
}

/* Deactivate every LV of the VG; none if any is open. */
int vm_vg_deactivate(vm_vg *vg)
{
	vm_ctx *ctx = vg->ctx;
	const char *busy = NULL;
	struct job *jobs;
	size_t n, open = 0, nfail = 0;
	int r;
	if (!vm_dm_available(ctx))
		return 0;
	dm_enter(ctx);
	if ((r = make_jobs(vg, true, &jobs, &n))) {
		dm_ctx = NULL;
		return r;
	}
	for (size_t i = 0; i < n; i++)
		if (jobs[i].st.open_count) {
			open++;
			busy = jobs[i].lv->md->name;
		}
	/* snapshot stacks first, one by one, as a whole */
	for (size_t i = 0; i < n && !open && !r; i++) {
		vm_lv *origin;
		if (in_stack(jobs[i].lv, &origin)) {
			if (origin == jobs[i].lv)
				r = stack_deactivate(origin);
			jobs[i].lv = NULL;
		}
	}
	if (open)
		r = vm_err(ctx, -EBUSY, "cannot deactivate volume group %s: %zu logical volume(s) in use "
			   "(%s/%s is open)", vg->md->name, open, vg->md->name, busy);
	else if (!r && (r = run_jobs(vg, jobs, n, job_remove, 0, MAX_WORKERS, &nfail)) == -EIO && nfail)
		r = vm_err(ctx, r, "volume group %s: %zu logical volume(s) could not be deactivated",
			   vg->md->name, nfail);
	free(jobs);
	dm_ctx = NULL;
	return r;
}

/* ---------------------------------------------------------------- with metadata changes */

/* @lv is about to be removed from the metadata: its device goes first. */
int act_before_remove(vm_lv *lv)
{
	return vm_lv_deactivate(lv);
}

/*
 * Remember an active LV whose table or name must follow the metadata: a
 * shrinking one (@shrink) gets its table before the commit frees extents,
 * the others after the commit.
 */
int act_note(vm_lv *lv, bool shrink)
{
	vm_vg *vg = lv->vg;
	struct vm_lv_state st;
	if (!vm_dm_available(vg->ctx))
		return 0;
	int r = vm_lv_state(lv, &st);
	if (r || !st.active)
		return r;
	for (size_t i = 0; i < vg->npend; i++)
		if (!memcmp(vg->pend[i].id, lv->md->id, VMF_ID_LEN)) {
			vg->pend[i].shrink |= shrink;
			return 0;
		}
	void *p = realloc(vg->pend, (vg->npend + 1) * sizeof(*vg->pend));
	if (!p)
		return -ENOMEM;
	vg->pend = p;
	memcpy(vg->pend[vg->npend].id, lv->md->id, VMF_ID_LEN);
	vg->pend[vg->npend++].shrink = shrink;
	return 0;
}

static vm_lv *pending_lv(vm_vg *vg, size_t i)
{
	for (uint32_t l = 0; l < vg->md->nlv; l++)
		if (!memcmp(vg->md->lvs[l]->id, vg->pend[i].id, VMF_ID_LEN))
			return vg_lv_handle(vg, vg->md->lvs[l]);
	return NULL;
}

/* Before a commit: shrinking active LVs get their smaller tables (none if one fails). */
int act_before_commit(vm_vg *vg)
{
	vm_ctx *ctx = vg->ctx;
	int r = 0;
	if (!vg->npend)
		return 0;
	dm_enter(ctx);
	for (size_t i = 0; i < vg->npend && !r; i++) {
		struct vm_lv_state st;
		char uuid[DM_UUID_LEN];
		vm_lv *lv = vg->pend[i].shrink ? pending_lv(vg, i) : NULL;
		if (!lv)
			continue;
		lv_names(lv, NULL, 0, uuid);
		if (!(r = query(ctx, uuid, &st)) && st.active)
			r = reload(lv, &st);
	}
	dm_ctx = NULL;
	return r;
}

/* After a commit: every noted LV gets the table and the name the metadata now gives it. */
int act_after_commit(vm_vg *vg)
{
	vm_ctx *ctx = vg->ctx;
	int rc = 0;
	if (!vg->npend)
		return 0;
	dm_enter(ctx);
	for (size_t i = 0; i < vg->npend; i++) {
		struct vm_lv_state st;
		char uuid[DM_UUID_LEN], name[DM_NAME_LEN], ovg[DM_NAME_LEN], olv[DM_NAME_LEN], lay[DM_NAME_LEN];
		vm_lv *lv = pending_lv(vg, i);
		bool renamed = false;
		if (!lv)
			continue;
		lv_names(lv, NULL, 0, uuid);
		vm_lv *origin;
		if (in_stack(lv, &origin)) {
			/* renamed with its VG: its device and its layer; a grown COW: its -cow device
			 * grows, and the kernel finds the room as it needs it */
			int r = stack_rename(lv, origin == lv ? "real" : "cow");
			if (!r && origin != lv)
				r = cow_reload(lv);
			if (r && !rc)
				rc = r;
			continue;
		}
		int r = query(ctx, uuid, &st);
		if (!r && st.active && !lv_names(lv, name, sizeof(name), NULL) && strcmp(st.dm_name, name)) {
			renamed = true;
			if (!(r = rename_dev(lv, &st, name))) {
				if (!vm_dm_name_split(st.dm_name, ovg, sizeof(ovg), olv, sizeof(olv), lay, sizeof(lay)))
					del_link(ovg, olv);
				add_link(ctx, vg->md->name, lv->md->name, name);
				snprintf(st.dm_name, sizeof(st.dm_name), "%s", name);
			}
		}
		if (!r && st.active && (renamed || !vg->pend[i].shrink))
			r = reload(lv, &st);
		if (r && !rc)
			rc = r;
	}
	free(vg->pend);
	vg->pend = NULL;
	vg->npend = 0;
	dm_ctx = NULL;
	return rc;
}
