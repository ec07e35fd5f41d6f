#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vfsd against QEMU's C virtiofsd and the Rust virtiofsd 1.13.3 (the peer
# in ../shared/peers; its column says SKIP where the file is missing)
# through the same userspace front end (vfsd-client bench), with
# equivalent options: same shared directory, cache mode and thread pool.
# Runs are interleaved, rotating which back end goes first, and each row
# reports the median of the rounds with its min and max, and the ratios
# vfsd/virtiofsd and vfsd/virtiofsd-rs of the medians. The "limit" column
# is the same host syscalls issued by one C loop (vfsd-client limit).
#
# Usage: bench/vhost.sh [-b BUILD] [-r ROUNDS] [-t SECONDS] [-c CACHE]
#                       [-p THREADS] [-e ENTRIES] [-w WORKLOADS] [-q]
#                       [-o RAW] [-R RAW]
#   -q   quick: depth 1 and 16 but one round of 1 s each
#   -o   also keep the raw rows in RAW; -R: only summarize a kept RAW
set -eu

build=build
rounds=3
duration=2
cache=auto
threads=2
entries=10000
workloads=
keep=
reuse=
virtiofsd=${VIRTIOFSD:-/usr/lib/qemu/virtiofsd}

while getopts b:r:t:c:p:e:w:qo:R: opt; do
	case $opt in
	b) build=$OPTARG ;;
	r) rounds=$OPTARG ;;
	t) duration=$OPTARG ;;
	c) cache=$OPTARG ;;
	p) threads=$OPTARG ;;
	e) entries=$OPTARG ;;
	w) workloads=$OPTARG ;;
	q) rounds=1; duration=1 ;;
	o) keep=$OPTARG ;;
	R) reuse=$OPTARG ;;
	*) sed -n '2,17p' "$0"; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
virtiofsd_rs=${VIRTIOFSD_RS:-../shared/peers/virtiofsd-1.13.3}
client=$build/tools/vfsd-client
vfsd=$build/src/cli/vfsd
for f in "$client" "$vfsd" "$virtiofsd"; do
	[ -x "$f" ] || { echo "bench/vhost.sh: missing $f (build first)" >&2; exit 1; }
done
# The peer is optional: without it its column is SKIP, never a number.
rs_skip=
[ -x "$virtiofsd_rs" ] || rs_skip="SKIP: $virtiofsd_rs not found"

share=$(mktemp -d /tmp/vfsd-bench-share.XXXXXX)
raw=$(mktemp /tmp/vfsd-bench-raw.XXXXXX)
trap 'rm -rf "$share" "$raw"' EXIT INT TERM

common="--csv --duration=$duration --entries=$entries --shared-dir=$share"
[ -n "$workloads" ] && common="$common --workload=$workloads"

run_vfsd() {
	# shellcheck disable=SC2086
	"$client" bench $common -- "$vfsd" --socket-path='{socket}' \
		--shared-dir='{dir}' --cache="$cache" \
		--thread-pool-size="$threads" | sed -n 's/^/vfsd,/p' | tail -n +2
}

run_virtiofsd() {
	# shellcheck disable=SC2086
	"$client" bench $common -- "$virtiofsd" --socket-path='{socket}' \
		-o source='{dir}' -o cache="$cache" \
		--thread-pool-size="$threads" | sed -n 's/^/virtiofsd,/p' | tail -n +2
}

run_virtiofsd_rs() {
	[ -z "$rs_skip" ] || return 0
	# shellcheck disable=SC2086
	"$client" bench $common -- "$virtiofsd_rs" --socket-path='{socket}' \
		--shared-dir='{dir}' --cache="$cache" \
		--thread-pool-size="$threads" | sed -n 's/^/virtiofsd-rs,/p' | tail -n +2
}

run_limit() {
	# shellcheck disable=SC2086
	"$client" limit $common | sed -n 's/^/limit,/p' | tail -n +2
}

[ -n "$reuse" ] && { cp "$reuse" "$raw"; rounds=0; }
r=1
while [ "$r" -le "$rounds" ]; do
	echo "round $r/$rounds..." >&2
	case $((r % 3)) in
	1) run_vfsd >>"$raw"; run_virtiofsd >>"$raw"; run_virtiofsd_rs >>"$raw" ;;
	2) run_virtiofsd >>"$raw"; run_virtiofsd_rs >>"$raw"; run_vfsd >>"$raw" ;;
	0) run_virtiofsd_rs >>"$raw"; run_vfsd >>"$raw"; run_virtiofsd >>"$raw" ;;
	esac
	run_limit >>"$raw"
	r=$((r + 1))
done

[ -n "$keep" ] && cp "$raw" "$keep"

# raw: backend,workload,queues,depth,ops,secs,ops_s,mb_s,p50,p99,cpu,status
# One line per (backend, workload, queues, depth) with median/min/max of
# ops/s and the median of the other columns; failed runs count as 0 ops/s.
summary=$(awk -F, '{
	v = ($12 == "ok") ? $7 : 0
	if ($12 != "ok" && $12 != "unsupported-queues") bad[$1 "," $2 "," $3 "," $4] = $12
	if ($12 == "unsupported-queues") next
	print $1 "," $2 "," $3 "," $4 "," v "," $8 "," $9 "," $10 "," $11
}' "$raw" | sort -t, -k1,4 -k5,5g | awk -F, '
function flush() {
	if (n == 0) return
	m = int((n + 1) / 2)
	printf "%s,%s,%s,%s,%.2f,%.1f,%.1f,%.2f,%d\n", key, ops[m], ops[1], ops[n], mb[m], p50[m], p99[m], cpu[m], n
}
{
	k = $1 "," $2 "," $3 "," $4
	if (k != key) { flush(); key = k; n = 0 }
	n++; ops[n] = $5; mb[n] = $6; p50[n] = $7; p99[n] = $8; cpu[n] = $9
}
END { flush() }')

echo
printf '%-14s %2s %5s | %-26s | %-26s | %-26s | %7s %7s\n' workload q depth \
	"vfsd ops/s med [min-max]" "virtiofsd ops/s med [min-max]" \
	"virtiofsd-rs ops/s med [min-max]" "/C" "/rs"
[ -z "$rs_skip" ] || echo "virtiofsd-rs: $rs_skip"
printf '%s\n' "$summary" | awk -F, -v rs_skip="$rs_skip" '
{ key = $2 "," $3 "," $4; row[$1 "|" key] = $0; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
function cell(b, k,   f) {
	if (b == "virtiofsd-rs" && rs_skip != "") return "SKIP"
	if (!((b "|" k) in row)) return "-"
	split(row[b "|" k], f, ",")
	return sprintf("%.0f [%.0f-%.0f]", f[5], f[6], f[7])
}
function med(b, k,   f) {
	if (!((b "|" k) in row)) return -1
	split(row[b "|" k], f, ",")
	return f[5]
}
END {
	for (i = 1; i <= n; i++) {
		k = order[i]
		split(k, p, ",")
		if (p[2] == 0) continue
		a = med("vfsd", k); b = med("virtiofsd", k); c = med("virtiofsd-rs", k)
		ratio = (a >= 0 && b > 0) ? sprintf("%.2f", a / b) : "-"
		rratio = (a >= 0 && c > 0) ? sprintf("%.2f", a / c) : "-"
		printf "%-14s %2s %5s | %-26s | %-26s | %-26s | %7s %7s\n", p[1], p[2], p[3], cell("vfsd", k), cell("virtiofsd", k), cell("virtiofsd-rs", k), ratio, rratio
		split(order[i + 1], nx, ",")
		if (i == n || nx[1] != p[1])
			printf "%-14s %8s | %-26s |\n", p[1], "limit", cell("limit", p[1] ",0,1")
	}
}'
echo
echo "Secondary columns (medians): backend workload q depth MB/s p50_us p99_us cpu_us/op"
printf '%s\n' "$summary" | awk -F, '{ printf "  %-12s %-14s %2s %5s %9.1f %9.1f %9.1f %9.2f\n", $1, $2, $3, $4, $8, $9, $10, $11 }'
if grep -qv ',ok$\|,unsupported-queues$' "$raw"; then
	echo
	echo "Failed runs:"
	grep -v ',ok$\|,unsupported-queues$' "$raw" | sed 's/^/  /'
	exit 1
fi
