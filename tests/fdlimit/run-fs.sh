#!/bin/bash
# Bounded inode fds on one kind of filesystem, over the host kernel's FUSE
# client: vfsd serves, with --rlimit-nofile=1024 and its default budget, a
# share of --files files in 25 directories on a filesystem this script
# makes (--fs):
#   dir      a directory of /tmp's filesystem
#   tmpfs, ext4, xfs, btrfs
#            a tmpfs, or an image file on a loop device (btrfs with a
#            subvolume inside the share holding an eighth of the files;
#            not --whole)
#   overlay  overlayfs without nfs_export (no file handles at all: its
#            files are told apart by AT_HANDLE_FID ids), files in the
#            lower and the upper layer
#   overlay-nfs  overlayfs with index=on,nfs_export=on
# The share is a directory of that filesystem (closed inodes are opened
# again by name), or with --whole its root (by file handle where the
# filesystem opens them). Checks:
#  - find, stat and a read of the first 4 KiB of every file: every file
#    seen, every byte what the host reads, the daemon's fds (sampled all
#    along) under the limit and its inode fds within the budget;
#  - the mode the daemon says it runs in (vfsd stats, the startup line),
#    and CAP_DAC_READ_SEARCH kept only to open file handles;
#  - a directory the client renames while its files' fds are closed: the
#    files read back through the new name, and no reopen found a file gone;
#  - a directory a host process renames, with another put in its place:
#    each path reads what the host has there, never the other file;
#  - a file the client keeps open and unlinks: it still reads;
#  - 3000 files created through the mount (the issue's overlayfs case:
#    one fd per inode ran out at about a thousand);
#  - rm -rf of the whole tree through the mount;
#  - the daemon exits 0 at unmount;
#  - with --fs dir, a second daemon with --inode-fd-budget=unlimited (one
#    fd per inode) runs out of fds in the walk and logs it once, naming
#    what to do.
#
#   tests/fdlimit/run-fs.sh --daemon-bin PATH --fs KIND [--whole]
#                           [--files N] [--daemon-arg ARG]...
#
# Runs in a private mount namespace; images, loop devices and mounts go at
# exit. Prints TAP; a TAP SKIP (1..0) without root or the filesystem's tools.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
daemon_bin=
fs=
whole=
nfiles=5000
daemon_args=()
args=("$@")
while [ $# -gt 0 ]; do
	case "$1" in
	--daemon-bin) daemon_bin=$2; shift ;;
	--fs) fs=$2; shift ;;
	--whole) whole=1 ;;
	--files) nfiles=$2; shift ;;
	--daemon-arg) daemon_args+=("$2"); shift ;;
	*) echo "usage: $0 --daemon-bin PATH --fs KIND [--whole] [--files N] [--daemon-arg ARG]..." >&2; exit 2 ;;
	esac
	shift
done

# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"

need_exec "$daemon_bin" --daemon-bin
case "$fs$whole" in
dir1 | btrfs1) bail "--whole makes no sense with --fs $fs" ;;
esac
need_root
case "$fs" in
dir | tmpfs | overlay | overlay-nfs) ;;
ext4 | xfs | btrfs) need_cmd "mkfs.$fs" ;;
*) bail "unknown --fs '$fs'" ;;
esac
runner_private_ns "${args[@]}"

# guest_count_fds: a process and its descendants.
# shellcheck source=../lib/guest.sh
. "$top/tests/lib/guest.sh"
# shellcheck source=../lib/fuse.sh
. "$top/tests/lib/fuse.sh"
# shellcheck source=../lib/loop.sh
. "$top/tests/lib/loop.sh"
# shellcheck source=../lib/realfs.sh
. "$top/tests/lib/realfs.sh"

LIMIT=1024
runner_work fs
root=$work/fs
mnt=$work/mnt
log=$work/vfsd.log
cleanup() {
	guest_fd_peak_stop
	fuse_cleanup
	umount -R "$root" 2>/dev/null
	umount "$work/layers" 2>/dev/null
	realfs_cleanup
	loop_cleanup
}
mkdir -p "$root" "$mnt"
chmod 0755 "$work"

# --- the filesystem and the share ----------------------------------------

make_image() {
	realfs_mount "$fs" "$root" "$work"
	case $? in
	0) ;;
	77) skip_all "mkfs.$fs not installed" ;;
	2) skip_all "no loop device could be attached" ;;
	*) return 1 ;;
	esac
}

make_overlay() {
	local opts=lowerdir=$work/layers/lower,upperdir=$work/layers/upper,workdir=$work/layers/work
	# The layers on a tmpfs of their own: overlayfs wants an upper
	# layer with xattrs and file handles of its own.
	mkdir -p "$work/layers" &&
		mount -t tmpfs -o size=256m,nr_inodes=200000 vfsd-fs-layers "$work/layers" &&
		mkdir "$work/layers/lower" "$work/layers/upper" "$work/layers/work" || return 1
	# Half the tree in the lower layer, made before the mount.
	make_tree "$work/layers/lower/share" 0 12 || return 1
	if [ "$fs" = overlay ]; then
		opts=$opts,nfs_export=off
	else
		opts=$opts,index=on,nfs_export=on
	fi
	mount -t overlay -o "$opts" vfsd-fs-overlay "$root" || skip_all "overlayfs ($opts) cannot be mounted"
}

# make_tree DIR FROM TO: directories dFROM..dTO, files named and filled
# with their own path so that a file read in the place of another shows.
per_dir=$(((nfiles + 24) / 25))
make_tree() {
	local d i
	mkdir -p "$1" || return 1
	for i in $(seq "$2" "$3"); do
		d=$1/d$i
		mkdir -p "$d" || return 1
		(cd "$d" && for f in $(seq -f "f%g" 1 "$per_dir"); do
			echo "d$i/$f" >"$f"
		done) || return 1
	done
}

case "$fs" in
dir) ;;
tmpfs) mount -t tmpfs -o size=256m,nr_inodes=200000 vfsd-fs "$root" ;;
ext4 | xfs | btrfs) make_image ;;
overlay | overlay-nfs) make_overlay ;;
esac || bail "cannot make the $fs filesystem"

t0=$(date +%s)
share=$root/share
case "$fs" in
overlay*) make_tree "$share" 13 24 ;;
btrfs)
	# A subvolume numbers its inodes from 256 again, and the FUSE client
	# shows one st_dev (no submounts over /dev/fuse): find refuses a
	# directory whose number one above it has. So the subvolume's first
	# number goes to a file, and the share is not the root (256 too).
	make_tree "$share" 0 21 &&
		btrfs subvolume create "$share/subvol" >/dev/null &&
		touch "$share/subvol/first" && make_tree "$share/subvol" 22 24 ;;
*) make_tree "$share" 0 24 ;;
esac || bail "cannot make the tree"
# t: where the tree is in the share.
t=
[ -n "$whole" ] && { share=$root; t=share/; }
# The overlay's own directories (upper, work) are not in it: the share's
# root is the overlay, or its share/.
total=$(find "$share" -type f | wc -l)
[ "$total" -ge "$nfiles" ] || bail "only $total files made"
echo "# $total files on $fs made in $(($(date +%s) - t0)) s; share $share"

# --- the daemon ------------------------------------------------------------

fuse_start --rlimit-nofile=$LIMIT --stats-socket="$work/stats.sock" \
	"${daemon_args[@]}"
check "vfsd mounted $share ($fs) with --rlimit-nofile=$LIMIT" $? "$(tail -n 5 "$log")"
fuse_mounted || { echo "1..$ntest"; exit 1; }

guest_fd_peak_start "$pid" "$work/maxfds"

# vfsd stats: the value of a line "NAME   VALUE".
stat_of() {
	"$daemon_bin" stats "$work/stats.sock" | sed -n "s/^$1  *\(.*\)$/\1/p"
}

if [ -n "$whole" ] && [ "$fs" != dir ] && [ "$fs" != overlay ]; then
	want_mode="by file handle"
else
	want_mode="by name"
fi
mode=$(stat_of "inode mode")
line=$(grep "inode fds:" "$log")
check "inodes reopened $want_mode, said at start" \
	"$([ "$mode" = "$want_mode" ] && grep -q "reopened $want_mode" <<<"$line"; echo $?)" \
	"stats: $mode; log: $line"
# CAP_DAC_READ_SEARCH (bit 2) only where handles are opened.
srv=$(pgrep -P "$pid" | head -n 1)
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/${srv:-0}/status" 2>/dev/null)
has_cap=$(( (0x${capeff:-0} >> 2) & 1 ))
check "the server holds CAP_DAC_READ_SEARCH only to open handles" \
	"$([ -n "$capeff" ] && [ "$has_cap" = "$([ "$want_mode" = "by file handle" ]; echo $((1 - $?)))" ]; echo $?)" \
	"CapEff ${capeff:-?} of pid ${srv:-?}"
if [ "$fs" = overlay ]; then
	check "overlayfs without nfs_export: files told apart by AT_HANDLE_FID ids" \
		"$(grep -q "AT_HANDLE_FID" <<<"$line"; echo $?)" "$line"
fi

# --- the walk --------------------------------------------------------------

t0=$(date +%s.%N)
n=$(find "$mnt" -type f 2>"$work/find.err" | wc -l)
check "find lists all $total files" \
	"$([ "$n" -eq "$total" ] && [ ! -s "$work/find.err" ]; echo $?)" \
	"$n files, $(head -n 2 "$work/find.err")"
n=$(find "$mnt" -type f -print0 | xargs -0 stat -c '%i' 2>"$work/stat.err" | wc -l)
check "stat of every file, no error" \
	"$([ "$n" -eq "$total" ] && [ ! -s "$work/stat.err" ]; echo $?)" \
	"$n stats, $(head -n 2 "$work/stat.err")"
# The first 4 KiB of every file, in the same order on both sides.
sum() {
	(cd "$1" && find . -type f -print0 | sort -z |
		xargs -0 head -q -c 4096 | md5sum)
}
host_sum=$(sum "$share")
mnt_sum=$(sum "$mnt" 2>"$work/read.err")
check "the first 4 KiB of every file read back as the host has them" \
	"$([ "$host_sum" = "$mnt_sum" ] && [ ! -s "$work/read.err" ]; echo $?)" \
	"$(head -n 2 "$work/read.err")"
echo "# walk: $(echo "$(date +%s.%N) - $t0" | bc) s"

budget=$(stat_of "inode fd budget")
ifds=$(stat_of "inode fds")
evicted=$(stat_of "inode evictions")
reopens=$(stat_of "inode reopens")
echo "# vfsd stats: inode fds ${ifds:-?} of ${budget:-?}, ${evicted:-?} closed, ${reopens:-?} reopened"
check "inode fds within the budget, idle ones closed and reopened" \
	"$([ "${ifds:-99999}" -le "${budget:-0}" ] && [ "${evicted:-0}" -gt 0 ] &&
	  [ "${reopens:-0}" -gt 0 ]; echo $?)" \
	"inode fds ${ifds:-?}, budget ${budget:-?}, closed ${evicted:-?}, reopened ${reopens:-?}"

# --- renames -------------------------------------------------------------

# The client renames d3 (whose files' fds were closed by the walk).
stale0=$(stat_of "inode stale")
mv "$mnt/${t}d3" "$mnt/${t}d3.moved" 2>"$work/mv.err"
got=$(cat "$mnt/${t}d3.moved/f1" "$mnt/${t}d3.moved/f$per_dir" 2>&1 | tr '\n' ' ')
stale1=$(stat_of "inode stale")
check "a directory renamed by the client: its files read back, none stale" \
	"$([ "$got" = "d3/f1 d3/f$per_dir " ] && [ "$stale1" = "$stale0" ] &&
	  [ ! -e "$share/${t}d3" ]; echo $?)" \
	"read '$got', stale $stale0 -> $stale1, $(cat "$work/mv.err")"

# A host process renames d4 and makes another d4 with other files.
mv "$share/${t}d4" "$share/${t}d4.host" && mkdir "$share/${t}d4" &&
	echo "other" >"$share/${t}d4/f1"
old=$(cat "$mnt/${t}d4.host/f1" 2>&1)
new=$(cat "$mnt/${t}d4/f1" 2>&1)
check "a directory renamed by the host: each path reads what is there" \
	"$([ "$old" = "d4/f1" ] && [ "$new" = "other" ]; echo $?)" \
	"d4.host/f1: '$old', d4/f1: '$new'"

# An open file the client unlinks, then a walk that closes idle fds.
exec {held}<"$mnt/${t}d5/f2"
rm "$mnt/${t}d5/f2"
find "$mnt/${t}d6" "$mnt/${t}d7" -type f -print0 | xargs -0 stat -c %i >/dev/null
got=$(cat <&"$held" 2>&1)
exec {held}<&-
check "an open file unlinked by the client still reads" \
	"$([ "$got" = "d5/f2" ]; echo $?)" "read '$got'"

# --- creates ----------------------------------------------------------------

mkdir "$mnt/${t}new" && (cd "$mnt/${t}new" && seq -f "n%g" 1 3000 | xargs touch) 2>"$work/new.err"
n=$(find "$share/${t}new" -type f | wc -l)
check "3000 files created through the mount" \
	"$([ "$n" -eq 3000 ] && [ ! -s "$work/new.err" ]; echo $?)" \
	"$n on the host, $(head -n 2 "$work/new.err")"

# --- rm -rf, fds, exit --------------------------------------------------------

# A btrfs subvolume is removed by btrfs(8), not by rmdir: it stays.
rm -rf "$mnt"/* 2>&1 | grep -v "subvol': Operation not permitted" >"$work/rm.err"
left=$(find "$share" -mindepth 1 -not -path "$share/subvol" -not -path "$share/share/subvol" | wc -l)
check "rm -rf of the tree through the mount" \
	"$([ "$left" -eq 0 ] && [ ! -s "$work/rm.err" ]; echo $?)" \
	"$left entries left, $(head -n 2 "$work/rm.err")"

guest_fd_peak_stop
max=$guest_fd_peak
echo "# daemon fds (supervisor and server): at most $max, limit $LIMIT per process"
check "the daemon's fds stayed under the limit" \
	"$([ "$max" -gt 0 ] && [ "$max" -lt $LIMIT ]; echo $?)" "max $max"

umount "$mnt"
fuse_wait_exit
check "vfsd exits with status 0 at unmount" \
	"$([ "$status" = 0 ]; echo $?)" "status $status, $(tail -n 3 "$log")"
check_sanitizer "$log"

# --- one fd per inode: EMFILE, said once --------------------------------------

if [ "$fs" = dir ]; then
	# More files than the open-file limit, in one directory.
	mkdir "$share/many" && (cd "$share/many" && seq -f "m%g" 1 $((LIMIT + 500)) | xargs touch) ||
		bail "cannot make the files"
	fuse_start --rlimit-nofile=$LIMIT --inode-fd-budget=unlimited "${daemon_args[@]}"
	check "vfsd mounted with --inode-fd-budget=unlimited" $? "$(tail -n 5 "$log")"
	find "$mnt" -type f -print0 2>/dev/null | xargs -0 stat -c %i >/dev/null 2>"$work/stat.err"
	said=$(grep -c "out of file descriptors" "$log")
	check "one fd per inode: the walk runs out of fds, said once with what to do" \
		"$([ -s "$work/stat.err" ] && [ "$said" -eq 1 ] &&
		  grep -q "leave out --inode-fd-budget=unlimited" "$log"; echo $?)" \
		"$(head -n 1 "$work/stat.err"); said $said times: $(grep "out of file" "$log")"
	umount "$mnt"
	fuse_wait_exit
	check "vfsd exits with status 0 at unmount" \
		"$([ "$status" = 0 ]; echo $?)" "status $status, $(tail -n 3 "$log")"
fi
echo "1..$ntest"
[ "$nfail" -eq 0 ]
