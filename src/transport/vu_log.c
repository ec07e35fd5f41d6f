/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/vu_log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

int vu_log_init(struct vu_log *l)
{
	memset(l, 0, sizeof(*l));
	atomic_init(&l->on, false);
	return -pthread_rwlock_init(&l->lock, NULL);
}

static void vu_log_unmap(void *map, size_t len)
{
	if (map && munmap(map, len))
		log_warn("vhost-user: munmap of the dirty log: %s",
			 strerror(errno));
}

void vu_log_fini(struct vu_log *l)
{
	vu_log_unmap(l->map, l->map_len);
	l->map = NULL;
	l->bits = NULL;
	pthread_rwlock_destroy(&l->lock);
}

/*
 * The file must not shrink under the mapping: a store past its end would
 * be a SIGBUS in a worker. QEMU seals its log; seal it ourselves if not.
 */
static int vu_log_sealed(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals >= 0 && (seals & F_SEAL_SHRINK))
		return 0;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0)
		return 0;
	log_err("vhost-user: the dirty log's file can shrink under us "
		"(not sealed with F_SEAL_SHRINK, and cannot be)");
	return -EINVAL;
}

static int vu_log_map(int fd, uint64_t size, uint64_t offset, void **map,
		      size_t *len)
{
	struct stat st;
	int ret;

	if (size == 0 || size > VU_LOG_MAX_SIZE || offset > VU_LOG_MAX_SIZE) {
		log_err("vhost-user: dirty log of %llu bytes at %llu refused",
			(unsigned long long)size, (unsigned long long)offset);
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < 0 || size + offset > (uint64_t)st.st_size) {
		log_err("vhost-user: dirty log reaches past its file's end");
		return -EINVAL;
	}
	ret = vu_log_sealed(fd);
	if (ret < 0)
		return ret;
	*len = (size_t)(size + offset);
	*map = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED) {
		ret = -errno;
		*map = NULL;
		return ret;
	}
	return 0;
}

int vu_log_set(struct vu_log *l, int fd, uint64_t size, uint64_t offset)
{
	void *map, *old;
	size_t len, old_len;
	int ret;

	ret = vu_log_map(fd, size, offset, &map, &len);
	if (close(fd) < 0)
		log_warn("vhost-user: close: %s", strerror(errno));
	if (ret < 0)
		return ret;
	pthread_rwlock_wrlock(&l->lock);
	old = l->map;
	old_len = l->map_len;
	l->map = map;
	l->map_len = len;
	l->bits = (uint8_t *)map + offset;
	l->size = size;
	pthread_rwlock_unlock(&l->lock);
	vu_log_unmap(old, old_len);
	return 0;
}

void vu_log_enable(struct vu_log *l, bool on)
{
	atomic_store(&l->on, on);
}

/* Under the read lock. Pages past the bitmap's end are the front end's. */
static void vu_log_mark(struct vu_log *l, uint64_t gpa, uint64_t len)
{
	uint64_t page, last;

	if (!l->bits || len == 0 || gpa > UINT64_MAX - (len - 1))
		return;
	last = (gpa + len - 1) / VHOST_LOG_PAGE;
	for (page = gpa / VHOST_LOG_PAGE; page <= last; page++) {
		if (page / 8 >= l->size)
			return;
		__atomic_fetch_or(&l->bits[page / 8],
				  (uint8_t)(1u << (page % 8)),
				  __ATOMIC_RELAXED);
	}
}

void vu_log_gpa(struct vu_log *l, uint64_t gpa, uint64_t len)
{
	pthread_rwlock_rdlock(&l->lock);
	vu_log_mark(l, gpa, len);
	pthread_rwlock_unlock(&l->lock);
}

/* The guest-physical address of host address p, or false. */
static bool vu_log_hva_to_gpa(const struct guest_mem *gm, uintptr_t p,
			      uint64_t *gpa, uint64_t *room)
{
	for (unsigned int i = 0; i < gm->nregions; i++) {
		const struct gm_region *r = &gm->r[i];
		uintptr_t start = (uintptr_t)r->host;

		if (p >= start && p - start < r->size) {
			*gpa = r->gpa + (p - start);
			*room = r->size - (p - start);
			return true;
		}
	}
	return false;
}

void vu_log_iov(struct vu_log *l, const struct guest_mem *gm,
		const struct iovec *iov, unsigned int cnt)
{
	pthread_rwlock_rdlock(&l->lock);
	for (unsigned int k = 0; k < cnt; k++) {
		uint64_t gpa, room, len = iov[k].iov_len;

		/* The chain's iovecs were cut at region ends: one each. */
		if (vu_log_hva_to_gpa(gm, (uintptr_t)iov[k].iov_base, &gpa,
				      &room))
			vu_log_mark(l, gpa, len < room ? len : room);
	}
	pthread_rwlock_unlock(&l->lock);
}
