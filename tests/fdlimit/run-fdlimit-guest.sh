#!/bin/bash
# Bounded fds and submounts seen from a TCG guest: vfsd serves, with
# --rlimit-nofile=1024 and --announce-submounts, a share that is a
# directory of a tmpfs (so closed inodes are found again by name, the
# default where file handles could reach past the share) holding --files
# files in 100 directories and two more tmpfs mounts, top/ and sub/, whose
# inode numbers collide. tests/fdlimit/guest-walk.sh runs in the guest:
# find and stat of every file, a few reads, a directory the guest renames
# and an open file it unlinks after the walk closed their fds, and the
# submount checks (own st_dev, no (st_dev, st_ino) twice). The host samples
# the daemon's fd count and vfsd stats all along: fds under the limit,
# inode fds within the budget, no reopen that found a file gone.
#
#   tests/fdlimit/run-fdlimit-guest.sh --daemon-bin PATH [--files N]
#                                      [--daemon-arg ARG]... [--timeout S]
#
# Prints TAP; exits non-zero on any failure. Needs root and QEMU.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
daemon_bin=
nfiles=100000
# The unmount sends one FORGET per inode: 100,000 of them through a TCG
# guest take minutes when the host is busy.
timeout_s=540
daemon_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--daemon-bin) daemon_bin=$2; shift ;;
	--files) nfiles=$2; shift ;;
	--daemon-arg) daemon_args+=("$2"); shift ;;
	--timeout) timeout_s=$2; shift ;;
	*) echo "usage: $0 --daemon-bin PATH [--files N] [--daemon-arg ARG]... [--timeout S]" >&2; exit 2 ;;
	esac
	shift
done

. "$top/tests/lib/runner.sh"
. "$top/tests/lib/guest.sh"
runner_diag() { guest_diag_all; }

need_root
need_cmd qemu-system-x86_64
need_exec "$daemon_bin" --daemon-bin

LIMIT=1024
runner_work fdlimit-guest
share=$work/share
cleanup() {
	guest_cleanup
	umount -l "$share/top" "$share/sub" 2>/dev/null
	umount -l "$work/fs" 2>/dev/null
}
chmod 0755 "$work"

# --- the share: a directory of a tmpfs, with top/ and sub/ tmpfs mounts --

mkdir "$work/fs" && mount -t tmpfs -o size=256m,nr_inodes=400000 vfsd-fdlimit "$work/fs" ||
	bail "mount the tmpfs"
share=$work/fs/share
mkdir "$share" "$share/top" "$share/sub"
# Fresh tmpfs number their inodes from the same start: collisions.
for d in top sub; do
	mount -t tmpfs -o size=4m,nr_inodes=1000 "vfsd-fdlimit-$d" "$share/$d" ||
		bail "mount tmpfs on $d"
	(cd "$share/$d" && seq -f "$d%g" 1 50 | xargs touch)
done
pair=
for f in "$share"/top/*; do
	g=$(find "$share/sub" -inum "$(stat -c %i "$f")" | head -n 1)
	[ -n "$g" ] && { pair="top/${f##*/} sub/${g##*/}"; break; }
done
[ -n "$pair" ] || bail "no inode number shared by top/ and sub/"
echo "$pair" >"$share/pair"
t0=$(date +%s)
per_dir=$(((nfiles + 99) / 100))
for i in $(seq -w 0 99); do
	mkdir "$share/tree/d$i" -p
	(cd "$share/tree/d$i" && seq -f 'f%g' 1 "$per_dir" | xargs touch)
	echo "content of d$i" >"$share/tree/d$i/f1"
done
echo $((per_dir * 100)) >"$share/expect"
echo "# $((per_dir * 100)) files made in $(($(date +%s) - t0)) s; colliding pair: $pair"

# --- guest and daemon --------------------------------------------------------

guest_prepare "$work/initrd.gz" /bin/busybox --file "$here/guest-walk.sh:/bin/guest-run" \
	>"$work/initramfs.log" 2>&1 || { guest_diag initramfs "$work/initramfs.log"; bail "initramfs"; }
sock=$work/vhost-fs.sock
guest_start_daemon vfsd "$daemon_bin" "$share" "$sock" "$work/daemon.log" \
	--rlimit-nofile=$LIMIT --announce-submounts \
	--stats-socket="$work/stats.sock" "${daemon_args[@]}" ||
	bail "vfsd did not create $sock"

max_fds=0
max_inode_fds=0
polls=0
# vfsd stats: the value of a line "NAME   VALUE" of the last sample.
stat_of() {
	sed -n "s/^$1  *\(.*\)$/\1/p" "$work/stats.last" 2>/dev/null
}
guest_poll() {
	local n
	n=$(guest_count_fds "$guest_daemon_pid")
	[ "$n" -gt "$max_fds" ] && max_fds=$n
	polls=$((polls + 1))
	[ $((polls % 5)) -eq 0 ] || return 0
	"$daemon_bin" stats "$work/stats.sock" >"$work/stats.new" 2>/dev/null &&
		mv "$work/stats.new" "$work/stats.last"
	n=$(stat_of "inode fds")
	[ "${n:-0}" -gt "$max_inode_fds" ] && max_inode_fds=$n
}
guest_boot "$work/initrd.gz" "$sock" vfsd-fdlimit run "$timeout_s"
guest_wait_daemon 10

# --- results ---------------------------------------------------------------

guest_check_boot "$timeout_s"
guest_relay_tap guest
echo "# daemon fds (supervisor and server): at most $max_fds while the guest ran"
check "the daemon's fds stayed under the limit of $LIMIT" \
	"$([ "$max_fds" -gt 0 ] && [ "$max_fds" -lt $LIMIT ]; echo $?)" "max $max_fds"
budget=$(stat_of "inode fd budget")
echo "# vfsd stats, last sample: $(tr '\n' ' ' <"$work/stats.last" 2>/dev/null | grep -o 'inode fds.*')"
check "inodes reopened by name, inode fds at most the budget ($budget) all along" \
	"$([ "$(stat_of "inode mode")" = "by name" ] && [ "$max_inode_fds" -gt 0 ] &&
	  [ "$max_inode_fds" -le "${budget:-0}" ] && [ "$(stat_of "inode reopens")" -gt 0 ]; echo $?)" \
	"mode $(stat_of "inode mode"), at most $max_inode_fds inode fds"
check "no reopen found a file gone: the guest's renames were followed" \
	"$([ "$(stat_of "inode stale")" = 0 ]; echo $?)" "stale $(stat_of "inode stale")"
check "the host sees the guest's rename and unlink" \
	"$([ -f "$share/tree/d00.moved/f1" ] && [ ! -e "$share/tree/d00" ] &&
	  [ ! -e "$share/tree/d01/f1" ]; echo $?)"
check "vfsd exited by itself with status 0 after QEMU went away" \
	"$([ "${guest_daemon_rc:-1}" = 0 ]; echo $?)" "status ${guest_daemon_rc:-still running}"
check_sanitizer "$work/daemon.log"

echo "1..$ntest"
if [ "$nfail" -ne 0 ]; then
	guest_diag_all
	exit 1
fi
exit 0
