#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vfsd over the host's /dev/fuse against libfuse 3.18's passthrough_hp at
# its best (FUSE over io_uring and kernel passthrough of reads and writes;
# ../shared/peers/passthrough_hp-3.18.2) and the plain host directory (the
# limit), all in one file system under /tmp. vfsd runs with what makes it
# fastest on this kernel: FUSE over io_uring (on by itself where the
# kernel allows it) and passthrough (--modcaps=+sys_admin). The bench sets
# /sys/module/fuse/parameters/enable_uring to Y and puts it back after.
# Workloads: fio (seq read/write 1 MiB, rand read/write 4 KiB, 1 and 4
# jobs, psync, buffered), create/stat/unlink of many files, readdir of a
# big directory, untar of a tree of small files, and the FUSE round trip
# (stat()/fstat() on one file with attribute caching off). Targets run
# interleaved, one after another for every workload, in an order that
# rotates each round; each row is the median of the rounds [min-max] and
# the ratios of the medians. See bench/README.md for what is measured.
#
# Usage: bench/fuse.sh [-b BUILD] [-r ROUNDS] [-t SECONDS] [-p THREADS]
#                      [-c CACHE] [-o RAW] [-q]
#   -b   build directory holding src/cli/vfsd (default: build)
#   -r   rounds (default 3)
#   -t   seconds per fio run and per stat loop (default 5)
#   -p   worker threads of vfsd (--thread-pool-size, default 4)
#   -c   vfsd's --cache (default always: 86400 s timeouts, as
#        passthrough_hp's default)
#   -o   also keep the raw results (row target round value) in RAW
#   -q   quick smoke run: 1 round, 1 s runs, smaller files and counts
# Needs root (mount), fio (installed with apt-get if missing), cc, tar.
set -eu

build=build
rounds=3
runtime=5
threads=4
cache=always
keep=
fio_size=256M
nfiles=20000
ndirent=10000
passes=5
ntree=5000

while getopts b:r:t:p:c:o:q opt; do
	case $opt in
	b) build=$OPTARG ;;
	r) rounds=$OPTARG ;;
	t) runtime=$OPTARG ;;
	p) threads=$OPTARG ;;
	c) cache=$OPTARG ;;
	o) keep=$OPTARG ;;
	q) rounds=1; runtime=1; fio_size=64M; nfiles=2000; ndirent=2000
	   passes=2; ntree=1000 ;;
	*) sed -n '2,30p' "$0"; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
vfsd=$build/src/cli/vfsd
hp=${PASSTHROUGH_HP:-../shared/peers/passthrough_hp-3.18.2}
uring_param=/sys/module/fuse/parameters/enable_uring
uring_was=
[ -x "$hp" ] || { echo "bench/fuse.sh: missing $hp (see ../shared/peers/README.md)" >&2; exit 1; }
[ -x "$vfsd" ] || { echo "bench/fuse.sh: missing $vfsd (build first)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench/fuse.sh: needs root to mount" >&2; exit 1; }
if ! command -v fio >/dev/null; then
	apt-get install -y fio >/dev/null || { echo "bench/fuse.sh: no fio" >&2; exit 1; }
fi

work=$(mktemp -d /tmp/vfsd-fusebench.XXXXXX)
chmod 0755 "$work"
pids=
mnts=
cleanup() {
	local p m
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $pids; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for m in $mnts; do
		if awk -v m="$m" '$2 == m { f = 1 } END { exit !f }' /proc/mounts; then
			umount -l "$m" || true
		fi
	done
	rm -rf "$work"
	[ -z "$uring_was" ] || echo "$uring_was" >"$uring_param"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools -------------------------------------------------------------

cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$work/metabench" bench/metabench.c
metabench=$work/metabench
if [ -w "$uring_param" ]; then
	uring_was=$(cat "$uring_param")
	echo Y >"$uring_param"
fi

# A tree of small files, packed once; each untar run unpacks it afresh.
mk_tree() {
	local d f i=0
	for d in $(seq 0 $(( (ntree + 99) / 100 - 1 ))); do
		mkdir -p "$work/tree/d$d"
		for f in $(seq 0 99); do
			[ "$i" -lt "$ntree" ] || break
			printf '%*s' $(( (i * 397) % 8192 )) '' >"$work/tree/d$d/f$f"
			i=$((i + 1))
		done
	done
	tar -cf "$work/tree.tar" -C "$work" tree
	rm -rf "$work/tree"
}
mk_tree

# --- targets -----------------------------------------------------------

is_mounted() {
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
}

wait_mounted() { # MNT PID LOG
	for _ in $(seq 200); do
		is_mounted "$1" && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench/fuse.sh: $1 did not mount:" >&2
	tail -n 5 "$3" >&2
	return 1
}

start_vfsd() { # NAME SHARE CACHE
	local mnt=$work/$1.mnt
	mkdir -p "$mnt"
	mnts="$mnts $mnt"
	"$vfsd" --fuse-mount="$mnt" --shared-dir="$2" --cache="$3" \
		--thread-pool-size="$threads" --modcaps=+sys_admin \
		>"$work/$1.log" 2>&1 &
	pids="$pids $!"
	wait_mounted "$mnt" $! "$work/$1.log"
}

start_hp() { # NAME SHARE [OPTION...]
	local name=$1 mnt=$work/$1.mnt share=$2
	shift 2
	mkdir -p "$mnt"
	mnts="$mnts $mnt"
	# shellcheck disable=SC2086 # the io_uring option is two words or none
	"$hp" --foreground -o allow_other ${uring_was:+-o io_uring} "$@" \
		"$share" "$mnt" >"$work/$name.log" 2>&1 &
	pids="$pids $!"
	wait_mounted "$mnt" $! "$work/$name.log"
}

# Both daemons keep an O_PATH fd per inode the kernel knows, and 20000
# files stay known until the kernel forgets them: give both the system's
# maximum rather than whatever limit the shell was started with.
ulimit -n "$(cat /proc/sys/fs/nr_open)" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# Where the limit cannot be raised (no CAP_SYS_RESOURCE), fewer files for
# every target alike, with room for the daemons' other descriptors.
fdmax=$(ulimit -n)
if [ "$fdmax" != unlimited ] && [ "$nfiles" -gt $(( (fdmax - 2000) / 1000 * 1000 )) ]; then
	nfiles=$(( (fdmax - 2000) / 1000 * 1000 ))
	echo "bench/fuse.sh: open-file limit $fdmax: create/stat/unlink use $nfiles files" >&2
fi
mkdir -p "$work/plain" "$work/vfsd.share" "$work/hp.share"
start_vfsd vfsd "$work/vfsd.share" "$cache"
start_vfsd vfsd-nc "$work/vfsd.share" never
start_hp hp "$work/hp.share"
start_hp hp-nc "$work/hp.share" --nocache
for l in vfsd hp; do
	grep -h "io_uring\|passthrough\|uring" "$work/$l.log" | sed "s/^/$l: /" >&2
done

targets="plain vfsd hp"
dir_of() { # TARGET [nc]: where the workload runs
	case $1 in
	plain) echo "$work/plain" ;;
	*) echo "$work/$1${2:+-nc}.mnt" ;;
	esac
}

# --- workloads ---------------------------------------------------------

raw=$work/raw
rows=$work/rows
: >"$raw"
: >"$rows"
row() { # NAME UNIT: declares a row in table order
	grep -qx "$1	.*" "$rows" || printf '%s\t%s\n' "$1" "$2" >>"$rows"
}
nfailed=0
record() { # ROW TARGET ROUND VALUE (empty: the run failed)
	if [ -z "$4" ]; then
		echo "bench/fuse.sh: $1 on $2 failed in round $3" >&2
		nfailed=$((nfailed + 1))
		return 0
	fi
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$raw"
}

fio_jobs="seqread:read:1M seqwrite:write:1M randread:randread:4k randwrite:randwrite:4k"
for j in $fio_jobs; do
	IFS=: read -r name _ bs <<<"$j"
	case $name in seq*) unit=MiB/s ;; *) unit=IOPS ;; esac
	row "$name $bs x1" "$unit"
	row "$name $bs x4" "$unit"
done
for w in create stat unlink; do row "$w $nfiles files" ops/s; done
row "readdir $ndirent entries" entries/s
row "untar $ntree files" files/s
row "stat() cache off" us/op
row "fstat() cache off" us/op

# Every run starts with no dirty data of the previous one pending.
settle() {
	sync
}

# invalidate=0: fio would otherwise drop the files' page cache before
# each run; the page cache is part of what is measured.
# shellcheck disable=SC2016 # $jobnum is fio's, not the shell's
fio_run() { # DIR NAME RW BS JOBS -> prints the rate
	local out=$work/fio.json side
	settle
	fio --name="$2" --directory="$1" --filename_format='bench.$jobnum' \
		--rw="$3" --bs="$4" --numjobs="$5" --size="$fio_size" \
		--ioengine=psync --direct=0 --invalidate=0 --time_based --runtime="$runtime" \
		--group_reporting --output-format=json --output="$out" \
		>"$work/fio.err" 2>&1 || { cat "$work/fio.err" >&2; return 0; }
	case $3 in
	*read) side="read" ;;
	*) side="write" ;;
	esac
	case $4 in
	1M) jq -r ".jobs[0].$side.bw / 1024" "$out" ;;
	*) jq -r ".jobs[0].$side.iops" "$out" ;;
	esac
}

# Lay the fio files out once per target, before anything is timed.
# shellcheck disable=SC2016
for t in $targets; do
	fio --name=layout --directory="$(dir_of "$t")" \
		--filename_format='bench.$jobnum' --rw=write --bs=1M \
		--numjobs=4 --size="$fio_size" --create_only=1 >/dev/null
	touch "$(dir_of "$t")/rt"
done

now() { date +%s.%N; }

run_target() { # ROUND TARGET
	local r=$1 t=$2 d j name rw bs n out t0 t1
	d=$(dir_of "$t")
	for j in $fio_jobs; do
		IFS=: read -r name rw bs <<<"$j"
		for n in 1 4; do
			record "$name $bs x$n" "$t" "$r" "$(fio_run "$d" "$name" "$rw" "$bs" "$n")"
		done
	done

	settle
	mkdir "$d/files.$r"
	out=$("$metabench" files "$d/files.$r" "$nfiles") || out=
	rm -rf "$d/files.$r"
	for w in create stat unlink; do
		record "$w $nfiles files" "$t" "$r" \
			"$(awk -v w="$w" '$1 == w { print $2 }' <<<"$out")"
	done

	settle
	mkdir "$d/dir.$r"
	out=$("$metabench" readdir "$d/dir.$r" "$ndirent" "$passes") || out=
	rm -rf "$d/dir.$r"
	record "readdir $ndirent entries" "$t" "$r" "${out#readdir }"

	settle
	mkdir "$d/untar.$r"
	t0=$(now)
	if tar -xf "$work/tree.tar" -C "$d/untar.$r"; then
		t1=$(now)
		out=$(awk -v a="$t0" -v b="$t1" -v n="$ntree" \
			'BEGIN { printf "%.1f", n / (b - a) }')
	else
		out=
	fi
	rm -rf "$d/untar.$r"
	record "untar $ntree files" "$t" "$r" "$out"

	d=$(dir_of "$t" nc)
	out=$("$metabench" statloop "$d/rt" "$runtime") || out=
	record "stat() cache off" "$t" "$r" "${out#stat_us }"
	out=$("$metabench" fstatloop "$d/rt" "$runtime") || out=
	record "fstat() cache off" "$t" "$r" "${out#stat_us }"
}

# The round is outermost and the targets take turns within it, so slow
# drift of the machine spreads over all targets alike.
ntargets=$(wc -w <<<"$targets")
for r in $(seq 1 "$rounds"); do
	rot=$(( (r - 1) % ntargets ))
	order=$(echo "$targets" | tr ' ' '\n' | awk -v s="$rot" -v n="$ntargets" \
		'{ t[NR - 1] = $0 } END { for (i = 0; i < n; i++) printf "%s ", t[(i + s) % n] }')
	echo "round $r/$rounds: $order" >&2
	for t in $order; do
		run_target "$r" "$t"
	done
done

[ -n "$keep" ] && cp "$raw" "$keep"

# --- table -------------------------------------------------------------

# median [min-max] of one row and target, from the raw lines
stats() { # ROW TARGET -> "median min max"
	awk -F '\t' -v w="$1" -v t="$2" '$1 == w && $2 == t { print $4 }' "$raw" |
		sort -g | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "- - -"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR] }'
}

fmt() { # VALUE: three significant digits at least, no exponent
	awk -v v="$1" 'BEGIN {
		if (v >= 100) printf "%.0f", v; else if (v >= 10) printf "%.1f", v
		else if (v >= 1) printf "%.2f", v; else printf "%.3f", v }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "-" }'
}

printf '%-24s %-9s %-24s %-24s %-24s %6s %6s %6s\n' workload unit \
	plain vfsd passthrough_hp v/plain h/plain v/h
while IFS=$'\t' read -r w unit; do
	line=$(printf '%-24s %-9s' "$w" "$unit")
	declare -A med=()
	for t in $targets; do
		read -r m lo hi <<<"$(stats "$w" "$t")"
		med[$t]=$m
		if [ "$m" = - ]; then
			cell=failed
		else
			cell="$(fmt "$m") [$(fmt "$lo")-$(fmt "$hi")]"
		fi
		line="$line $(printf '%-24s' "$cell")"
	done
	line="$line $(printf '%6s %6s %6s' "$(ratio "${med[vfsd]}" "${med[plain]}")" \
		"$(ratio "${med[hp]}" "${med[plain]}")" \
		"$(ratio "${med[vfsd]}" "${med[hp]}")")"
	echo "$line"
	unset med
done <"$rows"
echo "(rates: higher is better; us/op: lower is better, the plain row is the bare system call)"
echo "($rounds round(s), fio ${runtime}s per run on ${fio_size} files, vfsd --thread-pool-size=$threads)"
if [ "$nfailed" -gt 0 ]; then
	echo "($nfailed run(s) failed and are left out; see the messages above)"
	exit 1
fi
