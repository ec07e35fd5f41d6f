/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

void gm_init(struct guest_mem *gm)
{
	memset(gm, 0, sizeof(*gm));
}

void gm_clear(struct guest_mem *gm)
{
	for (unsigned int i = 0; i < gm->nregions; i++) {
		struct gm_region *r = &gm->r[i];

		if (r->map_base && munmap(r->map_base, r->map_len) < 0)
			log_warn("guest memory: munmap: %s", strerror(errno));
	}
	gm_init(gm);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
			   uint64_t blen)
{
	/* Both ranges are known not to wrap, so end addresses are exact. */
	return a < b + blen && b < a + alen;
}

/*
 * A region must be non-empty, must not wrap either address space and must
 * not overlap a region already in the table: with overlaps, one guest
 * address would have two meanings.
 */
static int gm_check_region(const struct guest_mem *gm, uint64_t gpa,
			   uint64_t size, uint64_t uva)
{
	uint64_t end;

	if (size == 0 || size > SIZE_MAX)
		return -EINVAL;
	if (__builtin_add_overflow(gpa, size, &end) ||
	    __builtin_add_overflow(uva, size, &end))
		return -EINVAL;
	if (gm->nregions >= VHOST_USER_MAX_RAM_SLOTS)
		return -EINVAL;
	for (unsigned int i = 0; i < gm->nregions; i++) {
		const struct gm_region *r = &gm->r[i];

		if (ranges_overlap(gpa, size, r->gpa, r->size) ||
		    ranges_overlap(uva, size, r->uva, r->size))
			return -EINVAL;
	}
	return 0;
}

int gm_add_host_region(struct guest_mem *gm, uint64_t gpa, uint64_t size,
		       uint64_t uva, void *host)
{
	int ret = gm_check_region(gm, gpa, size, uva);

	if (ret < 0)
		return ret;
	if (host == NULL)
		return -EINVAL;
	gm->r[gm->nregions++] = (struct gm_region){
		.gpa = gpa, .size = size, .uva = uva, .host = host,
	};
	return 0;
}

/*
 * Map one region. The fd must be a regular file (memfd, hugetlbfs, tmpfs)
 * at least as large as the mapping: touching a mapping past the end of its
 * file raises SIGBUS, and a device node is nothing we should map.
 */
static int gm_map_region(struct guest_mem *gm,
			 const struct vu_mem_region *mr, int fd)
{
	struct gm_region *r;
	struct stat st;
	uint64_t map_len;
	void *base;
	int ret;

	ret = gm_check_region(gm, mr->guest_phys_addr, mr->memory_size,
			      mr->userspace_addr);
	if (ret < 0)
		return ret;
	if (__builtin_add_overflow(mr->memory_size, mr->mmap_offset,
				   &map_len) || map_len > SIZE_MAX ||
	    map_len > (uint64_t)INT64_MAX)
		return -EINVAL;
	if (fstat(fd, &st) < 0) {
		log_err("guest memory: fstat: %s", strerror(errno));
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < map_len) {
		log_err("guest memory: region fd is not a large enough file");
		return -EINVAL;
	}
	base = mmap(NULL, (size_t)map_len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (base == MAP_FAILED) {
		ret = -errno;
		log_err("guest memory: mmap %llu bytes: %s",
			(unsigned long long)map_len, strerror(errno));
		return ret == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	r = &gm->r[gm->nregions++];
	*r = (struct gm_region){
		.gpa = mr->guest_phys_addr,
		.size = mr->memory_size,
		.uva = mr->userspace_addr,
		.host = (uint8_t *)base + mr->mmap_offset,
		.map_base = base,
		.map_len = (size_t)map_len,
	};
	return 0;
}

static void close_fds(const int *fds, unsigned int nfds)
{
	for (unsigned int i = 0; i < nfds; i++) {
		if (fds[i] >= 0 && close(fds[i]) < 0)
			log_warn("guest memory: close: %s", strerror(errno));
	}
}

int gm_set_table(struct guest_mem *gm, const void *payload, size_t len,
		 const int *fds, unsigned int nfds)
{
	struct vu_mem_table t;
	size_t want;
	int ret = 0;

	gm_clear(gm);
	memset(&t, 0, sizeof(t));
	if (len < offsetof(struct vu_mem_table, regions) || len > sizeof(t)) {
		ret = -EINVAL;
		goto out;
	}
	memcpy(&t, payload, len);
	want = offsetof(struct vu_mem_table, regions) +
	       (size_t)t.nregions * sizeof(struct vu_mem_region);
	if (t.nregions == 0 || t.nregions > VHOST_USER_MAX_RAM_SLOTS ||
	    t.nregions != nfds || len != want) {
		log_err("guest memory: table of %u regions, %u fds, %zu bytes",
			t.nregions, nfds, len);
		ret = -EINVAL;
		goto out;
	}
	for (unsigned int i = 0; i < t.nregions; i++) {
		ret = gm_map_region(gm, &t.regions[i], fds[i]);
		if (ret < 0) {
			log_err("guest memory: region %u rejected", i);
			gm_clear(gm);
			break;
		}
	}
out:
	/* The mappings keep the memory; the fds are no longer needed. */
	close_fds(fds, nfds);
	return ret;
}

static const struct gm_region *gm_find_gpa(const struct guest_mem *gm,
					   uint64_t gpa)
{
	for (unsigned int i = 0; i < gm->nregions; i++) {
		const struct gm_region *r = &gm->r[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

void *gm_gpa_to_hva(const struct guest_mem *gm, uint64_t gpa, uint64_t *len)
{
	const struct gm_region *r;
	uint64_t off, left;

	if (*len == 0)
		return NULL;
	r = gm_find_gpa(gm, gpa);
	if (r == NULL)
		return NULL;
	off = gpa - r->gpa;
	left = r->size - off;
	if (*len > left)
		*len = left;
	return r->host + off;
}

void *gm_uva_to_hva(const struct guest_mem *gm, uint64_t uva, uint64_t len)
{
	if (len == 0)
		return NULL;
	for (unsigned int i = 0; i < gm->nregions; i++) {
		const struct gm_region *r = &gm->r[i];
		uint64_t off;

		if (uva < r->uva || uva - r->uva >= r->size)
			continue;
		off = uva - r->uva;
		if (len > r->size - off)
			return NULL;
		return r->host + off;
	}
	return NULL;
}
