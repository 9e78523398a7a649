/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A volume group as the text metadata describes it: PVs, LVs, segments.
 * Import from a parsed tree validates everything a hostile or damaged text
 * could get wrong; export writes lvm2's layout. Keys and segment types this
 * code does not know are kept as tree nodes and written back unchanged.
 */
#ifndef VOLMGR_METADATA_VGMETA_H
#define VOLMGR_METADATA_VGMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "format.h"
#include "text.h"

#define VMF_NAME_MAX   127u
#define VMF_TAG_MAX    1024u
#ifndef VOLMGR_VERSION
#define VOLMGR_VERSION "0"
#endif

struct vmf_arena;                         /* bump allocator owned by the VG */

struct vmf_strlist {
	const char **v;
	uint32_t n, cap;
};

struct vmf_extras {                       /* unknown keys, in their original order */
	const struct vmt_node **v;
	uint32_t n;
};

struct vmf_stripe {
	uint32_t pv;                          /* index into vg->pvs */
	uint64_t pe;                          /* first extent on that PV */
};

struct vmf_seg {
	uint64_t start_extent, extent_count;
	uint32_t stripe_count;                /* 0 for an unknown segment type */
	uint32_t stripe_size;                 /* sectors; 0 when stripe_count == 1 */
	struct vmf_stripe *stripes;
	const struct vmt_node *raw;           /* unknown type: the whole section, written verbatim */
	struct vmf_extras extra;
};

struct vmf_lv {
	const char *name;
	char id[VMF_ID_LEN];
	struct vmf_strlist status, flags, tags;
	const char *alloc;                    /* allocation_policy, NULL = inherit */
	int64_t creation_time;                /* 0: absent */
	const char *creation_host;            /* NULL: absent */
	uint32_t nseg, segcap;
	struct vmf_seg *segs;
	struct vmf_extras extra;
	bool unknown;                         /* has a segment of a type we do not handle */
	const char *text;                     /* its section in the text it was read from, */
	uint32_t text_len;                    /* written back as is while unchanged; NULL once changed */
	void *priv;                           /* owner's handle */
};

struct vmf_pv {
	const char *name;                     /* "pv0" ... : key inside the metadata */
	char id[VMF_ID_LEN];
	const char *device;                   /* hint */
	struct vmf_strlist status, flags, tags;
	uint64_t dev_size;                    /* sectors */
	uint64_t pe_start;                    /* sectors */
	uint64_t pe_count;
	struct vmf_extras extra;
};

struct vmf_vg {
	struct vmf_arena *arena;
	struct vmt_tree *tree;                /* owner of raw/extra nodes; may be NULL */
	struct vmt_tree **xtrees;             /* more owners: LV sections parsed on their own */
	uint32_t nxtrees;
	const char *name;
	char id[VMF_ID_LEN];
	uint64_t seqno;
	const char *format;
	struct vmf_strlist status, flags, tags;
	uint64_t extent_size;                 /* sectors */
	uint64_t max_lv, max_pv, metadata_copies;
	const char *alloc;                    /* allocation_policy, NULL = normal */
	struct vmf_extras extra;
	uint32_t npv, pvcap;
	struct vmf_pv *pvs;
	uint32_t nlv, lvcap;
	struct vmf_lv **lvs;
	/* top level, after the VG section */
	const char *description;
	const char *creation_host;
	int64_t creation_time;
	struct vmf_extras top_extra;
	uint64_t text_size;                   /* of the text it was read from: export reserves as much */
};

/* A new empty VG with its own arena. NULL on ENOMEM. */
struct vmf_vg *vmf_vg_new(void);
void vmf_vg_free(struct vmf_vg *vg);

/*
 * Build and validate a VG from parsed metadata. Takes ownership of @tree
 * (also on failure). Returns 0, -EINVAL with a one-line reason in @err, or
 * -ENOMEM. The text must hold exactly one VG section.
 */
int vmf_vg_import(struct vmt_tree *tree, struct vmf_vg **out, char *err);
/* Parse + import in one go. */
int vmf_vg_from_text(const char *text, size_t len, struct vmf_vg **out, char *err);
/* The same, and the LVs remember their sections in @text (see vmf_lv.text). */
int vmf_vg_from_text_spans(const char *text, size_t len, struct vmf_vg **out, char *err);

/*
 * Write the VG as metadata text (NUL not included in b->len). With
 * @backup, lvm2's vgcfgbackup comments are added. Unknown nodes are copied.
 */
void vmf_vg_export(const struct vmf_vg *vg, struct vmt_buf *b, bool backup);

/*
 * LVs read by vmf_vg_from_text_spans() remember their section in the text,
 * and export copies an unchanged LV's section instead of formatting it anew.
 * Valid only while that text is: call vmf_vg_forget_text() before freeing
 * it. Whoever changes an LV calls vmf_lv_changed().
 */
void vmf_vg_forget_text(struct vmf_vg *vg);
static inline void vmf_lv_changed(struct vmf_lv *lv) { lv->text = NULL; }

/* Re-run every consistency rule of import on the in-memory model. */
int vmf_vg_validate(const struct vmf_vg *vg, char *err);
/* The same, but LVs unchanged since they were read (vmf_lv.text) are taken as checked. */
int vmf_vg_validate_changes(const struct vmf_vg *vg, char *err);

/* Names, tags */
int vmf_name_check(const char *name, char *err);               /* VG or LV name */
int vmf_lv_name_check(const char *name, char *err);            /* + reserved names */
int vmf_tag_check(const char *tag, char *err);

/* The VG owns @t from now on (raw sections made for new segments point into it); frees it on -ENOMEM. */
int vmf_vg_keep_tree(struct vmf_vg *vg, struct vmt_tree *t);

/* Arena helpers for the model's strings and arrays. */
void *vmf_alloc(struct vmf_vg *vg, size_t size);               /* zeroed */
const char *vmf_strdup(struct vmf_vg *vg, const char *s);
int vmf_strlist_add(struct vmf_vg *vg, struct vmf_strlist *l, const char *s);
bool vmf_strlist_has(const struct vmf_strlist *l, const char *s);
bool vmf_strlist_del(struct vmf_strlist *l, const char *s);

struct vmf_lv *vmf_vg_find_lv(const struct vmf_vg *vg, const char *name);
int vmf_vg_find_pv_id(const struct vmf_vg *vg, const char id[VMF_ID_LEN]);  /* index or -1 */
struct vmf_lv *vmf_vg_add_lv(struct vmf_vg *vg, const char *name);          /* NULL on ENOMEM */
void vmf_vg_del_lv(struct vmf_vg *vg, struct vmf_lv *lv);
struct vmf_seg *vmf_lv_add_seg(struct vmf_vg *vg, struct vmf_lv *lv, uint32_t stripes);
uint64_t vmf_lv_extents(const struct vmf_lv *lv);

/* Per-PV extent usage, built from every segment. */
struct vmf_range { uint64_t start, len; };
struct vmf_pvmap {
	uint32_t n;                           /* used ranges, sorted, merged */
	struct vmf_range *used;
	uint64_t used_count;
};
/* One map per PV (vg->npv entries), malloc'd; -EINVAL (with @err) on overlap. */
int vmf_vg_pvmaps(const struct vmf_vg *vg, struct vmf_pvmap **out, char *err);
void vmf_pvmaps_free(struct vmf_pvmap *maps, uint32_t n);

#endif
