/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logical volumes: create, resize, rename, remove, tags, accessors. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "internal.h"

static int known(vm_lv *lv, const char *what)
{
	if (lv->md->unknown)
		return vm_err(lv->vg->ctx, -EOPNOTSUPP, "%s/%s has a segment type volmgr does not handle; "
			      "it can only be listed and removed, not %s", lv->vg->md->name, lv->md->name, what);
	return 0;
}

/*
 * An LV that a segment of another type names (a snapshot's origin or COW,
 * a thin pool, a RAID leg ...) cannot go or change its name: volmgr does not
 * know those segments well enough to update them. Returns the user, or NULL.
 */

/* Does a segment of a type volmgr does not handle name @name? */
static bool seg_names(const struct vmf_seg *s, const char *name)
{
	/* string keys of lvm2's segment types that hold settings, not LV names */
	static const char *const settings[] = { "type", "discards", "cache_mode", "policy", "mode",
						"vdo_write_policy", "integrity_mode" };
	if (!s->raw)
		return false;
	for (const struct vmt_node *n = s->raw->child; n; n = n->next) {
		bool setting = false;
		for (size_t i = 0; i < sizeof(settings) / sizeof(*settings) && !setting; i++)
			setting = !strcmp(n->key, settings[i]);
		if (setting)
			continue;
		if (n->type == VMT_STR && !strcmp(n->str, name))
			return true;
		for (const struct vmt_node *e = n->type == VMT_ARRAY ? n->child : NULL; e; e = e->next)
			if (e->type == VMT_STR && !strcmp(e->str, name))
				return true;
	}
	return false;
}

static const char *lv_user_md(const struct vmf_vg *md, const struct vmf_lv *lv)
{
	for (uint32_t l = 0; l < md->nlv; l++) {
		const struct vmf_lv *o = md->lvs[l];
		for (uint32_t s = 0; o != lv && o->unknown && s < o->nseg; s++)
			if (seg_names(&o->segs[s], lv->name))
				return o->name;
	}
	return NULL;
}

static const char *lv_user(const vm_lv *lv)
{
	return lv_user_md(lv->vg->md, lv->md);
}

static int in_use(vm_lv *lv, const char *what)
{
	size_t nsnap = vg_has_snapshots(lv->vg) ? snap_list(lv->vg->md, lv->md, NULL, 0) : 0;
	if (nsnap)
		return vm_err(lv->vg->ctx, -EBUSY, "%s/%s has %zu snapshot(s); it cannot be %s while they exist",
			      lv->vg->md->name, lv->md->name, nsnap, what);
	const char *user = lv_user(lv);
	if (user)
		return vm_err(lv->vg->ctx, -EBUSY, "%s/%s is used by %s/%s; it cannot be %s",
			      lv->vg->md->name, lv->md->name, lv->vg->md->name, user, what);
	return 0;
}

/* PV list -> mask over vg->md->pvs. */
static int pv_mask(vm_vg *vg, const char *const *pvs, size_t npvs, bool **out)
{
	*out = NULL;
	if (!npvs)
		return 0;
	bool *m = calloc(vg->md->npv, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < npvs; i++) {
		int idx = vg_pv_index(vg, pvs[i]);
		if (idx < 0) {
			free(m);
			return vm_err(vg->ctx, -ENOENT, "%s: not a physical volume of volume group %s",
				      pvs[i], vg->md->name);
		}
		m[idx] = true;
	}
	*out = m;
	return 0;
}

static const char *alloc_name(enum vm_alloc a)
{
	static const char *const names[] = { NULL, "normal", "contiguous", "cling", "anywhere" };
	return a < sizeof(names) / sizeof(*names) ? names[a] : NULL;
}

int vm_vg_size_to_extents(vm_vg *vg, const vm_lv *lv, const struct vm_size *sz,
			  const char *const *pvs, size_t npvs, uint32_t stripes, uint64_t *extents)
{
	uint64_t es = vm_vg_extent_size(vg), base = 0, n;
	bool *mask = NULL;
	int r;
	if (!stripes)
		stripes = 1;
	switch (sz->kind) {
	case VM_SIZE_BYTES:
		n = sz->value / es + (sz->value % es != 0);
		if (sz->value % es)
			vm_log(vg->ctx, VM_LOG_INFO, "Rounding up size to full physical extent.");
		n = (n + stripes - 1) / stripes * stripes;
		*extents = n;
		return 0;
	case VM_SIZE_EXTENTS:
		n = (sz->value + stripes - 1) / stripes * stripes;
		if (n != sz->value)
			vm_log(vg->ctx, VM_LOG_INFO, "Rounding size %" PRIu64 " extents up to stripe boundary size "
			       "%" PRIu64 " extents.", sz->value, n);
		*extents = n;
		return 0;
	case VM_SIZE_PERCENT_FREE:
		base = vm_vg_free_count(vg);
		break;
	case VM_SIZE_PERCENT_VG:
		base = vm_vg_extent_count(vg);
		break;
	case VM_SIZE_PERCENT_ORIGIN:
		if (!lv)
			return vm_err(vg->ctx, -EINVAL, "%%ORIGIN needs an origin volume");
		base = vm_lv_extents(lv);
		break;
	case VM_SIZE_PERCENT_PVS: {
		struct vmf_pvmap *maps = vg_maps(vg);
		if (!maps)
			return -EINVAL;
		if ((r = pv_mask(vg, pvs, npvs, &mask)))
			return r;
		for (uint32_t i = 0; i < vg->md->npv; i++)
			if (!mask || mask[i])
				base += vg->md->pvs[i].pe_count - maps[i].used_count;
		free(mask);
		break;
	}
	}
	n = base * sz->value / 100;
	*extents = n / stripes * stripes;
	return 0;
}

/* What snapshots forbid: resizing an origin, shrinking a snapshot's COW. */
static int snap_resize_check(vm_lv *lv, bool grow)
{
	vm_vg *vg = lv->vg;
	if (!vg_has_snapshots(vg))
		return 0;
	if (snap_of_cow(vg->md, lv->md) && !grow)
		return vm_err(vg->ctx, -EOPNOTSUPP, "%s/%s is a snapshot: its COW can grow, not shrink",
			      vg->md->name, lv->md->name);
	size_t n = snap_list(vg->md, lv->md, NULL, 0);
	if (n)
		return vm_err(vg->ctx, -EBUSY, "%s/%s has %zu snapshot(s); it cannot be %s while they exist",
			      vg->md->name, lv->md->name, n, grow ? "extended" : "reduced");
	return 0;
}

int vm_lv_resize_target(vm_lv *lv, const struct vm_size *sz, const char *const *pvs, size_t npvs,
			uint64_t *extents)
{
	vm_vg *vg = lv->vg;
	uint64_t cur = vmf_lv_extents(lv->md), n;
	const struct vmf_seg *last = &lv->md->segs[lv->md->nseg - 1];
	int r = vm_vg_size_to_extents(vg, lv, sz, pvs, npvs, last->stripe_count ? last->stripe_count : 1, &n);
	if (r)
		return r;
	if (sz->sign < 0 && n >= cur)
		return vm_err(vg->ctx, -EINVAL, "%s/%s has %" PRIu64 " extents: cannot reduce by %" PRIu64,
			      vg->md->name, lv->md->name, cur, n);
	*extents = sz->sign > 0 ? cur + n : sz->sign < 0 ? cur - n : n;
	return *extents == cur ? 0 : snap_resize_check(lv, *extents > cur);
}

int vm_lv_create(vm_vg *vg, const struct vm_lv_params *p, vm_lv **out)
{
	vm_ctx *ctx = vg->ctx;
	struct vmf_vg *md = vg->md;
	char err[VMF_ERRLEN], name[VMF_NAME_MAX + 1];
	int r;
	if ((r = vg_writable(vg)))
		return r;
	if (p->name) {
		if (vmf_lv_name_check(p->name, err))
			return vm_err(ctx, -EINVAL, "invalid logical volume name: %s", err);
		snprintf(name, sizeof(name), "%s", p->name);
	} else {
		/* lvolN, the first N not taken */
		for (uint32_t n = 0;; n++) {
			snprintf(name, sizeof(name), "lvol%u", n);
			if (!vmf_vg_find_lv(md, name))
				break;
		}
	}
	if (vmf_vg_find_lv(md, name))
		return vm_err(ctx, -EEXIST, "logical volume %s already exists in volume group %s", name, md->name);
	uint32_t stripes = p->stripes ? p->stripes : 1;
	uint64_t ssize = p->stripe_size ? p->stripe_size : VM_DEFAULT_STRIPE;
	if (stripes > 128)
		return vm_err(ctx, -EINVAL, "%u stripes: at most 128", stripes);
	if (stripes > md->npv && p->alloc != VM_ALLOC_ANYWHERE)
		return vm_err(ctx, -EINVAL, "%u stripes need %u physical volumes; volume group %s has %u",
			      stripes, stripes, md->name, md->npv);
	if (stripes > 1 && (ssize < 4096 || (ssize & (ssize - 1)) || ssize > vm_vg_extent_size(vg)))
		return vm_err(ctx, -EINVAL, "stripe size %" PRIu64 " must be a power of two from 4 KiB up to "
			      "the extent size", ssize);
	if (!p->extents)
		return vm_err(ctx, -EINVAL, "size of the logical volume is zero");
	if (p->extents % stripes)
		return vm_err(ctx, -EINVAL, "%" PRIu64 " extents do not divide into %u stripes", p->extents,
			      stripes);
	for (size_t i = 0; i < p->ntags; i++)
		if (vmf_tag_check(p->tags[i], err))
			return vm_err(ctx, -EINVAL, "%s", err);
	bool *mask;
	if ((r = pv_mask(vg, p->pvs, p->npvs, &mask)))
		return r;
	struct vmf_lv *lv = vmf_vg_add_lv(md, name);
	if (!lv) {
		free(mask);
		return -ENOMEM;
	}
	static struct utsname u;
	id_new(lv->id);
	lv->creation_time = time(NULL);
	lv->creation_host = uname(&u) ? "unknown" : vmf_strdup(md, u.nodename);
	r = vmf_strlist_add(md, &lv->status, "READ") || vmf_strlist_add(md, &lv->status, "WRITE") ||
	    vmf_strlist_add(md, &lv->status, "VISIBLE") ? -ENOMEM : 0;
	if (!r && p->alloc != VM_ALLOC_INHERIT)
		lv->alloc = alloc_name(p->alloc);       /* lvm2 records any explicit policy */
	for (size_t i = 0; i < p->ntags && !r; i++)
		r = vmf_strlist_add(md, &lv->tags, p->tags[i]);
	if (!r)
		r = alloc_extend(vg, lv, p->extents, stripes, (uint32_t)(ssize / VMF_SECTOR), p->alloc, mask);
	free(mask);
	if (r) {
		vmf_vg_del_lv(md, lv);
		vg_changed(vg);
		return r;
	}
	if (out)
		*out = vg_lv_handle(vg, lv);
	return 0;
}

int vm_lv_resize(vm_lv *lv, uint64_t extents, enum vm_alloc alloc, const char *const *pvs, size_t npvs)
{
	vm_vg *vg = lv->vg;
	vm_ctx *ctx = vg->ctx;
	struct vmf_lv *m = lv->md;
	int r;
	if ((r = vg_writable(vg)) || (r = known(lv, "resized")))
		return r;
	uint64_t cur = vmf_lv_extents(m);
	if (extents != cur && (r = snap_resize_check(lv, extents > cur)))
		return r;
	const struct vmf_seg *last = &m->segs[m->nseg - 1];
	uint32_t stripes = last->stripe_count;
	/* The new end must fall on a whole stripe set of the segment it lands in. */
	const struct vmf_seg *at = last;
	for (uint32_t s = 0; extents < cur && s < m->nseg; s++)
		if (extents < m->segs[s].start_extent + m->segs[s].extent_count) {
			at = &m->segs[s];
			break;
		}
	uint64_t into = extents > at->start_extent ? extents - at->start_extent : 0;
	if (into % at->stripe_count) {
		uint64_t rounded = extents > cur ? extents + at->stripe_count - into % at->stripe_count
						 : extents - into % at->stripe_count;
		vm_log(ctx, VM_LOG_INFO, "Rounding size (%" PRIu64 " extents) to a whole number of %u stripes: "
		       "%" PRIu64 " extents.", extents, at->stripe_count, rounded);
		extents = rounded;
	}
	if (!extents)
		return vm_err(ctx, -EINVAL, "%s/%s: cannot reduce to zero extents", vg->md->name, m->name);
	if (extents == cur)
		return vm_err(ctx, -EALREADY, "%s/%s already has %" PRIu64 " extents", vg->md->name, m->name,
			      cur);
	if (extents < cur) {
		if ((r = in_use(lv, "reduced")) || (r = act_note(lv, true)))
			return r;
		alloc_reduce(vg, m, extents);
		return 0;
	}
	if ((r = act_note(lv, false)))
		return r;
	bool *mask;
	if ((r = pv_mask(vg, pvs, npvs, &mask)))
		return r;
	r = alloc_extend(vg, m, extents - cur, stripes, last->stripe_size, alloc, mask);
	free(mask);
	return r;
}

/*
 * Removing an LV of another type (a snapshot, a thin pool ...) also removes
 * the hidden LVs that only it used (the COW, the pool's data and metadata),
 * as lvm2 does: nothing is left behind holding extents.
 */
static void remove_md(struct vmf_vg *md, struct vmf_lv *lv, int depth)
{
	/* the hidden LVs it names (a RAID may name many); none if it is an ordinary LV */
	struct vmf_lv **victim = lv->unknown ? calloc(md->nlv, sizeof(*victim)) : NULL;
	size_t nv = 0;
	for (uint32_t l = 0; victim && l < md->nlv; l++) {
		struct vmf_lv *o = md->lvs[l];
		if (o == lv || vmf_strlist_has(&o->status, "VISIBLE"))
			continue;
		for (uint32_t s = 0; s < lv->nseg; s++)
			if (seg_names(&lv->segs[s], o->name)) {
				victim[nv++] = o;
				break;
			}
	}
	vmf_vg_del_lv(md, lv);
	if (lv->priv)
		((vm_lv *)lv->priv)->md = NULL;
	lv->priv = NULL;
	for (size_t i = 0; i < nv && depth < 8; i++)
		if (!lv_user_md(md, victim[i]))
			remove_md(md, victim[i], depth + 1);
	free(victim);
}

/* A snapshot's snapshotN and COW leave the model; their devices are the caller's business. */
void lv_remove_snapshot_md(vm_lv *cow)
{
	struct vmf_lv *sn = snap_of_cow(cow->vg->md, cow->md);
	if (sn) {
		remove_md(cow->vg->md, sn, 0);
		vg_changed(cow->vg);
	}
}

int vm_lv_remove(vm_lv *lv)
{
	int r;
	if (lv->md && lv->md->unknown && snap_seg(lv->md)) {
		/* snapshotN is internal: removing it is removing its snapshot, devices included */
		struct vmf_lv *c = snap_cow_md(lv->vg->md, lv->md);
		vm_lv *cow = c ? vg_lv_handle(lv->vg, c) : NULL;
		if (cow && cow != lv)
			return vm_lv_remove(cow);
	}
	struct vmf_lv *sn = vg_has_snapshots(lv->vg) ? snap_of_cow(lv->vg->md, lv->md) : NULL;
	if (sn) {
		/* a snapshot: its snapshotN goes, and with it the COW it alone uses */
		if ((r = vg_writable(lv->vg)) || (r = act_before_remove(lv)))
			return r;
		remove_md(lv->vg->md, sn, 0);
		vg_changed(lv->vg);
		return 0;
	}
	if ((r = vg_writable(lv->vg)) || (r = in_use(lv, "removed")) || (r = act_before_remove(lv)))
		return r;
	remove_md(lv->vg->md, lv->md, 0);
	vg_changed(lv->vg);
	return 0;
}

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
	return x < y ? -1 : x > y;
}

/* Is @lv one of @set (sorted by address), or all of them when @set is NULL? */
static bool doomed(struct vmf_lv *const *set, size_t n, const struct vmf_lv *lv)
{
	return !set || bsearch(&lv, set, n, sizeof(*set), ptr_cmp);
}

/* The LVs of other segment types in the model: the only ones that name LVs. */
static size_t collect_users(const struct vmf_vg *md, struct vmf_lv **users)
{
	size_t nu = 0;
	for (uint32_t l = 0; l < md->nlv; l++)
		if (md->lvs[l]->unknown)
			users[nu++] = md->lvs[l];
	return nu;
}

static bool named_by(struct vmf_lv *const *users, size_t nu, const struct vmf_lv *lv)
{
	for (size_t u = 0; u < nu; u++)
		for (uint32_t k = 0; users[u] != lv && k < users[u]->nseg; k++)
			if (seg_names(&users[u]->segs[k], lv->name))
				return true;
	return false;
}

/*
 * Take the LVs of @set (sorted by address; NULL: every LV) out of the model,
 * users before what they use: each pass takes what no remaining LV names.
 * Only LVs of other segment types name LVs, and a VG has few of them: plain
 * LVs are checked against those alone and leave in one sweep, not one array
 * shift each (a VG of 10,000 LVs). A cycle of users stops it: -EBUSY.
 */
static int remove_set(vm_vg *vg, struct vmf_lv *const *set, size_t n)
{
	struct vmf_vg *md = vg->md;
	struct vmf_lv **users = calloc(md->nlv ? md->nlv : 1, sizeof(*users));
	if (!users)
		return -ENOMEM;
	for (bool progress = true; progress;) {
		progress = false;
		/* LVs of other segment types, each with what it alone names (which
		 * may include others of them: the list is made again after each) */
		size_t nu = collect_users(md, users);
		for (size_t u = nu; u-- > 0;) {
			if (u >= nu || !doomed(set, n, users[u]) || named_by(users, nu, users[u]))
				continue;
			remove_md(md, users[u], 0);
			nu = collect_users(md, users);
			progress = true;
		}
		if (progress)
			continue;
		uint32_t w = 0;
		for (uint32_t l = 0; l < md->nlv; l++) {
			struct vmf_lv *lv = md->lvs[l];
			if (lv->unknown || !doomed(set, n, lv) || named_by(users, nu, lv)) {
				md->lvs[w++] = lv;
				continue;
			}
			if (lv->priv)
				((vm_lv *)lv->priv)->md = NULL;
			lv->priv = NULL;
		}
		progress = w < md->nlv;
		md->nlv = w;
	}
	free(users);
	vg_changed(vg);
	for (uint32_t l = 0; l < md->nlv; l++)
		if (doomed(set, n, md->lvs[l]))
			return vm_err(vg->ctx, -EBUSY, "volume group %s: %s/%s could not be removed: its users "
				      "refer to each other", md->name, md->name, md->lvs[l]->name);
	return 0;
}

int vm_vg_remove_lvs(vm_vg *vg)
{
	int r;
	if ((r = vg_writable(vg)) || (r = vm_vg_deactivate(vg)))
		return r;
	return remove_set(vg, NULL, 0);
}

static bool in_set(struct vmf_lv *const *set, size_t n, const struct vmf_lv *lv)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == lv)
			return true;
	return false;
}

/*
 * The LVs that a PV marked in @gone takes with it: those with an extent on
 * one, and what stands on those (a segment of another type that names one;
 * a snapshot of one, with its COW). Returns how many, in *out (malloc'd).
 */
static size_t lvs_on_missing(const struct vmf_vg *md, const bool *gone, struct vmf_lv ***out)
{
	struct vmf_lv **set = calloc(md->nlv ? md->nlv : 1, sizeof(*set));
	size_t n = 0;
	*out = set;
	if (!set)
		return 0;
	for (uint32_t l = 0; l < md->nlv; l++) {
		const struct vmf_lv *lv = md->lvs[l];
		bool hit = false;
		for (uint32_t s = 0; s < lv->nseg && !hit; s++)
			for (uint32_t k = 0; k < lv->segs[s].stripe_count && !hit; k++)
				hit = gone[lv->segs[s].stripes[k].pv];
		if (hit)
			set[n++] = md->lvs[l];
	}
	for (size_t grown = n; grown;) {
		grown = 0;
		for (uint32_t l = 0; l < md->nlv; l++) {
			struct vmf_lv *o = md->lvs[l];
			if (!o->unknown)        /* only other segment types name LVs */
				continue;
			bool was = in_set(set, n, o), hit = was;
			for (size_t i = 0; i < n && !hit; i++)
				for (uint32_t s = 0; s < o->nseg && !hit; s++)
					hit = seg_names(&o->segs[s], set[i]->name);
			if (hit && !was) {
				set[n++] = o;
				grown++;
			}
			struct vmf_lv *cow = hit && snap_seg(o) ? snap_cow_md(md, o) : NULL;
			if (cow && !in_set(set, n, cow)) {
				set[n++] = cow;
				grown++;
			}
		}
	}
	return n;
}

int lv_remove_on_missing(vm_vg *vg, const bool *gone, bool force, size_t *removed)
{
	struct vmf_vg *md = vg->md;
	struct vmf_lv **set;
	size_t n = lvs_on_missing(md, gone, &set);
	int r = set ? 0 : -ENOMEM;
	size_t nvis = 0;
	for (size_t i = 0; i < n; i++)
		nvis += vmf_strlist_has(&set[i]->status, "VISIBLE");
	*removed = 0;
	if (!r && n && !force) {
		uint32_t pv = 0;
		for (uint32_t s = 0; s < set[0]->nseg; s++)
			for (uint32_t k = 0; k < set[0]->segs[s].stripe_count; k++)
				if (gone[set[0]->segs[s].stripes[k].pv])
					pv = set[0]->segs[s].stripes[k].pv;
		char id[39];
		vmf_id_format(md->pvs[pv].id, id);
		r = vm_err(vg->ctx, -EBUSY, "volume group %s: %zu logical volume(s) use missing physical volumes "
			   "(%s/%s is on %s); --force removes them", md->name, nvis, md->name, set[0]->name, id);
	}
	/* every one that has a device goes down before the model changes */
	for (size_t i = 0; i < n && !r; i++)
		if (vmf_strlist_has(&set[i]->status, "VISIBLE")) {
			vm_lv *lv = vg_lv_handle(vg, set[i]);
			r = lv ? vm_lv_deactivate(lv) : -ENOMEM;
		}
	if (!r && n) {
		qsort(set, n, sizeof(*set), ptr_cmp);
		r = remove_set(vg, set, n);
	}
	if (!r)
		*removed = nvis;
	free(set);
	return r;
}

int vm_lv_rename(vm_lv *lv, const char *new_name)
{
	vm_vg *vg = lv->vg;
	char err[VMF_ERRLEN];
	int r;
	if ((r = vg_writable(vg)) || (r = known(lv, "renamed")) || (r = in_use(lv, "renamed")))
		return r;
	if (vmf_lv_name_check(new_name, err))
		return vm_err(vg->ctx, -EINVAL, "invalid logical volume name: %s", err);
	if (vmf_vg_find_lv(vg->md, new_name))
		return vm_err(vg->ctx, -EEXIST, "logical volume %s already exists in volume group %s",
			      new_name, vg->md->name);
	const char *n = vmf_strdup(vg->md, new_name);
	if (!n)
		return -ENOMEM;
	if ((r = act_note(lv, false)))
		return r;
	lv->md->name = n;
	vmf_lv_changed(lv->md);
	return 0;
}

int vm_lv_add_tag(vm_lv *lv, const char *tag)
{
	char err[VMF_ERRLEN];
	int r;
	if ((r = vg_writable(lv->vg)) || (r = known(lv, "tagged")))
		return r;
	if (vmf_tag_check(tag, err))
		return vm_err(lv->vg->ctx, -EINVAL, "%s", err);
	vmf_lv_changed(lv->md);
	return vmf_strlist_add(lv->vg->md, &lv->md->tags, tag);
}

int vm_lv_del_tag(vm_lv *lv, const char *tag)
{
	int r;
	if ((r = vg_writable(lv->vg)) || (r = known(lv, "tagged")))
		return r;
	if (!vmf_strlist_del(&lv->md->tags, tag))
		return vm_err(lv->vg->ctx, -ENOENT, "%s/%s has no tag %s", lv->vg->md->name, lv->md->name, tag);
	vmf_lv_changed(lv->md);
	return 0;
}

/* ---------------------------------------------------------------- accessors */

const char *vm_lv_name(const vm_lv *lv)
{
	return lv->md->name;
}

void vm_lv_uuid(const vm_lv *lv, char out[39])
{
	vmf_id_format(lv->md->id, out);
}

vm_vg *vm_lv_vg(const vm_lv *lv)
{
	return lv->vg;
}

uint64_t vm_lv_extents(const vm_lv *lv)
{
	return vmf_lv_extents(lv->md);
}

uint64_t vm_lv_size(const vm_lv *lv)
{
	return vmf_lv_extents(lv->md) * vm_vg_extent_size(lv->vg);
}

bool vm_lv_visible(const vm_lv *lv)
{
	const struct vmf_lv *m = lv->md;
	if (!m->unknown && vmf_strlist_has(&m->status, "VISIBLE"))
		return true;
	return snap_visible(lv->vg->md, m);
}

bool vm_lv_known(const vm_lv *lv)
{
	return !lv->md->unknown;
}

static const char *seg_type(const struct vmf_seg *s)
{
	const char *t = "striped";
	if (s->raw)
		vmt_get_str(s->raw, "type", &t);
	else if (s->stripe_count == 1)
		t = "linear";
	return t;
}

void vm_lv_attr(const vm_lv *lv, char out[11])
{
	const struct vmf_lv *m = lv->md;
	const struct vmf_seg *s = m->nseg ? &m->segs[0] : NULL;
	/* 1 type, 2 permissions, 3 allocation, 4 fixed minor, 5 state, 6 open,
	 * 7 target type, 8 zero, 9 health, 10 skip activation */
	char type = '-', target = '-';
	bool snapshots = vg_has_snapshots(lv->vg);
	if (snapshots && snap_of_cow(lv->vg->md, m))
		type = target = 's';
	else if (snapshots && snap_list(lv->vg->md, m, NULL, 0)) {
		struct vmf_lv *sn[8];
		size_t n = snap_list(lv->vg->md, m, sn, 8);
		type = 'o', target = 's';
		for (size_t i = 0; i < n && i < 8; i++)
			if (snap_merging(sn[i]))
				type = 'O';             /* merging a snapshot back, as lvm2 shows it */
	}
	else if (s && s->raw)
		type = !strcmp(seg_type(s), "snapshot") ? 's' : '-';
	else if (!vmf_strlist_has(&m->status, "VISIBLE"))
		type = 'i';
	const char *alloc = m->alloc ? m->alloc : "inherit";
	char a = alloc[0];
	if (!strcmp(alloc, "inherit"))
		a = 'i';
	else if (!strcmp(alloc, "normal"))
		a = 'n';
	else if (!strcmp(alloc, "contiguous"))
		a = 'c';
	else if (!strcmp(alloc, "cling"))
		a = 'l';
	else if (!strcmp(alloc, "anywhere"))
		a = 'a';
	if (vmf_strlist_has(&m->status, "LOCKED"))
		a = (char)(a - 32);
	out[0] = type;
	out[1] = vmf_strlist_has(&m->status, "WRITE") ? 'w' : 'r';
	out[2] = a;
	out[3] = vmf_strlist_has(&m->status, "FIXED_MINOR") ? 'm' : '-';
	struct vm_lv_state st;
	if (vm_lv_state((vm_lv *)lv, &st))
		st.active = false;
	out[4] = st.active ? (st.suspended ? 's' : 'a') : '-';
	struct vm_snapshot_usage u;
	if (type == 's' && st.active && !vm_lv_snapshot_usage((vm_lv *)lv, &u) && u.invalid)
		out[4] = 'I';
	out[5] = st.active && st.open_count ? 'o' : '-';
	out[6] = target;
	out[7] = '-';
	out[8] = '-';
	out[9] = vmf_strlist_has(&m->flags, "ACTIVATION_SKIP") ? 'k' : '-';
	out[10] = 0;
}

int64_t vm_lv_creation_time(const vm_lv *lv)
{
	return lv->md->creation_time;
}

const char *vm_lv_creation_host(const vm_lv *lv)
{
	return lv->md->creation_host ? lv->md->creation_host : "";
}

const char *vm_lv_alloc(const vm_lv *lv)
{
	return lv->md->alloc ? lv->md->alloc : "inherit";
}

size_t vm_lv_tag_count(const vm_lv *lv)
{
	return lv->md->tags.n;
}

const char *vm_lv_tag_at(const vm_lv *lv, size_t i)
{
	return i < lv->md->tags.n ? lv->md->tags.v[i] : NULL;
}

size_t vm_lv_seg_count(const vm_lv *lv)
{
	return lv->md->nseg;
}

int vm_lv_seg(const vm_lv *lv, size_t i, struct vm_seg *out)
{
	if (i >= lv->md->nseg)
		return -ENOENT;
	const struct vmf_seg *s = &lv->md->segs[i];
	out->start_extent = s->start_extent;
	out->extent_count = s->extent_count;
	out->type = seg_type(s);
	out->stripes = s->stripe_count;
	out->stripe_size = (uint64_t)s->stripe_size * VMF_SECTOR;
	return 0;
}

int vm_lv_seg_stripe(vm_lv *lv, size_t i, uint32_t k, vm_pv **pv, uint64_t *pe)
{
	if (i >= lv->md->nseg || k >= lv->md->segs[i].stripe_count)
		return -ENOENT;
	const struct vmf_stripe *st = &lv->md->segs[i].stripes[k];
	*pv = &lv->vg->pvs[st->pv];
	*pe = st->pe;
	return 0;
}
