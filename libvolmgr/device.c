/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Block devices: open, size, plain synchronous I/O, discovery, signatures. */
#include <blkid.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/*
 * Metadata I/O bypasses the page cache (O_DIRECT), as lvm2's does: what is
 * read is what is on the device, even when another host wrote it while an
 * active LV kept this one's cache alive, and a close does not have to write
 * back and drop a cache first.
 */
int dev_open(vm_ctx *ctx, const char *path, int flags, int *fd, uint64_t *size, dev_t *rdev)
{
	struct stat st;
	int f = open(path, flags | O_DIRECT | O_CLOEXEC);
	if (f < 0 && errno == EINVAL)           /* a device without direct I/O */
		f = open(path, flags | O_CLOEXEC);
	if (f < 0) {
		int e = errno;
		if (e == EBUSY)
			return vm_err(ctx, -EBUSY, "%s: device is in use (mounted, or held by another device)",
				      path);
		return vm_err(ctx, -e, "%s: cannot open: %s", path, strerror(e));
	}
	if (fstat(f, &st) || !S_ISBLK(st.st_mode)) {
		close(f);
		return vm_err(ctx, -ENOTBLK, "%s: not a block device", path);
	}
	uint64_t sz = 0;
	if (ioctl(f, BLKGETSIZE64, &sz)) {
		int e = errno;
		close(f);
		return vm_err(ctx, -e, "%s: cannot read the size: %s", path, strerror(e));
	}
	*fd = f;
	if (size)
		*size = sz;
	if (rdev)
		*rdev = st.st_rdev;
	return 0;
}

/* All of @len bytes at @off, or a one-line reason. */
static int rw_all(vm_ctx *ctx, int fd, const char *path, char *buf, size_t len, uint64_t off, bool wr)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = wr ? pwrite(fd, buf + done, len - done, (off_t)(off + done))
			       : pread(fd, buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vm_err(ctx, n < 0 ? -errno : -EIO, "%s: %s of %zu bytes at offset %" PRIu64
				      " failed: %s", path, wr ? "write" : "read", len, off,
				      n < 0 ? strerror(errno) : "end of device");
		done += (size_t)n;
	}
	return 0;
}

/* The block size direct I/O on @fd must be aligned to; 1 when it is not direct. */
static size_t io_align(int fd)
{
	int fl = fcntl(fd, F_GETFL), lbs = 0;
	if (fl < 0 || !(fl & O_DIRECT))
		return 1;
	if (ioctl(fd, BLKSSZGET, &lbs) || lbs < 512 || (lbs & (lbs - 1)))
		lbs = 4096;
	return (size_t)lbs;
}

#define IO_MEM_ALIGN 4096
#define BIG_BUF (1u << 20)
#define HUGE_PAGE (2u << 20)

/*
 * An I/O buffer of @len bytes, aligned for direct I/O. A large one (the
 * text of a VG of thousands of LVs) is asked for in huge pages: a few page
 * faults instead of one per 4 KiB, which at 10,000 LVs cost more than the
 * reading and writing. Freed by dev_buf_free() with the same @len.
 */
void *dev_buf_alloc(size_t len)
{
	void *p = NULL;
	if (len < BIG_BUF)
		return posix_memalign(&p, IO_MEM_ALIGN, len ? len : 1) ? NULL : p;
	size_t size = (len + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	char *m = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	char *a = (char *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	if (a + size < m + size + HUGE_PAGE)
		munmap(a + size, (size_t)(m + size + HUGE_PAGE - (a + size)));
	madvise(a, size, MADV_HUGEPAGE);        /* a hint: without it, 4 KiB pages */
	return a;
}

void dev_buf_free(void *p, size_t len)
{
	if (p && len < BIG_BUF)
		free(p);
	else if (p)
		munmap(p, (len + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE);
}

/*
 * A buffer for [off, off + len) whose address, start and length suit the
 * descriptor: whole blocks for direct I/O, and a byte to spare after them.
 * @want_edges: a write will follow, so the partial blocks at either end are
 * read in first.
 */
int dev_span_begin(vm_ctx *ctx, int fd, const char *path, uint64_t off, size_t len, bool want_edges,
		   struct dev_span *s)
{
	size_t a = io_align(fd);
	s->start = off & ~(uint64_t)(a - 1);
	uint64_t end = (off + len + a - 1) & ~(uint64_t)(a - 1);
	s->len = (size_t)(end - s->start);
	if (!(s->base = dev_buf_alloc(s->len + 1)))        /* + 1: room for a NUL */
		return vm_err(ctx, -ENOMEM, "%s: out of memory for %zu bytes of I/O", path, s->len);
	s->p = (char *)s->base + (off - s->start);
	int r = 0;
	if (want_edges && s->start < off)
		r = rw_all(ctx, fd, path, s->base, a, s->start, false);
	if (!r && want_edges && end > off + len && (end - a > s->start || s->start == off))
		r = rw_all(ctx, fd, path, (char *)s->base + s->len - a, a, end - a, false);
	if (r)
		dev_span_free(s);
	return r;
}

int dev_span_read(vm_ctx *ctx, int fd, const char *path, struct dev_span *s)
{
	return rw_all(ctx, fd, path, s->base, s->len, s->start, false);
}

static int dev_span_write(vm_ctx *ctx, int fd, const char *path, const struct dev_span *s)
{
	return rw_all(ctx, fd, path, s->base, s->len, s->start, true);
}

void dev_span_free(struct dev_span *s)
{
	dev_buf_free(s->base, s->len + 1);
	s->base = s->p = NULL;
}

static int dev_rw(vm_ctx *ctx, int fd, const char *path, char *buf, size_t len, uint64_t off, bool wr)
{
	size_t a = io_align(fd);
	/* (memory aligned to the block size satisfies any device's DMA alignment) */
	if (a == 1 || (!(off & (a - 1)) && !(len & (a - 1)) && !((uintptr_t)buf & (a - 1))))
		return rw_all(ctx, fd, path, buf, len, off, wr);
	struct dev_span s;
	int r = dev_span_begin(ctx, fd, path, off, len, wr, &s);
	if (r)
		return r;
	if (wr) {
		memcpy(s.p, buf, len);
		r = dev_span_write(ctx, fd, path, &s);
	} else if (!(r = dev_span_read(ctx, fd, path, &s))) {
		memcpy(buf, s.p, len);
	}
	dev_span_free(&s);
	return r;
}

int dev_pread(vm_ctx *ctx, int fd, const char *path, void *buf, size_t len, uint64_t off)
{
	return dev_rw(ctx, fd, path, buf, len, off, false);
}

int dev_pwrite(vm_ctx *ctx, int fd, const char *path, const void *buf, size_t len, uint64_t off)
{
	return dev_rw(ctx, fd, path, (char *)buf, len, off, true);
}

int dev_sync(vm_ctx *ctx, int fd, const char *path)
{
	if (fdatasync(fd))
		return vm_err(ctx, -errno, "%s: flush failed: %s", path, strerror(errno));
	return 0;
}

int dev_same(const char *a, dev_t rdev)
{
	struct stat st;
	return !stat(a, &st) && S_ISBLK(st.st_mode) && st.st_rdev == rdev;
}

static bool dev_accepted(vm_ctx *ctx, const char *path)
{
	if (ctx->ndevices) {
		for (size_t i = 0; i < ctx->ndevices; i++) {
			struct stat st;
			if (!strcmp(ctx->devices[i], path) ||
			    (!stat(ctx->devices[i], &st) && S_ISBLK(st.st_mode) && dev_same(path, st.st_rdev)))
				return true;
		}
		return false;
	}
	/* a link (/dev/mapper/x, /dev/disk/by-id/...) is judged by the device it names */
	char canon[PATH_MAX];
	if (realpath(path, canon))
		path = canon;
	if (!ctx->scan_lvs && !strncmp(path, "/dev/dm-", 8))
		return false;
	for (size_t i = 0; i < ctx->nfilter; i++)
		if (!regexec(&ctx->filters[i], path, 0, NULL, 0))
			return ctx->filter_accept[i];
	return true;
}

void dev_list_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/*
 * Devices to scan: the explicit list (--devices, VOLMGR_DEVICES) if any,
 * else /proc/partitions through the configured filter. LVs (dm devices) are
 * skipped unless devices/scan_lvs is set: a guest's PVs inside an LV are the
 * guest's business.
 */
/*
 * A device the scan does not see must not be written: it may be a PV of a
 * VG that volmgr cannot see either (lvm2 says "excluded by a filter").
 */
int dev_check_allowed(vm_ctx *ctx, const char *path)
{
	if (!dev_accepted(ctx, path))
		return vm_err(ctx, -EPERM, "%s: excluded by %s", path,
			      ctx->ndevices ? "--devices/VOLMGR_DEVICES" : "the device filter in volmgr.conf");
	return 0;
}

int dev_list(vm_ctx *ctx, char ***paths, size_t *n)
{
	size_t cap = 16, cnt = 0;
	char **v = malloc(cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (ctx->ndevices) {
		for (size_t i = 0; i < ctx->ndevices; i++)
			if (!(v[cnt++] = strdup(ctx->devices[i]))) {
				dev_list_free(v, cnt);
				return -ENOMEM;
			}
		*paths = v;
		*n = cnt;
		return 0;
	}
	FILE *f = fopen("/proc/partitions", "re");
	if (!f) {
		free(v);
		return vm_err(ctx, -errno, "/proc/partitions: %s", strerror(errno));
	}
	char line[256], name[200];
	unsigned maj, min;
	unsigned long long blocks;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %u %u %llu %199s", &maj, &min, &blocks, name) != 4 || !blocks)
			continue;
		char path[256];
		snprintf(path, sizeof(path), "/dev/%s", name);
		if (!dev_accepted(ctx, path))
			continue;
		if (cnt == cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		if (!(v[cnt] = strdup(path)))
			break;
		cnt++;
	}
	fclose(f);
	*paths = v;
	*n = cnt;
	return 0;
}

/*
 * libblkid is loaded when a probe is first needed: most commands never probe,
 * and loading it at start-up is a good part of what a short command costs.
 */
#define BLKID_FUNCS(X) X(blkid_new_probe) X(blkid_free_probe) X(blkid_probe_set_device) \
	X(blkid_probe_enable_superblocks) X(blkid_probe_set_superblocks_flags) \
	X(blkid_probe_enable_partitions) X(blkid_probe_set_partitions_flags) X(blkid_do_probe) \
	X(blkid_do_safeprobe) X(blkid_probe_lookup_value) X(blkid_do_wipe)
#define BLKID_PTR(f) static __typeof__(f) *p_##f;
BLKID_FUNCS(BLKID_PTR)
#define BLKID_LIB "libblkid.so.1"
static pthread_once_t blkid_once = PTHREAD_ONCE_INIT;
static bool blkid_ok;
static char blkid_why[256];

static void blkid_load_once(void)
{
	void *h = dlopen(BLKID_LIB, RTLD_NOW | RTLD_LOCAL);
	blkid_ok = h != NULL;
#define BLKID_SYM(f) if (h && !(p_##f = (__typeof__(f) *)dlsym(h, #f))) blkid_ok = false;
	BLKID_FUNCS(BLKID_SYM)
	if (!blkid_ok)
		snprintf(blkid_why, sizeof(blkid_why), "%s", h ? "symbols missing" : dlerror());
}

static int blkid_load(vm_ctx *ctx, const char *path)
{
	pthread_once(&blkid_once, blkid_load_once);
	return blkid_ok ? 0 : vm_err(ctx, -ENOSYS, "%s: cannot probe for signatures: cannot load %s: %s",
				     path, BLKID_LIB, blkid_why);
}
/* From here on every blkid_* call goes through the loaded library. */
#define blkid_new_probe p_blkid_new_probe
#define blkid_free_probe p_blkid_free_probe
#define blkid_probe_set_device p_blkid_probe_set_device
#define blkid_probe_enable_superblocks p_blkid_probe_enable_superblocks
#define blkid_probe_set_superblocks_flags p_blkid_probe_set_superblocks_flags
#define blkid_probe_enable_partitions p_blkid_probe_enable_partitions
#define blkid_probe_set_partitions_flags p_blkid_probe_set_partitions_flags
#define blkid_do_probe p_blkid_do_probe
#define blkid_do_safeprobe p_blkid_do_safeprobe
#define blkid_probe_lookup_value p_blkid_probe_lookup_value
#define blkid_do_wipe p_blkid_do_wipe

/* The filesystem (or other superblock) type on @fd, "" when there is none. */
int dev_fs_type(vm_ctx *ctx, int fd, const char *path, char *type, size_t len)
{
	int r = blkid_load(ctx, path);
	type[0] = 0;
	if (r)
		return r;
	blkid_probe pr = blkid_new_probe();
	if (pr && !blkid_probe_set_device(pr, fd, 0, 0)) {
		const char *t = NULL;
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
		if (!blkid_do_safeprobe(pr) && !blkid_probe_lookup_value(pr, "TYPE", &t, NULL) && t)
			snprintf(type, len, "%s", t);
	}
	if (pr)
		blkid_free_probe(pr);
	return 0;
}

/*
 * Find filesystem, partition-table and other signatures (an LVM2 label is
 * handled by the caller). Without @force they make the call fail; with it
 * each one is wiped, as lvm2's -f does.
 */
int dev_wipe_signatures(vm_ctx *ctx, int fd, const char *path, bool force, bool yes)
{
	int r = blkid_load(ctx, path);
	if (r)
		return r;
	/* libblkid reads through the page cache, in pieces direct I/O refuses */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_DIRECT))
		fcntl(fd, F_SETFL, fl & ~O_DIRECT);
	blkid_probe pr = blkid_new_probe();
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0)) {
		if (pr)
			blkid_free_probe(pr);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl);
		return vm_err(ctx, -EIO, "%s: cannot probe for signatures", path);
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_MAGIC |
					  BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	int pr_r;
	while ((pr_r = blkid_do_probe(pr)) == 0) {
		const char *type = NULL, *off = NULL;
		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL))
			blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL);
		if (blkid_probe_lookup_value(pr, "SBMAGIC_OFFSET", &off, NULL))
			blkid_probe_lookup_value(pr, "PTMAGIC_OFFSET", &off, NULL);
		if (type && !strcmp(type, "LVM2_member"))
			continue;
		if (!force) {
			r = vm_err(ctx, -EEXIST, "%s: %s signature found at offset %s (pvcreate -f wipes it)",
				   path, type ? type : "unknown", off ? off : "?");
			break;
		}
		if (blkid_do_wipe(pr, 0)) {
			r = vm_err(ctx, -EIO, "%s: wiping the %s signature failed", path,
				   type ? type : "unknown");
			break;
		}
		vm_log(ctx, VM_LOG_INFO, "Wiping %s signature on %s (offset %s).", type ? type : "unknown", path,
		       off ? off : "?");
	}
	if (!r && pr_r < 0)
		r = vm_err(ctx, -EIO, "%s: probing for signatures failed", path);
	blkid_free_probe(pr);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl);
	return r;
}
