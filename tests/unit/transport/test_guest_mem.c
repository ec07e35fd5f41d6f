/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport/guest_mem.h"

static uint8_t buf_a[0x1000];
static uint8_t buf_b[0x1000];

/* Two adjacent regions: gpa [0x10000, 0x11000) and [0x11000, 0x12000). */
static void two_regions(struct guest_mem *gm)
{
	gm_init(gm);
	assert_int_equal(gm_add_host_region(gm, 0x10000, 0x1000, 0x7f0000,
					    buf_a), 0);
	assert_int_equal(gm_add_host_region(gm, 0x11000, 0x1000, 0x900000,
					    buf_b), 0);
}

static void test_translate_inside(void **state)
{
	struct guest_mem gm;
	uint64_t len = 16;

	(void)state;
	two_regions(&gm);
	assert_ptr_equal(gm_gpa_to_hva(&gm, 0x10010, &len), buf_a + 0x10);
	assert_int_equal(len, 16);
	len = 1;
	assert_ptr_equal(gm_gpa_to_hva(&gm, 0x11fff, &len), buf_b + 0xfff);
	assert_int_equal(len, 1);
}

static void test_translate_clips_at_region_end(void **state)
{
	struct guest_mem gm;
	uint64_t len = 0x100;

	(void)state;
	two_regions(&gm);
	/* Straddles into the second region: clipped to the first. */
	assert_ptr_equal(gm_gpa_to_hva(&gm, 0x10ff0, &len), buf_a + 0xff0);
	assert_int_equal(len, 0x10);
	/* The rest continues in the second region. */
	len = 0x100 - 0x10;
	assert_ptr_equal(gm_gpa_to_hva(&gm, 0x11000, &len), buf_b);
	assert_int_equal(len, 0xf0);
	/* Past the end of the last region: clipped to what is there. */
	len = 0x100;
	assert_ptr_equal(gm_gpa_to_hva(&gm, 0x11f80, &len), buf_b + 0xf80);
	assert_int_equal(len, 0x80);
}

static void test_translate_outside(void **state)
{
	struct guest_mem gm;
	uint64_t len = 4;

	(void)state;
	two_regions(&gm);
	assert_null(gm_gpa_to_hva(&gm, 0x0, &len));
	len = 4;
	assert_null(gm_gpa_to_hva(&gm, 0xffff, &len));
	len = 4;
	assert_null(gm_gpa_to_hva(&gm, 0x12000, &len));
	len = 4;
	assert_null(gm_gpa_to_hva(&gm, UINT64_MAX, &len));
	len = 0;
	assert_null(gm_gpa_to_hva(&gm, 0x10000, &len));
}

static void test_translate_gap(void **state)
{
	struct guest_mem gm;
	uint64_t len = 8;

	(void)state;
	gm_init(&gm);
	assert_int_equal(gm_add_host_region(&gm, 0x0, 0x1000, 0x1000, buf_a),
			 0);
	assert_int_equal(gm_add_host_region(&gm, 0x3000, 0x1000, 0x5000,
					    buf_b), 0);
	assert_null(gm_gpa_to_hva(&gm, 0x1000, &len));
	len = 8;
	assert_null(gm_gpa_to_hva(&gm, 0x2ff8, &len));
	len = 0x2000;
	assert_ptr_equal(gm_gpa_to_hva(&gm, 0x800, &len), buf_a + 0x800);
	assert_int_equal(len, 0x800);
}

static void test_uva_whole_range_only(void **state)
{
	struct guest_mem gm;

	(void)state;
	two_regions(&gm);
	assert_ptr_equal(gm_uva_to_hva(&gm, 0x7f0000, 0x1000), buf_a);
	assert_ptr_equal(gm_uva_to_hva(&gm, 0x900800, 0x800), buf_b + 0x800);
	/* One byte too long, or starting before, or empty. */
	assert_null(gm_uva_to_hva(&gm, 0x900800, 0x801));
	assert_null(gm_uva_to_hva(&gm, 0x7effff, 2));
	assert_null(gm_uva_to_hva(&gm, 0x7f0000, 0));
	assert_null(gm_uva_to_hva(&gm, UINT64_MAX - 4, 8));
}

static void test_bad_regions_rejected(void **state)
{
	struct guest_mem gm;

	(void)state;
	two_regions(&gm);
	/* Overlapping guest-physical ranges, either way round. */
	assert_int_equal(gm_add_host_region(&gm, 0x10800, 0x1000, 0xa00000,
					    buf_a), -EINVAL);
	assert_int_equal(gm_add_host_region(&gm, 0xf800, 0x1000, 0xa00000,
					    buf_a), -EINVAL);
	assert_int_equal(gm_add_host_region(&gm, 0x0, 0x100000, 0xa00000,
					    buf_a), -EINVAL);
	/* Overlapping front-end addresses. */
	assert_int_equal(gm_add_host_region(&gm, 0x20000, 0x1000, 0x7f0800,
					    buf_a), -EINVAL);
	/* Zero size, wrapping ranges. */
	assert_int_equal(gm_add_host_region(&gm, 0x20000, 0, 0xa00000, buf_a),
			 -EINVAL);
	assert_int_equal(gm_add_host_region(&gm, UINT64_MAX - 0xfff, 0x1001,
					    0xa00000, buf_a), -EINVAL);
	assert_int_equal(gm_add_host_region(&gm, 0x20000, 0x1000,
					    UINT64_MAX - 0x10, buf_a),
			 -EINVAL);
	assert_int_equal(gm.nregions, 2);
}

static void test_too_many_regions(void **state)
{
	struct guest_mem gm;

	(void)state;
	gm_init(&gm);
	for (unsigned int i = 0; i < VHOST_USER_MAX_RAM_SLOTS; i++)
		assert_int_equal(gm_add_host_region(&gm, i * 0x1000ULL, 0x1000,
						    i * 0x1000ULL, buf_a), 0);
	assert_int_equal(gm_add_host_region(&gm, 0x100000, 0x1000, 0x100000,
					    buf_a), -EINVAL);
}

static int make_memfd(size_t size)
{
	int fd = memfd_create("test-guest-mem", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void test_set_table_maps_and_closes(void **state)
{
	struct guest_mem gm;
	struct vu_mem_table t = { .nregions = 2 };
	int fds[2] = { make_memfd(0x3000), make_memfd(0x2000) };
	size_t len = offsetof(struct vu_mem_table, regions) +
		     2 * sizeof(struct vu_mem_region);
	uint64_t n = 4;
	uint8_t *p;

	(void)state;
	t.regions[0] = (struct vu_mem_region){ 0x0, 0x2000, 0x40000000,
					       0x1000 };
	t.regions[1] = (struct vu_mem_region){ 0x100000, 0x2000, 0x50000000,
					       0 };
	gm_init(&gm);
	assert_int_equal(gm_set_table(&gm, &t, len, fds, 2), 0);
	assert_false(fd_is_open(fds[0]));
	assert_false(fd_is_open(fds[1]));
	assert_int_equal(gm.nregions, 2);
	/* The write through one address is seen through the other. */
	p = gm_gpa_to_hva(&gm, 0x1ffc, &n);
	assert_non_null(p);
	assert_int_equal(n, 4);
	memcpy(p, "abcd", 4);
	assert_memory_equal(gm_uva_to_hva(&gm, 0x40001ffc, 4), "abcd", 4);
	gm_clear(&gm);
	assert_int_equal(gm.nregions, 0);
}

/* One region at gpa 0 over a memfd of pages pages; *keep stays ours. */
static void map_one(struct guest_mem *gm, unsigned int pages, int *keep)
{
	struct vu_mem_table t = { .nregions = 1 };
	size_t len = offsetof(struct vu_mem_table, regions) +
		     sizeof(struct vu_mem_region);
	int fd = make_memfd(pages * 0x1000u);

	*keep = dup(fd);
	assert_true(*keep >= 0);
	t.regions[0] = (struct vu_mem_region){ 0, pages * 0x1000u,
					       0x40000000, 0 };
	gm_init(gm);
	assert_int_equal(gm_set_table(gm, &t, len, &fd, 1), 0);
}

static uint8_t *page_of(struct guest_mem *gm, uint64_t gpa)
{
	uint64_t n = 0x1000;
	uint8_t *p = gm_gpa_to_hva(gm, gpa, &n);

	assert_non_null(p);
	return p;
}

/*
 * The front end shrinks the file behind a region: our loads and stores
 * past its new end see zero pages instead of SIGBUS, the table says it
 * vanished, and what is left of the file is still shared.
 */
static void test_shrunk_region_reads_zeros(void **state)
{
	struct guest_mem gm;
	uint8_t *p0, *p3;
	int fd;

	(void)state;
	map_one(&gm, 4, &fd);
	p0 = page_of(&gm, 0);
	p3 = page_of(&gm, 0x3000);
	memset(p0, 0xab, 0x1000);
	memset(p3, 0xcd, 0x1000);
	assert_false(gm_vanished(&gm));
	assert_int_equal(ftruncate(fd, 0x1000), 0);
	assert_int_equal(p3[17], 0);
	assert_true(gm_vanished(&gm));
	/* A store on another lost page, below the first repair. */
	page_of(&gm, 0x2000)[5] = 1;
	assert_int_equal(p0[0], 0xab);
	p0[1] = 0x11;
	assert_int_equal(pwrite(fd, "x", 1, 2), 1);
	assert_int_equal(p0[2], 'x');
	gm_report_vanished(&gm);
	gm_clear(&gm);
	assert_false(gm_vanished(&gm));
	close(fd);
}

/* A SIGBUS outside guest memory still ends the process, as it did. */
static void test_other_sigbus_still_fatal(void **state)
{
	struct guest_mem gm;
	int fd, status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* As in the daemon: the default action before our handler. */
		int own = make_memfd(0x2000);
		volatile uint8_t *p = mmap(NULL, 0x2000, PROT_READ,
					   MAP_SHARED, own, 0);

		signal(SIGBUS, SIG_DFL);
		map_one(&gm, 1, &fd);
		if (p == MAP_FAILED || ftruncate(own, 0))
			_exit(2);
		(void)p[0x1000];
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGBUS);
}

static void test_set_table_rejects(void **state)
{
	struct guest_mem gm;
	struct vu_mem_table t = { .nregions = 1 };
	size_t len1 = offsetof(struct vu_mem_table, regions) +
		      sizeof(struct vu_mem_region);
	int fds[2];
	int pipefd[2];

	(void)state;
	gm_init(&gm);
	t.regions[0] = (struct vu_mem_region){ 0x0, 0x2000, 0x1000, 0 };

	/* Count and fds disagree: both fds closed anyway. */
	fds[0] = make_memfd(0x2000);
	fds[1] = make_memfd(0x2000);
	assert_int_equal(gm_set_table(&gm, &t, len1, fds, 2), -EINVAL);
	assert_false(fd_is_open(fds[0]));
	assert_false(fd_is_open(fds[1]));

	/* Size disagrees with the count. */
	fds[0] = make_memfd(0x2000);
	assert_int_equal(gm_set_table(&gm, &t, len1 + 8, fds, 1), -EINVAL);
	assert_false(fd_is_open(fds[0]));

	/* File shorter than the region (would SIGBUS). */
	fds[0] = make_memfd(0x1000);
	assert_int_equal(gm_set_table(&gm, &t, len1, fds, 1), -EINVAL);
	assert_false(fd_is_open(fds[0]));

	/* Offset + size overflows. */
	t.regions[0].mmap_offset = UINT64_MAX - 0x1000;
	fds[0] = make_memfd(0x2000);
	assert_int_equal(gm_set_table(&gm, &t, len1, fds, 1), -EINVAL);
	t.regions[0].mmap_offset = 0;

	/* Not a file. */
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(gm_set_table(&gm, &t, len1, pipefd, 1), -EINVAL);
	assert_false(fd_is_open(pipefd[0]));
	assert_int_equal(close(pipefd[1]), 0);

	/* Zero regions; more than eight. */
	t.nregions = 0;
	assert_int_equal(gm_set_table(&gm, &t, 8, fds, 0), -EINVAL);
	t.nregions = 9;
	assert_int_equal(gm_set_table(&gm, &t, sizeof(t), fds, 0), -EINVAL);
	assert_int_equal(gm.nregions, 0);
}

static void test_set_table_overlap_unmaps_partial(void **state)
{
	struct guest_mem gm;
	struct vu_mem_table t = { .nregions = 2 };
	int fds[2] = { make_memfd(0x2000), make_memfd(0x2000) };
	size_t len = offsetof(struct vu_mem_table, regions) +
		     2 * sizeof(struct vu_mem_region);

	(void)state;
	t.regions[0] = (struct vu_mem_region){ 0x0, 0x2000, 0x10000, 0 };
	t.regions[1] = (struct vu_mem_region){ 0x1000, 0x1000, 0x20000, 0 };
	gm_init(&gm);
	assert_int_equal(gm_set_table(&gm, &t, len, fds, 2), -EINVAL);
	assert_int_equal(gm.nregions, 0);
	assert_false(fd_is_open(fds[0]));
	assert_false(fd_is_open(fds[1]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate_inside),
		cmocka_unit_test(test_translate_clips_at_region_end),
		cmocka_unit_test(test_translate_outside),
		cmocka_unit_test(test_translate_gap),
		cmocka_unit_test(test_uva_whole_range_only),
		cmocka_unit_test(test_bad_regions_rejected),
		cmocka_unit_test(test_too_many_regions),
		cmocka_unit_test(test_set_table_maps_and_closes),
		cmocka_unit_test(test_set_table_rejects),
		cmocka_unit_test(test_set_table_overlap_unmaps_partial),
		cmocka_unit_test(test_shrunk_region_reads_zeros),
		cmocka_unit_test(test_other_sigbus_still_fatal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
