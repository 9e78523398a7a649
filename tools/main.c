/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * volmgr: one binary, lvm2's command names as subcommands. Each command
 * parses its arguments, calls libvolmgr, prints, and maps errors to exit
 * codes. Also reachable as a link named after the command (lvcreate -> volmgr).
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

enum {
	O_SIZE = 1000, O_EXTENTS, O_NAME, O_STRIPES, O_STRIPESIZE, O_ALLOC, O_ADDTAG, O_DELTAG,
	O_ACTIVATE, O_ZERO, O_WIPE, O_YES, O_FORCE, O_METADATASIZE, O_DATAALIGNMENT, O_PESIZE,
	O_OPTIONS, O_SORT, O_NOHEADINGS, O_NOSUFFIX, O_SEPARATOR, O_UNITS, O_UNBUFFERED,
	O_REPORTFORMAT, O_DEVICES, O_FILE, O_CONFIG, O_TYPE, O_SNAPSHOT, O_RESIZEFS,
	O_UPDATEMETADATA, O_READONLY, O_VERBOSE, O_QUIET, O_HELP, O_AUTOBACKUP, O_NOFSCK,
	O_NAMEPREFIXES, O_UNIT, O_ACTMODE, O_REFRESH, O_CHUNKSIZE, O_INTERVAL, O_ONCE, O_MERGE, O_BACKGROUND, O_TARGET, O_BUS, O_CACHE, O_IO, O_SERIAL, O_FORMAT, O_LIVE,
	O_PERSIST, O_QMP, O_NOTIFY, O_REMOVEMISSING,
};

struct optdef {
	const char *name;
	int shortopt;
	int has_arg;
	int id;
};

/* Every option of every command; a command accepts the ones it lists. */
static const struct optdef optdefs[] = {
	{ "size", 'L', 1, O_SIZE },           { "extents", 'l', 1, O_EXTENTS },
	{ "name", 'n', 1, O_NAME },           { "stripes", 'i', 1, O_STRIPES },
	{ "stripesize", 'I', 1, O_STRIPESIZE }, { "alloc", 0, 1, O_ALLOC },
	{ "addtag", 0, 1, O_ADDTAG },         { "deltag", 0, 1, O_DELTAG },
	{ "activate", 'a', 1, O_ACTIVATE },   { "zero", 'Z', 1, O_ZERO },
	{ "wipesignatures", 'W', 1, O_WIPE }, { "yes", 'y', 0, O_YES },
	{ "force", 'f', 0, O_FORCE },         { "metadatasize", 0, 1, O_METADATASIZE },
	{ "dataalignment", 0, 1, O_DATAALIGNMENT },
	{ "physicalextentsize", 's', 1, O_PESIZE },
	{ "options", 'o', 1, O_OPTIONS },     { "sort", 'O', 1, O_SORT },
	{ "noheadings", 0, 0, O_NOHEADINGS }, { "nosuffix", 0, 0, O_NOSUFFIX },
	{ "separator", 0, 1, O_SEPARATOR },   { "units", 0, 1, O_UNITS }, { "unit", 0, 1, O_UNIT },
	{ "unbuffered", 0, 0, O_UNBUFFERED }, { "reportformat", 0, 1, O_REPORTFORMAT },
	{ "devices", 0, 1, O_DEVICES },       { "file", 'f', 1, O_FILE },
	{ "config", 0, 1, O_CONFIG },         { "type", 0, 1, O_TYPE },
	{ "snapshot", 's', 0, O_SNAPSHOT },   { "resizefs", 'r', 0, O_RESIZEFS },
	{ "updatemetadata", 0, 0, O_UPDATEMETADATA }, { "readonly", 0, 0, O_READONLY },
	{ "removemissing", 0, 0, O_REMOVEMISSING },
	{ "verbose", 'v', 0, O_VERBOSE },     { "quiet", 'q', 0, O_QUIET },
	{ "help", 'h', 0, O_HELP },           { "autobackup", 'A', 1, O_AUTOBACKUP },
	{ "nofsck", 0, 0, O_NOFSCK },         { "nameprefixes", 0, 0, O_NAMEPREFIXES },
	{ "activationmode", 0, 1, O_ACTMODE }, { "refresh", 0, 0, O_REFRESH },
	{ "chunksize", 'c', 1, O_CHUNKSIZE }, { "interval", 0, 1, O_INTERVAL }, { "once", 0, 0, O_ONCE },
	{ "merge", 0, 0, O_MERGE },           { "background", 'b', 0, O_BACKGROUND },
	{ "target", 0, 1, O_TARGET },         { "bus", 0, 1, O_BUS },
	{ "cache", 0, 1, O_CACHE },           { "io", 0, 1, O_IO },
	{ "serial", 0, 1, O_SERIAL },         { "format", 0, 1, O_FORMAT },
	{ "live", 0, 0, O_LIVE },             { "qmp", 0, 1, O_QMP },
	{ "notify", 0, 1, O_NOTIFY },
	/* lvattach/lvdetach: --config is virsh's (the domain's persistent definition), no argument */
	{ "config", 0, 0, O_PERSIST },
};

#define COMMON "devices yes verbose quiet help config autobackup"
#define REPORT COMMON " options sort noheadings nosuffix separator units unit unbuffered reportformat readonly"

static const struct command commands[] = {
	{ "pvcreate", cmd_pvcreate, COMMON " force metadatasize dataalignment", "PV...",
	  "Initialize devices as physical volumes" },
	{ "pvremove", cmd_pvremove, COMMON " force", "PV...", "Remove the PV label from devices" },
	{ "pvs", cmd_pvs, REPORT, "[PV...]", "Report physical volumes" },
	{ "pvdisplay", cmd_pvdisplay, COMMON " units", "[PV...]", "Display physical volumes" },
	{ "pvck", cmd_pvck, COMMON, "PV...", "Check the label and metadata areas of PVs" },
	{ "pvscan", cmd_pvscan, COMMON, "", "List all physical volumes" },
	{ "vgcreate", cmd_vgcreate, COMMON " physicalextentsize",
	  "VG PV...", "Create a volume group" },
	{ "vgextend", cmd_vgextend, COMMON, "VG PV...", "Add physical volumes to a volume group" },
	{ "vgreduce", cmd_vgreduce, COMMON " removemissing force", "VG PV... | --removemissing [-f] VG",
	  "Remove unused or missing physical volumes from a volume group" },
	{ "vgremove", cmd_vgremove, COMMON " force", "VG...", "Remove volume groups" },
	{ "vgrename", cmd_vgrename, COMMON, "OLD NEW", "Rename a volume group" },
	{ "vgs", cmd_vgs, REPORT, "[VG...]", "Report volume groups" },
	{ "vgdisplay", cmd_vgdisplay, COMMON " units", "[VG...]", "Display volume groups" },
	{ "vgcfgbackup", cmd_vgcfgbackup, COMMON " file", "[VG...]", "Back up volume group metadata" },
	{ "vgcfgrestore", cmd_vgcfgrestore, COMMON " file", "VG",
	  "Restore volume group metadata from a backup" },
	{ "vgck", cmd_vgck, COMMON " updatemetadata", "[VG...]", "Check volume group metadata" },
	{ "vgchange", cmd_vgchange, COMMON " activate activationmode refresh", "[VG...]",
	  "Change volume group attributes" },
	{ "vgscan", cmd_vgscan, COMMON, "", "Search for volume groups" },
	{ "lvcreate", cmd_lvcreate, COMMON " size extents name stripes stripesize alloc addtag activate zero "
	  "wipesignatures type snapshot chunksize",
	  "-L SIZE|-l EXTENTS [-n NAME] VG[/LV] [PV...] | -s -L SIZE|-l N%ORIGIN [-c CHUNK] [-n NAME] VG/LV",
	  "Create a logical volume" },
	{ "lvremove", cmd_lvremove, COMMON " force", "VG/LV|VG...", "Remove logical volumes" },
	{ "lvrename", cmd_lvrename, COMMON, "VG OLD NEW | VG/OLD VG/NEW", "Rename a logical volume" },
	{ "lvextend", cmd_lvresize, COMMON " size extents alloc force resizefs nofsck notify qmp",
	  "-L|-l [+]SIZE VG/LV [PV...]", "Grow a logical volume" },
	{ "lvreduce", cmd_lvresize, COMMON " size extents force resizefs nofsck",
	  "-L|-l [-]SIZE VG/LV", "Shrink a logical volume" },
	{ "lvresize", cmd_lvresize, COMMON " size extents alloc force resizefs nofsck notify qmp",
	  "-L|-l [+|-]SIZE VG/LV [PV...]", "Resize a logical volume" },
	{ "lvs", cmd_lvs, REPORT, "[VG|VG/LV...]", "Report logical volumes" },
	{ "lvdisplay", cmd_lvdisplay, COMMON " units", "[VG|VG/LV...]", "Display logical volumes" },
	{ "lvconvert", cmd_lvconvert, COMMON " merge background interval", "--merge VG/SNAPSHOT...",
	  "Merge snapshots back into their origins" },
	{ "lvdisk", cmd_lvdisk, COMMON " target bus cache io serial format", "VG/LV",
	  "Print the guest disk definition of an LV (libvirt XML, qemu, JSON)" },
	{ "lvattach", cmd_lvattach, COMMON " persistconfig target bus cache io serial live qmp",
	  "VG/LV DOMAIN | VG/LV --qmp SOCKET", "Attach an LV to a libvirt domain or a running qemu" },
	{ "lvdetach", cmd_lvdetach, COMMON " persistconfig target live qmp",
	  "VG/LV DOMAIN | VG/LV --qmp SOCKET", "Detach an LV from a libvirt domain or a running qemu" },
	{ "lvmonitor", cmd_lvmonitor, COMMON " interval once", "[VG...]",
	  "Grow snapshots' COWs before they fill (in the foreground)" },
	{ "lvchange", cmd_lvchange, COMMON " addtag deltag activate activationmode refresh", "VG/LV...",
	  "Change logical volume attributes" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(*commands))

static const char *progname = "volmgr";
static struct opts *cur_opts;

void say(const struct opts *o, const char *fmt, ...)
{
	if (o && o->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("  ", stdout);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
}

int usage_error(const struct opts *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s %s: ", progname, o->cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see '%s %s --help')\n", progname, o->cmd);
	va_end(ap);
	return EXIT_USAGE;
}

int fail(vm_ctx *ctx, int r)
{
	const char *msg = vm_ctx_error(ctx);
	fprintf(stderr, "%s %s: %s\n", progname, cur_opts ? cur_opts->cmd : "", *msg ? msg : strerror(-r));
	return EXIT_FAILED;
}

static void log_cb(int level, const char *msg, void *user)
{
	const struct opts *o = user;
	if (level == VM_LOG_DEBUG && o->verbose < 2)
		return;
	if (level == VM_LOG_INFO && o->quiet)
		return;
	/* reports own stdout; only plain information shares it, as with lvm2 */
	fprintf(level == VM_LOG_INFO ? stdout : stderr, "  %s\n", msg);
}

/* A question gets an answer only from a terminal; -y answers yes; otherwise no. */
static bool confirm_cb(const char *q, void *user)
{
	const struct opts *o = user;
	if (o->yes)
		return true;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "  %s [y/n]: [n]\n", q);
		return false;
	}
	fprintf(stderr, "  %s [y/n]: ", q);
	fflush(stderr);
	char line[32];
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

bool ask_user(const struct opts *o, const char *fmt, ...)
{
	char q[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	return confirm_cb(q, (void *)o);
}

static bool accepts(const struct command *c, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = c->accepts; (p = strstr(p, name)); p += n)
		if ((p == c->accepts || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* Does @c take @d? "persistconfig" in its list swaps lvm2's --config SETTINGS for virsh's --config. */
static bool offered(const struct command *c, const struct optdef *d)
{
	bool persist = accepts(c, "persistconfig");
	if ((d->id == O_CONFIG && persist) || (d->id == O_PERSIST && !persist))
		return false;
	return accepts(c, d->name);
}

static void help(const struct command *c)
{
	printf("%s %s: %s\n\nUsage: %s %s [OPTIONS] %s\n\nOptions:\n", progname, c->name, c->summary,
	       progname, c->name, c->usage);
	for (size_t i = 0; i < sizeof(optdefs) / sizeof(*optdefs); i++) {
		const struct optdef *d = &optdefs[i];
		if (!offered(c, d) || d->id == O_UNIT)
			continue;
		char s[8] = "    ";
		if (d->shortopt)
			snprintf(s, sizeof(s), "-%c, ", d->shortopt);
		printf("  %s--%s%s\n", s, d->name, d->has_arg ? " ARG" : "");
	}
	printf("\nSee volmgr-%s(8).\n", c->name);
}

static void usage_all(FILE *f)
{
	fprintf(f, "Usage: %s COMMAND [OPTIONS] [ARGS]\n\nCommands:\n", progname);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'%s COMMAND --help' for a command's options; volmgr(8) for the rest.\n", progname);
}

static int parse_opts(const struct command *c, int argc, char **argv, struct opts *o)
{
	struct option lopts[64];
	int short_id[256] = { 0 };
	char sopts[128] = "+";
	size_t nl = 0, ns = 1;
	for (size_t i = 0; i < sizeof(optdefs) / sizeof(*optdefs); i++) {
		const struct optdef *d = &optdefs[i];
		if (!offered(c, d))
			continue;
		lopts[nl++] = (struct option){ d->name, d->has_arg, NULL, d->id };
		if (d->shortopt) {
			short_id[d->shortopt] = d->id;
			sopts[ns++] = (char)d->shortopt;
			if (d->has_arg)
				sopts[ns++] = ':';
		}
	}
	lopts[nl] = (struct option){ 0 };
	sopts[ns] = 0;
	sopts[0] = ':';     /* report missing arguments ourselves; keep GNU permutation */
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		int id = ch;
		if (ch == '?') {
			if (optopt)
				return usage_error(o, "unrecognised option '-%c'", optopt);
			return usage_error(o, "unrecognised option '%s'", argv[optind - 1]);
		}
		if (ch == ':')
			return usage_error(o, "option '%s' needs an argument", argv[optind - 1]);
		if (ch < 256)
			id = short_id[ch];      /* -s is --snapshot to lvcreate, --physicalextentsize to vgcreate */
		const char *a = optarg;
		switch (id) {
		case O_SIZE: o->size = a; break;
		case O_EXTENTS: o->extents = a; break;
		case O_NAME: o->name = a; break;
		case O_STRIPES: {
			char *end;
			long v = strtol(a, &end, 10);
			if (*end || v < 1 || v > 128)
				return usage_error(o, "--stripes %s: must be a number from 1 to 128", a);
			o->stripes = (int)v;
			break;
		}
		case O_STRIPESIZE: o->stripesize = a; break;
		case O_ALLOC: o->alloc = a; break;
		case O_ADDTAG:
			if (o->naddtag == MAX_TAGS)
				return usage_error(o, "too many --addtag");
			o->addtag[o->naddtag++] = a;
			break;
		case O_DELTAG:
			if (o->ndeltag == MAX_TAGS)
				return usage_error(o, "too many --deltag");
			o->deltag[o->ndeltag++] = a;
			break;
		case O_ACTIVATE: o->activate = a; break;
		case O_ACTMODE: o->activationmode = a; break;
		case O_REFRESH: o->refresh = true; break;
		case O_CHUNKSIZE: o->chunksize = a; break;
		case O_INTERVAL: o->interval = a; break;
		case O_ONCE: o->once = true; break;
		case O_MERGE: o->merge = true; break;
		case O_BACKGROUND: o->background = true; break;
		case O_TARGET: o->target = a; break;
		case O_BUS: o->bus = a; break;
		case O_CACHE: o->cache = a; break;
		case O_IO: o->io = a; break;
		case O_SERIAL: o->serial = a; break;
		case O_FORMAT: o->format = a; break;
		case O_LIVE: o->live = true; break;
		case O_PERSIST: o->persist = true; break;
		case O_QMP: o->qmp = a; break;
		case O_NOTIFY: o->notify = a; break;
		case O_ZERO: o->zero = a; break;
		case O_WIPE: o->wipe = a; break;
		case O_YES: o->yes = 1; break;
		case O_FORCE: o->force++; break;
		case O_METADATASIZE: o->metadatasize = a; break;
		case O_DATAALIGNMENT: o->dataalignment = a; break;
		case O_PESIZE: o->extentsize = a; break;
		case O_OPTIONS:
			/* -o given again adds its fields, as lvm2 does */
			if (o->options) {
				static char joined[4096];
				snprintf(joined, sizeof(joined), "%s,%s", o->options, a[0] == '+' ? a + 1 : a);
				o->options = joined;
			} else
				o->options = a;
			break;
		case O_SORT: o->sort = a; break;
		case O_NOHEADINGS: o->noheadings = true; break;
		case O_NOSUFFIX: o->nosuffix = true; break;
		case O_SEPARATOR: o->separator = a; break;
		case O_UNITS: case O_UNIT: o->units = a; break;
		case O_UNBUFFERED: o->unbuffered = true; break;
		case O_REPORTFORMAT: o->reportformat = a; break;
		case O_DEVICES: o->devices = a; break;
		case O_FILE: o->file = a; break;
		case O_CONFIG: o->config = a; break;
		case O_TYPE: o->type = a; break;
		case O_SNAPSHOT: o->snapshot = true; break;
		case O_RESIZEFS: o->resizefs = true; break;
		case O_UPDATEMETADATA: o->updatemetadata = true; break;
		case O_REMOVEMISSING: o->removemissing = true; break;
		case O_READONLY: o->readonly = true; break;
		case O_VERBOSE: o->verbose++; break;
		case O_QUIET: o->quiet++; break;
		case O_NAMEPREFIXES: o->nameprefixes = true; break;
		case O_AUTOBACKUP: break;
		case O_NOFSCK: o->nofsck = true; break;
		case O_HELP:
			help(c);
			exit(0);
		default:
			return usage_error(o, "unrecognised option '%s'", argv[optind - 1]);
		}
	}
	o->argc = argc - optind;
	o->argv = argv + optind;
	return 0;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	const struct command *c = find_command(base);
	if (!c) {
		if (argc < 2) {
			usage_all(stderr);
			return EXIT_USAGE;
		}
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
			usage_all(stdout);
			return 0;
		}
		if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
			printf("volmgr %s\n", VOLMGR_VERSION);
			return 0;
		}
		if (!strcmp(argv[1], "--commands")) {
			for (size_t i = 0; i < NCOMMANDS; i++)
				printf("%s\n", commands[i].name);
			return 0;
		}
		if (!(c = find_command(argv[1]))) {
			fprintf(stderr, "%s: unknown command '%s' (see '%s --help')\n", progname, argv[1], progname);
			return EXIT_USAGE;
		}
		argc--;
		argv++;
	}
	static struct opts o;
	o.cmd = c->name;
	cur_opts = &o;
	int r = parse_opts(c, argc, argv, &o);
	if (r)
		return r;
	vm_ctx *ctx = NULL;
	/* Backups record the command that made them, as lvm2's do. */
	char desc[512] = "volmgr";
	size_t at = strlen(desc);
	for (int i = 0; i < argc && at < sizeof(desc) - 2; i++)
		at += snprintf(desc + at, sizeof(desc) - at, " %s", i ? argv[i] : c->name);
	r = vm_ctx_new(&ctx);
	if (!r) {
		vm_ctx_set_log(ctx, log_cb, &o);
		vm_ctx_set_confirm(ctx, confirm_cb, &o);
		vm_ctx_set_description(ctx, desc);
		if (o.devices)
			r = vm_ctx_set_devices(ctx, o.devices);
	}
	if (r) {
		int e = fail(ctx, r);
		vm_ctx_free(ctx);
		return e;
	}
	r = c->fn(ctx, &o);
	vm_ctx_free(ctx);
	fflush(stdout);
	return r;
}
