/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Old-style snapshots (dm-snapshot) in the metadata, as lvm2 writes them:
 * the COW store is an LV without the VISIBLE flag, named as the user named
 * the snapshot, and a hidden LV "snapshotN" joins it to its origin with one
 * segment {type = "snapshot", chunk_size, origin, cow_store}. Users see the
 * COW LV as the snapshot (lv_attr 's') and the origin as 'o'.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>

#include "internal.h"

/* The snapshot segment of a "snapshotN" LV, or NULL. */
const struct vmt_node *snap_seg(const struct vmf_lv *m)
{
	const char *t;
	if (m->nseg != 1 || !m->segs[0].raw || vmt_get_str(m->segs[0].raw, "type", &t) || strcmp(t, "snapshot"))
		return NULL;
	return m->segs[0].raw;
}

static const char *seg_str(const struct vmt_node *seg, const char *key)
{
	const char *v = NULL;
	return seg && !vmt_get_str(seg, key, &v) ? v : NULL;
}

bool snap_merging(const struct vmf_lv *sn)
{
	return seg_str(snap_seg(sn), "merging_store") != NULL;
}

/* For a COW LV: the snapshotN LV that names it (cow_store or merging_store). */
struct vmf_lv *snap_of_cow(const struct vmf_vg *md, const struct vmf_lv *cow)
{
	if (vmf_strlist_has(&cow->status, "VISIBLE") || cow->unknown)
		return NULL;
	for (uint32_t l = 0; l < md->nlv; l++) {
		const struct vmt_node *g = snap_seg(md->lvs[l]);
		const char *c = seg_str(g, "cow_store");
		if (!c)
			c = seg_str(g, "merging_store");
		if (c && !strcmp(c, cow->name))
			return md->lvs[l];
	}
	return NULL;
}

struct vmf_lv *snap_origin_md(const struct vmf_vg *md, const struct vmf_lv *snapn)
{
	const char *o = seg_str(snap_seg(snapn), "origin");
	return o ? vmf_vg_find_lv(md, o) : NULL;
}

struct vmf_lv *snap_cow_md(const struct vmf_vg *md, const struct vmf_lv *snapn)
{
	const struct vmt_node *g = snap_seg(snapn);
	const char *c = seg_str(g, "cow_store");
	if (!c)
		c = seg_str(g, "merging_store");
	return c ? vmf_vg_find_lv(md, c) : NULL;
}

/* How many snapshots name @origin; with @out, their snapshotN LVs (up to @max). */
size_t snap_list(const struct vmf_vg *md, const struct vmf_lv *origin, struct vmf_lv **out, size_t max)
{
	size_t n = 0;
	for (uint32_t l = 0; l < md->nlv; l++) {
		const char *o = md->lvs[l]->unknown ? seg_str(snap_seg(md->lvs[l]), "origin") : NULL;
		if (o && !strcmp(o, origin->name)) {
			if (out && n < max)
				out[n] = md->lvs[l];
			n++;
		}
	}
	return n;
}

/* lvm2's visibility: snapshotN is hidden, a COW is seen (as the snapshot) when its origin is. */
bool vg_has_snapshots(vm_vg *vg)
{
	if (vg->snaps < 0) {
		vg->snaps = 0;
		for (uint32_t l = 0; l < vg->md->nlv && !vg->snaps; l++)
			vg->snaps = vg->md->lvs[l]->unknown && snap_seg(vg->md->lvs[l]);
	}
	return vg->snaps > 0;
}

bool snap_visible(const struct vmf_vg *md, const struct vmf_lv *m)
{
	if (vmf_strlist_has(&m->status, "VISIBLE"))
		return !m->unknown || !snap_seg(m);
	struct vmf_lv *s = snap_of_cow(md, m);
	struct vmf_lv *o = s ? snap_origin_md(md, s) : NULL;
	return o && vmf_strlist_has(&o->status, "VISIBLE") && seg_str(snap_seg(s), "cow_store");
}

const char *vm_lv_origin(const vm_lv *lv)
{
	struct vmf_lv *s = snap_of_cow(lv->vg->md, lv->md);
	struct vmf_lv *o = s ? snap_origin_md(lv->vg->md, s) : NULL;
	return o ? o->name : NULL;
}

size_t vm_lv_snapshot_count(const vm_lv *lv)
{
	return vg_has_snapshots(lv->vg) ? snap_list(lv->vg->md, lv->md, NULL, 0) : 0;
}

uint64_t vm_lv_snapshot_chunk(const vm_lv *lv)
{
	struct vmf_lv *s = snap_of_cow(lv->vg->md, lv->md);
	int64_t c = 0;
	if (!s || vmt_get_int(snap_seg(s), "chunk_size", &c) || c < 0)
		return 0;
	return (uint64_t)c * VMF_SECTOR;
}

/*
 * Extents a COW needs to hold @pct percent of an origin of @origin_bytes in
 * chunks of @chunk bytes: the data chunks, one exception-table chunk per
 * chunk/16 of them, and the header chunk. At 100 a full overwrite fits.
 */
uint64_t vm_snapshot_cow_extents(const vm_vg *vg, uint64_t origin_bytes, uint64_t chunk, unsigned pct)
{
	uint64_t es = vm_vg_extent_size(vg);
	if (!chunk)
		chunk = VM_DEFAULT_CHUNK;
	uint64_t data = (origin_bytes / 100 * pct + origin_bytes % 100 * pct / 100 + chunk - 1) / chunk;
	uint64_t per = chunk / 16;
	uint64_t total = (data + (data + per - 1) / per + 1) * chunk;
	return (total + es - 1) / es;
}

static int snap_segment(vm_vg *vg, struct vmf_lv *sn, uint64_t extents, uint64_t chunk_sectors,
			const char *origin, const char *store_key, const char *cow);

int vm_lv_snapshot(vm_lv *origin, const struct vm_snapshot_params *p, vm_lv **out)
{
	vm_vg *vg = origin->vg;
	vm_ctx *ctx = vg->ctx;
	struct vmf_vg *md = vg->md;
	const struct vmf_lv *om = origin->md;
	uint64_t chunk = p->chunk_size ? p->chunk_size : VM_DEFAULT_CHUNK;
	int r;
	if (chunk < 4096 || chunk > 512 * 1024 || (chunk & (chunk - 1)))
		return vm_err(ctx, -EINVAL, "chunk size %" PRIu64 " must be a power of two from 4 KiB to 512 KiB",
			      chunk);
	if (snap_of_cow(md, om))
		return vm_err(ctx, -EINVAL, "%s/%s is a snapshot: snapshots of snapshots are not supported",
			      md->name, om->name);
	if (om->unknown || !vmf_strlist_has(&om->status, "VISIBLE"))
		return vm_err(ctx, -EINVAL, "%s/%s cannot be the origin of a snapshot: volmgr snapshots only "
			      "ordinary linear or striped LVs", md->name, om->name);
	uint64_t min = vm_snapshot_cow_extents(vg, 0, chunk, 0);
	if (p->extents < min)
		return vm_err(ctx, -EINVAL, "a snapshot needs at least %" PRIu64 " extent(s) of COW", min);
	/* the COW: an ordinary LV, hidden once joined */
	struct vm_lv_params lp = { .name = p->name, .extents = p->extents, .stripes = 1, .pvs = p->pvs,
				   .npvs = p->npvs };
	vm_lv *cow;
	if ((r = vm_lv_create(vg, &lp, &cow)))
		return r;
	vmf_strlist_del(&cow->md->status, "VISIBLE");
	/* snapshotN, the first N not taken */
	char sname[32];
	for (uint32_t n = 0;; n++) {
		snprintf(sname, sizeof(sname), "snapshot%u", n);
		if (!vmf_vg_find_lv(md, sname))
			break;
	}
	struct vmf_lv *sn = vmf_vg_add_lv(md, sname);
	r = sn ? snap_segment(vg, sn, vmf_lv_extents(om), chunk / VMF_SECTOR, om->name, "cow_store",
			      cow->md->name) : -ENOMEM;
	if (r) {
		if (sn)
			vmf_vg_del_lv(md, sn);
		vmf_vg_del_lv(md, cow->md);
		vg_changed(vg);
		return r;
	}
	struct utsname u;
	id_new(sn->id);
	sn->creation_time = cow->md->creation_time;
	sn->creation_host = uname(&u) ? "unknown" : vmf_strdup(md, u.nodename);
	if (vmf_strlist_add(md, &sn->status, "READ") || vmf_strlist_add(md, &sn->status, "WRITE") ||
	    vmf_strlist_add(md, &sn->status, "VISIBLE"))
		return -ENOMEM;
	vg_changed(vg);
	if (out)
		*out = cow;
	return 0;
}

int vm_ctx_snapshot_autoextend(const vm_ctx *ctx, unsigned *threshold, unsigned *percent)
{
	*threshold = ctx->snap_threshold;
	*percent = ctx->snap_percent;
	return 0;
}

double vm_snapshot_percent(const struct vm_snapshot_usage *u)
{
	/* as lvm2 reports it: what is used of the whole COW, 0 while only the tables' first chunk is */
	if (u->invalid)
		return 100.0;
	if (!u->total || u->used <= u->metadata)
		return 0.0;
	return (double)u->used * 100 / (double)u->total;
}
#define used_percent vm_snapshot_percent

int vm_vg_autoextend_snapshots(vm_ctx *ctx, const char *vgname, unsigned threshold, unsigned percent,
			       size_t *extended)
{
	vm_vg *vg;
	size_t n = 0;
	int r;
	if (extended)
		*extended = 0;
	if (threshold >= 100 || !percent)
		return 0;                               /* off, as lvm2's 100 is */
	if ((r = vm_vg_open(ctx, vgname, VM_VG_READ, &vg)))
		return r;
	bool need = false;
	for (size_t i = 0; vg_has_snapshots(vg) && i < vm_vg_lv_total(vg) && !need; i++) {
		vm_lv *lv = vm_vg_lv_at(vg, i);
		struct vm_snapshot_usage u;
		need = vm_lv_origin(lv) && !vm_lv_snapshot_usage(lv, &u) && !u.invalid &&
		       used_percent(&u) >= threshold;
	}
	vm_vg_free(vg);
	if (!need)
		return 0;
	/* again under the write lock: the use only grows, the decision stands or grows */
	if ((r = vm_vg_open(ctx, vgname, VM_VG_WRITE, &vg)))
		return r;
	for (size_t i = 0; i < vm_vg_lv_total(vg) && !r; i++) {
		vm_lv *lv = vm_vg_lv_at(vg, i);
		struct vm_snapshot_usage u;
		if (!vm_lv_origin(lv) || vm_lv_snapshot_usage(lv, &u) || u.invalid || used_percent(&u) < threshold)
			continue;
		uint64_t cur = vm_lv_extents(lv), add = (cur * percent + 99) / 100;
		vm_log(ctx, VM_LOG_INFO, "Snapshot %s/%s is %.2f%% full: extending its COW by %" PRIu64
		       " extent(s).", vgname, vm_lv_name(lv), used_percent(&u), add ? add : 1);
		if (!(r = vm_lv_resize(lv, cur + (add ? add : 1), VM_ALLOC_INHERIT, NULL, 0)))
			n++;
	}
	if (!r && n)
		r = vm_vg_commit(vg);
	vm_vg_free(vg);
	if (!r && extended)
		*extended = n;
	return r;
}

/* A snapshot segment from its values (a new one, or one that starts merging). */
static int snap_segment(vm_vg *vg, struct vmf_lv *sn, uint64_t extents, uint64_t chunk_sectors,
			const char *origin, const char *store_key, const char *cow)
{
	struct vmf_vg *md = vg->md;
	char text[1024], err[VMT_ERRLEN];
	struct vmt_tree *t;
	int r;
	snprintf(text, sizeof(text), "segment1 {\nstart_extent = 0\nextent_count = %" PRIu64 "\n"
		 "type = \"snapshot\"\nchunk_size = %" PRIu64 "\norigin = \"%s\"\n%s = \"%s\"\n}\n",
		 extents, chunk_sectors, origin, store_key, cow);
	if ((r = vmt_parse(text, strlen(text), &t, err)))
		return vm_err(vg->ctx, r, "snapshot segment: %s", err);
	if ((r = vmf_vg_keep_tree(md, t)))
		return r;
	struct vmf_seg *g = sn->nseg ? &sn->segs[0] : vmf_lv_add_seg(md, sn, 0);
	if (!g)
		return -ENOMEM;
	g->raw = vmt_root(t)->child;
	g->start_extent = 0;
	g->extent_count = extents;
	sn->unknown = true;
	vmf_lv_changed(sn);
	vg_changed(vg);
	return 0;
}

int vm_lv_merge(vm_lv *snap)
{
	vm_vg *vg = snap->vg;
	vm_ctx *ctx = vg->ctx;
	struct vmf_vg *md = vg->md;
	struct vmf_lv *sn = snap_of_cow(md, snap->md), *om = sn ? snap_origin_md(md, sn) : NULL;
	int64_t chunk = 0;
	int r = vg_writable(vg);
	if (r)
		return r;
	if (!om)
		return vm_err(ctx, -EINVAL, "%s/%s is not a snapshot", md->name, snap->md->name);
	if (snap_merging(sn))
		return vm_err(ctx, -EALREADY, "%s/%s is already merging into %s/%s", md->name, snap->md->name,
			      md->name, om->name);
	if (snap_list(md, om, NULL, 0) > 1)
		return vm_err(ctx, -EBUSY, "%s/%s has other snapshots: remove them before merging %s/%s",
			      md->name, om->name, md->name, snap->md->name);
	vmt_get_int(snap_seg(sn), "chunk_size", &chunk);
	r = snap_segment(vg, sn, vmf_lv_extents(om), (uint64_t)chunk, om->name, "merging_store",
			     snap->md->name);
	if (!r)
		vmf_strlist_del(&sn->status, "VISIBLE");     /* as lvm2 writes a merging snapshot */
	return r;
}

int vm_lv_snapshot_zero(vm_lv *snap)
{
	vm_vg *vg = snap->vg;
	vm_ctx *ctx = vg->ctx;
	const struct vmf_vg *md = vg->md;
	uint64_t chunk = vm_lv_snapshot_chunk(snap);
	const struct vmf_lv *c = snap->md;
	if (!chunk || !c->nseg || !c->segs[0].stripe_count)
		return vm_err(ctx, -EINVAL, "%s/%s is not a snapshot", md->name, c->name);
	/* the COW's first chunk lies in its first extent (a chunk is at most an extent: 512 KiB) */
	const struct vmf_stripe *st = &c->segs[0].stripes[0];
	struct vm_dev *d = vg->pvs[st->pv].dev;
	if (!d)
		return vm_err(ctx, -ENXIO, "%s/%s: the PV of its COW is missing", md->name, c->name);
	uint64_t off = (md->pvs[st->pv].pe_start + st->pe * md->extent_size) * VMF_SECTOR;
	uint64_t len = chunk < md->extent_size * VMF_SECTOR ? chunk : md->extent_size * VMF_SECTOR;
	int fd, r;
	uint64_t size;
	dev_t rdev;
	void *z = calloc(1, len);
	if (!z)
		return -ENOMEM;
	if (!(r = dev_open(ctx, d->path, O_RDWR, &fd, &size, &rdev))) {
		if (!(r = dev_pwrite(ctx, fd, d->path, z, len, off)))
			r = dev_sync(ctx, fd, d->path);
		close(fd);
	}
	free(z);
	return r;
}
