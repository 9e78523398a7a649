/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vgmeta.h"

/* ---------------------------------------------------------------- arena */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct vmf_arena {
	struct arena_chunk *head;
};

static void *arena_alloc(struct vmf_arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	struct arena_chunk *c = a->head;
	if (!c || c->size - c->used < size) {
		size_t csize = size > 65536 ? size : 65536;
		if (c && c->size * 2 > csize && c->size < (16u << 20))
			csize = c->size * 2 > size ? c->size * 2 : size;
		c = malloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->size = csize;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	return memset(p, 0, size);
}

struct vmf_vg *vmf_vg_new(void)
{
	struct vmf_vg *vg = calloc(1, sizeof(*vg));
	if (!vg)
		return NULL;
	vg->arena = calloc(1, sizeof(*vg->arena));
	if (!vg->arena) {
		free(vg);
		return NULL;
	}
	return vg;
}

void vmf_vg_free(struct vmf_vg *vg)
{
	if (!vg)
		return;
	for (struct arena_chunk *c = vg->arena->head, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(vg->arena);
	free(vg->lvs);
	vmt_free(vg->tree);
	for (uint32_t i = 0; i < vg->nxtrees; i++)
		vmt_free(vg->xtrees[i]);
	free(vg->xtrees);
	free(vg);
}

int vmf_vg_keep_tree(struct vmf_vg *vg, struct vmt_tree *t)
{
	struct vmt_tree **xt = realloc(vg->xtrees, (vg->nxtrees + 1) * sizeof(*xt));
	if (!xt) {
		vmt_free(t);
		return -ENOMEM;
	}
	vg->xtrees = xt;
	vg->xtrees[vg->nxtrees++] = t;
	return 0;
}

void *vmf_alloc(struct vmf_vg *vg, size_t size)
{
	return arena_alloc(vg->arena, size);
}

const char *vmf_strdup(struct vmf_vg *vg, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena_alloc(vg->arena, n);
	return p ? memcpy(p, s, n) : NULL;
}

/* Grow an arena array of @n elements of @elsize to hold one more. */
static void *grow(struct vmf_vg *vg, void *v, uint32_t n, uint32_t *cap, size_t elsize)
{
	if (n < *cap)
		return v;
	/* most LVs have one segment; status lists have three entries */
	uint32_t ncap = *cap ? *cap * 2 : elsize > sizeof(void *) ? 1 : 4;
	void *nv = arena_alloc(vg->arena, ncap * elsize);
	if (!nv)
		return NULL;
	if (n)
		memcpy(nv, v, n * elsize);
	*cap = ncap;
	return nv;
}

int vmf_strlist_add(struct vmf_vg *vg, struct vmf_strlist *l, const char *s)
{
	if (vmf_strlist_has(l, s))
		return 0;
	const char **v = grow(vg, l->v, l->n, &l->cap, sizeof(*v));
	if (!v || !(s = vmf_strdup(vg, s)))
		return -ENOMEM;
	l->v = v;
	l->v[l->n++] = s;
	return 0;
}

bool vmf_strlist_has(const struct vmf_strlist *l, const char *s)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

bool vmf_strlist_del(struct vmf_strlist *l, const char *s)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s)) {
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
			l->n--;
			return true;
		}
	return false;
}

/* ---------------------------------------------------------------- names */

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, VMF_ERRLEN, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int vmf_name_check(const char *name, char *err)
{
	size_t n = strlen(name);
	if (!n)
		return fail(err, "name is empty");
	if (n > VMF_NAME_MAX)
		return fail(err, "name \"%.32s...\" is longer than %u characters", name, VMF_NAME_MAX);
	if (name[0] == '-')
		return fail(err, "name \"%s\" starts with '-'", name);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return fail(err, "name \"%s\" is reserved", name);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '+' || c == '-'))
			return fail(err, "name \"%s\" has an invalid character at position %zu "
				    "(allowed: A-Z a-z 0-9 . _ + -)", name, i + 1);
	}
	return 0;
}

static const char *const reserved_lv_sub[] = {
	"_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_wcorig", "_mimage", "_mlog",
	"_rimage", "_rmeta", "_tdata", "_tmeta", "_vdata", "_imeta", "_iorig", "_pmspare",
	"_vorigin",
};

int vmf_lv_name_check(const char *name, char *err)
{
	int r = vmf_name_check(name, err);
	if (r)
		return r;
	if (!strncmp(name, "snapshot", 8) || !strncmp(name, "pvmove", 6))
		return fail(err, "name \"%s\" uses a reserved prefix (snapshot, pvmove)", name);
	for (size_t i = 0; i < sizeof(reserved_lv_sub) / sizeof(*reserved_lv_sub); i++)
		if (strstr(name, reserved_lv_sub[i]))
			return fail(err, "name \"%s\" contains the reserved string \"%s\"", name,
				    reserved_lv_sub[i]);
	return 0;
}

int vmf_tag_check(const char *tag, char *err)
{
	size_t n = strlen(tag);
	if (!n || n > VMF_TAG_MAX)
		return fail(err, "tag must have 1 to %u characters", VMF_TAG_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = tag[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_+.-/=!:&#", c)))
			return fail(err, "tag \"%s\" has an invalid character at position %zu", tag, i + 1);
	}
	return 0;
}

/* ---------------------------------------------------------------- lookups */

void vmf_vg_forget_text(struct vmf_vg *vg)
{
	for (uint32_t i = 0; vg && i < vg->nlv; i++)
		vg->lvs[i]->text = NULL;
}

struct vmf_lv *vmf_vg_find_lv(const struct vmf_vg *vg, const char *name)
{
	for (uint32_t i = 0; i < vg->nlv; i++)
		if (!strcmp(vg->lvs[i]->name, name))
			return vg->lvs[i];
	return NULL;
}

int vmf_vg_find_pv_id(const struct vmf_vg *vg, const char id[VMF_ID_LEN])
{
	for (uint32_t i = 0; i < vg->npv; i++)
		if (!memcmp(vg->pvs[i].id, id, VMF_ID_LEN))
			return (int)i;
	return -1;
}

static struct vmf_lv *add_lv(struct vmf_vg *vg, const char *name, bool copy)
{
	if (vg->nlv == vg->lvcap) {
		uint32_t ncap = vg->lvcap ? vg->lvcap * 2 : 16;
		struct vmf_lv **v = realloc(vg->lvs, ncap * sizeof(*v));
		if (!v)
			return NULL;
		vg->lvs = v;
		vg->lvcap = ncap;
	}
	struct vmf_lv *lv = vmf_alloc(vg, sizeof(*lv));
	if (!lv || !(lv->name = copy ? vmf_strdup(vg, name) : name))
		return NULL;
	vg->lvs[vg->nlv++] = lv;
	return lv;
}

struct vmf_lv *vmf_vg_add_lv(struct vmf_vg *vg, const char *name)
{
	return add_lv(vg, name, true);
}

void vmf_vg_del_lv(struct vmf_vg *vg, struct vmf_lv *lv)
{
	for (uint32_t i = 0; i < vg->nlv; i++)
		if (vg->lvs[i] == lv) {
			memmove(&vg->lvs[i], &vg->lvs[i + 1], (vg->nlv - i - 1) * sizeof(*vg->lvs));
			vg->nlv--;
			return;
		}
}

struct vmf_seg *vmf_lv_add_seg(struct vmf_vg *vg, struct vmf_lv *lv, uint32_t stripes)
{
	struct vmf_seg *s = grow(vg, lv->segs, lv->nseg, &lv->segcap, sizeof(*s));
	if (!s)
		return NULL;
	lv->segs = s;
	s = &lv->segs[lv->nseg];
	memset(s, 0, sizeof(*s));
	s->stripe_count = stripes;
	if (stripes && !(s->stripes = vmf_alloc(vg, stripes * sizeof(*s->stripes))))
		return NULL;
	s->start_extent = vmf_lv_extents(lv);
	lv->nseg++;
	return s;
}

uint64_t vmf_lv_extents(const struct vmf_lv *lv)
{
	if (!lv->nseg)
		return 0;
	const struct vmf_seg *s = &lv->segs[lv->nseg - 1];
	return s->start_extent + s->extent_count;
}

/* ---------------------------------------------------------------- import */

/* "<what> <name>[ <sub>]" for error messages; cheap, as it runs for every LV. */
static void set_where(char *w, size_t len, const char *what, const char *name, const char *sub)
{
	size_t a = strlen(what), b = strnlen(name, 64), c = sub ? strnlen(sub, 32) : 0;
	if (a + b + c + 3 > len)
		return;
	memcpy(w, what, a);
	w[a] = ' ';
	memcpy(w + a + 1, name, b);
	w[a + 1 + b] = 0;
	if (sub) {
		w[a + 1 + b] = ' ';
		memcpy(w + a + 2 + b, sub, c);
		w[a + 2 + b + c] = 0;
	}
}

struct imp {
	struct vmf_vg *vg;
	char *err;
};

static int add_extra(struct vmf_vg *vg, struct vmf_extras *x, const struct vmt_node *n)
{
	/* capacity 4, then doubling (full at 4, 8, 16 ...): hostile texts hold many */
	if (!x->n || (x->n >= 4 && !(x->n & (x->n - 1)))) {
		uint32_t cap = x->n ? x->n * 2 : 4;
		const struct vmt_node **v = vmf_alloc(vg, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		if (x->n)
			memcpy(v, x->v, x->n * sizeof(*v));
		x->v = v;
	}
	x->v[x->n++] = n;
	return 0;
}

static int get_u64(const struct vmt_node *n, const char *where, uint64_t *out, char *err)
{
	if (n->type != VMT_INT || n->num < 0)
		return fail(err, "%s: \"%s\" is not a non-negative integer", where, n->key);
	*out = (uint64_t)n->num;
	return 0;
}

static int get_str(const struct vmt_node *n, const char *where, const char **out, char *err)
{
	if (n->type != VMT_STR)
		return fail(err, "%s: \"%s\" is not a string", where, n->key);
	*out = n->str;
	return 0;
}

static int get_strlist(struct vmf_vg *vg, const struct vmt_node *n, const char *where,
		       struct vmf_strlist *l, bool tags, char *err)
{
	if (n->type != VMT_ARRAY)
		return fail(err, "%s: \"%s\" is not an array", where, n->key);
	for (const struct vmt_node *e = n->child; e; e = e->next) {
		if (e->type != VMT_STR)
			return fail(err, "%s: \"%s\" holds a value that is not a string", where, n->key);
		if (tags && vmf_tag_check(e->str, NULL))
			return fail(err, "%s: invalid tag \"%.64s\"", where, e->str);
		/* the tree lives as long as the VG: keep its strings, don't copy */
		const char **v = grow(vg, l->v, l->n, &l->cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		if (!vmf_strlist_has(l, e->str))
			l->v[l->n++] = e->str;
	}
	return 0;
}

static int get_id(const struct vmt_node *n, const char *where, char id[VMF_ID_LEN], char *err)
{
	if (n->type != VMT_STR || vmf_id_parse(n->str, id))
		return fail(err, "%s: invalid id", where);
	return 0;
}

static int import_pv(struct imp *im, const struct vmt_node *sec, struct vmf_pv *pv)
{
	struct vmf_vg *vg = im->vg;
	char where[160];
	int r = 0;
	bool have_id = false, have_size = false, have_start = false, have_count = false;

	set_where(where, sizeof(where), "physical volume", sec->key, NULL);
	pv->name = sec->key;
	for (const struct vmt_node *n = sec->child; n && !r; n = n->next) {
		switch (n->kid) {
		case VMT_K_ID: r = get_id(n, where, pv->id, im->err), have_id = true; break;
		case VMT_K_DEVICE: r = get_str(n, where, &pv->device, im->err); break;
		case VMT_K_STATUS: r = get_strlist(vg, n, where, &pv->status, false, im->err); break;
		case VMT_K_FLAGS: r = get_strlist(vg, n, where, &pv->flags, false, im->err); break;
		case VMT_K_TAGS: r = get_strlist(vg, n, where, &pv->tags, true, im->err); break;
		case VMT_K_DEV_SIZE: r = get_u64(n, where, &pv->dev_size, im->err), have_size = true; break;
		case VMT_K_PE_START: r = get_u64(n, where, &pv->pe_start, im->err), have_start = true; break;
		case VMT_K_PE_COUNT: r = get_u64(n, where, &pv->pe_count, im->err), have_count = true; break;
		default: r = add_extra(vg, &pv->extra, n);
		}
	}
	if (r)
		return r;
	if (!have_id || !have_start || !have_count)
		return fail(im->err, "%s: id, pe_start or pe_count missing", where);
	/* pe_count * extent_size must fit behind pe_start, without overflow. */
	if (vg->extent_size && pv->pe_count > (UINT64_MAX - pv->pe_start) / vg->extent_size)
		return fail(im->err, "%s: pe_count %" PRIu64 " overflows", where, pv->pe_count);
	if (have_size && pv->pe_start + pv->pe_count * vg->extent_size > pv->dev_size)
		return fail(im->err, "%s: %" PRIu64 " extents from sector %" PRIu64
			    " do not fit in dev_size %" PRIu64, where, pv->pe_count, pv->pe_start,
			    pv->dev_size);
	return 0;
}

static int import_seg(struct imp *im, const struct vmf_lv *lv, const struct vmt_node *sec,
		      struct vmf_seg *seg)
{
	struct vmf_vg *vg = im->vg;
	char where[200];
	const char *type = NULL;
	const struct vmt_node *stripes = NULL;
	bool have_start = false, have_count = false, have_sc = false;
	uint64_t sc = 0, ss = 0;
	int r = 0;

	set_where(where, sizeof(where), "logical volume", lv->name, sec->key);
	for (const struct vmt_node *n = sec->child; n && !r; n = n->next) {
		switch (n->kid) {
		case VMT_K_START_EXTENT: r = get_u64(n, where, &seg->start_extent, im->err), have_start = true; break;
		case VMT_K_EXTENT_COUNT: r = get_u64(n, where, &seg->extent_count, im->err), have_count = true; break;
		case VMT_K_TYPE: r = get_str(n, where, &type, im->err); break;
		case VMT_K_STRIPE_COUNT: r = get_u64(n, where, &sc, im->err), have_sc = true; break;
		case VMT_K_STRIPE_SIZE: r = get_u64(n, where, &ss, im->err); break;
		case VMT_K_STRIPES: stripes = n; break;
		default: r = add_extra(vg, &seg->extra, n);
		}
	}
	if (r)
		return r;
	if (!have_start || !have_count || !type)
		return fail(im->err, "%s: start_extent, extent_count or type missing", where);
	if (!seg->extent_count)
		return fail(im->err, "%s: extent_count is 0", where);
	if (seg->extent_count > UINT64_MAX / 2 - seg->start_extent)
		return fail(im->err, "%s: extent_count overflows", where);
	if (strcmp(type, "striped")) {
		seg->raw = sec;
		seg->stripe_count = 0;
		seg->extra.n = 0;
		return 0;
	}
	if (!have_sc || sc < 1 || sc > 128)
		return fail(im->err, "%s: stripe_count must be 1 to 128", where);
	if (sc > 1 && (ss < 8 || (ss & (ss - 1)) || ss > (1u << 21)))
		return fail(im->err, "%s: stripe_size %" PRIu64 " is not a power of two >= 8", where, ss);
	if (seg->extent_count % sc)
		return fail(im->err, "%s: extent_count is not a multiple of stripe_count", where);
	if (!stripes || stripes->type != VMT_ARRAY)
		return fail(im->err, "%s: stripes missing", where);
	seg->stripe_count = (uint32_t)sc;
	seg->stripe_size = sc > 1 ? (uint32_t)ss : 0;
	if (!(seg->stripes = vmf_alloc(vg, sc * sizeof(*seg->stripes))))
		return -ENOMEM;
	uint64_t per = seg->extent_count / sc;
	const struct vmt_node *e = stripes->child;
	for (uint32_t i = 0; i < sc; i++) {
		if (!e || e->type != VMT_STR || !e->next || e->next->type != VMT_INT || e->next->num < 0)
			return fail(im->err, "%s: stripes must list %" PRIu64 " pairs of \"pvN\", extent",
				    where, sc);
		uint32_t p;
		for (p = 0; p < vg->npv; p++)
			if (!strcmp(vg->pvs[p].name, e->str))
				break;
		if (p == vg->npv)
			return fail(im->err, "%s: unknown physical volume \"%.64s\"", where, e->str);
		uint64_t pe = (uint64_t)e->next->num;
		if (pe > vg->pvs[p].pe_count || per > vg->pvs[p].pe_count - pe)
			return fail(im->err, "%s: extents %" PRIu64 "..%" PRIu64 " lie beyond the end of %s",
				    where, pe, pe + per - 1, vg->pvs[p].name);
		seg->stripes[i].pv = p;
		seg->stripes[i].pe = pe;
		e = e->next->next;
	}
	if (e)
		return fail(im->err, "%s: stripes has more entries than stripe_count", where);
	return 0;
}

static int import_lv(struct imp *im, const struct vmt_node *sec, struct vmf_lv *lv)
{
	struct vmf_vg *vg = im->vg;
	char where[160];
	uint64_t segcount = 0;
	bool have_id = false, have_sc = false;
	int r = 0;

	set_where(where, sizeof(where), "logical volume", sec->key, NULL);
	if (vmf_name_check(sec->key, NULL))
		return fail(im->err, "%s: invalid name", where);
	for (const struct vmt_node *n = sec->child; n && !r; n = n->next) {
		const char *k = n->key;
		if (n->kid == VMT_K_ID)
			r = get_id(n, where, lv->id, im->err), have_id = true;
		else if (n->kid == VMT_K_STATUS)
			r = get_strlist(vg, n, where, &lv->status, false, im->err);
		else if (n->kid == VMT_K_FLAGS)
			r = get_strlist(vg, n, where, &lv->flags, false, im->err);
		else if (n->kid == VMT_K_TAGS)
			r = get_strlist(vg, n, where, &lv->tags, true, im->err);
		else if (!strcmp(k, "allocation_policy"))
			r = get_str(n, where, &lv->alloc, im->err);
		else if (n->kid == VMT_K_CREATION_TIME && n->type == VMT_INT)
			lv->creation_time = n->num;
		else if (n->kid == VMT_K_CREATION_HOST && n->type == VMT_STR)
			lv->creation_host = n->str;
		else if (n->kid == VMT_K_SEGMENT_COUNT)
			r = get_u64(n, where, &segcount, im->err), have_sc = true;
		else if (n->type == VMT_SECTION && !strncmp(k, "segment", 7)) {
			struct vmf_seg *s = vmf_lv_add_seg(vg, lv, 0);
			if (!s)
				return -ENOMEM;
			uint64_t expect = s->start_extent;
			r = import_seg(im, lv, n, s);
			if (!r && s->start_extent != expect)
				r = fail(im->err, "%s: %s starts at extent %" PRIu64 ", expected %" PRIu64,
					 where, k, s->start_extent, expect);
			if (s->raw)
				lv->unknown = true;
		} else
			r = add_extra(vg, &lv->extra, n);
	}
	if (r)
		return r;
	if (!have_id || !have_sc)
		return fail(im->err, "%s: id or segment_count missing", where);
	if (segcount != lv->nseg || !lv->nseg)
		return fail(im->err, "%s: segment_count %" PRIu64 " but %u segments", where, segcount,
			    lv->nseg);
	return 0;
}

/* Open-addressing set of strings, to find duplicates in linear time. */
/* Open addressing over indices into @keys (0 = empty slot), in @tab of @cap slots. */
static int dup_check(const char **keys, uint32_t n, size_t keylen, const char **dup, uint32_t *tab,
		     uint32_t cap)
{
	memset(tab, 0, cap * sizeof(*tab));
	for (uint32_t i = 0; i < n; i++) {
		/* eight bytes a step: 20,000 names and ids per read of a large VG */
		size_t len = keylen ? keylen : strlen(keys[i]);
		const char *k = keys[i];
		uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;
		for (; len >= 8; k += 8, len -= 8) {
			memcpy(&w, k, 8);
			h = (h ^ w) * 0xff51afd7ed558ccdull;
			h ^= h >> 32;
		}
		w = 0;
		memcpy(&w, k, len);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
		h ^= h >> 29;
		for (uint32_t s = (uint32_t)h & (cap - 1);; s = (s + 1) & (cap - 1)) {
			if (!tab[s]) {
				tab[s] = i + 1;
				break;
			}
			const char *o = keys[tab[s] - 1];
			if (keylen ? !memcmp(o, keys[i], keylen) : !strcmp(o, keys[i])) {
				*dup = keys[i];
				return 1;
			}
		}
	}
	return 0;
}

static int check_unique(const struct vmf_vg *vg, char *err)
{
	uint32_t n = vg->nlv > vg->npv ? vg->nlv : vg->npv, cap = 16;
	while (cap < n * 2)
		cap *= 2;
	const char **keys = malloc((n ? n : 1) * sizeof(*keys));
	uint32_t *tab = malloc(cap * sizeof(*tab));     /* one table for all four checks */
	const char *dup = NULL;
	int r = keys && tab ? 0 : -ENOMEM;
	for (uint32_t i = 0; !r && i < vg->nlv; i++)
		keys[i] = vg->lvs[i]->name;
	if (!r && (r = dup_check(keys, vg->nlv, 0, &dup, tab, cap)) == 1)
		r = fail(err, "logical volume name \"%s\" appears twice", dup);
	for (uint32_t i = 0; !r && i < vg->nlv; i++)
		keys[i] = vg->lvs[i]->id;
	if (!r && (r = dup_check(keys, vg->nlv, VMF_ID_LEN, &dup, tab, cap)) == 1)
		r = fail(err, "two logical volumes share the id %.32s", dup);
	for (uint32_t i = 0; !r && i < vg->npv; i++)
		keys[i] = vg->pvs[i].id;
	if (!r && (r = dup_check(keys, vg->npv, VMF_ID_LEN, &dup, tab, cap)) == 1)
		r = fail(err, "two physical volumes share the id %.32s", dup);
	for (uint32_t i = 0; !r && i < vg->npv; i++)
		keys[i] = vg->pvs[i].name;
	if (!r && (r = dup_check(keys, vg->npv, 0, &dup, tab, cap)) == 1)
		r = fail(err, "two physical volumes are named %.64s", dup);
	free(tab);
	free(keys);
	return r;
}

/* The model's own rules, as import applies them to a text. */
static int check_model(const struct vmf_vg *vg, char *err, bool skip_unchanged)
{
	for (uint32_t l = 0; l < vg->nlv; l++) {
		const struct vmf_lv *lv = vg->lvs[l];
		uint64_t at = 0;
		if (skip_unchanged && lv->text)
			continue;               /* unchanged since the read that checked it */
		if (vmf_name_check(lv->name, NULL) || !lv->nseg)
			return fail(err, "logical volume %.64s: invalid name or no segments", lv->name);
		for (uint32_t s = 0; s < lv->nseg; s++) {
			const struct vmf_seg *g = &lv->segs[s];
			if (g->start_extent != at || !g->extent_count)
				return fail(err, "logical volume %s: segment %u misplaced or empty", lv->name, s + 1);
			at += g->extent_count;
			if (g->raw)
				continue;
			if (g->stripe_count < 1 || g->stripe_count > 128 || g->extent_count % g->stripe_count ||
			    (g->stripe_count > 1 && (g->stripe_size < 8 || (g->stripe_size & (g->stripe_size - 1)))))
				return fail(err, "logical volume %s: segment %u has a bad stripe layout", lv->name, s + 1);
			uint64_t per = g->extent_count / g->stripe_count;
			for (uint32_t k = 0; k < g->stripe_count; k++) {
				const struct vmf_stripe *st = &g->stripes[k];
				if (st->pv >= vg->npv)
					return fail(err, "logical volume %s segment%u: no such physical volume",
						    lv->name, s + 1);
				if (st->pe > vg->pvs[st->pv].pe_count || per > vg->pvs[st->pv].pe_count - st->pe)
					return fail(err, "logical volume %.64s segment%u: extents %" PRIu64 "..%" PRIu64
						    " lie beyond the end of %s", lv->name, s + 1, st->pe,
						    st->pe + per - 1, vg->pvs[st->pv].name);
			}
		}
	}
	return 0;
}

static int validate(const struct vmf_vg *vg, char *err, bool skip_unchanged)
{
	int r = check_unique(vg, err);
	if (!r)
		r = check_model(vg, err, skip_unchanged);
	if (r)
		return r;
	struct vmf_pvmap *maps;
	r = vmf_vg_pvmaps(vg, &maps, err);
	if (!r)
		vmf_pvmaps_free(maps, vg->npv);
	return r;
}

int vmf_vg_validate(const struct vmf_vg *vg, char *err)
{
	return validate(vg, err, false);
}

int vmf_vg_validate_changes(const struct vmf_vg *vg, char *err)
{
	return validate(vg, err, true);
}

static int import_vg(struct vmt_tree *tree, struct vmf_vg **out, char *err, bool validate);

int vmf_vg_import(struct vmt_tree *tree, struct vmf_vg **out, char *err)
{
	return import_vg(tree, out, err, true);
}

static int import_vg(struct vmt_tree *tree, struct vmf_vg **out, char *err, bool validate)
{
	struct vmf_vg *vg = vmf_vg_new();
	if (!vg) {
		vmt_free(tree);
		return -ENOMEM;
	}
	vg->tree = tree;
	struct imp im = { vg, err };
	const struct vmt_node *vgsec = NULL, *pvs = NULL, *lvs = NULL;
	int r = 0;
	bool have_contents = false;

	for (const struct vmt_node *n = vmt_root(tree)->child; n && !r; n = n->next) {
		if (n->type == VMT_SECTION) {
			if (vgsec)
				r = fail(err, "metadata holds more than one volume group");
			vgsec = n;
		} else if (!strcmp(n->key, "contents")) {
			if (n->type != VMT_STR || strcmp(n->str, "Text Format Volume Group"))
				r = fail(err, "contents is not \"Text Format Volume Group\"");
			have_contents = true;
		} else if (!strcmp(n->key, "version")) {
			if (n->type != VMT_INT || n->num != 1)
				r = fail(err, "unsupported metadata version");
		} else if (!strcmp(n->key, "description") && n->type == VMT_STR)
			vg->description = n->str;
		else if (!strcmp(n->key, "creation_host") && n->type == VMT_STR)
			vg->creation_host = n->str;
		else if (!strcmp(n->key, "creation_time") && n->type == VMT_INT)
			vg->creation_time = n->num;
		else
			r = add_extra(vg, &vg->top_extra, n);
	}
	if (!r && (!vgsec || !have_contents))
		r = fail(err, "no volume group in metadata");
	if (r)
		goto out;
	if (vmf_name_check(vgsec->key, NULL)) {
		r = fail(err, "invalid volume group name \"%.64s\"", vgsec->key);
		goto out;
	}
	vg->name = vgsec->key;
	char where[160];
	snprintf(where, sizeof(where), "volume group %s", vg->name);
	bool have_id = false, have_seq = false;
	for (const struct vmt_node *n = vgsec->child; n && !r; n = n->next) {
		const char *k = n->key;
		if (!strcmp(k, "id"))
			r = get_id(n, where, vg->id, err), have_id = true;
		else if (!strcmp(k, "seqno"))
			r = get_u64(n, where, &vg->seqno, err), have_seq = true;
		else if (!strcmp(k, "format"))
			r = get_str(n, where, &vg->format, err);
		else if (!strcmp(k, "status"))
			r = get_strlist(vg, n, where, &vg->status, false, err);
		else if (!strcmp(k, "flags"))
			r = get_strlist(vg, n, where, &vg->flags, false, err);
		else if (!strcmp(k, "tags"))
			r = get_strlist(vg, n, where, &vg->tags, true, err);
		else if (!strcmp(k, "extent_size"))
			r = get_u64(n, where, &vg->extent_size, err);
		else if (!strcmp(k, "max_lv"))
			r = get_u64(n, where, &vg->max_lv, err);
		else if (!strcmp(k, "max_pv"))
			r = get_u64(n, where, &vg->max_pv, err);
		else if (!strcmp(k, "metadata_copies"))
			r = get_u64(n, where, &vg->metadata_copies, err);
		else if (!strcmp(k, "allocation_policy"))
			r = get_str(n, where, &vg->alloc, err);
		else if (!strcmp(k, "physical_volumes") && n->type == VMT_SECTION && !pvs)
			pvs = n;
		else if (!strcmp(k, "logical_volumes") && n->type == VMT_SECTION && !lvs)
			lvs = n;
		else if (!strcmp(k, "physical_volumes") || !strcmp(k, "logical_volumes"))
			r = fail(err, "%s: \"%s\" appears twice", where, k);
		else
			r = add_extra(vg, &vg->extra, n);
	}
	if (r)
		goto out;
	if (!have_id || !have_seq || !pvs) {
		r = fail(err, "%s: id, seqno or physical_volumes missing", where);
		goto out;
	}
	if (vg->extent_size < 8 || vg->extent_size % 8 || vg->extent_size > (1ull << 32)) {
		r = fail(err, "%s: extent_size %" PRIu64 " is invalid", where, vg->extent_size);
		goto out;
	}
	for (const struct vmt_node *n = pvs->child; n; n = n->next)
		if (n->type == VMT_SECTION)
			vg->pvcap++;
	if (!vg->pvcap || vg->pvcap > 1024) {
		r = fail(err, "%s: %u physical volumes", where, vg->pvcap);
		goto out;
	}
	if (!(vg->pvs = vmf_alloc(vg, vg->pvcap * sizeof(*vg->pvs)))) {
		r = -ENOMEM;
		goto out;
	}
	for (const struct vmt_node *n = pvs->child; n && !r; n = n->next) {
		if (n->type != VMT_SECTION) {
			r = fail(err, "%s: unexpected key \"%.64s\" in physical_volumes", where, n->key);
			break;
		}
		r = import_pv(&im, n, &vg->pvs[vg->npv++]);
	}
	for (const struct vmt_node *n = lvs ? lvs->child : NULL; n && !r; n = n->next) {
		if (n->type != VMT_SECTION) {
			r = fail(err, "%s: unexpected key \"%.64s\" in logical_volumes", where, n->key);
			break;
		}
		struct vmf_lv *lv = add_lv(vg, n->key, false);    /* the tree outlives the VG model */
		r = lv ? import_lv(&im, n, lv) : -ENOMEM;
	}
	if (!r && validate)
		r = vmf_vg_validate(vg, err);
out:
	if (r) {
		vmf_vg_free(vg);
		return r;
	}
	*out = vg;
	return 0;
}

/* ---------------------------------------------------------------- fast lane
 *
 * A VG's text is mostly its LV sections, and nearly all of them have the
 * one layout that lvm2 and volmgr write. Building a generic tree for each
 * (a dozen nodes a LV) and then the model from it dominated reading a VG of
 * 10,000 LVs. So the LV sections are read straight into the model when they
 * have that layout; any LV that does not (an unknown key or segment type, a
 * comment, an escape, a number lvm2 would read otherwise, anything out of
 * place) is parsed by the generic parser on its own, exactly as before. The
 * rest of the text, and every rule, is as before: the same checks run on
 * the model afterwards (vmf_vg_validate).
 */

struct lane {
	const char *p, *end;
};

/* character classes: 1 whitespace, 2 name character */
static const uint8_t lane_class[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
	['a' ... 'z'] = 2, ['A' ... 'Z'] = 2, ['0' ... '9'] = 2, ['_'] = 2, ['.'] = 2, ['+'] = 2, ['-'] = 2,
};

static inline bool lane_ws(char c)
{
	return lane_class[(unsigned char)c] == 1;
}

static inline bool lane_key_char(char c)
{
	return lane_class[(unsigned char)c] == 2;
}

static inline void skip(struct lane *l)
{
	const char *p = l->p, *end = l->end;
	while (p < end && lane_class[(unsigned char)*p] == 1)
		p++;
	l->p = p;
}

/* A word made of name characters; returns its length (0: none). */
static inline size_t lane_word(struct lane *l, const char **w)
{
	skip(l);
	const char *p = l->p, *end = l->end;
	*w = p;
	while (p < end && lane_class[(unsigned char)*p] == 2)
		p++;
	l->p = p;
	return (size_t)(p - *w);
}

static inline bool lane_char(struct lane *l, char c)
{
	skip(l);
	if (l->p < l->end && *l->p == c) {
		l->p++;
		return true;
	}
	return false;
}

/* "text" without escapes; points into the text. */
static bool lane_str(struct lane *l, const char **s, size_t *n)
{
	if (!lane_char(l, '"'))
		return false;
	static const bool stop[256] = { [0] = true, ['"'] = true, ['\\'] = true };
	const char *q = l->p, *end = l->end;
	while (q < end && !stop[(unsigned char)*q])
		q++;
	if (q == end || *q != '"')
		return false;           /* escapes and NULs: the generic parser's */
	*s = l->p;
	*n = (size_t)(q - l->p);
	l->p = q + 1;
	return true;
}

/* A decimal as the generic parser reads it: no leading zeros, no sign, fits in int64. */
static bool lane_u64(struct lane *l, uint64_t *v)
{
	skip(l);
	const char *s = l->p;
	uint64_t x = 0;
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
		if (x > (uint64_t)INT64_MAX / 10)
			return false;
		x = x * 10 + (uint64_t)(*l->p - '0');
		if (x > (uint64_t)INT64_MAX)
			return false;
		l->p++;
	}
	size_t n = (size_t)(l->p - s);
	if (!n || (n > 1 && *s == '0') || (l->p < l->end && (lane_key_char(*l->p) || *l->p == '"')))
		return false;
	*v = x;
	return true;
}

static const char *lane_dup(struct vmf_vg *vg, const char *s, size_t n)
{
	static const char *const common[] = { "READ", "WRITE", "VISIBLE", "striped" };
	for (size_t i = 0; i < sizeof(common) / sizeof(*common); i++)
		if (strlen(common[i]) == n && !memcmp(common[i], s, n))
			return common[i];
	char *d = vmf_alloc(vg, n + 1);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* [ "a", "b" ] into a string list; false: not the usual layout (or no memory). */
static bool lane_strlist(struct vmf_vg *vg, struct lane *l, struct vmf_strlist *list, bool tags)
{
	if (!lane_char(l, '['))
		return false;
	if (lane_char(l, ']'))
		return true;
	do {
		const char *s;
		size_t n;
		char tmp[VMF_TAG_MAX + 1];
		if (!lane_str(l, &s, &n) || n > VMF_TAG_MAX)
			return false;
		memcpy(tmp, s, n);
		tmp[n] = 0;
		if ((tags && vmf_tag_check(tmp, NULL)) || vmf_strlist_has(list, tmp))
			return false;           /* the generic path says why, or keeps one */
		const char **v = grow(vg, list->v, list->n, &list->cap, sizeof(*v));
		if (!v || !(v[list->n] = lane_dup(vg, s, n)))
			return false;
		list->v = v;
		list->n++;
	} while (lane_char(l, ','));
	return lane_char(l, ']');
}

/* PV names as the LVs use them, numbered as met; mapped to PVs once those are read. */
struct lane_pvs {
	const char *s[64];
	size_t n[64];
	uint32_t cnt;
};

static int lane_pv(struct lane_pvs *t, const char *s, size_t n)
{
	for (uint32_t i = 0; i < t->cnt; i++)
		if (t->n[i] == n && !memcmp(t->s[i], s, n))
			return (int)i;
	if (t->cnt == 64)
		return -1;
	t->s[t->cnt] = s;
	t->n[t->cnt] = n;
	return (int)t->cnt++;
}

/* One "segmentN { ... }" of type striped, after its opening brace. */
static bool lane_seg(struct vmf_vg *vg, struct lane *l, struct vmf_lv *lv, struct lane_pvs *pvs)
{
	uint64_t start = UINT64_MAX, count = 0, sc = 0, ss = 0;
	struct vmf_stripe st[128];
	uint32_t nst = 0, seen = 0;
	bool type_ok = false;
	for (;;) {
		const char *w;
		size_t n = lane_word(l, &w);
		if (!n)
			break;
		if (!lane_char(l, '='))
			return false;
		uint32_t bit = 0;
#define IS_KEY(k) (!memcmp(w, k, sizeof(k) - 1))
		switch (n) {       /* by length first: one comparison for most keys */
		case 4: bit = IS_KEY("type") ? 4 : 0; break;
		case 7: bit = IS_KEY("stripes") ? 32 : 0; break;
		case 11: bit = IS_KEY("stripe_size") ? 16 : 0; break;
		case 12:
			bit = IS_KEY("start_extent") ? 1 : IS_KEY("extent_count") ? 2 : IS_KEY("stripe_count") ? 8 : 0;
			break;
		}
#undef IS_KEY
		if (!bit)
			return false;
		if (seen & bit)
			return false;
		seen |= bit;
		const char *s;
		size_t sn;
		switch (bit) {
		case 1: if (!lane_u64(l, &start)) return false; break;
		case 2: if (!lane_u64(l, &count)) return false; break;
		case 4:
			if (!lane_str(l, &s, &sn) || sn != 7 || memcmp(s, "striped", 7))
				return false;
			type_ok = true;
			break;
		case 8: if (!lane_u64(l, &sc)) return false; break;
		case 16: if (!lane_u64(l, &ss)) return false; break;
		case 32:
			if (!lane_char(l, '['))
				return false;
			do {
				uint64_t pe;
				int pv;
				if (nst == 128 || !lane_str(l, &s, &sn) || (pv = lane_pv(pvs, s, sn)) < 0 ||
				    !lane_char(l, ',') || !lane_u64(l, &pe))
					return false;
				st[nst++] = (struct vmf_stripe){ (uint32_t)pv, pe };
			} while (lane_char(l, ','));
			if (!lane_char(l, ']'))
				return false;
			break;
		}
	}
	/* the rules of import_seg(); anything off goes the generic way, which says why */
	if (!lane_char(l, '}') || !type_ok || !(seen & 8) || !(seen & 32) || start != vmf_lv_extents(lv) ||
	    !count || count > UINT64_MAX / 2 - start || sc < 1 || sc > 128 || nst != sc || count % sc ||
	    (sc > 1 && (ss < 8 || (ss & (ss - 1)) || ss > (1u << 21))))
		return false;
	/* extents within each PV: checked by vmf_vg_validate() once the PVs are known */
	struct vmf_seg *seg = vmf_lv_add_seg(vg, lv, (uint32_t)sc);
	if (!seg)
		return false;
	seg->start_extent = start;
	seg->extent_count = count;
	seg->stripe_size = sc > 1 ? (uint32_t)ss : 0;
	memcpy(seg->stripes, st, nst * sizeof(*st));
	return true;
}

/*
 * The layout volmgr itself writes for a linear LV of one segment, byte for
 * byte: matched with a handful of memcmp() instead of key by key. Anything
 * else (other whitespace, keys, segments) returns false and lane_lv()
 * reads the section key by key; both build the same LV.
 */
static bool lit(const char **p, const char *end, const char *s, size_t n)
{
	if ((size_t)(end - *p) < n || memcmp(*p, s, n))
		return false;
	*p += n;
	return true;
}
#define LIT(p, end, s) lit(p, end, s, sizeof(s) - 1)

static bool canon_u64(const char **p, const char *end, uint64_t *v, char stop)
{
	struct lane l = { *p, end };
	if (*p == end || !(**p >= '0' && **p <= '9') || !lane_u64(&l, v) || l.p == end || *l.p != stop)
		return false;
	*p = l.p + 1;
	return true;
}

static bool canon_lv(struct vmf_vg *vg, struct lane *l, struct lane_pvs *pvs, bool spans,
		     const char *name, size_t nlen, const char *nbuf)
{
	const char *p = l->p, *end = l->end, *s;
	char idbuf[39];
	uint64_t ctime, extents, pe;
	struct vmf_lv lv = { 0 };
	if (!LIT(&p, end, "\nid = \"") || end - p < 39 || p[38] != '"')
		return false;
	memcpy(idbuf, p, 38);
	idbuf[38] = 0;
	if (vmf_id_parse(idbuf, lv.id))
		return false;
	p += 39;
	if (!LIT(&p, end, "\nstatus = [\"READ\", \"WRITE\", \"VISIBLE\"]\nflags = []\ncreation_time = ") ||
	    !canon_u64(&p, end, &ctime, '\n') || !LIT(&p, end, "creation_host = \""))
		return false;
	for (s = p; s < end && *s != '"' && *s != '\\' && *s; s++)
		;
	if (s == end || *s != '"')
		return false;
	size_t hlen = (size_t)(s - p);
	const char *host = p;
	p = s + 1;
	if (!LIT(&p, end, "\nsegment_count = 1\nsegment1 {\nstart_extent = 0\nextent_count = ") ||
	    !canon_u64(&p, end, &extents, '\n') || !extents ||
	    !LIT(&p, end, "type = \"striped\"\nstripe_count = 1\nstripes = [\n\""))
		return false;
	for (s = p; s < end && lane_key_char(*s); s++)
		;
	int pv = s > p ? lane_pv(pvs, p, (size_t)(s - p)) : -1;
	p = s;
	if (pv < 0 || !LIT(&p, end, "\", ") || !canon_u64(&p, end, &pe, '\n') || !LIT(&p, end, "]\n}\n}"))
		return false;
	/* matched: build it as lane_lv() would */
	const char **st = grow(vg, NULL, 0, &lv.status.cap, sizeof(*st));
	if (!st)
		return false;
	st[0] = "READ";
	st[1] = "WRITE";
	st[2] = "VISIBLE";
	lv.status.v = st;
	lv.status.n = 3;
	lv.creation_time = (int64_t)ctime;
	if (vg->nlv && vg->lvs[vg->nlv - 1]->creation_host &&
	    !strncmp(vg->lvs[vg->nlv - 1]->creation_host, host, hlen) && !vg->lvs[vg->nlv - 1]->creation_host[hlen])
		lv.creation_host = vg->lvs[vg->nlv - 1]->creation_host;
	else if (!(lv.creation_host = lane_dup(vg, host, hlen)))
		return false;
	struct vmf_seg *seg = vmf_lv_add_seg(vg, &lv, 1);
	if (!seg)
		return false;
	seg->start_extent = 0;
	seg->extent_count = extents;
	seg->stripes[0] = (struct vmf_stripe){ (uint32_t)pv, pe };
	struct vmf_lv *nlv = add_lv(vg, nbuf, true);
	if (!nlv)
		return false;
	const char *keep = nlv->name;
	*nlv = lv;
	nlv->name = keep;
	l->p = p;
	if (spans) {
		nlv->text = name;
		nlv->text_len = (uint32_t)(p - name);
	}
	(void)nlen;
	return true;
}
#undef LIT

/* One LV section at l->p (its name). True with the LV added; false: take the generic way. */
static bool lane_lv(struct vmf_vg *vg, struct lane *l, struct lane_pvs *pvs, bool spans)
{
	const char *name;
	size_t nlen = lane_word(l, &name);
	char nbuf[VMF_NAME_MAX + 1];
	if (!nlen || nlen > VMF_NAME_MAX || !lane_char(l, '{'))
		return false;
	memcpy(nbuf, name, nlen);
	nbuf[nlen] = 0;
	if (vmf_name_check(nbuf, NULL))
		return false;
	if (canon_lv(vg, l, pvs, spans, name, nlen, nbuf))
		return true;
	struct vmf_lv lv = { 0 };
	uint64_t segcount = 0;
	uint32_t seen = 0;
	for (;;) {
		const char *w;
		size_t n = lane_word(l, &w);
		if (!n)
			break;
		if (n > 7 && !memcmp(w, "segment", 7) && w[7] != '_') {
			if (!lane_char(l, '{') || !lane_seg(vg, l, &lv, pvs))
				return false;
			continue;
		}
		if (!lane_char(l, '='))
			return false;
		const char *s;
		size_t sn;
		uint32_t bit = 0;
#define IS_KEY(k) (!memcmp(w, k, sizeof(k) - 1))
		switch (n) {       /* by length first: one comparison for most keys */
		case 2: bit = IS_KEY("id") ? 1 : 0; break;
		case 4: bit = IS_KEY("tags") ? 8 : 0; break;
		case 5: bit = IS_KEY("flags") ? 4 : 0; break;
		case 6: bit = IS_KEY("status") ? 2 : 0; break;
		case 13:
			bit = IS_KEY("creation_time") ? 32 : IS_KEY("creation_host") ? 64 :
			      IS_KEY("segment_count") ? 128 : 0;
			break;
		case 17: bit = IS_KEY("allocation_policy") ? 16 : 0; break;
		}
#undef IS_KEY
		if (!bit)
			return false;
		if ((seen & bit) || lv.nseg)    /* keys after segments: not the usual layout */
			return false;
		seen |= bit;
		uint64_t v;
		char idbuf[40];
		switch (bit) {
		case 1:
			if (!lane_str(l, &s, &sn) || sn >= sizeof(idbuf))
				return false;
			memcpy(idbuf, s, sn);
			idbuf[sn] = 0;
			if (vmf_id_parse(idbuf, lv.id))
				return false;
			break;
		case 2: if (!lane_strlist(vg, l, &lv.status, false)) return false; break;
		case 4: if (!lane_strlist(vg, l, &lv.flags, false)) return false; break;
		case 8: if (!lane_strlist(vg, l, &lv.tags, true)) return false; break;
		case 16:
			if (!lane_str(l, &s, &sn) || !(lv.alloc = lane_dup(vg, s, sn)))
				return false;
			break;
		case 32:
			if (!lane_u64(l, &v))
				return false;
			lv.creation_time = (int64_t)v;
			break;
		case 64:
			if (!lane_str(l, &s, &sn))
				return false;
			/* LVs mostly share their host: keep one copy of the previous LV's */
			if (vg->nlv && vg->lvs[vg->nlv - 1]->creation_host &&
			    !strncmp(vg->lvs[vg->nlv - 1]->creation_host, s, sn) &&
			    !vg->lvs[vg->nlv - 1]->creation_host[sn])
				lv.creation_host = vg->lvs[vg->nlv - 1]->creation_host;
			else if (!(lv.creation_host = lane_dup(vg, s, sn)))
				return false;
			break;
		case 128: if (!lane_u64(l, &segcount)) return false; break;
		}
	}
	if (!lane_char(l, '}') || !(seen & 1) || !(seen & 128) || !lv.nseg || segcount != lv.nseg)
		return false;
	struct vmf_lv *nlv = add_lv(vg, nbuf, true);
	if (!nlv)
		return false;
	const char *keep = nlv->name;
	*nlv = lv;
	nlv->name = keep;
	if (spans) {
		nlv->text = name;
		nlv->text_len = (uint32_t)(l->p - name);
	}
	return true;
}

/*
 * Where the body of the VG's logical_volumes section starts (after its
 * brace). Strings and comments are stepped over; only the text before it
 * (the VG's header and PVs) is read. NULL if there is none or the text is
 * not well formed enough to tell: the generic parser then reads it all.
 */
static const char *find_lv_body(const char *t, size_t len)
{
	const char *p = t, *end = t + len;
	int depth = 0;
	for (; p < end && *p; p++) {
		char c = *p;
		if (c == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\' && ++p == end)
					return NULL;
			if (p == end)
				return NULL;
		} else if (c == '#') {
			if (!(p = memchr(p, '\n', (size_t)(end - p))))
				return NULL;
		} else if (c == '{') {
			if (++depth != 2)
				continue;
			const char *k = p;
			while (k > t && lane_ws(k[-1]))
				k--;
			/* the whole key, as the generic parser reads keys: what comes
			 * before it must end a token there (it also takes bytes >= 0x80
			 * and punctuation as key characters) */
			if (k - t >= 15 && !memcmp(k - 15, "logical_volumes", 15) &&
			    (k - 15 == t || strchr(" \t\n\r\v\f{}]\"", k[-16])))
				return p + 1;
		} else if (c == '}' && !depth--)
			return NULL;
	}
	return NULL;
}

/* Past the section whose brace was just read; NULL if unbalanced. */
static const char *skip_section(const char *p, const char *end)
{
	int depth = 1;
	while (p < end && depth) {
		char c = *p++;
		if (c == '"') {
			while (p < end && *p != '"')
				if (*p++ == '\\' && p < end)
					p++;
			if (p == end)
				return NULL;
			p++;
		} else if (c == '#') {
			while (p < end && *p != '\n')
				p++;
		} else
			depth += (c == '{') - (c == '}');
	}
	return depth ? NULL : p;
}

/* Count newlines: a section parsed alone reports lines of the whole text. */
static void relocate_err(char *err, const char *t, const char *at, unsigned long skipped_from,
			 unsigned long skipped)
{
	unsigned long line;
	char rest[VMF_ERRLEN];
	if (!err || sscanf(err, "line %lu: %159[^\n]", &line, rest) != 2)
		return;
	for (const char *p = t; p < at; p++)
		line += *p == '\n';
	if (skipped && line > skipped_from)
		line += skipped;
	snprintf(err, VMF_ERRLEN, "line %lu: %.130s", line, rest);
}

struct lane_todo {                     /* an LV the generic parser reads */
	struct vmf_lv *lv;
	const char *at, *end;
};

/*
 * The LVs from @b0 up to the brace that closes their section (returned in
 * *b1), into @vg: usual ones straight into the model, the others only
 * placed (in order) and listed in @todo for after the PVs are known.
 */
static int lane_lvs(struct vmf_vg *vg, const char *b0, const char *end, const char **b1,
		    struct lane_pvs *pvs, struct lane_todo **todo, size_t *ntodo, bool spans)
{
	struct lane l = { b0, end };
	size_t cap = 0;
	for (;;) {
		skip(&l);
		if (l.p == end)
			return -EAGAIN;
		if (*l.p == '}') {
			*b1 = l.p;
			return 0;
		}
		const char *at = l.p;
		if (lane_lv(vg, &l, pvs, spans))
			continue;
		l.p = at;
		const char *w;
		if (!lane_word(&l, &w) || !lane_char(&l, '{') || !(l.p = skip_section(l.p, end)))
			return -EAGAIN;
		if (*ntodo == cap) {
			struct lane_todo *nt = realloc(*todo, (cap = cap ? cap * 2 : 16) * sizeof(*nt));
			if (!nt)
				return -ENOMEM;
			*todo = nt;
		}
		struct vmf_lv *lv = add_lv(vg, "", false);     /* named once parsed */
		if (!lv)
			return -ENOMEM;
		(*todo)[(*ntodo)++] = (struct lane_todo){ lv, at, l.p };
	}
}

/* Hand @from's LVs, memory and trees to @to (which has no LVs), and free @from. */
static void lane_merge(struct vmf_vg *to, struct vmf_vg *from)
{
	struct arena_chunk **tail = &to->arena->head;
	while (*tail)
		tail = &(*tail)->next;
	*tail = from->arena->head;
	from->arena->head = NULL;
	free(to->lvs);
	to->lvs = from->lvs;
	to->nlv = from->nlv;
	to->lvcap = from->lvcap;
	from->lvs = NULL;
	from->nlv = 0;
	struct vmt_tree **xt = realloc(to->xtrees, (to->nxtrees + from->nxtrees) * sizeof(*xt));
	if (xt || !from->nxtrees) {
		if (from->nxtrees)
			memcpy(xt + to->nxtrees, from->xtrees, from->nxtrees * sizeof(*xt));
		to->xtrees = xt;
		to->nxtrees += from->nxtrees;
		from->nxtrees = 0;
	}
	vmf_vg_free(from);
}

static int from_text_lane(const char *text, size_t len, struct vmf_vg **out, char *err, bool spans)
{
	const char *b0 = find_lv_body(text, len), *b1 = NULL, *end = text + len;
	struct vmf_vg *lanes = NULL, *vg = NULL;
	struct lane_pvs pvs = { .cnt = 0 };
	struct lane_todo *todo = NULL;
	size_t ntodo = 0;
	struct vmt_tree *t;
	int r;
	const char *nul = memchr(text, 0, len);
	if (nul)
		end = nul;                      /* the parser stops at a NUL too */
	if (!b0 || b0 > end)
		return -EAGAIN;
	if (!(lanes = vmf_vg_new()))
		return -ENOMEM;
	r = lane_lvs(lanes, b0, end, &b1, &pvs, &todo, &ntodo, spans);
	if (r)
		goto out;
	/* everything else through the generic parser: small, the VG and its PVs */
	size_t head = (size_t)(b0 - text), tail = (size_t)(end - b1);
	char *rest = malloc(head + tail + 1);
	if (!rest) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(rest, text, head);
	memcpy(rest + head, b1, tail);
	r = vmt_parse(rest, head + tail, &t, err);
	free(rest);
	if (r) {
		unsigned long at = 1, skipped = 0;
		for (const char *p = text; p < b0; p++)
			at += *p == '\n';
		for (const char *p = b0; p < b1; p++)
			skipped += *p == '\n';
		relocate_err(err, text, text, at, skipped);
		goto out;
	}
	if ((r = import_vg(t, &vg, err, false)))
		goto out;
	if (vg->nlv) {
		r = -EAGAIN;                    /* a second LV list in the rest */
		goto out;
	}
	lane_merge(vg, lanes);
	lanes = NULL;
	/* the LVs' PV names, now that the PVs are known */
	int map[64];
	for (uint32_t i = 0; i < pvs.cnt && !r; i++) {
		map[i] = -1;
		for (uint32_t p = 0; p < vg->npv && map[i] < 0; p++)
			if (!strncmp(vg->pvs[p].name, pvs.s[i], pvs.n[i]) && !vg->pvs[p].name[pvs.n[i]])
				map[i] = (int)p;
		if (map[i] < 0)
			r = -EAGAIN;            /* the generic path names the unknown PV */
	}
	for (uint32_t l = 0; l < vg->nlv && !r; l++)
		for (uint32_t s = 0; s < vg->lvs[l]->nseg; s++)
			for (uint32_t k = 0; k < vg->lvs[l]->segs[s].stripe_count && !vg->lvs[l]->segs[s].raw; k++)
				vg->lvs[l]->segs[s].stripes[k].pv = (uint32_t)map[vg->lvs[l]->segs[s].stripes[k].pv];
	/* the LVs of other layouts, each parsed on its own (its lines as in the whole text) */
	struct imp im = { vg, err };
	for (size_t i = 0; i < ntodo && !r; i++) {
		if ((r = vmt_parse(todo[i].at, (size_t)(todo[i].end - todo[i].at), &t, err))) {
			relocate_err(err, text, todo[i].at, 0, 0);
			break;
		}
		struct vmt_tree **xt = realloc(vg->xtrees, (vg->nxtrees + 1) * sizeof(*xt));
		if (!xt) {
			vmt_free(t);
			r = -ENOMEM;
			break;
		}
		vg->xtrees = xt;
		vg->xtrees[vg->nxtrees++] = t;
		const struct vmt_node *sec = vmt_root(t)->child;
		if (!sec || sec->next || sec->type != VMT_SECTION) {
			r = -EAGAIN;
			break;
		}
		if (vmf_name_check(sec->key, NULL)) {
			r = fail(err, "logical volume %.64s: invalid name", sec->key);
			break;
		}
		todo[i].lv->name = sec->key;
		r = import_lv(&im, sec, todo[i].lv);
	}
	if (!r)
		r = vmf_vg_validate(vg, err);
out:
	free(todo);
	vmf_vg_free(lanes);
	if (r) {
		vmf_vg_free(vg);
		return r;
	}
	vg->text_size = len;
	*out = vg;
	return 0;
}

static int from_text(const char *text, size_t len, struct vmf_vg **out, char *err, bool spans)
{
	struct vmt_tree *t;
	int r = from_text_lane(text, len, out, err, spans);
	if (r != -EAGAIN)
		return r;
	if (!(r = vmt_parse(text, len, &t, err)) && !(r = vmf_vg_import(t, out, err)))
		(*out)->text_size = len;
	return r;
}

int vmf_vg_from_text(const char *text, size_t len, struct vmf_vg **out, char *err)
{
	return from_text(text, len, out, err, false);
}

int vmf_vg_from_text_spans(const char *text, size_t len, struct vmf_vg **out, char *err)
{
	return from_text(text, len, out, err, true);
}

/* ---------------------------------------------------------------- pv maps */

static int range_cmp(const void *a, const void *b)
{
	const struct vmf_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

void vmf_pvmaps_free(struct vmf_pvmap *maps, uint32_t n)
{
	if (!maps)
		return;
	for (uint32_t i = 0; i < n; i++)
		free(maps[i].used);
	free(maps);
}

int vmf_vg_pvmaps(const struct vmf_vg *vg, struct vmf_pvmap **out, char *err)
{
	struct vmf_pvmap *m = calloc(vg->npv ? vg->npv : 1, sizeof(*m));
	uint32_t *cap = calloc(vg->npv ? vg->npv : 1, sizeof(*cap));
	int r = 0;
	if (!m || !cap) {
		free(cap);
		free(m);
		return -ENOMEM;
	}
	for (uint32_t l = 0; l < vg->nlv && !r; l++) {
		const struct vmf_lv *lv = vg->lvs[l];
		for (uint32_t s = 0; s < lv->nseg && !r; s++) {
			const struct vmf_seg *seg = &lv->segs[s];
			for (uint32_t k = 0; k < seg->stripe_count; k++) {
				struct vmf_pvmap *pm = &m[seg->stripes[k].pv];
				uint32_t *c = &cap[seg->stripes[k].pv];
				if (pm->n == *c) {
					uint32_t nc = *c ? *c * 2 : 8;
					struct vmf_range *nv = realloc(pm->used, nc * sizeof(*nv));
					if (!nv) {
						r = -ENOMEM;
						break;
					}
					pm->used = nv;
					*c = nc;
				}
				pm->used[pm->n++] = (struct vmf_range){ seg->stripes[k].pe,
					seg->extent_count / seg->stripe_count };
			}
		}
	}
	for (uint32_t p = 0; p < vg->npv && !r; p++) {
		struct vmf_pvmap *pm = &m[p];
		/* LVs made one after another are usually in order already */
		bool sorted = true;
		for (uint32_t i = 1; i < pm->n && sorted; i++)
			sorted = pm->used[i - 1].start <= pm->used[i].start;
		if (!sorted)
			qsort(pm->used, pm->n, sizeof(*pm->used), range_cmp);
		uint32_t w = 0;
		for (uint32_t i = 0; i < pm->n; i++) {
			struct vmf_range cur = pm->used[i];
			pm->used_count += cur.len;
			if (w && pm->used[w - 1].start + pm->used[w - 1].len > cur.start) {
				r = fail(err, "physical volume %s: extent %" PRIu64
					 " is allocated to more than one logical volume",
					 vg->pvs[p].name, cur.start);
				break;
			}
			if (w && pm->used[w - 1].start + pm->used[w - 1].len == cur.start)
				pm->used[w - 1].len += cur.len;
			else
				pm->used[w++] = cur;
		}
		pm->n = w;
	}
	free(cap);
	if (r) {
		vmf_pvmaps_free(m, vg->npv);
		return r;
	}
	*out = m;
	return 0;
}

/* ---------------------------------------------------------------- export */

/*
 * Appends on the export path: inline while the buffer has room (export
 * reserves about the old text's size up front), vmt_putn() otherwise. The
 * final NUL is written once, at the end of vmf_vg_export().
 */
static inline void out(struct vmt_buf *b, const char *s, size_t n)
{
	if (b->cap - b->len > n) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	} else
		vmt_putn(b, s, n);
}

static void out_indent(struct vmt_buf *b, int depth)
{
	if (b->flat)
		return;
	static const char tabs[] = "\t\t\t\t\t\t\t\t";
	out(b, tabs, depth < 8 ? (size_t)depth : 8);
}

static void out_quoted(struct vmt_buf *b, const char *s)
{
	out(b, "\"", 1);
	for (;;) {
		size_t n = 0;
		while (s[n] && s[n] != '"' && s[n] != '\\')
			n++;
		out(b, s, n);
		if (!s[n])
			break;
		out(b, "\\", 1);
		out(b, s + n, 1);
		s += n + 1;
	}
	out(b, "\"", 1);
}

static void put_u64(struct vmt_buf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out(b, tmp + i, sizeof(tmp) - i);
}

static void put_key(struct vmt_buf *b, int depth, const char *key)
{
	out_indent(b, depth);
	out(b, key, strlen(key));
	out(b, " = ", 3);
}

static void kv_u64(struct vmt_buf *b, int depth, const char *key, uint64_t v)
{
	put_key(b, depth, key);
	put_u64(b, v);
	out(b, "\n", 1);
}

static void kv_i64(struct vmt_buf *b, int depth, const char *key, int64_t v)
{
	put_key(b, depth, key);
	if (v < 0) {
		out(b, "-", 1);
		put_u64(b, -(uint64_t)v);
	} else
		put_u64(b, (uint64_t)v);
	out(b, "\n", 1);
}

static void kv_str(struct vmt_buf *b, int depth, const char *key, const char *v)
{
	put_key(b, depth, key);
	out_quoted(b, v);
	out(b, "\n", 1);
}

static void kv_id(struct vmt_buf *b, int depth, const char id[VMF_ID_LEN])
{
	char f[39];
	vmf_id_format(id, f);
	put_key(b, depth, "id");
	out(b, "\"", 1);
	out(b, f, 38);
	out(b, "\"\n", 2);
}

static void kv_list(struct vmt_buf *b, int depth, const char *key, const struct vmf_strlist *l)
{
	put_key(b, depth, key);
	out(b, "[", 1);
	for (uint32_t i = 0; i < l->n; i++) {
		if (i)
			out(b, ", ", 2);
		out_quoted(b, l->v[i]);
	}
	out(b, "]\n", 2);
}

static void open_sec(struct vmt_buf *b, int depth, const char *key)
{
	out_indent(b, depth);
	out(b, key, strlen(key));
	out(b, " {\n", 3);
}

static void close_sec(struct vmt_buf *b, int depth)
{
	out_indent(b, depth);
	out(b, "}\n", 2);
}

static void put_extras(struct vmt_buf *b, int depth, const struct vmf_extras *x)
{
	for (uint32_t i = 0; i < x->n; i++)
		vmt_write_node(b, x->v[i], depth);
}

static void export_seg(struct vmt_buf *b, const struct vmf_vg *vg, const struct vmf_seg *s,
		       uint32_t idx)
{
	out_indent(b, 3);
	out(b, "segment", 7);
	put_u64(b, idx);
	out(b, " {\n", 3);
	if (s->raw) {
		/* Unknown type: every key as it was, extents renumbered by position. */
		for (const struct vmt_node *n = s->raw->child; n; n = n->next) {
			if (!strcmp(n->key, "start_extent"))
				kv_u64(b, 4, "start_extent", s->start_extent);
			else if (!strcmp(n->key, "extent_count"))
				kv_u64(b, 4, "extent_count", s->extent_count);
			else
				vmt_write_node(b, n, 4);
		}
		close_sec(b, 3);
		return;
	}
	kv_u64(b, 4, "start_extent", s->start_extent);
	kv_u64(b, 4, "extent_count", s->extent_count);
	kv_str(b, 4, "type", "striped");
	kv_u64(b, 4, "stripe_count", s->stripe_count);
	if (s->stripe_count > 1)
		kv_u64(b, 4, "stripe_size", s->stripe_size);
	put_key(b, 4, "stripes");
	out(b, "[\n", 2);
	for (uint32_t k = 0; k < s->stripe_count; k++) {
		out_indent(b, 5);
		out_quoted(b, vg->pvs[s->stripes[k].pv].name);
		out(b, ", ", 2);
		put_u64(b, s->stripes[k].pe);
		if (k + 1 < s->stripe_count)
			out(b, ",\n", 2);
		else
			out(b, "\n", 1);
	}
	out_indent(b, 4);
	out(b, "]\n", 2);
	put_extras(b, 4, &s->extra);
	close_sec(b, 3);
}

static void export_top(const struct vmf_vg *vg, struct vmt_buf *b)
{
	kv_str(b, 0, "contents", "Text Format Volume Group");
	kv_u64(b, 0, "version", 1);
	kv_str(b, 0, "description", vg->description ? vg->description : "");
	if (vg->creation_host)
		kv_str(b, 0, "creation_host", vg->creation_host);
	kv_i64(b, 0, "creation_time", vg->creation_time);
	put_extras(b, 0, &vg->top_extra);
}

void vmf_vg_export(const struct vmf_vg *vg, struct vmt_buf *b, bool backup)
{
	/* one allocation of about the right size: no copies, fewer page faults
	 * (with pieces, the unchanged LVs are not in the buffer at all) */
	if (vmt_reserve(b, b->use_pieces ? 65536 : vg->text_size + vg->text_size / 8 + 65536))
		return;
	/* metadata areas hold the text unindented, as lvm2 writes it: 16% less to store and read */
	int flat = b->flat;
	b->flat = !backup;
	if (backup) {
		time_t t = (time_t)vg->creation_time;
		char when[64] = "";
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
		vmt_printf(b, "# Generated by volmgr %s: %s\n\n", VOLMGR_VERSION, when);
		export_top(vg, b);
		out(b, "\n", 1);
	}
	open_sec(b, 0, vg->name);
	kv_id(b, 1, vg->id);
	kv_u64(b, 1, "seqno", vg->seqno);
	kv_str(b, 1, "format", vg->format ? vg->format : "lvm2");
	kv_list(b, 1, "status", &vg->status);
	kv_list(b, 1, "flags", &vg->flags);
	if (vg->tags.n)
		kv_list(b, 1, "tags", &vg->tags);
	kv_u64(b, 1, "extent_size", vg->extent_size);
	kv_u64(b, 1, "max_lv", vg->max_lv);
	kv_u64(b, 1, "max_pv", vg->max_pv);
	kv_u64(b, 1, "metadata_copies", vg->metadata_copies);
	if (vg->alloc)
		kv_str(b, 1, "allocation_policy", vg->alloc);
	open_sec(b, 1, "physical_volumes");
	for (uint32_t i = 0; i < vg->npv; i++) {
		const struct vmf_pv *pv = &vg->pvs[i];
		open_sec(b, 2, pv->name);
		kv_id(b, 3, pv->id);
		if (pv->device)
			kv_str(b, 3, "device", pv->device);
		kv_list(b, 3, "status", &pv->status);
		kv_list(b, 3, "flags", &pv->flags);
		if (pv->tags.n)
			kv_list(b, 3, "tags", &pv->tags);
		if (pv->dev_size)                 /* absent on import: keep it absent */
			kv_u64(b, 3, "dev_size", pv->dev_size);
		kv_u64(b, 3, "pe_start", pv->pe_start);
		kv_u64(b, 3, "pe_count", pv->pe_count);
		put_extras(b, 3, &pv->extra);
		close_sec(b, 2);
	}
	close_sec(b, 1);
	if (vg->nlv) {
		open_sec(b, 1, "logical_volumes");
		for (uint32_t i = 0; i < vg->nlv; i++) {
			const struct vmf_lv *lv = vg->lvs[i];
			if (lv->text && !backup) {
				/* unchanged since read: its own text, as it was (with the newline
				 * after it, so that neighbours in the old text make one piece) */
				if (lv->text[lv->text_len] == '\n')
					vmt_put_ext(b, lv->text, lv->text_len + 1);
				else {
					vmt_put_ext(b, lv->text, lv->text_len);
					out(b, "\n", 1);
				}
				continue;
			}
			open_sec(b, 2, lv->name);
			kv_id(b, 3, lv->id);
			kv_list(b, 3, "status", &lv->status);
			kv_list(b, 3, "flags", &lv->flags);
			if (lv->tags.n)
				kv_list(b, 3, "tags", &lv->tags);
			if (lv->alloc)
				kv_str(b, 3, "allocation_policy", lv->alloc);
			if (lv->creation_time)
				kv_i64(b, 3, "creation_time", lv->creation_time);
			if (lv->creation_host)
				kv_str(b, 3, "creation_host", lv->creation_host);
			kv_u64(b, 3, "segment_count", lv->nseg);
			put_extras(b, 3, &lv->extra);
			for (uint32_t s = 0; s < lv->nseg; s++)
				export_seg(b, vg, &lv->segs[s], s + 1);
			close_sec(b, 2);
		}
		close_sec(b, 1);
	}
	put_extras(b, 1, &vg->extra);
	close_sec(b, 0);
	if (!backup)
		export_top(vg, b);
	vmt_putn(b, "", 0);                     /* NUL-terminate */
	b->flat = flat;
}
