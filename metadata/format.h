/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LVM2 text-format on-disk structures: label, pv_header, mda_header, the
 * metadata ring buffer and the checksum. Pure code over buffers: no I/O,
 * no allocation. Every decoder validates even under a valid checksum.
 */
#ifndef VOLMGR_METADATA_FORMAT_H
#define VOLMGR_METADATA_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define VMF_SECTOR            512u
#define VMF_LABEL_SCAN_SECTORS 4u      /* label may sit in sectors 0..3 */
#define VMF_LABEL_SECTOR      1u       /* where we write it */
#define VMF_ID_LEN            32u      /* raw id, no dashes */
#define VMF_MDA_HEADER_SIZE   512u
#define VMF_INITIAL_CRC       0xf597a6cfu
#define VMF_MAX_AREAS         8u       /* per list in a pv_header */
#define VMF_ERRLEN            160u
#define VMF_MDA_MAGIC         " LVM2 x[5A%r0N*>"
#define VMF_LABEL_ID          "LABELONE"
#define VMF_LABEL_TYPE        "LVM2 001"
#define VMF_PVH_EXT_VERSION   2u
#define VMF_PVH_FLAG_IN_VG    1u
#define VMF_RLOCN_IGNORED     1u

/* lvm2's CRC-32: reflected 0xEDB88320, caller-chosen initial value, no final xor. */
uint32_t vmf_crc(uint32_t initial, const void *buf, size_t len);

struct vmf_area {
	uint64_t offset;   /* bytes from the start of the device */
	uint64_t size;     /* bytes; 0 in a data area means "to the end" */
};

struct vmf_pv_header {
	uint64_t label_sector;                 /* sector the label was found in / goes to */
	char     pv_id[VMF_ID_LEN];            /* raw, not NUL-terminated */
	uint64_t dev_size;                     /* bytes */
	unsigned n_data, n_mda, n_ba;
	struct vmf_area data[VMF_MAX_AREAS];
	struct vmf_area mda[VMF_MAX_AREAS];
	uint32_t ext_version;                  /* 0 if absent, else 2 */
	uint32_t ext_flags;                    /* VMF_PVH_FLAG_IN_VG */
	struct vmf_area ba[VMF_MAX_AREAS];     /* bootloader areas */
};

/*
 * Look for a label in the first VMF_LABEL_SCAN_SECTORS sectors of @buf
 * (@len >= 4*512 bytes, the start of the device). Returns 0 and fills @out,
 * -ENOENT if no sector carries "LABELONE", or -EINVAL for a damaged or hostile
 * label/pv_header (bad crc, sector mismatch, pv_header offset past the sector,
 * unterminated list, metadata area of size < 1024 or outside @dev_size, data
 * area outside the device, id outside [0-9a-zA-Z!#]), with a reason in @err
 * (may be NULL). @dev_size is the real device size in bytes (0 = unknown: skip
 * the bounds checks against it).
 */
int vmf_label_decode(const uint8_t *buf, size_t len, uint64_t dev_size,
		     struct vmf_pv_header *out, char *err);

/* Encode label + pv_header into one 512-byte sector for out->label_sector. */
int vmf_label_encode(const struct vmf_pv_header *pvh, uint8_t sector[VMF_SECTOR]);

struct vmf_raw_locn {
	uint64_t offset;     /* relative to area start */
	uint64_t size;       /* bytes, including the terminating NUL */
	uint32_t checksum;   /* vmf_crc(VMF_INITIAL_CRC) over the text (wrapped: both pieces in order) */
	uint32_t flags;
};

struct vmf_mda_header {
	uint32_t version;                /* 1 */
	uint64_t start;                  /* absolute byte offset of the area */
	uint64_t size;                   /* area size including this header */
	struct vmf_raw_locn slot[2];     /* 0 committed, 1 precommitted; zero = empty */
};

/*
 * Decode and validate a 512-byte mda_header read at absolute offset
 * @expect_start from an area of @expect_size bytes. Rejects: bad crc, bad
 * magic, version != 1, start/size mismatch, a slot whose offset < 512 or
 * >= size, or whose size > vmf_ring_max_text(size)+... (cannot fit), missing
 * terminator slot. Returns 0 or -EINVAL with @err.
 */
int vmf_mda_header_decode(const uint8_t buf[VMF_MDA_HEADER_SIZE], uint64_t expect_start,
			  uint64_t expect_size, struct vmf_mda_header *out, char *err);
void vmf_mda_header_encode(const struct vmf_mda_header *h, uint8_t buf[VMF_MDA_HEADER_SIZE]);

/* Largest text (bytes incl. NUL) one copy may have in an area of @area_size. */
uint64_t vmf_ring_max_text(uint64_t area_size);

/*
 * Where the next copy of @new_size bytes goes, after the copy @cur (cur->size
 * == 0: empty ring). Returns 0 and *new_offset (relative to area start), or
 * -ENOSPC if @new_size exceeds vmf_ring_max_text().
 */
int vmf_ring_place(uint64_t area_size, const struct vmf_raw_locn *cur,
		   uint64_t new_size, uint64_t *new_offset);

/*
 * Split a copy at @offset of @size bytes into at most two pieces of the
 * ring: piece[0] = {offset, len}, piece[1] = {512, rest} when it wraps.
 * Offsets are relative to area start. Returns the number of pieces (1 or 2),
 * or -EINVAL if the location is outside the ring.
 */
int vmf_ring_pieces(uint64_t area_size, uint64_t offset, uint64_t size,
		    struct vmf_area piece[2]);

/* ids: 32 chars of [0-9a-zA-Z!#] */
int vmf_id_valid(const char *id, size_t len);
/* "abcdef-ghij-...": 6-4-4-4-4-4-6 groups; out must hold 39 bytes. */
void vmf_id_format(const char raw[VMF_ID_LEN], char out[39]);
/* Accept a formatted (38 chars with dashes) or raw (32) id. 0 or -EINVAL. */
int vmf_id_parse(const char *s, char raw[VMF_ID_LEN]);

#endif
