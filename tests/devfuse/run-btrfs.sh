#!/bin/bash
# A share on btrfs through the host's FUSE client (vfsd --fuse-mount),
# where the two things btrfs does differently show:
#  - subvolumes number their inodes afresh, and a FUSE mount without
#    submounts shows one st_dev: two files in two subvolumes must still
#    show two (st_dev, st_ino), hard links one, and readdir's d_ino what
#    stat says; GNU tar, which takes two files with one (st_dev, st_ino)
#    for hard links, must restore both contents;
#  - btrfs fixes the end of a listing when the directory is opened: files
#    made between opendir(3) and the first readdir(3) must be listed.
#
#   tests/devfuse/run-btrfs.sh --daemon-bin PATH
#
# Runs in a private mount namespace; the image, its loop device and the
# mounts go at exit. Prints TAP; a TAP SKIP without root or mkfs.btrfs.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
need_root
need_cmd mkfs.btrfs
runner_private_ns "$@"

# shellcheck source=../lib/fuse.sh
. "$top/tests/lib/fuse.sh"
# shellcheck source=../lib/loop.sh
. "$top/tests/lib/loop.sh"
# shellcheck source=../lib/realfs.sh
. "$top/tests/lib/realfs.sh"

cleanup() { fuse_cleanup; realfs_cleanup; loop_cleanup; }
fuse_runner btrfs "$@"

realfs_mount btrfs "$share" "$work" 256M
case $? in
0) ;;
2) skip_all "no loop device" ;;
*) bail "cannot make a btrfs image" ;;
esac
btrfs subvolume create "$share/sv1" >/dev/null &&
	btrfs subvolume create "$share/sv2" >/dev/null &&
	echo one >"$share/sv1/a" && echo two >"$share/sv2/a" &&
	ln "$share/sv1/a" "$share/sv1/hard" && mkdir "$share/d" ||
	{ echo "Bail out! cannot fill the share"; exit 1; }
hi=$(stat -c %i "$share/sv1/a")
check "on the host the two files share an inode number ($hi), on two devices" \
	"$([ "$(stat -c %i "$share/sv1/a")" = "$(stat -c %i "$share/sv2/a")" ] &&
		[ "$(stat -c %d "$share/sv1/a")" != "$(stat -c %d "$share/sv2/a")" ]; echo $?)"

fuse_start || { echo "Bail out! vfsd did not mount"; sed 's/^/# /' "$log"; exit 1; }

a=$(stat -c %d:%i "$mnt/sv1/a")
b=$(stat -c %d:%i "$mnt/sv2/a")
check "through the mount the two files show two (st_dev, st_ino)" \
	"$([ "$a" != "$b" ]; echo $?)" "both $a"
h=$(stat -c %d:%i "$mnt/sv1/hard")
check "a hard link shows its file's number" "$([ "$h" = "$a" ]; echo $?)" "$h, file $a"
again=$(stat -c %d:%i "$mnt/sv1/a")
check "the number stays the same" "$([ "$again" = "$a" ]; echo $?)" "$again, was $a"
d_ino=$(ls -i "$mnt/sv2" | awk '$2 == "a" { print $1 }')
check "readdir's d_ino is stat's" "$([ "$d_ino" = "${b#*:}" ]; echo $?)" "ls -i $d_ino, stat ${b#*:}"
mkdir "$work/out"
(cd "$mnt" && tar cf - sv1 sv2) | tar xf - -C "$work/out"
check "GNU tar copies both files with their own contents" \
	"$([ "$(cat "$work/out/sv1/a")" = one ] && [ "$(cat "$work/out/sv2/a")" = two ]; echo $?)" \
	"sv2/a: $(cat "$work/out/sv2/a" 2>&1)"

n=$(python3 - "$mnt/d" "$share/d" <<'PY'
import os, sys
listing = os.scandir(sys.argv[1])   # opendir(3): OPENDIR
for i in range(10):
    open(os.path.join(sys.argv[2], "f%d" % i), "w").close()
print(len(list(listing)))            # the first readdir(3): READDIR
PY
)
check "files made between opendir and the first readdir are listed" \
	"$([ "$n" = 10 ]; echo $?)" "$n of 10"

fuse_stop
check "vfsd exited 0" "$([ "$status" = 0 ]; echo $?)" "status $status"
check_sanitizer "$log"
echo "1..$ntest"
[ "$nfail" -eq 0 ]
