/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/guest_mem.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

/*
 * The mappings the SIGBUS handler repairs (see gm_set_table()). A slot is
 * published by its start (release) after the rest is set, and freed by
 * storing 0 before the mapping goes: only while no thread touches guest
 * memory, so the handler never sees a slot change under it. More slots
 * than one table has regions, for tests that keep two tables.
 */
#define GM_GUARDS (2 * VHOST_USER_MAX_RAM_SLOTS)

struct gm_guard {
	_Atomic uintptr_t start;	/* the mapping; 0: a free slot */
	uintptr_t end;
	/* The lowest address replaced by zero pages; 0: none yet. */
	_Atomic uintptr_t repaired;
	struct guest_mem *owner;
};

static struct gm_guard gm_guards[GM_GUARDS];
static pthread_mutex_t gm_guards_lock = PTHREAD_MUTEX_INITIALIZER;
/* The handler before ours; changed under gm_guards_lock, no fault then. */
static struct sigaction gm_sigbus_prev;
static uintptr_t gm_page_mask;

/* Not a fault of ours: what would have happened without our handler. */
static void gm_sigbus_pass(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	if ((gm_sigbus_prev.sa_flags & SA_SIGINFO) &&
	    gm_sigbus_prev.sa_sigaction) {
		gm_sigbus_prev.sa_sigaction(sig, si, uc);
		return;
	}
	if (gm_sigbus_prev.sa_handler != SIG_DFL &&
	    gm_sigbus_prev.sa_handler != SIG_IGN) {
		gm_sigbus_prev.sa_handler(sig);
		return;
	}
	/* A fault comes back at once and kills; a kill(2) is sent again. */
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGBUS, &dfl, NULL);
	if (si->si_code <= 0)
		raise(SIGBUS);
}

/*
 * Replace [page, end of g's mapping, or what an earlier repair left) with
 * anonymous zero pages, once per page: a thread that faulted on a page
 * another thread is repairing just faults again until it is done.
 */
static bool gm_repair(struct gm_guard *g, uintptr_t page)
{
	uintptr_t cur = atomic_load(&g->repaired);
	uintptr_t end, none = 0;

	do {
		if (cur && page >= cur)
			return true;
		end = cur ? cur : g->end;
	} while (!atomic_compare_exchange_weak(&g->repaired, &cur, page));
	if (mmap((void *)page, end - page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
		 0) == MAP_FAILED)
		return false;
	atomic_compare_exchange_strong(&g->owner->vanished_at, &none, page);
	atomic_store(&g->owner->vanished, true);
	return true;
}

/* Async-signal-safe: atomics, mmap(2), sigaction(2), raise(3). */
static void gm_on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	for (unsigned int i = 0; si->si_code > 0 && i < GM_GUARDS; i++) {
		struct gm_guard *g = &gm_guards[i];
		uintptr_t start = atomic_load_explicit(&g->start,
						       memory_order_acquire);

		if (start && a >= start && a < g->end) {
			if (gm_repair(g, a & gm_page_mask))
				return;
			break;
		}
	}
	gm_sigbus_pass(sig, si, uc);
}

/*
 * Put gm_on_sigbus() in place, unless it is: at every new table, since a
 * test framework may have put its own handler back meanwhile. Under
 * gm_guards_lock.
 */
static void gm_sigbus_install(void)
{
	struct sigaction sa = { .sa_sigaction = gm_on_sigbus,
				.sa_flags = SA_SIGINFO }, cur;
	long page = sysconf(_SC_PAGESIZE);

	gm_page_mask = ~((uintptr_t)(page > 0 ? page : 4096) - 1);
	if (sigaction(SIGBUS, NULL, &cur) == 0 &&
	    (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == gm_on_sigbus)
		return;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &gm_sigbus_prev))
		log_warn("guest memory: no SIGBUS handler: %s",
			 strerror(errno));
}

/* Guard a new mapping of gm; unguarded (logged) if every slot is taken. */
static void gm_guard_add(struct guest_mem *gm, void *base, size_t len)
{
	pthread_mutex_lock(&gm_guards_lock);
	gm_sigbus_install();
	for (unsigned int i = 0; i < GM_GUARDS; i++) {
		struct gm_guard *g = &gm_guards[i];

		if (atomic_load(&g->start))
			continue;
		g->end = (uintptr_t)base + len;
		g->owner = gm;
		atomic_store(&g->repaired, 0);
		atomic_store_explicit(&g->start, (uintptr_t)base,
				      memory_order_release);
		pthread_mutex_unlock(&gm_guards_lock);
		return;
	}
	pthread_mutex_unlock(&gm_guards_lock);
	log_warn("guest memory: no guard slot left for a region");
}

static void gm_guard_del(void *base)
{
	pthread_mutex_lock(&gm_guards_lock);
	for (unsigned int i = 0; i < GM_GUARDS; i++)
		if (atomic_load(&gm_guards[i].start) == (uintptr_t)base)
			atomic_store(&gm_guards[i].start, 0);
	pthread_mutex_unlock(&gm_guards_lock);
}

void gm_report_vanished(struct guest_mem *gm)
{
	uintptr_t at = atomic_load(&gm->vanished_at);

	if (!gm_vanished(gm) || atomic_exchange(&gm->vanish_logged, true))
		return;
	for (unsigned int i = 0; i < gm->nregions; i++) {
		const struct gm_region *r = &gm->r[i];
		uintptr_t base = (uintptr_t)r->map_base;

		if (at < base || at - base >= r->map_len)
			continue;
		log_err("guest memory: region %u (guest address %#llx) lost "
			"its pages from file offset %#llx on: the front end "
			"shrank its memory file (SIGBUS); zero pages stand in "
			"and every queue stops (logged once)", i,
			(unsigned long long)r->gpa,
			(unsigned long long)(at - base));
		return;
	}
	log_err("guest memory: lost under us (SIGBUS); every queue stops "
		"(logged once)");
}

void gm_init(struct guest_mem *gm)
{
	memset(gm, 0, sizeof(*gm));
}

void gm_clear(struct guest_mem *gm)
{
	for (unsigned int i = 0; i < gm->nregions; i++) {
		struct gm_region *r = &gm->r[i];

		if (!r->map_base)
			continue;
		gm_guard_del(r->map_base);
		if (munmap(r->map_base, r->map_len) < 0)
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
	gm_guard_add(gm, base, (size_t)map_len);
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
