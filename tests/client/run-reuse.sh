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
# exit. Prints TAP. Exit 77 without root, mkfs.ext4 or loop devices.
set -u

client=${1:?usage: run-reuse.sh VFSD_CLIENT VFSD [DAEMON ARG...]}
vfsd=${2:?usage: run-reuse.sh VFSD_CLIENT VFSD [DAEMON ARG...]}
shift 2

skip() {
	echo "1..0 # SKIP $*"
	exit 77
}

[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 not installed"
command -v losetup >/dev/null || skip "losetup not installed"
command -v unshare >/dev/null || skip "unshare not installed"
if [ -z "${VFSD_REUSE_NS:-}" ]; then
	VFSD_REUSE_NS=1 exec unshare --mount --propagation private \
		"${BASH_SOURCE[0]}" "$client" "$vfsd" "$@"
	skip "unshare failed"
fi

work=$(mktemp -d /tmp/vfsd-reuse.XXXXXX) || exit 1
loop=
made_nodes=()
cleanup() {
	umount "$work/share" 2>/dev/null
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	for n in "${made_nodes[@]}"; do
		rm -f "$n"
	done
	rm -rf "$work"
}
trap cleanup EXIT

# A fresh machine may have loop support but no /dev/loop-control or
# /dev/loopN nodes (a static /dev): make the ones needed, remove them after.
need_node() {
	[ -e "$1" ] && return 0
	mknod -m 0600 "$1" "$2" "$3" "$4" || return 1
	made_nodes+=("$1")
}

attach_loop() {
	local n
	loop=$(losetup -f --show "$work/fs.img" 2>/dev/null) && return 0
	loop=
	need_node /dev/loop-control c 10 237 || return 1
	for _ in 1 2 3; do
		n=$(losetup -f 2>/dev/null) || return 1
		need_node "$n" b 7 "${n#/dev/loop}" || return 1
		losetup "$n" "$work/fs.img" 2>/dev/null && { loop=$n; return 0; }
	done
	return 1
}

truncate -s 32M "$work/fs.img" && mkfs.ext4 -q -F "$work/fs.img" ||
	{ echo "Bail out! mkfs.ext4 failed"; exit 1; }
attach_loop || skip "no loop device could be attached"
mkdir "$work/share"
mount -t ext4 "$loop" "$work/share" || { echo "Bail out! mount $loop"; exit 1; }

# Handles are mandatory (or names asked for): either way the fds of idle
# inodes close, which is what the case is about.
"$client" attack --case=stale_nodeid_ --require-inode-reuse \
	--shared-dir="$work/share" -- \
	"$vfsd" --socket-path={socket} --shared-dir={dir} \
	--inode-file-handles="${VFSD_REUSE_MODE:-mandatory}" --inode-fd-budget=4 "$@"
exit $?
