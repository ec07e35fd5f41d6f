#!/bin/bash
# `make coverage`: line coverage of src/ per layer, from the unit suite and
# the quick client suite (all of it but client-attack, which takes minutes),
# in build-coverage (-Db_coverage=true).
#
# Counts come from every process gcov can write from: the unit tests (each
# layer in-process), vfsd-client, and the daemon where its root is still the
# host's. A daemon sandboxed into the share (--sandbox=namespace or chroot,
# the default) cannot reach build-coverage at exit and drops its counts.
#
# Uncovered lines: build-coverage/coverage/index.html (per file, each line
# marked), or the "Missing" column of build-coverage/coverage.txt.
set -eu
cd "$(dirname "$0")/.."
BUILD=build-coverage

scripts/build.sh "$BUILD" -Db_coverage=true
find "$BUILD" -name '*.gcda' -delete

meson test -C "$BUILD" --no-rebuild --suite unit >/dev/null ||
	echo "coverage: a unit test failed (meson test -C $BUILD --suite unit)" >&2
quick=$(meson test -C "$BUILD" --no-rebuild --list --suite client 2>/dev/null |
	sed 's|.* / ||' | grep -vx client-attack)
# shellcheck disable=SC2086
meson test -C "$BUILD" --no-rebuild $quick >/dev/null ||
	echo "coverage: a client test failed (meson test -C $BUILD $quick)" >&2

mkdir -p "$BUILD/coverage"
gcovr --root . --filter src/ --exclude-unreachable-branches \
	--txt "$BUILD/coverage.txt" \
	--html-details "$BUILD/coverage/index.html" \
	--json-summary "$BUILD/coverage.json" \
	"$BUILD" >/dev/null
python3 - "$BUILD/coverage.json" <<'PY'
import json, sys
files = json.load(open(sys.argv[1]))["files"]
layers = {}
for f in files:
    layer = f["filename"].split("/")[1]
    t = layers.setdefault(layer, [0, 0])
    t[0] += f["line_covered"]
    t[1] += f["line_total"]
print("%-10s %8s %8s %6s" % ("layer", "lines", "covered", "%"))
for name in ("transport", "fuse", "fs", "policy", "cli", "util"):
    if name in layers:
        c, n = layers.pop(name)
        print("%-10s %8d %8d %5.1f%%" % (name, n, c, 100.0 * c / max(n, 1)))
c = sum(f["line_covered"] for f in files)
n = sum(f["line_total"] for f in files)
print("%-10s %8d %8d %5.1f%%" % ("src/", n, c, 100.0 * c / max(n, 1)))
PY
echo "uncovered lines: $BUILD/coverage/index.html or $BUILD/coverage.txt"
