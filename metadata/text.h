/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The LVM2 text metadata syntax ("config tree"): sections, key = value,
 * arrays, strings with escapes, integers, comments. A parse builds a tree
 * in one arena; nodes and strings live until vmt_free().
 */
#ifndef VOLMGR_METADATA_TEXT_H
#define VOLMGR_METADATA_TEXT_H

#include <stddef.h>
#include <stdint.h>

enum vmt_type { VMT_SECTION = 1, VMT_INT, VMT_STR, VMT_ARRAY, VMT_FLOAT };

/* 32 bytes: a VG with 10,000 LVs has some 180,000 nodes. */
struct vmt_node {
	const char *key;          /* NULL for array elements */
	struct vmt_node *next;    /* next sibling / array element */
	union {                   /* by type: */
		struct vmt_node *child;   /* SECTION: first child; ARRAY: first element */
		const char *str;          /* VMT_STR: unescaped, NUL-terminated; VMT_FLOAT: as written */
		int64_t num;              /* VMT_INT */
	};
	uint32_t len;             /* VMT_STR: byte length of str */
	uint8_t type;
	uint8_t kid;              /* enum vmt_kid: which common key, 0 for any other */
};

/* Keys every LV repeats get a number at parse time: readers switch on it. */
enum vmt_kid {
	VMT_K_OTHER = 0, VMT_K_ID, VMT_K_STATUS, VMT_K_FLAGS, VMT_K_TAGS, VMT_K_CREATION_TIME,
	VMT_K_CREATION_HOST, VMT_K_SEGMENT_COUNT, VMT_K_START_EXTENT, VMT_K_EXTENT_COUNT,
	VMT_K_TYPE, VMT_K_STRIPE_COUNT, VMT_K_STRIPE_SIZE, VMT_K_STRIPES, VMT_K_SEGMENT1,
	VMT_K_SEGMENT2, VMT_K_DEVICE, VMT_K_DEV_SIZE, VMT_K_PE_START, VMT_K_PE_COUNT,
};

struct vmt_tree;

#define VMT_MAX_DEPTH 32        /* nesting limit: deeper input is rejected */

/*
 * Parse @len bytes of @text (need not be NUL-terminated; parsing stops at
 * the first NUL or at @len). Returns 0 and *out, -EINVAL with "line N: ..."
 * in @err (size VMT_ERRLEN, may be NULL), or -ENOMEM.
 */
#define VMT_ERRLEN 160
int vmt_parse(const char *text, size_t len, struct vmt_tree **out, char *err);
void vmt_free(struct vmt_tree *t);
/* The implicit top-level section: its children are the top-level keys. */
const struct vmt_node *vmt_root(const struct vmt_tree *t);

/* First child of SECTION @sec with @key, or NULL. */
const struct vmt_node *vmt_find(const struct vmt_node *sec, const char *key);
/* Typed getters: 0, -ENOENT (absent) or -EINVAL (wrong type). */
int vmt_get_int(const struct vmt_node *sec, const char *key, int64_t *out);
int vmt_get_str(const struct vmt_node *sec, const char *key, const char **out);

/* A growable output buffer. */
/*
 * A buffer can also describe its text as pieces: runs of its own bytes and
 * bytes that live elsewhere (vmt_put_ext), so that large unchanged parts of
 * an old text are written out from where they are, never copied.
 */
struct vmt_piece {
	const char *ext;         /* external bytes; NULL: the buffer's bytes from off */
	size_t off, len;
};

struct vmt_buf {
	char *p;
	size_t len, cap;
	int oom;                 /* sticky: set once an append failed */
	int flat;                /* no indentation: how lvm2 writes metadata areas */
	int use_pieces;          /* vmt_put_ext() references instead of copying */
	struct vmt_piece *pieces;
	size_t npieces, piececap, mark;
	size_t total;            /* with pieces: the length of the whole text */
};
void vmt_buf_free(struct vmt_buf *b);
/* Bytes that stay where they are (copied unless b->use_pieces). */
void vmt_put_ext(struct vmt_buf *b, const char *s, size_t n);
/* Close the piece list (after the last append); b->total is then the text's length. */
void vmt_pieces_finish(struct vmt_buf *b);
static inline const char *vmt_piece_ptr(const struct vmt_buf *b, const struct vmt_piece *pc)
{
	return pc->ext ? pc->ext : b->p + pc->off;
}
/* Make room for @n more bytes (and a NUL) at once; 0 or -ENOMEM. */
int vmt_reserve(struct vmt_buf *b, size_t n);
void vmt_puts(struct vmt_buf *b, const char *s);
void vmt_putn(struct vmt_buf *b, const char *s, size_t n);
void vmt_printf(struct vmt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vmt_indent(struct vmt_buf *b, int depth);          /* depth tabs */
void vmt_put_quoted(struct vmt_buf *b, const char *s);   /* "..." escaping " and \ */

/*
 * Write @n (and nothing after it) as lvm2 does at @depth: "key = value\n",
 * "key = [a, b]\n", "key {\n...\n}\n", with tab indentation.
 */
void vmt_write_node(struct vmt_buf *b, const struct vmt_node *n, int depth);

#endif
