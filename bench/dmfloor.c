/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/dmfloor: what the kernel alone takes to make and remove N dm devices,
 * for bench/vm-activate's floor table. Raw DM ioctls on /dev/mapper/control,
 * one device after the other, as an activation would: DM_DEV_CREATE (name and
 * uuid), DM_TABLE_LOAD (one linear target of one 4 MiB extent of DEV),
 * DM_DEV_SUSPEND (resume); then DM_DEV_REMOVE of each. (All map the same
 * extent, at 1 MiB: the kernel's work does not depend on where.) No libdevmapper, no
 * device nodes, no udev: nothing volmgr or lvm2 could leave out.
 *
 *   dmfloor N MAJOR:MINOR     prints "create SECONDS" and "remove SECONDS"
 *
 * Built static by bench/vm-activate (the test VM has no compiler).
 */
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static union {
	struct dm_ioctl io;
	char bytes[16384];
} buf;

static struct dm_ioctl *request(const char *name, const char *uuid)
{
	memset(&buf, 0, sizeof(buf));
	buf.io.version[0] = DM_VERSION_MAJOR;
	buf.io.data_size = sizeof(buf);
	buf.io.data_start = sizeof(buf.io);
	snprintf(buf.io.name, sizeof(buf.io.name), "%s", name);
	if (uuid)
		snprintf(buf.io.uuid, sizeof(buf.io.uuid), "%s", uuid);
	return &buf.io;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int call(int ctl, unsigned long req, const char *what, const char *name)
{
	if (!ioctl(ctl, req, &buf))
		return 0;
	fprintf(stderr, "dmfloor: %s %s: ", what, name);
	perror(NULL);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 3 || atoi(argv[1]) <= 0) {
		fprintf(stderr, "usage: dmfloor N MAJOR:MINOR\n");
		return 2;
	}
	int n = atoi(argv[1]);
	int ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		perror("dmfloor: /dev/mapper/control");
		return 1;
	}
	char name[64], uuid[64];
	double t0 = now();
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "dmfloor%d", i);
		snprintf(uuid, sizeof(uuid), "DMFLOOR-%032d", i);
		request(name, uuid);
		if (call(ctl, DM_DEV_CREATE, "create", name))
			return 1;
		struct dm_ioctl *io = request(name, NULL);
		io->target_count = 1;
		struct dm_target_spec *t = (struct dm_target_spec *)(buf.bytes + sizeof(buf.io));
		t->sector_start = 0;
		t->length = 8192;
		snprintf(t->target_type, sizeof(t->target_type), "linear");
		snprintf((char *)(t + 1), 64, "%s 2048", argv[2]);
		if (call(ctl, DM_TABLE_LOAD, "load", name))
			return 1;
		request(name, NULL);
		if (call(ctl, DM_DEV_SUSPEND, "resume", name))
			return 1;
	}
	double t1 = now();
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "dmfloor%d", i);
		request(name, NULL);
		if (call(ctl, DM_DEV_REMOVE, "remove", name))
			return 1;
	}
	double t2 = now();
	printf("create %.6f\nremove %.6f\n", t1 - t0, t2 - t1);
	close(ctl);
	return 0;
}
