#!/bin/bash
# Inode numbers reused under a stale nodeid (vfsd-client attack, cases
# stale_nodeid_*): the share is a whole ext4 filesystem on a loop device
# made here (ext4 gives a freed inode number to the next new file at
# once), the daemon keeps an fd budget of 4 so that the guest's idle
# inodes' fds are closed, and a device node (made by the guest) and a fifo
# (made by the host) take the number of a file the guest unlinked but
# still holds. The stale nodeid must answer ESTALE or ENOENT to every
# operation, open nothing and block nothing. Closed inodes are opened again
# by file handle (mandatory), or with VFSD_REUSE_MODE=never by name.
#
#   tests/client/run-reuse.sh VFSD_CLIENT VFSD [DAEMON ARG...]
#
# Runs in a private mount namespace, so nothing stays mounted; the loop
# device (and its node, on a machine whose /dev has none) is removed at
# exit. Prints TAP. A TAP SKIP (1..0) without root, mkfs.ext4 or loop devices.
set -u

client=${1:?usage: run-reuse.sh VFSD_CLIENT VFSD [DAEMON ARG...]}
vfsd=${2:?usage: run-reuse.sh VFSD_CLIENT VFSD [DAEMON ARG...]}
shift 2

# shellcheck source=../lib/runner.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/runner.sh"
need_root
need_cmd mkfs.ext4 losetup
runner_private_ns "$client" "$vfsd" "$@"

# shellcheck source=../lib/loop.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/loop.sh"

runner_work reuse
cleanup() {
	umount "$work/share" 2>/dev/null
	loop_cleanup
}

truncate -s 32M "$work/fs.img" && mkfs.ext4 -q -F "$work/fs.img" ||
	{ echo "Bail out! mkfs.ext4 failed"; exit 1; }
loop_attach "$work/fs.img" || skip_all "no loop device could be attached"
mkdir "$work/share"
mount -t ext4 "$loop_dev" "$work/share" || { echo "Bail out! mount $loop_dev"; exit 1; }

# Handles are mandatory (or names asked for): either way the fds of idle
# inodes close, which is what the case is about.
"$client" attack --case=stale_nodeid_ --require-inode-reuse \
	--shared-dir="$work/share" -- \
	"$vfsd" --socket-path={socket} --shared-dir={dir} \
	--inode-file-handles="${VFSD_REUSE_MODE:-mandatory}" --inode-fd-budget=4 "$@"
exit $?
