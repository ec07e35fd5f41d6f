#!/bin/bash
# `make check`: install what is missing, build a normal and a sanitizer
# (ASan+UBSan) build, run every test suite, and finish with one line
# "N passed, N failed" over both builds.
set -u
cd "$(dirname "$0")/.."

scripts/install-deps.sh || exit 1
scripts/build.sh build || exit 1
scripts/build.sh build-asan -Db_sanitize=address,undefined \
	-Db_lundef=false || exit 1

# Sanitizer reports must fail the test that triggered them.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

start=$(date +%s)
meson test -C build --no-rebuild --print-errorlogs
meson test -C build-asan --no-rebuild --print-errorlogs \
	--suite unit --suite e2e-asan --suite devfuse --suite client \
	--suite sandbox --suite setup --suite policy --suite stats \
	--suite conformance-asan --suite dropin \
	--suite fdlimit --suite soak --suite xfstests
# libFuzzer targets, 10 s each, in their own clang build (build-fuzz);
# skipped when clang's fuzzer runtime is missing; a failed build leaves
# no test log, which the summary counts as a failure.
fuzz_log=build-fuzz/meson-logs/testlog.json
rm -f "$fuzz_log"
scripts/fuzz.sh --build-only
case $? in
0)
	meson test -C build-fuzz --no-rebuild --print-errorlogs --suite fuzz
	grep -h '^fuzz ' build-fuzz/meson-logs/testlog.txt ;;
77) fuzz_log= ;;
esac
echo "make check took $(( $(date +%s) - start )) s of testing"
python3 scripts/test-summary.py build/meson-logs/testlog.json \
	build-asan/meson-logs/testlog.json $fuzz_log
