#!/bin/bash
# Run one libFuzzer target for a fixed time on its committed seeds.
#
#   tests/fuzz/run-fuzz.sh TARGET SEED_DIR WORK_DIR SECONDS
#
# New inputs go to WORK_DIR (the seeds are read only); a crash leaves its
# input in WORK_DIR/crash-* and fails. Prints one line
#   fuzz NAME: N executions, M exec/s, K s, no crash
# which scripts/fuzz.sh collects into its table.
set -u
[ $# -eq 4 ] || { echo "usage: $0 TARGET SEED_DIR WORK_DIR SECONDS" >&2; exit 2; }
target=$1 seeds=$2 work=$3 secs=$4
name=$(basename "$target")

# Undefined behaviour is a finding like any crash (as in scripts/check.sh).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

mkdir -p "$work/corpus" || exit 1
log=$work/fuzz.log
# Stderr of the target (its own logging) is closed: -close_fd_mask=2.
# libFuzzer and the sanitizers still report on their own copy of it.
"$target" -max_total_time="$secs" -print_final_stats=1 -close_fd_mask=2 \
	-timeout=10 -rss_limit_mb=2048 -max_len=8192 \
	-artifact_prefix="$work/" "$work/corpus" "$seeds" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
if [ $rc -ne 0 ]; then
	tail -n 60 "$log"
	echo "fuzz $name: ${execs:-?} executions, ${rate:-?} exec/s, FAILED (exit $rc, see $log)"
	exit 1
fi
echo "fuzz $name: ${execs:-?} executions, ${rate:-?} exec/s, ${secs} s, no crash"
