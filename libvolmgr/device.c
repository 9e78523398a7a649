/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Block devices: open, size, plain synchronous I/O, discovery, signatures. */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int dev_open(vm_ctx *ctx, const char *path, int flags, int *fd, uint64_t *size, dev_t *rdev)
{
	struct stat st;
	int f = open(path, flags | O_CLOEXEC);
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
static int dev_rw(vm_ctx *ctx, int fd, const char *path, char *buf, size_t len, uint64_t off, bool wr)
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
 * Find filesystem, partition-table and other signatures (an LVM2 label is
 * handled by the caller). Without @force they make the call fail; with it
 * each one is wiped, as lvm2's -f does.
 */
int dev_wipe_signatures(vm_ctx *ctx, int fd, const char *path, bool force, bool yes)
{
	blkid_probe pr = blkid_new_probe();
	int r = 0;
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0)) {
		blkid_free_probe(pr);
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
	return r;
}
