/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backups: $SYSTEM_DIR/backup/VG holds the latest metadata of each VG,
 * rewritten after every change; the one it replaces moves to archive/,
 * which is kept to a bounded count and age. Also vgcfgrestore and vgck.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int mkdirs(vm_ctx *ctx, const char *sub, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", ctx->system_dir);
	if (mkdir(out, 0755) && errno != EEXIST)
		return vm_err(ctx, -errno, "%s: cannot create: %s", out, strerror(errno));
	snprintf(out, outlen, "%s/%s", ctx->system_dir, sub);
	if (mkdir(out, 0700) && errno != EEXIST)
		return vm_err(ctx, -errno, "%s: cannot create: %s", out, strerror(errno));
	return 0;
}

const char *backup_description(vm_ctx *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "Created *after* executing '%s'", ctx->description ? ctx->description : "libvolmgr");
	return buf;
}

/* @head, then @text (its pieces, without the final NUL) or @data. */
static int write_file(vm_ctx *ctx, const char *path, const char *head, const struct vmt_buf *text,
		      const char *data, size_t len)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return vm_err(ctx, -errno, "%s: cannot create: %s", tmp, strerror(errno));
	struct iovec iov[64];
	size_t niov = 0, want = 0;
	iov[niov++] = (struct iovec){ (void *)head, strlen(head) };
	if (text) {
		size_t left = text->total - 1;  /* the NUL stays out of the file */
		for (size_t i = 0; i < text->npieces && left; i++) {
			size_t n = text->pieces[i].len < left ? text->pieces[i].len : left;
			iov[niov++] = (struct iovec){ (void *)vmt_piece_ptr(text, &text->pieces[i]), n };
			left -= n;
			if (niov == 64)
				break;
		}
		if (left)
			niov = 0;               /* too many pieces: cannot happen with export's layout */
	} else
		iov[niov++] = (struct iovec){ (void *)data, len };
	for (size_t i = 0; i < niov; i++)
		want += iov[i].iov_len;
	ssize_t n = niov ? writev(fd, iov, (int)niov) : -1;
	int e = niov && n == (ssize_t)want ? 0 : n < 0 ? (niov ? errno : E2BIG) : EIO;
	if (close(fd) && !e)
		e = errno;
	if (!e && rename(tmp, path))
		e = errno;
	if (e) {
		unlink(tmp);
		return vm_err(ctx, -e, "%s: cannot write: %s", path, strerror(e));
	}
	return 0;
}

int backup_write(vm_vg *vg, const char *path)
{
	vm_ctx *ctx = vg->ctx;
	struct vmf_vg *md = vg->md;
	char desc[600];
	md->description = backup_description(ctx, desc, sizeof(desc));
	struct vmt_buf b = { 0 };
	vmf_vg_export(md, &b, true);
	md->description = NULL;
	int r = b.oom ? -ENOMEM : write_file(ctx, path, "", NULL, b.p, b.len);
	vmt_buf_free(&b);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keep at most archive_max files of a VG, and drop those past archive_days beyond archive_min. */
static void prune_archive(vm_ctx *ctx, const char *dir, const char *vgname)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	size_t plen = strlen(vgname), n = 0, cap = 0;
	char **names = NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		/* exactly NAME_<20 digits>.vg: VG "a" must not prune VG "a_b"'s files */
		const char *tail = e->d_name + plen + 1;
		if (strncmp(e->d_name, vgname, plen) || e->d_name[plen] != '_' ||
		    strlen(tail) != 23 || strspn(tail, "0123456789") != 20 || strcmp(tail + 20, ".vg"))
			continue;
		if (n == cap) {
			char **nv = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*nv));
			if (!nv)
				break;
			names = nv;
		}
		if (!(names[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);  /* oldest first: seqno is zero-padded */
	time_t limit = time(NULL) - (time_t)ctx->archive_days * 86400;
	for (size_t i = 0; i < n; i++) {
		char path[4400];
		size_t newer = n - i - 1;
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (newer >= ctx->archive_max ||
		    (newer >= ctx->archive_min && !stat(path, &st) && st.st_mtime < limit))
			unlink(path);
		free(names[i]);
	}
	free(names);
}

/* Move backup/NAME to archive/NAME_<seqno>.vg. */
static void archive_old(vm_ctx *ctx, const char *bdir, const char *name, uint64_t seqno)
{
	char adir[4096], from[4200], to[4400];
	snprintf(from, sizeof(from), "%s/%s", bdir, name);
	if (access(from, F_OK))
		return;
	if (!ctx->archive || mkdirs(ctx, "archive", adir, sizeof(adir))) {
		unlink(from);
		return;
	}
	snprintf(to, sizeof(to), "%s/%s_%020" PRIu64 ".vg", adir, name, seqno);
	if (rename(from, to))
		unlink(from);
	prune_archive(ctx, adir, name);
}

/*
 * After a commit: archive the previous backup, then write the text just
 * committed (@text, @len; NULL after vgremove) as the new one, behind a
 * comment header. The text already carries the description.
 */
int backup_after_commit(vm_vg *vg, const struct vmt_buf *text)
{
	vm_ctx *ctx = vg->ctx;
	char bdir[4096], path[4200];
	if (!ctx->backup)
		return 0;
	int r = mkdirs(ctx, "backup", bdir, sizeof(bdir));
	if (r)
		return r;
	if (vg->old_name) {
		archive_old(ctx, bdir, vg->old_name, vg->md->seqno - 1);
		free(vg->old_name);
		vg->old_name = NULL;
	}
	archive_old(ctx, bdir, vg->md->name, vg->md->seqno - (vg->removed ? 0 : 1));
	if (vg->removed)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", bdir, vg->md->name);
	char head[128], when[64] = "";
	time_t t = time(NULL);
	struct tm tm;
	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	snprintf(head, sizeof(head), "# Generated by volmgr %s: %s\n\n", VOLMGR_VERSION, when);
	return write_file(ctx, path, head, text, NULL, 0);
}

int vm_vg_backup(vm_vg *vg, const char *path)
{
	char bdir[4096], def[4200];
	if (!path) {
		int r = mkdirs(vg->ctx, "backup", bdir, sizeof(bdir));
		if (r)
			return r;
		snprintf(def, sizeof(def), "%s/%s", bdir, vg->md->name);
		path = def;
	}
	return backup_write(vg, path);
}

static int read_file(vm_ctx *ctx, const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return vm_err(ctx, -errno, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > (1 << 30)) {
		close(fd);
		return vm_err(ctx, -EINVAL, "%s: not a regular file of at most 1 GiB", path);
	}
	char *buf = malloc(st.st_size + 1);
	ssize_t n = buf ? read(fd, buf, st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return vm_err(ctx, -EIO, "%s: cannot read", path);
	}
	buf[n] = 0;
	*out = buf;
	*len = (size_t)n;
	return 0;
}

int vm_vg_restore(vm_ctx *ctx, const char *name, const char *path)
{
	char err[VMF_ERRLEN], def[4200];
	char *text = NULL;
	size_t len = 0;
	int r;
	if (vmf_name_check(name, err))
		return vm_err(ctx, -EINVAL, "invalid volume group name: %s", err);
	if (!path) {
		snprintf(def, sizeof(def), "%s/backup/%s", ctx->system_dir, name);
		path = def;
	}
	if ((r = read_file(ctx, path, &text, &len)))
		return r;
	struct vmf_vg *md;
	r = vmf_vg_from_text(text, len, &md, err);
	free(text);
	if (r)
		return vm_err(ctx, r, "%s: %s", path, err);
	if (strcmp(md->name, name)) {
		r = vm_err(ctx, -EINVAL, "%s holds volume group %s, not %s", path, md->name, name);
		vmf_vg_free(md);
		return r;
	}
	vm_vg *vg = calloc(1, sizeof(*vg));
	if (!vg) {
		vmf_vg_free(md);
		return -ENOMEM;
	}
	vg->ctx = ctx;
	vg->mode = VM_VG_WRITE;
	vg->lockfd = vg->lockfd2 = -1;
	vg->md = md;
	if ((r = lock_vg(ctx, name, true, &vg->lockfd)) ||
	    (r = lock_take(ctx, VM_ORPHAN_LOCK, true, &vg->lockfd2)) || (r = scan_run(ctx, NULL)))
		goto out;
	vg->scan = ctx->scan;
	vg->scan->refs++;
	if ((r = vg_bind_pvs(vg)))
		goto out;
	for (uint32_t i = 0; i < vg->npvh && !r; i++) {
		char id[39];
		const char *in = vg->pvs[i].dev ? scan_dev_vg(vg->scan, vg->pvs[i].dev) : NULL;
		vmf_id_format(md->pvs[i].id, id);
		if (!vg->pvs[i].dev)
			r = vm_err(ctx, -ENXIO, "%s: physical volume %s is not on any device", path, id);
		else if (in && strcmp(in, name))
			r = vm_err(ctx, -EBUSY, "%s: physical volume %s (%s) belongs to volume group %s",
				   path, id, vg->pvs[i].dev->path, in);
	}
	/* Keep seqno rising past whatever the PVs hold now. */
	vg->disk_seqno = md->seqno;
	for (size_t d = 0; d < vg->scan->ndev && !r; d++)
		for (uint32_t m = 0; m < vg->scan->devs[d].nmda; m++) {
			const struct vm_mda *a = &vg->scan->devs[d].mda[m];
			if (a->state == MDA_OK && !strcmp(a->vgname, name) && a->seqno > vg->disk_seqno)
				vg->disk_seqno = a->seqno;
		}
	if (!r)
		r = vm_vg_commit(vg);
out:
	vm_vg_free(vg);
	return r;
}

int vm_vg_check(vm_ctx *ctx, const char *name, bool repair)
{
	vm_vg *vg;
	ctx->verify_all = true;
	int r = vm_vg_open(ctx, name, repair ? VM_VG_WRITE : VM_VG_READ, &vg);
	ctx->verify_all = false;
	if (r)
		return r;
	int problems = 0;
	for (uint32_t i = 0; i < vg->npvh; i++) {
		struct vm_dev *d = vg->pvs[i].dev;
		if (!d) {
			problems++;
			continue;
		}
		for (uint32_t m = 0; m < d->nmda; m++)
			problems += !(d->mda[m].state == MDA_OK && d->mda[m].seqno == vg->md->seqno &&
				      !memcmp(d->mda[m].vgid, vg->md->id, VMF_ID_LEN));
		if (d->pvh.ext_version && !(d->pvh.ext_flags & VMF_PVH_FLAG_IN_VG)) {
			vm_log(ctx, VM_LOG_WARN, "WARNING: %s: PV header does not say it belongs to a volume group.",
			       d->path);
			problems++;
		}
	}
	/* PVs the VG let go while they were missing still hold its old copy */
	int outdated = vg_outdated(vg, repair);
	if (outdated < 0) {
		vm_vg_free(vg);
		return outdated;
	}
	problems += outdated;
	if (repair && problems) {
		r = vm_vg_commit(vg);
		if (!r)
			vm_log(ctx, VM_LOG_INFO, "Volume group %s: metadata rewritten on every PV.", name);
	}
	vm_vg_free(vg);
	return r ? r : problems;
}
