#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The walk of issue 15 over /dev/fuse: find, then stat and a read of the
# first 4 KiB of every file of a tree of N files, for each way vfsd keeps
# inode fds, interleaved round by round (the order rotates):
#   names    a directory of the filesystem, --rlimit-nofile=1024: a closed
#            inode is opened again by name (the default on a directory)
#   handles  the filesystem's root, --rlimit-nofile=1024: by file handle
#            (the default on a whole filesystem)
#   keep     a directory, --inode-fd-budget=unlimited with the hard
#            RLIMIT_NOFILE: one fd per inode, as QEMU's virtiofsd (only
#            where N files fit)
# Per run: the walk's time (the three passes together), files seen, errors,
# the daemon's peak fds (sampled every 0.1 s, supervisor and server),
# inodes known and the daemon's RssAnon growth per inode (left out when
# the host kernel dropped FUSE inodes meanwhile, under memory pressure),
# the daemon's CPU time in the walk (steadier than the wall clock on a
# busy machine); optionally the time of rm -rf of the tree through the
# mount. One line per run, then
# the median of each mode over the rounds.
#
# Usage: bench/inode-walk.sh [-b BUILD] [-n FILES] [-r ROUNDS] [-f FS]
#                            [-m MODES] [-R] [-o RAW]
#   -b   build directory holding src/cli/vfsd (default: build)
#   -n   files (default 100000), in directories of 1000
#   -r   rounds (default 3)
#   -f   tmpfs (default), ext4, xfs, btrfs (image files on loop devices)
#        or overlay (overlayfs without nfs_export over a tmpfs)
#   -m   modes, comma-separated (default names,handles,keep; keep is left
#        out when the files do not fit the hard RLIMIT_NOFILE)
#   -R   also rm -rf the tree through the mount (one mode, one round:
#        the first of -m), timed
#   -o   also write the raw lines to RAW
# Needs root. Everything made is removed at exit.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=build
nfiles=100000
rounds=3
fs=tmpfs
modes=names,handles,keep
do_rm=
raw=
while getopts b:n:r:f:m:Ro: opt; do
	case $opt in
	b) build=$OPTARG ;;
	n) nfiles=$OPTARG ;;
	r) rounds=$OPTARG ;;
	f) fs=$OPTARG ;;
	m) modes=$OPTARG ;;
	R) do_rm=1 ;;
	o) raw=$OPTARG ;;
	*) sed -n '3,34p' "$0" >&2; exit 2 ;;
	esac
done
vfsd=$(cd "$build" && pwd)/src/cli/vfsd
[ -x "$vfsd" ] || { echo "no $vfsd" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
if [ -z "${VFSD_BENCH_NS:-}" ]; then
	VFSD_BENCH_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

# guest_count_fds, guest_rss_kb: a process and its descendants.
. "$top/tests/lib/guest.sh"
. "$top/tests/lib/loop.sh"

work=$(mktemp -d /tmp/vfsd-walk.XXXXXX)
root=$work/fs
mnt=$work/mnt
pid=
sampler=
cleanup() {
	[ -n "$sampler" ] && kill "$sampler" 2>/dev/null
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	umount -l "$mnt" 2>/dev/null
	umount -R -l "$root" 2>/dev/null
	umount -l "$work/layers" 2>/dev/null
	loop_cleanup
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$root" "$mnt"
hard=$(ulimit -Hn)

case "$fs" in
tmpfs) mount -t tmpfs -o size=4g,nr_inodes=$((nfiles * 2 + 10000)) vfsd-walk "$root" ;;
ext4 | xfs | btrfs)
	truncate -s 16G "$work/fs.img"
	case "$fs" in
	ext4) mkfs.ext4 -q -F -N $((nfiles * 2 + 10000)) "$work/fs.img" ;;
	xfs) mkfs.xfs -q -f "$work/fs.img" ;;
	btrfs) mkfs.btrfs -q -f "$work/fs.img" ;;
	esac >/dev/null
	loop_attach "$work/fs.img" && mount "$loop_dev" "$root" ;;
overlay)
	mkdir "$work/layers" &&
		mount -t tmpfs -o size=4g,nr_inodes=$((nfiles * 2 + 10000)) vfsd-walk "$work/layers" &&
		mkdir "$work/layers/l" "$work/layers/u" "$work/layers/w" &&
		mount -t overlay -o lowerdir="$work/layers/l",upperdir="$work/layers/u",workdir="$work/layers/w",nfs_export=off \
			vfsd-walk "$root" ;;
*) echo "unknown -f $fs" >&2; exit 2 ;;
esac || { echo "cannot make the $fs filesystem" >&2; exit 1; }

# The tree: directories of 1000 files, each holding its own name.
t0=$(date +%s)
ndirs=$(((nfiles + 999) / 1000))
mkdir "$root/share"
for d in $(seq 1 "$ndirs"); do
	mkdir "$root/share/d$d"
	(cd "$root/share/d$d" && seq -f "f%g" 1 1000 | xargs touch)
done
echo "# $((ndirs * 1000)) files on $fs made in $(($(date +%s) - t0)) s; hard RLIMIT_NOFILE $hard"
total=$((ndirs * 1000))

# CPU time (user + system, ms) of a process and its descendants.
cpu_ms() {
	local p t=0 hz
	hz=$(getconf CLK_TCK)
	for p in $(guest_process_tree "$1"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo $((t * 1000 / hz))
}

stat_of() {
	"$vfsd" stats "$work/stats.sock" | sed -n "s/^$1  *\(.*\)$/\1/p"
}

# run MODE ROUND: one daemon, one walk, one line.
run() {
	local mode=$1 round=$2 share=$root/share tree=$mnt args t0 t1 n e
	local rss0 rss1 inodes max rm_s=- cpu0 cpu1 walk_s
	case "$mode" in
	names) args=(--rlimit-nofile=1024) ;;
	handles) args=(--rlimit-nofile=1024); share=$root; tree=$mnt/share ;;
	keep) args=(--rlimit-nofile="$hard" --inode-fd-budget=unlimited) ;;
	esac
	rm -f "$work/stats.sock"
	"$vfsd" --fuse-mount="$mnt" --shared-dir="$share" \
		--stats-socket="$work/stats.sock" "${args[@]}" >"$work/log" 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		grep -q " $mnt fuse" /proc/mounts && [ -S "$work/stats.sock" ] && break
		sleep 0.05
	done
	sleep 0.2
	rss0=$(guest_rss_kb "$pid" RssAnon)
	echo 0 >"$work/maxfds"
	bash -c '. "$1"; max=0
		while kill -0 "$2" 2>/dev/null; do
			n=$(guest_count_fds "$2")
			[ "$n" -gt "$max" ] && { max=$n; echo "$max" >"$3"; }
			sleep 0.1
		done' sampler "$top/tests/lib/guest.sh" "$pid" "$work/maxfds" &
	sampler=$!
	cpu0=$(cpu_ms "$pid")
	t0=$(date +%s.%N)
	n=$(find "$tree" -type f 2>"$work/err" | wc -l)
	find "$tree" -type f -print0 | xargs -0 stat -c %i >/dev/null 2>>"$work/err"
	find "$tree" -type f -print0 | xargs -0 head -q -c 4096 >/dev/null 2>>"$work/err"
	t1=$(date +%s.%N)
	cpu1=$(cpu_ms "$pid")
	e=$(wc -l <"$work/err")
	rss1=$(guest_rss_kb "$pid" RssAnon)
	inodes=$(stat_of inodes)
	walk_s=$(echo "$t1 - $t0" | bc)
	if [ -n "$do_rm" ]; then
		t0=$(date +%s.%N)
		rm -rf "$tree"/* 2>>"$work/err"
		rm_s=$(echo "$(date +%s.%N) - $t0" | bc)
	fi
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	sampler=
	max=$(cat "$work/maxfds")
	umount "$mnt"
	wait "$pid"
	pid=
	# The host kernel may drop (and FORGET) FUSE inodes under memory
	# pressure (a memory cgroup): then bytes per inode mean nothing.
	per=-
	[ "$inodes" -ge "$n" ] && per=$(((rss1 - rss0) * 1024 / inodes))
	printf '%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$round" \
		"$n" "$e" "$walk_s" "$max" "$inodes" \
		"$((rss1 - rss0))" "$per" "$rm_s" "$((cpu1 - cpu0))" | tee -a "$work/raw"
}

IFS=, read -r -a mode_list <<<"$modes"
if [ "$total" -gt $((hard - 200)) ]; then
	keep_ok=
	echo "# keep left out: $total files do not fit RLIMIT_NOFILE $hard"
else
	keep_ok=1
fi
printf '# mode\tround\tseen\terrors\twalk_s\tpeak_fds\tinodes\tanon_kb\tB/inode\trm_s\tdaemon_cpu_ms\n'
if [ -n "$do_rm" ]; then
	run "${mode_list[0]}" 1
	exit 0
fi
for r in $(seq 1 "$rounds"); do
	n=${#mode_list[@]}
	for k in $(seq 0 $((n - 1))); do
		m=${mode_list[$(((k + r) % n))]}
		[ "$m" = keep ] && [ -z "$keep_ok" ] && continue
		[ "$m" = handles ] && [ "$fs" = overlay ] && continue
		run "$m" "$r"
	done
done
[ -n "$raw" ] && cp "$work/raw" "$raw"
echo "# medians over $rounds rounds (walk s, peak fds, B/inode, daemon CPU ms):"
for m in "${mode_list[@]}"; do
	awk -F'\t' -v m="$m" 'BEGIN { n = 0; nb = 0 } $1 == m { t[n] = $5; f[n] = $6; c[n] = $11; n++; if ($9 != "-") b[nb++] = $9 }
		function med(a, n,   i, j, x) {
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
			return a[int(n / 2)]
		}
		END { if (n) printf "# %s\t%.2f\t%d\t%s\t%d\n", m, med(t, n), med(f, n), nb ? med(b, nb) : "-", med(c, n) }' "$work/raw"
done
