#!/bin/bash
# `make fuzz [FUZZ_SECONDS=N]`: build the libFuzzer targets of tests/fuzz
# with clang, ASan and UBSan in build-fuzz, run each for N seconds (default
# 60) on its seeds, and print executions and exec/s per target and in all.
#
#   scripts/fuzz.sh [SECONDS]      build and run every target
#   scripts/fuzz.sh --build-only   set up and build build-fuzz; exit 77 when
#                                  clang's libFuzzer is not available
set -u
cd "$(dirname "$0")/.."
BUILD=build-fuzz
secs=60
build_only=false
case "${1:-}" in
--build-only) build_only=true ;;
'') ;;
*[!0-9]* | 0) echo "usage: $0 [SECONDS | --build-only]" >&2; exit 2 ;;
*) secs=$1 ;;
esac

targets="fuzz_fuse_mock fuzz_fuse_pt fuzz_state fuzz_vu_msg fuzz_virtq_chain fuzz_options fuzz_idmap fuzz_xattrmap"

# libFuzzer ships with clang's runtime (libclang-rt-*-dev on Debian).
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	>"$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" \
	>/dev/null 2>&1; then
	echo "fuzz: clang with -fsanitize=fuzzer is not available; skipped"
	exit 77
fi

# Other layers are compiled with gcc -Werror elsewhere; here clang only
# has to build them, so its extra warnings do not stop the fuzzers.
if [ ! -f "$BUILD/build.ninja" ]; then
	CC=clang meson setup "$BUILD" -Dfuzzers=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link -Dwerror=false \
		-Dman=disabled >"$probe/setup.log" 2>&1 || {
		cat "$probe/setup.log"
		exit 1
	}
fi
ninja -C "$BUILD" $(for t in $targets; do echo "tests/fuzz/$t"; done) \
	>"$probe/build.log" 2>&1 || {
	tail -n 40 "$probe/build.log"
	exit 1
}
$build_only && exit 0

total=0
failed=0
printf '%-18s %12s %10s  %s\n' target executions exec/s result
for t in $targets; do
	work=$BUILD/fuzz-work/$t
	line=$(tests/fuzz/run-fuzz.sh "$BUILD/tests/fuzz/$t" \
		"tests/fuzz/corpora/$t" "$work" "$secs" | tail -n 1)
	rc=${PIPESTATUS[0]}
	execs=$(echo "$line" | sed -n 's/.*: \([0-9?]*\) executions.*/\1/p')
	rate=$(echo "$line" | sed -n 's/.*, \([0-9?]*\) exec\/s.*/\1/p')
	if [ "$rc" -eq 0 ]; then
		result="no crash in $secs s"
	else
		result="CRASH: see $work"
		failed=$((failed + 1))
	fi
	printf '%-18s %12s %10s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$result"
	case "$execs" in '' | *[!0-9]*) ;; *) total=$((total + execs)) ;; esac
done
echo "fuzz: $total executions in all, $failed target(s) crashed"
[ "$failed" -eq 0 ]
