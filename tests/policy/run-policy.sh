#!/bin/bash
# The host-side policy flags seen from a mount: vfsd serves a share over the
# host's /dev/fuse (--fuse-mount) with one flag at a time, ordinary tools
# act on the mount, and the outcome is checked on the mount and on the host.
#   --nodev            mknod of a character device: EPERM (works without)
#   --nosuid           chmod u+s and chown leave no set-user-ID (kept without)
#   --readonly         writes, creates, renames, setattr: EROFS; reads work
#   --min-free-space   8 MiB tmpfs, 4 MiB reserve: a big write stops with
#                      ENOSPC while the tmpfs still has the reserve free,
#                      and so does filling the holes of a 1 GiB sparse file
#   --min-free-inodes  tmpfs with nr_inodes=200: creates stop with ENOSPC
#                      while the reserve of inodes is still free
#
#   tests/policy/run-policy.sh --daemon-bin PATH
#
# Prints TAP; exits non-zero on any failure. Needs root.
set -u
export LC_ALL=C

# shellcheck source=../lib/runner.sh
. "$(dirname "$0")/../lib/runner.sh"
# shellcheck source=../lib/fuse.sh
. "$(dirname "$0")/../lib/fuse.sh"
fuse_daemon_arg "$@"
need_root

runner_work policy
share=$work/share
mnt=$work/mnt
log=$work/vfsd.log
cleanup() {
	fuse_cleanup
	umount -l "$share" 2>/dev/null
}
mkdir -p "$share" "$mnt"
chmod 0755 "$work"

stop_vfsd() {
	[ -n "$pid" ] || return 0
	fuse_stop
	fuse_mounted && umount -l "$mnt"
	check_sanitizer "$log"
}

# Fresh share: an empty directory, or a tmpfs with the given options.
fresh_share() {
	mountpoint -q "$share" && umount "$share"
	rm -rf "$share" && mkdir -p "$share" && chmod 0755 "$share"
	[ -z "${1:-}" ] || mount -t tmpfs -o "$1,mode=0755" vfsd-policy "$share"
}

# fails_with NAME ERRTEXT CMD...: CMD fails and says ERRTEXT.
fails_with() {
	local name=$1 want=$2 out
	shift 2
	out=$("$@" 2>&1)
	local rc=$?
	[ "$rc" -ne 0 ] && grep -q "$want" <<<"$out"
	check "$name" $? "exit $rc: $out"
}

mode_of() { stat -c %a "$1"; }

# --- nodev -----------------------------------------------------------------

fresh_share
fuse_start --nodev
check "--nodev: mounted" $? "$(tail -n 3 "$log")"
fails_with "--nodev: mknod c 1 3 is EPERM" "Operation not permitted" \
	mknod "$mnt/null" c 1 3
[ ! -e "$share/null" ]
check "--nodev: no device node on the host" $?
mknod "$mnt/b" b 7 0 2>/dev/null
check "--nodev: mknod b 7 0 refused too" $(( ! $? ))
mkfifo "$mnt/fifo" && [ -p "$share/fifo" ]
check "--nodev: a fifo is still allowed" $?
echo hi >"$mnt/file" && [ "$(cat "$share/file")" = hi ]
check "--nodev: regular files still work" $?
stop_vfsd

fresh_share
fuse_start
mknod "$mnt/null" c 1 3 && [ -c "$share/null" ]
check "without --nodev: mknod c 1 3 works" $?
stop_vfsd

# --- nosuid ----------------------------------------------------------------

fresh_share
fuse_start --nosuid
check "--nosuid: mounted" $? "$(tail -n 3 "$log")"
printf '#!/bin/sh\n' >"$mnt/prog" && chmod 0755 "$mnt/prog" &&
	chmod u+s "$mnt/prog"
check "--nosuid: chmod u+s succeeds (bits are stripped, not refused)" $?
[ "$(mode_of "$share/prog")" = 755 ]
check "--nosuid: u+s stripped on the host" $? "mode $(mode_of "$share/prog")"
chmod g+s "$mnt/prog"
[ "$(mode_of "$share/prog")" = 755 ]
check "--nosuid: g+s on a file stripped" $? "mode $(mode_of "$share/prog")"
mkdir "$mnt/dir" && chmod g+s "$mnt/dir"
[ "$(mode_of "$share/dir")" = 2755 ]
check "--nosuid: g+s on a directory kept (group inheritance)" $? \
	"mode $(mode_of "$share/dir")"
install -m 4755 "$mnt/prog" "$mnt/installed"
check "--nosuid: install -m 4755 works" $?
[ "$(mode_of "$share/installed")" = 755 ]
check "--nosuid: install -m 4755 leaves 755" $? \
	"mode $(mode_of "$share/installed")"
# Set behind the daemon's back on the host, then chown'ed through the mount
# by root, which would keep it on the host.
touch "$share/old" && chmod 4755 "$share/old"
chown 1000:1000 "$mnt/old"
[ "$(mode_of "$share/old")" = 755 ] && [ "$(stat -c %u "$share/old")" = 1000 ]
check "--nosuid: chown drops set-user-ID" $? "mode $(mode_of "$share/old")"
stop_vfsd

fresh_share
fuse_start
touch "$mnt/prog" && chmod 0755 "$mnt/prog" && chmod u+s "$mnt/prog"
[ "$(mode_of "$share/prog")" = 4755 ]
check "without --nosuid: u+s kept" $? "mode $(mode_of "$share/prog")"
stop_vfsd

# --- readonly --------------------------------------------------------------

fresh_share
echo content >"$share/file"
mkdir "$share/dir"
# With xattrs (off by default) so that setxattr reaches the policy.
fuse_start --readonly --xattr
check "--readonly: mounted" $? "$(tail -n 3 "$log")"
[ "$(cat "$mnt/file")" = content ]
check "--readonly: reads work" $?
ls "$mnt/dir" >/dev/null && stat "$mnt/file" >/dev/null
check "--readonly: readdir and stat work" $?
fails_with "--readonly: overwrite is EROFS" "Read-only file system" \
	sh -c "echo x >'$mnt/file'"
fails_with "--readonly: append is EROFS" "Read-only file system" \
	sh -c "echo x >>'$mnt/file'"
fails_with "--readonly: create is EROFS" "Read-only file system" \
	sh -c "echo x >'$mnt/new'"
fails_with "--readonly: mkdir is EROFS" "Read-only file system" \
	mkdir "$mnt/d2"
fails_with "--readonly: rename is EROFS" "Read-only file system" \
	mv "$mnt/file" "$mnt/moved"
fails_with "--readonly: unlink is EROFS" "Read-only file system" \
	rm -f "$mnt/file"
fails_with "--readonly: chmod is EROFS" "Read-only file system" \
	chmod 600 "$mnt/file"
fails_with "--readonly: utimes is EROFS" "Read-only file system" \
	touch -d @0 "$mnt/file"
fails_with "--readonly: truncate is EROFS" "Read-only file system" \
	truncate -s 0 "$mnt/file"
fails_with "--readonly: symlink is EROFS" "Read-only file system" \
	ln -s file "$mnt/link"
fails_with "--readonly: link is EROFS" "Read-only file system" \
	ln "$mnt/file" "$mnt/hard"
if command -v setfattr >/dev/null; then
	fails_with "--readonly: setxattr is EROFS" "Read-only file system" \
		setfattr -n user.x -v 1 "$mnt/file"
fi
[ "$(cat "$share/file")" = content ] && [ "$(mode_of "$share/file")" = 644 ] &&
	[ ! -e "$share/new" ] && [ ! -e "$share/moved" ] && [ ! -e "$share/d2" ]
check "--readonly: the host share is unchanged" $?
stop_vfsd

# --- min-free-space --------------------------------------------------------

fresh_share size=8M
fuse_start --min-free-space=4M
check "--min-free-space: mounted on an 8 MiB tmpfs" $? "$(tail -n 3 "$log")"
fails_with "--min-free-space=4M: writing 12 MiB ends in ENOSPC" \
	"No space left on device" \
	dd if=/dev/zero of="$mnt/big" bs=64k count=192 conv=fsync
size=$(stat -c %s "$share/big")
avail=$(( $(stat -f -c '%a * %S' "$share") ))
echo "# file $size bytes, tmpfs has $avail bytes free"
[ "$size" -ge $((3 << 20)) ] && [ "$size" -le $((4 << 20)) ]
check "--min-free-space: the file got the space above the reserve" $? \
	"size $size"
[ "$avail" -ge $((4 << 20)) ]
check "--min-free-space: the reserve is still free on the host" $? \
	"avail $avail"
dd if=/dev/zero of="$mnt/big" bs=64k count=1 conv=notrunc 2>/dev/null
check "--min-free-space: overwriting inside the file still works" $?
rm "$mnt/big" && dd if=/dev/zero of="$mnt/again" bs=64k count=16 2>/dev/null
check "--min-free-space: after a delete, writing works again" $?
stop_vfsd

fresh_share size=8M
fuse_start
dd if=/dev/zero of="$mnt/big" bs=64k count=96 2>/dev/null
check "without --min-free-space: 6 MiB fit on the 8 MiB tmpfs" $?
stop_vfsd

# A file grown by truncate is one hole: writing into it does not grow it,
# yet takes as much space as appending would.
fresh_share size=8M
fuse_start --min-free-space=4M
truncate -s 1G "$mnt/sparse"
fails_with "--min-free-space: filling a sparse file's holes ends in ENOSPC" \
	"No space left on device" \
	dd if=/dev/zero of="$mnt/sparse" bs=64k count=192 conv=notrunc,fsync
avail=$(( $(stat -f -c '%a * %S' "$share") ))
echo "# tmpfs has $avail bytes free"
[ "$avail" -ge $((4 << 20)) ]
check "--min-free-space: the reserve is still free after the holes" $? \
	"avail $avail"
stop_vfsd

# --- min-free-inodes -------------------------------------------------------

fresh_share size=8M,nr_inodes=200
fuse_start --min-free-inodes=100
check "--min-free-inodes: mounted on a tmpfs with 200 inodes" $? \
	"$(tail -n 3 "$log")"
made=0
err=
for i in $(seq 200); do
	if ! err=$(touch "$mnt/f$i" 2>&1); then
		break
	fi
	made=$i
done
ifree=$(stat -f -c %d "$share")
echo "# created $made files; tmpfs has $ifree inodes free"
grep -q "No space left on device" <<<"$err"
check "--min-free-inodes=100: creates end in ENOSPC" $? "$err"
[ "$made" -ge 90 ] && [ "$made" -lt 100 ]
check "--min-free-inodes: the files above the reserve were created" $? \
	"made $made"
[ "$ifree" -ge 100 ]
check "--min-free-inodes: the reserve is still free on the host" $? \
	"free $ifree"
fails_with "--min-free-inodes: mkdir is ENOSPC too" "No space left" \
	mkdir "$mnt/d"
rm -f "$mnt"/f1 "$mnt"/f2 && touch "$mnt/after"
check "--min-free-inodes: after deletes, a create works again" $?
stop_vfsd

fresh_share
echo "1..$ntest"
[ "$nfail" -eq 0 ]
