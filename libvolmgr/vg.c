/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Volume groups: open (highest seqno wins), create, change, atomic commit. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"


struct vmf_pvmap *vg_maps(vm_vg *vg)
{
	if (!vg->maps) {
		char err[VMF_ERRLEN];
		if (vmf_vg_pvmaps(vg->md, &vg->maps, err))
			vm_err(vg->ctx, -EINVAL, "volume group %s: %s", vg->md->name, err);
	}
	return vg->maps;
}

void vg_changed(vm_vg *vg)
{
	vg->snaps = -1;
	vmf_pvmaps_free(vg->maps, vg->npvh);
	vg->maps = NULL;
}

vm_lv *vg_lv_handle(vm_vg *vg, struct vmf_lv *md)
{
	if (!md->priv) {
		vm_lv *lv = vmf_alloc(vg->md, sizeof(*lv));
		if (!lv)
			return NULL;
		lv->vg = vg;
		lv->md = md;
		md->priv = lv;
	}
	return md->priv;
}

/* Match the VG's PVs (by uuid) to the devices of its scan. */
int vg_bind_pvs(vm_vg *vg)
{
	vg_changed(vg);
	struct vm_pv *pvs = calloc(vg->md->npv ? vg->md->npv : 1, sizeof(*pvs));
	if (!pvs)
		return -ENOMEM;
	for (uint32_t i = 0; i < vg->md->npv; i++)
		pvs[i] = (struct vm_pv){ vg->ctx, vg, i, scan_find_pv(vg->scan, vg->md->pvs[i].id) };
	free(vg->pvs);
	vg->pvs = pvs;
	vg->npvh = vg->md->npv;
	return 0;
}

int vg_pv_index(vm_vg *vg, const char *path)
{
	for (uint32_t i = 0; i < vg->npvh; i++) {
		struct vm_dev *d = vg->pvs[i].dev;
		if (d && (!strcmp(d->path, path) || dev_same(path, d->rdev)))
			return (int)i;
	}
	return -1;
}

static vm_vg *vg_alloc(vm_ctx *ctx, int mode)
{
	vm_vg *vg = calloc(1, sizeof(*vg));
	if (vg) {
		vg->ctx = ctx;
		vg->mode = mode;
		vg->lockfd = vg->lockfd2 = -1;
		vg->snaps = -1;
	}
	return vg;
}

void vm_vg_free(vm_vg *vg)
{
	if (!vg)
		return;
	vg_changed(vg);
	free(vg->pvs);
	free(vg->added);
	free(vg->dropped);
	free(vg->old_name);
	free(vg->pend);
	vmf_vg_free(vg->md);
	text_free(&vg->text);
	scan_put(vg->scan);
	lock_drop(vg->lockfd2);
	lock_drop(vg->lockfd);
	free(vg);
}

/* A PV with an older copy of this VG that the VG no longer lists ("outdated"). */
static bool vg_outdated_dev(const vm_vg *vg, const struct vm_dev *d)
{
	for (uint32_t k = 0; k < vg->npvh; k++)
		if (vg->pvs[k].dev == d)
			return false;
	for (uint32_t m = 0; m < d->nmda; m++)
		if (d->mda[m].state == MDA_OK && d->mda[m].seqno < vg->md->seqno &&
		    !memcmp(d->mda[m].vgid, vg->md->id, VMF_ID_LEN))
			return true;
	return false;
}

/*
 * The outdated PVs of the VG: each is reported; with @release (the VG open
 * for writing) the next commit empties their metadata areas, as vgreduce
 * does, which makes them orphans. How many, or -errno.
 */
int vg_outdated(vm_vg *vg, bool release)
{
	int n = 0, r;
	for (size_t i = 0; i < vg->scan->ndev; i++) {
		struct vm_dev *d = &vg->scan->devs[i];
		if (!vg_outdated_dev(vg, d))
			continue;
		n++;
		if (!release)
			continue;
		if (vg->lockfd2 < 0 && (r = lock_take(vg->ctx, VM_ORPHAN_LOCK, true, &vg->lockfd2)))
			return r;
		struct vm_dev **nd = realloc(vg->dropped, (vg->ndropped + 1) * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		vg->dropped = nd;
		vg->dropped[vg->ndropped++] = d;
	}
	return n;
}

/* Choose the copy with the highest seqno; report copies that are stale or damaged. */
static int vg_from_scan(vm_vg *vg, const char *name)
{
	vm_ctx *ctx = vg->ctx;
	struct scan *s = ctx->scan;
	struct parsed *best = NULL;
	bool damaged = false;
	for (size_t i = 0; i < s->ntext; i++) {
		struct parsed *p = &s->texts[i];
		if (strcmp(p->vgname, name))
			continue;
		if (!p->md) {
			damaged |= p->bad;
			continue;
		}
		if (best && memcmp(best->md->id, p->md->id, VMF_ID_LEN))
			return vm_err(ctx, -ENOTUNIQ, "two different volume groups are named %s", name);
		if (!best || p->md->seqno > best->md->seqno)
			best = p;
	}
	if (!best)
		return vm_err(ctx, -ENOENT, damaged ? "volume group %s: every copy of its metadata is damaged"
					      : "volume group %s not found", name);
	vg->scan = s;
	s->refs++;
	vg->md = best->md;
	best->md = NULL;
	vg->text = best->text;
	memset(&best->text, 0, sizeof(best->text));
	vg->disk_seqno = vg->md->seqno;
	int r = vg_bind_pvs(vg);
	if (r)
		return r;
	for (uint32_t i = 0; i < vg->npvh; i++) {
		struct vm_dev *d = vg->pvs[i].dev;
		if (!d) {
			char id[39];
			vmf_id_format(vg->md->pvs[i].id, id);
			vm_log(ctx, VM_LOG_WARN, "WARNING: volume group %s: physical volume %s (last seen on %s) is missing.",
			       name, id, vg->md->pvs[i].device ? vg->md->pvs[i].device : "?");
			continue;
		}
		for (uint32_t m = 0; m < d->nmda; m++) {
			const struct vm_mda *a = &d->mda[m];
			if (a->seqno > vg->disk_seqno)
				vg->disk_seqno = a->seqno;
			if (a->state == MDA_OK && a->seqno == vg->md->seqno &&
			    !memcmp(a->vgid, vg->md->id, VMF_ID_LEN))
				continue;
			vm_log(ctx, VM_LOG_WARN, "WARNING: %s: metadata area at offset %" PRIu64 " is %s; "
			       "it will be rewritten by the next change.", d->path, a->offset,
			       a->state == MDA_BAD ? "damaged" : a->state == MDA_EMPTY ? "empty" : "stale");
		}
	}
	for (size_t i = 0; i < s->ndev; i++)
		if (vg_outdated_dev(vg, &s->devs[i]))
			scan_warn_outdated(ctx, &s->devs[i], vg->md);
	return 0;
}

static int missing_err(vm_vg *vg, uint32_t i)
{
	char id[39];
	vmf_id_format(vg->md->pvs[i].id, id);
	return vm_err(vg->ctx, -ENXIO, "volume group %s: physical volume %s is missing; refusing to change "
		      "the volume group ('vgreduce --removemissing %s' takes it out)", vg->md->name, id,
		      vg->md->name);
}

static int vg_open_rw(vm_vg *vg)
{
	if (vg->mode != VM_VG_WRITE)
		return vm_err(vg->ctx, -EPERM, "volume group %s is open read-only", vg->md->name);
	return 0;
}

/* A change needs the VG open for writing, and whole. */
int vg_writable(vm_vg *vg)
{
	int r = vg_open_rw(vg);
	if (r)
		return r;
	for (uint32_t i = 0; i < vg->npvh; i++)
		if (!vg->pvs[i].dev)
			return missing_err(vg, i);
	return 0;
}

int vm_vg_open(vm_ctx *ctx, const char *name, int mode, vm_vg **out)
{
	char err[VMF_ERRLEN];
	bool partial = mode & VM_VG_PARTIAL;
	mode &= ~VM_VG_PARTIAL;
	if (vmf_name_check(name, err))
		return vm_err(ctx, -EINVAL, "invalid volume group name: %s", err);
	vm_vg *vg = vg_alloc(ctx, mode);
	if (!vg)
		return -ENOMEM;
	int r = lock_vg(ctx, name, mode == VM_VG_WRITE, &vg->lockfd);
	ctx->keep_texts = mode == VM_VG_WRITE;
	if (!r)
		r = scan_run(ctx, name);
	ctx->keep_texts = false;
	if (!r)
		r = vg_from_scan(vg, name);
	if (!r && mode == VM_VG_WRITE && !partial)
		r = vg_writable(vg);
	if (r) {
		vm_vg_free(vg);
		return r;
	}
	*out = vg;
	return 0;
}

static const char *hostname(void)
{
	static struct utsname u;
	return uname(&u) ? "unknown" : u.nodename;
}

/* Append PVs to the model. Devices must be orphan PVs of vg->scan. */
static int vg_add_pvs(vm_vg *vg, struct vm_dev **devs, size_t n)
{
	struct vmf_vg *md = vg->md;
	struct vmf_pv *pvs = vmf_alloc(md, (md->npv + n) * sizeof(*pvs));
	struct vm_dev **added = realloc(vg->added, (vg->nadded + n) * sizeof(*added));
	if (!pvs || !added)
		return -ENOMEM;
	vg->added = added;
	if (md->npv)
		memcpy(pvs, md->pvs, md->npv * sizeof(*pvs));
	for (size_t i = 0; i < n; i++) {
		struct vm_dev *d = devs[i];
		struct vmf_pv *pv = &pvs[md->npv + i];
		uint64_t start = d->pvh.n_data ? d->pvh.data[0].offset / VMF_SECTOR : 0;
		uint64_t sectors = d->size / VMF_SECTOR;
		memset(pv, 0, sizeof(*pv));
		memcpy(pv->id, d->pvh.pv_id, VMF_ID_LEN);
		pv->name = "pv";            /* renumbered at commit */
		pv->device = vmf_strdup(md, d->path);
		pv->dev_size = sectors;
		pv->pe_start = start;
		pv->pe_count = sectors > start ? (sectors - start) / md->extent_size : 0;
		if (!pv->device || vmf_strlist_add(md, &pv->status, "ALLOCATABLE"))
			return -ENOMEM;
		if (!pv->pe_count)
			return vm_err(vg->ctx, -ENOSPC, "%s: too small for one extent of %" PRIu64 " KiB",
				      d->path, md->extent_size / 2);
		vg->added[vg->nadded++] = d;
	}
	md->pvs = pvs;
	md->npv += (uint32_t)n;
	md->pvcap = md->npv;
	return vg_bind_pvs(vg);
}

/*
 * Resolve devices for vgcreate/vgextend against a fresh full scan: blank
 * devices become PVs first (as lvm2 does); PVs in a VG are refused.
 */
static int vg_claim_devices(vm_vg *vg, const char *const *paths, size_t n, struct vm_dev ***out)
{
	vm_ctx *ctx = vg->ctx;
	int r = scan_run(ctx, NULL);
	bool created = false;
	/* every check before the first write */
	for (size_t i = 0; i < n && !r; i++) {
		for (size_t j = 0; j < i; j++)
			if (!strcmp(paths[i], paths[j]))
				return vm_err(ctx, -EINVAL, "%s: device given twice", paths[i]);
		struct vm_dev *d = scan_find_dev(ctx->scan, paths[i]);
		const char *in = d ? scan_dev_vg(ctx->scan, d) : NULL;
		if (!d)
			r = pv_init(ctx, paths[i], NULL, false, true);   /* would it become a PV? */
		else if (in)
			r = vm_err(ctx, -EBUSY, "%s: physical volume is already in volume group %s", paths[i], in);
	}
	for (size_t i = 0; i < n && !r; i++) {
		if (!scan_find_dev(ctx->scan, paths[i])) {
			if (!(r = pv_init(ctx, paths[i], NULL, false, false)))
				created = true;
		}
	}
	if (!r && created)
		r = scan_run(ctx, NULL);
	if (r)
		return r;
	struct vm_dev **devs = calloc(n, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	for (size_t i = 0; i < n && !r; i++) {
		devs[i] = scan_find_dev(ctx->scan, paths[i]);
		const char *in = devs[i] ? scan_dev_vg(ctx->scan, devs[i]) : NULL;
		const struct vmf_vg *newer = devs[i] && !in ? scan_dev_outdated(ctx->scan, devs[i]) : NULL;
		if (!devs[i])
			r = vm_err(ctx, -ENOENT, "%s: not a physical volume", paths[i]);
		else if (in)
			r = vm_err(ctx, -EBUSY, "%s: physical volume is already in volume group %s",
				   paths[i], in);
		else if (newer)
			r = vm_err(ctx, -EBUSY, "%s: outdated physical volume of volume group %s; "
				   "'vgck --updatemetadata %s' clears it", paths[i], newer->name, newer->name);
	}
	/* only existing PVs can lack a metadata area: nothing was written if this fails */
	bool any_mda = vg->md->npv > 0;
	for (size_t i = 0; i < n && !r && !any_mda; i++)
		any_mda = devs[i]->nmda > 0;
	if (!r && !any_mda)
		r = vm_err(ctx, -EINVAL, "a new volume group needs at least one PV with a metadata area");
	if (r) {
		free(devs);
		return r;
	}
	*out = devs;
	return 0;
}

/* Switch the VG to the latest scan, so that old and new PVs share one. */
static int vg_rebase(vm_vg *vg)
{
	if (vg->scan == vg->ctx->scan)
		return 0;
	scan_put(vg->scan);
	vg->scan = vg->ctx->scan;
	vg->scan->refs++;
	return vg_bind_pvs(vg);
}

int vm_vg_create(vm_ctx *ctx, const char *name, uint64_t extent_size, const char *const *devs,
		 size_t ndevs, vm_vg **out)
{
	char err[VMF_ERRLEN];
	if (vmf_name_check(name, err))
		return vm_err(ctx, -EINVAL, "invalid volume group name: %s", err);
	if (!extent_size)
		extent_size = VM_DEFAULT_EXTENT;
	if (extent_size < 4096 || (extent_size & (extent_size - 1)) || extent_size > (16ull << 30))
		return vm_err(ctx, -EINVAL, "extent size %" PRIu64 " must be a power of two from 4 KiB to 16 GiB",
			      extent_size);
	if (!ndevs)
		return vm_err(ctx, -EINVAL, "a volume group needs at least one physical volume");
	vm_vg *vg = vg_alloc(ctx, VM_VG_WRITE);
	struct vm_dev **d = NULL;
	if (!vg)
		return -ENOMEM;
	int r = lock_vg(ctx, name, true, &vg->lockfd);
	if (!r)
		r = lock_take(ctx, VM_ORPHAN_LOCK, true, &vg->lockfd2);
	if (!r && !(vg->md = vmf_vg_new()))
		r = -ENOMEM;
	if (r)
		goto fail;
	struct vmf_vg *md = vg->md;
	md->name = vmf_strdup(md, name);
	id_new(md->id);
	md->format = "lvm2";
	md->extent_size = extent_size / VMF_SECTOR;
	if (!md->name || vmf_strlist_add(md, &md->status, "RESIZEABLE") ||
	    vmf_strlist_add(md, &md->status, "READ") || vmf_strlist_add(md, &md->status, "WRITE")) {
		r = -ENOMEM;
		goto fail;
	}
	md->creation_host = hostname();
	md->creation_time = time(NULL);
	vg->is_new = true;
	/* the name first: a refusal must not leave new PVs behind */
	if ((r = scan_run(ctx, "")))
		goto fail;
	for (size_t i = 0; i < ctx->scan->nvg; i++)
		if (!strcmp(ctx->scan->vgnames[i], name)) {
			r = vm_err(ctx, -EEXIST, "volume group %s already exists", name);
			goto fail;
		}
	if ((r = vg_claim_devices(vg, devs, ndevs, &d)))
		goto fail;
	vg->scan = ctx->scan;
	vg->scan->refs++;
	if ((r = vg_add_pvs(vg, d, ndevs)))
		goto fail;
	free(d);
	*out = vg;
	return 0;
fail:
	free(d);
	vm_vg_free(vg);
	return r;
}

int vm_vg_extend(vm_vg *vg, const char *const *devs, size_t ndevs)
{
	struct vm_dev **d;
	int r;
	if ((r = vg_writable(vg)))
		return r;
	if (vg->lockfd2 < 0 && (r = lock_take(vg->ctx, VM_ORPHAN_LOCK, true, &vg->lockfd2)))
		return r;
	if ((r = vg_claim_devices(vg, devs, ndevs, &d)))
		return r;
	if (!(r = vg_rebase(vg)))
		r = vg_add_pvs(vg, d, ndevs);
	free(d);
	return r;
}

static int drop_pvs(vm_vg *vg, const bool *drop);

int vm_vg_reduce(vm_vg *vg, const char *const *devs, size_t ndevs)
{
	vm_ctx *ctx = vg->ctx;
	struct vmf_vg *md = vg->md;
	int r;
	if ((r = vg_writable(vg)))
		return r;
	struct vmf_pvmap *maps = vg_maps(vg);
	if (!maps)
		return -EINVAL;
	bool *drop = calloc(md->npv, sizeof(*drop));
	if (!drop)
		return -ENOMEM;
	size_t ndrop = 0;
	r = 0;
	/* Check every PV before touching any: all or nothing. */
	for (size_t i = 0; i < ndevs && !r; i++) {
		int idx = vg_pv_index(vg, devs[i]);
		if (idx < 0)
			r = vm_err(ctx, -ENOENT, "%s: not a physical volume of volume group %s", devs[i], md->name);
		else if (maps[idx].used_count)
			r = vm_err(ctx, -EBUSY, "%s: physical volume still holds %" PRIu64 " allocated extents",
				   devs[i], maps[idx].used_count);
		else if (!drop[idx]) {
			drop[idx] = true;
			ndrop++;
		}
	}
	if (!r && ndrop == md->npv)
		r = vm_err(ctx, -EINVAL, "cannot remove the last physical volume of %s; use vgremove", md->name);
	uint32_t with_mda = 0;
	for (uint32_t i = 0; i < md->npv && !r; i++)
		if (!drop[i] && vg->pvs[i].dev && vg->pvs[i].dev->nmda)
			with_mda++;
	if (!r && !with_mda)
		r = vm_err(ctx, -EINVAL, "volume group %s would be left without a metadata area", md->name);
	if (!r && vg->lockfd2 < 0)
		r = lock_take(ctx, VM_ORPHAN_LOCK, true, &vg->lockfd2);
	struct vm_dev **dropped = r ? NULL : realloc(vg->dropped, (vg->ndropped + ndrop) * sizeof(*dropped));
	if (!r && !dropped)
		r = -ENOMEM;
	if (r) {
		free(drop);
		return r;
	}
	vg->dropped = dropped;
	for (uint32_t i = 0; i < md->npv; i++)
		if (drop[i])
			vg->dropped[vg->ndropped++] = vg->pvs[i].dev;
	r = drop_pvs(vg, drop);
	free(drop);
	return r;
}

/*
 * Take the PVs marked in @drop out of the model: the PV array is compacted
 * and stripe references renumbered. No extent may be on them.
 */
static int drop_pvs(vm_vg *vg, const bool *drop)
{
	struct vmf_vg *md = vg->md;
	uint32_t *map = calloc(md->npv ? md->npv : 1, sizeof(*map));
	if (!map)
		return -ENOMEM;
	uint32_t w = 0;
	for (uint32_t i = 0; i < md->npv; i++)
		if (!drop[i]) {
			map[i] = w;
			md->pvs[w++] = md->pvs[i];
		}
	md->npv = w;
	vmf_vg_forget_text(md);
	for (uint32_t l = 0; l < md->nlv; l++)
		for (uint32_t s = 0; s < md->lvs[l]->nseg; s++) {
			struct vmf_seg *seg = &md->lvs[l]->segs[s];
			for (uint32_t k = 0; k < seg->stripe_count; k++)
				seg->stripes[k].pv = map[seg->stripes[k].pv];
		}
	free(map);
	vg_changed(vg);
	return vg_bind_pvs(vg);
}

int vm_vg_remove_missing(vm_vg *vg, bool force, size_t *lvs_removed)
{
	struct vmf_vg *md = vg->md;
	size_t removed = 0, ngone = 0;
	uint32_t with_mda = 0;
	int r = 0;
	if (lvs_removed)
		*lvs_removed = 0;
	if ((r = vg_open_rw(vg)))
		return r;
	bool *gone = calloc(md->npv ? md->npv : 1, sizeof(*gone));
	if (!gone)
		return -ENOMEM;
	for (uint32_t i = 0; i < md->npv; i++) {
		gone[i] = !vg->pvs[i].dev;
		ngone += gone[i];
		with_mda += !gone[i] && vg->pvs[i].dev->nmda;
	}
	if (ngone && !with_mda)
		r = vm_err(vg->ctx, -EINVAL, "volume group %s would be left without a metadata area", md->name);
	if (!r && ngone)
		r = lv_remove_on_missing(vg, gone, force, &removed);
	/* the PVs go only when nothing is left on them */
	if (!r && ngone)
		r = drop_pvs(vg, gone);
	free(gone);
	if (lvs_removed)
		*lvs_removed = removed;
	return r;
}

int vm_vg_rename(vm_vg *vg, const char *new_name)
{
	vm_ctx *ctx = vg->ctx;
	char err[VMF_ERRLEN];
	int r, fd;
	if ((r = vg_writable(vg)))
		return r;
	if (vmf_name_check(new_name, err))
		return vm_err(ctx, -EINVAL, "invalid volume group name: %s", err);
	if (!strcmp(new_name, vg->md->name))
		return vm_err(ctx, -EEXIST, "volume group is already named %s", new_name);
	/* Lock the new name too (ours is held), then make sure nobody has it. */
	if ((r = lock_vg(ctx, new_name, true, &fd)))
		return r;
	struct scan *mine = vg->scan;
	mine->refs++;
	r = scan_run(ctx, new_name);
	for (size_t i = 0; !r && i < vm_vg_name_count(ctx); i++)
		if (!strcmp(vm_vg_name_at(ctx, i), new_name))
			r = vm_err(ctx, -EEXIST, "volume group %s already exists", new_name);
	scan_put(mine);
	const char *nn = r ? NULL : vmf_strdup(vg->md, new_name);
	if (!r && (!nn || (!vg->old_name && !(vg->old_name = strdup(vg->md->name)))))
		r = -ENOMEM;
	if (r || vg->lockfd2 >= 0) {
		/* the orphan lock slot is taken: the new name's lock cannot be kept */
		lock_drop(fd);
		return r ? r : vm_err(ctx, -EBUSY, "volume group %s: rename it in a change of its own",
				      vg->md->name);
	}
	for (uint32_t l = 0; l < vg->md->nlv && !r; l++) {
		vm_lv *lv = vg_lv_handle(vg, vg->md->lvs[l]);
		r = lv ? act_note(lv, false) : -ENOMEM;
	}
	if (r) {
		lock_drop(fd);
		return r;
	}
	vg->md->name = nn;
	vg->lockfd2 = fd;
	return 0;
}

int vm_vg_remove(vm_vg *vg, bool force)
{
	vm_ctx *ctx = vg->ctx;
	int r;
	if ((r = vg_writable(vg)))
		return r;
	if (vg->md->nlv && !force)
		return vm_err(ctx, -EBUSY, "volume group %s still holds %u logical volumes",
			      vg->md->name, vg->md->nlv);
	if ((r = vm_vg_deactivate(vg)))
		return r;
	if (vg->lockfd2 < 0 && (r = lock_take(ctx, VM_ORPHAN_LOCK, true, &vg->lockfd2)))
		return r;
	vg->removed = true;
	return 0;
}

/* ---------------------------------------------------------------- commit */

static int open_for_write(vm_vg *vg, struct vm_dev *d)
{
	if (d->wfd >= 0)
		return 0;
	return dev_open(vg->ctx, d->path, O_RDWR, &d->wfd, NULL, NULL);
}

static void close_all(struct vm_dev **devs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (devs[i] && devs[i]->wfd >= 0) {
			close(devs[i]->wfd);
			devs[i]->wfd = -1;
		}
}

struct sync_job {
	pthread_t thread;
	int fd, err;
	bool started;
};

static void *sync_one(void *arg)
{
	struct sync_job *j = arg;
	j->err = fdatasync(j->fd) ? errno : 0;
	return NULL;
}

/*
 * A barrier: every device's writes are durable when this returns. The
 * flushes run at once, one thread per device, so a VG of several PVs waits
 * for the slowest flush, not for their sum.
 */
static int sync_all(vm_vg *vg, struct vm_dev **devs, size_t n)
{
	struct sync_job jobs[16];
	int r = 0;
	if (n < 2 || n > 16) {
		for (size_t i = 0; i < n && !r; i++)
			r = dev_sync(vg->ctx, devs[i]->wfd, devs[i]->path);
		return r;
	}
	/* the last device is flushed by this thread: one thread fewer to start */
	pthread_attr_t attr;
	bool attr_ok = !pthread_attr_init(&attr) && !pthread_attr_setstacksize(&attr, 64 << 10);
	for (size_t i = 0; i < n; i++) {
		jobs[i] = (struct sync_job){ .fd = devs[i]->wfd };
		if (i + 1 < n)
			jobs[i].started = !pthread_create(&jobs[i].thread, attr_ok ? &attr : NULL, sync_one, &jobs[i]);
		if (!jobs[i].started)
			sync_one(&jobs[i]);
	}
	if (attr_ok)
		pthread_attr_destroy(&attr);
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
		if (jobs[i].err && !r)
			r = vm_err(vg->ctx, -jobs[i].err, "%s: flush failed: %s", devs[i]->path,
				   strerror(jobs[i].err));
	}
	return r;
}

/*
 * Release PVs that leave the VG (or all of them, on vgremove): first the
 * labels stop saying "in a VG", then the metadata areas are emptied. In
 * between, a PV reads as it did before (the areas decide), by lvm2 too.
 */
static int write_orphans(vm_vg *vg, struct vm_dev **devs, size_t n)
{
	int r = 0;
	for (size_t i = 0; i < n && !r; i++) {
		devs[i]->pvh.ext_flags &= ~VMF_PVH_FLAG_IN_VG;
		if (devs[i]->pvh.ext_version)
			r = pv_write_label(vg->ctx, devs[i]->wfd, devs[i]);
	}
	if (!r)
		r = sync_all(vg, devs, n);
	for (size_t i = 0; i < n && !r; i++) {
		struct vm_dev *d = devs[i];
		for (uint32_t m = 0; m < d->nmda && !r; m++) {
			d->mda[m].hdr = (struct vmf_mda_header){ .version = 1, .start = d->mda[m].offset,
								 .size = d->mda[m].size };
			d->mda[m].state = MDA_EMPTY;
			d->mda[m].hdr_ok = true;
			r = pv_write_mda_header(vg->ctx, d->wfd, d, m);
		}
	}
	return r ? r : sync_all(vg, devs, n);
}

static int commit_remove(vm_vg *vg)
{
	struct vm_dev **devs = calloc(vg->npvh ? vg->npvh : 1, sizeof(*devs));
	int r = devs ? 0 : -ENOMEM;
	size_t n = 0;
	for (uint32_t i = 0; i < vg->npvh && !r; i++)
		if ((devs[n] = vg->pvs[i].dev))
			r = open_for_write(vg, devs[n++]);
	if (!r)
		r = write_orphans(vg, devs, n);
	close_all(devs, n);
	free(devs);
	if (!r)
		backup_after_commit(vg, NULL);
	return r;
}

/*
 * The text (@flat, @total bytes) into the ring at @at, wrapping past the end
 * to 512: one write per contiguous stretch (two when it wraps). A stretch
 * starts on a 512-byte boundary of the area, as the ring places texts, and
 * what follows it up to the next boundary is free unless the current copy
 * @cur starts there: @flat's zeros go there, so that a device of 512-byte
 * blocks is written in whole blocks straight from @flat, without reading
 * any first.
 */
static int write_text(vm_ctx *ctx, struct vm_dev *d, const struct vm_mda *a, uint64_t at,
		      const char *flat, size_t total, const struct vmf_raw_locn *cur)
{
	/* the current copy, which the zeros must not reach (one lvm2 did not align may
	 * start right after the new text) */
	struct vmf_area keep[2];
	int nkeep = cur->size ? vmf_ring_pieces(a->size, cur->offset, cur->size, keep) : 0;
	size_t pos = 0;
	while (pos < total) {
		size_t n = at + (total - pos) > a->size ? (size_t)(a->size - at) : total - pos, span = n;
		if (!(a->offset % VMF_SECTOR) && !(at % VMF_SECTOR)) {
			uint64_t end = (at + n + VMF_SECTOR - 1) / VMF_SECTOR * VMF_SECTOR;
			if (end > a->size)
				end = a->size;
			for (int k = 0; k < nkeep; k++)
				if (keep[k].offset >= at + n && keep[k].offset < end)
					end = keep[k].offset;
			span = (size_t)(end - at);
		}
		int r = dev_pwrite(ctx, d->wfd, d->path, flat + pos, span, a->offset + at);
		if (r)
			return r;
		pos += n;
		at += n;
		if (at == a->size)
			at = VMF_MDA_HEADER_SIZE;
	}
	return 0;
}

/*
 * Steps 1 and 2 of a commit, on every device at once: the text into each of
 * its areas, flush; a gate that opens when every device got that far, or
 * failed; then the headers, flush. A device has a thread of its own, except
 * the last (and any whose thread did not start), which this thread takes.
 * Each job reports into a context of its own.
 */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t arrived, expected;
	bool failed;
};

/* Wait until @expected have arrived (0: as set before); true when one of them failed. */
static bool gate_pass(struct gate *g, bool failed, size_t expected)
{
	pthread_mutex_lock(&g->mu);
	if (expected)
		g->expected = expected;
	g->failed |= failed;
	if (++g->arrived >= g->expected)
		pthread_cond_broadcast(&g->cv);
	while (g->arrived < g->expected)
		pthread_cond_wait(&g->cv, &g->mu);
	failed = g->failed;
	pthread_mutex_unlock(&g->mu);
	return failed;
}

struct commit_job {
	pthread_t thread;
	bool started;
	vm_ctx ctx;
	vm_vg *vg;
	struct vm_dev *d;
	struct vmf_raw_locn *loc;        /* the device's areas' new locations */
	const char *text;                /* the text, and zeros up to 512 bytes past its end */
	uint64_t seqno;
	struct gate *gate;
	int r;
};

static int job_text(struct commit_job *j)
{
	struct vm_dev *d = j->d;
	int r = 0;
	for (uint32_t m = 0; m < d->nmda && !r; m++) {
		struct vm_mda *a = &d->mda[m];
		struct vmf_raw_locn cur = { 0 };
		if (a->hdr_ok)
			cur = a->hdr.slot[0];
		if (vmf_ring_place(a->size, &cur, j->loc[m].size, &j->loc[m].offset)) {
			cur.size = 0;
			vmf_ring_place(a->size, &cur, j->loc[m].size, &j->loc[m].offset);
		}
		r = write_text(&j->ctx, d, a, j->loc[m].offset, j->text, j->loc[m].size, &cur);
	}
	return r ? r : dev_sync(&j->ctx, d->wfd, d->path);
}

static int job_headers(struct commit_job *j)
{
	struct vm_dev *d = j->d;
	int r = 0;
	for (uint32_t m = 0; m < d->nmda && !r; m++) {
		struct vm_mda *a = &d->mda[m];
		a->hdr = (struct vmf_mda_header){ .version = 1, .start = a->offset, .size = a->size };
		a->hdr.slot[0] = j->loc[m];
		a->hdr_ok = true;
		a->state = MDA_OK;
		a->seqno = j->seqno;
		memcpy(a->vgid, j->vg->md->id, VMF_ID_LEN);
		r = pv_write_mda_header(&j->ctx, d->wfd, d, m);
	}
	return r ? r : dev_sync(&j->ctx, d->wfd, d->path);
}

static void *job_thread(void *arg)
{
	struct commit_job *j = arg;
	j->r = job_text(j);
	if (!gate_pass(j->gate, j->r != 0, 0))
		j->r = job_headers(j);
	return NULL;
}

static int write_all(vm_vg *vg, struct vm_dev **devs, size_t n, struct vmf_raw_locn *loc,
		     const char *text, size_t tlen, uint32_t crc, uint64_t seqno)
{
	struct commit_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
	if (!jobs)
		return -ENOMEM;
	struct gate gate = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
			     .expected = n };
	size_t k = 0, started = 0;
	for (size_t i = 0; i < n; i++) {
		jobs[i] = (struct commit_job){ .ctx = *vg->ctx, .vg = vg, .d = devs[i], .loc = loc + k,
					       .text = text, .seqno = seqno, .gate = &gate };
		for (uint32_t m = 0; m < devs[i]->nmda; m++)
			loc[k + m] = (struct vmf_raw_locn){ 0, tlen, crc, 0 };
		k += devs[i]->nmda;
	}
	pthread_attr_t attr;
	bool attr_ok = n > 1 && !pthread_attr_init(&attr) && !pthread_attr_setstacksize(&attr, 256 << 10);
	for (size_t i = 0; i + 1 < n; i++)
		started += jobs[i].started = !pthread_create(&jobs[i].thread, attr_ok ? &attr : NULL,
							     job_thread, &jobs[i]);
	if (attr_ok)
		pthread_attr_destroy(&attr);
	bool failed = false;
	for (size_t i = 0; i < n; i++)
		if (!jobs[i].started && !failed)
			failed = (jobs[i].r = job_text(&jobs[i])) != 0;
	failed = gate_pass(&gate, failed, started + 1);
	for (size_t i = 0; i < n && !failed; i++)
		if (!jobs[i].started)
			failed = (jobs[i].r = job_headers(&jobs[i])) != 0;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
	pthread_cond_destroy(&gate.cv);
	pthread_mutex_destroy(&gate.mu);
	int r = 0;
	for (size_t i = 0; i < n && !r; i++)
		if ((r = jobs[i].r))
			snprintf(vg->ctx->err, sizeof(vg->ctx->err), "%s", jobs[i].ctx.err);
	free(jobs);
	return r;
}

int vm_vg_commit(vm_vg *vg)
{
	vm_ctx *ctx = vg->ctx;
	struct vmf_vg *md = vg->md;
	char err[VMF_ERRLEN];
	int r = 0;

	if ((r = vg_writable(vg)))
		return r;
	if (vg->removed)
		return commit_remove(vg);
	/* Names and hints as lvm2 writes them: pv0..pvN by position, current paths. */
	for (uint32_t i = 0; i < md->npv; i++) {
		char name[16];
		snprintf(name, sizeof(name), "pv%u", i);
		if (strcmp(md->pvs[i].name, name)) {
			vmf_vg_forget_text(md);         /* LV texts name PVs by these names */
			if (!(md->pvs[i].name = vmf_strdup(md, name)))
				return -ENOMEM;
		}
		struct vm_dev *d = vg->pvs[i].dev;
		if (d && (!md->pvs[i].device || strcmp(md->pvs[i].device, d->path)) &&
		    !(md->pvs[i].device = vmf_strdup(md, d->path)))
			return -ENOMEM;
	}
	if (vmf_vg_validate_changes(md, err))
		return vm_err(ctx, -EINVAL, "volume group %s: refusing to write inconsistent metadata: %s",
			      md->name, err);
	if ((r = act_before_commit(vg)))
		return r;
	uint64_t seqno = vg->disk_seqno + 1;
	md->seqno = seqno;
	md->creation_host = hostname();
	md->creation_time = time(NULL);
	char desc[600];
	md->description = backup_description(ctx, desc, sizeof(desc));

	/* unchanged LVs come from the old text as it lies: pieces, not formatted again */
	struct vmt_buf b = { .use_pieces = 1 };
	vmf_vg_export(md, &b, false);
	md->description = NULL;
	vmt_putn(&b, "", 1);               /* the NUL is part of the stored text */
	vmt_pieces_finish(&b);
	if (b.oom) {
		vmt_buf_free(&b);
		return -ENOMEM;
	}
	uint32_t crc = VMF_INITIAL_CRC;
	for (size_t i = 0; i < b.npieces; i++)
		crc = vmf_crc(crc, vmt_piece_ptr(&b, &b.pieces[i]), b.pieces[i].len);
	const size_t tlen = b.total;

	/* Everything that can be checked is checked before the first write. */
	size_t n = 0, nmda = 0;
	struct vm_dev **devs = calloc(vg->npvh + 1, sizeof(*devs));
	if (!devs) {
		vmt_buf_free(&b);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < vg->npvh && !r; i++) {
		struct vm_dev *d = vg->pvs[i].dev;
		if (!d)
			continue;
		devs[n++] = d;
		for (uint32_t m = 0; m < d->nmda && !r; m++, nmda++)
			if (tlen > vmf_ring_max_text(d->mda[m].size))
				r = vm_err(ctx, -ENOSPC, "volume group %s: metadata of %zu bytes exceeds the "
					   "%" PRIu64 " bytes that the metadata area on %s can hold",
					   md->name, tlen, vmf_ring_max_text(d->mda[m].size), d->path);
	}
	if (!r && !nmda)
		r = vm_err(ctx, -EINVAL, "volume group %s has no metadata area to write to", md->name);
	for (size_t i = 0; i < n && !r; i++)
		r = open_for_write(vg, devs[i]);
	for (size_t i = 0; i < vg->ndropped && !r; i++)
		r = open_for_write(vg, vg->dropped[i]);

	/*
	 * 0: PVs leaving the VG are released first. Until the other PVs get the
	 * new text they are PVs of the old VG that hold no metadata: the old VG.
	 */
	if (!r && vg->ndropped)
		r = write_orphans(vg, vg->dropped, vg->ndropped);
	/*
	 * 1: the new text into free ring space of every area; durable.
	 * 2: each header points at the new text (one sector each); durable.
	 * Every device goes through both at once, in a thread of its own, with
	 * a barrier between: no header is written before every text is durable.
	 */
	struct vmf_raw_locn *loc = calloc(nmda ? nmda : 1, sizeof(*loc));
	if (!r && !loc)
		r = -ENOMEM;
	/* the text in one piece, in whole blocks for direct I/O, zeros after it */
	size_t flen = (tlen + 2 * VMF_SECTOR + 4095) / 4096 * 4096;
	char *flat = r ? NULL : dev_buf_alloc(flen);
	if (!r && !flat)
		r = -ENOMEM;
	if (!r) {
		size_t at = 0;
		for (size_t i = 0; i < b.npieces; i++) {
			memcpy(flat + at, vmt_piece_ptr(&b, &b.pieces[i]), b.pieces[i].len);
			at += b.pieces[i].len;
		}
		memset(flat + at, 0, flen - at);
		r = write_all(vg, devs, n, loc, flat, tlen, crc, seqno);
	}
	dev_buf_free(flat, flen);
	/* 3: labels of PVs that joined say so; PVs that left become orphans. */
	for (size_t i = 0; i < n && !r; i++) {
		struct vm_dev *d = devs[i];
		if (d->pvh.ext_version && !(d->pvh.ext_flags & VMF_PVH_FLAG_IN_VG)) {
			d->pvh.ext_flags |= VMF_PVH_FLAG_IN_VG;
			if (!(r = pv_write_label(ctx, d->wfd, d)))
				r = dev_sync(ctx, d->wfd, d->path);
		}
	}
	close_all(devs, n);
	close_all(vg->dropped, vg->ndropped);
	free(devs);
	free(loc);
	if (!r) {
		vg->disk_seqno = seqno;
		vg->nadded = 0;
		vg->ndropped = 0;
		vg->is_new = false;
		/* the backup is a convenience: the metadata areas hold the truth */
		if (backup_after_commit(vg, &b))
			vm_log(ctx, VM_LOG_WARN, "WARNING: %s", ctx->err);
		/* the metadata is written: a device that cannot follow is an error, not a rollback */
		r = act_after_commit(vg);
	}
	vmt_buf_free(&b);
	/* the old text may be overwritten by a later commit: no more copying from it */
	vmf_vg_forget_text(md);
	text_free(&vg->text);
	return r;
}

/* ---------------------------------------------------------------- accessors */

const char *vm_vg_name(const vm_vg *vg)
{
	return vg->md->name;
}

void vm_vg_uuid(const vm_vg *vg, char out[39])
{
	vmf_id_format(vg->md->id, out);
}

uint64_t vm_vg_seqno(const vm_vg *vg)
{
	return vg->md->seqno;
}

uint64_t vm_vg_extent_size(const vm_vg *vg)
{
	return vg->md->extent_size * VMF_SECTOR;
}

uint64_t vm_vg_extent_count(const vm_vg *vg)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < vg->md->npv; i++)
		n += vg->md->pvs[i].pe_count;
	return n;
}

uint64_t vm_vg_free_count(const vm_vg *vg)
{
	struct vmf_pvmap *m = vg_maps((vm_vg *)vg);
	uint64_t used = 0;
	for (uint32_t i = 0; m && i < vg->md->npv; i++)
		used += m[i].used_count;
	return vm_vg_extent_count(vg) - used;
}

uint64_t vm_vg_size(const vm_vg *vg)
{
	return vm_vg_extent_count(vg) * vm_vg_extent_size(vg);
}

uint64_t vm_vg_free_bytes(const vm_vg *vg)
{
	return vm_vg_free_count(vg) * vm_vg_extent_size(vg);
}

uint32_t vm_vg_mda_count(const vm_vg *vg)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < vg->npvh; i++)
		n += vg->pvs[i].dev ? vg->pvs[i].dev->nmda : 0;
	return n;
}

uint64_t vm_vg_mda_size(const vm_vg *vg)
{
	uint64_t min = 0;
	for (uint32_t i = 0; i < vg->npvh; i++)
		for (uint32_t m = 0; vg->pvs[i].dev && m < vg->pvs[i].dev->nmda; m++)
			if (!min || vg->pvs[i].dev->mda[m].size < min)
				min = vg->pvs[i].dev->mda[m].size;
	return min;
}

uint64_t vm_vg_mda_free(const vm_vg *vg)
{
	uint64_t min = UINT64_MAX;
	for (uint32_t i = 0; i < vg->npvh; i++)
		if (vg->pvs[i].dev && vg->pvs[i].dev->nmda) {
			uint64_t f = vm_pv_mda_free(&vg->pvs[i]);
			if (f < min)
				min = f;
		}
	return min == UINT64_MAX ? 0 : min;
}

void vm_vg_attr(const vm_vg *vg, char out[7])
{
	bool partial = false;
	for (uint32_t i = 0; i < vg->npvh; i++)
		partial |= !vg->pvs[i].dev;
	out[0] = vmf_strlist_has(&vg->md->status, "WRITE") ? 'w' : 'r';
	out[1] = vmf_strlist_has(&vg->md->status, "RESIZEABLE") ? 'z' : '-';
	out[2] = vmf_strlist_has(&vg->md->status, "EXPORTED") ? 'x' : '-';
	out[3] = partial ? 'p' : '-';
	const char *a = vg->md->alloc;
	out[4] = !a || !strcmp(a, "normal") ? 'n' : !strcmp(a, "cling") ? 'l' : a[0];
	out[5] = '-';
	out[6] = 0;
}

size_t vm_vg_pv_count(const vm_vg *vg)
{
	return vg->npvh;
}

vm_pv *vm_vg_pv_at(vm_vg *vg, size_t i)
{
	return i < vg->npvh ? &vg->pvs[i] : NULL;
}

size_t vm_vg_lv_count(const vm_vg *vg)
{
	size_t n = 0;
	for (uint32_t i = 0; i < vg->md->nlv; i++)
		n += vm_lv_visible(vg_lv_handle((vm_vg *)vg, vg->md->lvs[i]));
	return n;
}

size_t vm_vg_lv_total(const vm_vg *vg)
{
	return vg->md->nlv;
}

vm_lv *vm_vg_lv_at(vm_vg *vg, size_t i)
{
	return i < vg->md->nlv ? vg_lv_handle(vg, vg->md->lvs[i]) : NULL;
}

vm_lv *vm_vg_lv_find(vm_vg *vg, const char *name)
{
	struct vmf_lv *lv = vmf_vg_find_lv(vg->md, name);
	return lv ? vg_lv_handle(vg, lv) : NULL;
}

size_t vm_vg_tag_count(const vm_vg *vg)
{
	return vg->md->tags.n;
}

const char *vm_vg_tag_at(const vm_vg *vg, size_t i)
{
	return i < vg->md->tags.n ? vg->md->tags.v[i] : NULL;
}
