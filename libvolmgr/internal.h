/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvolmgr internals: not installed, not exported. */
#ifndef VOLMGR_INTERNAL_H
#define VOLMGR_INTERNAL_H

#include <regex.h>
#include <sys/types.h>

#include "format.h"
#include "text.h"
#include "vgmeta.h"
#include "volmgr.h"

#define VM_ERRLEN              512
#define VM_DEFAULT_SYSTEM_DIR  "/etc/volmgr"
#define VM_DEFAULT_LOCK_DIR    "/run/lock/volmgr"
#define VM_DEFAULT_PE_START    (8ull << 20)       /* holds > 10,000 LVs of metadata */
#define VM_DEFAULT_ALIGN       (1ull << 20)
#define VM_MDA_OFFSET          4096ull
#define VM_DEFAULT_EXTENT      (4ull << 20)
#define VM_DEFAULT_STRIPE      (64ull << 10)
#define VM_ORPHAN_LOCK         "P_orphans"
#define VM_DEFAULT_CHUNK       4096ull            /* snapshot chunk, as lvm2's */

enum mda_state { MDA_EMPTY, MDA_OK, MDA_BAD };

struct vm_mda {
	uint64_t offset, size;            /* absolute bytes */
	enum mda_state state;
	struct vmf_mda_header hdr;        /* valid unless MDA_BAD with bad header */
	bool hdr_ok;
	uint64_t seqno;
	char vgname[VMF_NAME_MAX + 1];
	char vgid[VMF_ID_LEN];
	struct parsed *md;                /* text this area holds, when parsed */
	char why[VM_ERRLEN];             /* MDA_BAD: the reason */
};

struct vm_dev {
	char *path;
	dev_t rdev;
	uint64_t size;                    /* bytes */
	struct vmf_pv_header pvh;
	uint32_t nmda;
	struct vm_mda mda[VMF_MAX_AREAS];
	int wfd;                          /* open for writing during a commit, else -1 */
};

/* A metadata text as read from a ring, in a buffer of its own. */
struct text {
	char *p;
	uint64_t len;
	void *base;                       /* what p points into, to free */
	size_t alloc;                     /* its size, for dev_buf_free(); 0: malloc()ed */
};
void text_free(struct text *t);

/* One distinct metadata text found by a scan (identical copies share it). */
struct parsed {
	uint32_t crc;
	uint64_t size;
	struct vmf_vg *md;                /* NULL if not parsed (another VG) or bad */
	char vgname[VMF_NAME_MAX + 1];
	bool bad;
	char why[VM_ERRLEN];
	struct text text;                 /* kept for a VG opened to write: see vmf_vg_forget_text() */
};

/* A scan's result; VGs keep a reference so that later scans leave them intact. */
struct scan {
	int refs;
	struct vm_dev *devs;
	size_t ndev;
	struct parsed *texts;
	size_t ntext, textcap;
	char **vgnames;
	size_t nvg;
	struct vm_pv *orphans;
	size_t norphan;
};

struct vm_pv {
	vm_ctx *ctx;
	vm_vg *vg;                        /* NULL: orphan */
	uint32_t idx;                     /* in vg->md->pvs */
	struct vm_dev *dev;               /* NULL: missing */
};

struct vm_lv {
	vm_vg *vg;
	struct vmf_lv *md;
};

struct vm_vg {
	vm_ctx *ctx;
	struct scan *scan;
	struct vmf_vg *md;
	int lockfd, lockfd2;
	int mode;
	bool is_new, removed;
	uint64_t disk_seqno;              /* 0 for a new VG */
	struct vm_pv *pvs;                /* parallel to md->pvs */
	uint32_t npvh;
	struct vmf_pvmap *maps;           /* cached extent use; NULL when stale */
	struct vm_dev **dropped;          /* PVs leaving the VG at commit */
	uint32_t ndropped;
	struct vm_dev **added;            /* PVs joining (label flag, maybe new label) */
	uint32_t nadded;
	char *old_name;
	struct act_pending { char id[VMF_ID_LEN]; bool shrink; } *pend;   /* active LVs changed */
	size_t npend;
	int snaps;                        /* has snapshot segments: 1, 0, -1 not known yet */
	struct text text;                 /* the text md was read from, while its LVs point into it */
};

struct vm_ctx {
	char *system_dir, *lock_dir;
	char **devices;
	size_t ndevices;
	regex_t *filters;
	bool *filter_accept;
	size_t nfilter;
	bool scan_lvs;
	bool backup, archive;
	unsigned archive_min, archive_max, archive_days;
	vm_log_fn log;
	void *log_user;
	vm_confirm_fn confirm;
	void *confirm_user;
	char *description;
	char err[VM_ERRLEN];
	struct scan *scan;
	bool keep_texts;                  /* scans keep the texts they parse (a VG opened to write) */
	bool verify_all;                  /* scans read every copy, even those known by checksum */
	bool dm_checked, dm_ok;           /* device-mapper usable (asked once) */
	bool activation;                  /* global/activation in volmgr.conf */
	unsigned snap_threshold, snap_percent;   /* activation/snapshot_autoextend_* */
};

/* ctx.c */
int vm_err(vm_ctx *ctx, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vm_log(vm_ctx *ctx, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool vm_ask(vm_ctx *ctx, bool yes, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vm_fmt_size(uint64_t bytes, char out[32]);

/* device.c */
int dev_open(vm_ctx *ctx, const char *path, int flags, int *fd, uint64_t *size, dev_t *rdev);
int dev_pread(vm_ctx *ctx, int fd, const char *path, void *buf, size_t len, uint64_t off);
int dev_pwrite(vm_ctx *ctx, int fd, const char *path, const void *buf, size_t len, uint64_t off);
int dev_sync(vm_ctx *ctx, int fd, const char *path);
int dev_fs_type(vm_ctx *ctx, int fd, const char *path, char *type, size_t len);
/* An I/O buffer in whole blocks around [off, off + len): p points at off. */
struct dev_span {
	void *base;
	char *p;
	uint64_t start;
	size_t len;
};
int dev_span_begin(vm_ctx *ctx, int fd, const char *path, uint64_t off, size_t len, bool want_edges,
		   struct dev_span *s);
int dev_span_read(vm_ctx *ctx, int fd, const char *path, struct dev_span *s);
void dev_span_free(struct dev_span *s);
void *dev_buf_alloc(size_t len);
void dev_buf_free(void *p, size_t len);
int dev_list(vm_ctx *ctx, char ***paths, size_t *n);
void dev_list_free(char **paths, size_t n);
int dev_wipe_signatures(vm_ctx *ctx, int fd, const char *path, bool force, bool yes);
int dev_same(const char *a, dev_t rdev);
int dev_check_allowed(vm_ctx *ctx, const char *path);

/* scan.c */
int scan_run(vm_ctx *ctx, const char *want_vg);
void scan_put(struct scan *s);
struct vm_dev *scan_find_dev(struct scan *s, const char *path);
struct vm_dev *scan_find_pv(struct scan *s, const char id[VMF_ID_LEN]);
const char *scan_dev_vg(struct scan *s, const struct vm_dev *d);
const struct vmf_vg *scan_dev_outdated(struct scan *s, const struct vm_dev *d);
void scan_warn_outdated(vm_ctx *ctx, const struct vm_dev *d, const struct vmf_vg *md);

/* lock.c */
int lock_take(vm_ctx *ctx, const char *name, bool exclusive, int *fd);
void lock_drop(int fd);
int lock_vg(vm_ctx *ctx, const char *vgname, bool exclusive, int *fd);

/* pv.c */
void id_new(char id[VMF_ID_LEN]);
int pv_write_label(vm_ctx *ctx, int fd, struct vm_dev *d);
int pv_write_mda_header(vm_ctx *ctx, int fd, struct vm_dev *d, uint32_t i);
/* Make @path a PV (the caller holds the orphan lock and has scanned); @dry: check only. */
int pv_init(vm_ctx *ctx, const char *path, const struct vm_pvcreate_params *p, bool check_vg, bool dry);

/* vg.c */
struct vmf_pvmap *vg_maps(vm_vg *vg);
void vg_changed(vm_vg *vg);
int vg_pv_index(vm_vg *vg, const char *path);
int vg_bind_pvs(vm_vg *vg);
vm_lv *vg_lv_handle(vm_vg *vg, struct vmf_lv *md);

/* fs.c */
int run_tool(vm_ctx *ctx, char *const argv[]);

/* lv.c */
void lv_remove_snapshot_md(vm_lv *cow);
int vg_writable(vm_vg *vg);
int vg_outdated(vm_vg *vg, bool release);
int lv_remove_on_missing(vm_vg *vg, const bool *gone, bool force, size_t *removed);

/* alloc.c */
int alloc_extend(vm_vg *vg, struct vmf_lv *lv, uint64_t extents, uint32_t stripes,
		 uint32_t stripe_size, enum vm_alloc policy, const bool *allowed);
void alloc_reduce(vm_vg *vg, struct vmf_lv *lv, uint64_t extents);

/* activate.c */
int act_before_remove(vm_lv *lv);
int act_note(vm_lv *lv, bool shrink);
int act_before_commit(vm_vg *vg);
int act_after_commit(vm_vg *vg);

/* snap.c */
const struct vmt_node *snap_seg(const struct vmf_lv *m);
struct vmf_lv *snap_of_cow(const struct vmf_vg *md, const struct vmf_lv *cow);
struct vmf_lv *snap_origin_md(const struct vmf_vg *md, const struct vmf_lv *snapn);
struct vmf_lv *snap_cow_md(const struct vmf_vg *md, const struct vmf_lv *snapn);
size_t snap_list(const struct vmf_vg *md, const struct vmf_lv *origin, struct vmf_lv **out, size_t max);
bool snap_visible(const struct vmf_vg *md, const struct vmf_lv *m);
bool vg_has_snapshots(vm_vg *vg);
bool snap_merging(const struct vmf_lv *sn);

/* backup.c */
int backup_write(vm_vg *vg, const char *path);
int backup_after_commit(vm_vg *vg, const struct vmt_buf *text);
const char *backup_description(vm_ctx *ctx, char *buf, size_t len);

#endif
