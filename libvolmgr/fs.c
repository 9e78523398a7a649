/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The filesystem inside an active LV: what it is, how large, where it is
 * mounted, and resizing it with the filesystem's own tool (resize2fs for
 * ext2/3/4, xfs_growfs for a mounted xfs). Sizes come from the superblocks.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>


#include "internal.h"

extern char **environ;

static int lv_dev(vm_lv *lv, char *path, size_t len, struct vm_lv_state *st)
{
	vm_ctx *ctx = lv->vg->ctx;
	int r = vm_lv_state(lv, st);
	if (r)
		return r;
	if (!st->active)
		return vm_err(ctx, -ENXIO, "logical volume %s/%s is not active", lv->vg->md->name, lv->md->name);
	snprintf(path, len, "/dev/mapper/%s", st->dm_name);
	return 0;
}

static void mountpoint_of(int32_t maj, int32_t min, char *out, size_t len)
{
	out[0] = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], want[32];
	if (!f)
		return;
	snprintf(want, sizeof(want), "%d:%d", maj, min);
	while (fgets(line, sizeof(line), f)) {
		/* id parent MAJ:MIN root mountpoint ... */
		char dev[32], mnt[2048];
		if (sscanf(line, "%*s %*s %31s %*s %2047s", dev, mnt) == 2 && !strcmp(dev, want) &&
		    strlen(mnt) < len) {
			memcpy(out, mnt, strlen(mnt) + 1);
			break;
		}
	}
	fclose(f);
}

static uint64_t sb_size(int fd, const char *type)
{
	unsigned char b[1024];
	if (!strncmp(type, "ext", 3)) {
		if (pread(fd, b, sizeof(b), 1024) != (ssize_t)sizeof(b))
			return 0;
		uint32_t lo, hi = 0, log, incompat;
		memcpy(&lo, b + 4, 4);
		memcpy(&log, b + 24, 4);
		memcpy(&incompat, b + 0x60, 4);
		if (le32toh(incompat) & 0x80)                 /* 64bit */
			memcpy(&hi, b + 0x150, 4);
		uint64_t blocks = (uint64_t)le32toh(hi) << 32 | le32toh(lo);
		return le32toh(log) > 16 ? 0 : blocks * (1024ull << le32toh(log));
	}
	if (!strcmp(type, "xfs")) {
		if (pread(fd, b, 16, 0) != 16)
			return 0;
		uint32_t bs;
		uint64_t blocks;
		memcpy(&bs, b + 4, 4);
		memcpy(&blocks, b + 8, 8);
		return be64toh(blocks) * be32toh(bs);
	}
	return 0;
}

int vm_lv_fs_info(vm_lv *lv, struct vm_fs_info *out)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct vm_lv_state st;
	char path[256];
	memset(out, 0, sizeof(*out));
	int r = lv_dev(lv, path, sizeof(path), &st);
	if (r)
		return r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vm_err(ctx, -errno, "%s: %s", path, strerror(errno));
	if ((r = dev_fs_type(ctx, fd, path, out->type, sizeof(out->type)))) {
		close(fd);
		return r;
	}
	if (out->type[0])
		out->size = sb_size(fd, out->type);
	close(fd);
	mountpoint_of(st.major, st.minor, out->mountpoint, sizeof(out->mountpoint));
	return 0;
}

/* Run a program; its output goes to the log; the last line of it into the error. */
int run_tool(vm_ctx *ctx, char *const argv[])
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (e) {
		close(pfd[0]);
		return vm_err(ctx, -e, "cannot run %s: %s", argv[0], strerror(e));
	}
	char buf[8192], last[256] = "";
	size_t have = 0;
	ssize_t n;
	while ((n = read(pfd[0], buf + have, sizeof(buf) - 1 - have)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		have += (size_t)n;
		buf[have] = 0;
		char *nl, *p = buf;
		while ((nl = strchr(p, '\n'))) {
			*nl = 0;
			if (*p) {
				vm_log(ctx, VM_LOG_INFO, "%s: %s", argv[0], p);
				snprintf(last, sizeof(last), "%s", p);
			}
			p = nl + 1;
		}
		have = strlen(p);
		memmove(buf, p, have);
		if (have == sizeof(buf) - 1)
			have = 0;                     /* a line this long is dropped */
	}
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return vm_err(ctx, -EIO, "%s failed (exit %d)%s%s", argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		      last[0] ? ": " : "", last);
}

int vm_lv_fs_resize(vm_lv *lv, uint64_t new_size, bool check)
{
	vm_ctx *ctx = lv->vg->ctx;
	struct vm_fs_info fs;
	struct vm_lv_state st;
	char path[256], size[32];
	int r;
	if ((r = lv_dev(lv, path, sizeof(path), &st)) || (r = vm_lv_fs_info(lv, &fs)))
		return r;
	const char *vl = lv->vg->md->name, *ln = lv->md->name;
	if (!fs.type[0])
		return vm_err(ctx, -EOPNOTSUPP, "%s/%s holds no filesystem volmgr knows how to resize", vl, ln);
	if (!strncmp(fs.type, "ext", 3)) {
		if (new_size < fs.size && fs.mountpoint[0])
			return vm_err(ctx, -EBUSY, "%s/%s: the %s filesystem is mounted on %s and cannot shrink "
				      "while mounted: unmount it first", vl, ln, fs.type, fs.mountpoint);
		if (!fs.mountpoint[0] && check) {
			char *fsck[] = { "e2fsck", "-f", "-p", path, NULL };
			if ((r = run_tool(ctx, fsck)))
				return r;
		}
		snprintf(size, sizeof(size), "%" PRIu64 "K", new_size >> 10);
		char *rs[] = { "resize2fs", path, size, NULL };
		return run_tool(ctx, rs);
	}
	if (!strcmp(fs.type, "xfs")) {
		if (new_size < fs.size)
			return vm_err(ctx, -EOPNOTSUPP, "%s/%s: an xfs filesystem cannot shrink", vl, ln);
		if (!fs.mountpoint[0])
			return vm_err(ctx, -EOPNOTSUPP, "%s/%s: xfs grows only while mounted: mount it first",
				      vl, ln);
		char *g[] = { "xfs_growfs", fs.mountpoint, NULL };
		return run_tool(ctx, g);
	}
	return vm_err(ctx, -EOPNOTSUPP, "%s/%s: volmgr cannot resize a %s filesystem", vl, ln, fs.type);
}
