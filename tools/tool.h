/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The volmgr command-line tool: shared declarations. */
#ifndef VOLMGR_TOOL_H
#define VOLMGR_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include "volmgr.h"

/* Exit codes, as lvm2's: 0 ok, 3 bad command line, 5 the command failed. */
#define EXIT_USAGE  3
#define EXIT_FAILED 5

#define MAX_TAGS 64

struct opts {
	const char *cmd;
	int argc;                       /* positional arguments */
	char **argv;
	const char *size, *extents, *name, *stripesize, *alloc, *activate, *options, *sort;
	const char *separator, *units, *reportformat, *metadatasize, *dataalignment, *devices;
	const char *extentsize, *file, *config, *type, *zero, *wipe, *time_format, *activationmode;
	const char *chunksize, *interval;
	const char *target, *bus, *cache, *io, *serial, *format, *qmp, *notify;
	const char *addtag[MAX_TAGS], *deltag[MAX_TAGS];
	int naddtag, ndeltag;
	int stripes;
	int force, yes, verbose, quiet;
	bool noheadings, nosuffix, unbuffered, snapshot, resizefs, updatemetadata, readonly;
	bool nameprefixes, refresh, nofsck, once, merge, background, live, persist, removemissing;
};

struct command {
	const char *name;
	int (*fn)(vm_ctx *ctx, struct opts *o);
	const char *accepts;            /* long option names accepted, space separated */
	const char *usage;
	const char *summary;
};

/* main.c */
int fail(vm_ctx *ctx, int r);                         /* print the library's reason, map to exit code */
int usage_error(const struct opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool ask_user(const struct opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void say(const struct opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* report.c */
enum report_kind { REPORT_PV, REPORT_VG, REPORT_LV };
int report_run(vm_ctx *ctx, struct opts *o, enum report_kind kind);
int display_run(vm_ctx *ctx, struct opts *o, enum report_kind kind);
int parse_lv_arg(const char *arg, char *vg, char *lv);  /* "VG/LV" or "/dev/VG/LV" */
const char *const *report_field_names(void);
void fmt_human(uint64_t bytes, char *buf, size_t len);   /* "1.50 GiB", "<2.00 MiB" */

/* commands */
int cmd_pvcreate(vm_ctx *, struct opts *);
int cmd_pvremove(vm_ctx *, struct opts *);
int cmd_pvs(vm_ctx *, struct opts *);
int cmd_pvdisplay(vm_ctx *, struct opts *);
int cmd_pvck(vm_ctx *, struct opts *);
int cmd_pvscan(vm_ctx *, struct opts *);
int cmd_vgcreate(vm_ctx *, struct opts *);
int cmd_vgextend(vm_ctx *, struct opts *);
int cmd_vgreduce(vm_ctx *, struct opts *);
int cmd_vgremove(vm_ctx *, struct opts *);
int cmd_vgrename(vm_ctx *, struct opts *);
int cmd_vgs(vm_ctx *, struct opts *);
int cmd_vgdisplay(vm_ctx *, struct opts *);
int cmd_vgcfgbackup(vm_ctx *, struct opts *);
int cmd_vgcfgrestore(vm_ctx *, struct opts *);
int cmd_vgck(vm_ctx *, struct opts *);
int cmd_vgchange(vm_ctx *, struct opts *);
int cmd_vgscan(vm_ctx *, struct opts *);
int cmd_lvcreate(vm_ctx *, struct opts *);
int cmd_lvremove(vm_ctx *, struct opts *);
int cmd_lvrename(vm_ctx *, struct opts *);
int cmd_lvresize(vm_ctx *, struct opts *);
int cmd_lvs(vm_ctx *, struct opts *);
int cmd_lvdisplay(vm_ctx *, struct opts *);
int cmd_lvchange(vm_ctx *, struct opts *);
int cmd_lvmonitor(vm_ctx *, struct opts *);
int cmd_lvconvert(vm_ctx *, struct opts *);
int cmd_lvdisk(vm_ctx *, struct opts *);
int cmd_lvattach(vm_ctx *, struct opts *);
int cmd_lvdetach(vm_ctx *, struct opts *);

#endif
