#!/bin/bash
# Demo: share a small directory with a throwaway QEMU guest through vfsd.
# The guest mounts it over virtio-fs, lists it, reads a file and writes one
# back; the script shows what the guest printed and the written file as the
# host sees it. Exits 0 only if all of that worked.
#
#   scripts/demo.sh [BUILD_DIR]      (default: build)
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
case "$build" in
/*) ;;
*) build=$top/$build ;;
esac
vfsd=$build/src/cli/vfsd
guest_bin=$build/tests/e2e/e2e_ops
tag="vfsd-demo"
timeout_s=120

die() {
	echo "demo: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (vfsd serves the share as root)"
[ -x "$vfsd" ] || die "$vfsd not found; build first (make build)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/vfsd-demo.XXXXXX") || die "mktemp failed"
. "$top/tests/lib/guest.sh"

cleanup() {
	guest_cleanup
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section() {
	if [ -t 1 ]; then
		printf '\n\033[1m== %s ==\033[0m\n' "$*"
	else
		printf '\n== %s ==\n' "$*"
	fi
}

section "preparing the guest kernel and initramfs"
if ! [ -x "$guest_bin" ]; then
	guest_bin=$work/e2e_ops
	${CC:-cc} -std=gnu11 -O2 -D_GNU_SOURCE -static -o "$guest_bin" \
		"$top"/tests/e2e/guest/*.c || die "cannot build the guest program"
fi
guest_prepare "$work/initrd.gz" "$guest_bin" || die "guest kernel or initramfs build failed"
echo "kernel: ${guest_kernel[0]}"

share=$work/demo-share
mkdir -m 0755 "$share" "$share/docs" || die "mkdir failed"
printf 'Hello from the host!\nThis file lives in %s.\n' "$share" >"$share/hello.txt"
printf '# Notes\n\nvfsd serves this directory to the guest over virtio-fs.\n' \
	>"$share/docs/notes.md"
section "host: sharing $share"
ls -ln "$share"

section "starting vfsd"
guest_start_daemon vfsd "$vfsd" "$share" "$work/vfsd.sock" "$work/vfsd.log" ||
	{ cat "$work/vfsd.log" >&2; die "vfsd did not start"; }
echo "$vfsd --socket-path=$work/vfsd.sock --shared-dir=$share (pid $guest_daemon_pid)"

section "booting a guest (QEMU, TCG; this takes a few seconds)"
guest_boot "$work/initrd.gz" "$work/vfsd.sock" "$tag" demo "$timeout_s"
qemu_rc=$guest_qemu_rc

section "guest: serial console"
sed -e '/=== VFSD-E2E/d' -e 's/^/  /' "$work/guest.txt"

guest_wait_daemon 5
vfsd_rc=$guest_daemon_rc

section "host: the file the guest wrote"
ok=1
if [ -f "$share/from-guest.txt" ]; then
	ls -ln "$share/from-guest.txt"
	sed 's/^/  /' "$share/from-guest.txt"
	grep -q '^Hello from the guest!$' "$share/from-guest.txt" || ok=
else
	echo "(missing: $share/from-guest.txt)"
	ok=
fi

guest_rc=$(sed -n 's/^=== VFSD-E2E END rc=\([0-9]*\) ===$/\1/p' "$work/guest.txt")
[ "${guest_rc:-1}" = 0 ] || ok=
[ "$qemu_rc" = 0 ] || ok=
section "result"
echo "guest exit: ${guest_rc:-none}, qemu: $qemu_rc, vfsd: ${vfsd_rc:-still running}"
[ "${vfsd_rc:-1}" = 0 ] || ok=
if [ -z "$ok" ]; then
	echo "demo FAILED; vfsd log:"
	sed 's/^/  /' "$work/vfsd.log"
	tail -n 30 "$work/qemu.err" "$work/serial.txt" 2>/dev/null
	exit 1
fi
echo "demo OK"
