/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Locking: one flock()ed file per VG name under the lock directory, and one
 * for orphan PVs. Commands on different VGs never wait on each other.
 * Order, to stay deadlock-free: VG locks in name order, then the orphan lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int lock_take(vm_ctx *ctx, const char *name, bool exclusive, int *fd)
{
	char path[4096];
	if (mkdir(ctx->lock_dir, 0700) && errno != EEXIST)
		return vm_err(ctx, -errno, "%s: cannot create the lock directory: %s", ctx->lock_dir,
			      strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", ctx->lock_dir, name);
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0)
		return vm_err(ctx, -errno, "%s: cannot open the lock file: %s", path, strerror(errno));
	while (flock(f, exclusive ? LOCK_EX : LOCK_SH)) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(f);
		return vm_err(ctx, -e, "%s: cannot lock: %s", path, strerror(e));
	}
	*fd = f;
	return 0;
}

void lock_drop(int fd)
{
	if (fd >= 0)
		close(fd);
}

int lock_vg(vm_ctx *ctx, const char *vgname, bool exclusive, int *fd)
{
	char name[VMF_NAME_MAX + 3];
	snprintf(name, sizeof(name), "V_%s", vgname);
	return lock_take(ctx, name, exclusive, fd);
}
