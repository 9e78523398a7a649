/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for metadata/text.c: whatever parses must be written and
 * re-parsed to the same tree, and writing that tree again must give the
 * same text (the writer's output is a fixed point).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Trees from the parser are at most VMT_MAX_DEPTH deep: recursion is bounded. */
static int same(const struct vmt_node *a, const struct vmt_node *b)
{
	for (; a && b; a = a->next, b = b->next) {
		if (a->type != b->type || !a->key != !b->key || (a->key && strcmp(a->key, b->key)))
			return 0;
		switch (a->type) {
		case VMT_INT:
			if (a->num != b->num)
				return 0;
			break;
		case VMT_STR:
			if (a->len != b->len || memcmp(a->str, b->str, a->len) || strlen(a->str) != a->len)
				return 0;
			break;
		case VMT_FLOAT:
			if (strcmp(a->str, b->str))
				return 0;
			break;
		case VMT_SECTION:
		case VMT_ARRAY:
			if (!same(a->child, b->child))
				return 0;
			break;
		default:
			return 0;
		}
	}
	return !a && !b;
}

static void write_all(struct vmt_buf *b, const struct vmt_tree *t)
{
	const struct vmt_node *n;

	for (n = vmt_root(t)->child; n; n = n->next)
		vmt_write_node(b, n, 0);
	if (b->oom)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmt_buf b1 = { 0 }, b2 = { 0 };
	struct vmt_tree *t1, *t2;
	char err[VMT_ERRLEN];
	int rc;

	rc = vmt_parse((const char *)data, size, &t1, err);
	if (rc == -ENOMEM)
		return 0;
	if (rc) {
		/* Every syntax error says where and what. */
		if (rc != -EINVAL || strncmp(err, "line ", 5))
			abort();
		return 0;
	}
	write_all(&b1, t1);
	rc = vmt_parse(b1.p, b1.len, &t2, err);
	if (rc) {
		fprintf(stderr, "re-parse failed: %s\n--- written:\n%.*s\n", err, (int)b1.len, b1.p);
		abort();
	}
	if (!same(vmt_root(t1), vmt_root(t2))) {
		fprintf(stderr, "round trip changed the tree\n");
		abort();
	}
	write_all(&b2, t2);
	if (b1.len != b2.len || (b1.len && memcmp(b1.p, b2.p, b1.len))) {
		fprintf(stderr, "writer output is not a fixed point\n");
		abort();
	}
	vmt_buf_free(&b1);
	vmt_buf_free(&b2);
	vmt_free(t1);
	vmt_free(t2);
	return 0;
}
