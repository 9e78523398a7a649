/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crashwrite.so: an LD_PRELOAD shim that simulates a crash in the middle of a
 * command's device writes. Only writes to block devices are counted (the fd
 * is fstat()ed: S_ISBLK); writes to files, pipes and terminals pass through.
 *
 * Environment:
 *   CRASH_AFTER_WRITES=N   perform the Nth block-device write, then _exit(99):
 *                          the bytes reached the device (its page cache, which
 *                          every later reader sees), nothing after them did.
 *   CRASH_BEFORE_WRITES=N  _exit(99) instead of performing the Nth write.
 *   CRASH_LOG=FILE         append one line per counted write:
 *                          "N DEVICE OFFSET LENGTH CALL" (N counts from 1).
 * With neither N set (or N = 0) the shim only counts and logs. Writes from
 * several threads are numbered atomically: the thread whose write is the Nth
 * ends the process, whatever the others were doing (as a crash would).
 *
 * Wrapped: write, writev, pwrite, pwrite64, pwritev, pwritev64, pwritev2.
 * Build: cc -shared -fPIC -O2 -o crashwrite.so crashwrite.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static long after_n = -1, before_n = -1;
static const char *logpath;
static unsigned long count;
static int inited;

static void init(void)
{
	if (inited)
		return;
	inited = 1;
	const char *s;
	if ((s = getenv("CRASH_AFTER_WRITES")) && *s)
		after_n = strtol(s, NULL, 10);
	if ((s = getenv("CRASH_BEFORE_WRITES")) && *s)
		before_n = strtol(s, NULL, 10);
	if ((s = getenv("CRASH_LOG")) && *s)
		logpath = s;
}

static int is_blk(int fd)
{
	struct stat st;
	return fd >= 0 && !fstat(fd, &st) && S_ISBLK(st.st_mode);
}

/* Raw syscalls only below: the shim must not recurse into its own wrappers. */
static void logw(int fd, unsigned long nth, long long off, size_t len, const char *call)
{
	if (!logpath)
		return;
	char dev[256] = "?", link[64], line[512];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, dev, sizeof(dev) - 1);
	dev[n > 0 ? n : 1] = 0;
	int l = snprintf(line, sizeof(line), "%lu %s %lld %zu %s\n", nth, dev, off, len, call);
	int lf = (int)syscall(SYS_openat, AT_FDCWD, logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0600);
	if (lf < 0)
		return;
	if (l > 0)
		syscall(SYS_write, lf, line, (size_t)l);
	syscall(SYS_close, lf);
}

/* Before a block-device write: its number (0: not counted); maybe crash instead of writing it. */
static unsigned long pre(int fd, long long off, size_t len, const char *call)
{
	init();
	if (!is_blk(fd))
		return 0;
	unsigned long n = __atomic_add_fetch(&count, 1, __ATOMIC_SEQ_CST);
	if (off < 0)
		off = lseek(fd, 0, SEEK_CUR);
	logw(fd, n, off, len, call);
	if (before_n > 0 && (long)n == before_n)
		_exit(99);
	return n;
}

/* After it: crash right after the Nth write reached the device. */
static void post(unsigned long n)
{
	if (n && after_n > 0 && (long)n == after_n)
		_exit(99);
}

static size_t iovlen(const struct iovec *iov, int n)
{
	size_t s = 0;
	for (int i = 0; i < n; i++)
		s += iov[i].iov_len;
	return s;
}

/* The next definition of NAME (libc's), looked up once. */
#define REAL(name)                                                   \
	static __typeof__(&name) real_##name;                        \
	if (!real_##name)                                            \
		real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t len)
{
	REAL(write);
	unsigned long c = pre(fd, -1, len, "write");
	ssize_t r = real_write(fd, buf, len);
	post(c);
	return r;
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	REAL(writev);
	unsigned long c = pre(fd, -1, iovlen(iov, n), "writev");
	ssize_t r = real_writev(fd, iov, n);
	post(c);
	return r;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	REAL(pwrite);
	unsigned long c = pre(fd, off, len, "pwrite");
	ssize_t r = real_pwrite(fd, buf, len, off);
	post(c);
	return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	REAL(pwrite64);
	unsigned long c = pre(fd, off, len, "pwrite64");
	ssize_t r = real_pwrite64(fd, buf, len, off);
	post(c);
	return r;
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	REAL(pwritev);
	unsigned long c = pre(fd, off, iovlen(iov, n), "pwritev");
	ssize_t r = real_pwritev(fd, iov, n, off);
	post(c);
	return r;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off64_t off)
{
	REAL(pwritev64);
	unsigned long c = pre(fd, off, iovlen(iov, n), "pwritev64");
	ssize_t r = real_pwritev64(fd, iov, n, off);
	post(c);
	return r;
}

ssize_t pwritev2(int fd, const struct iovec *iov, int n, off_t off, int flags)
{
	REAL(pwritev2);
	unsigned long c = pre(fd, off, iovlen(iov, n), "pwritev2");
	ssize_t r = real_pwritev2(fd, iov, n, off, flags);
	post(c);
	return r;
}
