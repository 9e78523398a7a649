/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LVs as guests' disks: the disk definition for libvirt or qemu, attaching
 * and detaching through libvirt (virsh) or a qemu QMP socket, and telling
 * the hypervisor that an LV grew.
 *
 * The defaults are those of a VM host's raw block disk: driver qemu, type
 * raw, cache none (O_DIRECT) and io native (Linux AIO), which qemu allows
 * only with O_DIRECT. The serial is the LV's uuid without its dashes, cut to
 * the 20 bytes virtio-blk carries; the qemu node name is "lv" + the first 29
 * characters of that uuid, so a later resize finds it without being told.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static const char *const buses[] = { "virtio", "scsi", "sata", NULL };
static const char *const caches[] = { "none", "writeback", "writethrough", "directsync", "unsafe", NULL };
static const char *const ios[] = { "native", "threads", "io_uring", NULL };

static bool one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(v, *set))
			return true;
	return false;
}

static bool word(const char *s, size_t max, const char *extra)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!(s[n] >= 'a' && s[n] <= 'z') && !(s[n] >= 'A' && s[n] <= 'Z') &&
		    !(s[n] >= '0' && s[n] <= '9') && !strchr(extra, s[n]))
			return false;
	return n && n <= max;
}

/* The parameters with their defaults filled in; -EINVAL with the reason for bad ones. */
struct disk {
	char target[32], bus[16], cache[16], io[16], serial[32], node[32], path[300], id[40];
	bool direct, write_cache;             /* O_DIRECT; the guest sees a volatile write cache */
};

static int disk_get(vm_lv *lv, const struct vm_disk_params *p, struct disk *d)
{
	vm_ctx *ctx = lv->vg->ctx;
	static const struct vm_disk_params none;
	char uuid[39], raw[33];
	size_t k = 0;
	if (!p)
		p = &none;
	memset(d, 0, sizeof(*d));
	snprintf(d->target, sizeof(d->target), "%s", p->target ? p->target : "vdb");
	snprintf(d->bus, sizeof(d->bus), "%s", p->bus ? p->bus : "virtio");
	snprintf(d->cache, sizeof(d->cache), "%s", p->cache ? p->cache : "none");
	snprintf(d->io, sizeof(d->io), "%s", p->io ? p->io : "native");
	if (!word(d->target, 16, "") || strspn(d->target, "abcdefghijklmnopqrstuvwxyz") != strlen(d->target) ||
	    (p->target && strlen(p->target) >= sizeof(d->target)))
		return vm_err(ctx, -EINVAL, "target %s: expected a device name such as vdb or sdc",
			      p->target ? p->target : "");
	if (!one_of(d->bus, buses) || (p->bus && strlen(p->bus) >= sizeof(d->bus)))
		return vm_err(ctx, -EINVAL, "bus %s: expected virtio, scsi or sata", p->bus);
	if (!one_of(d->cache, caches) || (p->cache && strlen(p->cache) >= sizeof(d->cache)))
		return vm_err(ctx, -EINVAL, "cache %s: expected none, writeback, writethrough, directsync or "
			      "unsafe", p->cache);
	if (!one_of(d->io, ios) || (p->io && strlen(p->io) >= sizeof(d->io)))
		return vm_err(ctx, -EINVAL, "io %s: expected native, threads or io_uring", p->io);
	/* libvirt's cache modes in qemu's terms: O_DIRECT or not, and whether the guest's
	 * device has a write cache (without one every write is written through) */
	d->direct = !strcmp(d->cache, "none") || !strcmp(d->cache, "directsync");
	d->write_cache = strcmp(d->cache, "writethrough") && strcmp(d->cache, "directsync");
	if (!strcmp(d->io, "native") && !d->direct)
		return vm_err(ctx, -EINVAL, "io native needs cache none or directsync (qemu uses Linux AIO "
			      "only with O_DIRECT)");
	vm_lv_uuid(lv, uuid);
	for (const char *c = uuid; *c && k < 32; c++)
		if (*c != '-')
			raw[k++] = *c;
	raw[k] = 0;
	if (p->serial) {
		if (!word(p->serial, 20, "-_."))
			return vm_err(ctx, -EINVAL, "serial %s: at most 20 letters, digits, '-', '_' or '.'",
				      p->serial);
		snprintf(d->serial, sizeof(d->serial), "%s", p->serial);
	} else
		snprintf(d->serial, sizeof(d->serial), "%.20s", raw);
	snprintf(d->node, sizeof(d->node), "lv%.29s", raw);
	snprintf(d->id, sizeof(d->id), "%s-dev", d->node);
	snprintf(d->path, sizeof(d->path), "/dev/%s/%s", lv->vg->md->name, lv->md->name);
	return 0;
}

static int put(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if (*buf && *len + (size_t)n < *cap) {
			*len += (size_t)n;
			return 0;
		}
		size_t ncap = (*cap + (size_t)n + 1) * 2;
		char *nb = realloc(*buf, ncap);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
}

static const char *qemu_device(const struct disk *d)
{
	return !strcmp(d->bus, "virtio") ? "virtio-blk-pci" : !strcmp(d->bus, "scsi") ? "scsi-hd" : "ide-hd";
}

int vm_lv_disk(vm_lv *lv, const struct vm_disk_params *p, enum vm_disk_format f, char **out)
{
	struct disk d;
	char *b = NULL;
	size_t len = 0, cap = 0;
	int r = disk_get(lv, p, &d);
	if (r)
		return r;
	switch (f) {
	case VM_DISK_LIBVIRT:
		r = put(&b, &len, &cap,
			"<disk type='block' device='disk'>\n"
			"  <driver name='qemu' type='raw' cache='%s' io='%s' discard='unmap'/>\n"
			"  <source dev='%s'/>\n"
			"  <target dev='%s' bus='%s'/>\n"
			"  <serial>%s</serial>\n"
			"</disk>\n", d.cache, d.io, d.path, d.target, d.bus, d.serial);
		break;
	case VM_DISK_QEMU:
		/* cache=none is O_DIRECT with the host cache's writeback semantics kept for flushes */
		r = put(&b, &len, &cap,
			"-blockdev driver=host_device,node-name=%s,filename=%s,cache.direct=%s,cache.no-flush=%s,"
			"aio=%s,discard=unmap\n-device %s,drive=%s,id=%s,serial=%s,write-cache=%s\n",
			d.node, d.path, d.direct ? "on" : "off", !strcmp(d.cache, "unsafe") ? "on" : "off", d.io,
			qemu_device(&d), d.node, d.id, d.serial, d.write_cache ? "on" : "off");
		break;
	case VM_DISK_JSON:
		r = put(&b, &len, &cap,
			"{\"path\": \"%s\", \"target\": \"%s\", \"bus\": \"%s\", \"cache\": \"%s\", \"io\": \"%s\", "
			"\"serial\": \"%s\", \"node_name\": \"%s\", \"format\": \"raw\", \"size\": %" PRIu64 "}\n",
			d.path, d.target, d.bus, d.cache, d.io, d.serial, d.node, vm_lv_size(lv));
		break;
	default:
		r = vm_err(lv->vg->ctx, -EINVAL, "unknown disk format %d", (int)f);
	}
	if (r) {
		free(b);
		return r;
	}
	*out = b;
	return 0;
}

/* ---------------------------------------------------------------- QMP */

struct qmp {
	int fd;
	char buf[65536];
	size_t have;
	const char *gone_id;             /* DEVICE_DELETED of this device id ... */
	bool gone;                       /* ... was seen, even among a command's answer */
};

/* Notes a DEVICE_DELETED event of the device watched for. */
static void qmp_event(struct qmp *q, const char *line)
{
	char pat[80];
	if (q->gone_id && strstr(line, "\"DEVICE_DELETED\"")) {
		snprintf(pat, sizeof(pat), "\"device\": \"%s\"", q->gone_id);
		q->gone |= strstr(line, pat) != NULL;
	}
}

/* One line of the QMP stream (events included), within @ms. */
static int qmp_line(vm_ctx *ctx, struct qmp *q, char *line, size_t len, int ms)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->have);
		if (nl) {
			size_t n = (size_t)(nl - q->buf);
			snprintf(line, len, "%.*s", (int)n, q->buf);
			memmove(q->buf, nl + 1, q->have - n - 1);
			q->have -= n + 1;
			return 0;
		}
		if (q->have == sizeof(q->buf))
			return vm_err(ctx, -E2BIG, "QMP: an answer longer than %zu bytes", sizeof(q->buf));
		struct pollfd pfd = { q->fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, ms);
		if (pr == 0)
			return vm_err(ctx, -ETIMEDOUT, "QMP: no answer within %d ms", ms);
		if (pr < 0 && errno != EINTR)
			return -errno;
		ssize_t n = read(q->fd, q->buf + q->have, sizeof(q->buf) - q->have);
		if (n == 0)
			return vm_err(ctx, -ECONNRESET, "QMP: the connection closed");
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			q->have += (size_t)n;
	}
}

/* The text of a JSON string value after "key": in @line (no escapes needed here), or "". */
static void json_str(const char *line, const char *key, char *out, size_t len)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	const char *s = strstr(line, pat);
	out[0] = 0;
	if (s) {
		s += strlen(pat);
		const char *e = strchr(s, '"');
		snprintf(out, len, "%.*s", e ? (int)(e - s) : 0, s);
	}
}

/* Send one command; its answer's line into @reply (optional). Events are skipped. */
static int qmp_exec(vm_ctx *ctx, struct qmp *q, const char *cmd, char *reply, size_t rlen)
{
	char line[8192];
	size_t n = strlen(cmd);
	if (write(q->fd, cmd, n) != (ssize_t)n || write(q->fd, "\n", 1) != 1)
		return vm_err(ctx, -EIO, "QMP: cannot send: %s", strerror(errno));
	for (;;) {
		int r = qmp_line(ctx, q, line, sizeof(line), 30000);
		if (r)
			return r;
		if (strstr(line, "\"event\"")) {
			qmp_event(q, line);
			continue;
		}
		if (strstr(line, "\"error\"")) {
			char desc[512];
			json_str(line, "desc", desc, sizeof(desc));
			return vm_err(ctx, -EIO, "QMP: %s", desc[0] ? desc : line);
		}
		if (strstr(line, "\"return\"")) {
			if (reply)
				snprintf(reply, rlen, "%s", line);
			return 0;
		}
	}
}

static int qmp_open(vm_ctx *ctx, const char *path, struct qmp *q)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[4096];
	q->have = 0;
	q->gone_id = NULL;
	q->gone = false;
	if (strlen(path) >= sizeof(a.sun_path))
		return vm_err(ctx, -ENAMETOOLONG, "QMP socket path too long: %s", path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if ((q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	int r = 0;
	if (connect(q->fd, (struct sockaddr *)&a, sizeof(a)))
		r = vm_err(ctx, -errno, "QMP socket %s: %s", path, strerror(errno));
	else if (!(r = qmp_line(ctx, q, line, sizeof(line), 10000)) && !strstr(line, "\"QMP\""))
		r = vm_err(ctx, -EPROTO, "%s does not speak QMP", path);
	if (!r)
		r = qmp_exec(ctx, q, "{\"execute\": \"qmp_capabilities\"}", NULL, 0);
	if (r)
		close(q->fd);
	return r;
}

int vm_lv_qmp_attach(vm_lv *lv, const char *socket_path, const struct vm_disk_params *p)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct disk d;
	struct qmp q;
	char cmd[2048];
	int r;
	/* parameters checked first, then the LV made a device, then qemu asked */
	if ((r = disk_get(lv, p, &d)) || (r = vm_lv_activate(lv, 0)) || (r = qmp_open(ctx, socket_path, &q)))
		return r;
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": \"host_device\", \"node-name\": \"%s\", "
		 "\"filename\": \"%s\", \"cache\": {\"direct\": %s, \"no-flush\": %s}, \"aio\": \"%s\", "
		 "\"discard\": \"unmap\"}}", d.node, d.path, d.direct ? "true" : "false",
		 !strcmp(d.cache, "unsafe") ? "true" : "false", d.io);
	if (!(r = qmp_exec(ctx, &q, cmd, NULL, 0))) {
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"%s\", \"drive\": \"%s\", "
			 "\"id\": \"%s\", \"serial\": \"%s\", \"write-cache\": \"%s\"}}", qemu_device(&d), d.node,
			 d.id, d.serial, d.write_cache ? "on" : "off");
		if ((r = qmp_exec(ctx, &q, cmd, NULL, 0))) {
			/* no half-attached disk: the node goes again */
			char why[VM_ERRLEN];
			snprintf(why, sizeof(why), "%s", ctx->err);
			snprintf(cmd, sizeof(cmd), "{\"execute\": \"blockdev-del\", \"arguments\": {\"node-name\": "
				 "\"%s\"}}", d.node);
			qmp_exec(ctx, &q, cmd, NULL, 0);
			vm_err(ctx, r, "%s", why);
		}
	}
	close(q.fd);
	return r;
}

int vm_lv_qmp_detach(vm_lv *lv, const char *socket_path, int timeout_ms)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct disk d;
	struct qmp q;
	char cmd[512], line[8192];
	int r;
	if ((r = disk_get(lv, NULL, &d)) || (r = qmp_open(ctx, socket_path, &q)))
		return r;
	snprintf(cmd, sizeof(cmd), "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"%s\"}}", d.id);
	q.gone_id = d.id;
	if (!(r = qmp_exec(ctx, &q, cmd, NULL, 0))) {
		/* the guest must let go of the device first: DEVICE_DELETED says it did (at
		 * once, before device_del's answer, for a bus that needs no guest, as SCSI) */
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (!q.gone) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			int left = timeout_ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
			if (left <= 0) {
				r = vm_err(ctx, -ETIMEDOUT, "QMP: the guest did not release %s within %d ms (device_del "
					   "asked; blockdev-del not done)", d.id, timeout_ms);
				break;
			}
			if ((r = qmp_line(ctx, &q, line, sizeof(line), left)))
				break;
			qmp_event(&q, line);
		}
	}
	if (!r) {
		snprintf(cmd, sizeof(cmd), "{\"execute\": \"blockdev-del\", \"arguments\": {\"node-name\": \"%s\"}}",
			 d.node);
		r = qmp_exec(ctx, &q, cmd, NULL, 0);
	}
	close(q.fd);
	return r;
}

int vm_lv_qmp_resize(vm_lv *lv, const char *socket_path)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct disk d;
	struct qmp q;
	char cmd[512];
	int r;
	if ((r = disk_get(lv, NULL, &d)) || (r = qmp_open(ctx, socket_path, &q)))
		return r;
	snprintf(cmd, sizeof(cmd), "{\"execute\": \"block_resize\", \"arguments\": {\"node-name\": \"%s\", "
		 "\"size\": %" PRIu64 "}}", d.node, vm_lv_size(lv));
	r = qmp_exec(ctx, &q, cmd, NULL, 0);
	close(q.fd);
	return r;
}

/* ---------------------------------------------------------------- libvirt */

/* virsh -q CMD DOMAIN ARG, with --live and --config as @flags ask */
static int virsh(vm_ctx *ctx, const char *cmd, const char *domain, const char *arg, unsigned flags)
{
	char *argv[8] = { "virsh", "-q", (char *)cmd, (char *)domain, (char *)arg };
	int k = 5;
	if (flags & VM_ATTACH_LIVE)
		argv[k++] = "--live";
	if (flags & VM_ATTACH_CONFIG)
		argv[k++] = "--config";
	argv[k] = NULL;
	return run_tool(ctx, argv);
}

int vm_lv_libvirt_attach(vm_lv *lv, const char *domain, const struct vm_disk_params *p, unsigned flags)
{
	vm_ctx *ctx = lv->vg->ctx;
	char *xml = NULL, path[] = "/tmp/volmgr-disk-XXXXXX";
	int r = vm_lv_disk(lv, p, VM_DISK_LIBVIRT, &xml);
	if (!r && (r = vm_lv_activate(lv, 0)))
		free(xml);
	if (r)
		return r;
	int fd = mkstemp(path);
	if (fd < 0) {
		free(xml);
		return vm_err(ctx, -errno, "cannot write the disk definition: %s", strerror(errno));
	}
	size_t n = strlen(xml);
	r = write(fd, xml, n) == (ssize_t)n ? 0 : vm_err(ctx, -EIO, "cannot write %s", path);
	close(fd);
	free(xml);
	if (!r)
		r = virsh(ctx, "attach-device", domain, path, flags);
	unlink(path);
	return r;
}

int vm_lv_libvirt_detach(vm_lv *lv, const char *domain, const char *target, unsigned flags)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct vm_disk_params p = { .target = target };
	struct disk d;
	int r = disk_get(lv, &p, &d);
	if (r)
		return r;
	return virsh(ctx, "detach-disk", domain, d.target, flags);
}

int vm_lv_libvirt_resize(vm_lv *lv, const char *domain)
{
	char path[300], size[32];
	snprintf(path, sizeof(path), "/dev/%s/%s", lv->vg->md->name, lv->md->name);
	snprintf(size, sizeof(size), "%" PRIu64 "B", vm_lv_size(lv));
	char *argv[] = { "virsh", "-q", "blockresize", (char *)domain, path, size, NULL };
	return run_tool(lv->vg->ctx, argv);
}
