/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One libFuzzer target over every metadata parser. The first input byte
 * (mod 4) selects what the rest of the input is:
 *
 *   0  label: the first 2048 bytes of a device (shorter input is zero
 *      padded), then a little-endian u64 device size in bytes (absent: 0,
 *      "unknown"). A decoded label is encoded again and must decode to the
 *      same pv_header; encoding is a fixed point.
 *   1  mda_header: 512 bytes, then u64 expected start and u64 expected size
 *      (absent: the values the header itself records). A decoded header is
 *      encoded again and must decode to the same; the ring functions must
 *      keep a committed copy inside the ring and place a new one beside it,
 *      never over it.
 *   2  text: the config-tree parser. Whatever parses is written, re-parsed to
 *      the same tree, and written again to the same text. (This covers
 *      everything tests/fuzz/fuzz_text.c checks.)
 *   3  VG metadata: parse + import with validation. A VG that imports must
 *      validate, export, re-import, and export to the same text; its backup
 *      form must import to the same VG. A refused one must say why.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "text.h"
#include "vgmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LABEL_BUF (VMF_LABEL_SCAN_SECTORS * VMF_SECTOR)

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "fuzz_metadata: %s:%d: check failed: %s\n", \
				__FILE__, __LINE__, #cond);                       \
			fprintf(stderr, __VA_ARGS__);                     \
			fputc('\n', stderr);                              \
			abort();                                          \
		}                                                         \
	} while (0)

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Up to 8 bytes at @off of @data (zero padded), as a little-endian u64. */
static uint64_t take64(const uint8_t *data, size_t size, size_t off, bool *present)
{
	uint8_t b[8] = { 0 };
	if (present)
		*present = size >= off + 8;
	if (size > off)
		memcpy(b, data + off, size - off < 8 ? size - off : 8);
	return get64(b);
}

static bool err_ok(const char *err)
{
	size_t n = strnlen(err, VMF_ERRLEN);
	return n > 0 && n < VMF_ERRLEN;
}

/* ---- 0: label + pv_header ------------------------------------------------- */

static bool same_areas(const struct vmf_area *a, const struct vmf_area *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i].offset != b[i].offset || a[i].size != b[i].size)
			return false;
	return true;
}

static bool same_pvh(const struct vmf_pv_header *a, const struct vmf_pv_header *b)
{
	return a->label_sector == b->label_sector && !memcmp(a->pv_id, b->pv_id, VMF_ID_LEN) &&
	       a->dev_size == b->dev_size && a->n_data == b->n_data && a->n_mda == b->n_mda &&
	       a->n_ba == b->n_ba && same_areas(a->data, b->data, a->n_data) &&
	       same_areas(a->mda, b->mda, a->n_mda) && same_areas(a->ba, b->ba, a->n_ba) &&
	       a->ext_version == b->ext_version && a->ext_flags == b->ext_flags;
}

static void fuzz_label(const uint8_t *data, size_t size)
{
	uint8_t buf[LABEL_BUF] = { 0 }, buf2[LABEL_BUF], sec[VMF_SECTOR], sec2[VMF_SECTOR];
	struct vmf_pv_header h, h2;
	char err[VMF_ERRLEN];
	uint64_t dev_size = take64(data, size, LABEL_BUF, NULL);

	memcpy(buf, data, size < LABEL_BUF ? size : LABEL_BUF);
	err[0] = 'x';
	int r = vmf_label_decode(buf, sizeof(buf), dev_size, &h, err);
	if (r) {
		CHECK(r == -EINVAL || r == -ENOENT, "decode returned %d", r);
		CHECK(err_ok(err), "no reason for %d", r);
		return;
	}
	CHECK(h.label_sector < VMF_LABEL_SCAN_SECTORS, "label sector %llu", (unsigned long long)h.label_sector);
	CHECK(vmf_id_valid(h.pv_id, VMF_ID_LEN), "invalid pv id accepted");
	CHECK(h.n_data <= VMF_MAX_AREAS && h.n_mda <= VMF_MAX_AREAS && h.n_ba <= VMF_MAX_AREAS, "area counts");
	for (unsigned i = 0; i < h.n_mda; i++) {
		CHECK(h.mda[i].offset && h.mda[i].size >= 1024, "mda %u: %llu+%llu", i,
		      (unsigned long long)h.mda[i].offset, (unsigned long long)h.mda[i].size);
		if (dev_size)
			CHECK(h.mda[i].offset < dev_size && h.mda[i].size <= dev_size - h.mda[i].offset,
			      "mda %u outside the device", i);
	}
	/* what decodes encodes, and decodes again to the same */
	r = vmf_label_encode(&h, sec);
	CHECK(!r, "a decoded label does not encode (%d)", r);
	memset(buf2, 0, sizeof(buf2));
	memcpy(buf2 + h.label_sector * VMF_SECTOR, sec, VMF_SECTOR);
	r = vmf_label_decode(buf2, sizeof(buf2), dev_size, &h2, err);
	CHECK(!r, "re-encoded label does not decode: %s", err);
	CHECK(same_pvh(&h, &h2), "re-encoded label decodes differently");
	CHECK(!vmf_label_encode(&h2, sec2), "second encode failed");
	CHECK(!memcmp(sec, sec2, VMF_SECTOR), "label encoding is not a fixed point");
}

/* ---- 1: mda_header and the ring ---------------------------------------------- */

static bool same_mdah(const struct vmf_mda_header *a, const struct vmf_mda_header *b)
{
	if (a->version != b->version || a->start != b->start || a->size != b->size)
		return false;
	for (int i = 0; i < 2; i++)
		if (a->slot[i].offset != b->slot[i].offset || a->slot[i].size != b->slot[i].size ||
		    a->slot[i].checksum != b->slot[i].checksum || a->slot[i].flags != b->slot[i].flags)
			return false;
	return true;
}

/* Distance from @b forward to @a on a ring of @n (both < n). */
static uint64_t ring_dist(uint64_t a, uint64_t b, uint64_t n)
{
	return a >= b ? a - b : a + (n - b);
}

static void check_pieces(uint64_t area, uint64_t off, uint64_t len)
{
	struct vmf_area p[2];
	int n = vmf_ring_pieces(area, off, len, p);
	CHECK(n == 1 || n == 2, "ring_pieces(%llu, %llu, %llu) = %d", (unsigned long long)area,
	      (unsigned long long)off, (unsigned long long)len, n);
	uint64_t total = 0;
	for (int i = 0; i < n; i++) {
		CHECK(p[i].offset >= VMF_MDA_HEADER_SIZE && p[i].offset <= area && p[i].size <= area - p[i].offset,
		      "piece %d (%llu+%llu) outside the ring of %llu", i, (unsigned long long)p[i].offset,
		      (unsigned long long)p[i].size, (unsigned long long)area);
		total += p[i].size;
	}
	CHECK(p[0].offset == off && total == len, "pieces do not add up");
	if (n == 2)
		CHECK(p[1].offset == VMF_MDA_HEADER_SIZE && p[0].offset + p[0].size == area, "wrap");
}

static void fuzz_mda(const uint8_t *data, size_t size)
{
	uint8_t buf[VMF_MDA_HEADER_SIZE] = { 0 }, buf2[VMF_MDA_HEADER_SIZE], buf3[VMF_MDA_HEADER_SIZE];
	struct vmf_mda_header h, h2;
	char err[VMF_ERRLEN];
	bool have_start, have_size;

	memcpy(buf, data, size < sizeof(buf) ? size : sizeof(buf));
	uint64_t start = take64(data, size, VMF_MDA_HEADER_SIZE, &have_start);
	uint64_t asize = take64(data, size, VMF_MDA_HEADER_SIZE + 8, &have_size);
	if (!have_start)
		start = get64(buf + 24);
	if (!have_size)
		asize = get64(buf + 32);
	err[0] = 'x';
	int r = vmf_mda_header_decode(buf, start, asize, &h, err);
	if (r) {
		CHECK(r == -EINVAL, "decode returned %d", r);
		CHECK(err_ok(err), "no reason");
		return;
	}
	CHECK(h.version == 1 && h.start == start && h.size == asize && h.size >= 1024, "header fields");
	vmf_mda_header_encode(&h, buf2);
	r = vmf_mda_header_decode(buf2, start, asize, &h2, err);
	CHECK(!r, "re-encoded header does not decode: %s", err);
	CHECK(same_mdah(&h, &h2), "re-encoded header decodes differently");
	vmf_mda_header_encode(&h2, buf3);
	CHECK(!memcmp(buf2, buf3, sizeof(buf2)), "mda_header encoding is not a fixed point");
	/* magic, fields and the two slots are encoded as they were read */
	CHECK(!memcmp(buf + 4, buf2 + 4, 36 + 2 * 24), "encoding changed a decoded field");

	/* the ring: a committed copy lies in it; a new copy goes beside it */
	uint64_t max = vmf_ring_max_text(h.size);
	uint64_t ring = h.size - VMF_MDA_HEADER_SIZE;
	CHECK(max < ring, "max_text %llu for a ring of %llu", (unsigned long long)max, (unsigned long long)ring);
	for (int i = 0; i < 2; i++) {
		const struct vmf_raw_locn *cur = &h.slot[i];
		if (!cur->size)
			continue;
		check_pieces(h.size, cur->offset, cur->size);
		/* new sizes from the input's last bytes, and the largest allowed */
		uint64_t want[3] = { 1, max, get64(buf + 504) % (max + 2) };
		for (int k = 0; k < 3; k++) {
			uint64_t off;
			if (!want[k])
				continue;
			r = vmf_ring_place(h.size, cur, want[k], &off);
			if (r) {
				CHECK(r == -ENOSPC || r == -EINVAL, "ring_place returned %d", r);
				CHECK(r != -EINVAL, "a decoded slot is not a valid ring location");
				continue;
			}
			CHECK(want[k] <= max, "placed %llu bytes, more than max_text %llu",
			      (unsigned long long)want[k], (unsigned long long)max);
			CHECK(off >= VMF_MDA_HEADER_SIZE && off < h.size && off % VMF_SECTOR == 0,
			      "new copy at %llu", (unsigned long long)off);
			check_pieces(h.size, off, want[k]);
			/* on the circle of the ring: no byte of the new copy on the old one */
			uint64_t o = cur->offset - VMF_MDA_HEADER_SIZE, n = off - VMF_MDA_HEADER_SIZE;
			CHECK(ring_dist(n, o, ring) >= cur->size && ring_dist(o, n, ring) >= want[k],
			      "new copy %llu+%llu overlaps the committed copy %llu+%llu (area %llu)",
			      (unsigned long long)off, (unsigned long long)want[k],
			      (unsigned long long)cur->offset, (unsigned long long)cur->size,
			      (unsigned long long)h.size);
		}
	}
}

/* ---- 2: text ------------------------------------------------------------------ */

/* Trees from the parser are at most VMT_MAX_DEPTH deep: recursion is bounded. */
static bool same_tree(const struct vmt_node *a, const struct vmt_node *b)
{
	for (; a && b; a = a->next, b = b->next) {
		if (a->type != b->type || !a->key != !b->key || (a->key && strcmp(a->key, b->key)))
			return false;
		switch (a->type) {
		case VMT_INT:
			if (a->num != b->num)
				return false;
			break;
		case VMT_STR:
			if (a->len != b->len || memcmp(a->str, b->str, a->len) || strlen(a->str) != a->len)
				return false;
			break;
		case VMT_FLOAT:
			if (strcmp(a->str, b->str))
				return false;
			break;
		case VMT_SECTION:
		case VMT_ARRAY:
			if (!same_tree(a->child, b->child))
				return false;
			break;
		default:
			return false;
		}
	}
	return !a && !b;
}

static void write_tree(struct vmt_buf *b, const struct vmt_tree *t)
{
	vmt_write_node(b, vmt_root(t), 0);
	CHECK(!b->oom, "out of memory writing");
}

static void fuzz_text(const uint8_t *data, size_t size)
{
	struct vmt_buf b1 = { 0 }, b2 = { 0 };
	struct vmt_tree *t1, *t2;
	char err[VMT_ERRLEN];

	int r = vmt_parse((const char *)data, size, &t1, err);
	if (r == -ENOMEM)
		return;
	if (r) {
		CHECK(r == -EINVAL && !strncmp(err, "line ", 5), "parse error %d without a line: %s", r, err);
		return;
	}
	write_tree(&b1, t1);
	r = vmt_parse(b1.p ? b1.p : "", b1.len, &t2, err);
	CHECK(!r, "written text does not parse: %s\n--- written:\n%.*s", err, (int)b1.len, b1.p);
	CHECK(same_tree(vmt_root(t1), vmt_root(t2)), "round trip changed the tree");
	write_tree(&b2, t2);
	CHECK(b1.len == b2.len && (!b1.len || !memcmp(b1.p, b2.p, b1.len)), "writer output is not a fixed point");
	vmt_buf_free(&b1);
	vmt_buf_free(&b2);
	vmt_free(t1);
	vmt_free(t2);
}

/* ---- 3: VG import / export ------------------------------------------------------ */

static void export_to(const struct vmf_vg *vg, struct vmt_buf *b, bool backup)
{
	vmf_vg_export(vg, b, backup);
	CHECK(!b->oom, "out of memory exporting");
	CHECK(b->p && strlen(b->p) == b->len, "export holds a NUL");
}

static void fuzz_vg(const uint8_t *data, size_t size)
{
	struct vmf_vg *vg, *vg2, *vg3;
	struct vmt_buf e1 = { 0 }, e2 = { 0 }, bk = { 0 }, e3 = { 0 };
	char err[VMF_ERRLEN];

	err[0] = '\0';
	int r = vmf_vg_from_text((const char *)data, size, &vg, err);
	if (r == -ENOMEM)
		return;
	if (r) {
		CHECK(r == -EINVAL && err_ok(err), "import refused (%d) without a reason", r);
		return;
	}
	r = vmf_vg_validate(vg, err);
	CHECK(!r, "an imported VG does not validate: %s", err);
	struct vmf_pvmap *maps;
	CHECK(!vmf_vg_pvmaps(vg, &maps, err), "pvmaps: %s", err);
	for (uint32_t p = 0; p < vg->npv; p++)
		CHECK(maps[p].used_count <= vg->pvs[p].pe_count, "pv%u uses more extents than it has", p);
	vmf_pvmaps_free(maps, vg->npv);

	export_to(vg, &e1, false);
	export_to(vg, &bk, true);
	vmf_vg_free(vg);

	r = vmf_vg_from_text(e1.p, e1.len, &vg2, err);
	CHECK(!r, "the export of a valid VG does not import: %s\n--- export:\n%s", err, e1.p);
	export_to(vg2, &e2, false);
	vmf_vg_free(vg2);
	CHECK(e1.len == e2.len && !memcmp(e1.p, e2.p, e1.len),
	      "export -> import -> export differs\n--- first:\n%s\n--- second:\n%s", e1.p, e2.p);

	r = vmf_vg_from_text(bk.p, bk.len, &vg3, err);
	CHECK(!r, "the backup form does not import: %s\n--- backup:\n%s", err, bk.p);
	export_to(vg3, &e3, false);
	vmf_vg_free(vg3);
	CHECK(e1.len == e3.len && !memcmp(e1.p, e3.p, e1.len),
	      "the backup form imports to another VG\n--- export:\n%s\n--- from backup:\n%s", e1.p, e3.p);

	vmt_buf_free(&e1);
	vmt_buf_free(&e2);
	vmt_buf_free(&e3);
	vmt_buf_free(&bk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	uint8_t sel = data[0] % 4;
	data++;
	size--;
	switch (sel) {
	case 0:
		fuzz_label(data, size);
		break;
	case 1:
		fuzz_mda(data, size);
		break;
	case 2:
		fuzz_text(data, size);
		break;
	case 3:
		fuzz_vg(data, size);
		break;
	}
	return 0;
}
