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
	--suite sandbox --suite setup
echo "make check took $(( $(date +%s) - start )) s of testing"
python3 scripts/test-summary.py build/meson-logs/testlog.json \
	build-asan/meson-logs/testlog.json
