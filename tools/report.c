/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pvs/vgs/lvs as lvm2 prints them: -o field lists (with +field), -O sort,
 * --noheadings, --separator, --units, --nosuffix, --unbuffered,
 * --reportformat json; and the *display commands.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool.h"

enum ftype { T_STR, T_SIZE, T_NUM, T_SNUM };   /* T_SNUM: a signed number (-1) */
enum level { L_PV, L_VG, L_LV, L_SEG };

struct row {
	vm_vg *vg;
	vm_pv *pv;
	vm_lv *lv;
	size_t seg;
};

/* 16 bytes a cell, text in the table's pool: lvs of 10,000 LVs stays small. */
struct cell {
	uint64_t num;
	uint32_t off;           /* into table.pool */
	uint16_t len;
	bool numeric;
};

struct field {
	const char *name, *heading;
	enum level level;
	enum ftype type;
	/* T_SIZE/T_NUM: return the number; T_STR: write into buf */
	uint64_t (*num)(const struct row *r);
	void (*str)(const struct row *r, char *buf, size_t len, const struct opts *o);
};

/* ---------------------------------------------------------------- getters */

#define NUM(fname, expr) static uint64_t fname(const struct row *r) { (void)r; return (expr); }
NUM(g_pv_size, vm_pv_size(r->pv))
NUM(g_pv_free, vm_pv_free(r->pv))
NUM(g_pv_used, vm_pv_size(r->pv) - vm_pv_free(r->pv))
NUM(g_pe_start, vm_pv_pe_start(r->pv))
NUM(g_dev_size, vm_pv_dev_size(r->pv))
NUM(g_pv_pe_count, vm_pv_pe_count(r->pv))
NUM(g_pv_pe_alloc, vm_pv_pe_alloc_count(r->pv))
NUM(g_pv_mda_count, vm_pv_mda_count(r->pv))
NUM(g_pv_mda_size, vm_pv_mda_size(r->pv))
NUM(g_pv_mda_free, vm_pv_mda_free(r->pv))
NUM(g_vg_size, r->vg ? vm_vg_size(r->vg) : 0)
NUM(g_vg_free, r->vg ? vm_vg_free_bytes(r->vg) : 0)
NUM(g_vg_extent_size, r->vg ? vm_vg_extent_size(r->vg) : 0)
NUM(g_vg_extent_count, r->vg ? vm_vg_extent_count(r->vg) : 0)
NUM(g_vg_free_count, r->vg ? vm_vg_free_count(r->vg) : 0)
NUM(g_lv_count, r->vg ? vm_vg_lv_count(r->vg) : 0)
NUM(g_pv_count, r->vg ? vm_vg_pv_count(r->vg) : 0)
static uint64_t g_snap_count(const struct row *r)
{
	uint64_t n = 0;
	for (size_t i = 0; r->vg && i < vm_vg_lv_total(r->vg); i++)
		n += vm_lv_origin(vm_vg_lv_at(r->vg, i)) != NULL;
	return n;
}
NUM(g_vg_seqno, r->vg ? vm_vg_seqno(r->vg) : 0)
NUM(g_vg_mda_count, r->vg ? vm_vg_mda_count(r->vg) : 0)
NUM(g_vg_mda_size, r->vg ? vm_vg_mda_size(r->vg) : 0)
NUM(g_vg_mda_free, r->vg ? vm_vg_mda_free(r->vg) : 0)
NUM(g_lv_size, vm_lv_size(r->lv))
NUM(g_seg_count, vm_lv_seg_count(r->lv))

static struct vm_seg segof(const struct row *r)
{
	struct vm_seg s = { 0 };
	vm_lv_seg(r->lv, r->seg, &s);
	return s;
}
NUM(g_seg_start, segof(r).start_extent * vm_vg_extent_size(r->vg))
NUM(g_seg_start_pe, segof(r).start_extent)
NUM(g_seg_size, segof(r).extent_count * vm_vg_extent_size(r->vg))
NUM(g_seg_size_pe, segof(r).extent_count)
NUM(g_stripes, segof(r).stripes)
NUM(g_stripe_size, segof(r).stripe_size)

#define STR(fname, expr) \
	static void fname(const struct row *r, char *b, size_t n, const struct opts *o) \
	{ (void)r; (void)o; snprintf(b, n, "%s", (expr)); }
STR(s_pv_name, vm_pv_device(r->pv))
STR(s_vg_name, r->vg ? vm_vg_name(r->vg) : "")
STR(s_pv_fmt, "lvm2")
STR(s_vg_fmt, "lvm2")
STR(s_lv_name, vm_lv_name(r->lv))
STR(s_empty, "")
STR(s_segtype, segof(r).type)
STR(s_lv_host, vm_lv_creation_host(r->lv))
STR(s_lv_alloc, vm_lv_alloc(r->lv))

/* The kernel's view of an LV (inactive when it cannot be asked). */
static struct vm_lv_state lvstate(const struct row *r)
{
	struct vm_lv_state st;
	if (vm_lv_state(r->lv, &st))
		memset(&st, 0, sizeof(st)), st.major = st.minor = -1;
	return st;
}
STR(s_lv_active, lvstate(r).active ? "active" : "")
STR(s_origin, vm_lv_origin(r->lv) ? vm_lv_origin(r->lv) : "")

/* Snap% (and Data%, the same for a snapshot): the COW in use, as the kernel says. */
static void s_snap_percent(const struct row *r, char *b, size_t n, const struct opts *o)
{
	struct vm_snapshot_usage u;
	b[0] = 0;
	if (vm_lv_origin(r->lv) && !vm_lv_snapshot_usage(r->lv, &u))
		snprintf(b, n, "%.2f", vm_snapshot_percent(&u));
}
NUM(g_lv_kernel_major, (uint64_t)(int64_t)lvstate(r).major)
NUM(g_lv_kernel_minor, (uint64_t)(int64_t)lvstate(r).minor)

/* Fields the library fills into a fixed-size buffer (uuids, attributes). */
#define FILL(fname, size, cond, call) \
	static void fname(const struct row *r, char *b, size_t n, const struct opts *o) \
	{ char a[size] = ""; (void)o; if (cond) call; snprintf(b, n, "%s", a); }
FILL(s_pv_uuid, 39, 1, vm_pv_uuid(r->pv, a))
FILL(s_vg_uuid, 39, r->vg, vm_vg_uuid(r->vg, a))
FILL(s_lv_uuid, 39, 1, vm_lv_uuid(r->lv, a))
FILL(s_pv_attr, 4, 1, vm_pv_attr(r->pv, a))
FILL(s_vg_attr, 7, r->vg, vm_vg_attr(r->vg, a))
FILL(s_lv_attr, 11, 1, vm_lv_attr(r->lv, a))

static void s_lv_path(const struct row *r, char *b, size_t n, const struct opts *o)
{
	snprintf(b, n, vm_lv_visible(r->lv) ? "/dev/%s/%s" : "", vm_vg_name(r->vg), vm_lv_name(r->lv));
}

static void s_lv_full_name(const struct row *r, char *b, size_t n, const struct opts *o)
{
	snprintf(b, n, "%s/%s", vm_vg_name(r->vg), vm_lv_name(r->lv));
}

static void s_lv_dm_path(const struct row *r, char *b, size_t n, const struct opts *o)
{
	/* dm names double every '-' inside the VG and LV names */
	size_t at = snprintf(b, n, "/dev/mapper/");
	const char *parts[2] = { vm_vg_name(r->vg), vm_lv_name(r->lv) };
	for (int p = 0; p < 2 && at + 3 < n; p++) {
		for (const char *c = parts[p]; *c && at + 3 < n; c++) {
			b[at++] = *c;
			if (*c == '-')
				b[at++] = '-';
		}
		if (!p)
			b[at++] = '-';
	}
	b[at] = 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Tags print sorted, as lvm2 prints them. */
static void join_tags(char *b, size_t n, size_t count, const char *(*at)(const void *, size_t),
		      const void *obj)
{
	const char *v[64];
	size_t w = 0, k = count < 64 ? count : 64;
	b[0] = 0;
	for (size_t i = 0; i < k; i++)
		v[i] = at(obj, i);
	qsort(v, k, sizeof(*v), str_cmp);
	for (size_t i = 0; i < k && w < n; i++)
		w += snprintf(b + w, n - w, "%s%s", i ? "," : "", v[i]);
}

static const char *lv_tag(const void *o, size_t i) { return vm_lv_tag_at(o, i); }
static const char *vg_tag(const void *o, size_t i) { return vm_vg_tag_at(o, i); }
static const char *pv_tag(const void *o, size_t i) { return vm_pv_tag_at(o, i); }

static void s_lv_tags(const struct row *r, char *b, size_t n, const struct opts *o)
{
	join_tags(b, n, vm_lv_tag_count(r->lv), lv_tag, r->lv);
}

static void s_vg_tags(const struct row *r, char *b, size_t n, const struct opts *o)
{
	b[0] = 0;
	if (r->vg)
		join_tags(b, n, vm_vg_tag_count(r->vg), vg_tag, r->vg);
}

static void s_pv_tags(const struct row *r, char *b, size_t n, const struct opts *o)
{
	join_tags(b, n, vm_pv_tag_count(r->pv), pv_tag, r->pv);
}

static void s_lv_time(const struct row *r, char *b, size_t n, const struct opts *o)
{
	time_t t = (time_t)vm_lv_creation_time(r->lv);
	struct tm tm;
	b[0] = 0;
	if (!t || !localtime_r(&t, &tm))
		return;
	/* the format is the user's own (--config report/time_format) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	strftime(b, n, o->time_format ? o->time_format : "%Y-%m-%d %H:%M:%S %z", &tm);
#pragma GCC diagnostic pop
}

/* Each stripe of the row's segment: "dev(pe)" joined by ',' or "dev:pe-last" by ' '. */
static void stripes(const struct row *r, char *b, size_t n, bool ranges)
{
	struct vm_seg s = segof(r);
	size_t w = 0;
	b[0] = 0;
	for (uint32_t k = 0; k < s.stripes && w < n; k++) {
		vm_pv *pv;
		uint64_t pe;
		if (vm_lv_seg_stripe(r->lv, r->seg, k, &pv, &pe))
			continue;
		if (ranges)
			w += snprintf(b + w, n - w, "%s%s:%" PRIu64 "-%" PRIu64, k ? " " : "", vm_pv_device(pv),
				      pe, pe + s.extent_count / s.stripes - 1);
		else
			w += snprintf(b + w, n - w, "%s%s(%" PRIu64 ")", k ? "," : "", vm_pv_device(pv), pe);
	}
}

static void s_devices(const struct row *r, char *b, size_t n, const struct opts *o)
{
	stripes(r, b, n, false);
}

static void s_seg_pe_ranges(const struct row *r, char *b, size_t n, const struct opts *o)
{
	stripes(r, b, n, true);
}

static const struct field fields[] = {
	{ "pv_name", "PV", L_PV, T_STR, NULL, s_pv_name },
	{ "pv_uuid", "PV UUID", L_PV, T_STR, NULL, s_pv_uuid },
	{ "pv_fmt", "Fmt", L_PV, T_STR, NULL, s_pv_fmt },
	{ "pv_attr", "Attr", L_PV, T_STR, NULL, s_pv_attr },
	{ "pv_size", "PSize", L_PV, T_SIZE, g_pv_size, NULL },
	{ "pv_free", "PFree", L_PV, T_SIZE, g_pv_free, NULL },
	{ "pv_used", "Used", L_PV, T_SIZE, g_pv_used, NULL },
	{ "pe_start", "1st PE", L_PV, T_SIZE, g_pe_start, NULL },
	{ "dev_size", "DevSize", L_PV, T_SIZE, g_dev_size, NULL },
	{ "pv_pe_count", "PE", L_PV, T_NUM, g_pv_pe_count, NULL },
	{ "pv_pe_alloc_count", "Alloc", L_PV, T_NUM, g_pv_pe_alloc, NULL },
	{ "pv_tags", "PV Tags", L_PV, T_STR, NULL, s_pv_tags },
	{ "pv_mda_count", "#PMda", L_PV, T_NUM, g_pv_mda_count, NULL },
	{ "pv_mda_size", "PMdaSize", L_PV, T_SIZE, g_pv_mda_size, NULL },
	{ "pv_mda_free", "PMdaFree", L_PV, T_SIZE, g_pv_mda_free, NULL },
	{ "vg_name", "VG", L_VG, T_STR, NULL, s_vg_name },
	{ "vg_uuid", "VG UUID", L_VG, T_STR, NULL, s_vg_uuid },
	{ "vg_fmt", "Fmt", L_VG, T_STR, NULL, s_vg_fmt },
	{ "vg_attr", "Attr", L_VG, T_STR, NULL, s_vg_attr },
	{ "vg_size", "VSize", L_VG, T_SIZE, g_vg_size, NULL },
	{ "vg_free", "VFree", L_VG, T_SIZE, g_vg_free, NULL },
	{ "vg_extent_size", "Ext", L_VG, T_SIZE, g_vg_extent_size, NULL },
	{ "vg_extent_count", "#Ext", L_VG, T_NUM, g_vg_extent_count, NULL },
	{ "vg_free_count", "Free", L_VG, T_NUM, g_vg_free_count, NULL },
	{ "lv_count", "#LV", L_VG, T_NUM, g_lv_count, NULL },
	{ "pv_count", "#PV", L_VG, T_NUM, g_pv_count, NULL },
	{ "snap_count", "#SN", L_VG, T_NUM, g_snap_count, NULL },
	{ "vg_seqno", "Seq", L_VG, T_NUM, g_vg_seqno, NULL },
	{ "vg_tags", "VG Tags", L_VG, T_STR, NULL, s_vg_tags },
	{ "vg_mda_count", "#VMda", L_VG, T_NUM, g_vg_mda_count, NULL },
	{ "vg_mda_size", "VMdaSize", L_VG, T_SIZE, g_vg_mda_size, NULL },
	{ "vg_mda_free", "VMdaFree", L_VG, T_SIZE, g_vg_mda_free, NULL },
	{ "lv_name", "LV", L_LV, T_STR, NULL, s_lv_name },
	{ "lv_full_name", "LV", L_LV, T_STR, NULL, s_lv_full_name },
	{ "lv_uuid", "LV UUID", L_LV, T_STR, NULL, s_lv_uuid },
	{ "lv_attr", "Attr", L_LV, T_STR, NULL, s_lv_attr },
	{ "lv_size", "LSize", L_LV, T_SIZE, g_lv_size, NULL },
	{ "lv_path", "Path", L_LV, T_STR, NULL, s_lv_path },
	{ "lv_dm_path", "DMPath", L_LV, T_STR, NULL, s_lv_dm_path },
	{ "lv_tags", "LV Tags", L_LV, T_STR, NULL, s_lv_tags },
	{ "lv_time", "CTime", L_LV, T_STR, NULL, s_lv_time },
	{ "lv_host", "Host", L_LV, T_STR, NULL, s_lv_host },
	{ "lv_allocation_policy", "AllocPol", L_LV, T_STR, NULL, s_lv_alloc },
	{ "lv_active", "Active", L_LV, T_STR, NULL, s_lv_active },
	{ "lv_kernel_major", "KMaj", L_LV, T_SNUM, g_lv_kernel_major, NULL },
	{ "lv_kernel_minor", "KMin", L_LV, T_SNUM, g_lv_kernel_minor, NULL },
	{ "lv_metadata_size", "MSize", L_LV, T_STR, NULL, s_empty },     /* pools only */
	{ "seg_count", "#Seg", L_LV, T_NUM, g_seg_count, NULL },
	{ "origin", "Origin", L_LV, T_STR, NULL, s_origin },
	{ "pool_lv", "Pool", L_LV, T_STR, NULL, s_empty },
	{ "data_percent", "Data%", L_LV, T_STR, NULL, s_snap_percent },
	{ "metadata_percent", "Meta%", L_LV, T_STR, NULL, s_empty },
	{ "snap_percent", "Snap%", L_LV, T_STR, NULL, s_snap_percent },
	{ "copy_percent", "Cpy%Sync", L_LV, T_STR, NULL, s_empty },
	{ "move_pv", "Move", L_LV, T_STR, NULL, s_empty },
	{ "mirror_log", "Log", L_LV, T_STR, NULL, s_empty },
	{ "convert_lv", "Convert", L_LV, T_STR, NULL, s_empty },
	{ "segtype", "Type", L_SEG, T_STR, NULL, s_segtype },
	{ "stripes", "#Str", L_SEG, T_NUM, g_stripes, NULL },
	{ "stripe_size", "Stripe", L_SEG, T_SIZE, g_stripe_size, NULL },
	{ "seg_start", "Start", L_SEG, T_SIZE, g_seg_start, NULL },
	{ "seg_start_pe", "Start", L_SEG, T_NUM, g_seg_start_pe, NULL },
	{ "seg_size", "SSize", L_SEG, T_SIZE, g_seg_size, NULL },
	{ "seg_size_pe", "SSize", L_SEG, T_NUM, g_seg_size_pe, NULL },
	{ "devices", "Devices", L_SEG, T_STR, NULL, s_devices },
	{ "seg_pe_ranges", "PE Ranges", L_SEG, T_STR, NULL, s_seg_pe_ranges },
};
#define NFIELDS (sizeof(fields) / sizeof(*fields))

/* Short names lvm2 also accepts, resolved against the report's own type. */
static const struct { const char *alias, *name; } aliases[] = {
	{ "lv_tags", "lv_tags" }, { "tags", NULL }, { "time", "lv_time" }, { "uuid", NULL },
	{ "name", NULL }, { "size", NULL }, { "free", NULL }, { "attr", NULL }, { "fmt", NULL },
	{ "seg_type", "segtype" }, { "seg_stripes", "stripes" }, { "metadata_size", "lv_metadata_size" },
	{ "extent_size", "vg_extent_size" }, { "extent_count", "vg_extent_count" },
	{ "free_count", "vg_free_count" }, { "seqno", "vg_seqno" }, { "path", "lv_path" },
	{ "dm_path", "lv_dm_path" }, { "host", "lv_host" }, { "active", "lv_active" },
	{ "kernel_major", "lv_kernel_major" }, { "kernel_minor", "lv_kernel_minor" },
	{ "mda_size", NULL }, { "mda_free", NULL }, { "mda_count", NULL },
};

/* Minimum column widths, as lvm2's report has them. */
static const struct { const char *name; int width; } min_widths[] = {
	{ "lv_uuid", 38 }, { "pv_uuid", 38 }, { "vg_uuid", 38 }, { "lv_name", 4 }, { "lv_full_name", 4 },
	{ "lv_allocation_policy", 10 }, { "lv_time", 26 }, { "lv_host", 10 }, { "data_percent", 6 },
	{ "snap_percent", 6 }, { "metadata_percent", 6 }, { "pv_name", 10 }, { "pv_mda_free", 9 },
	{ "pv_mda_size", 9 }, { "pe_start", 7 }, { "pv_pe_count", 3 }, { "vg_attr", 5 },
	{ "vg_mda_free", 9 }, { "vg_mda_size", 9 },
};

static size_t min_width(const struct field *f)
{
	size_t w = strlen(f->heading);
	for (size_t i = 0; i < sizeof(min_widths) / sizeof(*min_widths); i++)
		if (!strcmp(min_widths[i].name, f->name) && (size_t)min_widths[i].width > w)
			w = (size_t)min_widths[i].width;
	return w;
}

static const struct field *find_field(const char *name, enum report_kind kind)
{
	static const char *const prefix[] = { "pv_", "vg_", "lv_" };
	char buf[96];
	for (size_t i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	for (size_t a = 0; a < sizeof(aliases) / sizeof(*aliases); a++)
		if (!strcmp(aliases[a].alias, name) && aliases[a].name)
			return find_field(aliases[a].name, kind);
	/* "size" in lvs is lv_size, in vgs vg_size, in pvs pv_size */
	snprintf(buf, sizeof(buf), "%s%s", prefix[kind], name);
	for (size_t i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i].name, buf))
			return &fields[i];
	if (kind == REPORT_LV) {
		snprintf(buf, sizeof(buf), "seg_%s", name);
		for (size_t i = 0; i < NFIELDS; i++)
			if (!strcmp(fields[i].name, buf))
				return &fields[i];
	}
	return NULL;
}

const char *const *report_field_names(void)
{
	static const char *names[NFIELDS + 1];
	for (size_t i = 0; i < NFIELDS; i++)
		names[i] = fields[i].name;
	return names;
}

/* ---------------------------------------------------------------- units */

struct units {
	char unit;        /* h H b s k m g t p e, or K M G ... for powers of 1000 */
	bool suffix;
};

static int parse_units(const char *s, struct units *u)
{
	u->unit = 'h';
	u->suffix = true;
	if (!s)
		return 0;
	if (strlen(s) != 1 || !strchr("hHbBsSkKmMgGtTpPeE", s[0]))
		return -EINVAL;
	u->unit = s[0];
	return 0;
}

/*
 * v / div to two decimals, rounded to the nearest; with @mark, a '<' says
 * the value shown is above the real one, as lvm2 prints it.
 */
static void fmt_div(char *b, size_t n, uint64_t v, uint64_t div, bool mark, const char *sfx)
{
	unsigned __int128 h = ((unsigned __int128)v * 100 + div / 2) / div;
	bool above = h * div > (unsigned __int128)v * 100;
	snprintf(b, n, "%s%llu.%02llu%s", mark && above ? "<" : "", (unsigned long long)(h / 100),
		 (unsigned long long)(h % 100), sfx);
}

static void fmt_size(uint64_t v, const struct units *u, char *b, size_t n)
{
	static const char lower[] = "bkmgtpe";
	char unit = u->unit;
	bool human = unit == 'h' || unit == 'H';
	if (human) {
		uint64_t base = unit == 'H' ? 1000 : 1024, x = v;
		int i = 0;
		while (x >= base && i < 6) {
			x /= base;
			i++;
		}
		if (!v) {
			snprintf(b, n, "0 ");         /* lvm2 prints an empty size so */
			return;
		}
		unit = i ? lower[i] : 'k';
		if (u->unit == 'H')
			unit = (char)(unit - 32);
	}
	if (unit == 'b' || unit == 'B') {
		snprintf(b, n, "%" PRIu64 "%s", v, u->suffix ? "B" : "");
		return;
	}
	if (unit == 's' || unit == 'S') {
		snprintf(b, n, "%" PRIu64 "%s", v / 512, u->suffix ? "S" : "");
		return;
	}
	bool si = unit >= 'A' && unit <= 'Z';
	int exp = (int)(strchr(lower, si ? unit + 32 : unit) - lower);
	uint64_t div = 1;
	for (int i = 0; i < exp; i++)
		div *= si ? 1000 : 1024;
	char sfx[2] = { u->suffix ? unit : 0, 0 };
	fmt_div(b, n, v, div, human, sfx);
}

void fmt_human(uint64_t v, char *b, size_t n)
{
	static const char *const u[] = { " B", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB" };
	uint64_t div = 1;
	int i = 0;
	while (v / div >= 1024 && i < 6) {
		div *= 1024;
		i++;
	}
	fmt_div(b, n, v, div, true, u[i]);
}

/* ---------------------------------------------------------------- rows */

struct table {
	const struct field **f;
	size_t nf;              /* fields per row; the first `shown` are printed, the rest only sort */
	size_t shown;
	struct cell *cells;     /* nrows * nf */
	size_t nrows, cap;
	char *pool;             /* cell texts, NUL-separated; offset 0 is "" */
	size_t plen, pcap;
	int *sortcol;           /* field index, negative for descending (1-based) */
	size_t nsort;
	struct units units;
	const struct opts *o;
	bool per_seg;
};

static int add_row(struct table *t, const struct row *r)
{
	if (t->nrows == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct cell *c = realloc(t->cells, nc * t->nf * sizeof(*c));
		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->cap = nc;
	}
	struct cell *c = &t->cells[t->nrows * t->nf];
	char buf[4096];
	if (!t->pool && !(t->pool = calloc(1, t->pcap = 65536)))
		return -ENOMEM;
	if (!t->plen)
		t->plen = 1;
	for (size_t i = 0; i < t->nf; i++) {
		const struct field *f = t->f[i];
		if (f->str == s_empty) {
			c[i] = (struct cell){ 0 };
			continue;
		}
		if (f->type == T_STR) {
			f->str(r, buf, sizeof(buf), t->o);
			c[i].numeric = false;
			c[i].num = 0;
		} else {
			c[i].num = f->num(r);
			c[i].numeric = true;
			if (f->type == T_SIZE)
				fmt_size(c[i].num, &t->units, buf, sizeof(buf));
			else if (f->type == T_SNUM)
				snprintf(buf, sizeof(buf), "%" PRId64, (int64_t)c[i].num);
			else
				snprintf(buf, sizeof(buf), "%" PRIu64, c[i].num);
		}
		size_t len = strlen(buf);
		c[i].len = (uint16_t)len;
		c[i].off = 0;
		if (!len)
			continue;
		if (t->plen + len + 1 > t->pcap) {
			char *np = realloc(t->pool, t->pcap = (t->pcap + len + 1) * 2);
			if (!np)
				return -ENOMEM;
			t->pool = np;
		}
		if (t->plen + len + 1 > UINT32_MAX)
			return -E2BIG;
		c[i].off = (uint32_t)t->plen;
		memcpy(t->pool + t->plen, buf, len + 1);
		t->plen += len + 1;
	}
	t->nrows++;
	return 0;
}

static struct table *sort_table;

static int row_cmp(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;
	for (size_t k = 0; k < sort_table->nsort; k++) {
		int col = sort_table->sortcol[k], dir = col < 0 ? -1 : 1;
		col = abs(col) - 1;
		int c = x[col].numeric ? (x[col].num > y[col].num) - (x[col].num < y[col].num)
				       : strcmp(sort_table->pool + x[col].off, sort_table->pool + y[col].off);
		if (c)
			return c * dir;
	}
	return 0;
}

static void sort_rows(struct table *t)
{
	/* --unbuffered prints in metadata order, as lvm2 does */
	if (!t->nsort || t->nrows < 2 || t->o->unbuffered)
		return;
	/* qsort over rows of nf cells */
	sort_table = t;
	qsort(t->cells, t->nrows, t->nf * sizeof(struct cell), row_cmp);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_table(struct table *t, enum report_kind kind)
{
	const struct opts *o = t->o;
	static const char *const jname[] = { "pv", "vg", "lv" };
	if (o->reportformat && !strcmp(o->reportformat, "json")) {
		printf("  {\n      \"report\": [\n          {\n              \"%s\": [\n", jname[kind]);
		for (size_t r = 0; r < t->nrows; r++) {
			printf("                  {");
			for (size_t i = 0; i < t->shown; i++) {
				if (i)
					printf(", ");
				json_str(t->f[i]->name);
				putchar(':');
				json_str(t->pool + t->cells[r * t->nf + i].off);
			}
			printf("}%s\n", r + 1 < t->nrows ? "," : "");
		}
		printf("              ]\n          }\n      ]\n  }\n");
		return;
	}
	if (!t->nrows)
		return;         /* no rows, no headings: lvm2 prints nothing */
	bool align = !o->separator && !o->unbuffered;
	const char *sep = o->separator ? o->separator : " ";
	size_t *w = calloc(t->shown, sizeof(*w));
	if (!w)
		return;
	for (size_t i = 0; i < t->shown && align; i++) {
		w[i] = min_width(t->f[i]);
		for (size_t r = 0; r < t->nrows; r++)
			if (t->cells[r * t->nf + i].len > w[i])
				w[i] = t->cells[r * t->nf + i].len;
	}
	if (!o->noheadings) {
		fputs("  ", stdout);
		for (size_t i = 0; i < t->shown; i++) {
			const char *h = t->f[i]->heading;
			if (i)
				fputs(sep, stdout);
			/* lvm2 left-aligns every heading and pads every column */
			if (!align)
				fputs(h, stdout);
			else
				printf("%-*s", (int)w[i], h);
		}
		putchar('\n');
	}
	/* one write per row: a 10,000-LV report has 120,000 cells */
	size_t seplen = strlen(sep), linecap = 4096;
	char *line = malloc(linecap);
	for (size_t r = 0; line && r < t->nrows; r++) {
		size_t at = 0;
		line[at++] = ' ';
		line[at++] = ' ';
		for (size_t i = 0; i < t->shown; i++) {
			const struct cell *c = &t->cells[r * t->nf + i];
			size_t pad = align && w[i] > c->len ? w[i] - c->len : 0;
			if (at + seplen + pad + c->len + 2 > linecap) {
				char *nl = realloc(line, linecap = (at + seplen + pad + c->len + 2) * 2);
				if (!nl)
					break;
				line = nl;
			}
			if (i) {
				memcpy(line + at, sep, seplen);
				at += seplen;
			}
			if (t->f[i]->type != T_STR) {
				memset(line + at, ' ', pad);
				at += pad;
				pad = 0;
			}
			memcpy(line + at, t->pool + c->off, c->len);
			at += c->len;
			memset(line + at, ' ', pad);
			at += pad;
		}
		line[at++] = '\n';
		fwrite(line, 1, at, stdout);
	}
	free(line);
	free(w);
}

static void free_table(struct table *t)
{
	free(t->pool);
	free(t->cells);
	free(t->f);
	free(t->sortcol);
}

static const char *const defaults[] = {
	[REPORT_PV] = "pv_name,vg_name,pv_fmt,pv_attr,pv_size,pv_free",
	[REPORT_VG] = "vg_name,pv_count,lv_count,snap_count,vg_attr,vg_size,vg_free",
	[REPORT_LV] = "lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,data_percent,metadata_percent,"
		      "move_pv,mirror_log,copy_percent,convert_lv",
};
static const char *const default_sort[] = {
	[REPORT_PV] = "pv_name", [REPORT_VG] = "vg_name", [REPORT_LV] = "vg_name,lv_name",
};

static int add_fields(struct table *t, const char *list, enum report_kind kind)
{
	char *copy = strdup(list), *save = NULL;
	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		const struct field *f = find_field(tok, kind);
		/* each report has rows of one kind: PV fields only in pvs, LV ones only in lvs */
		if (!f || (kind == REPORT_PV && f->level >= L_LV) || (kind == REPORT_VG && f->level != L_VG) ||
		    (kind == REPORT_LV && f->level == L_PV)) {
			fprintf(stderr, "volmgr %s: unrecognised field '%s'\n", t->o->cmd, tok);
			free(copy);
			return -EINVAL;
		}
		const struct field **nf = realloc(t->f, (t->nf + 1) * sizeof(*nf));
		if (!nf) {
			free(copy);
			return -ENOMEM;
		}
		t->f = nf;
		t->f[t->nf++] = f;
		if (f->level == L_SEG)
			t->per_seg = true;
	}
	free(copy);
	return 0;
}

/* Sort keys that are not shown are added as hidden columns after the shown ones. */
static int set_sort(struct table *t, const char *list, enum report_kind kind)
{
	char *copy = strdup(list), *save = NULL;
	if (!copy)
		return -ENOMEM;
	int r = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok && !r; tok = strtok_r(NULL, ",", &save)) {
		int dir = 1;
		if (*tok == '-' || *tok == '+')
			dir = *tok++ == '-' ? -1 : 1;
		const struct field *f = find_field(tok, kind);
		if (!f) {
			fprintf(stderr, "volmgr %s: unrecognised sort field '%s'\n", t->o->cmd, tok);
			r = -EINVAL;
			break;
		}
		size_t col = t->nf;
		for (size_t i = 0; i < t->nf; i++)
			if (t->f[i] == f)
				col = i;
		if (col == t->nf) {
			char name[64];
			snprintf(name, sizeof(name), "%s", f->name);
			if ((r = add_fields(t, name, kind)))
				break;
		}
		int *ns = realloc(t->sortcol, (t->nsort + 1) * sizeof(*ns));
		if (!ns) {
			r = -ENOMEM;
			break;
		}
		t->sortcol = ns;
		t->sortcol[t->nsort++] = dir * (int)(col + 1);
	}
	free(copy);
	return r;
}

/* "VG/LV", "/dev/VG/LV" -> vg, lv. Returns 1 if an LV part was given, 0 for a VG alone. */
int parse_lv_arg(const char *arg, char *vg, char *lv)
{
	if (!strncmp(arg, "/dev/", 5) && strchr(arg + 5, '/'))
		arg += 5;
	const char *slash = strchr(arg, '/');
	size_t vl = slash ? (size_t)(slash - arg) : strlen(arg);
	if (vl > 127 || (slash && strlen(slash + 1) > 127) || (slash && strchr(slash + 1, '/')))
		return -EINVAL;
	memcpy(vg, arg, vl);
	vg[vl] = 0;
	if (!slash) {
		lv[0] = 0;
		return 0;
	}
	strcpy(lv, slash + 1);
	return 1;
}

static void parse_config(struct opts *o)
{
	/* Only report/time_format matters to reports; the rest of --config is lvm2 tuning. */
	static char fmt[128];
	const char *p = o->config ? strstr(o->config, "time_format") : NULL;
	if (!p || !(p = strchr(p, '"')))
		return;
	const char *e = strchr(p + 1, '"');
	if (!e || (size_t)(e - p - 1) >= sizeof(fmt))
		return;
	memcpy(fmt, p + 1, e - p - 1);
	fmt[e - p - 1] = 0;
	o->time_format = fmt;
}

static int add_vg_rows(vm_ctx *ctx, struct table *t, enum report_kind kind, vm_vg *vg,
		       const char *lvname, const char *const *pvfilter, size_t npvfilter, int *found)
{
	struct row r = { .vg = vg };
	int rc = 0;
	if (kind == REPORT_VG)
		return add_row(t, &r);
	if (kind == REPORT_PV) {
		for (size_t i = 0; i < vm_vg_pv_count(vg) && !rc; i++) {
			r.pv = vm_vg_pv_at(vg, i);
			bool want = !npvfilter;
			for (size_t k = 0; k < npvfilter; k++)
				if (!strcmp(pvfilter[k], vm_pv_device(r.pv))) {
					want = true;
					found[k] = 1;
				}
			if (want)
				rc = add_row(t, &r);
		}
		return rc;
	}
	for (size_t i = 0; i < vm_vg_lv_total(vg) && !rc; i++) {
		r.lv = vm_vg_lv_at(vg, i);
		if (lvname ? strcmp(lvname, vm_lv_name(r.lv)) : !vm_lv_visible(r.lv))
			continue;
		if (t->per_seg)
			for (r.seg = 0; r.seg < vm_lv_seg_count(r.lv) && !rc; r.seg++)
				rc = add_row(t, &r);
		else
			rc = add_row(t, &r);
	}
	(void)ctx;
	return rc;
}

int report_run(vm_ctx *ctx, struct opts *o, enum report_kind kind)
{
	struct table t = { .o = o };
	int rc = 0, r;
	if (parse_units(o->units, &t.units))
		return usage_error(o, "--units %s: expected one of h H b s k m g t p e", o->units);
	t.units.suffix = !o->nosuffix;
	if (o->reportformat && strcmp(o->reportformat, "json") && strcmp(o->reportformat, "basic"))
		return usage_error(o, "--reportformat %s: expected basic or json", o->reportformat);
	parse_config(o);
	const char *opt = o->options;
	if (opt && *opt == '+') {
		if ((r = add_fields(&t, defaults[kind], kind)) || (r = add_fields(&t, opt + 1, kind)))
			goto bad;
	} else if ((r = add_fields(&t, opt ? opt : defaults[kind], kind)))
		goto bad;
	t.shown = t.nf;
	if ((r = set_sort(&t, o->sort ? o->sort : default_sort[kind], kind)))
		goto bad;

	int *found = calloc(o->argc + 1, sizeof(int));
	if (!found) {
		free_table(&t);
		return EXIT_FAILED;
	}
	if (kind == REPORT_PV) {
		if ((r = vm_scan(ctx))) {
			rc = fail(ctx, r);
			goto out;
		}
		struct row row = { 0 };
		for (size_t i = 0; i < vm_orphan_count(ctx) && !rc; i++) {
			row.pv = vm_orphan_at(ctx, i);
			bool want = !o->argc;
			for (int k = 0; k < o->argc; k++)
				if (!strcmp(o->argv[k], vm_pv_device(row.pv))) {
					want = true;
					found[k] = 1;
				}
			if (want && add_row(&t, &row))
				rc = EXIT_FAILED;
		}
	}
	/* Which VGs: named ones, or all. */
	char **names = NULL;
	size_t nnames = 0;
	if (kind != REPORT_PV && o->argc) {
		names = calloc(o->argc, sizeof(*names));
		for (int i = 0; names && i < o->argc; i++) {
			char vg[128], lv[128];
			if (parse_lv_arg(o->argv[i], vg, lv) < 0) {
				fprintf(stderr, "volmgr %s: invalid argument '%s'\n", o->cmd, o->argv[i]);
				rc = EXIT_FAILED;
				continue;
			}
			names[nnames++] = strdup(o->argv[i]);
		}
	} else {
		if (kind != REPORT_PV && (r = vm_scan_names(ctx))) {
			rc = fail(ctx, r);
			goto out;
		}
		nnames = vm_vg_name_count(ctx);
		names = calloc(nnames + 1, sizeof(*names));
		for (size_t i = 0; names && i < nnames; i++)
			names[i] = strdup(vm_vg_name_at(ctx, i));
	}
	for (size_t i = 0; names && i < nnames; i++) {
		char vg[128], lv[128];
		if (!names[i] || parse_lv_arg(names[i], vg, lv) < 0)
			continue;
		vm_vg *h;
		if ((r = vm_vg_open(ctx, vg, VM_VG_READ, &h))) {
			rc = fail(ctx, r);
			continue;
		}
		size_t before = t.nrows;
		if (add_vg_rows(ctx, &t, kind, h, lv[0] ? lv : NULL, (const char *const *)o->argv,
				kind == REPORT_PV ? o->argc : 0, found))
			rc = EXIT_FAILED;
		if (lv[0] && t.nrows == before) {
			fprintf(stderr, "volmgr %s: logical volume %s/%s not found\n", o->cmd, vg, lv);
			rc = EXIT_FAILED;
		}
		vm_vg_free(h);
	}
	for (size_t i = 0; names && i < nnames; i++)
		free(names[i]);
	free(names);
	if (kind == REPORT_PV)
		for (int k = 0; k < o->argc; k++)
			if (!found[k]) {
				fprintf(stderr, "volmgr %s: %s: not a physical volume\n", o->cmd, o->argv[k]);
				rc = EXIT_FAILED;
			}
	sort_rows(&t);
	print_table(&t, kind);
out:
	free(found);
	free_table(&t);
	return rc;
bad:
	free_table(&t);
	return r == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
}

/* ---------------------------------------------------------------- display */


static void display_pv(vm_pv *pv)
{
	char s1[64], s2[64], u[39];
	vm_pv_uuid(pv, u);
	printf("  --- Physical volume ---\n");
	printf("  PV Name               %s\n", vm_pv_device(pv));
	printf("  VG Name               %s\n", vm_pv_vg_name(pv));
	fmt_human(vm_pv_dev_size(pv), s1, sizeof(s1));
	printf("  PV Size               %s\n", s1);
	printf("  Allocatable           %s\n", *vm_pv_vg_name(pv) ? "yes" : "NO");
	uint64_t pe = vm_pv_pe_count(pv);
	printf("  PE Size               %s\n", pe ? (fmt_human(vm_pv_size(pv) / pe, s2, sizeof(s2)), s2) : "0");
	printf("  Total PE              %" PRIu64 "\n", pe);
	printf("  Free PE               %" PRIu64 "\n", pe - vm_pv_pe_alloc_count(pv));
	printf("  Allocated PE          %" PRIu64 "\n", vm_pv_pe_alloc_count(pv));
	printf("  PV UUID               %s\n   \n", u);
}

static void display_vg(vm_vg *vg)
{
	char s[64], u[39];
	vm_vg_uuid(vg, u);
	uint64_t es = vm_vg_extent_size(vg), ec = vm_vg_extent_count(vg), fc = vm_vg_free_count(vg);
	printf("  --- Volume group ---\n");
	printf("  VG Name               %s\n", vm_vg_name(vg));
	printf("  Format                lvm2\n");
	printf("  Metadata Areas        %u\n", vm_vg_mda_count(vg));
	printf("  Metadata Sequence No  %" PRIu64 "\n", vm_vg_seqno(vg));
	printf("  VG Access             read/write\n");
	printf("  VG Status             resizable\n");
	printf("  Cur LV                %zu\n", vm_vg_lv_count(vg));
	size_t open = 0;
	for (size_t i = 0; i < vm_vg_lv_total(vg); i++) {
		struct vm_lv_state st;
		if (!vm_lv_state(vm_vg_lv_at(vg, i), &st) && st.open_count)
			open++;
	}
	printf("  Open LV               %zu\n", open);
	printf("  Cur PV                %zu\n", vm_vg_pv_count(vg));
	fmt_human(ec * es, s, sizeof(s));
	printf("  VG Size               %s\n", s);
	fmt_human(es, s, sizeof(s));
	printf("  PE Size               %s\n", s);
	printf("  Total PE              %" PRIu64 "\n", ec);
	fmt_human((ec - fc) * es, s, sizeof(s));
	printf("  Alloc PE / Size       %" PRIu64 " / %s\n", ec - fc, s);
	fmt_human(fc * es, s, sizeof(s));
	printf("  Free  PE / Size       %" PRIu64 " / %s\n", fc, s);
	printf("  VG UUID               %s\n   \n", u);
}

static void display_lv(vm_lv *lv)
{
	char s[64], u[39], when[64] = "";
	vm_vg *vg = vm_lv_vg(lv);
	time_t t = (time_t)vm_lv_creation_time(lv);
	struct tm tm;
	if (t && localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
	vm_lv_uuid(lv, u);
	printf("  --- Logical volume ---\n");
	printf("  LV Path                /dev/%s/%s\n", vm_vg_name(vg), vm_lv_name(lv));
	printf("  LV Name                %s\n", vm_lv_name(lv));
	printf("  VG Name                %s\n", vm_vg_name(vg));
	printf("  LV UUID                %s\n", u);
	printf("  LV Write Access        read/write\n");
	printf("  LV Creation host, time %s, %s\n", vm_lv_creation_host(lv), when);
	struct vm_lv_state st;
	if (vm_lv_state(lv, &st))
		st.active = false;
	/* an origin names its snapshots; a snapshot its origin, whose size it has */
	const char *origin = vm_lv_origin(lv);
	vm_lv *olv = origin ? vm_vg_lv_find(vg, origin) : NULL;
	if (vm_lv_snapshot_count(lv)) {
		printf("  LV snapshot status     source of\n");
		for (size_t i = 0; i < vm_vg_lv_total(vg); i++) {
			vm_lv *x = vm_vg_lv_at(vg, i);
			struct vm_lv_state xs;
			if (!vm_lv_origin(x) || strcmp(vm_lv_origin(x), vm_lv_name(lv)))
				continue;
			if (vm_lv_state(x, &xs))
				xs.active = false;
			printf("                         %s [%s]\n", vm_lv_name(x), xs.active ? "active" : "INACTIVE");
		}
	}
	if (origin)
		printf("  LV snapshot status     %s destination for %s\n", st.active ? "active" : "INACTIVE", origin);
	if (st.active) {
		printf("  LV Status              %s\n", st.suspended ? "suspended" : "available");
		printf("  # open                 %u\n", st.open_count);
	} else
		printf("  LV Status              NOT available\n");
	fmt_human(olv ? vm_lv_size(olv) : vm_lv_size(lv), s, sizeof(s));
	printf("  LV Size                %s\n", s);
	printf("  Current LE             %" PRIu64 "\n", olv ? vm_lv_extents(olv) : vm_lv_extents(lv));
	if (origin) {
		struct vm_snapshot_usage use;
		fmt_human(vm_lv_size(lv), s, sizeof(s));
		printf("  COW-table size         %s\n", s);
		printf("  COW-table LE           %" PRIu64 "\n", vm_lv_extents(lv));
		if (st.active && !vm_lv_snapshot_usage(lv, &use))
			printf("  Allocated to snapshot  %.2f%%\n", vm_snapshot_percent(&use));
		fmt_human(vm_lv_snapshot_chunk(lv), s, sizeof(s));
		printf("  Snapshot chunk size    %s\n", s);
	}
	printf("  Segments               %zu\n", vm_lv_seg_count(lv));
	printf("  Allocation             %s\n", vm_lv_alloc(lv));
	printf("  Read ahead sectors     auto\n");
	if (st.active) {
		printf("  - currently set to     %u\n", st.read_ahead);
		printf("  Block device           %d:%d\n", st.major, st.minor);
	}
	printf("   \n");                 /* lvm2 ends each block so */
}

int display_run(vm_ctx *ctx, struct opts *o, enum report_kind kind)
{
	int rc = 0, r;
	char **names = NULL;
	size_t n = 0;
	bool *seen = calloc(o->argc + 1, sizeof(*seen));      /* pvdisplay: each argument a PV */
	if (!seen)
		return EXIT_FAILED;
	if (kind == REPORT_PV) {
		if ((r = vm_scan(ctx))) {
			free(seen);
			return fail(ctx, r);
		}
		for (size_t i = 0; i < vm_orphan_count(ctx); i++) {
			vm_pv *pv = vm_orphan_at(ctx, i);
			bool want = !o->argc;
			for (int k = 0; k < o->argc; k++)
				if (!strcmp(o->argv[k], vm_pv_device(pv)))
					want = seen[k] = true;
			if (want)
				display_pv(pv);
		}
	}
	if (kind != REPORT_PV && o->argc) {
		n = o->argc;
		names = calloc(n, sizeof(*names));
		for (size_t i = 0; names && i < n; i++)
			names[i] = strdup(o->argv[i]);
	} else {
		if (kind != REPORT_PV && (r = vm_scan_names(ctx))) {
			free(seen);
			return fail(ctx, r);
		}
		n = vm_vg_name_count(ctx);
		names = calloc(n + 1, sizeof(*names));
		for (size_t i = 0; names && i < n; i++)
			names[i] = strdup(vm_vg_name_at(ctx, i));
	}
	for (size_t i = 0; names && i < n; i++) {
		char vg[128], lv[128];
		vm_vg *h;
		if (!names[i] || parse_lv_arg(names[i], vg, lv) < 0) {
			rc = EXIT_FAILED;
			continue;
		}
		if ((r = vm_vg_open(ctx, vg, VM_VG_READ, &h))) {
			rc = fail(ctx, r);
			continue;
		}
		if (kind == REPORT_VG)
			display_vg(h);
		for (size_t k = 0; kind == REPORT_PV && k < vm_vg_pv_count(h); k++) {
			vm_pv *pv = vm_vg_pv_at(h, k);
			bool want = !o->argc;
			for (int a = 0; a < o->argc; a++)
				if (!strcmp(o->argv[a], vm_pv_device(pv)))
					want = seen[a] = true;
			if (want)
				display_pv(pv);
		}
		bool shown = false;
		for (size_t k = 0; kind == REPORT_LV && k < vm_vg_lv_total(h); k++) {
			vm_lv *l = vm_vg_lv_at(h, k);
			if (lv[0] ? strcmp(lv, vm_lv_name(l)) : !vm_lv_visible(l))
				continue;
			display_lv(l);
			shown = true;
		}
		if (kind == REPORT_LV && lv[0] && !shown) {
			fprintf(stderr, "volmgr %s: logical volume %s/%s not found\n", o->cmd, vg, lv);
			rc = EXIT_FAILED;
		}
		vm_vg_free(h);
	}
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	for (int k = 0; kind == REPORT_PV && k < o->argc; k++)
		if (!seen[k]) {
			fprintf(stderr, "volmgr %s: %s: not a physical volume\n", o->cmd, o->argv[k]);
			rc = EXIT_FAILED;
		}
	free(seen);
	return rc;
}
