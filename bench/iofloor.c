/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/iofloor: the I/O of a durable one-LV lvcreate on a VG of two PVs, and
 * nothing else, for bench/run's floor figure. A program linked to libc like
 * volmgr and lvm2, that does what the commit rule volmgr follows requires:
 *
 *   read the label and first metadata header of each device (8 KiB at 0), and
 *   the current text of the first (1 KiB where its "header" says);
 *   then on both devices at once, one of them in a second thread: a 1536-byte
 *   text into free space after the current one, fdatasync; a barrier; the
 *   512-byte header at 4 KiB that points at it, fdatasync.
 *
 * No parsing, no formatting, no checksum, no lock, no configuration: what
 * volmgr takes beyond this program's time is volmgr's own work. The devices
 * are scratch devices of the benchmark (written at 4 KiB..8 MiB, which is not
 * LVM2's format: the "header" holds only the text's offset).
 *
 *   iofloor DEV1 DEV2
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AREA 4096ULL                    /* where the area and its header start */
#define AREA_SIZE (8ULL << 20)
#define TEXT 1536                       /* a one-LV VG's text, whole 512-byte blocks */

struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int arrived;
};

struct job {
	const char *path;
	int fd, err;
	uint64_t at;
	const char *text, *hdr;
	struct gate *gate;
};

static void pass(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	if (++g->arrived == 2)
		pthread_cond_broadcast(&g->cv);
	while (g->arrived < 2)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void *commit(void *arg)
{
	struct job *j = arg;
	if (pwrite(j->fd, j->text, TEXT, (off_t)(AREA + j->at)) != TEXT || fdatasync(j->fd))
		j->err = 1;
	pass(j->gate);
	if (pwrite(j->fd, j->hdr, 512, AREA) != 512 || fdatasync(j->fd))
		j->err = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: iofloor DEV1 DEV2\n");
		return 2;
	}
	char *buf, *text, *hdr;
	if (posix_memalign((void **)&buf, 4096, 8192) || posix_memalign((void **)&text, 4096, 4096) ||
	    posix_memalign((void **)&hdr, 4096, 4096))
		return 1;
	uint64_t cur = 0;
	for (int i = 1; i <= 2; i++) {
		int fd = open(argv[i], O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (fd < 0 || pread(fd, buf, 8192, 0) != 8192) {
			perror(argv[i]);
			return 1;
		}
		if (i == 1) {
			memcpy(&cur, buf + AREA, sizeof(cur));
			if (cur < 512 || cur % 512 || cur + TEXT > AREA_SIZE)
				cur = 512;
			if (pread(fd, text, 1024, (off_t)(AREA + cur)) != 1024) {
				perror(argv[i]);
				return 1;
			}
		}
		close(fd);
	}
	uint64_t next = cur + TEXT;             /* the ring: after the current text, wrapping */
	if (next + TEXT > AREA_SIZE)
		next = 512;
	memset(text, 'x', TEXT);
	memset(hdr, 0, 512);
	memcpy(hdr, &next, sizeof(next));
	struct gate g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	struct job j[2];
	for (int i = 0; i < 2; i++) {
		j[i] = (struct job){ .path = argv[i + 1], .at = next, .text = text, .hdr = hdr, .gate = &g };
		if ((j[i].fd = open(j[i].path, O_RDWR | O_DIRECT | O_CLOEXEC)) < 0) {
			perror(j[i].path);
			return 1;
		}
	}
	pthread_t t;
	pthread_attr_t attr;
	if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, 256 << 10) ||
	    pthread_create(&t, &attr, commit, &j[0])) {
		fprintf(stderr, "iofloor: cannot start a thread\n");
		return 1;
	}
	commit(&j[1]);
	pthread_join(t, NULL);
	for (int i = 0; i < 2; i++)
		if (j[i].err) {
			fprintf(stderr, "iofloor: %s: write or flush failed\n", j[i].path);
			return 1;
		}
	return 0;
}
