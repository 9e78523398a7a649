/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Physical volumes: pvcreate, pvremove, label and header writes, accessors. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "internal.h"

/* libuuid, for kernels without getrandom's GRND_INSECURE: loaded only then. */
static void (*uuid_gen)(uuid_t);
static void uuid_load(void)
{
	void *h = dlopen("libuuid.so.1", RTLD_NOW | RTLD_LOCAL);
	uuid_gen = h ? (void (*)(uuid_t))dlsym(h, "uuid_generate_random") : NULL;
}

static void random_bytes(uuid_t u)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	if (getrandom(u, sizeof(uuid_t), GRND_INSECURE) == (ssize_t)sizeof(uuid_t))
		return;
	pthread_once(&once, uuid_load);
	if (uuid_gen) {
		uuid_gen(u);
		return;
	}
	ssize_t n;
	while ((n = getrandom(u, sizeof(uuid_t), 0)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(uuid_t)) {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, u, sizeof(uuid_t)) != (ssize_t)sizeof(uuid_t))
			for (unsigned i = 0; i < sizeof(uuid_t); i++)      /* nothing left to ask */
				u[i] = (unsigned char)(rand() ^ (getpid() >> (i % 8)));
		if (fd >= 0)
			close(fd);
	}
}

/* Random ids, in the 62 characters lvm2 generates ('!' and '#' are only read). */
void id_new(char id[VMF_ID_LEN])
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	unsigned i = 0;
	while (i < VMF_ID_LEN) {
		uuid_t u;
		/* ids need not be secret: never wait for the entropy pool (early boot, VMs
		 * without an RNG), as libuuid does for up to a second per id */
		random_bytes(u);
		for (unsigned k = 0; k < sizeof(u) && i < VMF_ID_LEN; k++)
			if ((u[k] & 63) < 62)          /* reject, don't fold: no bias */
				id[i++] = alphabet[u[k] & 63];
	}
}

/*
 * lvm2 caches which devices hold PVs (/run/lvm/hints); when a label
 * changes it must rescan. Its own tools say so by creating this file.
 */
static void lvm2_rescan_hint(void)
{
	int fd = open("/run/lvm/newhints", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

int pv_write_label(vm_ctx *ctx, int fd, struct vm_dev *d)
{
	lvm2_rescan_hint();
	_Alignas(4096) uint8_t sec[VMF_SECTOR];        /* aligned: written straight, no bounce buffer */
	if (vmf_label_encode(&d->pvh, sec))
		return vm_err(ctx, -EINVAL, "%s: the PV header does not fit in a sector", d->path);
	return dev_pwrite(ctx, fd, d->path, sec, sizeof(sec), d->pvh.label_sector * VMF_SECTOR);
}

int pv_write_mda_header(vm_ctx *ctx, int fd, struct vm_dev *d, uint32_t i)
{
	_Alignas(4096) uint8_t buf[VMF_MDA_HEADER_SIZE];
	vmf_mda_header_encode(&d->mda[i].hdr, buf);
	return dev_pwrite(ctx, fd, d->path, buf, sizeof(buf), d->mda[i].offset);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/*
 * Make @path a PV. The caller holds the orphan lock and has scanned. Writes:
 * the metadata area header (empty), flushed; then sectors 0-3 with the label
 * in sector 1, flushed. A crash before the label leaves no PV.
 */
int pv_init(vm_ctx *ctx, const char *path, const struct vm_pvcreate_params *p, bool check_vg, bool dry)
{
	static const struct vm_pvcreate_params defaults;
	if (!p)
		p = &defaults;
	uint64_t align = p->data_alignment ? p->data_alignment : VM_DEFAULT_ALIGN;
	if (align % 4096 || align > (1ull << 30))
		return vm_err(ctx, -EINVAL, "data alignment %" PRIu64 " is not a multiple of 4 KiB up to 1 GiB",
			      align);
	if (p->metadata_size && (p->metadata_size < 64 * 1024 || p->metadata_size > (1ull << 32)))
		return vm_err(ctx, -EINVAL, "metadata size must be 64 KiB to 4 GiB");
	uint64_t pe_start = p->metadata_size ? align_up(VM_MDA_OFFSET + p->metadata_size, align)
					     : align_up(VM_DEFAULT_PE_START, align);

	struct vm_dev *old = ctx->scan ? scan_find_dev(ctx->scan, path) : NULL;
	if (old && check_vg) {
		const char *vg = scan_dev_vg(ctx->scan, old);
		if (vg && p->force < 2)
			return vm_err(ctx, -EBUSY, "%s: physical volume belongs to volume group %s; "
				      "use vgreduce first (or -ff)", path, vg);
		if (vg && !vm_ask(ctx, p->yes, "Really INITIALIZE physical volume \"%s\" of volume group \"%s\"?",
				  path, vg))
			return vm_err(ctx, -ECANCELED, "%s: not initialized", path);
	}
	int fd, r;
	uint64_t size;
	dev_t rdev;
	if ((r = dev_check_allowed(ctx, path)) || (r = dev_open(ctx, path, O_RDWR | O_EXCL, &fd, &size, &rdev)))
		return r;
	if (size < pe_start + (1 << 20)) {
		close(fd);
		char need[32];
		vm_fmt_size(pe_start + (1 << 20), need);
		return vm_err(ctx, -ENOSPC, "%s: device is too small: a PV with these settings needs at least %s",
			      path, need);
	}
	/* a dry run only checks: signatures are found, not wiped */
	if ((r = dev_wipe_signatures(ctx, fd, path, !dry && p->force >= 1, p->yes)) || dry) {
		close(fd);
		return r;
	}
	struct vm_dev d = { .path = (char *)path, .size = size, .rdev = rdev, .nmda = 1 };
	d.pvh.label_sector = VMF_LABEL_SECTOR;
	id_new(d.pvh.pv_id);
	d.pvh.dev_size = size;
	d.pvh.n_data = 1;
	d.pvh.data[0] = (struct vmf_area){ pe_start, 0 };
	d.pvh.n_mda = 1;
	d.pvh.mda[0] = (struct vmf_area){ VM_MDA_OFFSET, pe_start - VM_MDA_OFFSET };
	d.pvh.ext_version = VMF_PVH_EXT_VERSION;
	d.mda[0].offset = VM_MDA_OFFSET;
	d.mda[0].size = pe_start - VM_MDA_OFFSET;
	d.mda[0].hdr = (struct vmf_mda_header){ .version = 1, .start = VM_MDA_OFFSET,
						.size = pe_start - VM_MDA_OFFSET };
	_Alignas(4096) uint8_t head[VMF_LABEL_SCAN_SECTORS * VMF_SECTOR] = { 0 };
	if (!(r = pv_write_mda_header(ctx, fd, &d, 0)) && !(r = dev_sync(ctx, fd, path)) &&
	    !(r = vmf_label_encode(&d.pvh, head + VMF_LABEL_SECTOR * VMF_SECTOR)) &&
	    !(r = dev_pwrite(ctx, fd, path, head, sizeof(head), 0)))
		r = dev_sync(ctx, fd, path);
	lvm2_rescan_hint();
	close(fd);
	return r;
}

int vm_pvcreate(vm_ctx *ctx, const char *device, const struct vm_pvcreate_params *p)
{
	int lk, r;
	if ((r = lock_take(ctx, VM_ORPHAN_LOCK, true, &lk)))
		return r;
	if (!(r = scan_run(ctx, NULL)))
		r = pv_init(ctx, device, p, true, false);
	lock_drop(lk);
	return r;
}

int vm_pvremove(vm_ctx *ctx, const char *device, int force, bool yes)
{
	int lk, r, fd;
	if ((r = lock_take(ctx, VM_ORPHAN_LOCK, true, &lk)))
		return r;
	if ((r = scan_run(ctx, NULL)))
		goto out;
	struct vm_dev *d = scan_find_dev(ctx->scan, device);
	if (!d && (r = dev_check_allowed(ctx, device)))
		goto out;
	if (!d) {
		r = vm_err(ctx, -ENOENT, "%s: not a physical volume (no LVM2 label found)", device);
		goto out;
	}
	const char *vg = scan_dev_vg(ctx->scan, d);
	if (vg && force < 2) {
		r = vm_err(ctx, -EBUSY, "%s: physical volume is used by volume group %s; use vgreduce first",
			   device, vg);
		goto out;
	}
	if (vg && !vm_ask(ctx, yes, "Really WIPE LABELS from physical volume \"%s\" of volume group \"%s\"?",
			  device, vg)) {
		r = vm_err(ctx, -ECANCELED, "%s: labels not wiped", device);
		goto out;
	}
	if ((r = dev_open(ctx, device, O_RDWR | O_EXCL, &fd, NULL, NULL)))
		goto out;
	_Alignas(4096) uint8_t zero[VMF_SECTOR] = { 0 };
	lvm2_rescan_hint();
	r = dev_pwrite(ctx, fd, device, zero, sizeof(zero), d->pvh.label_sector * VMF_SECTOR);
	if (!r)
		r = dev_sync(ctx, fd, device);
	for (uint32_t i = 0; i < d->nmda && !r; i++)
		r = dev_pwrite(ctx, fd, device, zero, sizeof(zero), d->mda[i].offset);
	if (!r)
		r = dev_sync(ctx, fd, device);
	close(fd);
out:
	lock_drop(lk);
	return r;
}

/* ---------------------------------------------------------------- accessors */

static const struct vmf_pv *mdpv(const vm_pv *pv)
{
	return pv->vg ? &pv->vg->md->pvs[pv->idx] : NULL;
}

const char *vm_pv_device(const vm_pv *pv)
{
	return pv->dev ? pv->dev->path : "[unknown]";
}

void vm_pv_uuid(const vm_pv *pv, char out[39])
{
	vmf_id_format(pv->vg ? mdpv(pv)->id : pv->dev->pvh.pv_id, out);
}

const char *vm_pv_vg_name(const vm_pv *pv)
{
	return pv->vg ? pv->vg->md->name : "";
}

uint64_t vm_pv_dev_size(const vm_pv *pv)
{
	return pv->dev ? pv->dev->size : mdpv(pv)->dev_size * VMF_SECTOR;
}

uint64_t vm_pv_pe_count(const vm_pv *pv)
{
	return pv->vg ? mdpv(pv)->pe_count : 0;
}

uint64_t vm_pv_pe_alloc_count(const vm_pv *pv)
{
	if (!pv->vg)
		return 0;
	struct vmf_pvmap *m = vg_maps(pv->vg);
	return m ? m[pv->idx].used_count : 0;
}

uint64_t vm_pv_size(const vm_pv *pv)
{
	if (pv->vg)
		return mdpv(pv)->pe_count * pv->vg->md->extent_size * VMF_SECTOR;
	return pv->dev->size;
}

uint64_t vm_pv_free(const vm_pv *pv)
{
	if (!pv->vg)
		return pv->dev->size;
	return (vm_pv_pe_count(pv) - vm_pv_pe_alloc_count(pv)) * pv->vg->md->extent_size * VMF_SECTOR;
}

uint64_t vm_pv_pe_start(const vm_pv *pv)
{
	if (pv->vg)
		return mdpv(pv)->pe_start * VMF_SECTOR;
	return pv->dev->pvh.n_data ? pv->dev->pvh.data[0].offset : 0;
}

uint32_t vm_pv_mda_count(const vm_pv *pv)
{
	return pv->dev ? pv->dev->nmda : 0;
}

uint64_t vm_pv_mda_size(const vm_pv *pv)
{
	return pv->dev && pv->dev->nmda ? pv->dev->mda[0].size : 0;
}

uint64_t vm_pv_mda_free(const vm_pv *pv)
{
	if (!pv->dev || !pv->dev->nmda)
		return 0;
	const struct vm_mda *m = &pv->dev->mda[0];
	uint64_t max = vmf_ring_max_text(m->size), used = m->hdr_ok ? m->hdr.slot[0].size : 0;
	return used < max ? (max - used) & ~(uint64_t)(VMF_SECTOR - 1) : 0;   /* whole sectors, as lvm2 */
}

bool vm_pv_missing(const vm_pv *pv)
{
	return !pv->dev;
}

void vm_pv_attr(const vm_pv *pv, char out[4])
{
	const struct vmf_pv *m = mdpv(pv);
	out[0] = m && vmf_strlist_has(&m->status, "ALLOCATABLE") ? 'a' : '-';
	out[1] = m && vmf_strlist_has(&m->status, "EXPORTED") ? 'x' : '-';
	out[2] = !pv->dev ? 'm' : '-';
	out[3] = 0;
}

size_t vm_pv_tag_count(const vm_pv *pv)
{
	return pv->vg ? mdpv(pv)->tags.n : 0;
}

const char *vm_pv_tag_at(const vm_pv *pv, size_t i)
{
	return pv->vg && i < mdpv(pv)->tags.n ? mdpv(pv)->tags.v[i] : NULL;
}
