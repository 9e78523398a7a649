/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LVM2 text-format on-disk structures (see format.h and
 * shared/reference/lvm2-format.md). Every field is read and written through
 * the little-endian helpers below, never by overlaying a struct on a buffer,
 * so alignment, padding and host byte order do not matter.
 */
#include "format.h"

#if defined(__x86_64__) && __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#elif defined(__x86_64__)
#include <cpuid.h>
#endif

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* label_header */
#define LH_SECTOR   8u
#define LH_CRC      16u
#define LH_OFFSET   20u          /* the crc covers this field to the sector end */
#define LH_TYPE     24u
#define LH_SIZE     32u          /* where lvm2 puts the pv_header */

/* pv_header */
#define PVH_FIXED   (VMF_ID_LEN + 8u)   /* id + device size */
#define LOCN_SIZE   16u                 /* disk_locn: u64 offset, u64 size */
#define EXT_FIXED   8u                  /* extension: u32 version, u32 flags */

/* mda_header */
#define MH_MAGIC    4u
#define MH_VERSION  20u
#define MH_START    24u
#define MH_SIZE     32u
#define MH_SLOTS    40u
#define RLOCN_SIZE  24u                 /* u64 offset, u64 size, u32 crc, u32 flags */
#define MDA_VERSION 1u
#define MDA_MIN_SIZE 1024u              /* the header sector plus one sector of text */

#define ID_FMT_LEN  38u

_Static_assert(sizeof(VMF_LABEL_ID) - 1 == 8, "label id is 8 bytes");
_Static_assert(sizeof(VMF_LABEL_TYPE) - 1 == 8, "label type is 8 bytes");
_Static_assert(sizeof(VMF_MDA_MAGIC) - 1 == 16, "mda magic is 16 bytes");
/*
 * Three full lists (VMF_MAX_AREAS entries and a terminator each) plus the
 * extension fill the sector exactly: the encoder never runs out of room.
 */
_Static_assert(LH_SIZE + PVH_FIXED + EXT_FIXED + 3 * (VMF_MAX_AREAS + 1) * LOCN_SIZE
	       <= VMF_SECTOR, "a maximal pv_header fits one sector");
/* Two slots and the terminator the decoder insists on. */
_Static_assert(MH_SLOTS + 3 * RLOCN_SIZE <= VMF_MDA_HEADER_SIZE, "slots fit the header");
_Static_assert(VMF_MDA_HEADER_SIZE == VMF_SECTOR, "the ring is aligned to the header size");

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

__attribute__((format(printf, 2, 3)))
static void seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, VMF_ERRLEN, fmt, ap);
	va_end(ap);
}

typedef unsigned long long ull;   /* for printing u64 with %llu */

/* ---- checksum ---------------------------------------------------------- */

/*
 * Slicing-by-8: metadata texts run to megabytes and every read checksums
 * each copy. Where the CPU multiplies without carries (below), that does the
 * bulk and only the first table is needed, for the tail. The tables are built
 * once; pthread_once makes the first use from several threads safe.
 */
static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__)
static bool have_clmul;

/*
 * PCLMULQDQ and SSE4.1, as the C library found them when it started: in a
 * virtual machine each CPUID instruction is a trip to the host (7.5 us here),
 * so none is run again where glibc (2.33 on) shares what it saw.
 */
static bool cpu_has_clmul(void)
{
	if (getenv("VOLMGR_NO_CLMUL"))
		return false;
#if __has_include(<sys/platform/x86.h>)
	return CPU_FEATURE_ACTIVE(PCLMULQDQ) && CPU_FEATURE_ACTIVE(SSE4_1);
#else
	unsigned eax, ebx, ecx, edx;
	return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 1)) && (ecx & (1u << 19));
#endif
}
#endif

static void crc_init(void)
{
	unsigned tables = 8;
#if defined(__x86_64__)
	if ((have_clmul = cpu_has_clmul()))
		tables = 1;
#endif
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1u) ? 0xEDB88320u : 0);
		crc_tab[0][i] = c;
	}
	for (unsigned i = 0; i < 256; i++)
		for (unsigned t = 1; t < tables; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^
					crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

#if defined(__x86_64__)
#include <immintrin.h>
/*
 * Carry-less multiplication folds 64 bytes a step: the same reflected
 * CRC-32 (poly 0xEDB88320) at several GB/s. Folding constants x^(k) mod P
 * as in Intel's "Fast CRC Computation for Generic Polynomials Using
 * PCLMULQDQ"; the last 128 bits are reduced with Barrett's method.
 * Takes len >= 64, a multiple of 16.
 */
__attribute__((target("pclmul,sse4.1")))
static uint32_t crc_clmul(uint32_t crc, const uint8_t *p, size_t len)
{
	const __m128i k1k2 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
	const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
	const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124);
	const __m128i poly = _mm_set_epi64x(0x1f7011641, 0x1db710641);
	const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
	__m128i x0 = _mm_loadu_si128((const __m128i *)p), x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	__m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32)), x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)crc));
	p += 64;
	len -= 64;
#define FOLD(x, k, next) \
	_mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next)
	for (; len >= 64; p += 64, len -= 64) {
		x0 = FOLD(x0, k1k2, _mm_loadu_si128((const __m128i *)p));
		x1 = FOLD(x1, k1k2, _mm_loadu_si128((const __m128i *)(p + 16)));
		x2 = FOLD(x2, k1k2, _mm_loadu_si128((const __m128i *)(p + 32)));
		x3 = FOLD(x3, k1k2, _mm_loadu_si128((const __m128i *)(p + 48)));
	}
	x0 = FOLD(x0, k3k4, x1);
	x0 = FOLD(x0, k3k4, x2);
	x0 = FOLD(x0, k3k4, x3);
	for (; len >= 16; p += 16, len -= 16)
		x0 = FOLD(x0, k3k4, _mm_loadu_si128((const __m128i *)p));
#undef FOLD
	/* 128 -> 64 bits */
	x0 = _mm_xor_si128(_mm_clmulepi64_si128(x0, k3k4, 0x10), _mm_srli_si128(x0, 8));
	/* 64 -> 32 bits */
	x0 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x0, mask32), k5, 0x00), _mm_srli_si128(x0, 4));
	/* Barrett reduction */
	__m128i t = _mm_clmulepi64_si128(_mm_and_si128(x0, mask32), poly, 0x10);
	t = _mm_clmulepi64_si128(_mm_and_si128(t, mask32), poly, 0x00);
	return (uint32_t)_mm_extract_epi32(_mm_xor_si128(x0, t), 1);
}
#endif

uint32_t vmf_crc(uint32_t initial, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = initial;

	pthread_once(&crc_once, crc_init);
#if defined(__x86_64__)
	if (have_clmul) {               /* only crc_tab[0] was built */
		if (len >= 64) {
			crc = crc_clmul(crc, p, len & ~(size_t)15);
			p += len & ~(size_t)15;
			len &= 15;
		}
		for (; len; len--)
			crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
		return crc;
	}
#endif
	for (; len >= 8; p += 8, len -= 8) {
		uint32_t lo = get32(p) ^ crc, hi = get32(p + 4);

		crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		      crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		      crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		      crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
	}
	for (; len; len--)
		crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
	return crc;
}

/* ---- ids ---------------------------------------------------------------- */

/* A table rather than isalnum(): the alphabet must not follow the locale. */
static const bool id_chars[256] = {
	['0' ... '9'] = true, ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['!'] = true, ['#'] = true,
};

static inline bool id_char(char c)
{
	return id_chars[(unsigned char)c];
}

int vmf_id_valid(const char *id, size_t len)
{
	if (!id || len != VMF_ID_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!id_char(id[i]))
			return 0;
	return 1;
}

static const unsigned id_groups[] = { 6, 4, 4, 4, 4, 4, 6 };
#define ID_NGROUPS (sizeof(id_groups) / sizeof(id_groups[0]))

void vmf_id_format(const char raw[VMF_ID_LEN], char out[39])
{
	size_t r = 0, o = 0;

	for (size_t g = 0; g < ID_NGROUPS; g++) {
		if (g)
			out[o++] = '-';
		memcpy(out + o, raw + r, id_groups[g]);
		o += id_groups[g];
		r += id_groups[g];
	}
	out[o] = '\0';
}

int vmf_id_parse(const char *s, char raw[VMF_ID_LEN])
{
	char tmp[VMF_ID_LEN];
	size_t len, r = 0, i = 0;

	if (!s)
		return -EINVAL;
	len = strnlen(s, ID_FMT_LEN + 1);
	if (len == VMF_ID_LEN) {
		memcpy(tmp, s, VMF_ID_LEN);
	} else if (len == ID_FMT_LEN) {
		for (size_t g = 0; g < ID_NGROUPS; g++) {
			if (g && s[i++] != '-')
				return -EINVAL;
			memcpy(tmp + r, s + i, id_groups[g]);
			r += id_groups[g];
			i += id_groups[g];
		}
	} else {
		return -EINVAL;
	}
	/* A '-' copied into tmp from a misplaced dash fails here too. */
	if (!vmf_id_valid(tmp, VMF_ID_LEN))
		return -EINVAL;
	memcpy(raw, tmp, VMF_ID_LEN);
	return 0;
}

/* ---- label and pv_header ------------------------------------------------ */

/*
 * One area: @min_size rejects metadata areas too small for their header;
 * offset 0 is where the label lives and is what ends a list, so it can be
 * no area. @dev_size 0 skips the device bounds (size unknown).
 */
static int check_area(const struct vmf_area *a, const char *kind, unsigned i,
		      uint64_t min_size, uint64_t dev_size, unsigned sector, char *err)
{
	const char *why = NULL;

	if (!a->offset)
		why = "lies at offset 0";
	else if (a->size < min_size)
		why = "is too small for its header";
	else if (a->size > UINT64_MAX - a->offset)
		why = "overflows (offset + size)";
	else if (!dev_size || (a->offset < dev_size && a->size <= dev_size - a->offset))
		return 0;
	if (why)
		seterr(err, "label in sector %u: %s area %u (offset %llu, size %llu) %s",
		       sector, kind, i, (ull)a->offset, (ull)a->size, why);
	else
		seterr(err, "label in sector %u: %s area %u (offset %llu, size %llu) lies outside the device (%llu bytes)",
		       sector, kind, i, (ull)a->offset, (ull)a->size, (ull)dev_size);
	return -EINVAL;
}

static int check_areas(const struct vmf_pv_header *h, uint64_t dev_size, unsigned sector,
		       char *err)
{
	for (unsigned i = 0; i < h->n_data; i++)
		if (check_area(&h->data[i], "data", i, 0, dev_size, sector, err))
			return -EINVAL;
	for (unsigned i = 0; i < h->n_mda; i++)
		if (check_area(&h->mda[i], "metadata", i, MDA_MIN_SIZE, dev_size, sector, err))
			return -EINVAL;
	for (unsigned i = 0; i < h->n_ba; i++)
		if (check_area(&h->ba[i], "bootloader", i, 0, dev_size, sector, err))
			return -EINVAL;
	return 0;
}

/*
 * lvm2 ends a list at the first entry whose offset is 0 and writes {0,0};
 * an entry {0, size != 0} would mean different things to lvm2 and to a
 * reader that wants {0,0}, so it is rejected as malformed.
 */
static int read_list(const uint8_t *sec, unsigned *pos, struct vmf_area *a, unsigned *n,
		     const char *kind, unsigned sector, char *err)
{
	*n = 0;
	for (;;) {
		uint64_t off, size;

		if (*pos + LOCN_SIZE > VMF_SECTOR) {
			seterr(err, "label in sector %u: %s area list has no terminator inside the sector",
			       sector, kind);
			return -EINVAL;
		}
		off = get64(sec + *pos);
		size = get64(sec + *pos + 8);
		*pos += LOCN_SIZE;
		if (!off && !size)
			return 0;
		if (!off) {
			seterr(err, "label in sector %u: %s area list entry %u has offset 0 and size %llu",
			       sector, kind, *n, (ull)size);
			return -EINVAL;
		}
		if (*n == VMF_MAX_AREAS) {
			seterr(err, "label in sector %u: more than %u %s areas",
			       sector, VMF_MAX_AREAS, kind);
			return -EINVAL;
		}
		a[(*n)++] = (struct vmf_area){ off, size };
	}
}

/* What lvm2 checks before it accepts a sector as the label. */
static int check_label_header(const uint8_t *sec, unsigned sector, char *err)
{
	uint64_t recorded = get64(sec + LH_SECTOR);
	uint32_t stored = get32(sec + LH_CRC);
	uint32_t computed;

	if (recorded != sector) {
		seterr(err, "label in sector %u: records sector %llu", sector, (ull)recorded);
		return -EINVAL;
	}
	computed = vmf_crc(VMF_INITIAL_CRC, sec + LH_OFFSET, VMF_SECTOR - LH_OFFSET);
	if (stored != computed) {
		seterr(err, "label in sector %u: checksum mismatch (stored 0x%08x, computed 0x%08x)",
		       sector, stored, computed);
		return -EINVAL;
	}
	if (memcmp(sec + LH_TYPE, VMF_LABEL_TYPE, 8)) {
		seterr(err, "label in sector %u: type is not \"" VMF_LABEL_TYPE "\"", sector);
		return -EINVAL;
	}
	return 0;
}

static int decode_pv_header(const uint8_t *sec, unsigned sector, uint64_t dev_size,
			    struct vmf_pv_header *out, char *err)
{
	struct vmf_pv_header h;
	unsigned pos = get32(sec + LH_OFFSET);

	memset(&h, 0, sizeof(h));
	/* Room for the id, the device size and at least one terminator. */
	if (pos < LH_SIZE || pos > VMF_SECTOR - PVH_FIXED - LOCN_SIZE) {
		seterr(err, "label in sector %u: pv_header offset %u outside [%u, %u]",
		       sector, pos, LH_SIZE, VMF_SECTOR - PVH_FIXED - LOCN_SIZE);
		return -EINVAL;
	}
	h.label_sector = sector;
	memcpy(h.pv_id, sec + pos, VMF_ID_LEN);
	if (!vmf_id_valid(h.pv_id, VMF_ID_LEN)) {
		seterr(err, "label in sector %u: pv id has characters outside [0-9a-zA-Z!#]", sector);
		return -EINVAL;
	}
	h.dev_size = get64(sec + pos + VMF_ID_LEN);
	pos += PVH_FIXED;

	if (read_list(sec, &pos, h.data, &h.n_data, "data", sector, err) ||
	    read_list(sec, &pos, h.mda, &h.n_mda, "metadata", sector, err))
		return -EINVAL;

	/* Old lvm2 wrote no extension: a zero version (or no room) means none. */
	if (pos + 4 <= VMF_SECTOR && (h.ext_version = get32(sec + pos))) {
		if (pos + EXT_FIXED > VMF_SECTOR) {
			seterr(err, "label in sector %u: pv_header extension cut off by the sector end",
			       sector);
			return -EINVAL;
		}
		h.ext_flags = get32(sec + pos + 4);
		pos += EXT_FIXED;
		if (read_list(sec, &pos, h.ba, &h.n_ba, "bootloader", sector, err))
			return -EINVAL;
	}

	/*
	 * Bounds are checked against the real size only: lvm2 tolerates a
	 * recorded device size that differs (a grown or copied device).
	 */
	if (check_areas(&h, dev_size, sector, err))
		return -EINVAL;
	*out = h;
	return 0;
}

int vmf_label_decode(const uint8_t *buf, size_t len, uint64_t dev_size,
		     struct vmf_pv_header *out, char *err)
{
	size_t nsec = len / VMF_SECTOR;
	int ret = -ENOENT;

	if (err)
		err[0] = '\0';
	if (nsec > VMF_LABEL_SCAN_SECTORS)
		nsec = VMF_LABEL_SCAN_SECTORS;
	for (unsigned s = 0; s < nsec; s++) {
		const uint8_t *sec = buf + (size_t)s * VMF_SECTOR;

		if (memcmp(sec, VMF_LABEL_ID, 8))
			continue;
		/*
		 * Like lvm2, skip a sector that fails the label header checks
		 * (a stale copy, say) and keep looking; report the first
		 * failure if no good one turns up.
		 */
		if (check_label_header(sec, s, ret == -ENOENT ? err : NULL)) {
			ret = -EINVAL;
			continue;
		}
		/* A label that passed its checksum is the label: its content must be sound. */
		if (err)
			err[0] = '\0';
		return decode_pv_header(sec, s, dev_size, out, err);
	}
	if (ret == -ENOENT)
		seterr(err, "no label in the first %zu sectors", nsec);
	return ret;
}

static unsigned put_list(uint8_t *sec, unsigned pos, const struct vmf_area *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++, pos += LOCN_SIZE) {
		put64(sec + pos, a[i].offset);
		put64(sec + pos + 8, a[i].size);
	}
	return pos + LOCN_SIZE;   /* the terminator is already zero */
}

int vmf_label_encode(const struct vmf_pv_header *pvh, uint8_t sector[VMF_SECTOR])
{
	unsigned pos = LH_SIZE;

	/*
	 * Refuse what the decoder would refuse (or lose), so a written label
	 * always reads back. The counts bound the size: see the _Static_assert.
	 */
	if (pvh->label_sector >= VMF_LABEL_SCAN_SECTORS ||
	    pvh->n_data > VMF_MAX_AREAS || pvh->n_mda > VMF_MAX_AREAS ||
	    pvh->n_ba > VMF_MAX_AREAS ||
	    (!pvh->ext_version && (pvh->n_ba || pvh->ext_flags)) ||
	    !vmf_id_valid(pvh->pv_id, VMF_ID_LEN) ||
	    check_areas(pvh, 0, (unsigned)pvh->label_sector, NULL))
		return -EINVAL;

	memset(sector, 0, VMF_SECTOR);
	memcpy(sector, VMF_LABEL_ID, 8);
	put64(sector + LH_SECTOR, pvh->label_sector);
	put32(sector + LH_OFFSET, LH_SIZE);
	memcpy(sector + LH_TYPE, VMF_LABEL_TYPE, 8);

	memcpy(sector + pos, pvh->pv_id, VMF_ID_LEN);
	put64(sector + pos + VMF_ID_LEN, pvh->dev_size);
	pos += PVH_FIXED;
	pos = put_list(sector, pos, pvh->data, pvh->n_data);
	pos = put_list(sector, pos, pvh->mda, pvh->n_mda);
	if (pvh->ext_version) {
		put32(sector + pos, pvh->ext_version);
		put32(sector + pos + 4, pvh->ext_flags);
		put_list(sector, pos + EXT_FIXED, pvh->ba, pvh->n_ba);
	}
	put32(sector + LH_CRC, vmf_crc(VMF_INITIAL_CRC, sector + LH_OFFSET,
				       VMF_SECTOR - LH_OFFSET));
	return 0;
}

/* ---- mda_header ---------------------------------------------------------- */

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int vmf_mda_header_decode(const uint8_t buf[VMF_MDA_HEADER_SIZE], uint64_t expect_start,
			  uint64_t expect_size, struct vmf_mda_header *out, char *err)
{
	struct vmf_mda_header h;
	uint32_t stored = get32(buf);
	uint32_t computed = vmf_crc(VMF_INITIAL_CRC, buf + 4, VMF_MDA_HEADER_SIZE - 4);
	ull at = expect_start;

	memset(&h, 0, sizeof(h));
	if (err)
		err[0] = '\0';
	if (stored != computed) {
		seterr(err, "mda_header at %llu: checksum mismatch (stored 0x%08x, computed 0x%08x)",
		       at, stored, computed);
		return -EINVAL;
	}
	if (memcmp(buf + MH_MAGIC, VMF_MDA_MAGIC, 16)) {
		seterr(err, "mda_header at %llu: bad magic", at);
		return -EINVAL;
	}
	h.version = get32(buf + MH_VERSION);
	if (h.version != MDA_VERSION) {
		seterr(err, "mda_header at %llu: version %u, expected %u", at, h.version, MDA_VERSION);
		return -EINVAL;
	}
	h.start = get64(buf + MH_START);
	if (h.start != expect_start) {
		seterr(err, "mda_header at %llu: records start %llu", at, (ull)h.start);
		return -EINVAL;
	}
	h.size = get64(buf + MH_SIZE);
	if (h.size != expect_size) {
		seterr(err, "mda_header at %llu: records size %llu, expected %llu",
		       at, (ull)h.size, (ull)expect_size);
		return -EINVAL;
	}
	if (h.size < MDA_MIN_SIZE) {
		seterr(err, "mda_header at %llu: area size %llu too small", at, (ull)h.size);
		return -EINVAL;
	}

	/*
	 * lvm2 reads slots 0 and 1 by position (a precommitted slot 1 may sit
	 * behind an empty slot 0 on a new VG), so both are read; the list must
	 * end by slot 2: a third location is no lvm2 header.
	 */
	if (!all_zero(buf + MH_SLOTS, RLOCN_SIZE) &&
	    !all_zero(buf + MH_SLOTS + RLOCN_SIZE, RLOCN_SIZE) &&
	    !all_zero(buf + MH_SLOTS + 2 * RLOCN_SIZE, RLOCN_SIZE)) {
		seterr(err, "mda_header at %llu: more than 2 metadata locations (no terminator slot)",
		       at);
		return -EINVAL;
	}
	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *p = buf + MH_SLOTS + i * RLOCN_SIZE;
		struct vmf_raw_locn *r = &h.slot[i];

		r->offset = get64(p);
		r->size = get64(p + 8);
		r->checksum = get32(p + 16);
		r->flags = get32(p + 20);
		/* {0,0} holds no text; an ignored area's slot 0 is {0,0,0,1}. */
		if (!r->offset && !r->size)
			continue;
		if (r->offset < VMF_MDA_HEADER_SIZE || r->offset >= h.size) {
			seterr(err, "mda_header at %llu: slot %u offset %llu outside the text space [512, %llu)",
			       at, i, (ull)r->offset, (ull)h.size);
			return -EINVAL;
		}
		/* Old lvm2 had no max_text limit: accept anything the ring can hold. */
		if (r->size > h.size - VMF_MDA_HEADER_SIZE) {
			seterr(err, "mda_header at %llu: slot %u size %llu exceeds the text space (%llu bytes)",
			       at, i, (ull)r->size, (ull)(h.size - VMF_MDA_HEADER_SIZE));
			return -EINVAL;
		}
	}
	*out = h;
	return 0;
}

void vmf_mda_header_encode(const struct vmf_mda_header *h, uint8_t buf[VMF_MDA_HEADER_SIZE])
{
	memset(buf, 0, VMF_MDA_HEADER_SIZE);
	memcpy(buf + MH_MAGIC, VMF_MDA_MAGIC, 16);
	put32(buf + MH_VERSION, h->version);
	put64(buf + MH_START, h->start);
	put64(buf + MH_SIZE, h->size);
	for (unsigned i = 0; i < 2; i++) {
		uint8_t *p = buf + MH_SLOTS + i * RLOCN_SIZE;

		put64(p, h->slot[i].offset);
		put64(p + 8, h->slot[i].size);
		put32(p + 16, h->slot[i].checksum);
		put32(p + 20, h->slot[i].flags);
	}
	put32(buf, vmf_crc(VMF_INITIAL_CRC, buf + 4, VMF_MDA_HEADER_SIZE - 4));
}

/* ---- the metadata ring ----------------------------------------------------- */

/*
 * Offsets are relative to the area start; the ring is [512, area_size).
 * "Ring coordinates" below subtract the 512 so that the ring is [0, R).
 */

uint64_t vmf_ring_max_text(uint64_t area_size)
{
	uint64_t half;

	if (area_size <= VMF_MDA_HEADER_SIZE)
		return 0;
	/* Two copies must fit at once, each possibly pushed by 511 bytes of alignment. */
	half = (area_size - VMF_MDA_HEADER_SIZE) / 2;
	return half > VMF_SECTOR ? half - VMF_SECTOR : 0;
}

static bool locn_in_ring(uint64_t area_size, uint64_t offset, uint64_t size)
{
	return offset >= VMF_MDA_HEADER_SIZE && offset < area_size &&
	       size <= area_size - VMF_MDA_HEADER_SIZE;
}

int vmf_ring_place(uint64_t area_size, const struct vmf_raw_locn *cur,
		   uint64_t new_size, uint64_t *new_offset)
{
	uint64_t ring, end, pad, next, gap;

	if (!new_size)
		return -EINVAL;
	if (new_size > vmf_ring_max_text(area_size))
		return -ENOSPC;
	if (!cur || !cur->size) {
		*new_offset = VMF_MDA_HEADER_SIZE;
		return 0;
	}
	if (!locn_in_ring(area_size, cur->offset, cur->size))
		return -EINVAL;

	/* End of the current copy; if the copy wrapped, its tail ends past 512. */
	ring = area_size - VMF_MDA_HEADER_SIZE;
	if (cur->size > area_size - cur->offset)
		end = VMF_MDA_HEADER_SIZE + (cur->size - (area_size - cur->offset));
	else
		end = cur->offset + cur->size;

	/*
	 * lvm2 (format-text.c, _next_rlocn_offset): round the end up to 512
	 * relative to the area start; if that start is beyond area_size - 512
	 * (fewer than 512 bytes left before the end), wrap to 512. Written so
	 * that nothing can overflow even for absurd area sizes.
	 */
	pad = (VMF_SECTOR - end % VMF_SECTOR) % VMF_SECTOR;
	if (end > area_size - VMF_SECTOR || pad > area_size - VMF_SECTOR - end)
		next = VMF_MDA_HEADER_SIZE;
	else
		next = end + pad;

	/*
	 * The new copy must not reach the old one. max_text guarantees that
	 * for any old copy lvm2 or we wrote, but a header may carry an older,
	 * larger copy (up to the whole ring), and overwriting the only good
	 * copy is the one mistake a commit must never make.
	 * gap = how far next moved beyond the old end, in ring coordinates.
	 */
	end -= VMF_MDA_HEADER_SIZE;
	if (end == ring)
		end = 0;
	next -= VMF_MDA_HEADER_SIZE;
	gap = next >= end ? next - end : next + (ring - end);
	if (gap > ring - cur->size || new_size > ring - cur->size - gap)
		return -ENOSPC;
	next += VMF_MDA_HEADER_SIZE;

	*new_offset = next;
	return 0;
}

int vmf_ring_pieces(uint64_t area_size, uint64_t offset, uint64_t size,
		    struct vmf_area piece[2])
{
	uint64_t first;

	if (!locn_in_ring(area_size, offset, size))
		return -EINVAL;
	first = area_size - offset;
	if (size <= first) {
		piece[0] = (struct vmf_area){ offset, size };
		return 1;
	}
	piece[0] = (struct vmf_area){ offset, first };
	piece[1] = (struct vmf_area){ VMF_MDA_HEADER_SIZE, size - first };
	return 2;
}
