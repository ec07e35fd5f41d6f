#!/bin/bash
# vfsd-client migrate with --migration-mode=file-handles: the destination
# opens the source's file handles, which it does only where the share is
# the root of its filesystem (no handle of it names a file outside): a
# tmpfs mounted here, in a private mount namespace so nothing stays
# mounted. Open files the guest unlinked, or a host process replaced, are
# found by their handles; the rest of the catalogue as in find-paths.
#
#   tests/client/run-migrate-handles.sh VFSD_CLIENT VFSD [DAEMON ARG...]
#
# Prints TAP; a TAP SKIP (1..0) without root or unshare.
set -u

client=${1:?usage: run-migrate-handles.sh VFSD_CLIENT VFSD [DAEMON ARG...]}
vfsd=${2:?usage: run-migrate-handles.sh VFSD_CLIENT VFSD [DAEMON ARG...]}
shift 2

# shellcheck source=../lib/runner.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/runner.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (a tmpfs, and CAP_DAC_READ_SEARCH to open handles)"
runner_private_ns "$client" "$vfsd" "$@"

runner_work migrate
cleanup() { umount "$work/share" 2>/dev/null; }
mkdir "$work/share"
mount -t tmpfs -o size=64m tmpfs "$work/share" || bail "mount tmpfs"

"$client" migrate --shared-dir="$work/share" -- \
	"$vfsd" --socket-path={socket} --shared-dir={dir} \
	--migration-mode=file-handles "$@"
