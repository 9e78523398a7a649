/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for libvolmgr/alloc.c, the extent allocator, without devices:
 * a vm_vg is built by hand around a VG model imported from text, with dummy
 * vm_dev objects standing for present PVs. Every test checks after every
 * operation that the VG is still consistent (vmf_vg_validate, and that its
 * export imports again, which runs every rule of the import), and that a
 * failed allocation leaves the whole VG exactly as it was (byte-identical
 * export).
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"

static char sysdir[64];

/* ---- building a VG by hand ------------------------------------------------- */

struct fx {
	vm_vg *vg;
	struct vm_dev dev[16];
};

static void sb_cat(char **p, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sb_cat(char **p, size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	*p = realloc(*p, *len + (size_t)n + 1);
	assert_non_null(*p);
	va_start(ap, fmt);
	vsnprintf(*p + *len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*len += (size_t)n;
}

static void gen_id(char out[39], char tag, unsigned n)
{
	static const char alpha[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char raw[VMF_ID_LEN];
	memset(raw, tag, sizeof(raw));
	for (int i = 0; i < 8; i++, n /= 62)
		raw[VMF_ID_LEN - 1 - i] = alpha[n % 62];
	vmf_id_format(raw, out);
}

/*
 * A VG of @npv PVs with pe_count @pe[i] (a negative count: the PV is not
 * ALLOCATABLE) plus @lvs (text inside logical_volumes, may be NULL).
 */
static char *vg_text(unsigned npv, const int64_t *pe, const char *vg_extra, const char *lvs)
{
	char *t = NULL, id[39];
	size_t len = 0;
	gen_id(id, 'V', 0);
	sb_cat(&t, &len, "vg {\nid = \"%s\"\nseqno = 1\nformat = \"lvm2\"\n"
	       "status = [\"RESIZEABLE\", \"READ\", \"WRITE\"]\nflags = []\nextent_size = 8192\n"
	       "max_lv = 0\nmax_pv = 0\nmetadata_copies = 0\n%sphysical_volumes {\n", id,
	       vg_extra ? vg_extra : "");
	for (unsigned p = 0; p < npv; p++) {
		uint64_t n = (uint64_t)(pe[p] < 0 ? -pe[p] : pe[p]);
		gen_id(id, 'P', p);
		sb_cat(&t, &len, "pv%u {\nid = \"%s\"\ndevice = \"/dev/fake%u\"\nstatus = [%s]\nflags = []\n"
		       "dev_size = %" PRIu64 "\npe_start = 2048\npe_count = %" PRIu64 "\n}\n",
		       p, id, p, pe[p] < 0 ? "" : "\"ALLOCATABLE\"", 2048 + n * 8192, n);
	}
	sb_cat(&t, &len, "}\nlogical_volumes {\n%s}\n}\ncontents = \"Text Format Volume Group\"\nversion = 1\n",
	       lvs ? lvs : "");
	return t;
}

static struct fx *fx_new(unsigned npv, const int64_t *pe, const char *vg_extra, const char *lvs)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_true(npv <= 16);
	vm_ctx *ctx;
	assert_int_equal(vm_ctx_new(&ctx), 0);
	char *t = vg_text(npv, pe, vg_extra, lvs);
	char err[VMF_ERRLEN];
	struct vmf_vg *md;
	if (vmf_vg_from_text(t, strlen(t), &md, err))
		fail_msg("fixture: %s\n%s", err, t);
	free(t);
	vm_vg *vg = calloc(1, sizeof(*vg));
	assert_non_null(vg);
	vg->ctx = ctx;
	vg->md = md;
	vg->mode = VM_VG_WRITE;
	vg->lockfd = vg->lockfd2 = -1;
	vg->pvs = calloc(md->npv, sizeof(*vg->pvs));
	assert_non_null(vg->pvs);
	vg->npvh = md->npv;
	for (uint32_t i = 0; i < md->npv; i++) {
		f->dev[i].wfd = -1;
		vg->pvs[i] = (struct vm_pv){ ctx, vg, i, &f->dev[i] };
	}
	f->vg = vg;
	return f;
}

static void fx_free(struct fx *f)
{
	vm_ctx *ctx = f->vg->ctx;
	vm_vg_free(f->vg);
	vm_ctx_free(ctx);
	free(f);
}

static struct vmf_lv *mk_lv(struct fx *f, const char *name)
{
	struct vmf_lv *lv = vmf_vg_add_lv(f->vg->md, name);
	assert_non_null(lv);
	id_new(lv->id);
	assert_int_equal(vmf_strlist_add(f->vg->md, &lv->status, "READ"), 0);
	assert_int_equal(vmf_strlist_add(f->vg->md, &lv->status, "VISIBLE"), 0);
	return lv;
}

/* A linear segment placed by hand (for blockers and starting layouts). */
static void add_lin(struct fx *f, struct vmf_lv *lv, uint32_t pv, uint64_t pe, uint64_t n)
{
	struct vmf_seg *s = vmf_lv_add_seg(f->vg->md, lv, 1);
	assert_non_null(s);
	s->extent_count = n;
	s->stripes[0] = (struct vmf_stripe){ pv, pe };
	vg_changed(f->vg);
}

static struct vmf_lv *blocker(struct fx *f, const char *name, uint32_t pv, uint64_t pe, uint64_t n)
{
	struct vmf_lv *lv = mk_lv(f, name);
	add_lin(f, lv, pv, pe, n);
	return lv;
}

static char *export(const struct fx *f)
{
	struct vmt_buf b = { 0 };
	vmf_vg_export(f->vg->md, &b, false);
	assert_false(b.oom);
	return b.p;
}

/* Consistent: no overlap, and the export passes every rule of the import. */
static void check(const struct fx *f)
{
	char err[VMF_ERRLEN];
	if (vmf_vg_validate(f->vg->md, err))
		fail_msg("vmf_vg_validate: %s", err);
	char *t = export(f);
	struct vmf_vg *back;
	if (vmf_vg_from_text(t, strlen(t), &back, err))
		fail_msg("the VG's export does not import: %s\n%s", err, t);
	vmf_vg_free(back);
	free(t);
}

/* "pv0@0 pv1@5 x20 | pv2@0 x3": stripes of each segment and its extent_count. */
static char *layout(const struct vmf_lv *lv)
{
	static char out[4][1024];
	static int slot;
	char *o = out[slot++ % 4];
	size_t n = 0;
	o[0] = '\0';
	for (uint32_t s = 0; s < lv->nseg; s++) {
		const struct vmf_seg *g = &lv->segs[s];
		if (s)
			n += (size_t)snprintf(o + n, 1024 - n, " | ");
		for (uint32_t k = 0; k < g->stripe_count; k++)
			n += (size_t)snprintf(o + n, 1024 - n, "pv%u@%" PRIu64 " ", g->stripes[k].pv, g->stripes[k].pe);
		n += (size_t)snprintf(o + n, 1024 - n, "x%" PRIu64, g->extent_count);
	}
	return o;
}

static void expect_layout(const struct vmf_lv *lv, const char *want)
{
	const char *got = layout(lv);
	if (strcmp(got, want))
		fail_msg("%s: layout \"%s\", expected \"%s\"", lv->name, got, want);
	/* segments are contiguous in the LV's extent space */
	uint64_t at = 0;
	for (uint32_t s = 0; s < lv->nseg; s++) {
		assert_int_equal(lv->segs[s].start_extent, at);
		at += lv->segs[s].extent_count;
	}
}

static int extend(struct fx *f, struct vmf_lv *lv, uint64_t n, uint32_t stripes, enum vm_alloc policy,
		  const bool *allowed)
{
	int r = alloc_extend(f->vg, lv, n, stripes, stripes > 1 ? 128 : 0, policy, allowed);
	check(f);
	return r;
}

/* An allocation that must fail with -ENOSPC and change nothing at all. */
static void extend_fails(struct fx *f, struct vmf_lv *lv, uint64_t n, uint32_t stripes, enum vm_alloc policy,
			 const bool *allowed)
{
	char *before = export(f);
	char lay[1024];
	snprintf(lay, sizeof(lay), "%s", layout(lv));
	f->vg->ctx->err[0] = '\0';
	int r = alloc_extend(f->vg, lv, n, stripes, stripes > 1 ? 128 : 0, policy, allowed);
	if (r != -ENOSPC)
		fail_msg("%s: +%" PRIu64 " x%u policy %d: expected -ENOSPC, got %d (layout now %s)", lv->name, n,
			 stripes, policy, r, layout(lv));
	assert_true(vm_ctx_error(f->vg->ctx)[0] != '\0');
	char *after = export(f);
	if (strcmp(before, after))
		fail_msg("%s: a failed allocation changed the VG: layout %s -> %s", lv->name, lay, layout(lv));
	free(before);
	free(after);
	check(f);
}

/* A new LV of @n extents: must succeed. */
static struct vmf_lv *create(struct fx *f, const char *name, uint64_t n, uint32_t stripes, enum vm_alloc policy,
			     const bool *allowed)
{
	struct vmf_lv *lv = mk_lv(f, name);
	int r = alloc_extend(f->vg, lv, n, stripes, stripes > 1 ? 128 : 0, policy, allowed);
	if (r)
		fail_msg("%s: %" PRIu64 " x%u policy %d: %d %s", name, n, stripes, policy, r, vm_ctx_error(f->vg->ctx));
	check(f);
	return lv;
}

/*
 * A new LV that cannot be allocated: -ENOSPC, no segment, and once it is
 * deleted again (as vm_lv_create() does) the VG is exactly as before.
 */
static void create_fails(struct fx *f, const char *name, uint64_t n, uint32_t stripes, enum vm_alloc policy,
			 const bool *allowed)
{
	char *before = export(f);
	struct vmf_lv *lv = mk_lv(f, name);
	int r = alloc_extend(f->vg, lv, n, stripes, stripes > 1 ? 128 : 0, policy, allowed);
	if (r != -ENOSPC)
		fail_msg("%s: %" PRIu64 " x%u policy %d: expected -ENOSPC, got %d (layout %s)", name, n, stripes,
			 policy, r, layout(lv));
	assert_true(vm_ctx_error(f->vg->ctx)[0] != '\0');
	assert_int_equal(lv->nseg, 0);
	vmf_vg_del_lv(f->vg->md, lv);
	vg_changed(f->vg);
	char *after = export(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
	check(f);
}

/* Free extents of PV @p according to the cached maps. */
static uint64_t pv_free(struct fx *f, uint32_t p)
{
	struct vmf_pvmap *m = vg_maps(f->vg);
	assert_non_null(m);
	return f->vg->md->pvs[p].pe_count - m[p].used_count;
}

/* ---- normal ------------------------------------------------------------------ */

static void test_normal_largest_first(void **state)
{
	(void)state;
	static const int64_t pe[] = { 100, 100, 100 };
	struct fx *f = fx_new(3, pe, NULL, NULL);
	blocker(f, "a", 1, 0, 50);
	blocker(f, "a2", 0, 0, 20);
	check(f);
	/* free: pv0 [20,100) 80, pv1 [50,100) 50, pv2 [0,100) 100 */
	struct vmf_lv *b = create(f, "b", 10, 1, VM_ALLOC_NORMAL, NULL);
	expect_layout(b, "pv2@0 x10");
	/* 150: the largest area (pv2, 90), then the next largest (pv0, 80) */
	struct vmf_lv *c = create(f, "c", 150, 1, VM_ALLOC_NORMAL, NULL);
	expect_layout(c, "pv2@10 x90 | pv0@20 x60");
	/* inherit, with no policy on the LV or the VG, is normal */
	struct vmf_lv *d = create(f, "d", 5, 1, VM_ALLOC_INHERIT, NULL);
	expect_layout(d, "pv1@50 x5");
	assert_int_equal(pv_free(f, 0), 20);
	assert_int_equal(pv_free(f, 1), 45);
	assert_int_equal(pv_free(f, 2), 0);
	fx_free(f);
	/* equal sizes: the lower PV first */
	static const int64_t pe2[] = { 10, 10 };
	f = fx_new(2, pe2, NULL, NULL);
	struct vmf_lv *e = create(f, "e", 12, 1, VM_ALLOC_NORMAL, NULL);
	expect_layout(e, "pv0@0 x10 | pv1@0 x2");
	fx_free(f);
}

/* Extents right after the last segment are used first and merge into it. */
static void test_normal_continues_last_segment(void **state)
{
	(void)state;
	static const int64_t pe[] = { 100, 100 };
	struct fx *f = fx_new(2, pe, NULL, NULL);
	struct vmf_lv *a = mk_lv(f, "a");
	add_lin(f, a, 0, 0, 10);
	struct vmf_lv *wall = blocker(f, "wall", 0, 20, 80);
	/* pv1 (100 free) is larger than the 10 free after a, but a continues */
	assert_int_equal(extend(f, a, 5, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(a, "pv0@0 x15");
	/* 5 more fit after it; the other 5 go to the largest area */
	assert_int_equal(extend(f, a, 10, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(a, "pv0@0 x20 | pv1@0 x5");
	/* and now the new last segment continues */
	assert_int_equal(extend(f, a, 7, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(a, "pv0@0 x20 | pv1@0 x12");
	/* a striped LV continues on every stripe at once */
	vmf_vg_del_lv(f->vg->md, wall);
	vg_changed(f->vg);
	check(f);
	/* free: pv0 [20,100) 80, pv1 [12,100) 88: the larger first */
	struct vmf_lv *s = create(f, "s", 20, 2, VM_ALLOC_NORMAL, NULL);
	expect_layout(s, "pv1@12 pv0@20 x20");
	assert_int_equal(s->segs[0].stripe_size, 128);
	assert_int_equal(a->segs[0].stripe_size, 0);
	assert_int_equal(extend(f, s, 10, 2, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(s, "pv1@12 pv0@20 x30");
	/* a linear extension of a striped LV is a new segment, never a merge */
	assert_int_equal(extend(f, s, 3, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(s, "pv1@12 pv0@20 x30 | pv1@27 x3");
	fx_free(f);
}

/* Another LV right behind: the extension becomes a new segment elsewhere. */
static void test_extend_after_neighbour_new_segment(void **state)
{
	(void)state;
	static const int64_t pe[] = { 100 };
	struct fx *f = fx_new(1, pe, NULL, NULL);
	struct vmf_lv *a = create(f, "a", 10, 1, VM_ALLOC_NORMAL, NULL);
	struct vmf_lv *b = create(f, "b", 10, 1, VM_ALLOC_NORMAL, NULL);
	expect_layout(a, "pv0@0 x10");
	expect_layout(b, "pv0@10 x10");
	assert_int_equal(extend(f, a, 5, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(a, "pv0@0 x10 | pv0@20 x5");
	assert_int_equal(a->segs[1].start_extent, 10);
	/* b's end is followed by a's second segment: b gets a new segment after it */
	assert_int_equal(extend(f, b, 1, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(b, "pv0@10 x10 | pv0@25 x1");
	/* and so does a now */
	assert_int_equal(extend(f, a, 1, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(a, "pv0@0 x10 | pv0@20 x5 | pv0@26 x1");
	/* continuing that one merges */
	assert_int_equal(extend(f, a, 4, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(a, "pv0@0 x10 | pv0@20 x5 | pv0@26 x5");
	fx_free(f);
}

/* Not enough space in total: -ENOSPC, even after a partial merge into the last segment. */
static void test_normal_enospc_rolls_back(void **state)
{
	(void)state;
	static const int64_t pe[] = { 30, 20 };
	struct fx *f = fx_new(2, pe, NULL, NULL);
	struct vmf_lv *a = mk_lv(f, "a");
	add_lin(f, a, 0, 0, 10);
	blocker(f, "w", 0, 20, 5);
	/* free: pv0 [10,20) (continues a), [25,30), pv1 20: 35 in all */
	extend_fails(f, a, 36, 1, VM_ALLOC_NORMAL, NULL);
	expect_layout(a, "pv0@0 x10");
	create_fails(f, "n", 36, 1, VM_ALLOC_NORMAL, NULL);
	/* exactly all of it works */
	assert_int_equal(extend(f, a, 35, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(a, "pv0@0 x20 | pv1@0 x20 | pv0@25 x5");
	assert_int_equal(pv_free(f, 0) + pv_free(f, 1), 0);
	create_fails(f, "n", 1, 1, VM_ALLOC_NORMAL, NULL);
	create_fails(f, "n", 1, 1, VM_ALLOC_ANYWHERE, NULL);
	/* zero extents: nothing to do */
	char *before = export(f);
	assert_int_equal(alloc_extend(f->vg, a, 0, 1, 0, VM_ALLOC_NORMAL, NULL), 0);
	char *after = export(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
	fx_free(f);
}

/* ---- contiguous ------------------------------------------------------------------ */

static void test_contiguous(void **state)
{
	(void)state;
	static const int64_t pe[] = { 100, 30 };
	struct fx *f = fx_new(2, pe, NULL, NULL);
	blocker(f, "w", 0, 40, 10);
	/* free: pv0 [0,40) 40 and [50,100) 50, pv1 30: 120 in all, no area of 60 */
	create_fails(f, "c", 60, 1, VM_ALLOC_CONTIGUOUS, NULL);
	struct vmf_lv *c = create(f, "c", 45, 1, VM_ALLOC_CONTIGUOUS, NULL);
	expect_layout(c, "pv0@50 x45");
	/* extension: the next extents are free, it merges */
	assert_int_equal(extend(f, c, 5, 1, VM_ALLOC_CONTIGUOUS, NULL), 0);
	expect_layout(c, "pv0@50 x50");
	/* at the end of the PV: nothing follows */
	extend_fails(f, c, 1, 1, VM_ALLOC_CONTIGUOUS, NULL);
	/* next extents taken */
	struct vmf_lv *d = create(f, "d", 10, 1, VM_ALLOC_CONTIGUOUS, NULL);
	expect_layout(d, "pv0@0 x10");
	blocker(f, "w2", 0, 10, 2);
	extend_fails(f, d, 1, 1, VM_ALLOC_CONTIGUOUS, NULL);
	/* some free behind, but fewer than asked: no partial allocation */
	struct vmf_lv *e = create(f, "e", 10, 1, VM_ALLOC_CONTIGUOUS, NULL);
	expect_layout(e, "pv1@0 x10");
	blocker(f, "w3", 1, 15, 15);
	extend_fails(f, e, 8, 1, VM_ALLOC_CONTIGUOUS, NULL);
	assert_int_equal(extend(f, e, 5, 1, VM_ALLOC_CONTIGUOUS, NULL), 0);
	expect_layout(e, "pv1@0 x15");
	/* the LV's own policy applies when the call inherits */
	e->alloc = "contiguous";
	extend_fails(f, e, 1, 1, VM_ALLOC_INHERIT, NULL);
	/* ... and else the VG's */
	f->vg->md->alloc = "contiguous";
	create_fails(f, "g", 29, 1, VM_ALLOC_INHERIT, NULL);       /* free: [12,40) 28 on pv0 */
	struct vmf_lv *g = create(f, "g", 28, 1, VM_ALLOC_INHERIT, NULL);
	expect_layout(g, "pv0@12 x28");
	fx_free(f);
}

static void test_contiguous_striped(void **state)
{
	(void)state;
	static const int64_t pe[] = { 100, 100, 20 };
	struct fx *f = fx_new(3, pe, NULL, NULL);
	/* 2 stripes of 30: one area each, on distinct PVs */
	struct vmf_lv *s = create(f, "s", 60, 2, VM_ALLOC_CONTIGUOUS, NULL);
	expect_layout(s, "pv0@0 pv1@0 x60");
	/* 3 stripes of 30: pv2 has only 20 */
	create_fails(f, "t", 90, 3, VM_ALLOC_CONTIGUOUS, NULL);
	assert_int_equal(extend(f, s, 20, 2, VM_ALLOC_CONTIGUOUS, NULL), 0);
	expect_layout(s, "pv0@0 pv1@0 x80");
	fx_free(f);
}

/* ---- cling ------------------------------------------------------------------------- */

static void test_cling(void **state)
{
	(void)state;
	static const int64_t pe[] = { 50, 100, 100 };
	struct fx *f = fx_new(3, pe, NULL, NULL);
	struct vmf_lv *a = mk_lv(f, "a");
	add_lin(f, a, 0, 0, 10);
	blocker(f, "w", 0, 10, 10);
	/* free: pv0 [20,50) 30, pv1 100, pv2 100; cling stays on pv0 */
	assert_int_equal(extend(f, a, 20, 1, VM_ALLOC_CLING, NULL), 0);
	expect_layout(a, "pv0@0 x10 | pv0@20 x20");
	/* 10 left on pv0 (they would merge first: the merge is rolled back too) */
	extend_fails(f, a, 11, 1, VM_ALLOC_CLING, NULL);
	/* only the last segment counts: b's first segment is on pv1, its last on pv2 */
	struct vmf_lv *b = mk_lv(f, "b");
	add_lin(f, b, 1, 0, 5);
	add_lin(f, b, 2, 0, 5);
	blocker(f, "w2", 2, 10, 90);
	assert_int_equal(extend(f, b, 5, 1, VM_ALLOC_CLING, NULL), 0);
	expect_layout(b, "pv1@0 x5 | pv2@0 x10");
	extend_fails(f, b, 1, 1, VM_ALLOC_CLING, NULL);
	/* the mask still applies: a clings to pv0, but only pv1 is allowed */
	bool only1[3] = { false, true, false };
	extend_fails(f, a, 1, 1, VM_ALLOC_CLING, only1);
	/* a new LV may go anywhere (largest first) */
	struct vmf_lv *c = create(f, "c", 3, 1, VM_ALLOC_CLING, NULL);
	expect_layout(c, "pv1@5 x3");
	/* through the LV's policy */
	c->alloc = "cling";
	assert_int_equal(extend(f, c, 50, 1, VM_ALLOC_INHERIT, NULL), 0);
	expect_layout(c, "pv1@5 x53");
	fx_free(f);
}

/* ---- anywhere, striped, masks ---------------------------------------------------------- */

static void test_anywhere_stripes_share_pv(void **state)
{
	(void)state;
	static const int64_t pe[] = { 100 };
	struct fx *f = fx_new(1, pe, NULL, NULL);
	blocker(f, "w", 0, 40, 10);
	/* two free areas on one PV: [0,40) and [50,100) */
	create_fails(f, "s", 20, 2, VM_ALLOC_NORMAL, NULL);        /* needs 2 distinct PVs */
	struct vmf_lv *s = create(f, "s", 20, 2, VM_ALLOC_ANYWHERE, NULL);
	expect_layout(s, "pv0@50 pv0@0 x20");
	/* 30 more per stripe: [60,100) has 40, [10,40) has 30 */
	assert_int_equal(extend(f, s, 60, 2, VM_ALLOC_ANYWHERE, NULL), 0);
	expect_layout(s, "pv0@50 pv0@0 x80");
	fx_free(f);

	/*
	 * One free area only: placing both stripes in it is allowed (lvm2's
	 * anywhere does); refusing is acceptable. Either way nothing may overlap.
	 */
	f = fx_new(1, pe, NULL, NULL);
	char *before = export(f);
	s = mk_lv(f, "s");
	int r = alloc_extend(f->vg, s, 20, 2, 128, VM_ALLOC_ANYWHERE, NULL);
	if (r) {
		assert_int_equal(r, -ENOSPC);
		assert_int_equal(s->nseg, 0);
		vmf_vg_del_lv(f->vg->md, s);
		vg_changed(f->vg);
		char *after = export(f);
		assert_string_equal(before, after);
		free(after);
		print_message("[ INFO     ] anywhere: two stripes in one free area are refused\n");
	}
	check(f);
	free(before);
	fx_free(f);
}

static void test_striped_distinct_pvs(void **state)
{
	(void)state;
	static const int64_t pe[] = { 100, 100, 30 };
	struct fx *f = fx_new(3, pe, NULL, NULL);
	create_fails(f, "s", 4, 4, VM_ALLOC_NORMAL, NULL);         /* 3 PVs for 4 stripes */
	struct vmf_lv *s = create(f, "s", 30, 3, VM_ALLOC_NORMAL, NULL);
	expect_layout(s, "pv0@0 pv1@0 pv2@0 x30");
	/* extents that do not divide into the stripes */
	char *before = export(f);
	assert_int_equal(alloc_extend(f->vg, s, 31, 3, 128, VM_ALLOC_NORMAL, NULL), -EINVAL);
	char *after = export(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* 2 stripes of 40: pv2 has 20 left, pv0 and pv1 90 */
	struct vmf_lv *t = create(f, "t", 80, 2, VM_ALLOC_NORMAL, NULL);
	expect_layout(t, "pv0@10 pv1@10 x80");
	struct vmf_lv *u = create(f, "u", 80, 2, VM_ALLOC_NORMAL, NULL);
	expect_layout(u, "pv0@50 pv1@50 x80");
	/*
	 * Left: pv0 10, pv1 10, pv2 20. Two stripes of 15: 10 on pv2 + pv0 (the
	 * two largest), then 5 on pv1 + pv2 (equal sizes: lower PV first).
	 */
	struct vmf_lv *v = create(f, "v", 30, 2, VM_ALLOC_NORMAL, NULL);
	expect_layout(v, "pv2@10 pv0@90 x20 | pv1@90 pv2@20 x10");
	/* left: pv1 5, pv2 5: 5 of the 6 per stripe fit, the rest is rolled back */
	create_fails(f, "w", 12, 2, VM_ALLOC_NORMAL, NULL);
	/* the same on one PV fails too (anywhere) */
	create_fails(f, "w", 12, 2, VM_ALLOC_ANYWHERE, NULL);
	fx_free(f);
}

/* The first runs fit, the last does not: everything is rolled back. */
static void test_striped_partial_failure(void **state)
{
	(void)state;
	static const int64_t pe[] = { 100, 30 };
	struct fx *f = fx_new(2, pe, NULL, NULL);
	create_fails(f, "s", 80, 2, VM_ALLOC_NORMAL, NULL);        /* 30 + 30 would fit, not 40 + 40 */
	struct vmf_lv *s = create(f, "s", 40, 2, VM_ALLOC_NORMAL, NULL);
	expect_layout(s, "pv0@0 pv1@0 x40");
	/* the continuation fits for 10 per stripe, not for 11 */
	extend_fails(f, s, 22, 2, VM_ALLOC_NORMAL, NULL);
	expect_layout(s, "pv0@0 pv1@0 x40");
	assert_int_equal(extend(f, s, 20, 2, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(s, "pv0@0 pv1@0 x60");
	fx_free(f);
}

static void test_allowed_mask(void **state)
{
	(void)state;
	static const int64_t pe[] = { 100, 20, 100, -100 };
	struct fx *f = fx_new(4, pe, NULL, NULL);
	f->vg->pvs[2].dev = NULL;                                  /* pv2 missing */
	bool only1[4] = { false, true, false, false };
	bool none[4] = { false, false, false, false };
	bool only3[4] = { false, false, false, true };
	bool only2[4] = { false, false, true, false };
	bool not0[4] = { false, true, true, true };
	struct vmf_lv *a = create(f, "a", 5, 1, VM_ALLOC_NORMAL, only1);
	expect_layout(a, "pv1@0 x5");
	extend_fails(f, a, 16, 1, VM_ALLOC_NORMAL, only1);
	extend_fails(f, a, 1, 1, VM_ALLOC_NORMAL, none);
	extend_fails(f, a, 1, 1, VM_ALLOC_ANYWHERE, only3);        /* not ALLOCATABLE */
	extend_fails(f, a, 1, 1, VM_ALLOC_NORMAL, only2);          /* missing */
	create_fails(f, "b", 16, 1, VM_ALLOC_NORMAL, not0);        /* pv1 has 15 left */
	create_fails(f, "b", 1, 1, VM_ALLOC_CONTIGUOUS, only3);
	/* without a mask: pv0 (pv2 missing, pv3 not allocatable), after a's continuation */
	assert_int_equal(extend(f, a, 115, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(a, "pv1@0 x20 | pv0@0 x100");
	extend_fails(f, a, 1, 1, VM_ALLOC_ANYWHERE, NULL);
	fx_free(f);
}

/* ---- reduce ------------------------------------------------------------------------------ */

static void test_reduce(void **state)
{
	(void)state;
	static const int64_t pe[] = { 100, 100 };
	struct fx *f = fx_new(2, pe, NULL, NULL);
	struct vmf_lv *a = mk_lv(f, "a");
	add_lin(f, a, 0, 0, 10);
	add_lin(f, a, 1, 0, 5);
	add_lin(f, a, 0, 50, 8);
	check(f);
	assert_int_equal(vmf_lv_extents(a), 23);
	assert_int_equal(pv_free(f, 0), 82);
	alloc_reduce(f->vg, a, 20);                                /* trims the last */
	check(f);
	expect_layout(a, "pv0@0 x10 | pv1@0 x5 | pv0@50 x5");
	assert_int_equal(pv_free(f, 0), 85);
	alloc_reduce(f->vg, a, 15);                                /* drops it exactly */
	check(f);
	expect_layout(a, "pv0@0 x10 | pv1@0 x5");
	assert_int_equal(pv_free(f, 0), 90);
	alloc_reduce(f->vg, a, 12);
	check(f);
	expect_layout(a, "pv0@0 x10 | pv1@0 x2");
	alloc_reduce(f->vg, a, 3);                                 /* drops one, trims the next */
	check(f);
	expect_layout(a, "pv0@0 x3");
	assert_int_equal(pv_free(f, 0), 97);
	assert_int_equal(pv_free(f, 1), 100);
	alloc_reduce(f->vg, a, 3);                                 /* no change */
	check(f);
	expect_layout(a, "pv0@0 x3");
	/* the freed extents are reused, and the last segment continues */
	assert_int_equal(extend(f, a, 7, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(a, "pv0@0 x10");
	/* striped: by whole stripe sets */
	struct vmf_lv *s = create(f, "s", 40, 2, VM_ALLOC_NORMAL, NULL);
	expect_layout(s, "pv1@0 pv0@10 x40");
	alloc_reduce(f->vg, s, 30);
	check(f);
	expect_layout(s, "pv1@0 pv0@10 x30");
	assert_int_equal(pv_free(f, 0), 75);
	assert_int_equal(pv_free(f, 1), 85);
	fx_free(f);
}

/*
 * vm_lv_resize() to fewer extents where the cut would split a striped
 * segment: it returns an error, and an error must leave the LV as it was
 * (the model is committed later; a striped segment of 3 extents over 2
 * stripes cannot be read back).
 */
static void test_resize_refused_reduce_changes_nothing(void **state)
{
	(void)state;
	static const int64_t pe[] = { 100, 100 };
	struct fx *f = fx_new(2, pe, NULL, NULL);
	struct vmf_lv *a = create(f, "a", 4, 2, VM_ALLOC_NORMAL, NULL);
	assert_int_equal(extend(f, a, 2, 1, VM_ALLOC_NORMAL, NULL), 0);
	expect_layout(a, "pv0@0 pv1@0 x4 | pv0@2 x2");
	vm_lv *h = vg_lv_handle(f->vg, a);
	assert_non_null(h);
	char *before = export(f);
	int r = vm_lv_resize(h, 3, VM_ALLOC_INHERIT, NULL, 0);
	char *after = export(f);
	if (!r)
		check(f);
	bool changed = r && strcmp(before, after);
	char msg[VM_ERRLEN + 1200];
	snprintf(msg, sizeof(msg), "vm_lv_resize(3 extents) failed (%d: %s) but changed the LV to \"%s\"", r,
		 vm_ctx_error(f->vg->ctx), layout(a));
	free(before);
	free(after);
	fx_free(f);
	if (changed)
		fail_msg("%s", msg);
}

/* ---- scale ---------------------------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_10000_lvs_1000_allocations(void **state)
{
	(void)state;
	const unsigned nlv = 10000, npv = 4;
	char *lvs = NULL, id[39];
	size_t len = 0;
	for (unsigned l = 0; l < nlv; l++) {
		gen_id(id, 'L', l);
		sb_cat(&lvs, &len, "lvol%u {\nid = \"%s\"\nstatus = [\"READ\", \"WRITE\", \"VISIBLE\"]\nflags = []\n"
		       "segment_count = 1\nsegment1 {\nstart_extent = 0\nextent_count = 1\ntype = \"striped\"\n"
		       "stripe_count = 1\nstripes = [\"pv%u\", %u]\n}\n}\n", l, id, l % npv, 2 * (l / npv));
	}
	static const int64_t pe[] = { 6000, 6000, 6000, 6000 };
	struct fx *f = fx_new(npv, pe, NULL, lvs);
	free(lvs);
	assert_int_equal(f->vg->md->nlv, nlv);
	/* every PV has 2500 one-extent holes and a large tail [5000,6000) */
	double t0 = now();
	for (unsigned i = 0; i < 1000; i++) {
		char name[16];
		snprintf(name, sizeof(name), "new%u", i);
		struct vmf_lv *lv = vmf_vg_add_lv(f->vg->md, name);
		assert_non_null(lv);
		gen_id(id, 'N', i);
		assert_int_equal(vmf_id_parse(id, lv->id), 0);
		int r = alloc_extend(f->vg, lv, 1, 1, 0, VM_ALLOC_NORMAL, NULL);
		if (r)
			fail_msg("allocation %u: %d %s", i, r, vm_ctx_error(f->vg->ctx));
		assert_int_equal(lv->nseg, 1);
	}
	double t1 = now();
	check(f);
	uint64_t freec = 0;
	for (unsigned p = 0; p < npv; p++)
		freec += pv_free(f, p);
	assert_int_equal(freec, npv * 6000 - nlv - 1000);
	print_message("[ INFO     ] 10,000-LV VG: 1,000 single-extent allocations in %.1f ms (%.3f ms each)\n",
		      (t1 - t0) * 1e3, (t1 - t0));
	fx_free(f);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(sysdir, sizeof(sysdir), "/tmp/volmgr-test-alloc.XXXXXX");
	if (!mkdtemp(sysdir))
		return -1;
	setenv("VOLMGR_SYSTEM_DIR", sysdir, 1);
	unsetenv("VOLMGR_DEVICES");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rmdir(sysdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_largest_first),
		cmocka_unit_test(test_normal_continues_last_segment),
		cmocka_unit_test(test_extend_after_neighbour_new_segment),
		cmocka_unit_test(test_normal_enospc_rolls_back),
		cmocka_unit_test(test_contiguous),
		cmocka_unit_test(test_contiguous_striped),
		cmocka_unit_test(test_cling),
		cmocka_unit_test(test_anywhere_stripes_share_pv),
		cmocka_unit_test(test_striped_distinct_pvs),
		cmocka_unit_test(test_striped_partial_failure),
		cmocka_unit_test(test_allowed_mask),
		cmocka_unit_test(test_reduce),
		cmocka_unit_test(test_resize_refused_reduce_changes_nothing),
		cmocka_unit_test(test_10000_lvs_1000_allocations),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
