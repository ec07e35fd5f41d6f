/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vfsd config`: print the host and guest configuration that shares one
 * directory with a VM through vfsd, for libvirt (domain XML fragments), for
 * a bare QEMU command line, or for the guest's fstab.
 */
#ifndef VFSD_CLI_SETUP_CONFIG_H
#define VFSD_CLI_SETUP_CONFIG_H

#include <stdint.h>
#include <stdio.h>

enum setup_format {
	SETUP_FORMAT_LIBVIRT,
	SETUP_FORMAT_QEMU,
	SETUP_FORMAT_FSTAB,
};

enum setup_backing {
	SETUP_BACKING_MEMFD,
	SETUP_BACKING_FILE,
};

/** What `vfsd config` describes; strings are borrowed, never freed. */
struct setup_config {
	const char *tag;
	const char *shared_dir;
	const char *binary;	/* NULL: leave it to vhost-user discovery */
	const char *socket_path;	/* qemu format */
	const char *mount_point;	/* in the guest */
	const char *cache;	/* NULL: the daemon's default */
	const char *sandbox;	/* NULL: the daemon's default */
	uint64_t memory;	/* guest RAM in bytes */
	unsigned int cpus;
	unsigned int thread_pool_size;	/* 0: the daemon's default */
	enum setup_backing backing;
	enum setup_format format;
};

/**
 * Parse a size: a number with an optional K, M, G or T suffix (powers of
 * 1024, optional trailing "iB" or "B"); a bare number is MiB, as for QEMU's
 * -m. Returns 0, or -1 for a malformed, zero or overflowing size.
 */
int setup_parse_size(const char *s, uint64_t *bytes);

/**
 * Check a virtio-fs tag: 1 to 36 bytes (the config-space field), printable
 * ASCII without spaces, quotes, commas or backslashes, so it needs no
 * escaping in XML, on a command line or in fstab. Returns 0 or -1.
 */
int setup_check_tag(const char *tag);

/** Print c in c->format to out. Returns 0, or -1 if writing failed. */
int setup_config_print(FILE *out, const struct setup_config *c);

/** `vfsd config ARGS`: argv[0] is "config". Returns the exit status. */
int setup_config_main(int argc, char *argv[]);

#endif
