#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vfsd against QEMU's C virtiofsd and the Rust virtiofsd 1.13.3 (the peer
# in ../shared/peers; its columns say SKIP where the file is missing)
# through the same userspace front end (vfsd-client bench), with
# equivalent options: same shared directory and cache mode. Every daemon
# runs with --thread-pool-size=0 and =2 ("p0", "p2"), and vfsd also with
# its default (no --thread-pool-size: quick requests in the queue thread,
# those that may block in a pool; ring polling on). The front end behaves
# like a KVM guest with halt polling (-H, vfsd-client --halt-poll-us).
# Runs are interleaved, the order of the configurations rotating each
# round; each cell is the median of the rounds. "best peer" is the best
# median among the peers' configurations; the ratio is vfsd's default
# over it. The "limit" rows are the same host system calls issued by one
# C loop (vfsd-client limit). mixed_fsync: GETATTRs at the given depth
# beside one stream of 4 KiB WRITE+FSYNC on the same queue; compare its
# p99 with the getattr row's. idle: the daemon's CPU (% of a core) when
# no request comes.
#
# Usage: bench/vhost.sh [-b BUILD] [-r ROUNDS] [-t SECONDS] [-c CACHE]
#                       [-e ENTRIES] [-w WORKLOADS] [-H US] [-C CONFIGS]
#                       [-Q] [-q] [-o RAW] [-R RAW]
#   -H   front end's halt polling in us (default 200, KVM's; 0: sleep)
#   -C   configurations, comma list (default: all seven)
#   -Q   also two request queues (vfsd only: the peers serve one)
#   -q   quick: one round of 1 s each
#   -o   also keep the raw rows in RAW; -R: only summarize a kept RAW
set -eu

build=build
rounds=3
duration=1.5
cache=auto
entries=10000
workloads=
halt=200
queues=1
keep=
reuse=
configs="vfsd,vfsd-p0,vfsd-p2,rs-p0,rs-p2,qemu-p0,qemu-p2"
virtiofsd=${VIRTIOFSD:-/usr/lib/qemu/virtiofsd}

while getopts b:r:t:c:e:w:H:C:Qqo:R: opt; do
	case $opt in
	b) build=$OPTARG ;;
	r) rounds=$OPTARG ;;
	t) duration=$OPTARG ;;
	c) cache=$OPTARG ;;
	e) entries=$OPTARG ;;
	w) workloads=$OPTARG ;;
	H) halt=$OPTARG ;;
	C) configs=$OPTARG ;;
	Q) queues= ;;
	q) rounds=1; duration=1 ;;
	o) keep=$OPTARG ;;
	R) reuse=$OPTARG ;;
	*) sed -n '2,29p' "$0"; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
virtiofsd_rs=${VIRTIOFSD_RS:-../shared/peers/virtiofsd-1.13.3}
client=$build/tools/vfsd-client
vfsd=$build/src/cli/vfsd
for f in "$client" "$vfsd" "$virtiofsd"; do
	[ -x "$f" ] || { echo "bench/vhost.sh: missing $f (build first)" >&2; exit 1; }
done
# The peer is optional: without it its columns are SKIP, never a number.
rs_skip=
[ -x "$virtiofsd_rs" ] || rs_skip="SKIP: $virtiofsd_rs not found"

share=$(mktemp -d /tmp/vfsd-bench-share.XXXXXX)
raw=$(mktemp /tmp/vfsd-bench-raw.XXXXXX)
trap 'rm -rf "$share" "$raw"' EXIT INT TERM

common="--csv --duration=$duration --entries=$entries --shared-dir=$share --halt-poll-us=$halt"
[ -n "$queues" ] && common="$common --queues=$queues"
[ -n "$workloads" ] && common="$common --workload=$workloads"

# run_one CONFIG: one bench session of that configuration, rows prefixed.
run_one() {
	case $1 in
	vfsd) set -- "$1" "$vfsd" --socket-path='{socket}' --shared-dir='{dir}' \
		--cache="$cache" ;;
	vfsd-p*) set -- "$1" "$vfsd" --socket-path='{socket}' --shared-dir='{dir}' \
		--cache="$cache" --thread-pool-size="${1#vfsd-p}" ;;
	rs-p*) [ -z "$rs_skip" ] || return 0
		set -- "$1" "$virtiofsd_rs" --socket-path='{socket}' \
		--shared-dir='{dir}' --cache="$cache" \
		--thread-pool-size="${1#rs-p}" ;;
	qemu-p*) set -- "$1" "$virtiofsd" --socket-path='{socket}' \
		-o source='{dir}' -o cache="$cache" \
		--thread-pool-size="${1#qemu-p}" ;;
	*) echo "bench/vhost.sh: unknown configuration $1" >&2; exit 2 ;;
	esac
	label=$1
	shift
	# shellcheck disable=SC2086
	"$client" bench $common -- "$@" | tail -n +2 | sed "s/^/$label,/"
}

run_limit() {
	# shellcheck disable=SC2086
	"$client" limit $common | tail -n +2 | sed 's/^/limit,/'
}

[ -n "$reuse" ] && { cp "$reuse" "$raw"; rounds=0; }
n=$(echo "$configs" | tr , '\n' | grep -c .)
r=1
while [ "$r" -le "$rounds" ]; do
	echo "round $r/$rounds..." >&2
	# Rotate the order: round r starts at configuration (r-1) mod n.
	i=0
	while [ "$i" -lt "$n" ]; do
		k=$(( (i + r - 1) % n + 1 ))
		run_one "$(echo "$configs" | cut -d, -f"$k")" >>"$raw"
		i=$((i + 1))
	done
	run_limit >>"$raw"
	r=$((r + 1))
done

[ -n "$keep" ] && cp "$raw" "$keep"

# raw: config,workload,queues,depth,ops,secs,ops_s,mb_s,p50,p99,p999,
#      cpu_us_op,client_us_op,cpu_pct,status
# Medians per (config, workload, queues, depth), every column on its own;
# failed runs count as 0 ops/s.
awk -F, -v configs="$configs" -v rs_skip="$rs_skip" -v halt="$halt" '
function med(k, col,   n, i, j, t, a) {
	n = cnt[k]
	for (i = 1; i <= n; i++) a[i] = v[k, i, col]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n ? a[int((n + 1) / 2)] : -1
}
{
	if ($15 == "unsupported-queues") next
	k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
	i = ++cnt[k]
	for (c = 5; c <= 14; c++) v[k, i, c] = $c
	if ($15 != "ok") { v[k, i, 7] = 0; bad = bad "  " $0 "\n" }
	row = $2 SUBSEP $3 SUBSEP $4
	if ($1 != "limit" && !(row in seen)) { seen[row] = 1; order[++nrow] = row }
	if ($1 == "limit") lim[$2] = 1
}
END {
	nc = split(configs, cf, ",")
	printf "front end halt polling: %s us\n\n", halt
	printf "| workload | q | depth |"
	for (c = 1; c <= nc; c++) printf " %s |", cf[c]
	printf " best peer | vfsd/best |\n|---|---|---|"
	for (c = 1; c <= nc + 2; c++) printf "---|"
	printf "\n"
	for (i = 1; i <= nrow; i++) {
		split(order[i], p, SUBSEP)
		best = 0; bname = "-"
		printf "| %s | %s | %s |", p[1], p[2], p[3]
		for (c = 1; c <= nc; c++) {
			k = cf[c] SUBSEP order[i]
			if (cf[c] ~ /^rs-/ && rs_skip != "") { printf " SKIP |"; continue }
			if (!(k in cnt)) { printf " - |"; continue }
			col = (p[1] == "idle") ? 14 : 7
			m = med(k, col)
			printf (col == 14) ? " %.2f%% |" : " %.0f |", m
			if (cf[c] !~ /^vfsd/ && m > best) { best = m; bname = cf[c] }
			if (cf[c] == "vfsd") mine = m
		}
		if (p[1] == "idle" || best == 0 || !((("vfsd") SUBSEP order[i]) in cnt))
			printf " %s | - |\n", bname
		else
			printf " %s | %.2f |\n", bname, mine / best
	}
	printf "\nLatency (us, p50/p99/p99.9) and CPU per operation (us, daemon/client):\n\n"
	printf "| workload | depth | config | p50 | p99 | p99.9 | daemon | client |\n|---|---|---|---|---|---|---|---|\n"
	for (i = 1; i <= nrow; i++) {
		split(order[i], p, SUBSEP)
		if (p[1] == "idle") continue
		for (c = 1; c <= nc; c++) {
			k = cf[c] SUBSEP order[i]
			if (!(k in cnt)) continue
			printf "| %s | %s | %s | %.1f | %.1f | %.1f | %.2f | %.2f |\n", p[1], p[3], cf[c], med(k, 9), med(k, 10), med(k, 11), med(k, 12), med(k, 13)
		}
	}
	printf "\nIn-process limit (one C loop, ops/s):\n"
	for (w in lim) printf "  %-14s %.0f\n", w, med("limit" SUBSEP w SUBSEP "0" SUBSEP "1", 7)
	if (bad != "") { printf "\nFailed runs:\n%s", bad; exit 1 }
}' "$raw"
