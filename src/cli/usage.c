/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "cli/options.h"
#include "vfsd_config.h"

void usage_print_help(const char *prog)
{
	printf("Usage: %s --socket-path=PATH --shared-dir=DIR [OPTIONS]\n"
	       "       %s --fd=N -o source=DIR[,cache=...][,...] [OPTIONS]\n"
	       "       %s --fuse-mount=MOUNTPOINT --shared-dir=DIR [OPTIONS]\n"
	       "\n"
	       "Serve DIR to a virtual machine as a virtio-fs device over a\n"
	       "vhost-user socket (QEMU's vhost-user-fs-pci).\n"
	       "\n"
	       "Front end:\n"
	       "  --socket-path=PATH        listen on a new unix socket at PATH\n"
	       "  --socket-group=GROUP      make the socket group-accessible\n"
	       "  --fd=N                    accept on inherited listening socket N\n"
	       "  --fuse-mount=DIR          serve the host instead: mount DIR via\n"
	       "                            /dev/fuse (unmounted again on exit)\n"
	       "  --stats-socket=PATH       serve metrics on a unix socket (read\n"
	       "                            them with `vfsd stats PATH`)\n"
	       "\n"
	       "Share:\n"
	       "  --shared-dir=DIR          the host directory the guest sees\n"
	       "  --cache=never|auto|always guest caching (default auto)\n"
	       "  --writeback               use the guest's writeback cache\n"
	       "  --allow-direct-io         honour the guest's O_DIRECT\n"
	       "  --no-readdirplus          answer READDIR without attributes\n"
	       "  --xattr, --no-xattr       extended attributes (default on)\n"
	       "  --posix-lock              POSIX locks on the host (fcntl; a\n"
	       "                            blocking wait needs worker threads)\n"
	       "  --flock                   flock(2) locks on the host\n"
	       "  --announce-submounts      tell the guest about mounts inside DIR\n"
	       "                            (their own st_dev in the guest)\n"
	       "\n"
	       "Host-side policy (instead of mount options or a partition):\n"
	       "  --nodev                   no block or character devices (EPERM)\n"
	       "  --nosuid                  strip set-user-ID, and set-group-ID\n"
	       "                            but on directories\n"
	       "  --readonly                every change is EROFS\n"
	       "  --min-free-space=SIZE     keep SIZE (K, M, G, T) free on the\n"
	       "                            host: ENOSPC for creates and writes\n"
	       "  --min-free-inodes=N       keep N inodes free on the host\n"
	       "  --translate-uid=RULE      map user ids between guest and host:\n"
	       "                            map|guest|host|squash-guest|squash-host\n"
	       "                            :FROM:TO:COUNT, forbid-guest:FROM:COUNT\n"
	       "  --translate-gid=RULE      the same for group ids\n"
	       "\n"
	       "Daemon:\n"
	       "  --thread-pool-size=N      worker threads (0: serve in queue threads)\n"
	       "  --rlimit-nofile=N         open-file limit (default: the hard limit)\n"
	       "  --inode-file-handles=MODE never: an fd per inode; prefer (default):\n"
	       "                            file handles where the file system has\n"
	       "                            them, so idle inodes close their fd;\n"
	       "                            mandatory: refuse a share without them\n"
	       "  --inode-fd-budget=N       inode fds kept open with file handles\n"
	       "                            (default: half the open-file limit)\n"
	       "  --sandbox=MODE            namespace (default): pivot_root into\n"
	       "                            DIR in new namespaces; chroot; none\n"
	       "  --seccomp=MODE            system-call allowlist: kill (default),\n"
	       "                            log, trap or none\n"
	       "  --modcaps=+CAP:-CAP       capabilities to keep beyond or drop\n"
	       "                            from the default set\n"
	       "  --log-level=LEVEL         error, warn, info (default) or debug\n"
	       "  --syslog                  log to syslog instead of stderr\n"
	       "  -d                        same as --log-level=debug\n"
	       "  -f                        stay in the foreground (always the case)\n"
	       "  --print-capabilities      print the vhost-user capabilities (JSON)\n"
	       "  -V, --version             print the version\n"
	       "  -h, --help                print this help\n"
	       "\n"
	       "Legacy options (-o, comma separated, \",,\" for a comma in DIR):\n"
	       "  source=DIR  cache=none|auto|always  sandbox=MODE  log_level=LEVEL\n"
	       "  modcaps=+CAP:-CAP\n"
	       "  thread_pool_size=N  writeback  allow_direct_io  xattr  no_xattr\n"
	       "  flock  no_flock  posix_lock  no_posix_lock\n"
	       "  nodev  nosuid  readonly (ro)  min_free_space=SIZE\n"
	       "  min_free_inodes=N  announce_submounts  no_announce_submounts\n"
	       "  inode_file_handles=MODE\n"
	       "\n"
	       "vfsd exits with status 0 when the front end disconnects.\n",
	       prog, prog, prog);
}

void usage_print_version(void)
{
	printf("vfsd %s\n", VFSD_VERSION);
}

void usage_print_capabilities(void)
{
	/* libvirt reads "type" and, with "separate-options", the modern form. */
	printf("{\n  \"type\": \"fs\",\n  \"features\": [\n"
	       "    \"separate-options\"\n  ]\n}\n");
}
