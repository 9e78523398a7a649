/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Discovery: read the label and metadata areas of every candidate device.
 * Identical metadata texts (the usual case: one VG, several PVs) are parsed
 * once. PVs are known by uuid; device paths are only where we found them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"


void scan_put(struct scan *s)
{
	if (!s || --s->refs > 0)
		return;
	for (size_t i = 0; i < s->ndev; i++)
		free(s->devs[i].path);
	free(s->devs);
	for (size_t i = 0; i < s->ntext; i++) {
		vmf_vg_free(s->texts[i].md);
		text_free(&s->texts[i].text);
	}
	free(s->texts);
	for (size_t i = 0; i < s->nvg; i++)
		free(s->vgnames[i]);
	free(s->vgnames);
	free(s->orphans);
	free(s);
}

struct vm_dev *scan_find_dev(struct scan *s, const char *path)
{
	for (size_t i = 0; i < s->ndev; i++)
		if (!strcmp(s->devs[i].path, path) || dev_same(path, s->devs[i].rdev))
			return &s->devs[i];
	return NULL;
}

struct vm_dev *scan_find_pv(struct scan *s, const char id[VMF_ID_LEN])
{
	for (size_t i = 0; i < s->ndev; i++)
		if (!memcmp(s->devs[i].pvh.pv_id, id, VMF_ID_LEN))
			return &s->devs[i];
	return NULL;
}

/*
 * Name of the VG whose winning metadata (highest seqno for its VG id) lists
 * this PV, or NULL: an older copy left on a PV that has since been removed
 * from its VG does not count.
 */
const char *scan_dev_vg(struct scan *s, const struct vm_dev *d)
{
	for (size_t i = 0; i < s->ntext; i++) {
		const struct vmf_vg *md = s->texts[i].md;
		if (!md || vmf_vg_find_pv_id(md, d->pvh.pv_id) < 0)
			continue;
		bool newer = false;
		for (size_t j = 0; j < s->ntext && !newer; j++) {
			const struct vmf_vg *o = s->texts[j].md;
			newer = o && !memcmp(o->id, md->id, VMF_ID_LEN) && o->seqno > md->seqno;
		}
		if (!newer)
			return md->name;
	}
	return NULL;
}

/*
 * A PV that is in no VG, though a copy of a VG's metadata on it lists it: a
 * newer copy of that VG (same id) does not, as when the VG let it go while
 * it was missing. The newer copy, or NULL. Until its areas are cleared it is
 * no orphan to take, as in lvm2 ("outdated PV").
 */
const struct vmf_vg *scan_dev_outdated(struct scan *s, const struct vm_dev *d)
{
	for (size_t i = 0; i < s->ntext; i++) {
		const struct vmf_vg *md = s->texts[i].md;
		if (!md || vmf_vg_find_pv_id(md, d->pvh.pv_id) < 0)
			continue;
		for (size_t j = 0; j < s->ntext; j++) {
			const struct vmf_vg *o = s->texts[j].md;
			if (o && !memcmp(o->id, md->id, VMF_ID_LEN) && o->seqno > md->seqno &&
			    vmf_vg_find_pv_id(o, d->pvh.pv_id) < 0)
				return o;
		}
	}
	return NULL;
}

void scan_warn_outdated(vm_ctx *ctx, const struct vm_dev *d, const struct vmf_vg *md)
{
	vm_log(ctx, VM_LOG_WARN, "WARNING: %s: outdated physical volume: volume group %s no longer lists it "
	       "(seqno %llu); 'vgck --updatemetadata %s' clears it.", d->path, md->name,
	       (unsigned long long)md->seqno, md->name);
}

/*
 * A metadata text as read from a ring: one read into a buffer in whole
 * blocks when it does not wrap (no copy, which is most of the cost at
 * 10,000 LVs), a read per piece into one buffer when it does.
 */
void text_free(struct text *t)
{
	if (t->alloc)
		dev_buf_free(t->base, t->alloc);
	else
		free(t->base);
	t->p = NULL;
	t->base = NULL;
	t->alloc = 0;
}

static int mda_read_text(vm_ctx *ctx, int fd, const struct vm_dev *d, const struct vm_mda *m,
			 struct text *t)
{
	const struct vmf_raw_locn *rl = &m->hdr.slot[0];
	struct vmf_area piece[2];
	int np = vmf_ring_pieces(m->size, rl->offset, rl->size, piece);
	if (np < 0)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->len = rl->size;
	if (np == 1) {
		struct dev_span sp;             /* its buffer has a byte to spare for the NUL */
		int r = dev_span_begin(ctx, fd, d->path, m->offset + piece[0].offset, rl->size, false, &sp);
		if (!r && (r = dev_span_read(ctx, fd, d->path, &sp)))
			dev_span_free(&sp);
		if (r)
			return r;
		t->base = sp.base;
		t->alloc = sp.len + 1;
		t->p = sp.p;
		t->p[rl->size] = 0;
		return 0;
	}
	if (!(t->p = t->base = malloc(rl->size + 1)))
		return -ENOMEM;
	uint64_t at = 0;
	for (int i = 0; i < np; i++) {
		int r = dev_pread(ctx, fd, d->path, t->p + at, piece[i].size, m->offset + piece[i].offset);
		if (r) {
			text_free(t);
			return r;
		}
		at += piece[i].size;
	}
	t->p[rl->size] = 0;
	return 0;
}

/* The VG name a text starts with, without parsing it all. */
static void peek_name(const char *t, size_t len, char out[VMF_NAME_MAX + 1])
{
	size_t i = 0, n = 0;
	for (;;) {
		while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
			i++;
		if (i < len && t[i] == '#') {
			while (i < len && t[i] != '\n')
				i++;
			continue;
		}
		break;
	}
	while (i < len && n < VMF_NAME_MAX && t[i] != ' ' && t[i] != '{' && t[i] != '\n' &&
	       t[i] != '\t' && t[i])
		out[n++] = t[i++];
	out[n] = 0;
}

/* Parse (once per distinct text) the VG a metadata area holds. Frees *text early: peak memory. */
static struct parsed *text_entry(vm_ctx *ctx, struct scan *s, struct text *text, uint64_t len,
				 uint32_t crc, const char *want)
{
	for (size_t i = 0; i < s->ntext; i++)
		if (s->texts[i].crc == crc && s->texts[i].size == len)
			return &s->texts[i];
	if (s->ntext == s->textcap) {
		size_t nc = s->textcap ? s->textcap * 2 : 4;
		struct parsed *nv = realloc(s->texts, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		/* mdas point into this array: rebase them */
		for (size_t d = 0; d < s->ndev; d++)
			for (uint32_t m = 0; m < s->devs[d].nmda; m++)
				if (s->devs[d].mda[m].md)
					s->devs[d].mda[m].md = nv + (s->devs[d].mda[m].md - s->texts);
		s->texts = nv;
		s->textcap = nc;
	}
	struct parsed *p = &s->texts[s->ntext++];
	memset(p, 0, sizeof(*p));
	p->crc = crc;
	p->size = len;
	peek_name(text->p, len, p->vgname);
	if (!want || !strcmp(want, p->vgname)) {
		char err[VMF_ERRLEN] = "";
		int r = ctx->keep_texts ? vmf_vg_from_text_spans(text->p, len, &p->md, err)
					: vmf_vg_from_text(text->p, len, &p->md, err);
		if (!r && ctx->keep_texts) {
			p->text = *text;        /* unchanged LVs are written back from it */
			memset(text, 0, sizeof(*text));
		} else
			text_free(text);
		if (r == -ENOMEM) {
			s->ntext--;
			return NULL;
		}
		if (r) {
			p->bad = true;
			snprintf(p->why, sizeof(p->why), "%s", err);
		}
	}
	return p;
}

/* @head: the device's first @headlen bytes, already read. */
static int scan_mda(vm_ctx *ctx, struct scan *s, int fd, struct vm_dev *d, struct vm_mda *m,
		    const char *want, const uint8_t *head, size_t headlen)
{
	uint8_t hb[VMF_MDA_HEADER_SIZE];
	char err[VMF_ERRLEN];
	int r = 0;
	if (m->offset + sizeof(hb) <= headlen)
		memcpy(hb, head + m->offset, sizeof(hb));
	else
		r = dev_pread(ctx, fd, d->path, hb, sizeof(hb), m->offset);
	if (!r && (r = vmf_mda_header_decode(hb, m->offset, m->size, &m->hdr, err)))
		snprintf(m->why, sizeof(m->why), "header: %s", err);
	if (r) {
		if (!m->why[0])
			snprintf(m->why, sizeof(m->why), "%s", ctx->err);
		m->state = MDA_BAD;
		return 0;
	}
	m->hdr_ok = true;
	if (!m->hdr.slot[0].size) {
		m->state = MDA_EMPTY;
		return 0;
	}
	/*
	 * Another PV's copy with this checksum and size was read and verified
	 * already: the same text, most likely; do not read it again (a VG of
	 * several PVs holds one copy on each). vgck reads every copy, and every
	 * commit rewrites them all.
	 */
	for (size_t i = 0; !ctx->verify_all && i < s->ntext; i++) {
		struct parsed *p = &s->texts[i];
		if (p->crc != m->hdr.slot[0].checksum || p->size + 1 != m->hdr.slot[0].size || p->bad)
			continue;
		m->md = p;
		m->state = MDA_OK;
		snprintf(m->vgname, sizeof(m->vgname), "%s", p->vgname);
		if (p->md) {
			m->seqno = p->md->seqno;
			memcpy(m->vgid, p->md->id, VMF_ID_LEN);
		}
		return 0;
	}
	struct text text;
	if ((r = mda_read_text(ctx, fd, d, m, &text))) {
		m->state = MDA_BAD;
		snprintf(m->why, sizeof(m->why), "cannot read the metadata text");
		return r == -ENOMEM ? r : 0;
	}
	uint64_t len = text.len;
	uint32_t crc = vmf_crc(VMF_INITIAL_CRC, text.p, len);
	if (crc != m->hdr.slot[0].checksum) {
		snprintf(m->why, sizeof(m->why), "metadata text checksum mismatch (stored 0x%08x, computed 0x%08x)",
			 m->hdr.slot[0].checksum, crc);
		m->state = MDA_BAD;
	} else if (text.p[len - 1] != 0) {
		snprintf(m->why, sizeof(m->why), "metadata text is not terminated");
		m->state = MDA_BAD;
	} else {
		struct parsed *p = text_entry(ctx, s, &text, len - 1, crc, want);
		if (!p) {
			text_free(&text);
			return -ENOMEM;
		}
		m->md = p;
		snprintf(m->vgname, sizeof(m->vgname), "%s", p->vgname);
		if (p->bad) {
			m->state = MDA_BAD;
			snprintf(m->why, sizeof(m->why), "%s", p->why);
		} else {
			m->state = MDA_OK;
			if (p->md) {
				m->seqno = p->md->seqno;
				memcpy(m->vgid, p->md->id, VMF_ID_LEN);
			}
		}
	}
	text_free(&text);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dev(vm_ctx *ctx, struct scan *s, const char *path, const char *want)
{
	int fd, r;
	uint64_t size;
	dev_t rdev;
	if (dev_open(ctx, path, O_RDONLY, &fd, &size, &rdev)) {
		vm_log(ctx, VM_LOG_DEBUG, "%s", ctx->err);
		return 0;
	}
	for (size_t i = 0; i < s->ndev; i++)
		if (s->devs[i].rdev == rdev) {
			close(fd);
			return 0;
		}
	/* The label and, where it usually is (4 KiB), the first metadata area's header:
	 * one read. */
	_Alignas(4096) uint8_t buf[8192];
	size_t headlen = size >= sizeof(buf) ? sizeof(buf) : VMF_LABEL_SCAN_SECTORS * VMF_SECTOR;
	struct vm_dev d = { .rdev = rdev, .size = size, .wfd = -1 };
	char err[VMF_ERRLEN];
	if (size < headlen || dev_pread(ctx, fd, path, buf, headlen, 0)) {
		close(fd);
		return 0;
	}
	r = vmf_label_decode(buf, VMF_LABEL_SCAN_SECTORS * VMF_SECTOR, size, &d.pvh, err);
	if (r) {
		if (r != -ENOENT)
			vm_log(ctx, VM_LOG_WARN, "WARNING: %s: ignoring a damaged PV label: %s", path, err);
		close(fd);
		return 0;
	}
	if (!(d.path = strdup(path))) {
		close(fd);
		return -ENOMEM;
	}
	d.nmda = d.pvh.n_mda;
	r = 0;
	for (uint32_t i = 0; i < d.nmda && !r; i++) {
		d.mda[i].offset = d.pvh.mda[i].offset;
		d.mda[i].size = d.pvh.mda[i].size;
		r = scan_mda(ctx, s, fd, &d, &d.mda[i], want, buf, headlen);
		if (d.mda[i].state == MDA_BAD)
			vm_log(ctx, VM_LOG_WARN, "WARNING: %s: metadata area at offset %" PRIu64 ": %s",
			       path, d.mda[i].offset, d.mda[i].why);
	}
	close(fd);
	struct vm_dev *nv = realloc(s->devs, (s->ndev + 1) * sizeof(*nv));
	if (r || !nv) {
		free(d.path);
		return r ? r : -ENOMEM;
	}
	s->devs = nv;
	s->devs[s->ndev++] = d;
	return 0;
}

/*
 * Scan every candidate device. With @want_vg only that VG's texts are
 * parsed (others are only named) and orphans are not worked out.
 */
int scan_run(vm_ctx *ctx, const char *want_vg)
{
	struct scan *s = calloc(1, sizeof(*s));
	char **paths = NULL;
	size_t n = 0;
	int r;
	if (!s)
		return -ENOMEM;
	s->refs = 1;
	r = dev_list(ctx, &paths, &n);
	for (size_t i = 0; i < n && !r; i++)
		r = scan_dev(ctx, s, paths[i], want_vg);
	dev_list_free(paths, n);
	/* VG names */
	for (size_t i = 0; i < s->ntext && !r; i++) {
		if (s->texts[i].bad)
			continue;
		bool seen = false;
		for (size_t j = 0; j < s->nvg && !seen; j++)
			seen = !strcmp(s->vgnames[j], s->texts[i].vgname);
		if (seen)
			continue;
		char **nv = realloc(s->vgnames, (s->nvg + 1) * sizeof(*nv));
		if (!nv || !(nv[s->nvg] = strdup(s->texts[i].vgname))) {
			if (nv)
				s->vgnames = nv;
			r = -ENOMEM;
			break;
		}
		s->vgnames = nv;
		s->nvg++;
	}
	if (s->nvg)
		qsort(s->vgnames, s->nvg, sizeof(*s->vgnames), name_cmp);
	if (!r && !want_vg) {
		s->orphans = calloc(s->ndev ? s->ndev : 1, sizeof(*s->orphans));
		if (!s->orphans)
			r = -ENOMEM;
		for (size_t i = 0; i < s->ndev && !r; i++) {
			const struct vmf_vg *newer;
			if (scan_dev_vg(s, &s->devs[i]))
				continue;
			if ((newer = scan_dev_outdated(s, &s->devs[i])))
				scan_warn_outdated(ctx, &s->devs[i], newer);
			else
				s->orphans[s->norphan++] = (struct vm_pv){ .ctx = ctx, .dev = &s->devs[i] };
		}
	}
	if (r) {
		scan_put(s);
		return r;
	}
	scan_put(ctx->scan);
	ctx->scan = s;
	return 0;
}

int vm_scan(vm_ctx *ctx)
{
	return scan_run(ctx, NULL);
}

int vm_pv_check(vm_ctx *ctx, const char *device, struct vm_pv_check *out)
{
	int fd, r;
	uint64_t size;
	dev_t rdev;
	uint8_t buf[VMF_LABEL_SCAN_SECTORS * VMF_SECTOR];
	char err[VMF_ERRLEN];
	memset(out, 0, sizeof(*out));
	if ((r = dev_open(ctx, device, O_RDONLY, &fd, &size, &rdev)))
		return r;
	struct scan *s = calloc(1, sizeof(*s));
	struct vm_dev d = { .rdev = rdev, .size = size, .wfd = -1, .path = (char *)device };
	if (!s)
		r = -ENOMEM;
	else if (!(r = dev_pread(ctx, fd, device, buf, sizeof(buf), 0)) &&
		 (r = vmf_label_decode(buf, sizeof(buf), size, &d.pvh, err)))
		r = vm_err(ctx, r, "%s: %s", device, r == -ENOENT ? "no LVM2 label found" : err);
	if (!r) {
		s->refs = 1;
		out->label_sector = (uint32_t)d.pvh.label_sector;
		out->mda_count = d.nmda = d.pvh.n_mda;
		for (uint32_t i = 0; i < d.nmda && !r; i++) {
			struct vm_mda *m = &d.mda[i];
			m->offset = out->mda_offset[i] = d.pvh.mda[i].offset;
			m->size = out->mda_size[i] = d.pvh.mda[i].size;
			r = scan_mda(ctx, s, fd, &d, m, NULL, buf, sizeof(buf));
			if (m->state == MDA_BAD)
				snprintf(out->mda_problem[i], sizeof(out->mda_problem[i]), "%s", m->why);
			else if (m->state == MDA_OK)
				snprintf(out->mda_vg, sizeof(out->mda_vg), "%s", m->vgname);
		}
	}
	close(fd);
	scan_put(s);
	return r;
}

int vm_scan_names(vm_ctx *ctx)
{
	return scan_run(ctx, "");        /* matches no VG: texts are only named */
}

size_t vm_orphan_count(vm_ctx *ctx)
{
	return ctx->scan ? ctx->scan->norphan : 0;
}

vm_pv *vm_orphan_at(vm_ctx *ctx, size_t i)
{
	return ctx->scan && i < ctx->scan->norphan ? &ctx->scan->orphans[i] : NULL;
}

size_t vm_vg_name_count(vm_ctx *ctx)
{
	return ctx->scan ? ctx->scan->nvg : 0;
}

const char *vm_vg_name_at(vm_ctx *ctx, size_t i)
{
	return ctx->scan && i < ctx->scan->nvg ? ctx->scan->vgnames[i] : NULL;
}
