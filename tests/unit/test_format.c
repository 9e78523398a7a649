/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for metadata/format.c: checksum, label/pv_header, mda_header,
 * the metadata ring and ids. Every validation rule is exercised by a
 * structure that is corrupted and then given a valid checksum again, so the
 * rule itself (not the crc) must catch it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "format.h"

#define MIB        (1024ull * 1024)
#define AREA_1M    1044480ull           /* default mda: 4096 up to pe_start 1 MiB */
#define DEV_SIZE   (256 * MIB)
#define GOOD_ID    "0123456789abcdefghijABCDEFGHIJ!#"

/* ---- helpers ------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64: deterministic, so a failure reproduces */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* zlib's crc32, bit by bit: the independent reference for vmf_crc. */
static uint32_t zlib_crc32_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ ((crc & 1u) ? 0xEDB88320u : 0);
	}
	return ~crc;
}

static void fix_label_crc(uint8_t *sec)
{
	put32(sec + 16, vmf_crc(VMF_INITIAL_CRC, sec + 20, VMF_SECTOR - 20));
}

static void fix_mda_crc(uint8_t *buf)
{
	put32(buf, vmf_crc(VMF_INITIAL_CRC, buf + 4, VMF_MDA_HEADER_SIZE - 4));
}

static void assert_err(const char *err, const char *want)
{
	assert_true(err[0] != '\0');
	assert_true(strlen(err) < VMF_ERRLEN);
	assert_null(strchr(err, '\n'));
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not mention \"%s\"", err, want);
}

/* The lvm2 default: one data area at 1 MiB, one 1020 KiB mda at 4096, in a VG. */
static struct vmf_pv_header default_pvh(void)
{
	struct vmf_pv_header h;

	memset(&h, 0, sizeof(h));
	h.label_sector = VMF_LABEL_SECTOR;
	memcpy(h.pv_id, GOOD_ID, VMF_ID_LEN);
	h.dev_size = DEV_SIZE;
	h.n_data = 1;
	h.data[0] = (struct vmf_area){ MIB, 0 };
	h.n_mda = 1;
	h.mda[0] = (struct vmf_area){ 4096, AREA_1M };
	h.ext_version = VMF_PVH_EXT_VERSION;
	h.ext_flags = VMF_PVH_FLAG_IN_VG;
	return h;
}

static void assert_pvh_equal(const struct vmf_pv_header *a, const struct vmf_pv_header *b)
{
	assert_int_equal(a->label_sector, b->label_sector);
	assert_memory_equal(a->pv_id, b->pv_id, VMF_ID_LEN);
	assert_int_equal(a->dev_size, b->dev_size);
	assert_int_equal(a->n_data, b->n_data);
	assert_int_equal(a->n_mda, b->n_mda);
	assert_int_equal(a->n_ba, b->n_ba);
	assert_memory_equal(a->data, b->data, a->n_data * sizeof(a->data[0]));
	assert_memory_equal(a->mda, b->mda, a->n_mda * sizeof(a->mda[0]));
	assert_memory_equal(a->ba, b->ba, a->n_ba * sizeof(a->ba[0]));
	assert_int_equal(a->ext_version, b->ext_version);
	assert_int_equal(a->ext_flags, b->ext_flags);
}

/* Encode @h into sector h->label_sector of a zeroed 4-sector buffer. */
static void encode_into(uint8_t buf[4 * VMF_SECTOR], const struct vmf_pv_header *h)
{
	memset(buf, 0, 4 * VMF_SECTOR);
	assert_int_equal(vmf_label_encode(h, buf + h->label_sector * VMF_SECTOR), 0);
}

static void roundtrip(const struct vmf_pv_header *h)
{
	uint8_t buf[4 * VMF_SECTOR];
	struct vmf_pv_header out;
	char err[VMF_ERRLEN];

	encode_into(buf, h);
	assert_int_equal(vmf_label_decode(buf, sizeof(buf), DEV_SIZE, &out, err), 0);
	assert_string_equal(err, "");
	assert_pvh_equal(&out, h);
}

/* Sector 1 of @buf after corruption: give it a valid crc, then expect -EINVAL. */
static void expect_label_einval(uint8_t *buf, uint64_t dev_size, const char *want)
{
	struct vmf_pv_header out;
	char err[VMF_ERRLEN];

	fix_label_crc(buf + VMF_SECTOR);
	assert_int_equal(vmf_label_decode(buf, 4 * VMF_SECTOR, dev_size, &out, err), -EINVAL);
	assert_err(err, want);
}

/*
 * A hand-made label in sector 1 with its pv_header at @pvh_off; returns the
 * position after the id and device size, where the lists start.
 */
static unsigned raw_label(uint8_t buf[4 * VMF_SECTOR], uint32_t pvh_off)
{
	uint8_t *sec = buf + VMF_SECTOR;

	memset(buf, 0, 4 * VMF_SECTOR);
	memcpy(sec, VMF_LABEL_ID, 8);
	put64(sec + 8, 1);
	put32(sec + 20, pvh_off);
	memcpy(sec + 24, VMF_LABEL_TYPE, 8);
	memcpy(sec + pvh_off, GOOD_ID, VMF_ID_LEN);
	put64(sec + pvh_off + VMF_ID_LEN, DEV_SIZE);
	return pvh_off + VMF_ID_LEN + 8;
}

static unsigned put_locn(uint8_t *buf, unsigned pos, uint64_t off, uint64_t size)
{
	put64(buf + VMF_SECTOR + pos, off);
	put64(buf + VMF_SECTOR + pos + 8, size);
	return pos + 16;
}

/* Offsets inside the default label (see test_label_default_layout). */
#define DATA0_OFF   72u
#define DATA0_SIZE  80u
#define MDA0_OFF    104u
#define MDA0_SIZE   112u
#define EXT_VER     136u
#define BA_LIST     144u

/* ---- checksum ------------------------------------------------------------ */

static void test_crc_empty_is_initial(void **state)
{
	(void)state;
	assert_int_equal(vmf_crc(VMF_INITIAL_CRC, "", 0), VMF_INITIAL_CRC);
	assert_int_equal(vmf_crc(0, "", 0), 0);
	assert_int_equal(vmf_crc(0xdeadbeef, NULL, 0), 0xdeadbeef);
}

static void test_crc_check_vector(void **state)
{
	(void)state;
	/* CRC-32 of "123456789" is 0xcbf43926 (zlib); ours is its complement from ~0. */
	assert_int_equal(vmf_crc(0xffffffffu, "123456789", 9), ~0xcbf43926u);
}

static void test_crc_equals_complemented_zlib(void **state)
{
	size_t big = MIB + 13;
	uint8_t *buf = malloc(big);

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < big; i++)
		buf[i] = (uint8_t)rnd();
	/* every alignment and every tail length of the slicing loop */
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len < 300; len++) {
			uint32_t init = (len & 1) ? VMF_INITIAL_CRC : (uint32_t)rnd();

			assert_int_equal(vmf_crc(init, buf + off, len),
					 ~zlib_crc32_bitwise(~init, buf + off, len));
		}
	assert_int_equal(vmf_crc(VMF_INITIAL_CRC, buf, big),
			 ~zlib_crc32_bitwise(~VMF_INITIAL_CRC, buf, big));
	free(buf);
}

static void test_crc_chains(void **state)
{
	uint8_t buf[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	/* a wrapped text is checksummed piece by piece */
	for (size_t cut = 0; cut <= sizeof(buf); cut += 123)
		assert_int_equal(vmf_crc(vmf_crc(VMF_INITIAL_CRC, buf, cut), buf + cut,
					 sizeof(buf) - cut),
				 vmf_crc(VMF_INITIAL_CRC, buf, sizeof(buf)));
}

/* ---- label: layout and round trips ----------------------------------------- */

static void test_label_default_layout(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];
	const uint8_t *sec = buf + VMF_SECTOR;

	(void)state;
	encode_into(buf, &h);
	assert_memory_equal(sec, "LABELONE", 8);
	assert_int_equal(get32(sec + 8), 1);
	assert_int_equal(get32(sec + 20), 32);
	assert_memory_equal(sec + 24, "LVM2 001", 8);
	assert_memory_equal(sec + 32, GOOD_ID, 32);
	assert_int_equal(get32(sec + DATA0_OFF), MIB);
	assert_int_equal(get32(sec + MDA0_OFF), 4096);
	assert_int_equal(get32(sec + MDA0_SIZE), AREA_1M);
	assert_int_equal(get32(sec + EXT_VER), 2);
	assert_int_equal(get32(sec + EXT_VER + 4), 1);
	assert_int_equal(get32(sec + 16), vmf_crc(VMF_INITIAL_CRC, sec + 20, 492));
	/* 32 + 32 + 8 + 16*2 + 16*2 + 8 + 16 = 160: nothing after that */
	for (unsigned i = BA_LIST; i < VMF_SECTOR; i++)
		assert_int_equal(sec[i], 0);
	assert_int_not_equal(sec[EXT_VER], 0);
	/* the other sectors are left alone */
	for (unsigned i = 0; i < VMF_SECTOR; i++)
		assert_int_equal(buf[i], 0);
}

static void test_label_roundtrip_default(void **state)
{
	struct vmf_pv_header h = default_pvh();

	(void)state;
	roundtrip(&h);
	h.ext_flags = 0;     /* orphan */
	roundtrip(&h);
}

static void test_label_roundtrip_several_areas(void **state)
{
	struct vmf_pv_header h = default_pvh();

	(void)state;
	h.n_data = 3;
	h.data[1] = (struct vmf_area){ 100 * MIB, 50 * MIB };
	h.data[2] = (struct vmf_area){ 200 * MIB, 0 };
	h.n_mda = 2;
	h.mda[1] = (struct vmf_area){ DEV_SIZE - AREA_1M, AREA_1M };
	h.n_ba = 2;
	h.ba[0] = (struct vmf_area){ 2 * MIB, MIB };
	h.ba[1] = (struct vmf_area){ 4 * MIB, 4096 };
	roundtrip(&h);
	h.n_ba = 0;
	roundtrip(&h);
}

static void test_label_roundtrip_maximal(void **state)
{
	struct vmf_pv_header h = default_pvh();

	(void)state;
	h.n_data = h.n_mda = h.n_ba = VMF_MAX_AREAS;
	for (unsigned i = 0; i < VMF_MAX_AREAS; i++) {
		h.data[i] = (struct vmf_area){ (10 + i) * MIB, MIB };
		h.mda[i] = (struct vmf_area){ (30 + i) * MIB, MIB };
		h.ba[i] = (struct vmf_area){ (50 + i) * MIB, MIB };
	}
	roundtrip(&h);
}

static void test_label_roundtrip_no_extension(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	h.ext_version = 0;
	h.ext_flags = 0;
	roundtrip(&h);
	encode_into(buf, &h);
	for (unsigned i = EXT_VER; i < VMF_SECTOR; i++)
		assert_int_equal(buf[VMF_SECTOR + i], 0);
}

static void test_label_other_ext_versions_recorded(void **state)
{
	struct vmf_pv_header h = default_pvh();

	(void)state;
	h.ext_version = 1;
	roundtrip(&h);
	h.ext_version = 7;
	roundtrip(&h);
}

static void test_label_encode_rejects(void **state)
{
	struct vmf_pv_header h;
	uint8_t sec[VMF_SECTOR];

	(void)state;
	h = default_pvh(); h.n_data = VMF_MAX_AREAS + 1;
	assert_int_equal(vmf_label_encode(&h, sec), -EINVAL);
	h = default_pvh(); h.n_mda = VMF_MAX_AREAS + 1;
	assert_int_equal(vmf_label_encode(&h, sec), -EINVAL);
	h = default_pvh(); h.n_ba = VMF_MAX_AREAS + 1;
	assert_int_equal(vmf_label_encode(&h, sec), -EINVAL);
	h = default_pvh(); h.ext_version = 0; h.n_ba = 1; h.ba[0] = (struct vmf_area){ MIB, MIB };
	assert_int_equal(vmf_label_encode(&h, sec), -EINVAL);
	h = default_pvh(); h.label_sector = VMF_LABEL_SCAN_SECTORS;
	assert_int_equal(vmf_label_encode(&h, sec), -EINVAL);
	h = default_pvh(); h.pv_id[3] = '-';
	assert_int_equal(vmf_label_encode(&h, sec), -EINVAL);
	h = default_pvh(); h.mda[0].size = 1023;
	assert_int_equal(vmf_label_encode(&h, sec), -EINVAL);
	h = default_pvh(); h.data[0].offset = 0;     /* would read back as a terminator */
	assert_int_equal(vmf_label_encode(&h, sec), -EINVAL);
	h = default_pvh(); h.data[0] = (struct vmf_area){ UINT64_MAX, 2 };
	assert_int_equal(vmf_label_encode(&h, sec), -EINVAL);
}

/* ---- label: scanning ----------------------------------------------------------- */

static void test_label_found_in_each_sector(void **state)
{
	(void)state;
	for (unsigned s = 0; s < VMF_LABEL_SCAN_SECTORS; s++) {
		struct vmf_pv_header h = default_pvh(), out;
		uint8_t buf[4 * VMF_SECTOR];
		char err[VMF_ERRLEN];

		h.label_sector = s;
		encode_into(buf, &h);
		assert_int_equal(vmf_label_decode(buf, sizeof(buf), DEV_SIZE, &out, err), 0);
		assert_int_equal(out.label_sector, s);
		assert_pvh_equal(&out, &h);
	}
}

static void test_label_not_found(void **state)
{
	uint8_t buf[4 * VMF_SECTOR] = { 0 };
	struct vmf_pv_header out;
	char err[VMF_ERRLEN];

	(void)state;
	assert_int_equal(vmf_label_decode(buf, sizeof(buf), DEV_SIZE, &out, err), -ENOENT);
	assert_int_equal(vmf_label_decode(buf, sizeof(buf), 0, &out, NULL), -ENOENT);
	/* "LABELONE" must sit at the start of a sector */
	memcpy(buf + VMF_SECTOR + 8, VMF_LABEL_ID, 8);
	assert_int_equal(vmf_label_decode(buf, sizeof(buf), DEV_SIZE, &out, err), -ENOENT);
}

static void test_label_short_buffer(void **state)
{
	struct vmf_pv_header h = default_pvh(), out;
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	h.label_sector = 3;
	encode_into(buf, &h);
	assert_int_equal(vmf_label_decode(buf, 3 * VMF_SECTOR, DEV_SIZE, &out, NULL), -ENOENT);
	assert_int_equal(vmf_label_decode(buf, 4 * VMF_SECTOR - 1, DEV_SIZE, &out, NULL), -ENOENT);
	h.label_sector = 1;
	encode_into(buf, &h);
	assert_int_equal(vmf_label_decode(buf, 2 * VMF_SECTOR, DEV_SIZE, &out, NULL), 0);
	assert_int_equal(vmf_label_decode(buf, 2 * VMF_SECTOR - 1, DEV_SIZE, &out, NULL), -ENOENT);
	assert_int_equal(vmf_label_decode(buf, 100, DEV_SIZE, &out, NULL), -ENOENT);
	assert_int_equal(vmf_label_decode(buf, 0, DEV_SIZE, &out, NULL), -ENOENT);
}

static void test_label_bad_copy_skipped_for_good_one(void **state)
{
	struct vmf_pv_header h = default_pvh(), out;
	uint8_t buf[4 * VMF_SECTOR];
	char err[VMF_ERRLEN];

	(void)state;
	/* stale labels in sector 0, the real one in sector 1: lvm2 skips bad ones */
	encode_into(buf, &h);
	memcpy(buf, buf + VMF_SECTOR, VMF_SECTOR);      /* records sector 1 */
	assert_int_equal(vmf_label_decode(buf, sizeof(buf), DEV_SIZE, &out, err), 0);
	assert_int_equal(out.label_sector, 1);
	assert_string_equal(err, "");
	put64(buf + 8, 0);                              /* right sector, bad crc */
	buf[400] ^= 1;
	assert_int_equal(vmf_label_decode(buf, sizeof(buf), DEV_SIZE, &out, err), 0);
	assert_int_equal(out.label_sector, 1);
	assert_string_equal(err, "");
	/* with no good copy, the first failure is reported */
	memset(buf + VMF_SECTOR, 0, VMF_SECTOR);
	assert_int_equal(vmf_label_decode(buf, sizeof(buf), DEV_SIZE, &out, err), -EINVAL);
	assert_err(err, "label in sector 0: checksum mismatch");
}

static void test_label_recorded_dev_size_may_differ(void **state)
{
	struct vmf_pv_header h = default_pvh(), out;
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	/* the recorded size is smaller than the areas, the real device is big enough */
	h.dev_size = 2 * MIB;
	h.data[0].size = 100 * MIB;
	encode_into(buf, &h);
	assert_int_equal(vmf_label_decode(buf, sizeof(buf), DEV_SIZE, &out, NULL), 0);
	assert_int_equal(out.dev_size, 2 * MIB);
	/* an unknown real size skips the bounds checks */
	h.data[0].size = 1000 * DEV_SIZE;
	encode_into(buf, &h);
	assert_int_equal(vmf_label_decode(buf, sizeof(buf), 0, &out, NULL), 0);
}

static void test_label_zero_version_means_no_extension(void **state)
{
	uint8_t buf[4 * VMF_SECTOR];
	struct vmf_pv_header out;
	unsigned pos;

	(void)state;
	/* lists end at byte 508: only the version fits, and it is 0 */
	pos = raw_label(buf, 404);
	pos = put_locn(buf, pos, MIB, 0) + 16;
	pos = put_locn(buf, pos, 4096, AREA_1M) + 16;
	assert_int_equal(pos, 508);
	fix_label_crc(buf + VMF_SECTOR);
	assert_int_equal(vmf_label_decode(buf, sizeof(buf), DEV_SIZE, &out, NULL), 0);
	assert_int_equal(out.ext_version, 0);
	assert_int_equal(out.n_mda, 1);
}

/* ---- label: each validation rule, under a valid crc ---------------------------------- */

static void test_label_crc_mismatch(void **state)
{
	struct vmf_pv_header h = default_pvh(), out;
	uint8_t buf[4 * VMF_SECTOR];
	char err[VMF_ERRLEN];

	(void)state;
	encode_into(buf, &h);
	buf[VMF_SECTOR + 300] ^= 1;
	assert_int_equal(vmf_label_decode(buf, sizeof(buf), DEV_SIZE, &out, err), -EINVAL);
	assert_err(err, "label in sector 1: checksum mismatch (stored 0x");
}

static void test_label_sector_mismatch(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	encode_into(buf, &h);
	put64(buf + VMF_SECTOR + 8, 2);
	expect_label_einval(buf, DEV_SIZE, "records sector 2");
}

static void test_label_wrong_type(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	encode_into(buf, &h);
	memcpy(buf + VMF_SECTOR + 24, "LVM1 001", 8);
	expect_label_einval(buf, DEV_SIZE, "type");
}

static void test_label_pvh_offset_past_sector(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	encode_into(buf, &h);
	put32(buf + VMF_SECTOR + 20, 480);
	expect_label_einval(buf, DEV_SIZE, "pv_header offset 480");
	put32(buf + VMF_SECTOR + 20, 0xfffffff0u);
	expect_label_einval(buf, DEV_SIZE, "pv_header offset");
	/* 457: id, size and a terminator no longer fit */
	put32(buf + VMF_SECTOR + 20, 457);
	expect_label_einval(buf, DEV_SIZE, "pv_header offset 457");
}

static void test_label_pvh_offset_inside_label_header(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	encode_into(buf, &h);
	put32(buf + VMF_SECTOR + 20, 8);
	expect_label_einval(buf, DEV_SIZE, "pv_header offset 8");
}

static void test_label_unterminated_data_list(void **state)
{
	uint8_t buf[4 * VMF_SECTOR];
	unsigned pos = raw_label(buf, 400);

	(void)state;
	for (unsigned i = 0; pos + 16 <= VMF_SECTOR; i++)
		pos = put_locn(buf, pos, (i + 1) * MIB, 0);
	expect_label_einval(buf, DEV_SIZE, "data area list has no terminator");
}

static void test_label_unterminated_mda_list(void **state)
{
	uint8_t buf[4 * VMF_SECTOR];
	unsigned pos = raw_label(buf, 384);

	(void)state;
	pos = put_locn(buf, pos, MIB, 0) + 16;
	while (pos + 16 <= VMF_SECTOR)
		pos = put_locn(buf, pos, 4096, AREA_1M);
	expect_label_einval(buf, DEV_SIZE, "metadata area list has no terminator");
}

static void test_label_unterminated_ba_list(void **state)
{
	uint8_t buf[4 * VMF_SECTOR];
	unsigned pos = raw_label(buf, 300);

	(void)state;
	pos = put_locn(buf, pos, MIB, 0) + 16;
	pos = put_locn(buf, pos, 4096, AREA_1M) + 16;
	put32(buf + VMF_SECTOR + pos, 2);
	pos += 8;
	for (unsigned i = 0; pos + 16 <= VMF_SECTOR; i++)
		pos = put_locn(buf, pos, (10 + i) * MIB, MIB);
	expect_label_einval(buf, DEV_SIZE, "bootloader area list has no terminator");
}

static void test_label_extension_cut_off(void **state)
{
	uint8_t buf[4 * VMF_SECTOR];
	unsigned pos = raw_label(buf, 404);

	(void)state;
	pos = put_locn(buf, pos, MIB, 0) + 16;
	pos = put_locn(buf, pos, 4096, AREA_1M) + 16;
	put32(buf + VMF_SECTOR + pos, 2);   /* version at 508, no room for the flags */
	expect_label_einval(buf, DEV_SIZE, "extension cut off");
}

static void test_label_too_many_data_areas(void **state)
{
	uint8_t buf[4 * VMF_SECTOR];
	unsigned pos = raw_label(buf, 32);

	(void)state;
	for (unsigned i = 0; i <= VMF_MAX_AREAS; i++)
		pos = put_locn(buf, pos, (i + 1) * MIB, MIB);
	pos = put_locn(buf, pos + 16, 4096, AREA_1M);
	expect_label_einval(buf, DEV_SIZE, "more than 8 data areas");
}

static void test_label_too_many_mdas(void **state)
{
	uint8_t buf[4 * VMF_SECTOR];
	unsigned pos = raw_label(buf, 32);

	(void)state;
	pos = put_locn(buf, pos, MIB, 0) + 16;
	for (unsigned i = 0; i <= VMF_MAX_AREAS; i++)
		pos = put_locn(buf, pos, (i + 1) * MIB, MIB);
	expect_label_einval(buf, DEV_SIZE, "more than 8 metadata areas");
}

static void test_label_entry_offset0_with_size(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	encode_into(buf, &h);
	put64(buf + VMF_SECTOR + DATA0_OFF, 0);
	put64(buf + VMF_SECTOR + DATA0_SIZE, MIB);
	expect_label_einval(buf, DEV_SIZE, "offset 0 and size");
}

static void test_label_mda_size_zero(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	encode_into(buf, &h);
	put64(buf + VMF_SECTOR + MDA0_SIZE, 0);
	expect_label_einval(buf, DEV_SIZE, "metadata area 0 (offset 4096, size 0) is too small");
}

static void test_label_mda_size_too_small(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	encode_into(buf, &h);
	put64(buf + VMF_SECTOR + MDA0_SIZE, 1023);
	expect_label_einval(buf, DEV_SIZE, "is too small");
	put64(buf + VMF_SECTOR + MDA0_SIZE, 512);
	expect_label_einval(buf, 0, "is too small");
}

static void test_label_mda_outside_device(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	encode_into(buf, &h);
	put64(buf + VMF_SECTOR + MDA0_OFF, DEV_SIZE - 4096);
	expect_label_einval(buf, DEV_SIZE, "metadata area 0");
	expect_label_einval(buf, DEV_SIZE, "outside the device");
	/* the real device, not the recorded size, is the bound */
	h.n_data = 0;
	encode_into(buf, &h);
	expect_label_einval(buf, 512 * 1024, "metadata area 0 (offset 4096, size 1044480) lies outside");
}

static void test_label_mda_overflow(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	encode_into(buf, &h);
	put64(buf + VMF_SECTOR + MDA0_OFF, UINT64_MAX - 1000);
	expect_label_einval(buf, 0, "metadata area 0");
	expect_label_einval(buf, 0, "overflows");
}

static void test_label_data_outside_device(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	/* {offset, 0} starting at or past the end */
	encode_into(buf, &h);
	put64(buf + VMF_SECTOR + DATA0_OFF, DEV_SIZE);
	expect_label_einval(buf, DEV_SIZE, "data area 0 (offset 268435456, size 0) lies outside the device");
	/* offset inside, end outside */
	encode_into(buf, &h);
	put64(buf + VMF_SECTOR + DATA0_SIZE, DEV_SIZE);
	expect_label_einval(buf, DEV_SIZE, "data area 0");
	expect_label_einval(buf, DEV_SIZE, "outside the device");
}

static void test_label_data_overflow(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	encode_into(buf, &h);
	put64(buf + VMF_SECTOR + DATA0_SIZE, UINT64_MAX);
	/* checked even when the device size is unknown */
	expect_label_einval(buf, 0, "data area 0");
	expect_label_einval(buf, 0, "overflows");
}

static void test_label_ba_outside_device(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];

	(void)state;
	h.n_ba = 1;
	h.ba[0] = (struct vmf_area){ 2 * MIB, MIB };
	encode_into(buf, &h);
	put64(buf + VMF_SECTOR + BA_LIST + 8, DEV_SIZE);
	expect_label_einval(buf, DEV_SIZE, "bootloader area 0");
	put64(buf + VMF_SECTOR + BA_LIST + 8, UINT64_MAX);
	expect_label_einval(buf, 0, "overflows");
}

static void test_label_bad_id(void **state)
{
	struct vmf_pv_header h = default_pvh();
	uint8_t buf[4 * VMF_SECTOR];
	const char bad[] = { '-', ' ', '\0', '_', '$', (char)0xc3, '\n' };

	(void)state;
	for (size_t i = 0; i < sizeof(bad); i++) {
		encode_into(buf, &h);
		buf[VMF_SECTOR + 32 + (i * 5) % 32] = (uint8_t)bad[i];
		expect_label_einval(buf, DEV_SIZE, "pv id");
	}
}

/*
 * Random damage under a valid crc: never a crash (ASan/UBSan watch), and
 * whatever is accepted is sane and survives encode + decode unchanged.
 */
static void test_label_random_damage(void **state)
{
	struct vmf_pv_header h = default_pvh(), out, again;
	uint8_t good[4 * VMF_SECTOR], buf[4 * VMF_SECTOR];
	unsigned accepted = 0;

	(void)state;
	h.n_ba = 1;
	h.ba[0] = (struct vmf_area){ 2 * MIB, MIB };
	encode_into(good, &h);
	for (int n = 0; n < 20000; n++) {
		char err[VMF_ERRLEN];
		int r;

		memcpy(buf, good, sizeof(buf));
		for (int k = 1 + (int)(rnd() % 8); k > 0; k--) {
			unsigned at = 20 + (unsigned)(rnd() % (VMF_SECTOR - 20));

			buf[VMF_SECTOR + at] = (rnd() & 1) ? (uint8_t)rnd() : 0;
		}
		if (rnd() % 8 == 0)
			put32(buf + VMF_SECTOR + 20, (uint32_t)(rnd() % 600));
		fix_label_crc(buf + VMF_SECTOR);
		r = vmf_label_decode(buf, sizeof(buf), (rnd() & 1) ? DEV_SIZE : 0, &out, err);
		if (r) {
			assert_int_equal(r, -EINVAL);
			assert_err(err, "label in sector 1: ");
			continue;
		}
		accepted++;
		assert_true(out.n_data <= VMF_MAX_AREAS && out.n_mda <= VMF_MAX_AREAS &&
			    out.n_ba <= VMF_MAX_AREAS);
		assert_true(vmf_id_valid(out.pv_id, VMF_ID_LEN));
		encode_into(buf, &out);
		assert_int_equal(vmf_label_decode(buf, sizeof(buf), 0, &again, NULL), 0);
		assert_pvh_equal(&again, &out);
	}
	assert_true(accepted > 0);
}

/* ---- mda_header -------------------------------------------------------------------- */

static struct vmf_mda_header default_mdah(void)
{
	struct vmf_mda_header h;

	memset(&h, 0, sizeof(h));
	h.version = 1;
	h.start = 4096;
	h.size = AREA_1M;
	h.slot[0] = (struct vmf_raw_locn){ 512, 1234, 0xdeadbeef, 0 };
	return h;
}

static void mda_roundtrip(const struct vmf_mda_header *h)
{
	uint8_t buf[VMF_MDA_HEADER_SIZE];
	struct vmf_mda_header out;
	char err[VMF_ERRLEN];

	vmf_mda_header_encode(h, buf);
	assert_int_equal(vmf_mda_header_decode(buf, h->start, h->size, &out, err), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.version, h->version);
	assert_int_equal(out.start, h->start);
	assert_int_equal(out.size, h->size);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(out.slot[i].offset, h->slot[i].offset);
		assert_int_equal(out.slot[i].size, h->slot[i].size);
		assert_int_equal(out.slot[i].checksum, h->slot[i].checksum);
		assert_int_equal(out.slot[i].flags, h->slot[i].flags);
	}
}

static void expect_mda_einval(uint8_t *buf, uint64_t start, uint64_t size, const char *want)
{
	struct vmf_mda_header out;
	char err[VMF_ERRLEN];

	fix_mda_crc(buf);
	assert_int_equal(vmf_mda_header_decode(buf, start, size, &out, err), -EINVAL);
	assert_err(err, want);
}

static void test_mda_layout(void **state)
{
	struct vmf_mda_header h = default_mdah();
	uint8_t buf[VMF_MDA_HEADER_SIZE];

	(void)state;
	vmf_mda_header_encode(&h, buf);
	assert_int_equal(get32(buf), vmf_crc(VMF_INITIAL_CRC, buf + 4, 508));
	assert_memory_equal(buf + 4, " LVM2 x[5A%r0N*>", 16);
	assert_int_equal(get32(buf + 20), 1);
	assert_int_equal(get32(buf + 24), 4096);
	assert_int_equal(get32(buf + 32), AREA_1M);
	assert_int_equal(get32(buf + 40), 512);
	assert_int_equal(get32(buf + 48), 1234);
	assert_int_equal(get32(buf + 56), 0xdeadbeef);
	for (unsigned i = 64; i < VMF_MDA_HEADER_SIZE; i++)
		assert_int_equal(buf[i], 0);
}

static void test_mda_roundtrip(void **state)
{
	struct vmf_mda_header h = default_mdah();

	(void)state;
	mda_roundtrip(&h);
	/* precommitted copy, wrapping */
	h.slot[1] = (struct vmf_raw_locn){ AREA_1M - 512, 4000, 0x12345678, 0 };
	mda_roundtrip(&h);
	/* empty ring */
	memset(h.slot, 0, sizeof(h.slot));
	mda_roundtrip(&h);
	/* ignored area: slot 0 {0,0,0,1} is no terminator and holds no text */
	h.slot[0].flags = VMF_RLOCN_IGNORED;
	mda_roundtrip(&h);
	/* lvm2 reads slot 1 by position even behind an empty slot 0 */
	h.slot[0].flags = 0;
	h.slot[1] = (struct vmf_raw_locn){ 512, 700, 1, 0 };
	mda_roundtrip(&h);
	/* a whole-ring copy is still readable */
	h.slot[0] = (struct vmf_raw_locn){ 1024, AREA_1M - 512, 2, 0 };
	mda_roundtrip(&h);
}

static void test_mda_crc_mismatch(void **state)
{
	struct vmf_mda_header h = default_mdah(), out;
	uint8_t buf[VMF_MDA_HEADER_SIZE];
	char err[VMF_ERRLEN];

	(void)state;
	vmf_mda_header_encode(&h, buf);
	buf[200] ^= 0x80;
	assert_int_equal(vmf_mda_header_decode(buf, 4096, AREA_1M, &out, err), -EINVAL);
	assert_err(err, "mda_header at 4096: checksum mismatch (stored 0x");
}

static void test_mda_bad_magic(void **state)
{
	struct vmf_mda_header h = default_mdah();
	uint8_t buf[VMF_MDA_HEADER_SIZE];

	(void)state;
	vmf_mda_header_encode(&h, buf);
	buf[10] = 'y';
	expect_mda_einval(buf, 4096, AREA_1M, "magic");
}

static void test_mda_bad_version(void **state)
{
	struct vmf_mda_header h = default_mdah();
	uint8_t buf[VMF_MDA_HEADER_SIZE];

	(void)state;
	vmf_mda_header_encode(&h, buf);
	put32(buf + 20, 2);
	expect_mda_einval(buf, 4096, AREA_1M, "version 2");
	put32(buf + 20, 0);
	expect_mda_einval(buf, 4096, AREA_1M, "version 0");
}

static void test_mda_start_mismatch(void **state)
{
	struct vmf_mda_header h = default_mdah();
	uint8_t buf[VMF_MDA_HEADER_SIZE];

	(void)state;
	vmf_mda_header_encode(&h, buf);
	put64(buf + 24, 8192);
	expect_mda_einval(buf, 4096, AREA_1M, "records start 8192");
}

static void test_mda_size_mismatch(void **state)
{
	struct vmf_mda_header h = default_mdah();
	uint8_t buf[VMF_MDA_HEADER_SIZE];

	(void)state;
	vmf_mda_header_encode(&h, buf);
	put64(buf + 32, 2 * AREA_1M);
	expect_mda_einval(buf, 4096, AREA_1M, "records size 2088960");
}

static void test_mda_area_too_small(void **state)
{
	struct vmf_mda_header h = default_mdah();
	uint8_t buf[VMF_MDA_HEADER_SIZE];

	(void)state;
	h.size = 1000;
	memset(h.slot, 0, sizeof(h.slot));
	vmf_mda_header_encode(&h, buf);
	expect_mda_einval(buf, 4096, 1000, "too small");
}

static void test_mda_slot_offset_below_ring(void **state)
{
	struct vmf_mda_header h = default_mdah();
	uint8_t buf[VMF_MDA_HEADER_SIZE];

	(void)state;
	vmf_mda_header_encode(&h, buf);
	put64(buf + 40, 511);
	expect_mda_einval(buf, 4096, AREA_1M, "slot 0 offset 511");
	/* offset 0 with a size is text inside the header */
	put64(buf + 40, 0);
	expect_mda_einval(buf, 4096, AREA_1M, "slot 0 offset 0");
}

static void test_mda_slot_offset_beyond_area(void **state)
{
	struct vmf_mda_header h = default_mdah();
	uint8_t buf[VMF_MDA_HEADER_SIZE];

	(void)state;
	vmf_mda_header_encode(&h, buf);
	put64(buf + 40 + 24, AREA_1M);        /* slot 1 */
	put64(buf + 40 + 24 + 8, 100);
	expect_mda_einval(buf, 4096, AREA_1M, "slot 1 offset 1044480 outside");
	put64(buf + 40 + 24, UINT64_MAX);
	expect_mda_einval(buf, 4096, AREA_1M, "slot 1 offset");
}

static void test_mda_slot_size_too_big(void **state)
{
	struct vmf_mda_header h = default_mdah();
	uint8_t buf[VMF_MDA_HEADER_SIZE];

	(void)state;
	vmf_mda_header_encode(&h, buf);
	put64(buf + 48, AREA_1M - 511);
	expect_mda_einval(buf, 4096, AREA_1M, "slot 0 size 1043969 exceeds");
	put64(buf + 48, UINT64_MAX);
	expect_mda_einval(buf, 4096, AREA_1M, "exceeds");
}

static void test_mda_no_terminator(void **state)
{
	struct vmf_mda_header h = default_mdah();
	uint8_t buf[VMF_MDA_HEADER_SIZE];

	(void)state;
	h.slot[1] = (struct vmf_raw_locn){ 4096, 100, 0, 0 };
	vmf_mda_header_encode(&h, buf);
	/* every slot that fits in the sector is in use */
	for (unsigned p = 40 + 2 * 24; p + 24 <= VMF_MDA_HEADER_SIZE; p += 24) {
		put64(buf + p, 8192);
		put64(buf + p + 8, 100);
	}
	expect_mda_einval(buf, 4096, AREA_1M, "terminator");
	/* a third location alone is already one too many */
	vmf_mda_header_encode(&h, buf);
	put32(buf + 40 + 2 * 24 + 20, VMF_RLOCN_IGNORED);
	expect_mda_einval(buf, 4096, AREA_1M, "more than 2");
}

static void test_mda_random_damage(void **state)
{
	struct vmf_mda_header h = default_mdah(), out;
	uint8_t good[VMF_MDA_HEADER_SIZE], buf[VMF_MDA_HEADER_SIZE], again[VMF_MDA_HEADER_SIZE];
	unsigned accepted = 0;

	(void)state;
	h.slot[1] = (struct vmf_raw_locn){ AREA_1M - 512, 4000, 7, 0 };
	vmf_mda_header_encode(&h, good);
	for (int n = 0; n < 20000; n++) {
		char err[VMF_ERRLEN];
		int r;

		memcpy(buf, good, sizeof(buf));
		for (int k = 1 + (int)(rnd() % 4); k > 0; k--)
			buf[36 + rnd() % 100] = (rnd() & 1) ? (uint8_t)rnd() : 0;
		fix_mda_crc(buf);
		r = vmf_mda_header_decode(buf, 4096, AREA_1M, &out, err);
		if (r) {
			assert_int_equal(r, -EINVAL);
			assert_err(err, "mda_header at 4096: ");
			continue;
		}
		accepted++;
		for (int i = 0; i < 2; i++) {
			struct vmf_area p[2];

			if (out.slot[i].size)
				assert_true(vmf_ring_pieces(out.size, out.slot[i].offset,
							    out.slot[i].size, p) > 0);
		}
		vmf_mda_header_encode(&out, again);
		assert_int_equal(vmf_mda_header_decode(again, 4096, AREA_1M, &h, NULL), 0);
		assert_memory_equal(&h.slot, &out.slot, sizeof(h.slot));
	}
	assert_true(accepted > 0);
}

/* ---- ring ---------------------------------------------------------------------------- */

static void test_ring_max_text(void **state)
{
	(void)state;
	assert_int_equal(vmf_ring_max_text(AREA_1M), 521472);
	assert_int_equal(vmf_ring_max_text(128 * MIB), (128 * MIB - 512) / 2 - 512);
	assert_int_equal(vmf_ring_max_text(0), 0);
	assert_int_equal(vmf_ring_max_text(512), 0);
	assert_int_equal(vmf_ring_max_text(1024), 0);
	assert_int_equal(vmf_ring_max_text(1536), 0);
	assert_int_equal(vmf_ring_max_text(1538), 1);
	assert_int_equal(vmf_ring_max_text(2560), 512);
	assert_int_equal(vmf_ring_max_text(UINT64_MAX), (UINT64_MAX - 512) / 2 - 512);
}

static uint64_t place(uint64_t area, uint64_t off, uint64_t size, uint64_t new_size)
{
	struct vmf_raw_locn cur = { off, size, 0, 0 };
	uint64_t out = 0;

	assert_int_equal(vmf_ring_place(area, &cur, new_size, &out), 0);
	return out;
}

static void test_ring_place(void **state)
{
	const uint64_t A = AREA_1M;
	struct vmf_raw_locn empty = { 0 };
	uint64_t off = 0;

	(void)state;
	assert_int_equal(vmf_ring_place(A, &empty, 100, &off), 0);
	assert_int_equal(off, 512);
	assert_int_equal(vmf_ring_place(A, NULL, 100, &off), 0);
	assert_int_equal(off, 512);
	/* ignored slot {0,0,0,1} is empty too */
	empty.flags = VMF_RLOCN_IGNORED;
	assert_int_equal(vmf_ring_place(A, &empty, 100, &off), 0);
	assert_int_equal(off, 512);

	/* rounded up to 512 after the end */
	assert_int_equal(place(A, 512, 1000, 100), 1536);
	assert_int_equal(place(A, 512, 1024, 100), 1536);
	assert_int_equal(place(A, 512, 1025, 100), 2048);
	assert_int_equal(place(A, 512, 1, 100), 1024);
	/* exactly 512 bytes left before the end: still used, the copy wraps */
	assert_int_equal(place(A, A - 1536, 1024, 100), A - 512);
	/* fewer than 512 left: back to 512 */
	assert_int_equal(place(A, A - 1536, 1025, 100), 512);
	assert_int_equal(place(A, A - 1024, 600, 100), 512);
	/* the old copy ends right at the area end */
	assert_int_equal(place(A, A - 1000, 1000, 100), 512);
	/* the old copy wrapped: continue after its tail */
	assert_int_equal(place(A, A - 512, 1000, 100), 1024);
	assert_int_equal(place(A, A - 512, 1024, 100), 1024);
	assert_int_equal(place(A, A - 100, 300000, 100), 512 + ((300000 - 100 + 511) / 512) * 512);
}

static void test_ring_place_unaligned_area(void **state)
{
	const uint64_t A = AREA_1M + 300;   /* not a multiple of 512 */

	(void)state;
	/* rounding is relative to the area start */
	assert_int_equal(place(A, 512, 1000, 100), 1536);
	/* A - 512 = 1044268: 1044480 would leave 300 bytes, so wrap */
	assert_int_equal(place(A, AREA_1M - 1024, 600, 100), 512);
	assert_int_equal(place(A, AREA_1M - 2048, 1000, 100), AREA_1M - 1024);
}

static void test_ring_place_errors(void **state)
{
	const uint64_t A = AREA_1M;
	const uint64_t M = vmf_ring_max_text(A);
	struct vmf_raw_locn cur = { 512, 1000, 0, 0 };
	uint64_t off = 77;

	(void)state;
	assert_int_equal(vmf_ring_place(A, &cur, M, &off), 0);
	assert_int_equal(vmf_ring_place(A, &cur, M + 1, &off), -ENOSPC);
	assert_int_equal(vmf_ring_place(A, NULL, M + 1, &off), -ENOSPC);
	assert_int_equal(vmf_ring_place(1536, NULL, 1, &off), -ENOSPC);
	assert_int_equal(vmf_ring_place(A, &cur, 0, &off), -EINVAL);
	cur.offset = 100;
	assert_int_equal(vmf_ring_place(A, &cur, 10, &off), -EINVAL);
	cur.offset = A;
	assert_int_equal(vmf_ring_place(A, &cur, 10, &off), -EINVAL);
	cur = (struct vmf_raw_locn){ 512, A - 511, 0, 0 };
	assert_int_equal(vmf_ring_place(A, &cur, 10, &off), -EINVAL);

	/*
	 * An old copy larger than max_text (older lvm2 allowed that): 600
	 * bytes are free after it, the new start is rounded 88 bytes into
	 * them, so 512 fit and 513 would overwrite the old copy.
	 */
	cur = (struct vmf_raw_locn){ 512, A - 512 - 600, 0, 0 };
	assert_int_equal(vmf_ring_place(A, &cur, 512, &off), 0);
	assert_int_equal(off, A - 512);
	assert_int_equal(vmf_ring_place(A, &cur, 513, &off), -ENOSPC);
	/* the whole ring in use */
	cur = (struct vmf_raw_locn){ 4096, A - 512, 0, 0 };
	assert_int_equal(vmf_ring_place(A, &cur, 1, &off), -ENOSPC);
	assert_int_equal(off, A - 512);   /* untouched on failure */
}

static void test_ring_pieces(void **state)
{
	const uint64_t A = AREA_1M;
	struct vmf_area p[2];

	(void)state;
	assert_int_equal(vmf_ring_pieces(A, 512, 100, p), 1);
	assert_int_equal(p[0].offset, 512);
	assert_int_equal(p[0].size, 100);
	/* ends exactly at the area end: one piece */
	assert_int_equal(vmf_ring_pieces(A, A - 512, 512, p), 1);
	assert_int_equal(p[0].size, 512);
	/* wraps: tail at 512 */
	assert_int_equal(vmf_ring_pieces(A, A - 512, 1000, p), 2);
	assert_int_equal(p[0].offset, A - 512);
	assert_int_equal(p[0].size, 512);
	assert_int_equal(p[1].offset, 512);
	assert_int_equal(p[1].size, 488);
	/* the whole ring, from anywhere */
	assert_int_equal(vmf_ring_pieces(A, 512, A - 512, p), 1);
	assert_int_equal(vmf_ring_pieces(A, 4096, A - 512, p), 2);
	assert_int_equal(p[1].offset + p[1].size, 4096);

	assert_int_equal(vmf_ring_pieces(A, 511, 10, p), -EINVAL);
	assert_int_equal(vmf_ring_pieces(A, 0, 10, p), -EINVAL);
	assert_int_equal(vmf_ring_pieces(A, A, 10, p), -EINVAL);
	assert_int_equal(vmf_ring_pieces(A, UINT64_MAX, 10, p), -EINVAL);
	assert_int_equal(vmf_ring_pieces(A, 512, A - 511, p), -EINVAL);
	assert_int_equal(vmf_ring_pieces(A, 512, UINT64_MAX, p), -EINVAL);
	assert_int_equal(vmf_ring_pieces(512, 512, 0, p), -EINVAL);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* The placement rule and max_text together: a new copy never touches the old one. */
static void ring_walk(uint64_t area, unsigned rounds, bool can_split)
{
	const uint64_t max = vmf_ring_max_text(area);
	struct vmf_raw_locn cur = { 0 };
	unsigned wraps = 0, split = 0;

	for (unsigned i = 0; i < rounds; i++) {
		struct vmf_area np[2], op[2];
		uint64_t size, off;
		int nn, on;

		switch (rnd() % 4) {
		case 0: size = max; break;
		case 1: size = max - rnd() % (max < 1024 ? max : 1024); break;
		case 2: size = 1 + rnd() % (max < 600 ? max : 600); break;
		default: size = 1 + rnd() % max; break;
		}
		assert_int_equal(vmf_ring_place(area, &cur, size, &off), 0);
		assert_true(off >= 512 && off < area);
		assert_int_equal(off % 512, 0);
		nn = vmf_ring_pieces(area, off, size, np);
		assert_true(nn == 1 || nn == 2);
		split += nn == 2;
		for (int k = 0; k < nn; k++)
			assert_true(np[k].offset >= 512 && np[k].offset + np[k].size <= area);
		if (cur.size) {
			wraps += off < cur.offset;
			on = vmf_ring_pieces(area, cur.offset, cur.size, op);
			assert_true(on > 0);
			for (int a = 0; a < nn; a++)
				for (int b = 0; b < on; b++)
					if (ranges_overlap(np[a].offset, np[a].size, op[b].offset, op[b].size))
						fail_msg("area %llu round %u: new {%llu,%llu} overlaps old {%llu,%llu}",
							 (unsigned long long)area, i,
							 (unsigned long long)off, (unsigned long long)size,
							 (unsigned long long)cur.offset,
							 (unsigned long long)cur.size);
		}
		cur = (struct vmf_raw_locn){ off, size, 0, 0 };
	}
	/* the walk really went round, and copies really were split */
	if (wraps <= rounds / 10 || (can_split && !split))
		fail_msg("area %llu: %u wraps, %u split copies in %u rounds",
			 (unsigned long long)area, wraps, split, rounds);
}

static void test_ring_random_walk(void **state)
{
	(void)state;
	ring_walk(AREA_1M, 10000, true);
	ring_walk(AREA_1M + 300, 10000, true);
	ring_walk(128 * MIB - 4096, 10000, true);
	ring_walk(4096, 10000, true);
	/* tiny rings: every aligned start leaves room for a whole copy */
	ring_walk(2560, 10000, false);
	ring_walk(3000, 10000, false);
}

/* ---- ids ------------------------------------------------------------------------------ */

static void test_id_valid(void **state)
{
	char id[VMF_ID_LEN];
	const char *alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#";

	(void)state;
	assert_true(vmf_id_valid(GOOD_ID, 32));
	for (size_t i = 0; i < strlen(alphabet); i++) {
		memset(id, alphabet[i], sizeof(id));
		assert_true(vmf_id_valid(id, sizeof(id)));
	}
	assert_false(vmf_id_valid(GOOD_ID, 31));
	assert_false(vmf_id_valid(GOOD_ID "x", 33));
	assert_false(vmf_id_valid(NULL, 32));
	for (int c = 0; c < 256; c++) {
		if (strchr(alphabet, c) && c)
			continue;
		memcpy(id, GOOD_ID, sizeof(id));
		id[17] = (char)c;
		assert_false(vmf_id_valid(id, sizeof(id)));
	}
}

static void test_id_format_parse(void **state)
{
	char out[39], raw[VMF_ID_LEN];

	(void)state;
	memset(out, 'Z', sizeof(out));
	vmf_id_format(GOOD_ID, out);
	assert_string_equal(out, "012345-6789-abcd-efgh-ijAB-CDEF-GHIJ!#");
	assert_int_equal(vmf_id_parse(out, raw), 0);
	assert_memory_equal(raw, GOOD_ID, 32);
	memset(raw, 0, sizeof(raw));
	assert_int_equal(vmf_id_parse(GOOD_ID, raw), 0);
	assert_memory_equal(raw, GOOD_ID, 32);

	/* random ids survive format + parse */
	for (int n = 0; n < 1000; n++) {
		static const char al[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#";
		char id[VMF_ID_LEN];

		for (int i = 0; i < 32; i++)
			id[i] = al[rnd() % (sizeof(al) - 1)];
		vmf_id_format(id, out);
		assert_int_equal(strlen(out), 38);
		assert_int_equal(vmf_id_parse(out, raw), 0);
		assert_memory_equal(raw, id, 32);
	}
}

static void test_id_parse_rejects(void **state)
{
	char raw[VMF_ID_LEN];
	static const char *const bad[] = {
		"",
		"0123456789abcdefghijABCDEFGHIJ!",                /* 31 */
		"0123456789abcdefghijABCDEFGHIJ!#0",              /* 33 */
		"012345-6789-abcd-efgh-ijAB-CDEF-GHIJ!",          /* 37 */
		"012345-6789-abcd-efgh-ijAB-CDEF-GHIJ!#0",        /* 39 */
		"01234-56789-abcd-efgh-ijAB-CDEF-GHIJ!#",         /* dash misplaced */
		"012345-6789-abcd-efgh-ijAB-CDEFG-HIJ!#",
		"012345x6789-abcd-efgh-ijAB-CDEF-GHIJ!#",         /* no dash */
		"012345--789-abcd-efgh-ijAB-CDEF-GHIJ!#",
		"012345-6789-abcd-efgh-ijAB-CDEF-GHIJ!$",         /* bad char */
		"0123456789abcdefghij-BCDEFGHIJ!#",               /* dash in a raw id */
		"0123456789abcdefghij BCDEFGHIJ!#",
	};

	(void)state;
	memcpy(raw, GOOD_ID, sizeof(raw));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vmf_id_parse(bad[i], raw) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_memory_equal(raw, GOOD_ID, 32);     /* untouched */
	}
	assert_int_equal(vmf_id_parse(NULL, raw), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_empty_is_initial),
		cmocka_unit_test(test_crc_check_vector),
		cmocka_unit_test(test_crc_equals_complemented_zlib),
		cmocka_unit_test(test_crc_chains),

		cmocka_unit_test(test_label_default_layout),
		cmocka_unit_test(test_label_roundtrip_default),
		cmocka_unit_test(test_label_roundtrip_several_areas),
		cmocka_unit_test(test_label_roundtrip_maximal),
		cmocka_unit_test(test_label_roundtrip_no_extension),
		cmocka_unit_test(test_label_other_ext_versions_recorded),
		cmocka_unit_test(test_label_encode_rejects),
		cmocka_unit_test(test_label_found_in_each_sector),
		cmocka_unit_test(test_label_not_found),
		cmocka_unit_test(test_label_short_buffer),
		cmocka_unit_test(test_label_bad_copy_skipped_for_good_one),
		cmocka_unit_test(test_label_recorded_dev_size_may_differ),
		cmocka_unit_test(test_label_zero_version_means_no_extension),

		cmocka_unit_test(test_label_crc_mismatch),
		cmocka_unit_test(test_label_sector_mismatch),
		cmocka_unit_test(test_label_wrong_type),
		cmocka_unit_test(test_label_pvh_offset_past_sector),
		cmocka_unit_test(test_label_pvh_offset_inside_label_header),
		cmocka_unit_test(test_label_unterminated_data_list),
		cmocka_unit_test(test_label_unterminated_mda_list),
		cmocka_unit_test(test_label_unterminated_ba_list),
		cmocka_unit_test(test_label_extension_cut_off),
		cmocka_unit_test(test_label_too_many_data_areas),
		cmocka_unit_test(test_label_too_many_mdas),
		cmocka_unit_test(test_label_entry_offset0_with_size),
		cmocka_unit_test(test_label_mda_size_zero),
		cmocka_unit_test(test_label_mda_size_too_small),
		cmocka_unit_test(test_label_mda_outside_device),
		cmocka_unit_test(test_label_mda_overflow),
		cmocka_unit_test(test_label_data_outside_device),
		cmocka_unit_test(test_label_data_overflow),
		cmocka_unit_test(test_label_ba_outside_device),
		cmocka_unit_test(test_label_bad_id),
		cmocka_unit_test(test_label_random_damage),

		cmocka_unit_test(test_mda_layout),
		cmocka_unit_test(test_mda_roundtrip),
		cmocka_unit_test(test_mda_crc_mismatch),
		cmocka_unit_test(test_mda_bad_magic),
		cmocka_unit_test(test_mda_bad_version),
		cmocka_unit_test(test_mda_start_mismatch),
		cmocka_unit_test(test_mda_size_mismatch),
		cmocka_unit_test(test_mda_area_too_small),
		cmocka_unit_test(test_mda_slot_offset_below_ring),
		cmocka_unit_test(test_mda_slot_offset_beyond_area),
		cmocka_unit_test(test_mda_slot_size_too_big),
		cmocka_unit_test(test_mda_no_terminator),
		cmocka_unit_test(test_mda_random_damage),

		cmocka_unit_test(test_ring_max_text),
		cmocka_unit_test(test_ring_place),
		cmocka_unit_test(test_ring_place_unaligned_area),
		cmocka_unit_test(test_ring_place_errors),
		cmocka_unit_test(test_ring_pieces),
		cmocka_unit_test(test_ring_random_walk),

		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_id_format_parse),
		cmocka_unit_test(test_id_parse_rejects),
	};

	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
