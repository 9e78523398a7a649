/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The context: configuration, logging, questions, errors, size parsing. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int vm_err(vm_ctx *ctx, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	if (ctx->log)
		ctx->log(VM_LOG_DEBUG, ctx->err, ctx->log_user);
	return r;
}

void vm_log(vm_ctx *ctx, int level, const char *fmt, ...)
{
	if (!ctx->log)
		return;
	char msg[VM_ERRLEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->log(level, msg, ctx->log_user);
}

bool vm_ask(vm_ctx *ctx, bool yes, const char *fmt, ...)
{
	if (yes)
		return true;
	if (!ctx->confirm)
		return false;
	char q[VM_ERRLEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	return ctx->confirm(q, ctx->confirm_user);
}

void vm_fmt_size(uint64_t bytes, char out[32])
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	snprintf(out, 32, u ? "%.2f %ciB" : "%.0f %c", v, units[u]);
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int conf_int(const struct vmt_node *sec, const char *key, unsigned def)
{
	int64_t v;
	if (sec && !vmt_get_int(sec, key, &v) && v >= 0 && v <= 1000000)
		return (int)v;
	return (int)def;
}

/* Read volmgr.conf: lvm.conf syntax, the subset volmgr uses. */
static int load_config(vm_ctx *ctx)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/volmgr.conf", ctx->system_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : vm_err(ctx, -errno, "%s: %s", path, strerror(errno));
	struct stat st;
	char *buf = NULL;
	int r = 0;
	if (fstat(fd, &st) || st.st_size > (1 << 20) || !(buf = malloc(st.st_size + 1)) ||
	    read(fd, buf, st.st_size) != st.st_size)
		r = vm_err(ctx, -EIO, "%s: cannot read", path);
	close(fd);
	if (r) {
		free(buf);
		return r;
	}
	struct vmt_tree *t;
	char err[VMT_ERRLEN];
	r = vmt_parse(buf, st.st_size, &t, err);
	free(buf);
	if (r)
		return vm_err(ctx, r, "%s: %s", path, err);
	const struct vmt_node *dev = vmt_find(vmt_root(t), "devices");
	const struct vmt_node *bk = vmt_find(vmt_root(t), "backup");
	const struct vmt_node *gl = vmt_find(vmt_root(t), "global");
	const struct vmt_node *ac = vmt_find(vmt_root(t), "activation");
	if (ac && ac->type != VMT_SECTION)
		ac = NULL;
	if (gl && gl->type != VMT_SECTION)
		gl = NULL;
	if (dev && dev->type != VMT_SECTION)
		dev = NULL;
	if (bk && bk->type != VMT_SECTION)
		bk = NULL;
	const struct vmt_node *f = dev ? vmt_find(dev, "filter") : NULL;
	if (f && f->type == VMT_ARRAY) {
		size_t n = 0;
		for (const struct vmt_node *e = f->child; e; e = e->next)
			n++;
		ctx->filters = calloc(n ? n : 1, sizeof(*ctx->filters));
		ctx->filter_accept = calloc(n ? n : 1, sizeof(*ctx->filter_accept));
		if (!ctx->filters || !ctx->filter_accept)
			r = -ENOMEM;
		for (const struct vmt_node *e = f->child; e && !r; e = e->next) {
			/* "a|regex|" or "r|regex|": any delimiter after the first character */
			const char *s = e->type == VMT_STR ? e->str : "";
			size_t len = strlen(s);
			if (len < 3 || (s[0] != 'a' && s[0] != 'r') || s[len - 1] != s[1]) {
				r = vm_err(ctx, -EINVAL, "%s: devices/filter: bad pattern \"%s\"", path, s);
				break;
			}
			char *re = strndup(s + 2, len - 3);
			if (!re || regcomp(&ctx->filters[ctx->nfilter], re, REG_EXTENDED | REG_NOSUB))
				r = vm_err(ctx, -EINVAL, "%s: devices/filter: bad regular expression \"%s\"",
					   path, s);
			else
				ctx->filter_accept[ctx->nfilter++] = s[0] == 'a';
			free(re);
		}
	}
	ctx->scan_lvs = conf_int(dev, "scan_lvs", 0);
	ctx->activation = conf_int(gl, "activation", 1);
	ctx->snap_threshold = conf_int(ac, "snapshot_autoextend_threshold", 70);
	ctx->snap_percent = conf_int(ac, "snapshot_autoextend_percent", 20);
	ctx->backup = conf_int(bk, "backup", 1);
	ctx->archive = conf_int(bk, "archive", 1);
	ctx->archive_min = conf_int(bk, "archive_min", 10);
	ctx->archive_max = conf_int(bk, "archive_max", 50);
	ctx->archive_days = conf_int(bk, "archive_days", 30);
	vmt_free(t);
	return r;
}

int vm_ctx_new(vm_ctx **out)
{
	vm_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	const char *sys = getenv("VOLMGR_SYSTEM_DIR");
	const char *lock = getenv("VOLMGR_LOCK_DIR");
	ctx->system_dir = xstrdup(sys && *sys ? sys : VM_DEFAULT_SYSTEM_DIR);
	ctx->lock_dir = xstrdup(lock && *lock ? lock : VM_DEFAULT_LOCK_DIR);
	ctx->backup = ctx->archive = ctx->activation = true;
	ctx->snap_threshold = 70;
	ctx->snap_percent = 20;
	ctx->archive_min = 10;
	ctx->archive_max = 50;
	ctx->archive_days = 30;
	int r = ctx->system_dir && ctx->lock_dir ? load_config(ctx) : -ENOMEM;
	const char *devs = getenv("VOLMGR_DEVICES");
	if (!r && devs && *devs)
		r = vm_ctx_set_devices(ctx, devs);
	*out = ctx;             /* also on failure: vm_ctx_error() says why */
	return r;
}

void vm_ctx_free(vm_ctx *ctx)
{
	if (!ctx)
		return;
	scan_put(ctx->scan);
	for (size_t i = 0; i < ctx->nfilter; i++)
		regfree(&ctx->filters[i]);
	free(ctx->filters);
	free(ctx->filter_accept);
	vm_ctx_set_devices(ctx, NULL);
	free(ctx->system_dir);
	free(ctx->lock_dir);
	free(ctx->description);
	free(ctx);
}

void vm_ctx_set_log(vm_ctx *ctx, vm_log_fn fn, void *user)
{
	ctx->log = fn;
	ctx->log_user = user;
}

void vm_ctx_set_confirm(vm_ctx *ctx, vm_confirm_fn fn, void *user)
{
	ctx->confirm = fn;
	ctx->confirm_user = user;
}

int vm_ctx_set_devices(vm_ctx *ctx, const char *list)
{
	for (size_t i = 0; i < ctx->ndevices; i++)
		free(ctx->devices[i]);
	free(ctx->devices);
	ctx->devices = NULL;
	ctx->ndevices = 0;
	if (!list)
		return 0;
	size_t n = 1;
	for (const char *p = list; *p; p++)
		n += *p == ',';
	if (!(ctx->devices = calloc(n, sizeof(char *))))
		return -ENOMEM;
	const char *p = list;
	while (*p) {
		const char *e = strchrnul(p, ',');
		if (e > p && !(ctx->devices[ctx->ndevices++] = strndup(p, e - p)))
			return -ENOMEM;
		p = *e ? e + 1 : e;
	}
	if (!ctx->ndevices)
		return vm_err(ctx, -EINVAL, "device list \"%s\" names no device", list);
	return 0;
}

int vm_ctx_set_description(vm_ctx *ctx, const char *text)
{
	free(ctx->description);
	ctx->description = xstrdup(text);
	return text && !ctx->description ? -ENOMEM : 0;
}

const char *vm_ctx_error(const vm_ctx *ctx)
{
	return ctx ? ctx->err : "out of memory";
}

const char *vm_ctx_system_dir(const vm_ctx *ctx)
{
	return ctx->system_dir;
}

/* ---------------------------------------------------------------- sizes */

/*
 * Sizes in integers (a double loses digits past 2^53): whole part, then up
 * to 18 decimals, scaled by the unit and rounded up to a byte.
 */
int vm_size_parse(const char *text, char default_unit, struct vm_size *out)
{
	const char *s = text;
	unsigned __int128 whole = 0;
	uint64_t frac = 0, scale = 1;
	size_t nd = 0, nf = 0;

	memset(out, 0, sizeof(*out));
	if (*s == '+' || *s == '-')
		out->sign = *s++ == '+' ? 1 : -1;
	for (; *s >= '0' && *s <= '9'; s++, nd++)
		if ((whole = whole * 10 + (unsigned)(*s - '0')) > UINT64_MAX)
			return -ERANGE;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			if (nf < 18) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				scale *= 10;
				nf++;
			}
	if (!nd && !nf)
		return -EINVAL;
	if (*s == '%') {
		/* lvm2's spellings, any case: FREE FR F, VG V, PVS PV P, ORIGIN OR O */
		static const struct { const char *name; enum vm_size_kind kind; } pk[] = {
			{ "FREE", VM_SIZE_PERCENT_FREE }, { "FR", VM_SIZE_PERCENT_FREE }, { "F", VM_SIZE_PERCENT_FREE },
			{ "VG", VM_SIZE_PERCENT_VG }, { "V", VM_SIZE_PERCENT_VG },
			{ "PVS", VM_SIZE_PERCENT_PVS }, { "PV", VM_SIZE_PERCENT_PVS }, { "P", VM_SIZE_PERCENT_PVS },
			{ "ORIGIN", VM_SIZE_PERCENT_ORIGIN }, { "OR", VM_SIZE_PERCENT_ORIGIN },
			{ "O", VM_SIZE_PERCENT_ORIGIN },
		};
		if (frac || default_unit || !whole || whole > 100)
			return -EINVAL;
		for (size_t i = 0; i < sizeof(pk) / sizeof(*pk); i++)
			if (!strcasecmp(s + 1, pk[i].name)) {
				out->kind = pk[i].kind;
				out->value = (uint64_t)whole;
				return 0;
			}
		return -EINVAL;
	}
	char unit = *s ? *s : default_unit;
	if (*s && s[1])
		return -EINVAL;
	if (!unit) {
		if (frac)                       /* "2.0" extents are 2; "2.5" is no count */
			return -EINVAL;
		out->kind = VM_SIZE_EXTENTS;
		out->value = (uint64_t)whole;
		return 0;
	}
	static const char units[] = "bskmgtpe";
	const char *u = strchr(units, tolower((unsigned char)unit));
	if (!u)
		return -EINVAL;
	uint64_t mult = u == units ? 1 : u == units + 1 ? 512 : 1ull << (10 * (u - units - 1));
	unsigned __int128 bytes = whole * mult + ((unsigned __int128)frac * mult + scale - 1) / scale;
	if (bytes > INT64_MAX)
		return -ERANGE;
	out->kind = VM_SIZE_BYTES;
	out->value = (uint64_t)bytes;
	return 0;
}

int vm_alloc_parse(const char *name, enum vm_alloc *out)
{
	static const char *const names[] = { "inherit", "normal", "contiguous", "cling", "anywhere" };
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(name, names[i])) {
			*out = (enum vm_alloc)i;
			return 0;
		}
	return -EINVAL;
}
