/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd-client: a userspace vhost-user-fs front end for benchmarking,
 * conformance checking and attacking a virtio-fs back end.
 */
#define _XOPEN_SOURCE 700
#include "client.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vfsd-client bench|check|attack|limit|probe|migrate [OPTIONS] [-- BACKEND ARGV...]\n"
		"\n"
		"The back end is started once per session from BACKEND ARGV, with\n"
		"\"{socket}\" and \"{dir}\" replaced by a socket path and the shared\n"
		"directory, and \"{fd}\" by a listening socket it inherits (libvirt's\n"
		"--fd=N); or reached at --socket (bench only: one session).\n"
		"\n"
		"  --socket=PATH       connect to a running back end\n"
		"  --shared-dir=DIR    shared directory (default: a new one in /tmp)\n"
		"  --depth=N           requests in flight per queue (bench: 1 and 16)\n"
		"  --queues=N          request queues (bench: 1 and 2)\n"
		"  --duration=SEC      seconds per bench run (default 2)\n"
		"  --halt-poll-us=N    bench: look at the used rings up to N us before\n"
		"                      sleeping on the call eventfds, as a KVM vCPU\n"
		"                      with halt polling does (KVM: 200; default 0)\n"
		"  --entries=N         directory size for readdirplus (default 10000);\n"
		"                      migrate: inodes the guest knows in \"scale\"\n"
		"  --workload=A,B      bench only these workloads\n"
		"  --case=TEXT         check/attack/migrate only cases whose name\n"
		"                      contains TEXT\n"
		"  --smoke             short bench that verifies every byte read back\n"
		"  --csv               bench: machine-readable rows\n"
		"  --list              list workloads or cases and exit\n"
		"  --timeout=MS        reply deadline before a back end counts as hung\n"
		"  --require-inode-reuse  attack: fail the stale-nodeid cases unless the\n"
		"                      share's filesystem reused the inode number\n"
		"  --tag=TAG           check: the --tag the back end was given\n"
		"\n"
		"VFSD_CLIENT_BACKEND_LOG=FILE keeps the back end's stderr.\n");
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) < 0)
		fprintf(stderr, "vfsd-client: remove %s: %s\n", path,
			strerror(errno));
	return 0;
}

void client_remove_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int rm_below(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	return ftw->level ? rm_entry(path, sb, flag, ftw) : 0;
}

void client_empty_tree(const char *dir)
{
	nftw(dir, rm_below, 16, FTW_DEPTH | FTW_PHYS);
}

static int parse(int argc, char **argv, struct client_opts *o)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "shared-dir", required_argument, NULL, 'D' },
		{ "depth", required_argument, NULL, 'd' },
		{ "queues", required_argument, NULL, 'q' },
		{ "duration", required_argument, NULL, 't' },
		{ "halt-poll-us", required_argument, NULL, 'H' },
		{ "entries", required_argument, NULL, 'e' },
		{ "workload", required_argument, NULL, 'w' },
		{ "case", required_argument, NULL, 'c' },
		{ "smoke", no_argument, NULL, 'S' },
		{ "csv", no_argument, NULL, 'C' },
		{ "list", no_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "require-inode-reuse", no_argument, NULL, 'R' },
		{ "tag", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->socket_path = optarg; break;
		case 'D': o->shared_dir = optarg; break;
		case 'd':
			o->depth = (unsigned int)strtoul(optarg, NULL, 0);
			o->depth_set = 1;
			break;
		case 'q': o->queues = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 't': o->duration = strtod(optarg, NULL); break;
		case 'H':
			o->halt_poll_us = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'e': o->entries = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'w': o->workloads = optarg; break;
		case 'c': o->only = optarg; break;
		case 'S': o->smoke = true; break;
		case 'C': o->csv = true; break;
		case 'l': o->list = true; break;
		case 'T': o->timeout_ms = atoi(optarg); break;
		case 'R': o->require_reuse = true; break;
		case 'g': o->tag = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind < argc)
		o->backend_argv = &argv[optind];
	if (o->depth < 1 || o->depth > 256 || o->queues > VC_MAX_QUEUES - 1 ||
	    o->duration <= 0 || o->timeout_ms < 100 ||
	    o->halt_poll_us > 100000) {
		fprintf(stderr, "vfsd-client: option out of range\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct client_opts o = {
		.depth = 16,
		.duration = 2.0,
		.timeout_ms = 5000,
	};
	char tmpl[] = "/tmp/vfsd-client-share.XXXXXX";
	const char *mode;
	int r;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	mode = argv[1];
	if (parse(argc - 1, argv + 1, &o))
		return 2;
	/* A back end that dies mid-write must not kill the reporter. */
	signal(SIGPIPE, SIG_IGN);
	if (!o.list && !session_can_spawn(&o) && !o.socket_path &&
	    strcmp(mode, "limit")) {
		fprintf(stderr, "vfsd-client: give -- BACKEND ARGV or --socket\n");
		return 2;
	}
	if (!o.shared_dir && !o.list) {
		if (!mkdtemp(tmpl)) {
			perror("vfsd-client: mkdtemp");
			return 1;
		}
		o.shared_dir = tmpl;
		o.own_dir = true;
	}
	if (!strcmp(mode, "bench"))
		r = bench_main(&o);
	else if (!strcmp(mode, "limit"))
		r = limit_main(&o);
	else if (!strcmp(mode, "check"))
		r = check_main(&o);
	else if (!strcmp(mode, "attack"))
		r = attack_main(&o);
	else if (!strcmp(mode, "probe"))
		r = probe_main(&o);
	else if (!strcmp(mode, "migrate"))
		r = migrate_main(&o);
	else {
		usage(stderr);
		r = 2;
	}
	if (o.own_dir)
		client_remove_tree(o.shared_dir);
	return r;
}
