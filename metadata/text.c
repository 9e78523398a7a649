/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The LVM2 text metadata syntax: parser and writer.
 *
 * The accepted language is the part of lvm2's config syntax (libdm-config.c)
 * that lvm2 itself writes into metadata and vgcfgbackup files:
 *
 *   file    = item*
 *   item    = key '=' value | key '{' item* '}'
 *   value   = scalar | '[' (scalar ','?)* ']'
 *   scalar  = int | float | '"' string '"'
 *
 * Where lvm2 is more liberal we follow it when that cannot change meaning
 * (commas in arrays are optional and a trailing one is allowed, ints may have
 * a leading '+', '\v' and '\f' are whitespace), and refuse when it could:
 * bare and single-quoted strings, '/' in keys (lvm2 splits keys on it into a
 * path), and ints with leading zeros (lvm2's strtoll(..., 0) reads "010" as 8).
 *
 * The parser is one iterative pass with an explicit stack of open sections,
 * so hostile input costs linear time and bounded stack. Nodes and strings are
 * bump-allocated from a chunk list owned by the tree.
 */
#include "text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the arena ---------------------------------------------------------- */

#define CHUNK_MIN ((size_t)64 << 10)
#define CHUNK_MAX ((size_t)16 << 20)

struct chunk {
	struct chunk *next;
	max_align_t data[];
};

struct vmt_tree {
	struct vmt_node root;     /* the implicit top-level section */
	struct chunk *chunks;
	char *cur, *end;          /* free space in the newest chunk */
	size_t next_size;         /* chunks double up to CHUNK_MAX: few mallocs, bounded waste */
};

static void *arena_grow(struct vmt_tree *t, size_t n)
{
	size_t size = t->next_size;
	struct chunk *c;

	/* An allocation bigger than a chunk (a huge string) gets its own. */
	if (n > size - sizeof(struct chunk))
		size = n + sizeof(struct chunk);
	c = malloc(size);
	if (!c)
		return NULL;
	c->next = t->chunks;
	t->chunks = c;
	t->cur = (char *)c->data + n;
	t->end = (char *)c + size;
	if (t->next_size < CHUNK_MAX)
		t->next_size *= 2;
	return c->data;
}

static inline void *arena_alloc(struct vmt_tree *t, size_t n, size_t align)
{
	uintptr_t p = ((uintptr_t)t->cur + align - 1) & ~(uintptr_t)(align - 1);

	if (p <= (uintptr_t)t->end && n <= (uintptr_t)t->end - p) {
		t->cur = (char *)p + n;
		return (void *)p;
	}
	return arena_grow(t, n);
}

static inline struct vmt_node *new_node(struct vmt_tree *t)
{
	struct vmt_node *n = arena_alloc(t, sizeof(*n), _Alignof(struct vmt_node));

	if (n)
		*n = (struct vmt_node){ 0 };
	return n;
}

static char *arena_strndup(struct vmt_tree *t, const char *s, size_t len)
{
	char *d = arena_alloc(t, len + 1, 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/*
 * Keys that every LV repeats point at one shared copy: a VG of 10,000 LVs
 * has some 150,000 of them, and copying each would cost megabytes.
 */
static const char *key_dup(struct vmt_tree *t, const char *s, size_t len, uint8_t *kid)
{
#define K(x, id) { x, sizeof(x) - 1, id }
	static const struct { const char *k; size_t len; uint8_t kid; } common[] = {
		K("id", VMT_K_ID), K("status", VMT_K_STATUS), K("flags", VMT_K_FLAGS),
		K("tags", VMT_K_TAGS), K("creation_time", VMT_K_CREATION_TIME),
		K("creation_host", VMT_K_CREATION_HOST), K("segment_count", VMT_K_SEGMENT_COUNT),
		K("start_extent", VMT_K_START_EXTENT), K("extent_count", VMT_K_EXTENT_COUNT),
		K("type", VMT_K_TYPE), K("stripe_count", VMT_K_STRIPE_COUNT),
		K("stripe_size", VMT_K_STRIPE_SIZE), K("stripes", VMT_K_STRIPES),
		K("segment1", VMT_K_SEGMENT1), K("segment2", VMT_K_SEGMENT2), K("device", VMT_K_DEVICE),
		K("dev_size", VMT_K_DEV_SIZE), K("pe_start", VMT_K_PE_START), K("pe_count", VMT_K_PE_COUNT),
	};
#undef K
	/* candidates by length: one or two memcmp per key instead of a scan */
	static const uint8_t by_len[14][5] = {
		[2] = { 1 }, [4] = { 4, 10 }, [5] = { 3 }, [6] = { 2, 16 }, [7] = { 13 },
		[8] = { 14, 15, 17, 18, 19 }, [11] = { 12 }, [12] = { 8, 9, 11 }, [13] = { 5, 6, 7 },
	};
	for (size_t i = 0; len < 14 && i < 5 && by_len[len][i]; i++) {
		size_t c = by_len[len][i] - 1u;
		if (common[c].len == len && !memcmp(common[c].k, s, len)) {
			*kid = common[c].kid;
			return common[c].k;
		}
	}
	(void)sizeof(common);
	*kid = VMT_K_OTHER;
	return arena_strndup(t, s, len);
}

void vmt_free(struct vmt_tree *t)
{
	struct chunk *c, *next;

	if (!t)
		return;
	for (c = t->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(t);
}

const struct vmt_node *vmt_root(const struct vmt_tree *t)
{
	return t ? &t->root : NULL;
}

/* ---- the lexer's character classes ------------------------------------- */

enum { C_KEY = 1, C_SPACE = 2, C_DIGIT = 4 };

/*
 * lvm2 ends an identifier only at whitespace, NUL, '#', '=', '{' or '}'. We
 * also exclude the characters that start or separate other tokens
 * (" ' [ ] ,) and '/' (a path separator to lvm2), so that every key we
 * accept is written back bare and re-read as the same key, by us and lvm2.
 */
static const unsigned char cls[256] = {
	['\t'] = C_SPACE, ['\n'] = C_SPACE, ['\v'] = C_SPACE,
	['\f'] = C_SPACE, ['\r'] = C_SPACE, [' '] = C_SPACE,
	['!'] = C_KEY, ['$' ... '&'] = C_KEY, ['(' ... '+'] = C_KEY,
	['-' ... '.'] = C_KEY, ['0' ... '9'] = C_KEY | C_DIGIT,
	[':' ... '<'] = C_KEY, ['>' ... 'Z'] = C_KEY, ['\\'] = C_KEY,
	['^' ... 'z'] = C_KEY, ['|'] = C_KEY, ['~'] = C_KEY,
	[0x80 ... 0xff] = C_KEY,
};

#define IS(c, k) (cls[(unsigned char)(c)] & (k))

/* ---- the parser ---------------------------------------------------------- */

struct ps {
	struct vmt_tree *t;
	const char *text, *end;   /* end: @len or the first NUL */
	char *err;
};

static int fail(const struct ps *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Line numbers are counted only when reporting: the fast path never tracks them. */
static int fail(const struct ps *ps, const char *at, const char *fmt, ...)
{
	const char *p = ps->text, *nl;
	unsigned long line = 1;
	va_list ap;
	int n;

	if (!ps->err)
		return -EINVAL;
	while ((nl = memchr(p, '\n', (size_t)(at - p)))) {
		line++;
		p = nl + 1;
	}
	n = snprintf(ps->err, VMT_ERRLEN, "line %lu: ", line);
	if (n > 0 && n < VMT_ERRLEN) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, VMT_ERRLEN - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static inline const char *skip_ws(const char *p, const char *end)
{
	while (p < end) {
		if (IS(*p, C_SPACE)) {
			p++;
		} else if (*p == '#') {
			p = memchr(p, '\n', (size_t)(end - p));
			if (!p)
				return end;
		} else {
			break;
		}
	}
	return p;
}

/* A quoted string at *pp (on the opening quote). */
static int parse_string(struct ps *ps, const char **pp, struct vmt_node *n)
{
	const char *s = *pp + 1, *q = s, *end = ps->end;
	int escaped = 0;
	size_t len;
	char *d;

	/* The closing quote, found fast when no backslash comes before it. */
	q = memchr(s, '"', (size_t)(end - s));
	if (!q || memchr(s, '\\', (size_t)(q - s))) {
		/* Same scan as lvm2: a backslash hides the next character from the search. */
		for (q = s; q < end && *q != '"'; q++) {
			if (*q == '\\') {
				escaped = 1;
				if (++q == end)
					break;
			}
		}
	}
	if (q == end)
		return fail(ps, *pp, "unterminated string");
	len = (size_t)(q - s);
	if (len > UINT32_MAX)
		return fail(ps, *pp, "string too long");
	d = arena_strndup(ps->t, s, len);
	if (!d)
		return -ENOMEM;
	if (escaped) {
		/*
		 * lvm2's dm_unescape_double_quotes(): only \" and \\ lose their
		 * backslash; before any other character it is kept, so "a\b"
		 * reads as a\b, as lvm2 reads it.
		 */
		char *r = d, *w = d, *e = d + len;

		while (r < e) {
			if (r[0] == '\\' && r + 1 < e && (r[1] == '"' || r[1] == '\\'))
				r++;
			*w++ = *r++;
		}
		*w = '\0';
		len = (size_t)(w - d);
	}
	n->type = VMT_STR;
	n->str = d;
	n->len = (uint32_t)len;
	*pp = q + 1;
	return 0;
}

/* Junk glued to a number ("12abc", "1-2") is a typo, not two tokens. */
static inline int glued(const char *p, const char *end)
{
	return p < end && (IS(*p, C_KEY) || *p == '"');
}

static int bad_number(const struct ps *ps, const char *s, const char *p)
{
	if (p < ps->end)
		p++;    /* show the offending character too */
	return fail(ps, s, "bad number '%.*s'", (int)(p - s < 40 ? p - s : 40), s);
}

/* [+-]digits or [+-]digits?.digits? (at least one digit): lvm2's number tokens. */
static int parse_number(struct ps *ps, const char **pp, struct vmt_node *n)
{
	const char *s = *pp, *p = s, *end = ps->end, *d;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (d = p; p < end && IS(*p, C_DIGIT); p++)
		;
	if (p < end && *p == '.') {
		for (p++; p < end && IS(*p, C_DIGIT); p++)
			;
		/* "." and "-." have no digit at all. */
		if (p - d == 1 || glued(p, end))
			return bad_number(ps, s, p);
		n->type = VMT_FLOAT;
		n->str = arena_strndup(ps->t, s, (size_t)(p - s));
		if (!n->str)
			return -ENOMEM;
		*pp = p;
		return 0;
	}
	if (p == d || glued(p, end))
		return bad_number(ps, s, p);
	if (*d == '0' && p - d > 1)
		return fail(ps, s, "bad number (leading zero: lvm2 would read it as octal)");

	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	const char *q = d;

	/* 18 digits cannot overflow: only longer numbers pay for the checks. */
	for (; q < p && q - d < 18; q++)
		v = v * 10 + (uint64_t)(*q - '0');
	for (; q < p; q++) {
		unsigned dig = (unsigned)(*q - '0');

		if (v > (limit - dig) / 10)
			return fail(ps, s, "integer overflow");
		v = v * 10 + dig;
	}
	n->type = VMT_INT;
	n->num = !neg ? (int64_t)v : v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	*pp = p;
	return 0;
}

static int parse_scalar(struct ps *ps, const char **pp, struct vmt_node *n)
{
	const char *p = *pp;

	if (p == ps->end)
		return fail(ps, p, "missing value");
	if (*p == '"')
		return parse_string(ps, pp, n);
	if (IS(*p, C_DIGIT) || *p == '-' || *p == '+' || *p == '.')
		return parse_number(ps, pp, n);
	if (*p == '[')
		return fail(ps, p, "nested array");
	return fail(ps, p, "junk where a value was expected");
}

/* An array at *pp (on the '['): scalars, each optionally followed by ','. */
static int parse_array(struct ps *ps, const char **pp, struct vmt_node *n)
{
	const char *open = *pp, *p = open + 1, *end = ps->end;
	struct vmt_node **tail = &n->child, *e;
	int rc;

	n->type = VMT_ARRAY;
	for (;;) {
		p = skip_ws(p, end);
		if (p == end)
			return fail(ps, open, "unterminated array");
		if (*p == ']')
			break;
		e = new_node(ps->t);
		if (!e)
			return -ENOMEM;
		rc = parse_scalar(ps, &p, e);
		if (rc)
			return rc;
		*tail = e;
		tail = &e->next;
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p++;
	}
	*pp = p + 1;
	return 0;
}

static int parse_items(struct ps *ps)
{
	/* Open sections: [0] is the root; each level appends through its tail. */
	struct {
		struct vmt_node *sec;
		struct vmt_node **tail;
		const char *at;        /* where its key starts, for errors */
	} st[VMT_MAX_DEPTH + 1];
	const char *p = ps->text, *end = ps->end, *k;
	struct vmt_node *n;
	int depth = 0, rc;

	st[0].sec = &ps->t->root;
	st[0].tail = &ps->t->root.child;
	st[0].at = p;
	for (;;) {
		p = skip_ws(p, end);
		if (p == end)
			break;
		if (*p == '}') {
			if (!depth)
				return fail(ps, p, "unexpected '}'");
			depth--;
			p++;
			continue;
		}
		if (!IS(*p, C_KEY))
			return fail(ps, p, "junk where a key was expected");
		for (k = p++; p < end && IS(*p, C_KEY); p++)
			;
		n = new_node(ps->t);
		if (!n || !(n->key = key_dup(ps->t, k, (size_t)(p - k), &n->kid)))
			return -ENOMEM;
		*st[depth].tail = n;
		st[depth].tail = &n->next;

		p = skip_ws(p, end);
		if (p < end && *p == '{') {
			if (depth == VMT_MAX_DEPTH)
				return fail(ps, p, "nesting too deep (more than %d sections)",
					    VMT_MAX_DEPTH);
			n->type = VMT_SECTION;
			depth++;
			st[depth].sec = n;
			st[depth].tail = &n->child;
			st[depth].at = k;
			p++;
			continue;
		}
		if (p == end || *p != '=')
			return fail(ps, p, "missing '=' after '%.40s'", n->key);
		p = skip_ws(p + 1, end);
		rc = p < end && *p == '[' ? parse_array(ps, &p, n) : parse_scalar(ps, &p, n);
		if (rc)
			return rc;
	}
	if (depth)
		return fail(ps, st[depth].at, "unterminated section '%.40s'", st[depth].sec->key);
	return 0;
}

int vmt_parse(const char *text, size_t len, struct vmt_tree **out, char *err)
{
	struct vmt_tree *t;
	const char *nul;
	struct ps ps;
	int rc;

	*out = NULL;
	if (err)
		*err = '\0';
	if (!text || !len) {
		text = "";     /* no arithmetic on a NULL pointer */
		len = 0;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->root.type = VMT_SECTION;
	t->next_size = CHUNK_MIN;
	nul = memchr(text, '\0', len);
	ps = (struct ps){ .t = t, .text = text, .end = nul ? nul : text + len, .err = err };
	rc = parse_items(&ps);
	if (rc) {
		if (rc == -ENOMEM && err)
			snprintf(err, VMT_ERRLEN, "out of memory");
		vmt_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* ---- lookups ------------------------------------------------------------- */

const struct vmt_node *vmt_find(const struct vmt_node *sec, const char *key)
{
	const struct vmt_node *n;

	if (!sec || sec->type != VMT_SECTION)
		return NULL;
	for (n = sec->child; n; n = n->next)
		if (n->key && !strcmp(n->key, key))
			return n;
	return NULL;
}

int vmt_get_int(const struct vmt_node *sec, const char *key, int64_t *out)
{
	const struct vmt_node *n = vmt_find(sec, key);

	if (!n)
		return -ENOENT;
	if (n->type != VMT_INT)
		return -EINVAL;
	*out = n->num;
	return 0;
}

int vmt_get_str(const struct vmt_node *sec, const char *key, const char **out)
{
	const struct vmt_node *n = vmt_find(sec, key);

	if (!n)
		return -ENOENT;
	if (n->type != VMT_STR)
		return -EINVAL;
	*out = n->str;
	return 0;
}

/* ---- the output buffer ---------------------------------------------------- */

/*
 * Make room for @n more bytes and a NUL: the buffer is always a C string
 * once anything was written.
 */
static int buf_reserve(struct vmt_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return 0;
	if (b->cap > b->len && n < b->cap - b->len)
		return 1;
	if (n > SIZE_MAX - b->len - 1)
		goto oom;
	need = b->len + n + 1;
	for (cap = b->cap ? b->cap : 256; cap < need; cap *= 2)
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
	p = realloc(b->p, cap);
	if (!p)
		goto oom;
	b->p = p;
	b->cap = cap;
	return 1;
oom:
	b->oom = 1;
	return 0;
}

void vmt_buf_free(struct vmt_buf *b)
{
	free(b->p);
	free(b->pieces);
	*b = (struct vmt_buf){ 0 };
}

static void add_piece(struct vmt_buf *b, const char *ext, size_t off, size_t len)
{
	if (!len || b->oom)
		return;
	struct vmt_piece *last = b->npieces ? &b->pieces[b->npieces - 1] : NULL;
	if (last && ext && last->ext && last->ext + last->len == ext) {
		last->len += len;               /* adjacent in the old text: one piece */
		return;
	}
	if (b->npieces == b->piececap) {
		size_t nc = b->piececap ? b->piececap * 2 : 16;
		struct vmt_piece *np = realloc(b->pieces, nc * sizeof(*np));
		if (!np) {
			b->oom = 1;
			return;
		}
		b->pieces = np;
		b->piececap = nc;
	}
	b->pieces[b->npieces++] = (struct vmt_piece){ ext, off, len };
}

void vmt_put_ext(struct vmt_buf *b, const char *s, size_t n)
{
	if (!b->use_pieces) {
		vmt_putn(b, s, n);
		return;
	}
	add_piece(b, NULL, b->mark, b->len - b->mark);
	b->mark = b->len;
	add_piece(b, s, 0, n);
	b->total += n;
}

void vmt_pieces_finish(struct vmt_buf *b)
{
	if (!b->use_pieces) {
		add_piece(b, NULL, 0, b->len);
		b->total = b->len;
		return;
	}
	add_piece(b, NULL, b->mark, b->len - b->mark);
	b->mark = b->len;
	b->total = 0;
	for (size_t i = 0; i < b->npieces; i++)
		b->total += b->pieces[i].len;
}

int vmt_reserve(struct vmt_buf *b, size_t n)
{
	return buf_reserve(b, n) ? 0 : -ENOMEM;
}

void vmt_putn(struct vmt_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void vmt_puts(struct vmt_buf *b, const char *s)
{
	vmt_putn(b, s, strlen(s));
}

void vmt_printf(struct vmt_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	size_t avail;
	int n;

	if (!buf_reserve(b, 0))
		return;
	avail = b->cap - b->len;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(b->p + b->len, avail, fmt, ap);
	if (n >= 0 && (size_t)n >= avail && buf_reserve(b, (size_t)n))
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	va_end(ap);
	if (n < 0)
		b->oom = 1;
	if (!b->oom)
		b->len += (size_t)n;
	else if (b->p)
		b->p[b->len] = '\0';    /* drop a partial write */
}

void vmt_indent(struct vmt_buf *b, int depth)
{
	if (b->flat)
		return;
	static const char tabs[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
	int k;

	for (; depth > 0; depth -= k) {
		k = depth < (int)sizeof(tabs) - 1 ? depth : (int)sizeof(tabs) - 1;
		vmt_putn(b, tabs, (size_t)k);
	}
}

void vmt_put_quoted(struct vmt_buf *b, const char *s)
{
	size_t k;

	vmt_putn(b, "\"", 1);
	for (;;) {
		k = strcspn(s, "\"\\");
		vmt_putn(b, s, k);
		s += k;
		if (!*s)
			break;
		vmt_putn(b, "\\", 1);
		vmt_putn(b, s++, 1);
	}
	vmt_putn(b, "\"", 1);
}

/* ---- the writer ------------------------------------------------------------ */

static void put_int(struct vmt_buf *b, int64_t v)
{
	char tmp[24], *q = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		*--q = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--q = '-';
	vmt_putn(b, q, (size_t)(tmp + sizeof(tmp) - q));
}

/* Array elements must be scalars (the parser never builds anything else). */
static void put_scalar(struct vmt_buf *b, const struct vmt_node *v)
{
	switch (v->type) {
	case VMT_INT:
		put_int(b, v->num);
		break;
	case VMT_STR:
		vmt_put_quoted(b, v->str ? v->str : "");
		break;
	case VMT_FLOAT:
		vmt_puts(b, v->str ? v->str : "0.0");
		break;
	}
}

/*
 * A node without a key is written as its body alone: the root (as from
 * vmt_root()) gives the whole file, an array element its value line.
 */
void vmt_write_node(struct vmt_buf *b, const struct vmt_node *n, int depth)
{
	const struct vmt_node *c;

	if (n->type == VMT_SECTION) {
		if (!n->key) {
			for (c = n->child; c; c = c->next)
				vmt_write_node(b, c, depth);
			return;
		}
		vmt_indent(b, depth);
		vmt_puts(b, n->key);
		vmt_putn(b, " {\n", 3);
		for (c = n->child; c; c = c->next)
			vmt_write_node(b, c, depth + 1);
		vmt_indent(b, depth);
		vmt_putn(b, "}\n", 2);
		return;
	}
	vmt_indent(b, depth);
	if (n->key) {
		vmt_puts(b, n->key);
		vmt_putn(b, " = ", 3);
	}
	if (n->type == VMT_ARRAY) {
		vmt_putn(b, "[", 1);
		for (c = n->child; c; c = c->next) {
			put_scalar(b, c);
			if (c->next)
				vmt_putn(b, ", ", 2);
		}
		vmt_putn(b, "]", 1);
	} else {
		put_scalar(b, n);
	}
	vmt_putn(b, "\n", 1);
}
