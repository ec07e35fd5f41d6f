#!/bin/bash
# Configure (once) and build one build directory. Extra arguments go to
# `meson setup`, e.g. -Db_sanitize=address,undefined.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null
