/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command handlers: parse, call libvolmgr, print. */
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static int size_arg(const struct opts *o, const char *what, const char *s, char unit, uint64_t *out)
{
	struct vm_size sz;
	if (vm_size_parse(s, unit, &sz) || sz.kind != VM_SIZE_BYTES || sz.sign)
		return usage_error(o, "%s %s: not a valid size", what, s);
	*out = sz.value;
	return 0;
}


/* -a: *want is true for y, ay, ey, ly, false for n, en, ln (and when -a is not given). */
static int check_activate(const struct opts *o, bool *want)
{
	*want = false;
	if (!o->activate)
		return 0;
	const char *a = o->activate;
	if (!strcmp(a, "n") || !strcmp(a, "ln") || !strcmp(a, "en"))
		return 0;
	if (!strcmp(a, "y") || !strcmp(a, "ly") || !strcmp(a, "ey") || !strcmp(a, "ay")) {
		*want = true;
		return 0;
	}
	return usage_error(o, "--activate %s: expected y, n, ay, ey, en, ly or ln", a);
}

/* --activationmode: complete (the default) or partial; degraded means complete here (no RAID). */
static int activation_flags(const struct opts *o, unsigned *flags)
{
	*flags = 0;
	if (!o->activationmode || !strcmp(o->activationmode, "complete") ||
	    !strcmp(o->activationmode, "degraded"))
		return 0;
	if (!strcmp(o->activationmode, "partial")) {
		*flags = VM_ACTIVATE_PARTIAL;
		return 0;
	}
	return usage_error(o, "--activationmode %s: expected complete, degraded or partial", o->activationmode);
}

/* ---------------------------------------------------------------- PV */

int cmd_pvcreate(vm_ctx *ctx, struct opts *o)
{
	struct vm_pvcreate_params p = { .force = o->force, .yes = o->yes };
	int rc = 0, r;
	if (!o->argc)
		return usage_error(o, "no device given");
	if (o->metadatasize && (r = size_arg(o, "--metadatasize", o->metadatasize, 'm', &p.metadata_size)))
		return r;
	if (o->dataalignment && (r = size_arg(o, "--dataalignment", o->dataalignment, 'k', &p.data_alignment)))
		return r;
	for (int i = 0; i < o->argc; i++)
		if ((r = vm_pvcreate(ctx, o->argv[i], &p)))
			rc = fail(ctx, r);
		else
			say(o, "Physical volume \"%s\" successfully created.", o->argv[i]);
	return rc;
}

int cmd_pvremove(vm_ctx *ctx, struct opts *o)
{
	int rc = 0, r;
	if (!o->argc)
		return usage_error(o, "no device given");
	for (int i = 0; i < o->argc; i++)
		if ((r = vm_pvremove(ctx, o->argv[i], o->force, o->yes)))
			rc = fail(ctx, r);
		else
			say(o, "Labels on physical volume \"%s\" successfully wiped.", o->argv[i]);
	return rc;
}

int cmd_pvs(vm_ctx *ctx, struct opts *o) { return report_run(ctx, o, REPORT_PV); }
int cmd_vgs(vm_ctx *ctx, struct opts *o) { return report_run(ctx, o, REPORT_VG); }
int cmd_lvs(vm_ctx *ctx, struct opts *o) { return report_run(ctx, o, REPORT_LV); }
int cmd_pvdisplay(vm_ctx *ctx, struct opts *o) { return display_run(ctx, o, REPORT_PV); }
int cmd_vgdisplay(vm_ctx *ctx, struct opts *o) { return display_run(ctx, o, REPORT_VG); }
int cmd_lvdisplay(vm_ctx *ctx, struct opts *o) { return display_run(ctx, o, REPORT_LV); }

int cmd_pvck(vm_ctx *ctx, struct opts *o)
{
	int rc = 0, r;
	if (!o->argc)
		return usage_error(o, "no device given");
	for (int i = 0; i < o->argc; i++) {
		struct vm_pv_check c;
		if ((r = vm_pv_check(ctx, o->argv[i], &c))) {
			rc = fail(ctx, r);
			continue;
		}
		say(o, "Found label on %s, sector %u, type=LVM2 001", o->argv[i], c.label_sector);
		for (uint32_t m = 0; m < c.mda_count; m++) {
			if (c.mda_problem[m][0]) {
				fprintf(stderr, "volmgr pvck: %s: metadata area %u at offset %" PRIu64 ": %s\n",
					o->argv[i], m + 1, c.mda_offset[m], c.mda_problem[m]);
				rc = EXIT_FAILED;
			} else
				say(o, "Found metadata area %u at offset %" PRIu64 " size %" PRIu64 ": %s",
				    m + 1, c.mda_offset[m], c.mda_size[m], c.mda_vg[0] ? c.mda_vg : "empty");
		}
	}
	return rc;
}

int cmd_pvscan(vm_ctx *ctx, struct opts *o)
{
	o->options = "pv_name,vg_name,pv_fmt,pv_size,pv_free";
	return report_run(ctx, o, REPORT_PV);
}

/* ---------------------------------------------------------------- VG */

int cmd_vgcreate(vm_ctx *ctx, struct opts *o)
{
	uint64_t es = 0;
	int r;
	if (o->argc < 2)
		return usage_error(o, "need a volume group name and at least one device");
	if (o->extentsize && (r = size_arg(o, "--physicalextentsize", o->extentsize, 'm', &es)))
		return r;
	if (o->extentsize && !es)
		return usage_error(o, "--physicalextentsize must not be zero");
	vm_vg *vg;
	if ((r = vm_vg_create(ctx, o->argv[0], es, (const char *const *)o->argv + 1, o->argc - 1, &vg)))
		return fail(ctx, r);
	r = vm_vg_commit(vg);
	if (!r)
		say(o, "Volume group \"%s\" successfully created", o->argv[0]);
	else
		r = fail(ctx, r);
	vm_vg_free(vg);
	return r;
}

/* vgextend and vgreduce: VG PV..., one change, one commit. */
static int vg_devices(vm_ctx *ctx, struct opts *o, int (*change)(vm_vg *, const char *const *, size_t))
{
	vm_vg *vg;
	int r;
	if (o->argc < 2)
		return usage_error(o, "need a volume group name and at least one device");
	if ((r = vm_vg_open(ctx, o->argv[0], VM_VG_WRITE, &vg)))
		return fail(ctx, r);
	if (!(r = change(vg, (const char *const *)o->argv + 1, o->argc - 1)))
		r = vm_vg_commit(vg);
	vm_vg_free(vg);
	return r ? fail(ctx, r) : 0;
}

int cmd_vgextend(vm_ctx *ctx, struct opts *o)
{
	int r = vg_devices(ctx, o, vm_vg_extend);
	if (!r)
		say(o, "Volume group \"%s\" successfully extended", o->argv[0]);
	return r;
}

/* vgreduce --removemissing [-f] VG: after a disk is lost, the VG without it. */
static int vg_remove_missing(vm_ctx *ctx, struct opts *o)
{
	vm_vg *vg;
	size_t lvs;
	int r;
	if (o->argc != 1)
		return usage_error(o, "--removemissing takes a volume group name and no devices");
	if ((r = vm_vg_open(ctx, o->argv[0], VM_VG_WRITE | VM_VG_PARTIAL, &vg)))
		return fail(ctx, r);
	size_t before = vm_vg_pv_count(vg);
	if (!(r = vm_vg_remove_missing(vg, o->force, &lvs)) && vm_vg_pv_count(vg) < before)
		r = vm_vg_commit(vg);
	size_t gone = before - vm_vg_pv_count(vg);
	vm_vg_free(vg);
	if (r)
		return fail(ctx, r);
	if (!gone)
		say(o, "Volume group \"%s\" is already consistent.", o->argv[0]);
	else
		say(o, "Removed %zu missing physical volume(s) and %zu logical volume(s) from volume group \"%s\"",
		    gone, lvs, o->argv[0]);
	return 0;
}

int cmd_vgreduce(vm_ctx *ctx, struct opts *o)
{
	if (o->removemissing)
		return vg_remove_missing(ctx, o);
	if (o->force)
		return usage_error(o, "-f/--force goes with --removemissing");
	int r = vg_devices(ctx, o, vm_vg_reduce);
	for (int i = 1; !r && i < o->argc; i++)
		say(o, "Removed \"%s\" from volume group \"%s\"", o->argv[i], o->argv[0]);
	return r;
}

int cmd_vgremove(vm_ctx *ctx, struct opts *o)
{
	int rc = 0, r;
	if (!o->argc)
		return usage_error(o, "no volume group given");
	for (int i = 0; i < o->argc; i++) {
		vm_vg *vg;
		if ((r = vm_vg_open(ctx, o->argv[i], VM_VG_WRITE, &vg))) {
			rc = fail(ctx, r);
			continue;
		}
		bool force = o->force;
		size_t n = vm_vg_lv_total(vg);
		if (n && !force)
			force = ask_user(o, "Do you really want to remove volume group \"%s\" containing %zu "
					 "logical volumes?", o->argv[i], n);
		if (!(r = vm_vg_remove(vg, force)))
			r = vm_vg_commit(vg);
		if (r)
			rc = fail(ctx, r);
		else
			say(o, "Volume group \"%s\" successfully removed", o->argv[i]);
		vm_vg_free(vg);
	}
	return rc;
}

int cmd_vgrename(vm_ctx *ctx, struct opts *o)
{
	vm_vg *vg;
	int r;
	if (o->argc != 2)
		return usage_error(o, "need the old and the new name");
	if ((r = vm_vg_open(ctx, o->argv[0], VM_VG_WRITE, &vg)))
		return fail(ctx, r);
	if (!(r = vm_vg_rename(vg, o->argv[1])))
		r = vm_vg_commit(vg);
	if (!r)
		say(o, "Volume group \"%s\" successfully renamed to \"%s\"", o->argv[0], o->argv[1]);
	else
		r = fail(ctx, r);
	vm_vg_free(vg);
	return r;
}

static int each_vg(vm_ctx *ctx, struct opts *o, int (*fn)(vm_ctx *, struct opts *, const char *))
{
	int rc = 0, r;
	if (o->argc) {
		for (int i = 0; i < o->argc; i++)
			if ((r = fn(ctx, o, o->argv[i])))
				rc = r;
		return rc;
	}
	if ((r = vm_scan_names(ctx)))
		return fail(ctx, r);
	size_t n = vm_vg_name_count(ctx);
	char **names = calloc(n + 1, sizeof(*names));
	for (size_t i = 0; names && i < n; i++)
		names[i] = strdup(vm_vg_name_at(ctx, i));
	for (size_t i = 0; names && i < n; i++)
		if (names[i] && (r = fn(ctx, o, names[i])))
			rc = r;
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int backup_one(vm_ctx *ctx, struct opts *o, const char *name)
{
	vm_vg *vg;
	int r;
	char path[4096];
	if ((r = vm_vg_open(ctx, name, VM_VG_READ, &vg)))
		return fail(ctx, r);
	if (o->file) {
		/* like lvm2, a "%s" in the file name stands for the VG name */
		const char *p = strstr(o->file, "%s");
		if (p)
			snprintf(path, sizeof(path), "%.*s%s%s", (int)(p - o->file), o->file, name, p + 2);
		else
			snprintf(path, sizeof(path), "%s", o->file);
	}
	r = vm_vg_backup(vg, o->file ? path : NULL);
	vm_vg_free(vg);
	if (r)
		return fail(ctx, r);
	say(o, "Volume group \"%s\" successfully backed up.", name);
	return 0;
}

int cmd_vgcfgbackup(vm_ctx *ctx, struct opts *o)
{
	return each_vg(ctx, o, backup_one);
}

int cmd_vgcfgrestore(vm_ctx *ctx, struct opts *o)
{
	int r;
	if (o->argc != 1)
		return usage_error(o, "need exactly one volume group name");
	if ((r = vm_vg_restore(ctx, o->argv[0], o->file)))
		return fail(ctx, r);
	say(o, "Restored volume group %s.", o->argv[0]);
	return 0;
}

static int check_one(vm_ctx *ctx, struct opts *o, const char *name)
{
	int r = vm_vg_check(ctx, name, o->updatemetadata);
	if (r < 0)
		return fail(ctx, r);
	if (r && !o->updatemetadata) {
		fprintf(stderr, "volmgr vgck: volume group %s: %d metadata problem%s found; "
			"'vgck --updatemetadata %s' repairs them\n", name, r, r > 1 ? "s" : "", name);
		return EXIT_FAILED;
	}
	return 0;
}

int cmd_vgck(vm_ctx *ctx, struct opts *o)
{
	return each_vg(ctx, o, check_one);
}

static int change_one(vm_ctx *ctx, struct opts *o, const char *name)
{
	vm_vg *vg;
	bool want;
	unsigned flags;
	size_t n = 0;
	int r;
	check_activate(o, &want);
	activation_flags(o, &flags);
	if ((r = vm_vg_open(ctx, name, VM_VG_READ, &vg)))
		return fail(ctx, r);
	if (o->refresh) {
		for (size_t i = 0; i < vm_vg_lv_total(vg) && !r; i++)
			if (vm_lv_visible(vm_vg_lv_at(vg, i)) && vm_lv_known(vm_vg_lv_at(vg, i)))
				r = vm_lv_refresh(vm_vg_lv_at(vg, i));
	} else if (want)
		r = vm_vg_activate(vg, flags, &n);
	else
		r = vm_vg_deactivate(vg);
	if (!o->refresh && (!r || want))
		say(o, "%zu logical volume(s) in volume group \"%s\" now active", n, name);
	vm_vg_free(vg);
	return r ? fail(ctx, r) : 0;
}

int cmd_vgchange(vm_ctx *ctx, struct opts *o)
{
	bool want;
	unsigned flags;
	int r;
	if (!o->activate && !o->refresh)
		return usage_error(o, "nothing to change (give -a or --refresh)");
	if ((r = check_activate(o, &want)) || (r = activation_flags(o, &flags)))
		return r;
	if (o->activate && o->refresh)
		return usage_error(o, "give -a or --refresh, not both");
	return each_vg(ctx, o, change_one);
}

int cmd_vgscan(vm_ctx *ctx, struct opts *o)
{
	int r = vm_scan_names(ctx);
	if (r)
		return fail(ctx, r);
	for (size_t i = 0; i < vm_vg_name_count(ctx); i++)
		say(o, "Found volume group \"%s\" using metadata type lvm2", vm_vg_name_at(ctx, i));
	return 0;
}

/* ---------------------------------------------------------------- LV */

static int lv_size_spec(vm_ctx *ctx, struct opts *o, struct vm_size *sz)
{
	if (!!o->size == !!o->extents)
		return usage_error(o, "give exactly one of -L/--size and -l/--extents");
	const char *s = o->size ? o->size : o->extents;
	int r = vm_size_parse(s, o->size ? 'm' : 0, sz);
	if (r || (o->size && sz->kind != VM_SIZE_BYTES) || (o->extents && sz->kind == VM_SIZE_BYTES))
		return usage_error(o, "%s %s: not a valid %s", o->size ? "--size" : "--extents", s,
				   o->size ? "size (e.g. 10G, 512M, 1.5t)" : "extent count or percentage (e.g. 100, 50%FREE)");
	(void)ctx;
	return 0;
}

/* lvcreate -s: a snapshot of VG/LV. */
static int snapshot_create(vm_ctx *ctx, struct opts *o, bool active)
{
	struct vm_snapshot_params p = { .name = o->name };
	struct vm_size sz;
	char vgname[128], lvname[128];
	int r;
	if (o->stripes > 1 || o->stripesize)
		return usage_error(o, "a snapshot's COW is linear: no -i/-I");
	if ((r = lv_size_spec(ctx, o, &sz)))
		return r;
	if (sz.sign)
		return usage_error(o, "a snapshot's size cannot be relative");
	if (!o->argc || parse_lv_arg(o->argv[0], vgname, lvname) != 1)
		return usage_error(o, "a snapshot needs its origin as VG/LV");
	if (o->chunksize && (r = size_arg(o, "--chunksize", o->chunksize, 'k', &p.chunk_size)))
		return r;
	active = !o->activate || active;
	if (active && (r = vm_activation_check(ctx))) {
		if (r != -EPERM)
			return fail(ctx, r);
		fprintf(stderr, "  WARNING: activation is turned off: the new snapshot stays inactive.\n");
		active = false;
	}
	p.pvs = (const char *const *)o->argv + 1;
	p.npvs = o->argc - 1;
	vm_vg *vg;
	if ((r = vm_vg_open(ctx, vgname, VM_VG_WRITE, &vg)))
		return fail(ctx, r);
	vm_lv *origin = vm_vg_lv_find(vg, lvname), *snap = NULL;
	if (!origin) {
		fprintf(stderr, "volmgr lvcreate: logical volume %s/%s not found\n", vgname, lvname);
		vm_vg_free(vg);
		return EXIT_FAILED;
	}
	if (sz.kind == VM_SIZE_PERCENT_ORIGIN)
		p.extents = vm_snapshot_cow_extents(vg, vm_lv_size(origin), p.chunk_size,
						    (unsigned)(sz.value > 100 ? 100 : sz.value));
	else
		r = vm_vg_size_to_extents(vg, origin, &sz, p.pvs, p.npvs, 1, &p.extents);
	if (!r && !(r = vm_lv_snapshot(origin, &p, &snap)))
		r = vm_vg_commit(vg);
	if (!r && (r = vm_lv_snapshot_zero(snap))) {
		/* an unzeroed COW would show stale chunks: the snapshot goes again */
		char why[512];
		snprintf(why, sizeof(why), "%s", vm_ctx_error(ctx));
		if (!vm_lv_remove(snap))
			vm_vg_commit(vg);
		fprintf(stderr, "volmgr lvcreate: %s (the new snapshot was removed again)\n", why);
		vm_vg_free(vg);
		return EXIT_FAILED;
	}
	if (!r && active)
		r = vm_lv_activate_new(snap, false, false);
	if (!r)
		say(o, "Logical volume \"%s\" created.", vm_lv_name(snap));
	else
		r = fail(ctx, r);
	vm_vg_free(vg);
	return r;
}

int cmd_lvcreate(vm_ctx *ctx, struct opts *o)
{
	struct vm_lv_params p = { .name = o->name, .stripes = (uint32_t)o->stripes };
	struct vm_size sz;
	char vgname[128], lvname[128];
	bool active;
	int r;
	if ((r = check_activate(o, &active)))
		return r;
	if (o->snapshot || (o->type && !strcmp(o->type, "snapshot")))
		return snapshot_create(ctx, o, active);
	if (o->chunksize)
		return usage_error(o, "--chunksize is for snapshots (-s)");
	if (o->type && strcmp(o->type, "linear") && strcmp(o->type, "striped"))
		return usage_error(o, "--type %s: only linear and striped are supported", o->type);
	if (o->type && !strcmp(o->type, "linear") && o->stripes > 1)
		return usage_error(o, "--type linear cannot have %d stripes", o->stripes);
	if (o->zero && strcmp(o->zero, "y") && strcmp(o->zero, "n"))
		return usage_error(o, "--zero %s: expected y or n", o->zero);
	if (o->wipe && strcmp(o->wipe, "y") && strcmp(o->wipe, "n"))
		return usage_error(o, "--wipesignatures %s: expected y or n", o->wipe);
	if ((r = lv_size_spec(ctx, o, &sz)))
		return r;
	if (sz.sign < 0)
		return usage_error(o, "a new logical volume cannot have a negative size");
	if (!o->argc)
		return usage_error(o, "no volume group given");
	if (parse_lv_arg(o->argv[0], vgname, lvname) < 0)
		return usage_error(o, "invalid volume group argument '%s'", o->argv[0]);
	if (lvname[0]) {
		if (o->name && strcmp(o->name, lvname))
			return usage_error(o, "two different names given: %s and %s", o->name, lvname);
		p.name = lvname;
	}
	if (o->stripesize) {
		uint64_t ss = 0;
		if ((r = size_arg(o, "--stripesize", o->stripesize, 'k', &ss)))
			return r;
		p.stripe_size = ss;
	}
	if (o->alloc && vm_alloc_parse(o->alloc, &p.alloc))
		return usage_error(o, "--alloc %s: expected normal, contiguous, cling, anywhere or inherit", o->alloc);
	/* -a y is the default; without device-mapper nothing is written */
	active = !o->activate || active;
	if (active && (r = vm_activation_check(ctx))) {
		if (r != -EPERM)
			return fail(ctx, r);
		fprintf(stderr, "  WARNING: activation is turned off: the new logical volume stays inactive.\n");
		active = false;
	}
	bool zero = o->zero ? !strcmp(o->zero, "y") : active;
	bool wipe = o->wipe ? !strcmp(o->wipe, "y") : zero;
	if (!active && o->zero && zero)
		return usage_error(o, "--zero y needs the new logical volume active (not -an)");
	p.pvs = (const char *const *)o->argv + 1;
	p.npvs = o->argc - 1;
	p.tags = o->addtag;
	p.ntags = o->naddtag;
	vm_vg *vg;
	if ((r = vm_vg_open(ctx, vgname, VM_VG_WRITE, &vg)))
		return fail(ctx, r);
	vm_lv *lv = NULL;
	if (!(r = vm_vg_size_to_extents(vg, NULL, &sz, p.pvs, p.npvs, p.stripes, &p.extents)) &&
	    !(r = vm_lv_create(vg, &p, &lv)))
		r = vm_vg_commit(vg);
	if (!r && active)
		r = vm_lv_activate_new(lv, zero, wipe);
	if (!r) {
		if (!active && !o->zero)
			fprintf(stderr, "  WARNING: Logical volume %s/%s not zeroed.\n", vgname, vm_lv_name(lv));
		say(o, "Logical volume \"%s\" created.", vm_lv_name(lv));
	} else
		r = fail(ctx, r);
	vm_vg_free(vg);
	return r;
}

int cmd_lvremove(vm_ctx *ctx, struct opts *o)
{
	int rc = 0, r;
	if (!o->argc)
		return usage_error(o, "no logical volume given");
	for (int i = 0; i < o->argc; i++) {
		char vgname[128], lvname[128];
		vm_vg *vg;
		if (parse_lv_arg(o->argv[i], vgname, lvname) < 0) {
			rc = usage_error(o, "invalid argument '%s'", o->argv[i]);
			continue;
		}
		if ((r = vm_vg_open(ctx, vgname, VM_VG_WRITE, &vg))) {
			rc = fail(ctx, r);
			continue;
		}
		/* VG alone: every LV in it, in one commit. */
		size_t removed = 0;
		char (*names)[128] = calloc(vm_vg_lv_total(vg) + 1, sizeof(*names));
		r = names ? 0 : -ENOMEM;
		if (lvname[0]) {
			vm_lv *lv = vm_vg_lv_find(vg, lvname);
			if (!lv) {
				fprintf(stderr, "volmgr lvremove: logical volume %s/%s not found\n", vgname, lvname);
				rc = EXIT_FAILED;
				vm_vg_free(vg);
				free(names);
				continue;
			}
			snprintf(names[removed++], 128, "%s", lvname);
			struct vm_lv_state st;
			r = vm_lv_state(lv, &st);
			if (!r && st.active && !o->force && !st.open_count &&
			    !ask_user(o, "Do you really want to remove active logical volume %s/%s?", vgname, lvname)) {
				fprintf(stderr, "volmgr lvremove: logical volume %s/%s not removed\n", vgname, lvname);
				rc = EXIT_FAILED;
				vm_vg_free(vg);
				free(names);
				continue;
			}
			if (!r)
				r = vm_lv_remove(lv);
		} else {
			for (size_t k = 0; k < vm_vg_lv_total(vg) && !r; k++) {
				vm_lv *lv = vm_vg_lv_at(vg, k);
				struct vm_lv_state st;
				if (!vm_lv_visible(lv))
					continue;
				snprintf(names[removed++], 128, "%s", vm_lv_name(lv));
				if (!o->force && !vm_lv_state(lv, &st) && st.active && !st.open_count &&
				    !ask_user(o, "Do you really want to remove active logical volume %s/%s?",
					      vgname, vm_lv_name(lv)))
					r = -ECANCELED;
			}
			if (r == -ECANCELED) {
				fprintf(stderr, "volmgr lvremove: volume group %s: nothing removed\n", vgname);
				rc = EXIT_FAILED;
				vm_vg_free(vg);
				free(names);
				continue;
			}
			r = vm_vg_remove_lvs(vg);
		}
		if (!r && removed)
			r = vm_vg_commit(vg);
		if (r)
			rc = fail(ctx, r);
		else
			for (size_t k = 0; k < removed; k++)
				say(o, "Logical volume \"%s\" successfully removed.", names[k]);
		free(names);
		vm_vg_free(vg);
	}
	return rc;
}

int cmd_lvrename(vm_ctx *ctx, struct opts *o)
{
	char vgname[128], from[128], to[128], vg2[128];
	int r;
	if (o->argc == 3) {
		snprintf(vgname, sizeof(vgname), "%s", o->argv[0]);
		snprintf(from, sizeof(from), "%s", o->argv[1]);
		snprintf(to, sizeof(to), "%s", o->argv[2]);
	} else if (o->argc == 2) {
		if (parse_lv_arg(o->argv[0], vgname, from) != 1)
			return usage_error(o, "expected VG/OLD NEW or VG OLD NEW");
		r = parse_lv_arg(o->argv[1], vg2, to);
		if (r < 0)
			return usage_error(o, "invalid name '%s'", o->argv[1]);
		if (r == 0)
			snprintf(to, sizeof(to), "%s", vg2);
		else if (strcmp(vg2, vgname))
			return usage_error(o, "an LV cannot move to another volume group (%s -> %s)", vgname, vg2);
	} else
		return usage_error(o, "expected VG/OLD NEW or VG OLD NEW");
	vm_vg *vg;
	if ((r = vm_vg_open(ctx, vgname, VM_VG_WRITE, &vg)))
		return fail(ctx, r);
	vm_lv *lv = vm_vg_lv_find(vg, from);
	if (!lv) {
		fprintf(stderr, "volmgr lvrename: logical volume %s/%s not found\n", vgname, from);
		vm_vg_free(vg);
		return EXIT_FAILED;
	}
	if (!(r = vm_lv_rename(lv, to)))
		r = vm_vg_commit(vg);
	if (!r)
		say(o, "Renamed \"%s\" to \"%s\" in volume group \"%s\"", from, to, vgname);
	else
		r = fail(ctx, r);
	vm_vg_free(vg);
	return r;
}

int cmd_lvresize(vm_ctx *ctx, struct opts *o)
{
	struct vm_size sz;
	char vgname[128], lvname[128];
	enum vm_alloc alloc = VM_ALLOC_INHERIT;
	int r;
	bool grow_only = !strcmp(o->cmd, "lvextend"), shrink_only = !strcmp(o->cmd, "lvreduce");
	if ((r = lv_size_spec(ctx, o, &sz)))
		return r;
	if (!o->argc || parse_lv_arg(o->argv[0], vgname, lvname) != 1)
		return usage_error(o, "expected a logical volume as VG/LV");
	if (o->alloc && vm_alloc_parse(o->alloc, &alloc))
		return usage_error(o, "--alloc %s: expected normal, contiguous, cling, anywhere or inherit", o->alloc);
	if (grow_only && sz.sign < 0)
		return usage_error(o, "lvextend cannot shrink; use lvreduce");
	if (o->notify && o->qmp)
		return usage_error(o, "give --notify DOMAIN or --qmp SOCKET, not both");
	if (shrink_only && sz.sign > 0)
		return usage_error(o, "lvreduce cannot grow; use lvextend");
	vm_vg *vg;
	if ((r = vm_vg_open(ctx, vgname, VM_VG_WRITE, &vg)))
		return fail(ctx, r);
	vm_lv *lv = vm_vg_lv_find(vg, lvname);
	uint64_t cur = 0, target = 0;
	const char *const *pvs = (const char *const *)o->argv + 1;
	if (!lv) {
		fprintf(stderr, "volmgr %s: logical volume %s/%s not found\n", o->cmd, vgname, lvname);
		r = EXIT_FAILED;
		goto out;
	}
	cur = vm_lv_extents(lv);
	if (o->resizefs && vm_lv_origin(lv)) {
		fprintf(stderr, "volmgr %s: %s/%s is a snapshot: -r does not apply (growing it grows its COW, "
			"not the filesystem it shows)\n", o->cmd, vgname, lvname);
		r = EXIT_FAILED;
		goto out;
	}
	if ((r = vm_lv_resize_target(lv, &sz, pvs, o->argc - 1, &target))) {
		r = fail(ctx, r);
		goto out;
	}
	if ((grow_only && target <= cur) || (shrink_only && target >= cur) || target == cur) {
		fprintf(stderr, "volmgr %s: new size (%" PRIu64 " extents) is %s the current size (%" PRIu64
			" extents) of %s/%s\n", o->cmd, target, target == cur ? "the same as" :
			grow_only ? "not larger than" : "not smaller than", cur, vgname, lvname);
		r = EXIT_FAILED;
		goto out;
	}
	char from[32], to[32];
	const uint64_t es = vm_vg_extent_size(vg);
	fmt_human(cur * es, from, sizeof(from));
	fmt_human(target * es, to, sizeof(to));
	struct vm_lv_state st;
	struct vm_fs_info fs = { .size = 0 };
	if ((r = vm_lv_state(lv, &st)) || (st.active && (r = vm_lv_fs_info(lv, &fs)))) {
		r = fail(ctx, r);
		goto out;
	}
	if (o->resizefs && !st.active) {
		fprintf(stderr, "volmgr %s: --resizefs needs %s/%s active (lvchange -ay %s/%s)\n", o->cmd,
			vgname, lvname, vgname, lvname);
		r = EXIT_FAILED;
		goto out;
	}
	bool fs_shrunk = false;
	if (target < cur && fs.mountpoint[0] && !o->force) {
		/* a mounted filesystem cannot shrink, and its superblock may not tell its size yet */
		fprintf(stderr, "volmgr %s: %s/%s holds %s %s filesystem mounted on %s: unmount it first "
			"(or give -f to cut it anyway)\n", o->cmd, vgname, lvname,
			strchr("aeiou", fs.type[0]) ? "an" : "a", fs.type, fs.mountpoint);
		r = EXIT_FAILED;
		goto out;
	}
	if (target < cur && fs.size > target * es) {
		/* the filesystem would be cut: shrink it first (-r), or cut it only when told (-f) */
		if (o->resizefs) {
			if ((r = vm_lv_fs_resize(lv, target * es, !o->nofsck))) {
				r = fail(ctx, r);
				goto out;
			}
			fs_shrunk = true;
		} else if (!o->force) {
			char fsz[32];
			fmt_human(fs.size, fsz, sizeof(fsz));
			fprintf(stderr, "volmgr %s: %s/%s holds %s %s filesystem of %s that %s would cut; shrink it "
				"first with -r (--resizefs), or give -f to cut it anyway\n", o->cmd, vgname, lvname,
				strchr("aeiou", fs.type[0]) ? "an" : "a", fs.type, fsz, to);
			r = EXIT_FAILED;
			goto out;
		}
	}
	if (target < cur && !o->force && !fs_shrunk) {
		fprintf(stderr, "  WARNING: Reducing logical volume %s/%s to %s. THIS MAY DESTROY YOUR DATA.\n",
			vgname, lvname, to);
		if (!ask_user(o, "Do you really want to reduce %s/%s?", vgname, lvname)) {
			fprintf(stderr, "volmgr %s: %s/%s not reduced (use -f to shrink without a question)\n",
				o->cmd, vgname, lvname);
			r = EXIT_FAILED;
			goto out;
		}
	}
	if (!(r = vm_lv_resize(lv, target, alloc, pvs, o->argc - 1)))
		r = vm_vg_commit(vg);
	if (r) {
		r = fail(ctx, r);
		goto out;
	}
	fmt_human(vm_lv_extents(lv) * es, to, sizeof(to));
	say(o, "Size of logical volume %s/%s changed from %s (%" PRIu64 " extents) to %s (%" PRIu64
	    " extents).", vgname, lvname, from, cur, to, vm_lv_extents(lv));
	say(o, "Logical volume %s/%s successfully resized.", vgname, lvname);
	if (o->resizefs && target > cur && (r = vm_lv_fs_resize(lv, vm_lv_extents(lv) * es, !o->nofsck)))
		r = fail(ctx, r);
	/* the hypervisor hears of it only now: the device has grown (told before, qemu refuses) */
	if (!r && target > cur && (o->notify || o->qmp)) {
		if ((r = o->qmp ? vm_lv_qmp_resize(lv, o->qmp) : vm_lv_libvirt_resize(lv, o->notify)))
			r = fail(ctx, r);
		else
			say(o, "Told %s the new size of %s/%s.", o->qmp ? o->qmp : o->notify, vgname, lvname);
	}
out:
	vm_vg_free(vg);
	return r;
}

int cmd_lvchange(vm_ctx *ctx, struct opts *o)
{
	bool active;
	unsigned flags;
	int rc = 0, r;
	if ((r = check_activate(o, &active)) || (r = activation_flags(o, &flags)))
		return r;
	if (!o->activate && !o->refresh && !o->naddtag && !o->ndeltag)
		return usage_error(o, "nothing to change (give -a, --refresh, --addtag or --deltag)");
	if (o->activate && o->refresh)
		return usage_error(o, "give -a or --refresh, not both");
	if (!o->argc)
		return usage_error(o, "no logical volume given");
	for (int i = 0; i < o->argc; i++) {
		char vgname[128], lvname[128];
		vm_vg *vg;
		if (parse_lv_arg(o->argv[i], vgname, lvname) != 1) {
			rc = usage_error(o, "expected VG/LV, got '%s'", o->argv[i]);
			continue;
		}
		bool tags = o->naddtag || o->ndeltag;
		if ((r = vm_vg_open(ctx, vgname, tags ? VM_VG_WRITE : VM_VG_READ, &vg))) {
			rc = fail(ctx, r);
			continue;
		}
		vm_lv *lv = vm_vg_lv_find(vg, lvname);
		r = 0;
		if (!lv) {
			fprintf(stderr, "volmgr lvchange: logical volume %s/%s not found\n", vgname, lvname);
			rc = EXIT_FAILED;
			vm_vg_free(vg);
			continue;
		}
		for (int k = 0; k < o->naddtag && !r; k++)
			r = vm_lv_add_tag(lv, o->addtag[k]);
		for (int k = 0; k < o->ndeltag && !r; k++)
			r = vm_lv_del_tag(lv, o->deltag[k]);
		if (!r && tags)
			r = vm_vg_commit(vg);
		if (!r && o->activate)
			r = active ? vm_lv_activate(lv, flags) : vm_lv_deactivate(lv);
		if (!r && o->refresh)
			r = vm_lv_refresh(lv);
		if (r)
			rc = fail(ctx, r);
		else if (tags)
			say(o, "Logical volume %s/%s changed.", vgname, lvname);
		vm_vg_free(vg);
	}
	return rc;
}

static int merge_poll(vm_ctx *ctx, const char *vgname, size_t *finished, size_t *merging, double *pct);

/* ---------------------------------------------------------------- monitor */

static volatile sig_atomic_t monitor_stop;
static void monitor_signal(int sig) { (void)sig; monitor_stop = 1; }

static int monitor_round(vm_ctx *ctx, struct opts *o, unsigned thr, unsigned pct)
{
	int rc = 0, r;
	char **names = NULL;
	size_t n = 0;
	if (o->argc) {
		names = o->argv;
		n = (size_t)o->argc;
	} else if ((r = vm_scan_names(ctx))) {
		return fail(ctx, r);
	} else {
		n = vm_vg_name_count(ctx);
		names = calloc(n + 1, sizeof(*names));
		for (size_t i = 0; names && i < n; i++)
			names[i] = strdup(vm_vg_name_at(ctx, i));
		if (!names)
			return EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		size_t grown;
		size_t fin, busy;
		double done;
		if (names[i] && (r = vm_vg_autoextend_snapshots(ctx, names[i], thr, pct, &grown)))
			rc = fail(ctx, r);
		if (names[i] && (r = merge_poll(ctx, names[i], &fin, &busy, &done)))
			rc = fail(ctx, r);
		else if (names[i] && fin)
			say(o, "Volume group %s: %zu merge(s) finished.", names[i], fin);
	}
	if (!o->argc) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return rc;
}

int cmd_lvmonitor(vm_ctx *ctx, struct opts *o)
{
	unsigned thr, pct;
	double interval = 5;
	if (o->interval) {
		char *end;
		interval = strtod(o->interval, &end);
		if (*end || !(interval >= 0.1 && interval <= 3600))
			return usage_error(o, "--interval %s: expected seconds from 0.1 to 3600", o->interval);
	}
	vm_ctx_snapshot_autoextend(ctx, &thr, &pct);
	if (thr >= 100 || !pct)
		fprintf(stderr, "  WARNING: snapshot autoextend is off (snapshot_autoextend_threshold %u, "
			"snapshot_autoextend_percent %u in volmgr.conf).\n", thr, pct);
	if (o->once)
		return monitor_round(ctx, o, thr, pct);
	struct sigaction sa = { .sa_handler = monitor_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	say(o, "Monitoring snapshots every %.1f s: a COW %u%% full grows by %u%%.", interval, thr, pct);
	while (!monitor_stop) {
		monitor_round(ctx, o, thr, pct);
		fflush(NULL);
		struct timespec ts = { (time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9) };
		while (!monitor_stop && nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	return 0;
}

/* ---------------------------------------------------------------- merge */

/* Finish the merges the kernel has done in @vgname; *@merging: those still going. */
static int merge_poll(vm_ctx *ctx, const char *vgname, size_t *finished, size_t *merging, double *pct)
{
	vm_vg *vg;
	int r = vm_vg_open(ctx, vgname, VM_VG_WRITE, &vg);
	if (r)
		return r;
	r = vm_vg_finish_merges(vg, finished, merging, pct);
	vm_vg_free(vg);
	return r;
}

int cmd_lvconvert(vm_ctx *ctx, struct opts *o)
{
	int rc = 0, r;
	double interval = 1;
	if (!o->merge)
		return usage_error(o, "only --merge is supported");
	if (!o->argc)
		return usage_error(o, "no snapshot given");
	if (o->interval) {
		char *end;
		interval = strtod(o->interval, &end);
		if (*end || !(interval >= 0.1 && interval <= 3600))
			return usage_error(o, "--interval %s: expected seconds from 0.1 to 3600", o->interval);
	}
	for (int i = 0; i < o->argc; i++) {
		char vgname[128], lvname[128], origin[128] = "";
		vm_vg *vg;
		bool delayed = true, already = false;
		if (parse_lv_arg(o->argv[i], vgname, lvname) != 1) {
			rc = usage_error(o, "expected VG/SNAPSHOT, got '%s'", o->argv[i]);
			continue;
		}
		if ((r = vm_vg_open(ctx, vgname, VM_VG_WRITE, &vg))) {
			rc = fail(ctx, r);
			continue;
		}
		vm_lv *snap = vm_vg_lv_find(vg, lvname);
		if (!snap) {
			fprintf(stderr, "volmgr lvconvert: logical volume %s/%s not found\n", vgname, lvname);
			rc = EXIT_FAILED;
			vm_vg_free(vg);
			continue;
		}
		if (vm_lv_origin(snap))
			snprintf(origin, sizeof(origin), "%s", vm_lv_origin(snap));
		r = vm_lv_merge(snap);
		if (r == -EALREADY)                     /* merging already: wait for it below */
			r = 0, already = true, delayed = false;
		else if (!r && !(r = vm_vg_commit(vg)))
			r = vm_lv_merge_start(snap, &delayed);
		vm_vg_free(vg);
		if (r) {
			rc = fail(ctx, r);
			continue;
		}
		if (delayed) {
			say(o, "Delaying merge since origin is open or inactive.");
			say(o, "Merging of snapshot %s/%s will occur on next activation of %s/%s.", vgname, lvname,
			    vgname, origin);
			continue;
		}
		if (!already)
			say(o, "Merging of volume %s/%s started.", vgname, lvname);
		if (o->background)
			continue;
		for (;;) {
			size_t fin, busy;
			double pct;
			if ((r = merge_poll(ctx, vgname, &fin, &busy, &pct))) {
				rc = fail(ctx, r);
				break;
			}
			if (!busy) {
				say(o, "Merge of snapshot into logical volume %s/%s has finished.", vgname, origin);
				break;
			}
			say(o, "%s/%s: Merged: %.2f%%", vgname, lvname, pct);
			fflush(stdout);
			struct timespec ts = { (time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9) };
			nanosleep(&ts, NULL);
		}
	}
	return rc;
}

/* ---------------------------------------------------------------- guests' disks */

static void disk_params(const struct opts *o, struct vm_disk_params *p)
{
	*p = (struct vm_disk_params){ .target = o->target, .bus = o->bus, .cache = o->cache, .io = o->io,
				      .serial = o->serial };
}

/* Open VG of "VG/LV" (read or write) and find the LV; prints why not. */
static int open_lv(vm_ctx *ctx, struct opts *o, const char *arg, int mode, vm_vg **vg, vm_lv **lv)
{
	char vgname[128], lvname[128];
	int r;
	if (parse_lv_arg(arg, vgname, lvname) != 1)
		return usage_error(o, "expected VG/LV, got '%s'", arg);
	if ((r = vm_vg_open(ctx, vgname, mode, vg)))
		return fail(ctx, r);
	if (!(*lv = vm_vg_lv_find(*vg, lvname)) || !vm_lv_visible(*lv)) {
		fprintf(stderr, "volmgr %s: logical volume %s/%s not found\n", o->cmd, vgname, lvname);
		vm_vg_free(*vg);
		return EXIT_FAILED;
	}
	return 0;
}

int cmd_lvdisk(vm_ctx *ctx, struct opts *o)
{
	struct vm_disk_params p;
	enum vm_disk_format f = VM_DISK_LIBVIRT;
	vm_vg *vg;
	vm_lv *lv;
	char *text;
	int r;
	if (o->argc != 1)
		return usage_error(o, "expected one VG/LV");
	if (o->format && !strcmp(o->format, "qemu"))
		f = VM_DISK_QEMU;
	else if (o->format && !strcmp(o->format, "json"))
		f = VM_DISK_JSON;
	else if (o->format && strcmp(o->format, "libvirt"))
		return usage_error(o, "--format %s: expected libvirt, qemu or json", o->format);
	disk_params(o, &p);
	if ((r = open_lv(ctx, o, o->argv[0], VM_VG_READ, &vg, &lv)))
		return r;
	if ((r = vm_lv_disk(lv, &p, f, &text)))
		r = fail(ctx, r);
	else {
		fputs(text, stdout);
		free(text);
	}
	vm_vg_free(vg);
	return r;
}

/* lvattach and lvdetach: VG/LV DOMAIN, or VG/LV --qmp SOCKET; the LV's VG opened. */
static int attach_args(vm_ctx *ctx, struct opts *o, vm_vg **vg, vm_lv **lv, unsigned *flags)
{
	if (o->argc != (o->qmp ? 1 : 2))
		return usage_error(o, o->qmp ? "expected VG/LV with --qmp" : "expected VG/LV DOMAIN (or --qmp SOCKET)");
	if (o->qmp && (o->live || o->persist))
		return usage_error(o, "--live and --config are for libvirt, not --qmp");
	*flags = (o->live ? VM_ATTACH_LIVE : 0) | (o->persist ? VM_ATTACH_CONFIG : 0);
	return open_lv(ctx, o, o->argv[0], VM_VG_READ, vg, lv);
}

int cmd_lvattach(vm_ctx *ctx, struct opts *o)
{
	struct vm_disk_params p;
	vm_vg *vg;
	vm_lv *lv;
	unsigned flags;
	int r;
	disk_params(o, &p);
	if ((r = attach_args(ctx, o, &vg, &lv, &flags)))
		return r;
	r = o->qmp ? vm_lv_qmp_attach(lv, o->qmp, &p) : vm_lv_libvirt_attach(lv, o->argv[1], &p, flags);
	if (!r && o->qmp)
		say(o, "Logical volume %s attached to %s.", o->argv[0], o->qmp);
	else if (!r)
		say(o, "Logical volume %s attached to %s as %s.", o->argv[0], o->argv[1], o->target ? o->target : "vdb");
	else
		r = fail(ctx, r);
	vm_vg_free(vg);
	return r;
}

int cmd_lvdetach(vm_ctx *ctx, struct opts *o)
{
	vm_vg *vg;
	vm_lv *lv;
	unsigned flags;
	int r;
	if ((r = attach_args(ctx, o, &vg, &lv, &flags)))
		return r;
	r = o->qmp ? vm_lv_qmp_detach(lv, o->qmp, 30000) : vm_lv_libvirt_detach(lv, o->argv[1], o->target, flags);
	if (!r)
		say(o, "Logical volume %s detached from %s.", o->argv[0], o->qmp ? o->qmp : o->argv[1]);
	else
		r = fail(ctx, r);
	vm_vg_free(vg);
	return r;
}
