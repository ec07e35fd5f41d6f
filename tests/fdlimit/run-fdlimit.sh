#!/bin/bash
# Bounded fds over the host kernel's FUSE client: vfsd serves a whole
# tmpfs holding --files files (default 100000, in 100 directories two
# levels deep) with --fuse-mount and --rlimit-nofile=1024, and
#  - find + stat of every file and reads of a few succeed with no error
#    while the server's fd count (sampled all along) stays under 1024,
#    though it knows every file (closed inodes opened again by file
#    handle, the default for a whole filesystem; directory shares, by
#    name, are run-fs.sh's and the guest test's);
#  - files opened after the walk, whose inodes' fds were long closed, read
#    back what the host wrote (reopened by handle);
#  - a mount inside the share (a tmpfs) is walked the same way: its files
#    reopen on their own mount;
#  - CVE-2020-10717: a client that opens files until the daemon runs out of
#    fds gets errors, and the daemon keeps serving; once they are closed,
#    everything works again;
#  - the server's RSS is measured with none and with all files known and
#    printed as a "# rss" line (bytes per inode);
#  - --inode-file-handles=mandatory refuses /proc/sys (no handles there).
#
#   tests/fdlimit/run-fdlimit.sh --daemon-bin PATH [--files N]
#                                [--daemon-arg ARG]...
#
# Prints TAP; exits non-zero on any failure. Needs root.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
daemon_bin=
nfiles=100000
daemon_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--daemon-bin) daemon_bin=$2; shift ;;
	--files) nfiles=$2; shift ;;
	--daemon-arg) daemon_args+=("$2"); shift ;;
	*) echo "usage: $0 --daemon-bin PATH [--files N] [--daemon-arg ARG]..." >&2; exit 2 ;;
	esac
	shift
done
# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
need_exec "$daemon_bin" --daemon-bin
need_root

# guest_count_fds and guest_rss_kb: a process and its descendants.
# shellcheck source=../lib/guest.sh
. "$top/tests/lib/guest.sh"
# shellcheck source=../lib/fuse.sh
. "$top/tests/lib/fuse.sh"

LIMIT=1024
runner_work fdlimit
share=$work/share
mnt=$work/mnt
log=$work/vfsd.log
cleanup() {
	guest_fd_peak_stop
	fuse_cleanup
	umount -l "$share/sub" 2>/dev/null
	umount -l "$share" 2>/dev/null
}
mkdir -p "$share" "$mnt"
chmod 0755 "$work"
mount -t tmpfs -o size=256m,nr_inodes=400000 vfsd-fdlimit-share "$share" ||
	{ echo "Bail out! mount the share's tmpfs"; exit 1; }

# --- the tree: 10 x 10 directories, files spread over them ---------------

per_dir=$(((nfiles + 99) / 100))
t0=$(date +%s)
(
	cd "$share" || exit 1
	mkdir -p d{0..9}/e{0..9} || exit 1
	printf '%s\n' d{0..9}/e{0..9} | while read -r d; do
		seq -f "$d/f%g" 1 "$per_dir"
	done | xargs touch || exit 1
	for d in d{0..9}/e{0..9}; do
		echo "content of $d" >"$d/f1" || exit 1
	done
) || { echo "Bail out! cannot make the tree"; exit 1; }
total=$((per_dir * 100))
# A mount inside the share, with files of its own.
mkdir "$share/sub"
mount -t tmpfs -o size=16m vfsd-fdlimit "$share/sub" || { echo "Bail out! mount tmpfs"; exit 1; }
mkdir "$share/sub/t"
(cd "$share/sub/t" && seq -f 't%g' 1 2000 | xargs touch)
echo "on the submount" >"$share/sub/t/t1"
echo "# $total files and 2000 on a tmpfs made in $(($(date +%s) - t0)) s"

# --- the daemon ----------------------------------------------------------

# The share is a whole tmpfs: handles by default.
fuse_start \
	--rlimit-nofile=$LIMIT --cache=always --stats-socket="$work/stats.sock" \
	"${daemon_args[@]}"
check "vfsd mounted with --rlimit-nofile=$LIMIT" $? "$(tail -n 5 "$log")"
fuse_mounted || { echo "1..$ntest"; exit 1; }
sleep 0.3
rss0=$(guest_rss_kb "$pid")

# The largest fd count of the daemon's processes, sampled every 0.1 s.
guest_fd_peak_start "$pid" "$work/maxfds"

alive() {
	kill -0 "$pid" 2>/dev/null && fuse_mounted
}

# --- the walk --------------------------------------------------------------

t0=$(date +%s)
n=$(find "$mnt/d0" "$mnt/d1" "$mnt/d2" "$mnt/d3" "$mnt/d4" "$mnt/d5" \
	"$mnt/d6" "$mnt/d7" "$mnt/d8" "$mnt/d9" -type f 2>"$work/find.err" | wc -l)
check "find lists all $total files" \
	"$([ "$n" -eq "$total" ] && [ ! -s "$work/find.err" ]; echo $?)" \
	"$n files, $(head -n 2 "$work/find.err")"
n=$(find "$mnt/d0" "$mnt/d1" "$mnt/d2" "$mnt/d3" "$mnt/d4" "$mnt/d5" \
	"$mnt/d6" "$mnt/d7" "$mnt/d8" "$mnt/d9" -type f -print0 |
	xargs -0 stat -c '%i %s' 2>"$work/stat.err" | wc -l)
check "stat of every file, no error" \
	"$([ "$n" -eq "$total" ] && [ ! -s "$work/stat.err" ]; echo $?)" \
	"$n stats, $(head -n 2 "$work/stat.err")"
echo "# walk: $(($(date +%s) - t0)) s"

# The first directories' inodes had their fds closed long ago: opening a
# file there reopens its inode by handle first.
bad=0
for a in 0 1 2 3 4 5 6 7 8 9; do
	for b in 0 5 9; do
		got=$(cat "$mnt/d$a/e$b/f1" 2>&1)
		[ "$got" = "content of d$a/e$b" ] || { bad=$((bad + 1)); echo "# d$a/e$b/f1: $got"; }
	done
done
check "30 files read back after the walk" "$bad"
# vfsd stats: "inode fds   N" and "inode reopens   N".
stat_of() {
	"$daemon_bin" stats "$work/stats.sock" | sed -n "s/^$1  *\([0-9]*\)$/\1/p"
}
stat_of_text() {
	"$daemon_bin" stats "$work/stats.sock" | sed -n "s/^$1  *\(.*\)$/\1/p"
}
ifds=$(stat_of "inode fds")
reopens=$(stat_of "inode reopens")
mode=$(stat_of_text "inode mode")
echo "# vfsd stats: ${ifds:-?} inode fds open, ${reopens:-?} reopened ${mode:-?}"
check "the reads reopened idle inodes by handle, within the budget" \
	"$([ "${reopens:-0}" -ge 30 ] && [ "${ifds:-9999}" -le $((LIMIT / 2)) ] &&
	  [ "$mode" = "by file handle" ]; echo $?)" \
	"inode fds ${ifds:-?}, reopens ${reopens:-?}, mode ${mode:-?}"
echo "appended" >>"$mnt/d0/e0/f2" 2>"$work/w.err"
check "a write to an idle file lands on the host" \
	"$([ "$(cat "$share/d0/e0/f2")" = appended ]; echo $?)" "$(cat "$work/w.err")"

# --- the mount inside the share --------------------------------------------

n=$(find "$mnt/sub" -type f -print0 | xargs -0 stat -c '%d %i' 2>"$work/sub.err" | wc -l)
check "stat of the 2000 files on the submount" \
	"$([ "$n" -eq 2000 ] && [ ! -s "$work/sub.err" ]; echo $?)" \
	"$n, $(head -n 2 "$work/sub.err")"
# Push the submount's inodes out of the budget, then read one.
find "$mnt/d9" -type f -print0 | xargs -0 stat -c '%i' >/dev/null 2>&1
check "a submount file read after its fd was closed" \
	"$([ "$(cat "$mnt/sub/t/t1" 2>&1)" = "on the submount" ]; echo $?)"

# --- fds while walking ------------------------------------------------------

guest_fd_peak_stop
max=$guest_fd_peak
echo "# daemon fds (supervisor and server): at most $max during the walks," \
	"limit $LIMIT per process"
check "the daemon's fds stayed under the limit while it learnt every file" \
	"$([ "$max" -gt 0 ] && [ "$max" -lt $LIMIT ]; echo $?)" "max $max"

# --- memory ----------------------------------------------------------------

rss1=$(guest_rss_kb "$pid")
inodes=$((total + 2000 + 100 + 10 + 3))
echo "# rss: ${rss0} KiB with no inode known, ${rss1} KiB with $inodes:" \
	"$(((rss1 - rss0) * 1024 / inodes)) bytes per inode"

# --- CVE-2020-10717: a client holding every fd it can get ------------------

# A subshell with a limit of its own far above the daemon's.
find "$share" -type f | head -n 3000 | sed "s|^$share/||" >"$work/open.list"
listed=$(wc -l <"$work/open.list")
opened=$(bash -c '
	ulimit -n 8192 || exit 1
	n=0
	while read -r f; do
		{ exec {fd}<"$1/$f"; } 2>/dev/null || break
		n=$((n + 1))
	done <"$2"
	echo "$n"
	stat "$1/d5/e5/f3" >/dev/null 2>&1
	echo "a lookup meanwhile: status $?" >&2
' opener "$mnt" "$work/open.list" 2>"$work/full.txt")
echo "# the client opened $opened files before an error; $(cat "$work/full.txt")"
check "CVE-2020-10717: opening files until fds run out ends in an error" \
	"$([ "${opened:-0}" -gt 100 ] && [ "${opened:-0}" -lt "$listed" ]; echo $?)" \
	"opened ${opened:-none} of $listed"
check "CVE-2020-10717: the daemon lives on and serves" \
	"$(alive && [ "$(cat "$mnt/d3/e3/f1")" = "content of d3/e3" ]; echo $?)" \
	"$(tail -n 3 "$log")"
n=$(find "$mnt/d4" -type f 2>/dev/null | wc -l)
check "CVE-2020-10717: after the client closed them, a walk works" \
	"$([ "$n" -eq $((per_dir * 10)) ]; echo $?)" "$n files"

umount "$mnt"
for _ in $(seq 100); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
wait "$pid"
check "vfsd exits with status 0 at unmount" $? "$(tail -n 3 "$log")"
pid=

# --- mandatory on a file system without handles ----------------------------

out=$(timeout 20 "$daemon_bin" --fuse-mount="$mnt" --shared-dir=/proc/sys \
	--inode-file-handles=mandatory 2>&1)
rc=$?
check "--inode-file-handles=mandatory refuses a share without handles" \
	"$([ "$rc" -eq 1 ] && ! fuse_mounted && grep -q "mandatory" <<<"$out"; echo $?)" \
	"status $rc: $out"
echo "1..$ntest"
[ "$nfail" -eq 0 ]
