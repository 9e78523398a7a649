/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The extent allocator. Free space is worked out from the per-PV maps of
 * used extents (sorted, merged: O(S log S) in the number of segments), and
 * a failed allocation changes nothing. Policies:
 *   normal      continue the last segment if the extents after it are free,
 *               else largest free areas first; stripes on distinct PVs
 *   contiguous  one area that continues the LV (or any one area if new)
 *   cling       only the PVs the LV's last segment uses (any PV if new)
 *   anywhere    like normal, but stripes may share a PV
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct area {
	uint32_t pv;
	uint64_t start, len;
};

static int area_cmp(const void *a, const void *b)
{
	const struct area *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? 1 : -1;        /* largest first */
	if (x->pv != y->pv)
		return x->pv < y->pv ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Free areas of the allowed PVs, largest first. */
static int free_areas(vm_vg *vg, const bool *allowed, struct area **out, size_t *n)
{
	struct vmf_pvmap *maps = vg_maps(vg);
	const struct vmf_vg *md = vg->md;
	if (!maps)
		return -EINVAL;
	size_t cap = 0, cnt = 0;
	for (uint32_t p = 0; p < md->npv; p++)
		cap += maps[p].n + 1;
	struct area *a = malloc((cap ? cap : 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (uint32_t p = 0; p < md->npv; p++) {
		if ((allowed && !allowed[p]) || !vmf_strlist_has(&md->pvs[p].status, "ALLOCATABLE") ||
		    !vg->pvs[p].dev)
			continue;
		uint64_t at = 0;
		for (uint32_t i = 0; i <= maps[p].n; i++) {
			uint64_t end = i < maps[p].n ? maps[p].used[i].start : md->pvs[p].pe_count;
			if (end > at)
				a[cnt++] = (struct area){ p, at, end - at };
			if (i < maps[p].n)
				at = maps[p].used[i].start + maps[p].used[i].len;
		}
	}
	qsort(a, cnt, sizeof(*a), area_cmp);
	*out = a;
	*n = cnt;
	return 0;
}

static void take(struct area *a, uint64_t start, uint64_t len)
{
	/* Only the area's head or its whole is ever taken. */
	(void)start;
	a->start += len;
	a->len -= len;
}

/* Append (or merge into the last segment) a segment of @per extents per stripe. */
static int add_seg(vm_vg *vg, struct vmf_lv *lv, uint32_t stripes, uint32_t stripe_size,
		   const struct vmf_stripe *where, uint64_t per)
{
	if (lv->nseg) {
		struct vmf_seg *last = &lv->segs[lv->nseg - 1];
		uint64_t lper = last->stripe_count ? last->extent_count / last->stripe_count : 0;
		bool adj = last->stripe_count == stripes && last->stripe_size == stripe_size && !last->raw;
		for (uint32_t k = 0; adj && k < stripes; k++)
			adj = last->stripes[k].pv == where[k].pv && last->stripes[k].pe + lper == where[k].pe;
		if (adj) {
			last->extent_count += per * stripes;
			return 0;
		}
	}
	struct vmf_seg *s = vmf_lv_add_seg(vg->md, lv, stripes);
	if (!s)
		return -ENOMEM;
	s->extent_count = per * stripes;
	s->stripe_size = stripes > 1 ? stripe_size : 0;
	memcpy(s->stripes, where, stripes * sizeof(*where));
	return 0;
}

int alloc_extend(vm_vg *vg, struct vmf_lv *lv, uint64_t extents, uint32_t stripes,
		 uint32_t stripe_size, enum vm_alloc policy, const bool *allowed)
{
	vm_ctx *ctx = vg->ctx;
	struct vmf_vg *md = vg->md;
	struct area *a;
	size_t na;
	int r;

	if (!stripes)
		stripes = 1;
	vmf_lv_changed(lv);
	if (extents % stripes)
		return vm_err(ctx, -EINVAL, "%" PRIu64 " extents do not divide into %u stripes", extents, stripes);
	if (policy == VM_ALLOC_INHERIT) {
		const char *p = lv->alloc ? lv->alloc : md->alloc;
		if (!p || vm_alloc_parse(p, &policy) || policy == VM_ALLOC_INHERIT)
			policy = VM_ALLOC_NORMAL;
	}
	const struct vmf_seg *last = lv->nseg ? &lv->segs[lv->nseg - 1] : NULL;
	bool *cling = NULL;
	if (policy == VM_ALLOC_CLING && last && last->stripe_count) {
		if (!(cling = calloc(md->npv, sizeof(*cling))))
			return -ENOMEM;
		for (uint32_t k = 0; k < last->stripe_count; k++)
			if (!allowed || allowed[last->stripes[k].pv])
				cling[last->stripes[k].pv] = true;
		allowed = cling;
	}
	r = free_areas(vg, allowed, &a, &na);
	free(cling);
	if (r)
		return r;

	uint32_t nseg0 = lv->nseg;
	uint64_t seg0_count = last ? last->extent_count : 0;
	uint64_t need = extents / stripes;    /* per stripe */
	struct vmf_stripe where[128];

	/* Continue right after the last segment when those extents are free. */
	if (last && last->stripe_count == stripes && !last->raw && need) {
		uint64_t lper = last->extent_count / last->stripe_count, run = need;
		struct area *cont[128];
		for (uint32_t k = 0; k < stripes && run; k++) {
			cont[k] = NULL;
			for (size_t i = 0; i < na; i++)
				if (a[i].pv == last->stripes[k].pv && a[i].start == last->stripes[k].pe + lper)
					cont[k] = &a[i];
			run = cont[k] ? (cont[k]->len < run ? cont[k]->len : run) : 0;
		}
		if (policy == VM_ALLOC_CONTIGUOUS && run < need)
			run = 0;
		if (run) {
			for (uint32_t k = 0; k < stripes; k++) {
				where[k] = (struct vmf_stripe){ cont[k]->pv, cont[k]->start };
				take(cont[k], cont[k]->start, run);
			}
			if ((r = add_seg(vg, lv, stripes, stripe_size, where, run)))
				goto fail;
			need -= run;
		}
	}
	if (need && policy == VM_ALLOC_CONTIGUOUS) {
		if (last) {
			r = vm_err(ctx, -ENOSPC, "contiguous allocation: the extents after the end of %s are not free",
				   lv->name);
			goto fail;
		}
		/* A new LV: one area per stripe, each holding all of it, on distinct PVs. */
		uint32_t got = 0;
		for (size_t i = 0; i < na && got < stripes; i++) {
			bool used = false;
			for (uint32_t k = 0; k < got; k++)
				used |= where[k].pv == a[i].pv;
			if (!used && a[i].len >= need)
				where[got++] = (struct vmf_stripe){ a[i].pv, a[i].start };
		}
		if (got < stripes) {
			r = vm_err(ctx, -ENOSPC, "contiguous allocation: no free area of %" PRIu64 " extents%s",
				   need, stripes > 1 ? " on enough distinct PVs" : "");
			goto fail;
		}
		if ((r = add_seg(vg, lv, stripes, stripe_size, where, need)))
			goto fail;
		need = 0;
	}
	while (need) {
		/* Largest areas first, one per stripe (distinct PVs unless anywhere). */
		qsort(a, na, sizeof(*a), area_cmp);
		struct area *pick[128];
		uint32_t got = 0;
		for (size_t i = 0; i < na && got < stripes && a[i].len; i++) {
			bool used = false;
			for (uint32_t k = 0; k < got && policy != VM_ALLOC_ANYWHERE; k++)
				used |= pick[k]->pv == a[i].pv;
			if (!used)
				pick[got++] = &a[i];
		}
		if (got < stripes) {
			if (stripes > 1)
				r = vm_err(ctx, -ENOSPC, "insufficient free space: %" PRIu64 " more extents needed "
					   "on each of %u distinct PVs", need, stripes);
			else
				r = vm_err(ctx, -ENOSPC, "insufficient free space: %" PRIu64 " more extents needed",
					   need);
			goto fail;
		}
		uint64_t run = need;
		for (uint32_t k = 0; k < stripes; k++)
			if (pick[k]->len < run)
				run = pick[k]->len;
		for (uint32_t k = 0; k < stripes; k++) {
			where[k] = (struct vmf_stripe){ pick[k]->pv, pick[k]->start };
			take(pick[k], pick[k]->start, run);
		}
		if ((r = add_seg(vg, lv, stripes, stripe_size, where, run)))
			goto fail;
		need -= run;
	}
	free(a);
	vg_changed(vg);
	return 0;
fail:
	/* Undo: back to the segments the LV had. */
	lv->nseg = nseg0;
	if (nseg0)
		lv->segs[nseg0 - 1].extent_count = seg0_count;
	free(a);
	vg_changed(vg);
	return r;
}

void alloc_reduce(vm_vg *vg, struct vmf_lv *lv, uint64_t extents)
{
	uint64_t cut = vmf_lv_extents(lv) - extents;
	vmf_lv_changed(lv);
	while (cut && lv->nseg) {
		struct vmf_seg *s = &lv->segs[lv->nseg - 1];
		if (s->extent_count <= cut) {
			cut -= s->extent_count;
			lv->nseg--;
			continue;
		}
		s->extent_count -= cut;
		cut = 0;
	}
	vg_changed(vg);
}
