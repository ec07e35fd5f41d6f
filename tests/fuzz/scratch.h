/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The scratch share of the fuzz targets that run the real passthrough
 * filesystem: a size-capped tmpfs in a private mount namespace (so a WRITE
 * or FALLOCATE at a huge offset cannot fill a host disk), detached from
 * the tree and reached only through an fd, so nothing is left behind on
 * exit; a plain temporary directory when not root. It holds a file, a
 * directory with a file in it, a symlink pointing out of the share and a
 * fifo.
 */
#ifndef VFSD_TESTS_FUZZ_SCRATCH_H
#define VFSD_TESTS_FUZZ_SCRATCH_H

/** Set the share up (once, from LLVMFuzzerInitialize); exits on failure. */
void fz_scratch_init(const char *who);

/** Empty the share and put its fixtures back. */
void fz_populate(void);

/** The share's path (/proc/self/fd/N), for pt_opts.shared_dir. */
const char *fz_share_path(void);

#endif
