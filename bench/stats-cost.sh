#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The cost of the request metrics: vfsd over the host's /dev/fuse with and
# without --stats-socket (without it nothing is recorded), cache=never so
# every stat() is a FUSE round trip. Workloads: one stat() loop, two
# stat() loops at once (both cores, the counters shared between threads),
# and create/stat/unlink of many files. The two targets alternate within
# every round; each row is the median of the rounds. First, the recording
# alone (bench/statsbench.c): nanoseconds per request on 1 and 2 threads.
#
# Usage: bench/stats-cost.sh [-b BUILD] [-r ROUNDS] [-t SECONDS] [-n FILES]
# Needs root (mount) and cc.
set -eu

build=build
rounds=5
runtime=3
nfiles=5000
while getopts b:r:t:n: opt; do
	case $opt in
	b) build=$OPTARG ;;
	r) rounds=$OPTARG ;;
	t) runtime=$OPTARG ;;
	n) nfiles=$OPTARG ;;
	*) sed -n 12p "$0" >&2; exit 2 ;;
	esac
done
vfsd=$build/src/cli/vfsd
[ -x "$vfsd" ] || { echo "no $vfsd" >&2; exit 1; }

work=$(mktemp -d /tmp/vfsd-statscost.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	umount -l "$work/mnt" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/share" "$work/mnt"
chmod 0755 "$work"
cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$work/metabench" bench/metabench.c
mb=$work/metabench
cc -std=gnu11 -O2 -Wall -Wextra -Werror -Isrc -I"$build" \
	-o "$work/statsbench" bench/statsbench.c \
	"$build/src/fuse/libvfsd_fuse.a" "$build/src/util/libvfsd_util.a" \
	-lpthread
for t in 1 2; do
	for _ in 1 2 3; do
		"$work/statsbench" "$t" 5000000
	done | sort -k3 -g | sed -n 2p |
		awk '{printf "recording alone, %d thread(s): %s ns per request (median of 3)\n", $2, $3}'
done

start() { # off|on
	local extra=
	[ "$1" = on ] && extra=--stats-socket=$work/stats.sock
	"$vfsd" --fuse-mount="$work/mnt" --shared-dir="$work/share" \
		--cache=never $extra --log-level=warn >"$work/vfsd.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		grep -q " $work/mnt fuse.vfsd " /proc/mounts && return 0
		sleep 0.05
	done
	echo "vfsd did not mount" >&2
	exit 1
}

stop() {
	umount "$work/mnt"
	wait "$pid" || true
	pid=
}

record() { # ROW TARGET VALUE
	echo "$1 $2 $3" >>"$work/raw"
}

one_round() { # TARGET
	local t=$1 a b
	start "$t"
	: >"$work/mnt/rt"
	record stat_us "$t" "$("$mb" statloop "$work/mnt/rt" "$runtime" |
		awk '{print $2}')"
	"$mb" statloop "$work/mnt/rt" "$runtime" >"$work/p1" &
	a=$!
	"$mb" statloop "$work/mnt/rt" "$runtime" >"$work/p2" &
	b=$!
	wait "$a" "$b"
	record stat2_us "$t" "$(cat "$work/p1" "$work/p2" |
		awk '{s += $2} END {printf "%.2f", s / NR}')"
	mkdir "$work/mnt/files"
	"$mb" files "$work/mnt/files" "$nfiles" >"$work/files.out"
	rmdir "$work/mnt/files"
	while read -r name rate; do
		record "$name" "$t" "$rate"
	done <"$work/files.out"
	stop
}

for r in $(seq "$rounds"); do
	if [ $((r % 2)) = 1 ]; then
		one_round off; one_round on
	else
		one_round on; one_round off
	fi
done

median() { # ROW TARGET
	awk -v row="$1" -v t="$2" '$1 == row && $2 == t {print $3}' \
		"$work/raw" | sort -g | awk '{v[NR] = $1}
		END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

printf '%-28s %12s %12s %8s\n' "workload ($rounds rounds)" "no metrics" "metrics" "change"
for row in stat_us stat2_us create stat unlink; do
	off=$(median "$row" off)
	on=$(median "$row" on)
	case $row in
	stat_us) label="stat() round trip, us" ;;
	stat2_us) label="2 stat() loops, us/call" ;;
	*) label="$row, files/s" ;;
	esac
	printf '%-28s %12s %12s %+7.1f%%\n' "$label" "$off" "$on" \
		"$(awk -v a="$off" -v b="$on" 'BEGIN {print (b - a) * 100 / a}')"
done
